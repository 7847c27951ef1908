"""The one bridge between the app and the pure planner: rows → PlanRequest, Plan → DayPlan rows.

Everything else in fieldapp talks to the planner through these functions, so the planner never sees a
model and the app never sees a solver object. Times cross the bridge as seconds after local midnight of
the plan's date (the team's timezone) and come back as aware UTC datetimes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import func as sa_func
from sqlmodel import Session, delete, select

import planner

from ... import plan_process
from ...errors import ValidationError
from ...models import (
    Customer,
    DayPlan,
    DayPlanDrop,
    DayPlanStop,
    PlanStatus,
    Team,
    User,
    Visit,
    VisitStatus,
)
from .. import audit
from ..clock import local_today
from ..planning_settings import RepPlanningSettings, settings_for, working_days
from ..teams import zone
from .candidates import (
    FIRST_DAY_DETOUR_SECONDS,
    Candidate,
    CandidatePool,
    Excluded,
    Reason,
    WeekPool,
    local_day_bounds,
    plan_candidates,
    select_candidates,
    select_week_candidates,
)
from .plans import SETTLED_STATES, get_plan, plan_stops

# A left-out customer the planner would have visited beyond the rep's usual number of visits a day.
OVER_USUAL_VISITS = "usual_visits"


def warm_up() -> None:
    """Load (the first time on a machine: compile) the planner's search before any plan's clock starts."""
    planner.warm_up()


def plan_in_own_process() -> None:
    """From now on this process's plans are searched in a plan process of its own (gunicorn workers:
    a running plan then never stalls the worker's other requests; `fieldapp/plan_process.py`)."""
    plan_process.start(planner.warm_up)


def planner_options(
    config: Mapping[str, Any], *, time_limit: float | None = None
) -> planner.PlanOptions:
    """Planner settings from the app config: time limit (iterations in tests, repeatable), road engine.

    `time_limit` overrides the configured search (a nightly run's own `--time-limit`).
    """
    osrm_url = config.get("OSRM_URL") or None
    if time_limit is not None:
        return planner.PlanOptions(time_limit=time_limit, osrm_url=osrm_url)
    iterations = config.get("PLANNER_ITERATIONS")
    if iterations:
        return planner.PlanOptions(
            time_limit=None, iteration_limit=int(iterations), solution_limit=20, osrm_url=osrm_url
        )
    return planner.PlanOptions(
        time_limit=float(config.get("PLANNER_TIME_LIMIT", 1.0)), osrm_url=osrm_url
    )


# --- building the request ----------------------------------------------------------------------------


def _rep_places(
    settings: RepPlanningSettings, candidates: list[Candidate]
) -> tuple[planner.Location, planner.Location]:
    """Where the rep's day starts and ends; with no place set and no team office, the customers' middle."""
    if settings.start is not None:
        start = planner.Location(*settings.start.pair())
    elif candidates:
        start = planner.Location(
            sum(c.customer.lat for c in candidates) / len(candidates),
            sum(c.customer.lon for c in candidates) / len(candidates),
        )
    else:
        start = planner.Location(35.681, 139.767)
    end = planner.Location(*settings.end.pair()) if settings.end is not None else start
    return start, end


def _lunch(settings: RepPlanningSettings) -> planner.LunchBreak | None:
    """The rep's lunch, starting within their lunch window, when it fits into the working day."""
    if not settings.lunch_minutes:
        return None
    duration = settings.lunch_minutes * 60
    earliest = max(settings.lunch_earliest_min, settings.day_start_min) * 60
    latest_end = min(settings.lunch_latest_end_min, settings.day_end_min) * 60
    if earliest + duration > latest_end:
        return None
    return planner.LunchBreak(duration, earliest, latest_end)


def _planner_candidate(c: Candidate) -> planner.Candidate:
    busy_windows = tuple(planner.Window(s * 60, e * 60) for s, e in c.busy_minutes)
    return planner.Candidate(
        id=str(c.customer.id),
        location=planner.Location(c.customer.lat, c.customer.lon),
        service=max(1, c.customer.visit_minutes) * 60,
        value=float(c.value),
        busy=busy_windows,
        appointment=None if c.appointment_minute is None else max(0, c.appointment_minute * 60),
    )


def _travel_mode(settings: RepPlanningSettings) -> str:
    mode = settings.travel_mode
    return mode if mode in planner.model.TRAVEL_MODES else "car"


def build_request(
    settings: RepPlanningSettings, candidates: list[Candidate]
) -> planner.PlanRequest:
    """A one-rep PlanRequest for the day's candidates, by the rep's planning settings."""
    start, end = _rep_places(settings, candidates)
    planner_rep = planner.Rep(
        id=str(settings.rep_id),
        start=start,
        end=end,
        depart_after=settings.day_start_min * 60,
        return_by=settings.day_end_min * 60,
        travel_mode=_travel_mode(settings),
        lunch=_lunch(settings),
    )
    return planner.PlanRequest(
        reps=(planner_rep,), candidates=tuple(_planner_candidate(c) for c in candidates)
    )


# --- storing the result ------------------------------------------------------------------------------


def _at(day: date, timezone: str, seconds: int | None) -> datetime | None:
    """Seconds after local midnight of `day` as an aware datetime."""
    if seconds is None:
        return None
    start, _end = local_day_bounds(day, timezone)
    return start + timedelta(seconds=int(seconds))


def reasons_json(reasons: list[Reason]) -> str:
    """Stop reasons as stored on DayPlanStop.reasons."""
    return json.dumps([r.as_json() for r in reasons], ensure_ascii=False)


def _store_drops(
    session: Session, plan: DayPlan, pool: CandidatePool, result: planner.Plan
) -> None:
    session.exec(delete(DayPlanDrop).where(DayPlanDrop.day_plan_id == plan.id))
    by_id = {str(c.customer.id): c for c in pool.candidates}
    for dropped in result.dropped:
        candidate = by_id.get(dropped.candidate_id)
        if candidate is None:
            continue
        session.add(
            DayPlanDrop(
                day_plan_id=plan.id,
                customer_id=candidate.customer.id,
                value=candidate.value,
                reason_code=dropped.reason_code,
                reason_detail=_facts_json(dropped.reason.facts()),
            )
        )
    for excluded in pool.excluded:
        session.add(
            DayPlanDrop(
                day_plan_id=plan.id,
                customer_id=excluded.customer.id,
                value=0,
                reason_code=excluded.reason.code,
                reason_detail=_facts_json({"excluded": True}),
            )
        )


def _facts_json(facts: dict[str, Any]) -> str:
    """A drop's facts as stored on DayPlanDrop.reason_detail (the code is in reason_code)."""
    return json.dumps(facts)


def _warnings_json(evaluation: planner.RouteEvaluation) -> str | None:
    """Warnings of a hand-made order as codes with the customer and the planner's time facts."""
    items = [
        {
            "code": warning.code,
            "customer_id": int(warning.candidate_id) if warning.candidate_id else None,
            **warning.facts(),
        }
        for warning in evaluation.warnings
        if warning.code != "unknown_candidate"
    ]
    return json.dumps(items) if items else None


def _apply_route(
    session: Session,
    *,
    plan: DayPlan,
    route: planner.RoutePlan | planner.RouteEvaluation,
    candidates: dict[str, Candidate],
    timezone: str,
    first_position: int,
    keep_reasons: dict[int, str] | None = None,
) -> list[DayPlanStop]:
    """New planned stops after the settled ones, in the route's order with its times."""
    stops = []
    for offset, planned in enumerate(route.stops):
        candidate = candidates[planned.candidate_id]
        reasons = (keep_reasons or {}).get(candidate.customer.id) or reasons_json(candidate.reasons)
        stop = DayPlanStop(
            day_plan_id=plan.id,
            customer_id=candidate.customer.id,
            position=first_position + offset,
            arrival=_at(plan.plan_date, timezone, planned.arrival),
            start=_at(plan.plan_date, timezone, planned.start),
            end=_at(plan.plan_date, timezone, planned.end),
            value=candidate.value,
            reasons=reasons,
            is_appointment=candidate.appointment is not None,
            visit_id=candidate.appointment.id if candidate.appointment is not None else None,
            state=VisitStatus.PLANNED,
        )
        session.add(stop)
        stops.append(stop)
    return stops


def _touch(plan: DayPlan, *, now: datetime, result: planner.Plan | None = None) -> None:
    plan.version += 1
    plan.generated_at = now
    if result is not None:
        plan.solver_status = result.status


def generate_plan(
    session: Session,
    *,
    actor: User,
    rep: User,
    day: date,
    now: datetime,
    position: tuple[float, float] | None = None,
    options: planner.PlanOptions | None = None,
) -> DayPlan:
    """Plan the rep's day: from the day's start, or (during the day) from here and now.

    Once a stop is checked in or done, planning again is re-planning the rest (visits done are kept).
    """
    _check_planner(actor, rep)
    existing = get_plan(session, rep_id=rep.id, day=day)
    if existing is not None and any(
        s.state in SETTLED_STATES for s in plan_stops(session, existing)
    ):
        return replan_rest(
            session, actor=actor, rep=rep, day=day, now=now, position=position, options=options
        )
    team = session.get(Team, rep.team_id)
    settings = settings_for(session, rep)
    pool = select_candidates(session, rep=rep, day=day)
    now_s = started_at(settings, day=day, now=now, timezone=team.timezone)
    here = None
    if now_s is not None:
        # Pressed during the day: as a re-plan does, from now and here, without today's visits.
        visited = _visited_today(session, rep=rep, day=day, timezone=team.timezone)
        pool.candidates = [c for c in pool.candidates if str(c.customer.id) not in visited]
        here = day_origin(
            session,
            rep=rep,
            settings=settings,
            day=day,
            timezone=team.timezone,
            position=position,
            candidates=pool.candidates,
        )
    result = _solve(
        settings, pool, at=here, now_s=now_s, lunch_taken=False, kept=0, options=options
    )
    plan = existing or DayPlan(rep_id=rep.id, plan_date=day, version=0)
    session.add(plan)
    session.flush()
    session.exec(delete(DayPlanStop).where(DayPlanStop.day_plan_id == plan.id))
    route = result.routes[0]
    candidates = {str(c.customer.id): c for c in pool.candidates}
    _apply_route(
        session,
        plan=plan,
        route=route,
        candidates=candidates,
        timezone=team.timezone,
        first_position=0,
    )
    _store_drops(session, plan, pool, result)
    plan.status = PlanStatus.DRAFT
    plan.total_value = round(sum(s.value for s in route.stops), 2)
    plan.travel_seconds = int(route.travel_seconds)
    plan.lunch_start = _at(day, team.timezone, route.lunch_start)
    plan.return_at = _at(day, team.timezone, route.return_time)
    after = {"date": day.isoformat(), "stops": len(route.stops), "value": plan.total_value}
    if now_s is not None:
        after["from"] = now_s
    return _finish(session, actor, rep, plan, result, now=now, action="generate", after=after)


def started_at(
    settings: RepPlanningSettings, *, day: date, now: datetime, timezone: str
) -> int | None:
    """Seconds after midnight a plan made `now` starts at on `day` (now rounded up to the minute), or
    None when the rep's day has not begun (a plan for later today or a future day starts at day start).
    """
    if local_today(timezone, now) != day:
        return None
    seconds = -(-seconds_of_day(now, day, timezone) // 60) * 60
    if seconds <= settings.day_start_min * 60:
        return None
    return min(seconds, settings.day_end_min * 60)


def _solve(
    settings: RepPlanningSettings,
    pool: CandidatePool,
    *,
    at: planner.Location | None,
    now_s: int | None,
    lunch_taken: bool,
    kept: int,
    options: planner.PlanOptions | None,
) -> planner.Plan:
    """Plan the day (or its rest from `at` at `now_s`) within the rep's usual number of visits.

    The cap is soft: when the planner fits in more than the rep's usual visits a day (`kept` already
    on the plan), appointments stay, the most valuable of the others up to the cap too, and those are
    planned again; the rest are left out with their reason (the rep can still add them by hand).
    """
    options = options or planner.PlanOptions()

    def run(candidates: list[Candidate]) -> planner.Plan:
        request = build_request(settings, candidates)
        if now_s is None:
            return plan_process.call(planner.plan_day, request, options)
        return plan_process.call(
            planner.replan,
            request,
            rep_id=str(settings.rep_id),
            at=at if at is not None else request.reps[0].start,
            now=now_s,
            done_ids=(),
            lunch_taken=lunch_taken,
            options=options,
        )

    result = run(pool.candidates)
    cap, route = settings.visits_per_day, result.routes[0]
    if cap is None or kept + len(route.stops) <= cap:
        return result
    by_id = {str(c.customer.id): c for c in pool.candidates}
    chosen = [by_id[stop.candidate_id] for stop in route.stops]
    required = [c for c in chosen if c.appointment is not None]
    others = sorted((c for c in chosen if c.appointment is None), key=lambda c: -c.value)
    room = max(0, cap - kept - len(required))
    keep = {str(c.customer.id) for c in required + others[:room]}
    over = others[room:]
    over_ids = {str(c.customer.id) for c in over}
    pool.excluded.extend(Excluded(c.customer, Reason(OVER_USUAL_VISITS)) for c in over)
    pool.candidates = [c for c in pool.candidates if str(c.customer.id) not in over_ids]
    again = run([c for c in pool.candidates if str(c.customer.id) in keep])
    return replace(again, dropped=result.dropped + again.dropped)


def _finish(
    session: Session,
    actor: User,
    rep: User,
    plan: DayPlan,
    result: planner.Plan,
    *,
    now: datetime,
    action: str,
    after: dict[str, Any],
) -> DayPlan:
    """The end of every (re)plan: its notes as warnings, a new version, the audit event."""
    plan.warnings = _notes_json(result)
    _touch(plan, now=now, result=result)
    session.add(plan)
    session.flush()
    event = {"entity": "day_plan", "entity_id": plan.id, "action": action, "after": after}
    audit.record(session, actor=actor, team_id=rep.team_id, **event)
    return plan


# The planner's one note worth a sentence of its own; others are technical and shown as they are.
_ROAD_ENGINE_NOTE = "road engine unreachable"


def _notes_json(result: planner.Plan) -> str | None:
    """What the rep should know about a generated plan, as warning codes (rendered when shown)."""
    items: list[dict[str, Any]] = []
    if result.status != "ok":
        items.append({"code": "required_dropped"})
    for note in result.notes:
        if note.startswith(_ROAD_ENGINE_NOTE):
            items.append({"code": "road_engine_fallback"})
        else:
            items.append({"code": "planner_note", "note": note})
    return json.dumps(items) if items else None


def _check_planner(actor: User, rep: User) -> None:
    """A rep plans their own day; a manager plans any rep of the team."""
    if actor.team_id != rep.team_id:
        raise ValidationError(_("Unknown rep."))
    if actor.id != rep.id and not actor.is_manager:
        raise ValidationError(_("You can only plan your own day."))


# --- during the day ---------------------------------------------------------------------------------


@dataclass
class DayContext:
    """A day plan with what re-timing it needs: its stops and its customers as candidates."""

    plan: DayPlan
    team: Team
    stops: list[DayPlanStop]
    candidates: dict[str, Candidate]


def _context(session: Session, *, plan: DayPlan, rep: User) -> DayContext:
    """The plan's stops and only their customers: no candidate pool, values or prompts are computed."""
    team = session.get(Team, rep.team_id)
    stops = plan_stops(session, plan)
    candidates = plan_candidates(
        session,
        rep=rep,
        day=plan.plan_date,
        timezone=team.timezone,
        customer_ids=list(dict.fromkeys(s.customer_id for s in stops)),
    )
    return DayContext(plan, team, stops, candidates)


def _with_pool(session: Session, ctx: DayContext, rep: User) -> CandidatePool:
    """The day's whole candidate pool, merged into the context (re-planning chooses among it)."""
    ids = tuple(dict.fromkeys(s.customer_id for s in ctx.stops))
    pool = select_candidates(session, rep=rep, day=ctx.plan.plan_date, extra_customer_ids=ids)
    _merge_pool(ctx, pool)
    return pool


def _merge_pool(ctx: DayContext, pool: CandidatePool) -> None:
    """Pool candidates first (the search's input order); plan customers not in the pool keep theirs."""
    merged = {str(c.customer.id): c for c in pool.candidates}
    ctx.candidates = merged | {k: c for k, c in ctx.candidates.items() if k not in merged}


def retime(session: Session, *, plan: DayPlan, rep: User, now: datetime) -> DayPlan:
    """Recompute times for the plan's order as it stands; problems become warnings, not refusals."""
    ctx = _context(session, plan=plan, rep=rep)
    active = [s for s in ctx.stops if s.state != VisitStatus.SKIPPED]
    ordered = [str(s.customer_id) for s in active if str(s.customer_id) in ctx.candidates]
    settings = settings_for(session, rep)
    request = build_request(settings, [ctx.candidates[cid] for cid in dict.fromkeys(ordered)])
    evaluation = planner.evaluate_route(request, str(rep.id), ordered)
    by_customer = {s.customer_id: s for s in active}
    for planned in evaluation.stops:
        stop = by_customer[int(planned.candidate_id)]
        if stop.state in SETTLED_STATES:
            continue  # history keeps the times it had
        stop.arrival = _at(plan.plan_date, ctx.team.timezone, planned.arrival)
        stop.start = _at(plan.plan_date, ctx.team.timezone, planned.start)
        stop.end = _at(plan.plan_date, ctx.team.timezone, planned.end)
        session.add(stop)
    for position, stop in enumerate(ctx.stops):
        stop.position = position
        session.add(stop)
    plan.lunch_start = _at(plan.plan_date, ctx.team.timezone, evaluation.lunch_start)
    plan.return_at = _at(plan.plan_date, ctx.team.timezone, evaluation.return_time)
    plan.total_value = round(sum(s.value for s in active), 2)
    plan.warnings = _warnings_json(evaluation)
    plan.version += 1
    session.add(plan)
    session.flush()
    return plan


def day_origin(
    session: Session,
    *,
    rep: User,
    settings: RepPlanningSettings,
    day: date,
    timezone: str,
    position: tuple[float, float] | None,
    candidates: list[Candidate],
    settled: list[DayPlanStop] = (),
) -> planner.Location:
    """Where the rest of the day starts: the phone's position, else the customer visited last today,
    else the plan's last settled stop, else the rep's start place."""
    if position is not None:
        return planner.Location(*position)
    last = _last_visited_today(session, rep=rep, day=day, timezone=timezone)
    if last is not None:
        return planner.Location(last.lat, last.lon)
    located = [s for s in settled if s.state in (VisitStatus.DONE, VisitStatus.IN_PROGRESS)]
    if located:
        customer = session.get(Customer, located[-1].customer_id)
        if customer is not None and customer.lat is not None and customer.lon is not None:
            return planner.Location(customer.lat, customer.lon)
    start, _end = _rep_places(settings, candidates)
    return start


def _last_visited_today(
    session: Session, *, rep: User, day: date, timezone: str
) -> Customer | None:
    """The customer of the rep's latest visit checked in (or logged) today, when it has a place."""
    start, end = local_day_bounds(day, timezone)
    when = sa_func.coalesce(Visit.check_in_at, Visit.check_out_at)
    row = session.exec(
        select(Customer)
        .join(Visit, Visit.customer_id == Customer.id)
        .where(
            Visit.rep_id == rep.id,
            Visit.status.in_((VisitStatus.DONE, VisitStatus.IN_PROGRESS)),
            when >= start,
            when < end,
            Customer.lat.is_not(None),
            Customer.lon.is_not(None),
        )
        .order_by(when.desc(), Visit.id.desc())
        .limit(1)
    ).first()
    return row


def seconds_of_day(instant: datetime, day: date, timezone: str) -> int:
    start, _end = local_day_bounds(day, timezone)
    return int((instant - start).total_seconds())


def replan_rest(
    session: Session,
    *,
    actor: User,
    rep: User,
    day: date,
    now: datetime,
    position: tuple[float, float] | None = None,
    options: planner.PlanOptions | None = None,
) -> DayPlan:
    """Re-optimise the stops not yet visited from here and now, keeping appointments and history."""
    _check_planner(actor, rep)
    plan = get_plan(session, rep_id=rep.id, day=day)
    if plan is None:
        return generate_plan(
            session, actor=actor, rep=rep, day=day, now=now, position=position, options=options
        )
    settings = settings_for(session, rep)
    ctx = _context(session, plan=plan, rep=rep)
    day_pool = _with_pool(session, ctx, rep)
    settled = [s for s in ctx.stops if s.state in SETTLED_STATES]
    done_ids = {str(s.customer_id) for s in settled}
    # Visits done today outside the plan (drop-ins logged from the customer page) are done too.
    done_ids |= _visited_today(session, rep=rep, day=day, timezone=ctx.team.timezone)
    now_s = started_at(settings, day=day, now=now, timezone=ctx.team.timezone)
    if now_s is None:
        # Before the day's start (or another day): the rest starts when the day does.
        now_s = settings.day_start_min * 60
    in_progress = [s for s in settled if s.state == VisitStatus.IN_PROGRESS]
    if in_progress and in_progress[-1].end is not None:
        # The rep is still at a customer: the rest starts when this visit is planned to end.
        now_s = max(now_s, seconds_of_day(in_progress[-1].end, day, ctx.team.timezone))
    lunch_taken = plan.lunch_start is not None and now >= plan.lunch_start
    remaining = [c for cid, c in ctx.candidates.items() if cid not in done_ids]
    here = day_origin(
        session,
        rep=rep,
        settings=settings,
        day=day,
        timezone=ctx.team.timezone,
        position=position,
        candidates=remaining,
        settled=settled,
    )
    pool = CandidatePool(day=day, candidates=remaining, excluded=day_pool.excluded)
    result = _solve(
        settings,
        pool,
        at=here,
        now_s=min(now_s, settings.day_end_min * 60),
        lunch_taken=lunch_taken,
        kept=sum(1 for s in settled if s.state != VisitStatus.SKIPPED),
        options=options,
    )
    keep_reasons = {s.customer_id: s.reasons for s in ctx.stops if s.reasons}
    for stop in ctx.stops:
        if stop.state not in SETTLED_STATES:
            session.delete(stop)
    session.flush()
    route = result.routes[0]
    _apply_route(
        session,
        plan=plan,
        route=route,
        candidates={str(c.customer.id): c for c in pool.candidates},
        timezone=ctx.team.timezone,
        first_position=len(settled),
        keep_reasons=keep_reasons,
    )
    _store_drops(session, plan, pool, result)
    plan.total_value = round(
        sum(s.value for s in settled if s.state != VisitStatus.SKIPPED)
        + sum(s.value for s in route.stops),
        2,
    )
    plan.travel_seconds = int(route.travel_seconds)
    if route.lunch_start is not None:
        plan.lunch_start = _at(day, ctx.team.timezone, route.lunch_start)
    plan.return_at = _at(day, ctx.team.timezone, route.return_time)
    after = {"from": now_s, "stops": len(route.stops), "kept": len(settled)}
    return _finish(session, actor, rep, plan, result, now=now, action="replan", after=after)


def _visited_today(session: Session, *, rep: User, day: date, timezone: str) -> set[str]:
    start, end = local_day_bounds(day, timezone)
    rows = session.exec(
        select(Visit.customer_id).where(
            Visit.rep_id == rep.id,
            Visit.status == VisitStatus.DONE,
            Visit.check_out_at >= start,
            Visit.check_out_at < end,
        )
    )
    return {str(cid) for cid in rows}


# --- "I have 40 minutes here" -----------------------------------------------------------------------


@dataclass(frozen=True)
class NearbyOption:
    """A due customer that fits into the free time from here: travel there, visit, back by the end."""

    customer: Customer
    travel_minutes: int
    visit_minutes: int
    distance_m: int
    value: float
    reasons: list[dict[str, Any]]
    # set when the customer is a later stop of today's plan: "move up" instead of "add"
    stop_id: int | None = None


def nearby_now(
    session: Session,
    *,
    rep: User,
    day: date,
    now: datetime,
    position: tuple[float, float] | None,
    minutes: int,
    limit: int = 10,
    options: planner.PlanOptions | None = None,
) -> list[NearbyOption]:
    """Due customers not yet visited today who can be reached and visited within `minutes` from here.

    Customers already on the day's plan are not offered again, except its later stops (after the next
    one): those come back with their `stop_id`, to move up.
    """
    team = session.get(Team, rep.team_id)
    settings = settings_for(session, rep)
    pool = select_candidates(session, rep=rep, day=day)
    plan = get_plan(session, rep_id=rep.id, day=day)
    if position is None:
        here = day_origin(
            session,
            rep=rep,
            settings=settings,
            day=day,
            timezone=team.timezone,
            position=None,
            candidates=pool.candidates,
            settled=plan_stops(session, plan) if plan is not None else [],
        )
        position = (here.lat, here.lon)
    stops = plan_stops(session, plan) if plan else []
    # a skipped stop may be tried again later; any other stop is on the plan already
    on_plan = {s.customer_id for s in stops if s.state != VisitStatus.SKIPPED}
    planned = [s for s in stops if s.state == VisitStatus.PLANNED]
    later = {s.customer_id: s.id for s in planned[1:]}
    visited = {int(x) for x in _visited_today(session, rep=rep, day=day, timezone=team.timezone)}
    reachable = [
        c
        for c in pool.candidates
        if c.customer.id not in visited and (c.customer.id not in on_plan or c.customer.id in later)
    ]
    if not reachable:
        return []
    here = planner.Location(*position)
    locations = [here] + [planner.Location(c.customer.lat, c.customer.lon) for c in reachable]
    seconds = _travel_seconds(locations, settings, options or planner.PlanOptions())
    metres = planner.haversine_metres(locations)
    now_min = seconds_of_day(now, day, team.timezone) // 60
    out = []
    for index, candidate in enumerate(reachable, start=1):
        travel = math.ceil(int(seconds[0, index]) / 60)
        visit = max(1, candidate.customer.visit_minutes)
        if travel + visit > minutes:
            continue
        begin, end = now_min + travel, now_min + travel + visit
        if any(b0 < end and begin < b1 for b0, b1 in candidate.busy_minutes):
            continue  # busy when the rep would be there
        out.append(
            NearbyOption(
                customer=candidate.customer,
                travel_minutes=travel,
                visit_minutes=visit,
                distance_m=int(metres[0, index]),
                value=candidate.value,
                reasons=[r.as_json() for r in candidate.reasons],
                stop_id=later.get(candidate.customer.id),
            )
        )
    out.sort(key=lambda o: (-o.value, o.travel_minutes))
    new = [o for o in out if o.stop_id is None][:limit]
    return new + [o for o in out if o.stop_id is not None]


def _travel_seconds(
    locations: list[planner.Location], settings: RepPlanningSettings, options: planner.PlanOptions
) -> Any:
    """Travel seconds between places by the rule the plans use (road engine, else distance × detour)."""
    mode = _travel_mode(settings)
    estimate = {"speed_kmh": options.speed(mode), "detour_factor": options.detour_factor}
    road = {"osrm_url": options.osrm_url, "timeout": options.osrm_timeout}
    return planner.travel_matrix(locations, mode=mode, **estimate, **road).seconds


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Metres between two points (for "checked in 35 m from the customer")."""
    metres = planner.haversine_metres([planner.Location(*a), planner.Location(*b)])
    return int(round(float(metres[0, 1])))


# --- covering an absent rep (several teammates, one shared pool) -----------------------------------


def cover_request(
    reps: list[RepPlanningSettings],
    own: dict[int, list[tuple[Candidate, bool]]],
    shared: list[Candidate],
) -> planner.PlanRequest:
    """One request for the teammates' day: each teammate's own stops ride only with them (required when
    already on their plan, so the plan they have is kept), the absent rep's visits go to whoever fits."""
    every = [c for rep in reps for c, _required in own.get(rep.rep_id, [])] + shared
    planner_reps = []
    for rep in reps:
        start, end = _rep_places(rep, [c for c, _r in own.get(rep.rep_id, [])] or every)
        planner_reps.append(
            planner.Rep(
                id=str(rep.rep_id),
                start=start,
                end=end,
                depart_after=rep.day_start_min * 60,
                return_by=max(rep.day_end_min, rep.day_start_min) * 60,
                travel_mode=_travel_mode(rep),
                lunch=_lunch(rep),
            )
        )
    candidates = []
    for rep in reps:
        for c, required in own.get(rep.rep_id, []):
            base = _planner_candidate(c)
            candidates.append(
                planner.Candidate(
                    id=base.id,
                    location=base.location,
                    service=base.service,
                    value=base.value,
                    busy=base.busy,
                    appointment=base.appointment,
                    required=required,
                    reps=(str(rep.rep_id),),
                )
            )
    candidates += [_planner_candidate(c) for c in shared]
    return planner.PlanRequest(reps=tuple(planner_reps), candidates=tuple(candidates))


def plan_cover(request: planner.PlanRequest, options: planner.PlanOptions) -> planner.Plan:
    """The several-reps search over the cover request (value first, then travel)."""
    return plan_process.call(planner.plan_day, request, options)


def time_route(settings: RepPlanningSettings, ordered: list[Candidate]) -> planner.RouteEvaluation:
    """Times for a route in the given order (a confirmed cover plan is written as previewed)."""
    request = build_request(settings, ordered)
    return planner.evaluate_route(
        request, str(settings.rep_id), [str(c.customer.id) for c in ordered]
    )


def write_route(
    session: Session,
    *,
    plan: DayPlan,
    route: planner.RoutePlan | planner.RouteEvaluation,
    candidates: dict[str, Candidate],
    timezone: str,
    first_position: int,
) -> list[DayPlanStop]:
    """Planned stops for the route after the plan's settled ones (see _apply_route), with its return."""
    stops = _apply_route(
        session,
        plan=plan,
        route=route,
        candidates=candidates,
        timezone=timezone,
        first_position=first_position,
    )
    plan.lunch_start = _at(plan.plan_date, timezone, route.lunch_start)
    plan.return_at = _at(plan.plan_date, timezone, route.return_time)
    plan.total_value = round(sum(c.value for c in stops), 2)
    if isinstance(route, planner.RouteEvaluation):
        plan.warnings = _warnings_json(route)
    return stops


# --- the week ----------------------------------------------------------------------------------------

# How far ahead week_days looks for working days (a rep off for two weeks still gets a week).
MAX_WEEK_SPAN = 28
WEEK_DAYS = 5


def week_days(session: Session, user: User, start: date, count: int = WEEK_DAYS) -> list[date]:
    """The rep's next `count` working days from `start` (included), within MAX_WEEK_SPAN days."""
    days = working_days(settings_for(session, user), start, count)
    return [day for day in days if (day - start).days < MAX_WEEK_SPAN]


def work_minutes(settings: RepPlanningSettings, day: date) -> tuple[int, int]:
    """The rep's working minutes on a day (start, latest return), from their planning settings."""
    return settings.day_start_min, max(settings.day_end_min, settings.day_start_min)


@dataclass
class WeekOutcome:
    """A planned week: the days planned (in order), the candidates, and the planner's answer."""

    days: list[date]
    pool: WeekPool
    plan: planner.WeekPlan
    depart: list[int]


def _week_day(
    settings: RepPlanningSettings, day: date, hours: tuple[int, int], depart: int
) -> planner.WorkDay:
    """One working day: its hours (from `depart`, seconds) and lunch; the day ends before midnight."""
    return_by = min(hours[1] * 60, planner.model.DAY - 1)
    depart = min(depart, return_by)
    lunch = _lunch(settings)
    if lunch is not None and depart > lunch.latest_start:
        lunch = None  # the day starts after lunch time (planned late in the day)
    return planner.WorkDay(day.isoformat(), depart, return_by, lunch)


def _week_candidate(
    c: Any, index_of: dict[date, int], pinned: int | None, days: int
) -> planner.WeekCandidate:
    """A week candidate: its value and busy minutes per day; a pinned customer only on its day."""
    closed = tuple(i for i in range(days) if c.closed[i])
    required = False
    if pinned is not None:
        closed = tuple(i for i in range(days) if i != pinned)
        required = True  # the rep put it there: it must be planned there, or the move is refused
    return planner.WeekCandidate(
        id=str(c.customer.id),
        location=planner.Location(c.customer.lat, c.customer.lon),
        service=max(1, c.customer.visit_minutes) * 60,
        day_values=tuple(float(v) for v in c.day_values),
        day_busy=tuple(
            tuple(planner.Window(s * 60, e * 60) for s, e in day) for day in c.busy_minutes
        ),
        closed=closed if c.appointment_day is None else (),
        required=required,
        appointment=None
        if c.appointment_day is None
        else (c.appointment_day, max(0, c.appointment_minute * 60)),
        # a pinned customer is planned on its day whatever the detour: the rep chose it
        max_detour=c.on_the_way_seconds if pinned is None and c.appointment is None else None,
    )


def plan_week(
    session: Session,
    *,
    actor: User,
    rep: User,
    days: list[date],
    now: datetime,
    skip_ids: set[int] = frozenset(),
    pins: Mapping[int, date] | None = None,
    options: planner.PlanOptions | None = None,
) -> WeekOutcome:
    """Plan the rep's `days` at once (week_days gives them): each customer on the day it is worth most
    on where the days allow, before a coming busy season, appointments at their time. Customers in
    `skip_ids` (visited already, or kept on a day not planned again) are left out; `pins` puts a
    customer on a day the rep chose. Nothing is written: week.py keeps the result as a draft."""
    _check_planner(actor, rep)
    team = session.get(Team, rep.team_id)
    settings = settings_for(session, rep)
    hours = [work_minutes(settings, day) for day in days]
    visited = _visited_since(session, rep=rep, day=days[0], timezone=team.timezone)
    pool = select_week_candidates(
        session,
        rep=rep,
        days=days,
        work=hours,
        workdays=frozenset(settings.working_weekdays),
        skip_ids=set(skip_ids) | visited,
    )
    now_s = seconds_of_day(now, days[0], team.timezone)
    depart = [
        max(h[0] * 60, now_s) if day == now.astimezone(zone(team.timezone)).date() else h[0] * 60
        for day, h in zip(days, hours, strict=True)
    ]
    index_of = {day: i for i, day in enumerate(days)}
    pins = pins or {}
    cands = [
        _week_candidate(c, index_of, index_of.get(pins.get(c.customer.id)), len(days))
        for c in pool.candidates
    ]
    start, end = _rep_places(settings, pool.candidates)
    request = planner.WeekRequest(
        rep=planner.Rep(str(rep.id), start, end, 0, planner.model.DAY - 1, _travel_mode(settings)),
        days=tuple(
            _week_day(settings, d, h, s) for d, h, s in zip(days, hours, depart, strict=True)
        ),
        candidates=tuple(cands),
        first_day_detour=FIRST_DAY_DETOUR_SECONDS,
    )
    result = plan_process.call(planner.plan_week, request, options or planner.PlanOptions())
    return WeekOutcome(list(days), pool, result, depart)


def _visited_since(session: Session, *, rep: User, day: date, timezone: str) -> set[int]:
    """Customers the rep has visited (done) from the week's first day on: their visit is kept."""
    start, _end = local_day_bounds(day, timezone)
    rows = session.exec(
        select(Visit.customer_id).where(
            Visit.rep_id == rep.id, Visit.status == VisitStatus.DONE, Visit.check_out_at >= start
        )
    )
    return set(rows)


def store_week_day(
    session: Session,
    *,
    actor: User,
    rep: User,
    day: date,
    stops: list[dict[str, Any]],
    travel_seconds: int,
    lunch_start: int | None,
    return_time: int | None,
    now: datetime,
    week_start: date,
) -> DayPlan:
    """Write one day of an accepted week as the rep's accepted DayPlan (replacing a plan not yet
    started; week.py never calls this for a started day), its stops in the week's order and times."""
    team = session.get(Team, rep.team_id)
    plan = get_plan(session, rep_id=rep.id, day=day) or DayPlan(
        rep_id=rep.id, plan_date=day, version=0
    )
    session.add(plan)
    session.flush()
    session.exec(delete(DayPlanStop).where(DayPlanStop.day_plan_id == plan.id))
    session.exec(delete(DayPlanDrop).where(DayPlanDrop.day_plan_id == plan.id))
    for position, stop in enumerate(stops):
        session.add(
            DayPlanStop(
                day_plan_id=plan.id,
                customer_id=stop["customer_id"],
                position=position,
                arrival=_at(day, team.timezone, stop["arrival"]),
                start=_at(day, team.timezone, stop["start"]),
                end=_at(day, team.timezone, stop["end"]),
                value=stop["value"],
                reasons=json.dumps(stop["reasons"], ensure_ascii=False),
                is_appointment=stop.get("visit_id") is not None,
                visit_id=stop.get("visit_id"),
                state=VisitStatus.PLANNED,
            )
        )
    plan.status = PlanStatus.ACCEPTED
    plan.total_value = round(sum(s["value"] for s in stops), 2)
    plan.travel_seconds = int(travel_seconds)
    plan.lunch_start = _at(day, team.timezone, lunch_start)
    plan.return_at = _at(day, team.timezone, return_time)
    plan.warnings = None
    plan.solver_status = "ok"
    _touch(plan, now=now)
    session.add(plan)
    session.flush()
    trail = audit.Trail(session, actor, rep.team_id)
    after = {"date": day.isoformat(), "stops": len(stops), "week": week_start.isoformat()}
    trail.saved("day_plan", plan.id, None, after, "generate")
    # then accepted: the nightly run leaves a plan the rep took with the week alone
    trail.saved("day_plan", plan.id, None, {"week": week_start.isoformat()}, "accept")
    return plan
