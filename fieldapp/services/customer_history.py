"""A customer's full history: every visit, order and recorded change, newest first, paged, by kind.

The three sources are read newest first, each only as far as the page needs (page × size rows, plus
one to know whether a next page exists), and merged by time; an order (a date) counts at noon of its
day in the team's timezone.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import Customer, OrderLine, Product, Team, User, Visit
from . import customers
from .teams import zone

PAGE_SIZE = 20
MAX_PAGE = 500
KINDS = ("all", "visits", "orders", "changes")


@dataclass
class OrderGroup:
    """The lines ordered on one day (at one visit)."""

    ordered_on: date
    visit_id: int | None
    lines: list[tuple[str, int, int]] = field(
        default_factory=list
    )  # product, quantity, amount (yen)

    @property
    def total(self) -> int:
        return sum(amount for _name, _quantity, amount in self.lines)


@dataclass
class TimelineEntry:
    kind: str  # visit / order / change
    at: datetime
    visit: Visit | None = None
    order: OrderGroup | None = None
    change: customers.HistoryEntry | None = None


@dataclass
class TimelinePage:
    entries: list[TimelineEntry]
    page: int
    kind: str
    has_next: bool
    reps: dict[int, str]


def _visit_time(visit: Visit) -> datetime:
    return visit.check_in_at or visit.scheduled_start or visit.created_at


def _visits(session: Session, customer: Customer, limit: int) -> list[TimelineEntry]:
    moment = func.coalesce(Visit.check_in_at, Visit.scheduled_start, Visit.created_at)
    stmt = (
        select(Visit)
        .where(Visit.customer_id == customer.id)
        .order_by(moment.desc(), col(Visit.id).desc())
        .limit(limit)
    )
    return [TimelineEntry("visit", _visit_time(v), visit=v) for v in session.exec(stmt)]


def _orders(session: Session, customer: Customer, limit: int, timezone: str) -> list[TimelineEntry]:
    groups = session.exec(
        select(OrderLine.ordered_on, OrderLine.visit_id)
        .where(OrderLine.customer_id == customer.id)
        .group_by(OrderLine.ordered_on, OrderLine.visit_id)
        .order_by(col(OrderLine.ordered_on).desc(), col(OrderLine.visit_id).desc())
        .limit(limit)
    ).all()
    if not groups:
        return []
    oldest = min(day for day, _visit in groups)
    by_key: dict[tuple[date, int | None], OrderGroup] = {
        (day, visit_id): OrderGroup(day, visit_id) for day, visit_id in groups
    }
    rows = session.exec(
        select(OrderLine, Product.name)
        .join(Product, col(Product.id) == OrderLine.product_id)
        .where(OrderLine.customer_id == customer.id, col(OrderLine.ordered_on) >= oldest)
        .order_by(OrderLine.id)
    )
    for line, product_name in rows:
        group = by_key.get((line.ordered_on, line.visit_id))
        if group is not None:
            group.lines.append((product_name, line.quantity, line.quantity * line.unit_price))
    tz = zone(timezone)
    return [
        TimelineEntry(
            "order",
            datetime.combine(group.ordered_on, time(12), tzinfo=tz).astimezone(UTC),
            order=group,
        )
        for group in by_key.values()
    ]


def timeline(
    session: Session, *, customer: Customer, kind: str = "all", page: int = 1, lang: str = "ja"
) -> TimelinePage:
    """One page of the customer's history, newest first; `kind` is all, visits, orders or changes."""
    kind = kind if kind in KINDS else "all"
    page = max(1, min(MAX_PAGE, page))
    wanted = page * PAGE_SIZE + 1
    entries: list[TimelineEntry] = []
    if kind in ("all", "visits"):
        entries += _visits(session, customer, wanted)
    if kind in ("all", "orders"):
        team = session.get(Team, customer.team_id)
        entries += _orders(session, customer, wanted, team.timezone if team else "Asia/Tokyo")
    if kind in ("all", "changes"):
        entries += [
            TimelineEntry("change", entry.event.at, change=entry)
            for entry in customers.history(session, customer=customer, lang=lang, limit=wanted)
        ]
    entries.sort(key=lambda e: e.at, reverse=True)
    start = (page - 1) * PAGE_SIZE
    rep_ids = {e.visit.rep_id for e in entries[start : start + PAGE_SIZE] if e.visit}
    reps = (
        dict(session.exec(select(User.id, User.name).where(col(User.id).in_(rep_ids))).all())
        if rep_ids
        else {}
    )
    return TimelinePage(
        entries=entries[start : start + PAGE_SIZE],
        page=page,
        kind=kind,
        has_next=len(entries) > start + PAGE_SIZE,
        reps=reps,
    )
