"""Teams and their timezones."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlmodel import Session

from ..errors import ValidationError
from ..models import Team


@lru_cache(maxsize=64)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def create_team(session: Session, *, name: str, timezone: str = "Asia/Tokyo") -> Team:
    """A new team; the timezone must be a real IANA zone."""
    try:
        zone(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationError(f"Unknown timezone: {timezone}") from exc
    team = Team(name=name.strip(), timezone=timezone)
    session.add(team)
    session.flush()
    return team
