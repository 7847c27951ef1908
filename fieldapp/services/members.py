"""A manager's page of one team member: name, role within the team, active, and planning settings.

Who may change what: a manager edits the members of their own team (another team's member does not
exist for them); only an administrator disables, demotes or promotes to administrator a manager or
an administrator; nobody changes their own role or disables their own account here.
"""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session

from ..errors import Forbidden, NotFound, StaleEdit, ValidationError
from ..models import Role, User
from . import audit, planning_settings, users

MEMBER_FIELDS = ("name", "role", "active")


def member_for(session: Session, *, actor: User, user_id: int) -> User:
    """A member of the actor's own team (404 otherwise); only managers and admins may ask (403)."""
    if not actor.is_manager:
        raise Forbidden(_("Only managers can do this."))
    user = session.get(User, user_id)
    if user is None or user.team_id != actor.team_id:
        raise NotFound(_("User not found."))
    return user


def assignable_roles(actor: User, member: User) -> list[str]:
    """The roles the actor may give this member (the member's own role always among them)."""
    if actor.id == member.id:
        return [member.role]
    if actor.role == Role.ADMIN:
        return [Role.REP, Role.MANAGER, Role.ADMIN]
    if member.role in (Role.MANAGER, Role.ADMIN):
        return [member.role]
    return [Role.REP, Role.MANAGER]


def can_change_account(actor: User, member: User) -> bool:
    """Whether the actor may change this member's role or disable them (the team page's one rule)."""
    return users.may_manage(actor, member)


def update_member(
    session: Session,
    *,
    actor: User,
    user_id: int,
    version: int,
    name: str,
    role: str,
    active: bool,
    **settings: Any,
) -> User:
    """Save the member page: account fields and planning settings together, one version, audited."""
    member = member_for(session, actor=actor, user_id=user_id)
    if version != member.settings_version:
        raise StaleEdit(
            _("These settings were changed by someone else. Please check and try again.")
        )
    name = (name or "").strip()
    if not name or len(name) > 120:
        raise ValidationError(_("Please enter a name."), field="name")
    if role not in {str(r) for r in Role}:
        raise ValidationError(_("Unknown role."), field="role")
    if role != member.role or active != member.active:
        if actor.id == member.id:
            raise ValidationError(
                _("You cannot change your own role or account here."), field="role"
            )
        if not can_change_account(actor, member) or role not in assignable_roles(actor, member):
            raise Forbidden(
                _(
                    "Only an administrator can change the role or account of a manager or administrator."
                )
            )
    before = audit.snapshot(member, MEMBER_FIELDS)
    member.name, member.role, member.active = name, role, bool(active)
    audit.Trail(session, actor, member.team_id).flushed("user", member, before, MEMBER_FIELDS)
    return planning_settings.update_settings(
        session, actor=actor, user=member, version=version, **settings
    )
