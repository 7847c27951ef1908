"""Independent feasibility checker for plans: recomputes everything from the request, not solver state."""

from __future__ import annotations

import math

from planner import Plan, PlanRequest

SPEEDS = {"car": 30.0, "bicycle": 14.0, "walking": 4.5, "transit": 12.0}


def _haversine_s(a, b, speed_kmh: float, detour: float = 1.3) -> float:
    """Straight-line seconds with plain math (deliberately not the planner's numpy code)."""
    p1, p2 = math.radians(a.lat), math.radians(b.lat)
    dp, dl = p2 - p1, math.radians(b.lon - a.lon)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    metres = 2 * 6_371_008.8 * math.asin(math.sqrt(min(1.0, h)))
    return metres * detour / (speed_kmh / 3.6)


def travel(request: PlanRequest, rep_index: int, frm: str, to: str) -> float:
    """Seconds between two named places ('@start', '@end' or a candidate id)."""
    rep = request.reps[rep_index]
    names = {}
    locs = []
    for i, r in enumerate(request.reps):
        if i == rep_index:
            names["@start"], names["@end"] = 2 * i, 2 * i + 1
        locs += [r.start, r.end]
    for j, c in enumerate(request.candidates):
        names[c.id] = 2 * len(request.reps) + j
        locs.append(c.location)
    a, b = names[frm], names[to]
    if request.durations is not None:
        return request.durations[a][b]
    # the planner rounds up to whole seconds; allow for that (never more than a second)
    return _haversine_s(locs[a], locs[b], SPEEDS[rep.travel_mode]) - 1e-6


def check_plan(request: PlanRequest, plan: Plan, done: set[str] = frozenset()) -> list[str]:
    """Every rule a plan must keep; returns the list of violations (empty when feasible)."""
    errors: list[str] = []
    by_id = {c.id: c for c in request.candidates}
    seen: set[str] = set()
    for ri, rep in enumerate(request.reps):
        route = plan.route(rep.id)
        if route.depart_time < rep.depart_after:
            errors.append(f"{rep.id}: departs {route.depart_time} before {rep.depart_after}")
        prev_name, prev_end = "@start", route.depart_time
        lunch = rep.lunch
        lunch_placed = route.lunch_start is not None
        if lunch_placed:
            ls, le = route.lunch_start, route.lunch_end
            if lunch is None:
                errors.append(f"{rep.id}: lunch placed but none requested")
            else:
                if le - ls != lunch.duration:
                    errors.append(f"{rep.id}: lunch lasts {le - ls}, not {lunch.duration}")
                if ls < lunch.earliest_start or le > lunch.latest_end:
                    errors.append(f"{rep.id}: lunch {ls}-{le} outside its window")
        names = [s.candidate_id for s in route.stops] + ["@end"]
        starts = [s.start for s in route.stops] + [route.return_time]
        ends = [s.end for s in route.stops] + [route.return_time]
        lunch_gaps = 0
        for name, start, end in zip(names, starts, ends, strict=True):
            need = travel(request, ri, prev_name, name)
            gap_lo, gap_hi = prev_end, start
            if lunch_placed and gap_lo <= route.lunch_start and route.lunch_end <= gap_hi:
                need += route.lunch_end - route.lunch_start
                lunch_gaps += 1
            if gap_hi - gap_lo < need:
                errors.append(
                    f"{rep.id}: {prev_name}->{name} needs {need:.0f}s, has {gap_hi - gap_lo}"
                )
            if name != "@end":
                c = by_id.get(name)
                if c is None:
                    errors.append(f"unknown stop {name}")
                    break
                if name in seen or name in done:
                    errors.append(f"{name} visited twice")
                seen.add(name)
                if end - start != c.service:
                    errors.append(f"{name}: visit lasts {end - start}, not {c.service}")
                if c.appointment is not None:
                    if start != c.appointment:
                        errors.append(f"{name}: appointment {c.appointment} but starts {start}")
                else:
                    if c.windows and not any(w.start <= start <= w.end for w in c.windows):
                        errors.append(f"{name}: starts {start} outside its windows")
                    for b in c.busy:
                        if start < b.end and b.start < end:
                            errors.append(f"{name}: visit {start}-{end} overlaps busy {b}")
            prev_name, prev_end = name, end
        if lunch_placed and lunch_gaps != 1:
            errors.append(f"{rep.id}: lunch overlaps a visit")
        if lunch is not None and not lunch_placed:
            fits = max(lunch.earliest_start, rep.depart_after) + lunch.duration <= min(
                lunch.latest_end, rep.return_by
            )
            if fits and not plan.notes:
                errors.append(f"{rep.id}: lunch was requested but not planned")
        if route.return_time > rep.return_by:
            errors.append(f"{rep.id}: returns {route.return_time} after {rep.return_by}")
    dropped = {d.candidate_id for d in plan.dropped}
    if seen & dropped:
        errors.append(f"both planned and dropped: {sorted(seen & dropped)}")
    missing = set(by_id) - seen - dropped - set(done)
    if missing:
        errors.append(f"neither planned nor dropped: {sorted(missing)}")
    req_dropped = [d for d in plan.dropped if by_id[d.candidate_id].is_required]
    if req_dropped and plan.status != "required_dropped":
        errors.append("a required visit was dropped but status does not say so")
    total = sum(by_id[s].value for s in seen)
    if abs(total - plan.value) > 1e-6:
        errors.append(f"plan value {plan.value} != recomputed {total}")
    return errors
