"""URL values shared by several blueprints (a day in the path is the same everywhere)."""

from __future__ import annotations

from datetime import date

from flask import abort


def parse_day(value: str) -> date:
    """A date from the URL (YYYY-MM-DD), else 404: a malformed day is a page that does not exist."""
    try:
        return date.fromisoformat(value)
    except ValueError:
        abort(404)
