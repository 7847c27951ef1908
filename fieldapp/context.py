"""The request-side seam: the signed-in user's team, the team's local today and the user's unread report
comments, read once per request (on g)."""

from __future__ import annotations

from datetime import date

from flask import current_app, g
from flask_login import current_user

from .db import get_session
from .models import Team
from .services import clock, report_review, users


def current_team() -> Team:
    """The signed-in user's team, read once per request."""
    team = g.get("current_team")
    # Keyed on the team id: signing in as someone else within one request must not see the old team.
    if team is None or team.id != current_user.team_id:
        team = get_session().get(Team, current_user.team_id)
        g.current_team = team
    return team


def team_today() -> date:
    """Today's date where the signed-in user's team works."""
    return clock.local_today(current_team().timezone)


def team_timezone_name() -> str:
    """The signed-in user's team timezone (for Babel), else the configured default."""
    if current_user and current_user.is_authenticated:
        team = current_team()
        if team is not None:
            return team.timezone
    return current_app.config["DEFAULT_TIMEZONE"]


def remember_signed_in(signed_in: users.SignedIn) -> None:
    """The team and the badge's count as read with the signed-in user (users.load_signed_in): the
    request asks for neither again."""
    g.current_team = signed_in.team
    g.unread_report_comments = (signed_in.user.id, signed_in.unread_report_comments)


def unread_report_comments_changed() -> None:
    """The user read (or was sent) comments during this request: the badge counts again."""
    g.pop("unread_report_comments", None)


def unread_report_comments() -> int:
    """Comments on the signed-in user's daily reports they have not read yet (the Me tab's badge):
    one count per request, 0 without a signed-in user."""
    if not (current_user and current_user.is_authenticated):
        return 0
    cached = g.get("unread_report_comments")
    # Keyed on the user id, like current_team: a sign-in within the request counts for the new user.
    if cached is None or cached[0] != current_user.id:
        count = report_review.unread_count(get_session(), rep_id=current_user.id)
        cached = g.unread_report_comments = (current_user.id, count)
    return cached[1]
