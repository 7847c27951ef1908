"""Team records page by page for integrations (/api/v1): keyset paging on the id, so a page stays right
while rows are added, and no OFFSET scan grows with the page number.

Reading follows the UI: everyone in a team reads the team's customers, their visits, follow-ups and
orders; the catalogue is shared by all teams. Nothing here reads another team's rows.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from sqlmodel import Session, SQLModel, col, select

from ..models import BusyPeriod, Contact, Customer, FollowUp, OrderLine, Product, Visit

Row = TypeVar("Row", bound=SQLModel)
MAX_LIMIT = 200


@dataclass(frozen=True)
class Slice(Generic[Row]):
    """Up to `limit` rows after the given id, and the id to continue after (None: no more)."""

    items: list[Row]
    last_id: int | None


def _page(session: Session, stmt: Any, model: type[Row], *, after: int, limit: int) -> Slice[Row]:
    limit = max(1, min(limit, MAX_LIMIT))
    rows = list(
        session.exec(stmt.where(col(model.id) > after).order_by(col(model.id)).limit(limit + 1))
    )
    more = len(rows) > limit
    rows = rows[:limit]
    return Slice(items=rows, last_id=rows[-1].id if more and rows else None)


def customers(
    session: Session, *, team_id: int, after: int, limit: int, assigned_rep_id: int | None = None
) -> Slice[Customer]:
    stmt = select(Customer).where(Customer.team_id == team_id)
    if assigned_rep_id is not None:
        stmt = stmt.where(Customer.assigned_rep_id == assigned_rep_id)
    return _page(session, stmt, Customer, after=after, limit=limit)


def customer_parts(session: Session, *, customer_id: int) -> tuple[list[Contact], list[BusyPeriod]]:
    """The customer's contacts (primary first) and busy periods, in two queries."""
    contacts = session.exec(
        select(Contact)
        .where(Contact.customer_id == customer_id)
        .order_by(col(Contact.is_primary).desc(), col(Contact.id))
    )
    periods = session.exec(
        select(BusyPeriod).where(BusyPeriod.customer_id == customer_id).order_by(col(BusyPeriod.id))
    )
    return list(contacts), list(periods)


def _of_team(model: type[Row], team_id: int, customer_id: int | None) -> Any:
    stmt = select(model).join(Customer, col(Customer.id) == model.customer_id)
    stmt = stmt.where(Customer.team_id == team_id)
    if customer_id is not None:
        stmt = stmt.where(model.customer_id == customer_id)
    return stmt


def visits(
    session: Session, *, team_id: int, after: int, limit: int, customer_id: int | None = None
) -> Slice[Visit]:
    return _page(session, _of_team(Visit, team_id, customer_id), Visit, after=after, limit=limit)


def followups(
    session: Session,
    *,
    team_id: int,
    after: int,
    limit: int,
    customer_id: int | None = None,
    state: str | None = None,
    owner_id: int | None = None,
) -> Slice[FollowUp]:
    stmt = _of_team(FollowUp, team_id, customer_id)
    if state is not None:
        stmt = stmt.where(FollowUp.state == state)
    if owner_id is not None:
        stmt = stmt.where(FollowUp.owner_id == owner_id)
    return _page(session, stmt, FollowUp, after=after, limit=limit)


def orders(
    session: Session, *, team_id: int, after: int, limit: int, customer_id: int | None = None
) -> Slice[OrderLine]:
    stmt = _of_team(OrderLine, team_id, customer_id)
    return _page(session, stmt, OrderLine, after=after, limit=limit)


def products(session: Session, *, after: int, limit: int, active_only: bool) -> Slice[Product]:
    stmt = select(Product)
    if active_only:
        stmt = stmt.where(col(Product.active).is_(True))
    return _page(session, stmt, Product, after=after, limit=limit)
