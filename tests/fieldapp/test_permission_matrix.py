"""The permission matrix, generated from the route table: every rule × method × role has an asserted
outcome, and a route nobody has classified fails the test. Every state-changing route refuses a missing or
foreign CSRF token and changes nothing.

Adding a route is one line in ACCESS: its endpoint and its access class (or one class per method).
The classes say what each of the seven roles gets; `World` (route_world.py) creates the objects the URL
variables point at, all owned by `rep` in the first team. A refused call must also leave the database
exactly as it was. JSON routes (/api/…) answer 401 where pages send an anonymous visitor to sign in.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.fieldapp.route_world import ROLES, World, build_world

OK, LOGIN, E401, E403, E404 = "ok", "login", 401, 403, 404
# What each role gets: (anonymous, rep, teammate, other_rep, manager, other_manager, admin).
CLASSES: dict[str, tuple[Any, ...]] = {
    # anyone, signed in or not (assets, the sign-in page, the calendar feed opened by its secret)
    "public": (OK, OK, OK, OK, OK, OK, OK),
    # any signed-in user, acting on their own things (their day, their settings, their team's lists)
    "signed-in": (LOGIN, OK, OK, OK, OK, OK, OK),
    # a record of the team: every member reads, other teams do not see that it exists
    "team-member": (LOGIN, OK, OK, E404, OK, E404, OK),
    # the rep who owns it (assigned rep, author, owner) or a manager of the team; teammates 403
    "owner-or-manager-of-team": (LOGIN, OK, E403, E404, OK, E404, OK),
    # only the rep who wrote it (a visit note): managers read but do not rewrite
    "author-only": (LOGIN, OK, E403, E404, E403, E404, E403),
    # the rep's own day, stop, report or token: anybody else finds nothing
    "rep-own": (LOGIN, OK, E404, E404, E404, E404, E404),
    # manager pages of one's own team (a manager of another team sees their own team there)
    "manager": (LOGIN, E403, E403, E403, OK, OK, OK),
    # a manager acting on a member of their team; another team's manager finds nobody
    "manager-of-team": (LOGIN, E403, E403, E403, OK, E404, OK),
    # the manager who wrote it (a comment on a report): other managers 403, reps 403, other teams 404
    "comment-author": (LOGIN, E403, E403, E403, OK, E404, E403),
    # signing out: everybody ends on the sign-in page
    "sign-out": (LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN, LOGIN),
}

# endpoint → access class, or {method: class}. ONE LINE PER ENDPOINT: a new route goes here.
ACCESS: dict[str, str | dict[str, str]] = {
    "static": "public",
    "auth.login": "public",
    "auth.logout": "sign-out",
    "offline.service_worker": "public",
    "offline.manifest": "public",
    "offline.page": "public",
    "me.ical_feed": "public",
    "me.index": "signed-in",
    "me.calendar_token": "signed-in",
    "me.create_api_token": "signed-in",
    "me.revoke_api_token": "rep-own",
    "me.planning": "signed-in",
    "me.password": "signed-in",
    "today.index": "signed-in",
    "today.map": "signed-in",
    "today.nearby": "signed-in",
    "today.plan": "signed-in",
    "today.replan": "signed-in",
    "today.reorder": "rep-own",
    "today.add": "signed-in",
    "today.accept": "rep-own",
    "today.remove": "rep-own",
    "today.move": "rep-own",
    "today.check_in": "rep-own",
    "today.check_out": "rep-own",
    "today.log": "rep-own",
    "today.skip": "rep-own",
    "today.ical_download": "rep-own",
    "today.appointment": "team-member",
    "today.week_now": "signed-in",
    "today.week": "signed-in",
    "today.week_plan": "signed-in",
    "today.week_move": "signed-in",
    "today.week_accept": "signed-in",
    "customers.index": "signed-in",
    "customers.leaflet_asset": "signed-in",
    "customers.detail": "team-member",
    "customers.history": "team-member",
    "customers.edit": "owner-or-manager-of-team",
    "customers.location": "owner-or-manager-of-team",
    "customers.contact_form": "owner-or-manager-of-team",
    "customers.busy_form": "owner-or-manager-of-team",
    "customers.delete_part": "owner-or-manager-of-team",
    "customers.new": "signed-in",
    "handover.team_map": "manager",
    "handover.start": "manager",
    "handover.preview": "manager",
    "handover.commit": "manager",
    "handover.dismiss_note": "author-only",
    "products.index": "signed-in",
    "products.detail": "signed-in",
    "visits.new": "team-member",
    "visits.detail": "team-member",
    "visits.edit": "author-only",
    "followups.index": "signed-in",
    "followups.new": "team-member",
    "followups.close": "owner-or-manager-of-team",
    "reports.index": "signed-in",
    "reports.edit": "signed-in",
    "reports.detail": "owner-or-manager-of-team",
    "reports.comment": "manager-of-team",
    "reports.review": "manager-of-team",
    "reports.edit_comment": "comment-author",
    "manager.team": "manager",
    "manager.set_active": "manager-of-team",
    "manager.member": "manager-of-team",
    "manager.reset_password": "manager-of-team",
    "manager.office": "manager",
    "manager.prompts": "manager",
    "manager.dashboard.index": "manager",
    "manager.dashboard.drill": "manager-of-team",
    "manager.cover.index": "manager",
    "manager.cover.preview": "manager",
    "manager.cover.confirm": "manager",
    "manager.cover.absence": "manager",
    "imports.upload": "manager",
    "imports.export_customers": "manager",
    "imports.export_visits": "manager",
    "imports.export_products": "manager",
    "imports.needs_location": "manager",
    "api.sync_status": "signed-in",
    "api.sync_check_in": "rep-own",
    "api.sync_check_out": "rep-own",
    "api.sync_visit": "team-member",
    "api.v1.openapi": "public",
    "api.v1.list_customers": "signed-in",
    "api.v1.get_customer": "team-member",
    "api.v1.update_customer": "owner-or-manager-of-team",
    "api.v1.add_contact": "owner-or-manager-of-team",
    "api.v1.add_busy_period": "owner-or-manager-of-team",
    "api.v1.list_visits": "signed-in",
    "api.v1.get_visit": "team-member",
    "api.v1.log_visit": "team-member",
    "api.v1.edit_visit": "author-only",
    "api.v1.list_followups": "signed-in",
    "api.v1.add_followup": "team-member",
    "api.v1.close_followup": "owner-or-manager-of-team",
    "api.v1.list_orders": "signed-in",
    "api.v1.list_products": "signed-in",
    "api.v1.get_day_plan": "rep-own",
    "api.v1.sync_check_in": "rep-own",
    "api.v1.sync_check_out": "rep-own",
    "api.v1.sync_visit": "team-member",
}


def _recent() -> str:
    return (datetime.now(UTC) - timedelta(minutes=5)).isoformat()


# JSON bodies that pass validation, so the answer is about who calls (a refusal of the shape would
# hide a missing permission check). Keyed by endpoint; ids come from the world.
JSON_BODIES: dict[str, Any] = {
    "api.v1.update_customer": lambda ids: {"version": 1, "name": "Renamed"},
    "api.v1.add_contact": lambda ids: {"name": "Suzuki"},
    "api.v1.add_busy_period": lambda ids: {"kind": "weekly", "weekdays": "0"},
    "api.v1.log_visit": lambda ids: {"outcome": "met"},
    "api.v1.edit_visit": lambda ids: {"version": 1, "outcome": "met", "heard": "edited"},
    "api.v1.add_followup": lambda ids: {"title": "Call back"},
    "api.v1.close_followup": lambda ids: {"result": "Done"},
    "api.v1.sync_check_in": lambda ids: {"stop_id": ids["stop_id"], "at": _recent()},
    "api.v1.sync_check_out": lambda ids: {"stop_id": ids["stop_id"], "at": _recent()},
    "api.v1.sync_visit": lambda ids: {
        "key": "matrix-1",
        "customer_id": ids["customer_id"],
        "at": _recent(),
        "form": [["outcome", "met"]],
    },
}
for _name in ("check_in", "check_out", "visit"):
    JSON_BODIES[f"api.sync_{_name}"] = JSON_BODIES[f"api.v1.sync_{_name}"]

UNSAFE = ("POST", "PUT", "PATCH", "DELETE")
# Form fields every form post carries: the versions the world's objects start at.
FORM_DEFAULTS = {"version": "1"}


def routes(app) -> list[tuple[Any, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((rule, method))
    return sorted(found, key=lambda item: (item[0].endpoint, item[0].rule, item[1]))


def access_class(endpoint: str, method: str) -> str | None:
    entry = ACCESS.get(endpoint)
    return entry.get(method) if isinstance(entry, dict) else entry


def _route_ids() -> list[str]:
    """The routes of an app built once at collection time (the table is the same for every test)."""
    from fieldapp import create_app

    app = create_app(
        {"ENV": "test", "TESTING": True, "SECRET_KEY": "x" * 32, "DATABASE_URL": "sqlite://"}
    )
    ids = [f"{method} {rule.rule}" for rule, method in routes(app)]
    app.extensions["fieldapp.engine"].dispose()
    return ids


ROUTE_IDS = _route_ids()


def _find(app, route_id: str) -> tuple[Any, str]:
    method, _sep, path = route_id.partition(" ")
    for rule, m in routes(app):
        if m == method and rule.rule == path:
            return rule, m
    raise AssertionError(f"{route_id} is gone from the route table")


def send(world: World, role: str, rule, method: str, csrf: str | None) -> Any:
    """Call `rule` as `role`: JSON routes get a valid body, forms the CSRF token and the versions."""
    client = world.client(role)
    url = world.url(rule)
    headers = {"X-CSRFToken": csrf} if csrf else {}
    if method == "GET":
        return client.get(url)
    body = JSON_BODIES.get(rule.endpoint)
    if body is not None:
        return client.open(url, method=method, json=body(world.ids), headers=headers)
    data = dict(FORM_DEFAULTS)
    if csrf:
        data["csrf_token"] = csrf
    return client.open(url, method=method, data=data, headers=headers)


def outcome(response, *, json_route: bool) -> Any:
    status = response.status_code
    if status == 302 and "/login" in response.headers.get("Location", ""):
        return LOGIN
    if status in (401, 403, 404):
        return status
    assert status < 500, f"server error {status}"
    return OK


def test_every_route_has_an_access_class(app):
    """A route nobody classified fails here: add one line to ACCESS."""
    missing = sorted(
        {
            f"{rule.endpoint} ({method} {rule.rule})"
            for rule, method in routes(app)
            if access_class(rule.endpoint, method) not in CLASSES
        }
    )
    assert not missing, "routes without an access class in ACCESS: " + ", ".join(missing)
    assert not set(ACCESS) - {rule.endpoint for rule, _m in routes(app)}, "stale ACCESS entries"


@pytest.mark.parametrize("route_id", ROUTE_IDS)
def test_permission_matrix(app, db, route_id):
    rule, method = _find(app, route_id)
    klass = access_class(rule.endpoint, method)
    if klass not in CLASSES:
        pytest.fail(
            f"{rule.endpoint} has no access class (see test_every_route_has_an_access_class)"
        )
    json_route = rule.rule.startswith("/api/")
    world = build_world(app, db)
    # Refused roles first: their calls must leave everything as it was for the roles after them.
    order = sorted(range(len(ROLES)), key=lambda i: CLASSES[klass][i] == OK)
    for i in order:
        role, expected = ROLES[i], CLASSES[klass][i]
        if expected == LOGIN and json_route:
            expected = E401
        csrf = world.csrf(role) if method in UNSAFE else None
        world.client(role)  # signed in before the snapshot: signing in records the time of it
        world.renew_parts()
        before = world.snapshot() if expected != OK else None
        got = outcome(send(world, role, rule, method, csrf), json_route=json_route)
        assert got == expected, f"{method} {rule.rule} as {role}: {got}, expected {expected}"
        if before is not None and klass != "sign-out":
            assert world.snapshot() == before, f"{method} {rule.rule} as {role} changed data"


UNSAFE_ROUTE_IDS = [r for r in ROUTE_IDS if r.split(" ")[0] in UNSAFE]


def _allowed_role(klass: str) -> str:
    return next(role for role, want in zip(ROLES, CLASSES[klass], strict=True) if want == OK)


@pytest.mark.parametrize("route_id", UNSAFE_ROUTE_IDS)
def test_state_changing_routes_refuse_missing_and_foreign_csrf_tokens(app, db, route_id):
    rule, method = _find(app, route_id)
    klass = access_class(rule.endpoint, method)
    role = "rep" if klass == "sign-out" else _allowed_role(klass)
    world = build_world(app, db)
    foreign = world.csrf("other_rep" if role != "other_rep" else "rep")
    world.csrf(role)  # the session has its own token, just not sent (or another one is)
    for token in (None, foreign):
        before = world.snapshot()
        response = send(world, role, rule, method, token)
        assert response.status_code == 400, (
            f"{method} {rule.rule} as {role} with {'no' if token is None else 'a foreign'} "
            f"CSRF token: {response.status_code}"
        )
        assert world.snapshot() == before, f"{method} {rule.rule} changed data without CSRF"
    if role != "anonymous":  # still signed in: the refusal did not end the session either
        assert world.client(role).get("/me").status_code == 200
