"""URL values shared by several blueprints (a day in the path is the same everywhere) and the maps link."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import quote, urlsplit

from flask import abort, make_response
from flask_babel import gettext as _
from werkzeug.routing import IntegerConverter

from .errors import render_error
from .models import MAX_ID

# Days the app can plan and show: a year outside this range is a mistyped URL, not a page (and 9999-12-31
# has no next day, 0001-01-01 no previous one: the navigation arrows would fail).
FIRST_DAY = date(2000, 1, 1)
LAST_DAY = date(2099, 12, 31)
# Control characters (a line break, a tab) make browsers and proxies read a redirect differently.
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BoundedIntConverter(IntegerConverter):
    """`<int:...>` in every rule: an id the id columns can hold (models.MAX_ID), else the route does not
    match (404)."""

    def __init__(self, map, *args, **kwargs) -> None:  # noqa: A002 (werkzeug's parameter name)
        kwargs.setdefault("max", MAX_ID)
        super().__init__(map, *args, **kwargs)


def parse_day(value: str) -> date:
    """A date from the URL (YYYY-MM-DD) between FIRST_DAY and LAST_DAY, else 404 saying so."""
    try:
        day = date.fromisoformat(value)
    except ValueError:
        day = None
    if day is None or not FIRST_DAY <= day <= LAST_DAY:
        abort(
            make_response(
                *render_error(
                    404,
                    _("Not found"),
                    _(
                        "There is no page for this day. Days from %(first)s to %(last)s can be shown.",
                        first=FIRST_DAY.isoformat(),
                        last=LAST_DAY.isoformat(),
                    ),
                )
            )
        )
    return day


def safe_redirect_target(target: str | None, fallback: str | None = None) -> str | None:
    """`target` if it is a path on this site, else `fallback`: the one check for every `next` the app
    follows (no scheme or host, no protocol-relative //, no backslash, no control character)."""
    if not target or _CONTROL.search(target) or "\\" in target:
        return fallback
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return fallback
    return target


def navigate_url(
    lat: float | None = None, lon: float | None = None, *, address: str | None = None
) -> str:
    """A maps link to the coordinates, else to the address (the phone opens its navigation app on a tap)."""
    if lat is not None and lon is not None:
        destination = f"{lat:.6f},{lon:.6f}"
    else:
        destination = quote(address or "", safe="/")
    return f"https://www.google.com/maps/dir/?api=1&destination={destination}"
