"""What a rep does with the day's plan: check in and out, skip and move to another day, reorder, add, remove.

Every action takes the plan version the screen was showing: acting on an old screen (another tab, a
manager who re-planned) is refused instead of applied to a plan the rep has not seen. Times are recomputed
through planning.retime() after every change of order, so a broken window or a late return shows up as a
warning right away.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlmodel import Session, select

from ...errors import NotFound, StaleEdit, ValidationError
from ...models import (
    Customer,
    DayPlan,
    DayPlanDrop,
    DayPlanStop,
    PlanStatus,
    SkipReason,
    Team,
    User,
    Visit,
    VisitStatus,
)
from .. import audit
from ..customers import get_customer
from ..teams import zone
from ..writing import begin_write
from . import planning
from .candidates import Reason
from .plans import get_plan, plan_stops
from .position import Position

MAX_MOVE_DAYS = 60


def own_plan(session: Session, *, actor: User, day: date) -> DayPlan:
    plan = get_plan(session, rep_id=actor.id, day=day)
    if plan is None:
        raise NotFound(_("There is no plan for this day yet."))
    return plan


def _check_version(plan: DayPlan, version: int | None) -> None:
    if version is not None and version != plan.version:
        raise StaleEdit(
            _("The plan changed since this screen was loaded. Please look at it again."),
            current=plan.version,
        )


def _stop(session: Session, *, plan: DayPlan, stop_id: int) -> DayPlanStop:
    stop = session.get(DayPlanStop, stop_id)
    if stop is None or stop.day_plan_id != plan.id:
        raise NotFound(_("Stop not found."))
    return stop


def own_stop(
    session: Session, *, actor: User, stop_id: int, for_update: bool = False
) -> tuple[DayPlan, DayPlanStop]:
    """The plan and the stop, if the plan is the actor's own, else NotFound (nobody acts on another's day).

    `for_update`: read them again under the write lock, for an action that changes the stop — two taps,
    or a tap and its offline replay, at once: the second waits, then sees the first's visit instead of
    starting a second one."""
    stop = session.get(DayPlanStop, stop_id)
    plan = session.get(DayPlan, stop.day_plan_id) if stop is not None else None
    if plan is None or plan.rep_id != actor.id:
        raise NotFound(_("Stop not found."))
    if for_update:
        begin_write(session)
        session.refresh(plan, with_for_update=True)
        session.refresh(stop, with_for_update=True)
    return plan, stop


def _audit(session: Session, actor: User, plan: DayPlan, action: str, **after) -> None:
    # Any change by the rep makes the plan theirs: the nightly run replaces draft plans only.
    if plan.status == PlanStatus.DRAFT and action != "accept":
        plan.status = PlanStatus.ACCEPTED
        session.add(plan)
    audit.Trail(session, actor, actor.team_id).saved("day_plan", plan.id, None, after, action)


def _changed(session: Session, actor: User, plan: DayPlan, action: str, **after) -> None:
    """A tap that changes the plan without retiming it: a new version (open forms go stale), then the audit."""
    plan.version += 1
    session.add(plan)
    session.flush()
    _audit(session, actor, plan, action, **after)


def accept(session: Session, *, actor: User, day: date, version: int | None) -> DayPlan:
    """The rep takes the draft plan as it is; the nightly run leaves an accepted plan alone."""
    plan = own_plan(session, actor=actor, day=day)
    _check_version(plan, version)
    if plan.status == PlanStatus.DRAFT:
        plan.status = PlanStatus.ACCEPTED
        _changed(session, actor, plan, "accept")
    return plan


def _stop_visit(
    session: Session, *, actor: User, stop: DayPlanStop, now: datetime, reuse: tuple[str, ...]
) -> Visit:
    """The stop's visit while it is in one of the `reuse` states, else a new planned visit for it."""
    visit = session.get(Visit, stop.visit_id) if stop.visit_id else None
    if visit is None or visit.status not in reuse:
        visit = Visit(
            customer_id=stop.customer_id,
            rep_id=actor.id,
            status=VisitStatus.PLANNED,
            scheduled_start=stop.start,
            created_at=now,
        )
    return visit


def _settle(
    session: Session, *, stop: DayPlanStop, visit: Visit, state: str, now: datetime
) -> None:
    """Save the visit in `state` and put its stop in the same state, linked to it."""
    visit.status = state
    visit.updated_at = now
    session.add(visit)
    session.flush()
    stop.visit_id = visit.id
    stop.state = state
    session.add(stop)


def check_in(
    session: Session,
    *,
    actor: User,
    stop_id: int,
    now: datetime,
    position: Position | None = None,
    version: int | None = None,
) -> Visit:
    """Start the visit at a stop: time, and position when the phone gave one. Checking in twice is a no-op."""
    plan, stop = own_stop(session, actor=actor, stop_id=stop_id, for_update=True)
    if stop.state == VisitStatus.IN_PROGRESS and stop.visit_id:
        return session.get(Visit, stop.visit_id)
    _check_version(plan, version)
    if stop.state in (VisitStatus.DONE, VisitStatus.SKIPPED):
        raise ValidationError(_("This stop is already finished."))
    visit = _stop_visit(session, actor=actor, stop=stop, now=now, reuse=(VisitStatus.PLANNED,))
    visit.check_in_at = now
    if position is not None:
        visit.check_in_lat, visit.check_in_lon = position.lat, position.lon
    _settle(session, stop=stop, visit=visit, state=VisitStatus.IN_PROGRESS, now=now)
    plan.status = PlanStatus.IN_PROGRESS
    _changed(session, actor, plan, "check_in", stop=stop.id, visit=visit.id)
    return visit


def check_out(
    session: Session,
    *,
    actor: User,
    stop_id: int,
    now: datetime,
    position: Position | None = None,
) -> Visit:
    """End the time at the customer; the visit log (notes, orders) completes the visit."""
    plan, stop = own_stop(session, actor=actor, stop_id=stop_id, for_update=True)
    visit = session.get(Visit, stop.visit_id) if stop.visit_id else None
    if visit is None or visit.check_in_at is None:
        raise ValidationError(_("Check in first."))
    if visit.check_out_at is None:
        visit.check_out_at = max(now, visit.check_in_at)
        if position is not None:
            visit.check_out_lat, visit.check_out_lon = position.lat, position.lon
        visit.updated_at = now
        session.add(visit)
        _changed(session, actor, plan, "check_out", stop=stop.id, visit=visit.id)
    return visit


def skip(
    session: Session,
    *,
    actor: User,
    stop_id: int,
    reason: str,
    now: datetime,
    move_to: date | None = None,
    version: int | None = None,
) -> DayPlanStop:
    """Skip a stop with a reason (busy, absent, closed); optionally put the customer on another day."""
    plan, stop = own_stop(session, actor=actor, stop_id=stop_id, for_update=True)
    _check_version(plan, version)
    if reason not in {r.value for r in SkipReason}:
        raise ValidationError(_("Please choose why you skip this visit."), field="reason")
    if stop.state in (VisitStatus.DONE, VisitStatus.SKIPPED):
        raise ValidationError(_("This stop is already finished."))
    if move_to is not None and not (
        plan.plan_date < move_to <= plan.plan_date + timedelta(days=MAX_MOVE_DAYS)
    ):
        raise ValidationError(
            _("Choose a day after this one, within %(n)d days.", n=MAX_MOVE_DAYS), field="move_to"
        )
    still_open = (VisitStatus.PLANNED, VisitStatus.IN_PROGRESS)
    visit = _stop_visit(session, actor=actor, stop=stop, now=now, reuse=still_open)
    visit.skip_reason = reason
    _settle(session, stop=stop, visit=visit, state=VisitStatus.SKIPPED, now=now)
    if move_to is not None:
        team = session.get(Team, actor.team_id)
        # A moved visit has no time yet: it is a candidate of that day, planned with the others.
        moved_start = datetime.combine(move_to, time(0), tzinfo=zone(team.timezone))
        session.add(
            Visit(
                customer_id=stop.customer_id,
                rep_id=actor.id,
                status=VisitStatus.PLANNED,
                scheduled_start=moved_start,
                created_at=now,
            )
        )
    _changed(
        session,
        actor,
        plan,
        "skip",
        stop=stop.id,
        reason=reason,
        move_to=move_to.isoformat() if move_to else None,
    )
    planning.retime(session, plan=plan, rep=actor, now=now)
    return stop


def move(
    session: Session,
    *,
    actor: User,
    day: date,
    stop_id: int,
    direction: int,
    version: int,
    now: datetime,
) -> DayPlan:
    """Move a planned stop one place up (-1) or down (+1) among the stops not yet visited."""
    plan = own_plan(session, actor=actor, day=day)
    _check_version(plan, version)
    stop = _stop(session, plan=plan, stop_id=stop_id)
    stops = plan_stops(session, plan)
    open_stops = [s for s in stops if s.state == VisitStatus.PLANNED]
    if stop not in open_stops:
        raise ValidationError(_("Only stops not yet visited can be moved."))
    index = open_stops.index(stop)
    target = index + direction
    if not 0 <= target < len(open_stops):
        return plan
    open_stops[index], open_stops[target] = open_stops[target], open_stops[index]
    return _reorder(session, actor=actor, plan=plan, stops=stops, open_order=open_stops, now=now)


def reorder(
    session: Session, *, actor: User, day: date, stop_ids: list[int], version: int, now: datetime
) -> DayPlan:
    """Put the stops not yet visited into the given order (drag and drop sends the whole order)."""
    plan = own_plan(session, actor=actor, day=day)
    _check_version(plan, version)
    stops = plan_stops(session, plan)
    open_stops = {s.id: s for s in stops if s.state == VisitStatus.PLANNED}
    if sorted(stop_ids) != sorted(open_stops):
        raise ValidationError(_("The order does not match the stops of this plan."))
    return _reorder(
        session,
        actor=actor,
        plan=plan,
        stops=stops,
        open_order=[open_stops[i] for i in stop_ids],
        now=now,
    )


def _reorder(
    session: Session,
    *,
    actor: User,
    plan: DayPlan,
    stops: list[DayPlanStop],
    open_order: list[DayPlanStop],
    now: datetime,
) -> DayPlan:
    settled = [s for s in stops if s.state != VisitStatus.PLANNED]
    for position, stop in enumerate(settled + open_order):
        stop.position = position
        session.add(stop)
    session.flush()
    _audit(session, actor, plan, "reorder", order=[s.customer_id for s in open_order])
    return planning.retime(session, plan=plan, rep=actor, now=now)


def remove(
    session: Session, *, actor: User, day: date, stop_id: int, version: int, now: datetime
) -> DayPlan:
    """Take a stop off the plan (it goes back to the list of customers left out)."""
    plan = own_plan(session, actor=actor, day=day)
    _check_version(plan, version)
    stop = _stop(session, plan=plan, stop_id=stop_id)
    if stop.state != VisitStatus.PLANNED:
        raise ValidationError(_("Only stops not yet visited can be removed."))
    if stop.is_appointment:
        raise ValidationError(_("An appointment stays on the plan; skip it with a reason instead."))
    session.add(
        DayPlanDrop(
            day_plan_id=plan.id,
            customer_id=stop.customer_id,
            value=stop.value,
            reason_code="removed",
        )
    )
    session.delete(stop)
    session.flush()
    _audit(session, actor, plan, "remove", customer=stop.customer_id)
    return planning.retime(session, plan=plan, rep=actor, now=now)


def add(
    session: Session,
    *,
    actor: User,
    day: date,
    customer_id: int,
    version: int | None,
    now: datetime,
    after_stop_id: int | None = None,
) -> DayPlan:
    """Add a team customer to the plan (after a given stop, else at the end); times are recomputed."""
    customer: Customer = get_customer(session, actor=actor, customer_id=customer_id)
    if customer.lat is None or customer.lon is None:
        raise ValidationError(_("This customer has no location yet: set it on the customer page."))
    plan = get_plan(session, rep_id=actor.id, day=day)
    if plan is None:
        plan = DayPlan(rep_id=actor.id, plan_date=day, version=0, generated_at=now)
        session.add(plan)
        session.flush()
    else:
        _check_version(plan, version)
    stops = plan_stops(session, plan)
    if any(s.customer_id == customer.id and s.state != VisitStatus.SKIPPED for s in stops):
        raise ValidationError(_("This customer is already on the plan."))
    position = len(stops)
    if after_stop_id is not None:
        anchor = _stop(session, plan=plan, stop_id=after_stop_id)
        position = anchor.position + 1
        for s in stops:
            if s.position >= position:
                s.position += 1
                session.add(s)
    pool = planning.select_candidates(
        session, rep=actor, day=day, extra_customer_ids=(customer.id,)
    )
    candidate = next((c for c in pool.candidates if c.customer.id == customer.id), None)
    reasons = [Reason("added")] + (candidate.reasons if candidate else [])
    session.add(
        DayPlanStop(
            day_plan_id=plan.id,
            customer_id=customer.id,
            position=position,
            value=candidate.value if candidate else 0.0,
            reasons=planning.reasons_json(reasons),
        )
    )
    for drop in session.exec(
        select(DayPlanDrop).where(
            DayPlanDrop.day_plan_id == plan.id, DayPlanDrop.customer_id == customer.id
        )
    ):
        session.delete(drop)
    session.flush()
    _audit(session, actor, plan, "add", customer=customer.id)
    return planning.retime(session, plan=plan, rep=actor, now=now)


def record_visit_on_plan(session: Session, *, visit: Visit, day: date) -> None:
    """A logged visit marks its stop on that day's plan done (also when logged from the customer page)."""
    linked = session.exec(select(DayPlanStop).where(DayPlanStop.visit_id == visit.id)).first()
    plan = (
        session.get(DayPlan, linked.day_plan_id)
        if linked is not None
        else get_plan(session, rep_id=visit.rep_id, day=day)
    )
    if plan is None:
        return
    stops = plan_stops(session, plan)
    stop = next((s for s in stops if s.visit_id == visit.id), None) or next(
        (
            s
            for s in stops
            if s.customer_id == visit.customer_id
            and s.state in (VisitStatus.PLANNED, VisitStatus.IN_PROGRESS)
        ),
        None,
    )
    if stop is None or stop.state == VisitStatus.DONE:
        return
    stop.state = VisitStatus.DONE
    stop.visit_id = visit.id
    session.add(stop)
    plan.version += 1
    if all(s.state in (VisitStatus.DONE, VisitStatus.SKIPPED) for s in stops):
        plan.status = PlanStatus.DONE
    session.add(plan)
    session.flush()


def book_appointment(
    session: Session, *, actor: User, customer_id: int, day: date, minute: int, now: datetime
) -> Visit:
    """A fixed appointment at a customer; it joins that day's plan at once when the day is planned."""
    customer = get_customer(session, actor=actor, customer_id=customer_id)
    team = session.get(Team, actor.team_id)
    starts = datetime.combine(day, time(minute // 60, minute % 60), tzinfo=zone(team.timezone))
    if starts < now:
        raise ValidationError(_("The appointment must be in the future."), field="day")
    if day > now.date() + timedelta(days=365):
        raise ValidationError(_("Choose a date within a year."), field="day")
    visit = Visit(
        customer_id=customer.id,
        rep_id=actor.id,
        status=VisitStatus.PLANNED,
        is_appointment=True,
        scheduled_start=starts,
        created_at=now,
    )
    session.add(visit)
    session.flush()
    booked = {"customer": customer.id, "starts": starts.isoformat()}
    audit.Trail(session, actor, actor.team_id).saved("visit", visit.id, None, booked, "appointment")
    plan = get_plan(session, rep_id=actor.id, day=day)
    if plan is not None and customer.lat is not None:
        stops = plan_stops(session, plan)
        existing = next(
            (s for s in stops if s.customer_id == customer.id and s.state == VisitStatus.PLANNED),
            None,
        )
        if existing is not None:
            existing.is_appointment = True
            existing.visit_id = visit.id
            session.add(existing)
            session.flush()
            planning.retime(session, plan=plan, rep=actor, now=now)
        elif not any(s.customer_id == customer.id for s in stops):
            add(session, actor=actor, day=day, customer_id=customer.id, version=None, now=now)
            stop = session.exec(
                select(DayPlanStop).where(
                    DayPlanStop.day_plan_id == plan.id, DayPlanStop.customer_id == customer.id
                )
            ).first()
            stop.is_appointment = True
            stop.visit_id = visit.id
            session.add(stop)
            session.flush()
    return visit
