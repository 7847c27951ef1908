"""Public entry points: plan_day, replan, evaluate_route (domain objects in, plain results out)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace

import numpy as np

from .matrix import travel_matrix
from .model import DAY, Candidate, Location, LunchBreak, PlanOptions, PlanRequest, Rep
from .problem import BREAK, Problem, Schedule, VehicleData, place_break, subtract_busy
from .result import (
    DroppedStop,
    Plan,
    PlannedStop,
    Reason,
    RouteEvaluation,
    RoutePlan,
    RouteWarning,
)
from .solver import solve


@dataclass(slots=True)
class Compiled:
    """A request turned into a Problem, plus what is needed to map results back."""

    problem: Problem
    request: PlanRequest
    source: str
    notes: list[str]


def candidate_windows(c: Candidate) -> list[tuple[int, int]]:
    """Allowed start windows after removing busy periods; an appointment is its own window."""
    if c.appointment is not None:
        return [(c.appointment, c.appointment)]  # an agreed time overrides busy periods
    base = [(w.start, w.end) for w in c.windows] or [(0, 2 * DAY)]
    return subtract_busy(base, [(b.start, b.end) for b in c.busy], c.service)


def _lunch(rep: Rep) -> tuple[int, int, int] | None:
    """The break as (duration, earliest, latest start), or None when it cannot fall inside the day."""
    lb = rep.lunch
    if lb is None:
        return None
    e = max(lb.earliest_start, rep.depart_after)
    latest = min(lb.latest_start, rep.return_by - lb.duration)
    return (lb.duration, e, latest) if e <= latest else None


def compile_request(request: PlanRequest, options: PlanOptions) -> Compiled:
    """Build travel matrices and the integer Problem."""
    nr = len(request.reps)
    locs = request.locations()
    notes: list[str] = []
    source = "override"
    if request.durations is not None:
        matrices = [np.array(request.durations, dtype=np.int64)]
        mat_of = {r.travel_mode: 0 for r in request.reps}
    else:
        matrices, mat_of = [], {}
        for mode in sorted({r.travel_mode for r in request.reps}):
            tm = travel_matrix(
                locs,
                mode=mode,
                speed_kmh=options.speed(mode),
                detour_factor=options.detour_factor,
                osrm_url=options.osrm_url,
                timeout=options.osrm_timeout,
            )
            source = tm.source
            if tm.note:
                notes.append(tm.note)
            mat_of[mode] = len(matrices)
            matrices.append(tm.seconds)
    cands = request.candidates
    vehicles = [
        VehicleData(
            start=2 * i,
            end=2 * i + 1,
            depart=r.depart_after,
            return_by=r.return_by,
            matrix=mat_of[r.travel_mode],
            brk=_lunch(r),
        )
        for i, r in enumerate(request.reps)
    ]
    problem = Problem(
        loc=np.arange(2 * nr, 2 * nr + len(cands)),
        service=[c.service for c in cands],
        value=[c.value for c in cands],
        windows=[candidate_windows(c) for c in cands],
        required=[c.is_required for c in cands],
        vehicles=vehicles,
        matrices=matrices,
    )
    return Compiled(problem, request, source, notes)


def _blocking(c: Candidate, day: tuple[int, int]) -> Reason:
    """Facts for a 'no time left' sentence: the busy period or window that constrains the visit most."""
    lo, hi = day
    if c.busy:
        b = max(c.busy, key=lambda w: (min(w.end, hi) - max(w.start, lo), w.end))
        if min(b.end, hi) > max(b.start, lo):
            return Reason("no_time_left", busy_until=b.end)
    if c.windows:
        w = max(c.windows, key=lambda w: min(w.end, hi) - max(w.start, lo))
        return Reason("no_time_left", window=(w.start, w.end))
    return Reason("no_time_left")


def _route_plan(
    p: Problem, v: int, rep: Rep, sch: Schedule, cands: Sequence[Candidate]
) -> RoutePlan:
    """Turn a schedule into stops with arrival, wait, start, end and the travel leading there."""
    mat = p.matrix(v)
    veh = p.vehicles[v]
    stops: list[PlannedStop] = []
    lunch_start = lunch_end = None
    travel = 0
    depart = int(sch.start[0])
    for k, c in enumerate(sch.seq, start=1):
        if c == BREAK:
            lunch_start = int(sch.start[k])
            lunch_end = lunch_start + veh.brk[0]
            continue
        leg = int(mat[sch.locs[k - 1], sch.locs[k]])
        travel += leg
        arr, st = int(sch.arrival[k]), int(sch.start[k])
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
        return_time=int(sch.arrival[last]),
        travel_seconds=travel,
    )


def plan_day(request: PlanRequest, options: PlanOptions | None = None) -> Plan:
    """Choose and order visits for every rep to maximise value, then minimise travel."""
    options = options or PlanOptions()
    comp = compile_request(request, options)
    p = comp.problem
    cands = request.candidates
    nv = len(p.vehicles)
    allowed = np.zeros((p.n, nv), dtype=bool)
    for c in range(p.n):
        if p.windows[c]:
            for v in range(nv):
                allowed[c, v] = place_break(p, v, [c]) is not None
    out = solve(p, options, allowed=allowed)
    routes = tuple(
        _route_plan(p, v, request.reps[v], sch, cands) for v, sch in enumerate(out.solution.routes)
    )
    visited = out.solution.visited()
    day = (min(r.depart_after for r in request.reps), max(r.return_by for r in request.reps))
    dropped = []
    for i, c in enumerate(cands):
        if i in visited:
            continue
        in_day = [(a, b) for a, b in p.windows[i] if b >= day[0] and a <= day[1] - c.service]
        if c.appointment is not None and not allowed[i].any():
            reason = Reason("window_unreachable", appointment=c.appointment)
        elif not in_day:
            reason = Reason("busy_all_day")
        elif not allowed[i].any():
            w = in_day[0] if len(in_day) == 1 else None
            reason = Reason("window_unreachable", window=w)
        elif c.is_required:
            reason = Reason("appointment_conflict", appointment=c.appointment)
        else:
            reason = _blocking(c, day)
        dropped.append(DroppedStop(c.id, reason.code, reason))
    required_dropped = any(cands[i].is_required for i in range(p.n) if i not in visited)
    totals = {
        "travel": float(sum(r.travel_seconds for r in routes)),
        "visiting": float(sum(s.end - s.start for r in routes for s in r.stops)),
        "waiting": float(sum(s.wait for r in routes for s in r.stops)),
        "value": float(sum(r.value for r in routes)),
    }
    return Plan(
        routes=routes,
        dropped=tuple(dropped),
        status="required_dropped" if required_dropped else "ok",
        notes=tuple(comp.notes + out.notes),
        matrix_source=comp.source,
        engine=out.engine,
        iterations=out.iterations,
        seconds=out.seconds,
        totals=totals,
    )


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
