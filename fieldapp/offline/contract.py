"""What the service worker knows of the app's URLs, taken from Flask's URL map (never written in sw.js).

A changed route changes the worker's configuration, and with it the worker's bytes and version, so the
phones pick up the new addresses at their next start.
"""

from __future__ import annotations

import re
from typing import Any

from werkzeug.routing import Map, Rule

# Pages kept on the phone for offline use: Today (`/` and `/day/<day>`), the customer page, the visit form.
OFFLINE_PAGES = ("today.index", "customers.detail", "visits.new")
# Posts kept in the outbox when there is no connection, by the kind the sync API knows them by. Each rule
# has one URL variable, the id the worker stores with the entry (a stop, or the visit's customer).
OFFLINE_POSTS = {
    "check_in": "today.check_in",
    "check_out": "today.check_out",
    "visit": "visits.new",
}

# A URL variable in a rule: `<name>`, `<converter:name>` (converter arguments are not used in this app).
_VARIABLE = re.compile(r"<(?:(?P<converter>\w+)(?P<args>\(.*?\))?:)?(?P<name>\w+)>")
# Characters with a meaning in a JavaScript regular expression (the slash is literal in `new RegExp`).
_JS_SPECIAL = re.compile(r"[\\^$.|?*+()\[\]{}]")


def _parts(rule: Rule) -> list[tuple[str, str | None]]:
    """The rule's path as (static text, None) and (converter, variable name) pieces."""
    parts: list[tuple[str, str | None]] = []
    end = 0
    for match in _VARIABLE.finditer(rule.rule):
        if match.group("args"):
            raise ValueError(f"{rule.rule}: converter arguments are not translated for the worker")
        parts.append((rule.rule[end : match.start()], None))
        parts.append((match.group("converter") or "default", match.group("name")))
        end = match.end()
    parts.append((rule.rule[end:], None))
    return [part for part in parts if part[0] or part[1]]


def rule_pattern(url_map: Map, rule: Rule) -> str:
    """The rule's path as an anchored JavaScript regex source, one capturing group per URL variable."""
    pieces = []
    for text, name in _parts(rule):
        if name is None:
            pieces.append(_JS_SPECIAL.sub(lambda m: "\\" + m.group(0), text))
        else:
            pieces.append(f"({url_map.converters[text].regex})")
    return "^" + "".join(pieces) + "$"


def path_template(rule: Rule) -> str:
    """The rule's path with `{name}` where each URL variable goes (`/customers/{customer_id}`)."""
    return "".join(text if name is None else "{" + name + "}" for text, name in _parts(rule))


def _rules(url_map: Map, endpoint: str, method: str) -> list[Rule]:
    # A rule without methods answers them all.
    rules = [r for r in url_map.iter_rules(endpoint) if r.methods is None or method in r.methods]
    if not rules:
        raise LookupError(f"no {method} rule for {endpoint}")
    return rules


def worker_urls(url_map: Map) -> dict[str, Any]:
    """The pages the worker keeps, the posts it queues, and the customer page it returns to."""
    posts = []
    for kind, endpoint in OFFLINE_POSTS.items():
        for rule in _rules(url_map, endpoint, "POST"):
            if len(rule.arguments) != 1:
                raise ValueError(f"{rule.rule}: the worker expects one id in a queued post")
            posts.append({"kind": kind, "pattern": rule_pattern(url_map, rule)})
    (customer,) = _rules(url_map, "customers.detail", "GET")
    return {
        "pages": [
            rule_pattern(url_map, rule)
            for endpoint in OFFLINE_PAGES
            for rule in _rules(url_map, endpoint, "GET")
        ],
        "posts": posts,
        "customer": path_template(customer),
    }
