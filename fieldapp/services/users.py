"""Accounts: creating users, checking and changing passwords, enabling and disabling members, and the
session version that ends every session of a user at once."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask_babel import gettext as _
from sqlmodel import Session, col, select
from werkzeug.security import check_password_hash, generate_password_hash

from ..errors import Forbidden, NotFound, ValidationError
from ..models import Role, Team, User, utcnow
from . import audit, report_review

EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MIN_PASSWORD = 8
# A password a user picks themselves (change, reset, set-password): longer than the initial one a manager types.
MIN_CHOSEN_PASSWORD = 10
# Werkzeug's scrypt (memory-hard, in the standard library): every new hash uses it; any other stored hash
# (the pbkdf2 of older installs) is replaced at the next successful sign-in.
HASH_METHOD = "scrypt"
CURRENT_HASH_PREFIX = "scrypt:32768:8:1$"
# The most guessed passwords, refused whatever their length.
COMMON_PASSWORDS = frozenset({"password123", "1234567890", "qwertyuiop", "password1234",
                              "0123456789", "abcdefghij", "iloveyou12", "fieldcompanion"})  # fmt: skip
# Checked against when the email is unknown, so a wrong email takes as long as a wrong password.
_DUMMY_HASH = generate_password_hash("not-a-real-password", method=HASH_METHOD)


def hash_password(password: str) -> str:
    return generate_password_hash(password, method=HASH_METHOD)


def password_problem(password: str, *, user: User | None = None) -> str | None:
    """Why a chosen password is too weak (in the user's language), else None."""
    if len(password) < MIN_CHOSEN_PASSWORD:
        return _("The password must be at least %(n)d characters.", n=MIN_CHOSEN_PASSWORD)
    if len(set(password)) < 5:
        return _("The password repeats too few characters; mix in more different ones.")
    lowered = password.lower()
    if lowered in COMMON_PASSWORDS:
        return _("This password is too common; please choose another.")
    if user is not None:
        local_part = user.email.split("@", 1)[0].lower()
        if len(local_part) >= 3 and local_part in lowered:
            return _("The password must not contain your email address.")
    return None


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
        password_hash=hash_password(password),
        **profile,
    )
    audit.Trail(session, actor, team_id).flushed(
        "user", user, None, ("email", "name", "role", "active")
    )
    return user


def authenticate(session: Session, *, email: str, password: str) -> User | None:
    """The active user with these credentials, else None; a hash of an older algorithm is replaced now
    (the only moment the plain password is known) and the sign-in time recorded."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password) or not user.active:
        return None
    if not user.password_hash.startswith(CURRENT_HASH_PREFIX):
        user.password_hash = hash_password(password)
    user.last_login_at = utcnow()
    session.add(user)
    session.flush()
    return user


@dataclass(frozen=True)
class SignedIn:
    """Who a request is from, their team, and the count every page's navigation shows them."""

    user: User
    team: Team
    unread_report_comments: int


def load_signed_in(session: Session, session_id: str) -> SignedIn | None:
    """The active user a session id ("id:version") names, if that version is still the current one.

    Their team and unread report comments come in the same question: every request of a signed-in
    user begins here, and nearly every page then needs the team (its timezone makes "today") and the
    Me tab's badge (context.remember_signed_in keeps both for the request); on PostgreSQL that is two
    round trips fewer a page."""
    user_id, _sep, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()) or len(user_id) > 18 or len(version) > 18:
        return None
    unread = report_review.unread_count_query(User.id).scalar_subquery()
    row = session.exec(
        select(User, Team, unread)
        .join(Team, col(Team.id) == User.team_id)
        .where(User.id == int(user_id))
    ).first()
    if row is None:
        return None
    user, team, unread_count = row
    if not user.active or user.session_version != int(version):
        return None
    return SignedIn(user=user, team=team, unread_report_comments=int(unread_count))


def end_sessions(session: Session, *, user: User) -> None:
    """Every session of this user (every browser, every remember-me cookie) ends at its next request."""
    user.session_version += 1
    session.add(user)
    session.flush()


def may_manage(actor: User, member: User) -> bool:
    """Whether `actor` may change `member`'s account (disable, reset the password, edit): a manager or admin
    of the same team, never on themselves; a manager only on reps, an admin on anyone of the team."""
    if not actor.is_manager or member.team_id != actor.team_id or member.id == actor.id:
        return False
    return actor.role == Role.ADMIN or member.role == Role.REP


def change_password(
    session: Session, *, actor: User, current: str | None, new: str, confirm: str
) -> User:
    """The user's own new password; the current one is required unless a reset made them choose one.
    Every other session of the user ends (the caller signs this browser in again)."""
    errors: dict[str, str] = {}
    if not actor.must_change_password and not check_password_hash(
        actor.password_hash, current or ""
    ):
        errors["current_password"] = _("The current password is not correct.")
    problem = password_problem(new, user=actor)
    if problem:
        errors["new_password"] = problem
    elif check_password_hash(actor.password_hash, new):
        errors["new_password"] = _("Please choose a password different from the current one.")
    if new != confirm:
        errors["confirm_password"] = _("The two new passwords differ.")
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    actor.password_hash = hash_password(new)
    actor.must_change_password = False
    end_sessions(session, user=actor)
    audit.Trail(session, actor, actor.team_id).saved("user", actor.id, None, None, "password")
    return actor


def reset_password(session: Session, *, actor: User, user_id: int, temporary: str) -> User:
    """A manager gives a member a temporary password: the member's sessions end and they must choose
    their own at the next sign-in."""
    member = session.get(User, user_id)
    if member is None or member.team_id != actor.team_id:
        raise NotFound(_("User not found."))
    if not may_manage(actor, member):
        raise Forbidden(_("You may not change this account."))
    if len(temporary) < MIN_PASSWORD:
        raise ValidationError(
            _("The password must be at least %(n)d characters.", n=MIN_PASSWORD), field="password"
        )
    member.password_hash = hash_password(temporary)
    member.must_change_password = True
    end_sessions(session, user=member)
    audit.Trail(session, actor, member.team_id).saved(
        "user", member.id, None, None, "password_reset"
    )
    return member


def set_password(session: Session, *, email: str, password: str) -> User:
    """The operator's `fieldapp users set-password`: a chosen password, sessions ended, no forced change."""
    user = session.exec(select(User).where(User.email == normalise_email(email))).first()
    if user is None:
        raise NotFound(_("User not found."))
    problem = password_problem(password, user=user)
    if problem:
        raise ValidationError(problem)
    user.password_hash = hash_password(password)
    user.must_change_password = False
    end_sessions(session, user=user)
    return user


def set_active(session: Session, *, actor: User, user_id: int, active: bool) -> User:
    """A manager enables or disables a rep of their own team, an admin anyone of it (never themselves);
    disabling ends the member's sessions."""
    user = session.get(User, user_id)
    if user is None or user.team_id != actor.team_id:
        raise NotFound(_("User not found."))
    if not actor.is_manager:
        raise Forbidden(_("Only managers can do this."))
    if user.id == actor.id:
        raise ValidationError(_("You cannot disable your own account."))
    if not may_manage(actor, user):
        raise Forbidden(_("You may not change this account."))
    before = audit.snapshot(user, ("active",))
    user.active = active
    if not active:
        user.session_version += 1
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
