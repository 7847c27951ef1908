"""Home-page figures: a rep's due customers and a manager's team at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, select

from ..models import Customer, CustomerStatus, FollowUp, FollowUpState, Role, User


@dataclass(frozen=True)
class RepCoverage:
    rep: User
    customers: int
    overdue: int
    open_followups: int


def due_customers(session: Session, *, rep: User, today: date, limit: int = 30) -> list[Customer]:
    """The rep's active customers due by today, most overdue first (never-visited first of all)."""
    stmt = (
        select(Customer)
        .where(
            Customer.team_id == rep.team_id,
            Customer.assigned_rep_id == rep.id,
            Customer.status != CustomerStatus.LOST,
            (Customer.next_due_on <= today) | (Customer.next_due_on.is_(None)),
        )
        .order_by(
            Customer.next_due_on.is_(None).desc(), Customer.next_due_on, Customer.rank, Customer.id
        )
        .limit(limit)
    )
    return list(session.exec(stmt))


def count_assigned(session: Session, *, rep: User) -> int:
    stmt = select(func.count()).select_from(Customer).where(Customer.assigned_rep_id == rep.id)
    return session.exec(stmt).one()


def open_followups(session: Session, *, user: User, limit: int = 10) -> list[FollowUp]:
    stmt = (
        select(FollowUp)
        .where(FollowUp.owner_id == user.id, FollowUp.state == FollowUpState.OPEN)
        .order_by(FollowUp.due_date.is_(None), FollowUp.due_date, FollowUp.id)
        .limit(limit)
    )
    return list(session.exec(stmt))


def team_coverage(session: Session, *, team_id: int, today: date) -> list[RepCoverage]:
    """Per rep in the team: customers assigned, overdue, open follow-ups."""
    reps = list(
        session.exec(
            select(User).where(User.team_id == team_id, User.role == Role.REP).order_by(User.name)
        )
    )
    overdue_expr = func.sum(case((Customer.next_due_on < today, 1), else_=0))
    rows = session.exec(
        select(Customer.assigned_rep_id, func.count(), overdue_expr)
        .where(Customer.team_id == team_id, Customer.status != CustomerStatus.LOST)
        .group_by(Customer.assigned_rep_id)
    ).all()
    by_rep = {rep_id: (count, overdue or 0) for rep_id, count, overdue in rows}
    followups = dict(
        session.exec(
            select(FollowUp.owner_id, func.count())
            .where(FollowUp.state == FollowUpState.OPEN)
            .group_by(FollowUp.owner_id)
        ).all()
    )
    return [
        RepCoverage(
            rep=rep,
            customers=by_rep.get(rep.id, (0, 0))[0],
            overdue=by_rep.get(rep.id, (0, 0))[1],
            open_followups=followups.get(rep.id, 0),
        )
        for rep in reps
    ]
