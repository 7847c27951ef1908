"""The team's local "today" and "now"; services take these as arguments so tests control time."""

from __future__ import annotations

from datetime import UTC, date, datetime

from .teams import zone


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_today(timezone: str, now: datetime | None = None) -> date:
    """The calendar date in the team's timezone."""
    return (now or now_utc()).astimezone(zone(timezone)).date()
