"""What the Today page shows: the day's plan as stop cards, left-out customers, warnings, a preview."""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlmodel import Session, select

from ..i18n import ui_language
from ..models import BusyPeriod, Customer, DayPlan, DayPlanDrop, DayPlanStop, User, Visit
from ..services import busy
from ..services.day import planning, plans
from ..services.day.candidates import CandidatePool, exclusion_text, reasons_text, select_candidates
from ..services.prompts import prompt_text, reorder_prompts_for


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
    prompts: list[str]
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


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60}:{minutes % 60:02d}"


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
    return ", ".join(f"{_hhmm(a)}–{_hhmm(b)}" for a, b in free if b > a)


def _busy_by_customer(session: Session, ids: list[int]) -> dict[int, list[BusyPeriod]]:
    out: dict[int, list[BusyPeriod]] = defaultdict(list)
    if ids:
        for period in session.exec(select(BusyPeriod).where(BusyPeriod.customer_id.in_(ids))):
            out[period.customer_id].append(period)
    return out


def day_view(session: Session, *, rep: User, day: date, today: date) -> DayView:
    """Everything the Today page needs for one rep and one date."""
    plan = plans.get_plan(session, rep_id=rep.id, day=day)
    if plan is None:
        pool = select_candidates(session, rep=rep, day=day)
        return DayView(day, today, None, [], [], [], pool, 0, 0)
    stops = plans.plan_stops(session, plan)
    ids = [s.customer_id for s in stops]
    customers = (
        {c.id: c for c in session.exec(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    )
    visit_ids = [s.visit_id for s in stops if s.visit_id]
    visits = (
        {v.id: v for v in session.exec(select(Visit).where(Visit.id.in_(visit_ids)))}
        if visit_ids
        else {}
    )
    periods = _busy_by_customer(session, ids)
    reorders = reorder_prompts_for(session, customer_ids=ids, today=day)
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
                prompts=[prompt_text(p) for p in reorders.get(customer.id, [])],
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
    lang = ui_language()
    left_out = [
        LeftOut(
            customer=drop_customers[d.customer_id],
            value=d.value,
            reason=_drop_reason(d, lang),
            can_add=d.customer_id not in on_plan and drop_customers[d.customer_id].lat is not None,
        )
        for d in drops
        if d.customer_id in drop_customers
    ]
    done = sum(1 for c in cards if c.state in ("done", "skipped"))
    return DayView(
        day=day,
        today=today,
        plan=plan,
        stops=cards,
        left_out=left_out,
        warnings=plans.plan_warnings(plan, lang),
        preview=None,
        done=done,
        remaining=len(cards) - done,
    )


def _drop_reason(drop: DayPlanDrop, lang: str) -> str:
    text = plans.message_in(drop.reason_detail, lang)
    return text or exclusion_text(drop.reason_code)


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
