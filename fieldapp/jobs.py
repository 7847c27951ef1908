"""Daily plan generation outside a request: tomorrow's plan for every rep, from one command.

Each rep's day is planned and committed on its own, so one rep's bad data never loses the others' plans;
the outcome of every rep is returned for the command to print.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from flask import Flask
from sqlmodel import select

from .db import session_scope
from .errors import DomainError
from .models import Role, User
from .services import clock
from .services.day import planning, plans


@dataclass(frozen=True)
class PlanOutcome:
    rep_id: int
    email: str
    stops: int
    dropped: int
    value: float
    error: str | None = None


def reps_to_plan(app: Flask, *, rep: str | None = None, team_id: int | None = None) -> list[int]:
    """Active reps by email or id, by team, or all of them."""
    with session_scope(app) as session:
        stmt = select(User.id).where(User.active.is_(True), User.role == Role.REP)
        if rep is not None:
            stmt = select(User.id).where(
                (User.email == rep) | (User.id == int(rep)) if rep.isdigit() else User.email == rep
            )
        if team_id is not None:
            stmt = stmt.where(User.team_id == team_id)
        return list(session.exec(stmt.order_by(User.id)))


def generate_plan_for(app: Flask, *, rep_id: int, day: date) -> PlanOutcome:
    """Plan one rep's day in its own transaction."""
    with app.app_context(), session_scope(app) as session:
        rep = session.get(User, rep_id)
        try:
            options = planning.planner_options(app.config)
            plan = planning.generate_plan(
                session, actor=rep, rep=rep, day=day, now=clock.now_utc(), options=options
            )
        except DomainError as error:
            session.rollback()
            return PlanOutcome(rep_id, rep.email, 0, 0, 0.0, error.message)
        stops = plans.plan_stops(session, plan)
        drops = plans.plan_drops(session, plan)
        return PlanOutcome(rep_id, rep.email, len(stops), len(drops), plan.total_value)


def generate_plans(app: Flask, *, rep_ids: list[int], day: date) -> list[PlanOutcome]:
    """Every rep's plan for `day`, one after the other in this process."""
    return [generate_plan_for(app, rep_id=rep_id, day=day) for rep_id in rep_ids]
