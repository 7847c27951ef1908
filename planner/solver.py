"""The only module that imports OR-Tools: build the routing model, solve, extract plain sequences.

The routing model is the canonical formulation (time dimension with waiting as slack, busy periods removed
from start domains with `RemoveInterval`, lunch as a vehicle break interval, optional visits as
disjunctions whose penalty is the prize). Our own iterated local search (`search.py`) supplies the start
solution; OR-Tools checks it against the model (`ReadAssignmentFromRoutes`) and polishes it.
"""

from __future__ import annotations

import functools
import time
from dataclasses import dataclass, field

import numpy as np
from ortools.constraint_solver import pywrapcp, routing_enums_pb2

from .model import PlanOptions
from .problem import BREAK, Problem, VehicleData, place_break
from .search import (
    Search,
    Solution,
    bring_forward,
    insert_on_the_way,
    insert_unrouted,
    relocate_for_value,
)

VALUE_SCALE = 1000  # prizes are floats; OR-Tools needs integers


# OR-Tools' metaheuristic for the polish when a clock bounds it
POLISH_METAHEURISTIC = "GUIDED_LOCAL_SEARCH"
# clock of the descent on one day's order in a week (it stops at its local optimum well before: a few
# milliseconds for 15 visits)
DAY_DESCENT_SECONDS = 0.05


@dataclass(slots=True)
class SolveOutcome:
    """Plain result: the best solution and what each phase did."""

    solution: Solution
    iterations: int
    seconds: float
    engine: str
    notes: list[str] = field(default_factory=list)


class RoutingModel:
    """OR-Tools routing model of a Problem."""

    def __init__(self, p: Problem, allowed: np.ndarray | None = None) -> None:
        self.p = p
        n, nv = p.n, len(p.vehicles)
        starts = [n + 2 * v for v in range(nv)]
        ends = [n + 2 * v + 1 for v in range(nv)]
        self.manager = pywrapcp.RoutingIndexManager(n + 2 * nv, nv, starts, ends)
        self.routing = pywrapcp.RoutingModel(self.manager)
        m, r = self.manager, self.routing
        node_loc = np.concatenate(
            [
                p.loc,
                np.array([x for veh in p.vehicles for x in (veh.start, veh.end)], dtype=np.int64),
            ]
        )
        node_svc = np.concatenate([p.service, np.zeros(2 * nv, dtype=np.int64)])
        # OR-Tools matrices are indexed by routing index, not node; build them in that order once
        order = np.array([m.IndexToNode(i) for i in range(r.Size() + nv)], dtype=np.int64)
        loc_by_index = node_loc[order]
        svc_by_index = node_svc[order]
        transit_ids, cost_ids = {}, {}
        for mi in {veh.matrix for veh in p.vehicles}:
            travel = p.matrices[mi][np.ix_(loc_by_index, loc_by_index)]
            cost_ids[mi] = r.RegisterTransitMatrix(travel.tolist())
            transit_ids[mi] = r.RegisterTransitMatrix((travel + svc_by_index[:, None]).tolist())
        horizon = int(max(veh.return_by for veh in p.vehicles))
        r.AddDimensionWithVehicleTransits(
            [transit_ids[veh.matrix] for veh in p.vehicles], horizon, horizon, False, "Time"
        )
        tdim = r.GetDimensionOrDie("Time")
        self.time = tdim
        for v, veh in enumerate(p.vehicles):
            r.SetArcCostEvaluatorOfVehicle(cost_ids[veh.matrix], v)
            tdim.CumulVar(r.Start(v)).SetRange(veh.depart, veh.return_by)
            tdim.CumulVar(r.End(v)).SetRange(veh.depart, veh.return_by)
        # prizes dominate travel: one unit of prize outweighs any possible total travel
        big = int(sum(veh.return_by - veh.depart for veh in p.vehicles)) + 1
        # (a prize per node: with values per route, as in the week, each visit's best; the check of a
        # plan does not depend on prizes, and a polished plan counts only if its exact value is higher)
        prizes = [int(round(x * VALUE_SCALE)) * big for x in p.value]
        required_penalty = sum(prizes) + big
        for c in range(n):
            idx = m.NodeToIndex(c)
            cv = tdim.CumulVar(idx)
            ws = p.windows[c]
            if not ws or (allowed is not None and not allowed[c].any()):
                r.AddDisjunction([idx], 0)
                cv.SetRange(0, 0)
                r.ActiveVar(idx).SetValue(0)
                continue
            cv.SetRange(ws[0][0], min(ws[-1][1], horizon))
            for (_, b), (a2, _) in zip(ws, ws[1:], strict=False):
                cv.RemoveInterval(b + 1, a2 - 1)
            r.AddDisjunction([idx], required_penalty if p.required[c] else prizes[c])
            if allowed is not None and not allowed[c].all():
                # only reps that could make the visit alone may take it
                # (through the vehicle variable: SetAllowedVehiclesForIndex takes no Python list
                # in OR-Tools 9.15)
                r.VehicleVar(idx).RemoveValues([v for v in range(nv) if not allowed[c, v]])
        solver = r.solver()
        self.breaks = []
        visit_transits = [int(x) for x in svc_by_index[: r.Size() + nv]]
        for v, veh in enumerate(p.vehicles):
            if veh.brk is None:
                self.breaks.append(None)
                continue
            dur, e, latest = veh.brk
            iv = solver.FixedDurationIntervalVar(e, latest, dur, False, f"lunch{v}")
            tdim.SetBreakIntervalsOfVehicle([iv], v, visit_transits)
            self.breaks.append(iv)

    def params(self, time_limit: float | None, solution_limit: int | None, meta: str):
        """Search parameters for a polish run."""
        sp = pywrapcp.DefaultRoutingSearchParameters()
        sp.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PATH_CHEAPEST_ARC
        sp.local_search_metaheuristic = getattr(routing_enums_pb2.LocalSearchMetaheuristic, meta)
        if time_limit is not None:
            sp.time_limit.FromMilliseconds(max(1, int(time_limit * 1000)))
        if solution_limit is not None:
            sp.solution_limit = solution_limit
        return sp

    def routes_of(self, assignment) -> list[list[int]]:
        """Customer sequences per vehicle from an assignment."""
        m, r = self.manager, self.routing
        out = []
        for v in range(len(self.p.vehicles)):
            idx = assignment.Value(r.NextVar(r.Start(v)))
            seq = []
            while not r.IsEnd(idx):
                seq.append(m.IndexToNode(idx))
                idx = assignment.Value(r.NextVar(idx))
            out.append(seq)
        return out

    def polish(
        self,
        sol: Solution,
        time_limit: float | None,
        solution_limit: int | None,
        meta: str,
        check_only: bool = False,
    ) -> tuple[Solution | None, str]:
        """Load `sol` into the model (which checks it), improve it with OR-Tools local search.

        The model is closed with a generous clock: loading the routes runs under the close-time limits,
        and a nearly spent budget must not turn a valid plan into a "rejected" one.
        """
        r = self.routing
        r.CloseModelWithParameters(self.params(10.0, None, meta))
        seqs = [[c for c in s.seq if c != BREAK] for s in sol.routes]
        start = r.ReadAssignmentFromRoutes(
            [[self.manager.NodeToIndex(c) for c in q] for q in seqs], True
        )
        if start is None:
            return None, "OR-Tools rejected the start solution"
        if check_only:
            return sol, "ok"
        out = r.SolveFromAssignmentWithParameters(
            start, self.params(time_limit, solution_limit, meta)
        )
        if out is None:
            return None, "OR-Tools found no solution"
        routes = []
        for v, seq in enumerate(self.routes_of(out)):
            s = place_break(self.p, v, seq)
            if s is None:
                return None, "OR-Tools solution failed the exact timing check"
            routes.append(s)
        return Solution(routes), "ok"


def solve(
    p: Problem,
    settings: PlanOptions,
    allowed: np.ndarray | None = None,
    max_detour: dict[int, int] | None = None,
    first_day_detour: int | None = None,
) -> SolveOutcome:
    """Iterated local search, then an OR-Tools polish; keep whichever is better.

    The customers in `max_detour` are taken along only: the search plans without them, then each goes
    where a route passes by it, adding at most its limit of travel (`search.insert_on_the_way`).
    `first_day_detour`: on a week, visits of later days that day 0 passes by move there
    (`search.bring_forward`), before those taken along only.

    With a time limit the whole call (model building and the OR-Tools check included) stays inside it:
    the search stops early enough to leave the polish its share plus the time to build the model.
    """
    warm_up()
    t0 = time.perf_counter()
    limit = settings.time_limit
    polish = bool(settings.polish and p.n)
    reserve = 0.0
    if limit is not None and polish:
        # building the routing model and checking the plan in it grow with the square of the visits
        # (measured: 0.045 s for 120 customers, 0.06 s for 200, 0.16 s for 500; the matrices are
        # handed over as Python lists)
        reserve = limit * settings.polish_share + min(
            0.2 * limit, 0.01 + 0.0003 * p.n + 4e-7 * p.n**2
        )
        if p.days_apart():
            # one model per day (below); measured on generated weeks: 0.04 s a day for 60
            # customers, 0.08 s for 120, 0.12 s for 200
            reserve = min(0.4 * limit, len(p.vehicles) * (0.01 + 0.0006 * p.n))
    along = max_detour or {}
    search_allowed = allowed
    if along:
        # the search never sees them: with any value at all it would take them whatever the detour
        search_allowed = np.ones((p.n, len(p.vehicles)), dtype=bool) if allowed is None else allowed
        search_allowed = search_allowed.copy()
        search_allowed[list(along)] = False
    search = Search(p, seed=settings.seed, allowed=search_allowed)
    ils_time = None
    if limit is not None:
        ils_time = max(0.001, limit - reserve - (time.perf_counter() - t0))
    best = search.run(time_limit=ils_time, iteration_limit=settings.iteration_limit)
    if p.days_apart():
        # a week: visits left out that fit, and visits on a day worth less than one with room (cheap)
        moved = relocate_for_value(p, insert_unrouted(p, best, skip=along))
        if moved.key() > best.key():
            best = moved
        if first_day_detour is not None:
            best = bring_forward(p, best, first_day_detour, allowed)
        if along:
            # into the room the search left, before OR-Tools checks each day
            best = insert_on_the_way(p, best, along, allowed)
    notes: list[str] = []
    engine = "ils"
    if polish and p.days_apart():
        # Routes that never share an hour (a week's days) are checked one by one, each on a day's
        # small model: one model spanning the week needs seconds to cut the nights out of every
        # visit's time domain. OR-Tools checks each day and reorders its own visits only (a day's
        # polish free to choose could take a visit made on another day).
        routes = list(best.routes)
        for v in range(len(p.vehicles)):
            # the day's own visits only: the descent reorders them, it never takes another day's
            own = np.zeros((p.n, 1), dtype=bool)
            own[[c for c in routes[v].seq if c != BREAK], 0] = True
            day_allowed = own if allowed is None else own & allowed[:, [v]]
            model = RoutingModel(p.route_problem(v), day_allowed)
            checked, why = model.polish(
                Solution([routes[v]]), DAY_DESCENT_SECONDS, None, "GREEDY_DESCENT"
            )
            if checked is None:
                notes.append(f"route {v}: {why}")
                continue
            # a week's search spreads its time over every day; a descent on each day's order alone
            # (OR-Tools' route moves) often shortens it: kept when it keeps the visits and is shorter
            seq = [c for c in checked.routes[0].seq if c != BREAK]
            shorter = place_break(p, v, seq)
            if (
                shorter is not None
                and shorter.required >= routes[v].required
                and shorter.value >= routes[v].value - 1e-9
                and shorter.duration < routes[v].duration
            ):
                routes[v] = shorter
        best = Solution(routes)
        engine = "ils (checked by ortools, route by route)"
    elif polish:
        # the polish, too, must not take the visits taken along only whatever the detour
        model = RoutingModel(p, search_allowed)
        sol_limit = settings.solution_limit
        if limit is None:
            rest = None
            # Guided local search never stops on its own: without a clock, descend to a local optimum
            # so the deterministic mode (iteration/solution limits only) always ends.
            meta = "GREEDY_DESCENT"
            if sol_limit is None:
                sol_limit = 50
        else:
            rest = limit - (time.perf_counter() - t0) - 0.005
            meta = POLISH_METAHEURISTIC
        # no share or no time left to search: OR-Tools only checks the plan against its model
        check_only = rest is not None and (settings.polish_share == 0 or rest < 0.01)
        polished, why = model.polish(best, rest, sol_limit, meta, check_only)
        if polished is None:
            notes.append(why)
        elif polished.key() > best.key():
            best, engine = polished, "ils+ortools"
        else:
            engine = "ils (checked by ortools)"
    if along and not p.days_apart():
        # after the polish (the routes are exactly timed as they go in, as after every search move)
        best = insert_on_the_way(p, best, along, allowed)
    return SolveOutcome(best, search.stats.iterations, time.perf_counter() - t0, engine, notes)


@functools.cache
def warm_up() -> None:
    """Load the compiled search (compiling it, the first time on a machine: about half a minute) by
    planning a tiny day, so the first real plan of a process gets its whole time budget.

    `solve` calls it before its clock starts; it does its work once per process. Setup commands call
    it early so the one-time compilation happens there, not in a rep's first request.
    """
    travel = np.array(
        [[0, 600, 900, 700], [600, 0, 400, 800], [900, 400, 0, 500], [700, 800, 500, 0]]
    )
    p = Problem(
        loc=np.array([1, 2, 3]),
        service=[1800, 1200, 2700],
        value=[3.0, 5.0, 8.0],
        windows=[[(9 * 3600, 11 * 3600)], [(9 * 3600, 17 * 3600)], [(13 * 3600, 16 * 3600)]],
        required=[False, True, False],
        vehicles=[
            VehicleData(0, 0, 9 * 3600, 12 * 3600, brk=(2700, 11 * 3600, 13 * 3600)),
            VehicleData(0, 0, 9 * 3600, 18 * 3600, brk=(2700, 11 * 3600, 13 * 3600)),
        ],
        matrices=[travel],
    )
    Search(p, seed=0).run(iteration_limit=200)
