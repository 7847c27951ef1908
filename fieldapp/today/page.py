"""What the Today page shows: the day's plan as stop cards, left-out customers, warnings, a preview."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ..i18n import minutes_hhmm
from ..models import Customer, DayPlan, DayPlanStop, User, Visit
from ..services import busy
from ..services.day import planning, plans
from ..services.day.candidates import (
    CandidatePool,
    busy_periods_by_customer,
    drop_text,
    reasons_text,
    select_candidates,
    warning_text,
)
from ..services.prompts import PromptView, views_for


@dataclass
class StopCard:
    number: int
    stop: DayPlanStop
    customer: Customer
    visit: Visit | None
    state: str
    why: str
    allowed: str
    check_in_distance_m: int | None
    prompts: list[PromptView]
    can_move_up: bool
    can_move_down: bool


@dataclass
class LeftOut:
    customer: Customer
    value: float
    reason: str
    can_add: bool


@dataclass
class DayView:
    day: date
    today: date
    plan: DayPlan | None
    stops: list[StopCard]
    left_out: list[LeftOut]
    warnings: list[str]
    preview: CandidatePool | None
    done: int
    remaining: int


def allowed_text(busy_minutes: list[tuple[int, int]], rep: User) -> str:
    """The times a visit may happen within the rep's working day, e.g. "9:00–11:30, 14:00–18:00"."""
    free = []
    cursor = rep.work_start_min
    for start, end in busy_minutes:
        if start > cursor:
            free.append((cursor, min(start, rep.work_end_min)))
        cursor = max(cursor, end)
    if cursor < rep.work_end_min:
        free.append((cursor, rep.work_end_min))
    return ", ".join(f"{minutes_hhmm(a)}–{minutes_hhmm(b)}" for a, b in free if b > a)


def day_view(session: Session, *, rep: User, day: date, today: date) -> DayView:
    """Everything the Today page needs for one rep and one date."""
    plan = plans.get_plan(session, rep_id=rep.id, day=day)
    if plan is None:
        pool = select_candidates(session, rep=rep, day=day)
        return DayView(day, today, None, [], [], [], pool, 0, 0)
    stops = plans.plan_stops(session, plan)
    ids = [s.customer_id for s in stops]
    warnings = plans.plan_warnings(plan)
    named = set(ids) | {w["customer_id"] for w in warnings if w.get("customer_id")}
    customers = (
        {c.id: c for c in session.exec(select(Customer).where(Customer.id.in_(named)))}
        if named
        else {}
    )
    visit_ids = [s.visit_id for s in stops if s.visit_id]
    visits = (
        {v.id: v for v in session.exec(select(Visit).where(Visit.id.in_(visit_ids)))}
        if visit_ids
        else {}
    )
    periods = busy_periods_by_customer(session, ids)
    # the card shows the two best prompts; the customer page and the visit form show them all
    prompts = views_for(session, customer_ids=ids, today=day, limit=2)
    open_positions = [s.id for s in stops if s.state == "planned"]
    cards = []
    for number, stop in enumerate(stops, start=1):
        customer = customers[stop.customer_id]
        visit = visits.get(stop.visit_id) if stop.visit_id else None
        state = stop.state
        if visit is not None and visit.status == "done":
            state = "done"
        distance = None
        if visit is not None and visit.check_in_lat is not None and customer.lat is not None:
            distance = planning.distance_m(
                (visit.check_in_lat, visit.check_in_lon), (customer.lat, customer.lon)
            )
        # the reorder prompt below says more than the short reason would
        reasons = [
            r
            for r in (json.loads(stop.reasons) if stop.reasons else [])
            if r.get("code") != "reorder_due"
        ]
        cards.append(
            StopCard(
                number=number,
                stop=stop,
                customer=customer,
                visit=visit,
                state=state,
                why=reasons_text(reasons, today=today),
                allowed=allowed_text(busy.busy_windows_on(periods[customer.id], day), rep),
                check_in_distance_m=distance,
                prompts=prompts.get(customer.id, []),
                can_move_up=stop.id in open_positions and open_positions.index(stop.id) > 0,
                can_move_down=stop.id in open_positions
                and open_positions.index(stop.id) < len(open_positions) - 1,
            )
        )
    on_plan = {s.customer_id for s in stops if s.state != "skipped"}
    drops = plans.plan_drops(session, plan)
    drop_customers = (
        {
            c.id: c
            for c in session.exec(
                select(Customer).where(Customer.id.in_([d.customer_id for d in drops]))
            )
        }
        if drops
        else {}
    )
    left_out = [
        LeftOut(
            customer=drop_customers[d.customer_id],
            value=d.value,
            reason=drop_text(d.reason_code, plans.drop_facts(d)),
            can_add=d.customer_id not in on_plan and drop_customers[d.customer_id].lat is not None,
        )
        for d in drops
        if d.customer_id in drop_customers
    ]
    done = sum(1 for c in cards if c.state in ("done", "skipped"))
    names = {cid: c.name for cid, c in customers.items()}
    return DayView(
        day=day,
        today=today,
        plan=plan,
        stops=cards,
        left_out=left_out,
        warnings=[warning_text(w["code"], w, names) for w in warnings],
        preview=None,
        done=done,
        remaining=len(cards) - done,
    )


def preview_reasons(pool: CandidatePool, today: date) -> list[dict[str, Any]]:
    """The candidates of a day not yet planned, most valuable first, with their reasons in words."""
    return [
        {
            "customer": c.customer,
            "value": c.value,
            "why": reasons_text([r.as_json() for r in c.reasons], today=today),
        }
        for c in pool.candidates[:30]
    ]
