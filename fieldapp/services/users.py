"""Accounts: creating users, checking passwords, enabling and disabling reps."""

from __future__ import annotations

import re

from flask_babel import gettext as _
from sqlmodel import Session, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Forbidden, NotFound, ValidationError
from ..models import Role, Team, User
from . import audit

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password")


def normalise_email(email: str) -> str:
    return email.strip().lower()


def create_user(
    session: Session,
    *,
    team_id: int,
    email: str,
    name: str,
    password: str,
    role: str = Role.REP,
    language: str | None = None,
    actor: User | None = None,
    **profile: object,
) -> User:
    """Create an account after checking email, password length and role."""
    email = normalise_email(email)
    if not EMAIL_RE.match(email):
        raise ValidationError(_("Please enter a valid email address."))
    if len(password) < MIN_PASSWORD:
        raise ValidationError(_("The password must be at least %(n)d characters.", n=MIN_PASSWORD))
    if role not in {r.value for r in Role}:
        raise ValidationError(_("Unknown role."))
    if session.get(Team, team_id) is None:
        raise NotFound(_("Team not found."))
    if session.exec(select(User).where(User.email == email)).first():
        raise ValidationError(_("This email address is already in use."))
    if not name.strip():
        raise ValidationError(_("Please enter a name."))
    user = User(
        team_id=team_id,
        email=email,
        name=name.strip(),
        role=role,
        language=language,
        password_hash=generate_password_hash(password),
        **profile,
    )
    audit.Trail(session, actor, team_id).flushed(
        "user", user, None, ("email", "name", "role", "active")
    )
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with these credentials, else None."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    return user


def set_active(session: Session, *, actor: User, user_id: int, active: bool) -> User:
    """A manager enables or disables someone in their own team (never themselves)."""
    user = session.get(User, user_id)
    if user is None or user.team_id != actor.team_id:
        raise NotFound(_("User not found."))
    if not actor.is_manager:
        raise Forbidden(_("Only managers can do this."))
    if user.id == actor.id:
        raise ValidationError(_("You cannot disable your own account."))
    if user.role != Role.REP and actor.role != Role.ADMIN:
        raise ValidationError(
            _("Only an administrator can change the role or account of a manager or administrator.")
        )
    before = audit.snapshot(user, ("active",))
    user.active = active
    audit.Trail(session, actor, user.team_id).flushed("user", user, before, ("active",))
    return user


def team_members(session: Session, *, team_id: int) -> list[User]:
    return list(
        session.exec(select(User).where(User.team_id == team_id).order_by(User.role, User.name))
    )


def set_language(session: Session, *, user: User, language: str | None) -> User:
    """The user's UI language; None follows the browser."""
    if language not in (None, "ja", "en"):
        raise ValidationError(_("Unknown language."))
    user.language = language
    session.add(user)
    session.flush()
    return user
