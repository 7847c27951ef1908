"""URL values shared by several blueprints (a day in the path is the same everywhere) and the maps link."""

from __future__ import annotations

from datetime import date
from urllib.parse import quote

from flask import abort


def parse_day(value: str) -> date:
    """A date from the URL (YYYY-MM-DD), else 404: a malformed day is a page that does not exist."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(404)


def navigate_url(
    lat: float | None = None, lon: float | None = None, *, address: str | None = None
) -> str:
    """A maps link to the coordinates, else to the address (the phone opens its navigation app on a tap)."""
    if lat is not None and lon is not None:
        destination = f"{lat:.6f},{lon:.6f}"
    else:
        destination = quote(address or "", safe="/")
    return f"https://www.google.com/maps/dir/?api=1&destination={destination}"
