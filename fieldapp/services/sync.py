"""Replaying what a rep did offline: check-ins, check-outs and visit logs from the phone's outbox.

The phone records each action with the time it happened and an idempotency key, and sends it when the
connection returns, possibly more than once (a lost response, two tabs, a retry after a timeout). Every
function here is therefore safe to call again with the same entry: a check-in keeps the first time, a
check-out too, and a visit log with a known key returns the visit stored the first time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session

from ..errors import ValidationError
from ..models import MAX_ID, User, Visit, VisitStatus
from . import visits
from .day import actions
from .day.position import Position

# A phone clock a few minutes ahead is normal; more than that is a wrong clock, not a real time.
CLOCK_SKEW = timedelta(minutes=5)
# Older entries are refused: a phone that was offline for weeks should not rewrite old days silently.
MAX_AGE = timedelta(days=30)


@dataclass(frozen=True)
class SyncResult:
    """What the server holds after the entry: the visit, and whether the entry had been applied before."""

    visit: Visit
    replayed: bool


def captured_at(value: Any, *, now: datetime, field: str = "at") -> datetime:
    """The time the phone recorded the action: timezone-aware, not in the future, not weeks old."""
    message = _("Please give the time with its timezone.")
    if not isinstance(value, str) or not value.strip():
        raise ValidationError(message, field=field)
    try:
        when = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
    except ValueError as exc:
        raise ValidationError(message, field=field) from exc
    if when.tzinfo is None:
        raise ValidationError(message, field=field)
    if when > now + CLOCK_SKEW:
        raise ValidationError(
            _("The time recorded on the phone is in the future. Please check the phone's clock."),
            field=field,
        )
    if when < now - MAX_AGE:
        raise ValidationError(
            _("This was recorded more than %(n)d days ago and cannot be sent any more.", n=30),
            field=field,
        )
    # Within the tolerated skew the server's clock wins, so nothing is stored in the future.
    return min(when, now)


def parse_id(value: Any, *, field: str, required: bool = True) -> int | None:
    """A positive integer id from JSON (numbers or digit strings); None when optional and absent."""
    if value is None or value == "":
        if required:
            raise ValidationError(_("The data sent is not in the expected form."), field=field)
        return None
    if isinstance(value, bool):
        raise ValidationError(_("The data sent is not in the expected form."), field=field)
    try:
        number = int(value)
    except (TypeError, ValueError) as exc:
        raise ValidationError(_("The data sent is not in the expected form."), field=field) from exc
    # Above a signed 64-bit integer no row can have the id (and the database would fail on the query).
    if not 0 < number <= MAX_ID or (isinstance(value, float) and number != value):
        raise ValidationError(_("The data sent is not in the expected form."), field=field)
    return number


class StopEvent(StrEnum):
    """What the phone recorded at a stop while offline."""

    CHECK_IN = "check_in"
    CHECK_OUT = "check_out"


def stop_event(
    session: Session,
    *,
    actor: User,
    event: StopEvent,
    stop_id: int,
    position: Position | None,
    at: datetime,
) -> SyncResult:
    """Check in or out at the time the phone recorded; the first one is kept when the entry comes again."""
    _plan, stop = actions.own_stop(session, actor=actor, stop_id=stop_id, for_update=True)
    visit = session.get(Visit, stop.visit_id) if stop.visit_id else None
    if event is StopEvent.CHECK_IN:
        # A stop already started or done keeps its data.
        if visit is not None and stop.state in (VisitStatus.IN_PROGRESS, VisitStatus.DONE):
            return SyncResult(visit=visit, replayed=True)
        # No plan version: the rep acted on the screen they had, and a check-in never reorders anything.
        visit = actions.check_in(
            session, actor=actor, stop_id=stop.id, now=at, position=position, version=None
        )
    else:
        if visit is not None and visit.check_out_at is not None:
            return SyncResult(visit=visit, replayed=True)
        visit = actions.check_out(session, actor=actor, stop_id=stop.id, now=at, position=position)
    return SyncResult(visit=visit, replayed=False)


def _open_visit_of_stop(
    session: Session, *, actor: User, stop_id: int, customer_id: int
) -> int | None:
    """The visit an offline check-in started at this stop, which the log completes (else a new visit)."""
    _plan, stop = actions.own_stop(session, actor=actor, stop_id=stop_id)
    if stop.customer_id != customer_id:
        raise ValidationError(_("This stop is at another customer."), field="stop_id")
    visit = session.get(Visit, stop.visit_id) if stop.visit_id else None
    if visit is None or visit.status not in (VisitStatus.PLANNED, VisitStatus.IN_PROGRESS):
        return None
    return visit.id


def log_visit(
    session: Session,
    *,
    actor: User,
    customer_id: int,
    key: str,
    data: visits.VisitInput,
    at: datetime,
    stop_id: int | None = None,
    visit_id: int | None = None,
) -> SyncResult:
    """Store an offline visit log once per key, completing the stop's checked-in visit when there is one."""
    key = (key or "").strip()
    if not key:
        raise ValidationError(_("The submission key is missing."), field="key")
    existing = visits.by_idempotency_key(session, key)
    if visit_id is None and stop_id is not None and existing is None:
        visit_id = _open_visit_of_stop(
            session, actor=actor, stop_id=stop_id, customer_id=customer_id
        )
    # log_visit itself answers a known key with the stored visit (also against a concurrent copy).
    visit = visits.log_visit(
        session,
        actor=actor,
        customer_id=customer_id,
        data=data,
        now=at,
        idempotency_key=key,
        visit_id=visit_id,
    )
    return SyncResult(visit=visit, replayed=existing is not None)
