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
from ..services.contacts import birthdays_by_customer
from ..services.day import planning, plans
from ..services.day.candidates import (
    CandidatePool,
    busy_periods_by_customer,
    drop_text,
    reasons_text,
    select_candidates,
    warning_text,
)
from ..services.planning_settings import settings_for
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
    # a contact's birthday within the next days: (contact name, days until it; 0 = today)
    birthday: tuple[str, int] | None = None
    # the stop the rep works on now (in progress) or goes to next: shown expanded, the rest compact
    is_next: bool = False


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
    # what the plan's main button offers now: "start" (nothing begun yet), "next" (on time),
    # "late" (the next stop should have begun), "finished" (nothing left)
    moment: str = "start"
    next_card: StopCard | None = None


# Minutes past a stop's planned start before the main button offers a re-plan instead of the next stop.
LATE_AFTER_MIN = 10


def day_moment(cards: list[StopCard], *, now, is_today: bool) -> tuple[str, StopCard | None]:
    """The moment of the day for the main button, and the stop shown expanded."""
    current = next((c for c in cards if c.state == "in_progress"), None)
    upcoming = next((c for c in cards if c.state == "planned"), None)
    focus = current or upcoming
    if focus is None:
        return "finished", None
    begun = any(c.state in ("done", "in_progress", "skipped") for c in cards)
    if current is None and is_today and upcoming.stop.start is not None:
        late_by = (now - upcoming.stop.start).total_seconds() / 60
        if late_by > LATE_AFTER_MIN:
            return "late", focus
    return ("next" if begun else "start"), focus


def allowed_text(busy_minutes: list[tuple[int, int]], hours: tuple[int, int]) -> str:
    """The times a visit may happen within the rep's working `hours`, e.g. "9:00–11:30, 14:00–18:00"."""
    day_start, day_end = hours
    free = []
    cursor = day_start
    for start, end in busy_minutes:
        if start > cursor:
            free.append((cursor, min(start, day_end)))
        cursor = max(cursor, end)
    if cursor < day_end:
        free.append((cursor, day_end))
    return ", ".join(f"{minutes_hhmm(a)}–{minutes_hhmm(b)}" for a, b in free if b > a)


def day_view(session: Session, *, rep: User, day: date, today: date, now=None) -> DayView:
    """Everything the Today page needs for one rep and one date (`now`: for the main button)."""
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
    birthdays = birthdays_by_customer(session, ids, day)
    open_positions = [s.id for s in stops if s.state == "planned"]
    settings = settings_for(session, rep)
    hours = (settings.day_start_min, settings.day_end_min)
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
                allowed=allowed_text(busy.busy_windows_on(periods[customer.id], day), hours),
                check_in_distance_m=distance,
                prompts=prompts.get(customer.id, []),
                can_move_up=stop.id in open_positions and open_positions.index(stop.id) > 0,
                can_move_down=stop.id in open_positions
                and open_positions.index(stop.id) < len(open_positions) - 1,
                birthday=birthdays.get(customer.id),
            )
        )
    moment, next_card = (
        day_moment(cards, now=now, is_today=day == today) if now is not None else ("next", None)
    )
    if next_card is not None:
        next_card.is_next = True
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
        moment=moment,
        next_card=next_card,
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
