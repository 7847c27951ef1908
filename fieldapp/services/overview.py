"""Home-page figures: a rep's customers and open follow-ups, and a manager's team at a glance."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import case, func
from sqlmodel import Session, select

from ..models import Customer, CustomerStatus, FollowUp, FollowUpState, Role, User
from .followups import open_followups_for_user


@dataclass(frozen=True)
class RepCoverage:
    rep: User
    customers: int
    overdue: int
    open_followups: int


def count_assigned(session: Session, *, rep: User) -> int:
    stmt = select(func.count()).select_from(Customer).where(Customer.assigned_rep_id == rep.id)
    return session.exec(stmt).one()


def open_followups(session: Session, *, user: User, limit: int = 10) -> list[FollowUp]:
    """The user's open follow-ups for the home page, overdue and due first."""
    return open_followups_for_user(session, user=user, limit=limit)


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
