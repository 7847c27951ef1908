"""Public entry points: plan_day, plan_week, replan, evaluate_route (domain objects in, plain results
out)."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .matrix import travel_matrix
from .model import (
    DAY,
    Candidate,
    Location,
    LunchBreak,
    PlanOptions,
    PlanRequest,
    Rep,
    WeekCandidate,
    WeekRequest,
    Window,
)
from .problem import BREAK, Problem, Schedule, VehicleData, place_break, subtract_busy
from .result import (
    DroppedStop,
    MovedStop,
    Plan,
    PlannedStop,
    Reason,
    RouteEvaluation,
    RoutePlan,
    RouteWarning,
    WeekPlan,
)
from .solver import SolveOutcome, solve


@dataclass(slots=True)
class Compiled:
    """A request turned into a Problem, plus what is needed to map results back."""

    problem: Problem
    request: PlanRequest | WeekRequest
    source: str
    notes: list[str]


def candidate_windows(c: Candidate) -> list[tuple[int, int]]:
    """Allowed start windows after removing busy periods; an appointment is its own window."""
    if c.appointment is not None:
        return [(c.appointment, c.appointment)]  # an agreed time overrides busy periods
    base = [(w.start, w.end) for w in c.windows] or [(0, 2 * DAY)]
    return subtract_busy(base, [(b.start, b.end) for b in c.busy], c.service)


def _lunch(
    lb: LunchBreak | None, depart_after: int, return_by: int, offset: int = 0
) -> tuple[int, int, int] | None:
    """The break as (duration, earliest, latest start) on a time axis shifted by `offset`, or None
    when it cannot fall inside the day."""
    if lb is None:
        return None
    e = max(lb.earliest_start, depart_after)
    latest = min(lb.latest_start, return_by - lb.duration)
    return (lb.duration, offset + e, offset + latest) if e <= latest else None


@dataclass(slots=True)
class _Matrices:
    """Travel matrices over a request's locations, which one each travel mode uses, and their source."""

    matrices: list[np.ndarray]
    of_mode: dict[str, int]
    source: str
    notes: list[str]


def _travel(
    locs: list[Location],
    modes: Iterable[str],
    durations: tuple[tuple[int, ...], ...] | None,
    options: PlanOptions,
) -> _Matrices:
    """The durations override, or one estimated (or road engine) matrix per travel mode."""
    modes = sorted(set(modes))
    if durations is not None:
        return _Matrices(
            [np.array(durations, dtype=np.int64)], dict.fromkeys(modes, 0), "override", []
        )
    out = _Matrices([], {}, "override", [])
    for mode in modes:
        tm = travel_matrix(
            locs,
            mode=mode,
            speed_kmh=options.speed(mode),
            detour_factor=options.detour_factor,
            osrm_url=options.osrm_url,
            timeout=options.osrm_timeout,
        )
        out.source = tm.source
        if tm.note:
            out.notes.append(tm.note)
        out.of_mode[mode] = len(out.matrices)
        out.matrices.append(tm.seconds)
    return out


def compile_request(request: PlanRequest, options: PlanOptions) -> Compiled:
    """Build travel matrices and the integer Problem."""
    nr = len(request.reps)
    tr = _travel(
        request.locations(), [r.travel_mode for r in request.reps], request.durations, options
    )
    matrices, mat_of = tr.matrices, tr.of_mode
    cands = request.candidates
    vehicles = []
    for i, r in enumerate(request.reps):
        matrix = mat_of[r.travel_mode]
        # A rep who can no longer reach the end place in time (the rest of the day re-planned at or
        # after its end, far from it) still gets a route: back as soon as possible, every visit left
        # out for lack of time, instead of no plan at all.
        back = int(matrices[matrix][2 * i][2 * i + 1])
        return_by = max(r.return_by, r.depart_after + back)
        vehicles.append(
            VehicleData(
                start=2 * i,
                end=2 * i + 1,
                depart=r.depart_after,
                return_by=return_by,
                matrix=matrix,
                brk=_lunch(r.lunch, r.depart_after, return_by),
            )
        )
    problem = Problem(
        loc=np.arange(2 * nr, 2 * nr + len(cands)),
        service=[c.service for c in cands],
        value=[c.value for c in cands],
        windows=[candidate_windows(c) for c in cands],
        required=[c.is_required for c in cands],
        vehicles=vehicles,
        matrices=matrices,
    )
    return Compiled(problem, request, tr.source, tr.notes)


def _blocking(busy: Sequence[Window], windows: Sequence[Window], day: tuple[int, int]) -> Reason:
    """Facts for a 'no time left' sentence: the busy period or window that constrains the visit most."""
    lo, hi = day
    if busy:
        b = max(busy, key=lambda w: (min(w.end, hi) - max(w.start, lo), w.end))
        if min(b.end, hi) > max(b.start, lo):
            return Reason("no_time_left", busy_until=b.end)
    if windows:
        w = max(windows, key=lambda w: min(w.end, hi) - max(w.start, lo))
        return Reason("no_time_left", window=(w.start, w.end))
    return Reason("no_time_left")


def _in_day(p: Problem, c: int, lo: int, hi: int) -> list[tuple[int, int]]:
    """Customer c's allowed start windows that leave room for the visit inside [lo, hi]."""
    return [(a, b) for a, b in p.windows[c] if b >= lo and a <= hi - int(p.service[c])]


def _allowed(p: Problem) -> np.ndarray:
    """allowed[c, v]: route v could make visit c as its only visit (lunch included)."""
    nv = len(p.vehicles)
    allowed = np.zeros((p.n, nv), dtype=bool)
    for c in range(p.n):
        if p.windows[c]:
            for v in range(nv):
                allowed[c, v] = place_break(p, v, [c]) is not None
    return allowed


def _rep_mask(request: PlanRequest) -> np.ndarray:
    """mask[c, v]: route v belongs to a rep allowed to make visit c (`Candidate.reps`; empty: all)."""
    index = {r.id: v for v, r in enumerate(request.reps)}
    mask = np.ones((len(request.candidates), len(request.reps)), dtype=bool)
    for c, cand in enumerate(request.candidates):
        if cand.reps:
            mask[c] = False
            mask[c, [index[r] for r in cand.reps]] = True
    return mask


def _search(comp: Compiled, options: PlanOptions) -> tuple[np.ndarray, SolveOutcome]:
    """Which routes could make each visit alone, and the search's outcome (OR-Tools' check included)."""
    allowed = _allowed(comp.problem)
    if isinstance(comp.request, PlanRequest):
        allowed &= _rep_mask(comp.request)
        return allowed, solve(comp.problem, options, allowed=allowed)
    week = comp.request
    along = {i: c.max_detour for i, c in enumerate(week.candidates) if c.max_detour is not None}
    return allowed, solve(
        comp.problem,
        options,
        allowed=allowed,
        max_detour=along,
        first_day_detour=week.first_day_detour,
    )


def _totals(routes: Sequence[RoutePlan]) -> dict[str, float]:
    """Travel, visiting, waiting (seconds) and value over all routes."""
    return {
        "travel": float(sum(r.travel_seconds for r in routes)),
        "visiting": float(sum(s.end - s.start for r in routes for s in r.stops)),
        "waiting": float(sum(s.wait for r in routes for s in r.stops)),
        "value": float(sum(r.value for r in routes)),
    }


def _route_plan(
    p: Problem,
    v: int,
    rep: Rep,
    sch: Schedule,
    cands: Sequence[Candidate | WeekCandidate],
    offset: int = 0,
) -> RoutePlan:
    """Turn a schedule into stops with arrival, wait, start, end and the travel leading there, in
    seconds since the route's own midnight (`offset`: where its day starts on the time axis)."""
    mat = p.matrix(v)
    veh = p.vehicles[v]
    stops: list[PlannedStop] = []
    lunch_start = lunch_end = None
    travel = 0
    depart = int(sch.start[0]) - offset
    for k, c in enumerate(sch.seq, start=1):
        if c == BREAK:
            lunch_start = int(sch.start[k]) - offset
            lunch_end = lunch_start + veh.brk[0]
            continue
        leg = int(mat[sch.locs[k - 1], sch.locs[k]])
        travel += leg
        arr, st = int(sch.arrival[k]) - offset, int(sch.start[k]) - offset
        if k == 1:
            # leave later instead of waiting on the customer's doorstep
            depart += st - arr
            arr = st
        stops.append(
            PlannedStop(
                candidate_id=cands[c].id,
                arrival=arr,
                wait=st - arr,
                start=st,
                end=st + int(p.service[c]),
                travel_seconds=leg,
                value=float(p.route_value[c, v]),
            )
        )
    last = len(sch.locs) - 1
    travel += int(mat[sch.locs[last - 1], sch.locs[last]])
    return RoutePlan(
        rep_id=rep.id,
        depart_time=depart,
        stops=tuple(stops),
        lunch_start=lunch_start,
        lunch_end=lunch_end,
        return_time=int(sch.arrival[last]) - offset,
        travel_seconds=travel,
    )


def plan_day(request: PlanRequest, options: PlanOptions | None = None) -> Plan:
    """Choose and order visits for every rep to maximise value, then minimise travel."""
    options = options or PlanOptions()
    comp = compile_request(request, options)
    p, cands = comp.problem, request.candidates
    allowed, out = _search(comp, options)
    routes = tuple(
        _route_plan(p, v, request.reps[v], sch, cands) for v, sch in enumerate(out.solution.routes)
    )
    visited = out.solution.visited()
    day = (min(v.depart for v in p.vehicles), max(v.return_by for v in p.vehicles))
    dropped = []
    for i, c in enumerate(cands):
        if i not in visited:
            reason = _drop_reason(
                c.appointment,
                c.is_required,
                _in_day(p, i, *day),
                bool(allowed[i].any()),
                lambda c=c: _blocking(c.busy, c.windows, day),
                any_time=not c.windows and c.appointment is None,
            )
            dropped.append(DroppedStop(c.id, reason.code, reason))
    return Plan(routes=routes, dropped=tuple(dropped), **_outcome(comp, out, cands, routes))


def _drop_reason(
    appointment: int | None,
    required: bool,
    in_day: list[tuple[int, int]],
    reachable: bool,
    blocking: Callable[[], Reason],
    any_time: bool = False,
) -> Reason:
    """Why a candidate is not in the plan, from its allowed starts inside the day (or days) and
    whether some route could make the visit alone (`any_time`: the customer has no hours of its own,
    so out of reach names no window: the whole day is too short to get there and back)."""
    if appointment is not None and not reachable:
        return Reason("window_unreachable", appointment=appointment)
    if not in_day:
        return Reason("busy_all_day")
    if not reachable:
        if any_time:
            return Reason("window_unreachable")
        return Reason("window_unreachable", window=in_day[0] if len(in_day) == 1 else None)
    if required:
        return Reason("appointment_conflict", appointment=appointment)
    return blocking()


def _outcome(
    comp: Compiled,
    out: SolveOutcome,
    cands: Sequence[Candidate | WeekCandidate],
    routes: Sequence[RoutePlan],
) -> dict:
    """The fields every kind of plan shares besides its routes and dropped candidates."""
    visited = out.solution.visited()
    required_dropped = any(c.is_required for i, c in enumerate(cands) if i not in visited)
    return {
        "status": "required_dropped" if required_dropped else "ok",
        "notes": tuple(comp.notes + out.notes),
        "matrix_source": comp.source,
        "engine": out.engine,
        "iterations": out.iterations,
        "seconds": out.seconds,
        "totals": _totals(routes),
    }


def week_windows(c: WeekCandidate, days: int) -> list[tuple[int, int]]:
    """Allowed start windows over the whole week, day d shifted by d × 24 h: every open day's windows
    minus that day's busy periods; an appointment is its own window."""
    if c.appointment is not None:
        day, at = c.appointment
        return [(day * DAY + at, day * DAY + at)]
    # clipped to the day, so that no window reaches into the next day's stretch of the axis
    base = [(w.start, min(w.end, DAY - 1)) for w in c.windows if w.start < DAY] or [(0, DAY - 1)]
    out: list[tuple[int, int]] = []
    for d in range(days):
        if d not in c.closed:
            busy = [(b.start, b.end) for b in c.busy_on(d)]
            out += [(d * DAY + a, d * DAY + b) for a, b in subtract_busy(base, busy, c.service)]
    return out


def compile_week(request: WeekRequest, options: PlanOptions) -> Compiled:
    """The week as the several-routes problem: one route per day, day d on its own stretch of one
    time axis (from d × 24 h), with the visits' values per (customer, day)."""
    rep, nd = request.rep, len(request.days)
    tr = _travel(request.locations(), [rep.travel_mode], request.durations, options)
    vehicles = [
        VehicleData(
            start=0,
            end=1,
            depart=d * DAY + day.depart_after,
            return_by=d * DAY + day.return_by,
            brk=_lunch(day.lunch, day.depart_after, day.return_by, offset=d * DAY),
        )
        for d, day in enumerate(request.days)
    ]
    cands = request.candidates
    problem = Problem(
        loc=np.arange(2, 2 + len(cands)),
        service=[c.service for c in cands],
        value=np.array([c.day_values for c in cands], dtype=float).reshape(len(cands), nd),
        windows=[week_windows(c, nd) for c in cands],
        required=[c.is_required for c in cands],
        vehicles=vehicles,
        matrices=tr.matrices,
    )
    return Compiled(problem, request, tr.source, tr.notes)


def plan_week(request: WeekRequest, options: PlanOptions | None = None) -> WeekPlan:
    """Choose a day and an order for the visits of one rep's week: most value over the week (each
    customer at most once), then least time; every day's route checked by OR-Tools like a day's."""
    options = options or PlanOptions()
    comp = compile_week(request, options)
    p, cands = comp.problem, request.candidates
    allowed, out = _search(comp, options)
    routes = tuple(
        _route_plan(p, d, request.rep, sch, cands, offset=d * DAY)
        for d, sch in enumerate(out.solution.routes)
    )
    dropped, moved = [], []
    on_day = {c: d for d, sch in enumerate(out.solution.routes) for c in sch.seq if c != BREAK}
    for i, c in enumerate(cands):
        best = c.best_day
        if i in on_day:
            if c.appointment is None and c.day_values[on_day[i]] < c.day_values[best] - 1e-9:
                moved.append(_moved(p, i, c, on_day[i], allowed, request))
            continue
        reason = _drop_reason(
            c.appointment[1] if c.appointment else None,
            c.is_required,
            _in_days(p, i),
            bool(allowed[i].any()),
            lambda c=c, best=best: _blocking(
                c.busy_on(best),
                c.windows,
                (request.days[best].depart_after, request.days[best].return_by),
            ),
        )
        dropped.append(DroppedStop(c.id, reason.code, reason))
    return WeekPlan(
        routes=routes,
        dropped=tuple(dropped),
        dates=tuple(d.date for d in request.days),
        moved=tuple(moved),
        **_outcome(comp, out, cands, routes),
    )


def _in_days(p: Problem, c: int) -> list[tuple[int, int]]:
    """Customer c's allowed start windows inside the week's days, as times of their own day."""
    return [
        (a - d * DAY, b - d * DAY)
        for d, veh in enumerate(p.vehicles)
        for a, b in _in_day(p, c, veh.depart, veh.return_by)
    ]


def _moved(
    p: Problem, i: int, c: WeekCandidate, day: int, allowed: np.ndarray, request: WeekRequest
) -> MovedStop:
    """Why visit i is on `day` rather than its best day: closed, busy, out of reach, or full."""
    best = c.best_day
    veh = p.vehicles[best]
    if best in c.closed:
        code = "best_day_closed"
    elif not _in_day(p, i, veh.depart, veh.return_by):
        code = "best_day_busy"
    elif not allowed[i, best]:
        code = "best_day_unreachable"
    else:
        code = "best_day_full"
    dates = [d.date for d in request.days]
    return MovedStop(c.id, code, dates[day], dates[best], c.day_values[day], c.day_values[best])


def replan(
    request: PlanRequest,
    *,
    rep_id: str,
    at: Location | str,
    now: int,
    done_ids: Iterable[str] = (),
    lunch_taken: bool = False,
    options: PlanOptions | None = None,
) -> Plan:
    """Plan the rest of one rep's day from `at` (a place, or the id of the customer the rep is at)."""
    done = set(done_ids)
    rep = request.rep(rep_id)
    ri = request.reps.index(rep)
    cands = tuple(c for c in request.candidates if c.id not in done)
    here = at if isinstance(at, Location) else _candidate(request, at).location
    lunch = rep.lunch
    if lunch is not None and (lunch_taken or now > lunch.latest_start):
        lunch = None
    elif lunch is not None and now > lunch.earliest_start:
        lunch = LunchBreak(lunch.duration, now, lunch.latest_end)
    new_rep = replace(
        rep, start=here, depart_after=now, return_by=max(now, rep.return_by), lunch=lunch
    )
    durations = None
    if request.durations is not None:
        if isinstance(at, Location):
            raise ValueError("with a durations override, give `at` as the id of a candidate")
        old = np.array(request.durations)
        nr = len(request.reps)
        start_idx = 2 * nr + [c.id for c in request.candidates].index(at)
        keep = [start_idx, 2 * ri + 1] + [
            2 * nr + i for i, c in enumerate(request.candidates) if c.id not in done
        ]
        durations = tuple(tuple(int(x) for x in row) for row in old[np.ix_(keep, keep)])
    sub = PlanRequest(reps=(new_rep,), candidates=cands, durations=durations)
    plan = plan_day(sub, options)
    return replace(plan, done=tuple(sorted(done)))


def _candidate(request: PlanRequest, cid: str) -> Candidate:
    """Candidate by id (KeyError when unknown)."""
    for c in request.candidates:
        if c.id == cid:
            return c
    raise KeyError(cid)


def evaluate_route(
    request: PlanRequest,
    rep_id: str,
    ordered_candidate_ids: Sequence[str],
    options: PlanOptions | None = None,
) -> RouteEvaluation:
    """Time a fixed order of visits; report problems as warnings instead of refusing."""
    options = options or PlanOptions(time_limit=1.0)
    comp = compile_request(request, options)
    p = comp.problem
    v = request.reps.index(request.rep(rep_id))
    index = {c.id: i for i, c in enumerate(request.candidates)}
    unknown = [cid for cid in ordered_candidate_ids if cid not in index]
    seq = [index[cid] for cid in ordered_candidate_ids if cid in index]
    best = None
    veh = p.vehicles[v]
    lunch_positions: list[int | None] = list(range(len(seq) + 1)) if veh.brk is not None else [None]
    if request.rep(rep_id).lunch is not None and veh.brk is None:
        lunch_positions = [None]
    for pos in lunch_positions:
        ev = _tolerant(p, v, request, seq, pos)
        if best is None or (len(ev.warnings), ev.return_time) < (
            len(best.warnings),
            best.return_time,
        ):
            best = ev
    assert best is not None
    extra = [RouteWarning("unknown_candidate", cid) for cid in unknown]
    if request.rep(rep_id).lunch is not None and veh.brk is None:
        # the rep wants lunch but the day leaves no room for it anywhere: no time to report
        extra.append(RouteWarning("lunch_missed"))
    return replace(best, warnings=tuple(extra) + best.warnings)


def _tolerant(
    p: Problem, v: int, request: PlanRequest, seq: list[int], lunch_pos: int | None
) -> RouteEvaluation:
    """Earliest-start timing that starts late (with a warning) instead of failing."""
    veh = p.vehicles[v]
    mat = p.matrix(v)
    rep = request.reps[v]
    cands = request.candidates
    warnings: list[RouteWarning] = []
    stops: list[PlannedStop] = []
    t = veh.depart
    prev = veh.start
    lunch_start = None

    def take_lunch(t: int) -> int:
        nonlocal lunch_start
        dur, e, latest = veh.brk
        lunch_start = max(t, e)
        if lunch_start > latest:
            warnings.append(RouteWarning("lunch_missed", at=lunch_start, limit=latest))
        return lunch_start + dur

    for k, c in enumerate(seq):
        if lunch_pos == k:
            t = take_lunch(t)
        cand = cands[c]
        leg = int(mat[prev, p.loc[c]])
        arr = t + leg
        start = next((max(arr, a) for a, b in p.windows[c] if arr <= b), None)
        if start is not None and start + cand.service > veh.return_by:
            # waiting for the next allowed time would run past the working day: that is a conflict
            # to show now, not a silent wait until evening
            start = None
        if start is None:
            start = arr
            if cand.busy and any(b.start < arr + cand.service and arr < b.end for b in cand.busy):
                b = next(b for b in cand.busy if b.start < arr + cand.service and arr < b.end)
                warnings.append(RouteWarning("busy_period", cand.id, at=arr, busy=(b.start, b.end)))
            else:
                warnings.append(RouteWarning("window_missed", cand.id, at=arr))
        stops.append(
            PlannedStop(cand.id, arr, start - arr, start, start + cand.service, leg, cand.value)
        )
        t = start + cand.service
        prev = int(p.loc[c])
    if lunch_pos == len(seq):
        t = take_lunch(t)
    ret = t + int(mat[prev, veh.end])
    if ret > veh.return_by:
        warnings.append(RouteWarning("late_return", at=ret, limit=veh.return_by))
    return RouteEvaluation(rep.id, tuple(stops), lunch_start, ret, tuple(warnings))
