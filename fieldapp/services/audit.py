"""Audit trail: one event per change, written in the same transaction as the change itself."""

from __future__ import annotations

import json
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
        team_id=team_id,
        actor_id=actor.id if actor else None,
        entity=entity,
        entity_id=entity_id,
        action=action,
        before=json.dumps(before, ensure_ascii=False) if before is not None else None,
        after=json.dumps(after, ensure_ascii=False) if after is not None else None,
    )
    session.add(event)
    session.flush()
    return event


def history(session: Session, *, entity: str, entity_id: int, limit: int = 50) -> list[AuditEvent]:
    """Newest first."""
    stmt = (
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
        .limit(limit)
    )
    return list(session.exec(stmt))
