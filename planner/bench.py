"""Benchmarks: `python -m planner.bench optw|day|gen-day|days …`, one JSON line per result.

optw FILE… [--decimals 1] [--time-limit S | --iterations N] [--peers] [--routes M]
    Solomon-based OPTW instances (KU Leuven text layout). Prints {"instance", "score", "route" (vertex ids in
    order), "starts" (service start times, file units), "seconds"}; with --peers also runs PyVRP and VROOM
    (extra `[bench]`) on the same instances in the same run and prints a table of gaps to bks.csv. Every
    solution, ours and the peers', is re-timed by `problem.schedule` before its score counts.
    With --routes M, the team version (M routes, each from the depot within the same hours): prints
    {"instance", "score", "routes": [[ids…], …], "starts": [[…], …], "seconds"} and, per instance group
    (c, r, rc), each solver's total score, mean time and infeasible count; every route of every solver
    is re-checked by `optw.check_routes`, written apart from the search's timing.
day FILE.json [--time-limit S | --iterations N]
    A day in JSON: {"name", "horizon": [earliest departure, latest return] (s), "durations": square matrix of
    travel seconds (node 0 is start and end unless "start_node"/"end_node" say otherwise), "visits": [{"id",
    "node", "service", "value", "windows": [[earliest, latest start], …], "required"}], optional "break":
    {"duration", "window": [earliest start, latest end]}}. Prints {"name", "value", "route", "starts",
    "break_start", "seconds"}.
gen-day --pool N --seed S [-o FILE]
    Writes a realistic day: clustered customers around Tokyo, busy periods by segment leaving one to three
    allowed windows, a 9:00–18:00 day with 45 min lunch inside 11:00–14:00, car travel times.
week [--pools 60,120] [--days 5] [--seeds 2] [--time-limit 1.5]
    Plan-my-week on generated weeks (`generate_week`): prints {"name", "value", "visits" per day, "moved",
    "dropped_required", "seconds"} and, in the same run, the same days planned one by one with the same
    total time ("day_by_day": value, visits, seconds).
days [--pools 30,60,120,200] [--seeds 2] [--time-limit 0.5] [--reference 30] [--peers] [--runs N]
    Our planner at --time-limit against the best plan found by any solver run here (ours with the
    --reference budget; with --peers also VROOM, whose gap and time are printed beside ours), per pool.
    With --runs N ours plans each day N times (solver seeds 0..N-1): the line shows the worst run and how
    many runs were within 1 %.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

import numpy as np

from .api import plan_day, plan_week
from .matrix import geodesic_seconds
from .model import (
    DAY,
    Location,
    LunchBreak,
    PlanOptions,
    Rep,
    WeekCandidate,
    WeekRequest,
    Window,
    WorkDay,
)
from .optw import OptwInstance, check_routes, read_optw
from .problem import BREAK, Problem, VehicleData, place_break, schedule
from .solver import solve, warm_up


def _verified_value(p: Problem, seq: list[int]) -> float | None:
    """Re-time a customer sequence with the exact rules; None when infeasible."""
    s = place_break(p, 0, seq)
    return None if s is None else s.value


# --- OPTW -------------------------------------------------------------------------------------------


def _settings(time_limit: float, iterations: int | None, seed: int = 0) -> PlanOptions:
    """A time limit, or (when `iterations` is given) the deterministic iteration-limited mode."""
    if iterations is not None:
        return PlanOptions(time_limit=None, iteration_limit=iterations, seed=seed)
    return PlanOptions(time_limit=time_limit, seed=seed)


def solve_optw(path: str, decimals: int, time_limit: float, iterations: int | None = None) -> dict:
    inst = read_optw(path, decimals)
    p = inst.problem()
    t0 = time.perf_counter()
    out = solve(p, _settings(time_limit, iterations))
    seconds = time.perf_counter() - t0
    route = out.solution.routes[0]
    seq = [c for c in route.seq if c != BREAK]
    value = _verified_value(p, seq)
    return {
        "instance": inst.name,
        "score": value if value is not None else None,
        "route": [int(c) + 1 for c in seq],
        "starts": [float(route.start[k]) / inst.scale for k in range(1, len(seq) + 1)],
        "seconds": round(seconds, 3),
    }


def _pyvrp(p: Problem, time_limit: float, routes: int = 1) -> list[list[int]]:
    """PyVRP's prize-collecting search with `routes` vehicles: one customer sequence per used vehicle."""
    from pyvrp import Model
    from pyvrp.stop import MaxRuntime

    mat = p.matrices[0]
    veh = p.vehicles[0]
    m = Model()
    depot = m.add_depot(m.add_location(0, 0))
    # Prizes weigh 1000 distance units per score point: prize-dominant, yet small enough that PyVRP's
    # time-warp penalties still keep its best solution feasible (much larger factors break that).
    big = 1000
    clients = [
        m.add_client(
            m.add_location(0, 0),
            service_duration=int(p.service[c]),
            tw_early=p.windows[c][0][0],
            tw_late=p.windows[c][-1][1],
            prize=int(p.value[c]) * big,
            required=False,
        )
        for c in range(p.n)
    ]
    m.add_vehicle_type(
        routes, start_depot=depot, end_depot=depot, tw_early=veh.depart, tw_late=veh.return_by
    )
    locs = m.locations
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            if i != j:
                d = int(mat[i, j])
                m.add_edge(a, b, distance=d, duration=d)
    result = m.solve(stop=MaxRuntime(time_limit), seed=1, display=False)
    del clients
    # the schedule lists the route's activities in order; a client's idx is its index among clients
    return [[int(v.idx) for v in r.schedule() if v.is_client()] for r in result.best.routes()]


def _vroom(p: Problem, routes: int = 1, timeout: float | None = None) -> list[list[int]]:
    """VROOM with `routes` vehicles, prizes as priorities: one customer sequence per vehicle;
    `timeout` seconds at most (None: until it stops on its own)."""
    import vroom

    veh = p.vehicles[0]
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=p.matrices[0].astype(np.uint32))
    for v in range(routes):
        problem.add_vehicle(
            vroom.Vehicle(
                v, start=0, end=0, time_window=vroom.TimeWindow(veh.depart, veh.return_by)
            )
        )
    problem.add_job(
        [
            vroom.Job(
                c + 1,
                location=c + 1,
                default_service=int(p.service[c]),
                time_windows=[vroom.TimeWindow(a, b) for a, b in p.windows[c]],
                priority=min(100, int(p.value[c])),
            )
            for c in range(p.n)
        ]
    )
    return _vroom_routes(problem, timeout)


def _vroom_routes(problem, timeout: float | None = None) -> list[list[int]]:
    """Solve a pyvroom Input (jobs numbered customer + 1): the customer sequence of every used vehicle."""
    limit = None if timeout is None else timedelta(seconds=timeout)
    steps = problem.solve(exploration_level=5, nb_threads=1, timeout=limit).routes
    out: dict[int, list[int]] = {}
    for v, j, kind in zip(steps["vehicle_id"], steps["id"], steps["type"], strict=True):
        if kind == "job":
            out.setdefault(int(v), []).append(int(j) - 1)
    return list(out.values())


def _bks(path: Path) -> dict[str, float]:
    with path.open() as f:
        return {r["instance"]: float(r["best_known"]) for r in csv.DictReader(f)}


def solve_toptw(inst: OptwInstance, routes: int, time_limit: float, iterations: int | None) -> dict:
    """Our plan for the team version of an instance: every route, its start times, its checked score."""
    p = inst.problem(routes)
    t0 = time.perf_counter()
    out = solve(p, _settings(time_limit, iterations))
    seconds = time.perf_counter() - t0
    seqs = [[c for c in r.seq if c != BREAK] for r in out.solution.routes]
    return {
        "instance": inst.name,
        "score": check_routes(inst, [[c + 1 for c in q] for q in seqs]),
        "routes": [[int(c) + 1 for c in q] for q in seqs],
        "starts": [
            [float(r.start[k]) / inst.scale for k in range(1, len(q) + 1)]
            for r, q in zip(out.solution.routes, seqs, strict=True)
        ],
        "seconds": round(seconds, 3),
    }


def cmd_toptw(args: argparse.Namespace) -> None:
    """`optw --routes M`: the team orienteering version, a summary per instance group (c, r, rc)."""
    m = args.routes
    runs: list[tuple[str, str, float | None, float]] = []  # (group, solver, score, seconds)
    for path in sorted(args.files):
        inst = read_optw(path, args.decimals)
        group = inst.name.rstrip("0123456789")
        ours = solve_toptw(inst, m, args.time_limit, args.iterations)
        print(json.dumps(ours), flush=True)
        runs.append((group, "planner", ours["score"], ours["seconds"]))
        if not args.peers:
            continue
        p = inst.problem(m)
        for name, run in (
            ("pyvrp", lambda p=p: _pyvrp(p, args.time_limit, m)),
            # VROOM stops by itself; with many routes it took up to 2.7 s, so it gets the same clock
            ("vroom", lambda p=p: _vroom(p, m, args.time_limit)),
        ):
            t0 = time.perf_counter()
            try:
                # every peer route is re-checked by the same rules as ours, vertex ids from 1
                score = check_routes(inst, [[c + 1 for c in q] for q in run()])
            except Exception as exc:  # a peer failing must not stop the comparison
                print(f"# {name} failed on {inst.name}: {exc}", file=sys.stderr)
                score = None
            runs.append((group, name, score, time.perf_counter() - t0))
    print(f"# {m} routes: total score per group (infeasible or failed runs score 0)")
    print(
        f"{'group':6} {'solver':8} {'instances':>9} {'total':>8} {'mean s':>7} {'infeasible':>10}"
    )
    for group in sorted({g for g, *_ in runs}):
        for solver in ("planner", "pyvrp", "vroom"):
            mine = [(sc, sec) for g, so, sc, sec in runs if g == group and so == solver]
            if not mine:
                continue
            total = sum(sc or 0.0 for sc, _ in mine)
            bad = sum(sc is None for sc, _ in mine)
            mean_s = float(np.mean([sec for _, sec in mine]))
            print(f"{group:6} {solver:8} {len(mine):>9} {total:>8.0f} {mean_s:>7.2f} {bad:>10}")


def cmd_optw(args: argparse.Namespace) -> None:
    if args.routes is not None:
        cmd_toptw(args)
        return
    files = sorted(args.files)
    bks_file = Path(files[0]).parent.parent / "bks.csv" if files else None
    bks = _bks(bks_file) if bks_file and bks_file.exists() else {}
    rows: dict[str, dict[str, tuple[float | None, float]]] = {}
    for path in files:
        ours = solve_optw(path, args.decimals, args.time_limit, args.iterations)
        print(json.dumps(ours), flush=True)
        rows[ours["instance"]] = {"planner": (ours["score"], ours["seconds"])}
        if args.peers:
            p = read_optw(path, args.decimals).problem()
            for name, run in (
                ("pyvrp", lambda p=p: _pyvrp(p, args.time_limit)),
                ("vroom", lambda p=p: _vroom(p)),
            ):
                t0 = time.perf_counter()
                try:
                    seq = [c for r in run() for c in r]
                    value = _verified_value(p, seq)
                except Exception as exc:  # a peer failing must not stop the comparison
                    print(f"# {name} failed on {ours['instance']}: {exc}", file=sys.stderr)
                    value = None
                rows[ours["instance"]][name] = (value, time.perf_counter() - t0)
    if bks:
        _print_table(rows, bks)


def _print_table(rows: dict, bks: dict[str, float]) -> None:
    solvers = sorted({s for r in rows.values() for s in r}, key=lambda s: (s != "planner", s))
    print(
        f"{'solver':10} {'avg gap %':>9} {'worst %':>8} {'optima':>7} {'mean s':>7} {'infeasible':>10}"
    )
    for solver in solvers:
        gaps, secs, bad = [], [], 0
        for name, r in rows.items():
            if solver not in r or name not in bks:
                continue
            value, seconds = r[solver]
            secs.append(seconds)
            if value is None:
                bad += 1
                value = 0.0
            gaps.append(100 * (bks[name] - value) / bks[name])
        if not gaps:
            continue
        optima = sum(g <= 1e-9 for g in gaps)
        print(
            f"{solver:10} {np.mean(gaps):9.2f} {max(gaps):8.2f} {optima:>4}/{len(gaps):<2}"
            f" {np.mean(secs):7.2f} {bad:>10}"
        )


# --- realistic days ---------------------------------------------------------------------------------


def day_problem(day: dict) -> Problem:
    """A day in the documented JSON form as a one-vehicle Problem."""
    mat = np.array(day["durations"], dtype=np.int64)
    visits = day["visits"]
    lo, hi = day["horizon"]
    brk = None
    if day.get("break"):
        b = day["break"]
        brk = (int(b["duration"]), int(b["window"][0]), int(b["window"][1]) - int(b["duration"]))
    return Problem(
        loc=np.array([v["node"] for v in visits], dtype=np.int64),
        service=[int(v["service"]) for v in visits],
        value=[float(v["value"]) for v in visits],
        windows=[[(int(a), int(b)) for a, b in v["windows"]] for v in visits],
        required=[bool(v.get("required", False)) for v in visits],
        vehicles=[
            VehicleData(
                start=int(day.get("start_node", 0)),
                end=int(day.get("end_node", 0)),
                depart=int(lo),
                return_by=int(hi),
                brk=brk,
            )
        ],
        matrices=[mat],
    )


def solve_day(day: dict, time_limit: float, iterations: int | None = None, seed: int = 0) -> dict:
    p = day_problem(day)
    t0 = time.perf_counter()
    out = solve(p, _settings(time_limit, iterations, seed))
    seconds = time.perf_counter() - t0
    route = out.solution.routes[0]
    check = schedule(p, 0, route.seq)
    if check is None:
        raise RuntimeError("the planner returned an infeasible day")
    ids = [day["visits"][c]["id"] for c in route.seq if c != BREAK]
    starts = [int(route.start[k]) for k, c in enumerate(route.seq, start=1) if c != BREAK]
    brk = [int(route.start[k]) for k, c in enumerate(route.seq, start=1) if c == BREAK]
    return {
        "name": day.get("name", ""),
        "value": round(float(route.value), 3),
        "route": ids,
        "starts": starts,
        "break_start": brk[0] if brk else None,
        "seconds": round(seconds, 3),
    }


SEGMENT_BUSY = {
    # busy start-of-visit ranges (seconds) by segment: lunch rush, consultations, morning meetings
    "restaurant": [(11 * 3600, 14 * 3600), (17 * 3600, 24 * 3600)],
    "clinic": [(9 * 3600, 12 * 3600), (15 * 3600, 18 * 3600)],
    "shop": [(12 * 3600, 13 * 3600)],
    "office": [(9 * 3600, 10 * 3600 + 1800)],
    "factory": [(12 * 3600, 13 * 3600), (16 * 3600 + 1800, 18 * 3600)],
}


def generate_day(pool: int, seed: int) -> dict:
    """A realistic day of one rep: clustered customers, busy periods by segment, lunch, car travel."""
    rng = random.Random(seed)
    centres = [
        (35.69 + rng.uniform(-0.05, 0.05), 139.75 + rng.uniform(-0.07, 0.07)) for _ in range(5)
    ]
    home = Location(35.681, 139.767)
    places = [home]
    visits = []
    for i in range(pool):
        lat, lon = rng.choice(centres)
        places.append(Location(lat + rng.gauss(0, 0.012), lon + rng.gauss(0, 0.015)))
        segment = rng.choice(list(SEGMENT_BUSY))
        service = rng.choice([15, 20, 20, 30, 45]) * 60
        windows, t = [], 9 * 3600
        for b0, b1 in sorted(SEGMENT_BUSY[segment]):
            if b0 - service > t:
                windows.append([t, b0 - service])
            t = max(t, b1)
        if t < 18 * 3600 - service:
            windows.append([t, 18 * 3600 - service])
        visits.append(
            {
                "id": f"c{i}",
                "node": i + 1,
                "service": service,
                "value": rng.choice([1, 1, 2, 2, 3, 5, 8]),
                "windows": windows,
                "required": False,
            }
        )
    durations = geodesic_seconds(places, speed_kmh=22.0, detour_factor=1.3)
    return {
        "name": f"day-{pool}-{seed}",
        "horizon": [9 * 3600, 18 * 3600],
        "durations": durations.tolist(),
        "visits": visits,
        "break": {"duration": 45 * 60, "window": [11 * 3600, 14 * 3600]},
    }


def generate_week(pool: int, days: int, seed: int) -> WeekRequest:
    """A realistic week of one rep: the customers of `generate_day` (same places, visit lengths and
    segment busy hours); overdue ones worth more and more so the sooner, the others full value from
    two days before they are due and half before that, more before a coming busy season (15 %: busy
    from one day on); closed one day (10 %); two appointments; a shorter third day."""
    day = generate_day(pool, seed)
    rng = random.Random(seed + 1)
    here = Location(35.681, 139.767)  # the durations override decides travel
    lunch = LunchBreak(45 * 60, 11 * 3600, 14 * 3600)
    work = [
        WorkDay(f"day{d + 1}", 9 * 3600, (15 if d == 2 else 18) * 3600, lunch) for d in range(days)
    ]
    cands = []
    for v in day["visits"]:
        base, due = float(v["value"]), rng.randrange(-3, days + 3)
        if due <= 0:  # overdue already: worth more, and the sooner the better
            values = [base * (1 + 0.2 * -due) * (1 - 0.05 * d) for d in range(days)]
        else:  # due this week or later: full value from two days before it, half far before
            values = [base if d >= due - 2 else 0.5 * base for d in range(days)]
        kw: dict = {}
        r = rng.random()
        if r < 0.15 and days > 1:
            season = rng.randrange(1, days)
            kw["day_busy"] = tuple(
                (Window(0, DAY - 1),) if d >= season else () for d in range(days)
            )
            values = [x * 1.5 if d < season else x for d, x in enumerate(values)]
        elif r < 0.25:
            kw["closed"] = (rng.randrange(days),)
        windows = tuple(Window(a, b) for a, b in v["windows"])
        cands.append(
            WeekCandidate(v["id"], here, v["service"], tuple(values), windows=windows, **kw)
        )
    for k in range(min(2, pool)):
        c = cands[k]
        cands[k] = replace(
            c, windows=(), closed=(), day_busy=(), appointment=(k % days, (10 + 4 * k) * 3600)
        )
    idx = [0, 0] + [v["node"] for v in day["visits"]]
    durations = tuple(tuple(int(day["durations"][a][b]) for b in idx) for a in idx)
    rep = Rep("rep", here, here, 9 * 3600, 18 * 3600)
    return WeekRequest(rep, tuple(work), tuple(cands), durations)


def day_by_day(request: WeekRequest, options: PlanOptions) -> tuple[float, int, float]:
    """The week planned one day at a time (each day's best plan, then the next day from the rest):
    value, visits and seconds, for comparison with `plan_week`."""
    done: list[str] = []
    value, seconds = 0.0, 0.0
    for d in range(len(request.days)):
        plan = plan_day(request.day_request(d, skip=done), options)
        done += [s.candidate_id for s in plan.routes[0].stops]
        value, seconds = value + plan.value, seconds + plan.seconds
    return value, len(done), seconds


def cmd_week(args: argparse.Namespace) -> None:
    """Plan-my-week: our week plan against planning the same days one by one, in the same run."""
    for pool in [int(x) for x in args.pools.split(",")]:
        for seed in range(args.seeds):
            req = generate_week(pool, args.days, seed)
            plan = plan_week(req, PlanOptions(time_limit=args.time_limit, seed=seed))
            # the days one by one get the same total time
            one = PlanOptions(time_limit=args.time_limit / args.days, seed=seed)
            d_value, d_visits, d_seconds = day_by_day(req, one)
            row = {
                "name": f"week-{pool}-{args.days}-{seed}",
                "value": round(plan.value, 3),
                "visits": [len(r.stops) for r in plan.routes],
                "moved": len(plan.moved),
                "dropped_required": plan.status != "ok",
                "seconds": round(plan.seconds, 3),
                "day_by_day": {
                    "value": round(d_value, 3),
                    "visits": d_visits,
                    "seconds": round(d_seconds, 3),
                },
            }
            print(json.dumps(row), flush=True)


def cmd_day(args: argparse.Namespace) -> None:
    day = json.loads(Path(args.file).read_text())
    print(json.dumps(solve_day(day, args.time_limit, args.iterations)))


def cmd_gen_day(args: argparse.Namespace) -> None:
    text = json.dumps(generate_day(args.pool, args.seed))
    if args.output:
        Path(args.output).write_text(text)
    else:
        print(text)


def _vroom_day(day: dict) -> list[int]:
    """VROOM (pyvroom) on a day: value as priority, every allowed window, the floating lunch break."""
    import vroom

    p = day_problem(day)
    veh = p.vehicles[0]
    breaks = []
    if veh.brk is not None:
        dur, e, latest = veh.brk
        breaks = [vroom.Break(1, time_windows=[vroom.TimeWindow(e, latest)], service=dur)]
    problem = vroom.Input()
    problem.set_durations_matrix(profile="car", matrix_input=p.matrices[0].astype(np.uint32))
    problem.add_vehicle(
        vroom.Vehicle(
            0,
            start=veh.start,
            end=veh.end,
            time_window=vroom.TimeWindow(veh.depart, veh.return_by),
            breaks=breaks,
        )
    )
    problem.add_job(
        [
            vroom.Job(
                c + 1,
                location=int(p.loc[c]),
                default_service=int(p.service[c]),
                time_windows=[vroom.TimeWindow(a, b) for a, b in p.windows[c]],
                # VROOM's priority is an integer up to 100: ten per value point keeps the ratios
                priority=min(100, int(round(10 * p.value[c]))),
            )
            for c in range(p.n)
        ]
    )
    return [c for r in _vroom_routes(problem) for c in r]


def cmd_days(args: argparse.Namespace) -> None:
    pools = [int(x) for x in args.pools.split(",")]
    runs = max(1, args.runs)
    peers = " vroom% vroom s" if args.peers else ""
    print(
        f"# ours at --time-limit {args.time_limit} s against the best plan found by any solver run here"
        f" (ours with {args.reference} s{', VROOM' if args.peers else ''})"
        + (
            f"; {runs} runs of ours per day (solver seeds 0-{runs - 1}): worst value and gap"
            if runs > 1
            else ""
        )
    )
    within = " <=1%" if runs > 1 else ""
    print(
        f"{'pool':>5} {'seed':>4} {'visits':>6} {'value':>7} {'best':>7} {'gap %':>6} {'s':>6}{within}{peers}"
    )
    summary: dict[int, list[tuple[float, float, float | None, float | None]]] = {}
    all_gaps: list[float] = []
    for pool in pools:
        for seed in range(args.seeds):
            day = generate_day(pool, seed)
            ours = [solve_day(day, args.time_limit, seed=s) for s in range(runs)]
            ref = solve_day(day, args.reference)
            best = max([ref["value"]] + [o["value"] for o in ours])
            v_gap = v_sec = None
            if args.peers:
                t0 = time.perf_counter()
                try:
                    seq = _vroom_day(day)
                    v_sec = time.perf_counter() - t0
                    v_val = _verified_value(day_problem(day), seq)
                except Exception as exc:  # a peer failing must not stop the comparison
                    print(f"# vroom failed on {day['name']}: {exc}", file=sys.stderr)
                    v_val = None
                best = max(best, v_val or 0.0)
            gaps = [100 * (best - o["value"]) / best if best else 0.0 for o in ours]
            all_gaps += gaps
            worst = min(ours, key=lambda o: o["value"])
            seconds = max(o["seconds"] for o in ours)
            line = (
                f"{pool:>5} {seed:>4} {len(worst['route']):>6} {worst['value']:>7.1f} {best:>7.1f}"
                f" {max(gaps):>6.2f} {seconds:>6.2f}"
            )
            if runs > 1:
                line += f" {sum(g <= 1.0 for g in gaps):>2}/{runs:<2}"
            if args.peers:
                v_gap = 100 * (best - (v_val or 0.0)) / best if best else 0.0
                line += f" {v_gap:>6.2f} {v_sec:>7.2f}"
            print(line, flush=True)
            summary.setdefault(pool, []).append((float(np.mean(gaps)), seconds, v_gap, v_sec))
    print(f"# mean per pool{'':>2} {'gap %':>6} {'s':>6}{peers}")
    for pool, rows in summary.items():
        g, t = np.mean([r[0] for r in rows]), np.mean([r[1] for r in rows])
        line = f"# pool {pool:>4}{'':>6} {g:>6.2f} {t:>6.2f}"
        if args.peers and all(r[2] is not None for r in rows):
            line += f" {np.mean([r[2] for r in rows]):>6.2f} {np.mean([r[3] for r in rows]):>7.2f}"
        print(line, flush=True)
    if runs > 1:
        print(
            f"# all runs: mean gap {np.mean(all_gaps):.2f} %, worst {max(all_gaps):.2f} %,"
            f" within 1 %: {sum(g <= 1.0 for g in all_gaps)}/{len(all_gaps)}"
        )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m planner.bench")
    sub = parser.add_subparsers(dest="command", required=True)
    optw = sub.add_parser("optw")
    optw.add_argument("files", nargs="+")
    optw.add_argument("--decimals", type=int, default=1)
    optw.add_argument("--time-limit", type=float, default=1.0)
    optw.add_argument("--peers", action="store_true")
    optw.add_argument("--iterations", type=int, help="deterministic: iteration limit, no clock")
    optw.add_argument(
        "--routes", type=int, help="team orienteering: M routes from the depot in the same hours"
    )
    optw.set_defaults(func=cmd_optw)
    day = sub.add_parser("day")
    day.add_argument("file")
    day.add_argument("--time-limit", type=float, default=0.5)
    day.add_argument("--iterations", type=int, help="deterministic: iteration limit, no clock")
    day.set_defaults(func=cmd_day)
    gen = sub.add_parser("gen-day")
    gen.add_argument("--pool", type=int, required=True)
    gen.add_argument("--seed", type=int, default=0)
    gen.add_argument("-o", "--output")
    gen.set_defaults(func=cmd_gen_day)
    days = sub.add_parser("days")
    days.add_argument("--pools", default="30,60,120,200")
    days.add_argument("--seeds", type=int, default=2)
    days.add_argument("--time-limit", type=float, default=0.5)
    days.add_argument("--reference", type=float, default=30.0)
    days.add_argument("--peers", action="store_true", help="also run VROOM (extra [bench])")
    days.add_argument(
        "--runs", type=int, default=1, help="runs of ours per day with solver seeds 0..N-1"
    )
    days.set_defaults(func=cmd_days)
    wk = sub.add_parser("week")
    for flag, kind, default in (
        ("--pools", str, "60,120"),
        ("--days", int, 5),
        ("--seeds", int, 2),
        ("--time-limit", float, 1.5),
    ):
        wk.add_argument(flag, type=kind, default=default)
    wk.set_defaults(func=cmd_week)
    args = parser.parse_args(argv)
    if args.func is not cmd_gen_day:
        warm_up()  # measured runs must not pay for loading the compiled search
    args.func(args)


if __name__ == "__main__":
    main()
