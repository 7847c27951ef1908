"""Personal API tokens: made on *Me*, shown once, kept only as a SHA-256, scoped read or read-write.

A token is 32 random bytes (URL-safe), so a plain SHA-256 is enough to keep it: there is nothing to
guess that a slow password hash would protect. The first characters are kept in the clear so the
owner can tell their tokens apart on *Me*.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask_babel import gettext as _
from sqlmodel import Session, col, select

from ..errors import NotFound, ValidationError
from ..models import ApiToken, User
from . import audit

READ, READ_WRITE = "read", "read-write"
SCOPES = (READ, READ_WRITE)
NAME_MAX = 80
# Every token starts with this, so a leaked one is recognisable (secret scanners, logs).
TOKEN_PREFIX = "fc_"
# last_used_at is written at most this often per token: a busy integration must not write every call.
LAST_USED_EVERY = timedelta(minutes=1)
# A person keeps a handful of integrations, not hundreds.
MAX_ACTIVE = 20


@dataclass(frozen=True)
class IssuedToken:
    """The new token row and the token itself, which is shown to the user this once."""

    row: ApiToken
    token: str


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def create_token(
    session: Session, *, actor: User, name: str, scope: str, now: datetime
) -> IssuedToken:
    """A new token for the actor; the caller shows `token` once, the database keeps its hash."""
    name = (name or "").strip()
    if not name:
        raise ValidationError(_("Give the token a name, e.g. the tool that uses it."), field="name")
    if len(name) > NAME_MAX:
        raise ValidationError(_("At most %(n)d characters.", n=NAME_MAX), field="name")
    if scope not in SCOPES:
        raise ValidationError(_("Choose read or read and write."), field="scope")
    if len(active_tokens(session, user=actor)) >= MAX_ACTIVE:
        raise ValidationError(
            _("You have %(n)d tokens already. Revoke one you no longer use.", n=MAX_ACTIVE)
        )
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(
        user_id=actor.id,
        name=name,
        prefix=token[:10],
        token_hash=hash_token(token),
        scope=scope,
        created_at=now,
    )
    audit.Trail(session, actor, actor.team_id).flushed(
        "api_token", row, None, ("name", "prefix", "scope")
    )
    return IssuedToken(row=row, token=token)


def active_tokens(session: Session, *, user: User) -> list[ApiToken]:
    """The user's tokens that still work, newest first (what *Me* lists)."""
    stmt = (
        select(ApiToken)
        .where(ApiToken.user_id == user.id, col(ApiToken.revoked_at).is_(None))
        .order_by(col(ApiToken.created_at).desc(), col(ApiToken.id).desc())
    )
    return list(session.exec(stmt))


def revoke(session: Session, *, actor: User, token_id: int, now: datetime) -> ApiToken:
    """Stop one of the actor's own tokens at once (another user's token does not exist for them)."""
    row = session.get(ApiToken, token_id)
    if row is None or row.user_id != actor.id or row.revoked_at is not None:
        raise NotFound(_("This token does not exist."))
    before = audit.snapshot(row, ("revoked_at",))
    row.revoked_at = now
    audit.Trail(session, actor, actor.team_id).flushed(
        "api_token", row, before, ("revoked_at",), action="revoke"
    )
    return row


def authenticate(session: Session, *, token: str, now: datetime) -> tuple[User, ApiToken] | None:
    """The active user and token row for a bearer token, else None; notes the last use."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    row = session.exec(select(ApiToken).where(ApiToken.token_hash == hash_token(token))).first()
    if row is None or row.revoked_at is not None:
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if row.last_used_at is None or now - row.last_used_at >= LAST_USED_EVERY:
        row.last_used_at = now
        session.add(row)
        session.flush()
    return user, row
