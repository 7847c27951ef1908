"""Audit trail: one event per change, written in the same transaction as the change itself."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlmodel import Session, SQLModel, select

from ..models import AuditEvent, User


def snapshot(row: SQLModel, fields: tuple[str, ...] | None = None) -> dict[str, Any]:
    """Plain JSON-safe view of a row's columns (or the named ones)."""
    data = row.model_dump(include=set(fields) if fields else None)
    return {key: _jsonable(value) for key, value in data.items()}


def _jsonable(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    return value


def record(
    session: Session,
    *,
    actor: User | None,
    team_id: int,
    entity: str,
    entity_id: int,
    action: str,
    before: dict[str, Any] | None = None,
    after: dict[str, Any] | None = None,
) -> AuditEvent | None:
    """Write an audit event; for updates only the fields that changed are kept. Returns None if nothing changed."""
    return Trail(session, actor, team_id).saved(entity, entity_id, before, after, action)


@dataclass(frozen=True)
class Trail:
    """The audit events of one operation: the session, who acts and in which team, bound once."""

    session: Session
    actor: User | None
    team_id: int

    def saved(
        self,
        entity: str,
        entity_id: int,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        action: str | None = None,
    ) -> AuditEvent | None:
        """Record a change; without an action it is a create (nothing before) or an update."""
        if action is None:
            action = "create" if before is None else "update"
        # SQLite does not enforce VARCHAR lengths, PostgreSQL does: fail the same way on both.
        for name, value in (("entity", entity), ("action", action)):
            limit = AuditEvent.__table__.c[name].type.length
            if len(value) > limit:
                raise ValueError(f"audit {name} {value!r} is longer than {limit} characters")
        if before is not None and after is not None:
            changed = {k for k in after if before.get(k) != after.get(k)}
            if not changed:
                return None
            before = {k: before.get(k) for k in sorted(changed)}
            after = {k: after[k] for k in sorted(changed)}
        event = AuditEvent(
            team_id=self.team_id,
            actor_id=self.actor.id if self.actor else None,
            entity=entity,
            entity_id=entity_id,
            action=action,
            before=json.dumps(before, ensure_ascii=False) if before is not None else None,
            after=json.dumps(after, ensure_ascii=False) if after is not None else None,
        )
        self.session.add(event)
        self.session.flush()
        return event

    def flushed(
        self,
        entity: str,
        row: SQLModel,
        before: dict[str, Any] | None,
        fields: tuple[str, ...],
        action: str | None = None,
    ) -> AuditEvent | None:
        """Add and flush a new or changed row (so it has its id), then record its `fields` now."""
        self.session.add(row)
        self.session.flush()
        return self.saved(entity, row.id, before, snapshot(row, fields), action)

    def deleted(self, entity: str, row: SQLModel, before: dict[str, Any]) -> AuditEvent | None:
        """Delete a row; the event keeps what it was (`before`, with its id)."""
        self.session.delete(row)
        self.session.flush()
        return self.saved(entity, before["id"], before, None, action="delete")


def history(session: Session, *, entity: str, entity_id: int, limit: int = 50) -> list[AuditEvent]:
    """Newest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.exec(stmt))
