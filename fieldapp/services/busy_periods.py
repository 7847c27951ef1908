"""A customer's busy periods: list, add or change (merging overlaps), remove; the rules are in busy.py."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session, select

from ..errors import NotFound
from ..models import BusyPeriod, Customer, User
from . import audit, busy
from .customers import ENTITY_BUSY, require_edit

BUSY_FIELDS = ("kind", "weekdays", "start_date", "end_date", "start_min", "end_min", "label")


def list_busy(session: Session, *, customer_id: int) -> list[BusyPeriod]:
    stmt = (
        select(BusyPeriod)
        .where(BusyPeriod.customer_id == customer_id)
        .order_by(
            BusyPeriod.kind.desc(),
            BusyPeriod.start_date,
            BusyPeriod.weekdays,
            BusyPeriod.start_min,
            BusyPeriod.id,
        )
    )
    return list(session.exec(stmt))


def get_busy(session: Session, *, customer: Customer, period_id: int) -> BusyPeriod:
    period = session.get(BusyPeriod, period_id)
    if period is None or period.customer_id != customer.id:
        raise NotFound(_("This busy period does not exist."))
    return period


def _busy_snapshot(period: BusyPeriod) -> dict[str, Any]:
    return audit.snapshot(period, ("id", "customer_id") + BUSY_FIELDS)


def save_busy(
    session: Session,
    *,
    actor: User,
    customer: Customer,
    spec: busy.BusySpec,
    period: BusyPeriod | None = None,
) -> BusyPeriod:
    """Add or change a busy period; periods on the same days that overlap are merged into it."""
    require_edit(actor, customer)
    others = [
        (p.id, p)
        for p in list_busy(session, customer_id=customer.id)
        if period is None or p.id != period.id
    ]
    merged, absorbed = busy.merge_with(spec, others)
    before = _busy_snapshot(period) if period is not None else None
    if period is None:
        period = BusyPeriod(customer_id=customer.id)
        session.add(period)
    for key in BUSY_FIELDS:
        setattr(period, key, getattr(merged, key))
    session.flush()
    trail = audit.Trail(session, actor, customer.team_id)
    for period_id, other in others:
        if period_id in absorbed:
            trail.deleted(ENTITY_BUSY, other, _busy_snapshot(other))  # type: ignore[arg-type]
    trail.saved(ENTITY_BUSY, period.id, before, _busy_snapshot(period))
    return period


def delete_busy(session: Session, *, actor: User, customer: Customer, period: BusyPeriod) -> None:
    require_edit(actor, customer)
    audit.Trail(session, actor, customer.team_id).deleted(
        ENTITY_BUSY, period, _busy_snapshot(period)
    )
