"""Teams and their timezones."""

from __future__ import annotations

from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flask import current_app
from sqlmodel import Session

from ..errors import ValidationError
from ..models import Team


def team_timezone_name(team_id: int) -> str:
    """The team's IANA timezone name (read through the request session)."""
    from ..db import get_session

    team = get_session().get(Team, team_id)
    return team.timezone if team else current_app.config["DEFAULT_TIMEZONE"]


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
