"""The one bridge between the app and the pure planner: rows → PlanRequest, Plan → DayPlan rows.

Everything else in fieldapp talks to the planner through these functions, so the planner never sees a
model and the app never sees a solver object. Times cross the bridge as seconds after local midnight of
the plan's date (the team's timezone) and come back as aware UTC datetimes.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session, delete, select

import planner

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
from .. import audit, plan_runs
from ..teams import zone
from .candidates import (
    Candidate,
    CandidatePool,
    Reason,
    WeekPool,
    local_day_bounds,
    plan_candidates,
    select_candidates,
    select_week_candidates,
)
from .plans import SETTLED_STATES, get_plan, plan_stops

# Lunch floats inside this local window unless the rep's day does not allow it.
LUNCH_EARLIEST = 11 * 3600
LUNCH_LATEST_END = 14 * 3600


def warm_up() -> None:
    """Load (the first time on a machine: compile) the planner's search before any plan's clock starts."""
    planner.warm_up()


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
    rep: User, candidates: list[Candidate]
) -> tuple[planner.Location, planner.Location]:
    """Where the rep's day starts and ends; without a saved place, the middle of today's customers."""
    if rep.start_lat is not None and rep.start_lon is not None:
        start = planner.Location(rep.start_lat, rep.start_lon)
    elif candidates:
        start = planner.Location(
            sum(c.customer.lat for c in candidates) / len(candidates),
            sum(c.customer.lon for c in candidates) / len(candidates),
        )
    else:
        start = planner.Location(35.681, 139.767)
    if rep.end_lat is not None and rep.end_lon is not None:
        end = planner.Location(rep.end_lat, rep.end_lon)
    else:
        end = start
    return start, end


def _lunch(rep: User) -> planner.LunchBreak | None:
    """The rep's lunch break floating in 11:00–14:00, when it fits into the working day."""
    if not rep.lunch_minutes:
        return None
    duration = rep.lunch_minutes * 60
    earliest = max(LUNCH_EARLIEST, rep.work_start_min * 60)
    latest_end = min(LUNCH_LATEST_END, rep.work_end_min * 60)
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


def _travel_mode(rep: User) -> str:
    return rep.travel_mode if rep.travel_mode in planner.model.TRAVEL_MODES else "car"


def build_request(rep: User, candidates: list[Candidate]) -> planner.PlanRequest:
    """A one-rep PlanRequest for the day's candidates."""
    start, end = _rep_places(rep, candidates)
    planner_rep = planner.Rep(
        id=str(rep.id),
        start=start,
        end=end,
        depart_after=rep.work_start_min * 60,
        return_by=max(rep.work_end_min, rep.work_start_min) * 60,
        travel_mode=_travel_mode(rep),
        lunch=_lunch(rep),
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
    options: planner.PlanOptions | None = None,
) -> DayPlan:
    """Plan the rep's day from scratch (or re-plan the rest when the day has already started)."""
    _check_planner(actor, rep)
    existing = get_plan(session, rep_id=rep.id, day=day)
    if existing is not None and any(
        s.state in SETTLED_STATES for s in plan_stops(session, existing)
    ):
        return replan_rest(session, actor=actor, rep=rep, day=day, now=now, options=options)
    team = session.get(Team, rep.team_id)
    pool = select_candidates(session, rep=rep, day=day)
    request = build_request(rep, pool.candidates)
    result = planner.plan_day(request, options or planner.PlanOptions())
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
    return _finish(session, actor, rep, plan, result, now=now, action="generate", after=after)


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
    request = build_request(rep, [ctx.candidates[cid] for cid in dict.fromkeys(ordered)])
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


def _here(ctx: DayContext, rep: User, position: tuple[float, float] | None) -> planner.Location:
    """Where the rest of the day starts: the phone's position, else the last settled stop, else home."""
    if position is not None:
        return planner.Location(*position)
    settled = [s for s in ctx.stops if s.state in (VisitStatus.DONE, VisitStatus.IN_PROGRESS)]
    if settled:
        customer = ctx.candidates.get(str(settled[-1].customer_id))
        if customer is not None:
            return planner.Location(customer.customer.lat, customer.customer.lon)
    start, _end = _rep_places(rep, list(ctx.candidates.values()))
    return start


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
        return generate_plan(session, actor=actor, rep=rep, day=day, now=now, options=options)
    ctx = _context(session, plan=plan, rep=rep)
    day_pool = _with_pool(session, ctx, rep)
    settled = [s for s in ctx.stops if s.state in SETTLED_STATES]
    done_ids = {str(s.customer_id) for s in settled}
    # Visits done today outside the plan (drop-ins logged from the customer page) are done too.
    done_ids |= _visited_today(session, rep=rep, day=day, timezone=ctx.team.timezone)
    now_s = max(seconds_of_day(now, day, ctx.team.timezone), rep.work_start_min * 60)
    in_progress = [s for s in settled if s.state == VisitStatus.IN_PROGRESS]
    if in_progress and in_progress[-1].end is not None:
        # The rep is still at a customer: the rest starts when this visit is planned to end.
        now_s = max(now_s, seconds_of_day(in_progress[-1].end, day, ctx.team.timezone))
    lunch_taken = plan.lunch_start is not None and now >= plan.lunch_start
    remaining = [c for cid, c in ctx.candidates.items() if cid not in done_ids]
    request = build_request(rep, remaining)
    here = _here(ctx, rep, position)
    result = planner.replan(
        request,
        rep_id=str(rep.id),
        at=here,
        now=min(now_s, max(rep.work_end_min, rep.work_start_min) * 60),
        done_ids=(),
        lunch_taken=lunch_taken,
        options=options or planner.PlanOptions(),
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
        candidates={str(c.customer.id): c for c in remaining},
        timezone=ctx.team.timezone,
        first_position=len(settled),
        keep_reasons=keep_reasons,
    )
    pool = CandidatePool(day=day, candidates=remaining, excluded=day_pool.excluded)
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
    """Due customers not yet visited today who can be reached and visited within `minutes` from here."""
    team = session.get(Team, rep.team_id)
    pool = select_candidates(session, rep=rep, day=day)
    plan = get_plan(session, rep_id=rep.id, day=day)
    if position is None:
        if plan is not None:
            ctx = _context(session, plan=plan, rep=rep)
            _merge_pool(ctx, pool)
            here = _here(ctx, rep, None)
        else:
            here = _rep_places(rep, pool.candidates)[0]
        position = (here.lat, here.lon)
    settled = (
        {s.customer_id for s in plan_stops(session, plan) if s.state in SETTLED_STATES}
        if plan
        else set()
    )
    visited = {int(x) for x in _visited_today(session, rep=rep, day=day, timezone=team.timezone)}
    reachable = [c for c in pool.candidates if c.customer.id not in settled | visited]
    if not reachable:
        return []
    here = planner.Location(*position)
    locations = [here] + [planner.Location(c.customer.lat, c.customer.lon) for c in reachable]
    seconds = _travel_seconds(locations, rep, options or planner.PlanOptions())
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
            )
        )
    out.sort(key=lambda o: (-o.value, o.travel_minutes))
    return out[:limit]


def _travel_seconds(
    locations: list[planner.Location], rep: User, options: planner.PlanOptions
) -> Any:
    """Travel seconds between places by the rule the plans use (road engine, else distance × detour)."""
    mode = _travel_mode(rep)
    estimate = {"speed_kmh": options.speed(mode), "detour_factor": options.detour_factor}
    road = {"osrm_url": options.osrm_url, "timeout": options.osrm_timeout}
    return planner.travel_matrix(locations, mode=mode, **estimate, **road).seconds


def distance_m(a: tuple[float, float], b: tuple[float, float]) -> int:
    """Metres between two points (for "checked in 35 m from the customer")."""
    metres = planner.haversine_metres([planner.Location(*a), planner.Location(*b)])
    return int(round(float(metres[0, 1])))


# --- the week ----------------------------------------------------------------------------------------

# How far ahead week_days looks for working days (a rep off for two weeks still gets a week).
MAX_WEEK_SPAN = 28
WEEK_DAYS = 5


def working_weekdays(session: Session, user: User) -> frozenset[int]:
    """The weekdays the rep works (Monday = 0). The one place that knows them: Monday to Friday for
    now (per-rep working days replace plan_runs.WORKING_WEEKDAYS here)."""
    return frozenset(plan_runs.WORKING_WEEKDAYS)


def week_days(session: Session, user: User, start: date, count: int = WEEK_DAYS) -> list[date]:
    """The rep's next `count` working days from `start` (included)."""
    workdays = working_weekdays(session, user)
    days: list[date] = []
    day = start
    while len(days) < count and (day - start).days < MAX_WEEK_SPAN:
        if day.weekday() in workdays:
            days.append(day)
        day += timedelta(days=1)
    return days


def work_minutes(user: User, day: date) -> tuple[int, int]:
    """The rep's working minutes on a day (start, latest return)."""
    return user.work_start_min, max(user.work_end_min, user.work_start_min)


@dataclass
class WeekOutcome:
    """A planned week: the days planned (in order), the candidates, and the planner's answer."""

    days: list[date]
    pool: WeekPool
    plan: planner.WeekPlan
    depart: list[int]


def _week_day(rep: User, day: date, hours: tuple[int, int], depart: int) -> planner.WorkDay:
    """One working day: its hours (from `depart`, seconds) and lunch; the day ends before midnight."""
    return_by = min(hours[1] * 60, planner.model.DAY - 1)
    depart = min(depart, return_by)
    lunch = _lunch(rep)
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
    hours = [work_minutes(rep, day) for day in days]
    visited = _visited_since(session, rep=rep, day=days[0], timezone=team.timezone)
    pool = select_week_candidates(
        session,
        rep=rep,
        days=days,
        work=hours,
        workdays=working_weekdays(session, rep),
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
    start, end = _rep_places(rep, pool.candidates)
    request = planner.WeekRequest(
        rep=planner.Rep(str(rep.id), start, end, 0, planner.model.DAY - 1, _travel_mode(rep)),
        days=tuple(_week_day(rep, d, h, s) for d, h, s in zip(days, hours, depart, strict=True)),
        candidates=tuple(cands),
    )
    result = planner.plan_week(request, options or planner.PlanOptions())
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
