"""Prize-aware construction and a ruin-and-recreate iterated local search for (team) orienteering with
time windows.

Insertions are checked in O(1) per (customer, position) with forward slack (Savelsbergh's MaxShift).
Each iteration removes a few visits (at random, the worst value per minute, a cluster of related ones,
a run of consecutive ones, or the ones in the way of a valuable unrouted visit), re-inserts greedily
with a randomised order and criterion, shortens promising routes (2-opt, or-opt, lunch moves) to make
room for more, and accepts the result with a cooling threshold (simulated-annealing style). The
iterations themselves run compiled (`ruin_recreate.iterate`, `kernels`); this class drives them: start
plan, temperature, clock, intensification of every new best plan, and restarts when the search stalls,
mostly from fresh randomised builds seeded in another corner of the map, sometimes from the best plan.
Required visits outrank any value. Every kept route is re-timed exactly, so a solution is always
feasible."""

from __future__ import annotations

import random
import time
from collections.abc import Collection, Mapping
from dataclasses import dataclass

import numpy as np

from . import kernels
from . import ruin_recreate as rr
from .problem import BREAK, NO_TIME, Problem, Schedule, place_break, schedule

HEAT_ITERATIONS = 3000  # searches this long start the acceptance threshold at one visit's value
HEAT_LOW = 0.3  # the shortest searches start at this share of it
RATE_SAMPLE = 20  # iterations timed before the start temperature is set under a clock
BLOCK = 32  # compiled iterations between two looks at the clock


@dataclass(slots=True)
class Solution:
    """One sequence per vehicle (customers, BREAK for lunch) with their schedules."""

    routes: list[Schedule]

    @property
    def value(self) -> float:
        """Total prize collected."""
        return sum(r.value for r in self.routes)

    @property
    def duration(self) -> int:
        """Total route time (travel, service and waiting): the tie-breaker."""
        return sum(r.duration for r in self.routes)

    @property
    def required(self) -> int:
        """Required visits kept (appointments): they come before any prize."""
        return sum(r.required for r in self.routes)

    def key(self) -> tuple[int, float, int]:
        """Larger is better: required visits first, then prize, then shorter days."""
        return (self.required, round(self.value, 6), -self.duration)

    def visited(self) -> set[int]:
        """Customers on any route."""
        return {c for r in self.routes for c in r.seq if c != BREAK}

    def copy(self) -> Solution:
        """Schedules are never mutated in place, so a shallow list copy is enough."""
        return Solution(list(self.routes))


@dataclass(slots=True)
class SearchStats:
    """What the search did, for the bench and for debugging."""

    iterations: int = 0
    improvements: int = 0
    restarts: int = 0
    seconds: float = 0.0


class Search:
    """Greedy prize/shift insertion, then ruin-and-recreate iterations with restarts."""

    def __init__(self, p: Problem, seed: int = 0, allowed: np.ndarray | None = None) -> None:
        self.p = p
        self.rng = random.Random(seed)
        self.np_rng = np.random.default_rng(seed)  # for noise vectors (one call, not one per visit)
        self._weights: dict[float, np.ndarray] = {}
        n, nv = p.n, len(p.vehicles)
        # allowed[c, v]: customer c may ride on vehicle v at all (reachable alone)
        self.allowed = np.ones((n, nv), dtype=bool) if allowed is None else allowed
        self.stats = SearchStats()
        # relatedness for cluster removal: travel both ways on the first rep's matrix plus how far
        # apart the visits' windows open (a customer near in space but open at another time is unrelated)
        if n:
            mat = p.matrices[p.vehicles[0].matrix]
            near = mat[np.ix_(p.loc, p.loc)] + mat[np.ix_(p.loc, p.loc)].T
            opens = np.array([w[0][0] if w else 0 for w in p.windows], dtype=np.int64)
            self.related = near + np.abs(opens[:, None] - opens[None, :])
        else:
            self.related = np.zeros((0, 0), dtype=np.int64)
        self.optional = [c for c in range(n) if not p.required[c]]
        self.can_ride = self.allowed.any(axis=1).tolist()  # some rep could make the visit at all

    # ---- construction -------------------------------------------------------------------------
    def empty(self) -> Solution:
        """Routes with only the lunch break (when the vehicle has one)."""
        routes = []
        for v, veh in enumerate(self.p.vehicles):
            seq = [BREAK] if veh.brk is not None else []
            s = schedule(self.p, v, seq)
            if s is None:
                s = schedule(self.p, v, [])
            if s is None:
                raise ValueError(f"vehicle {v} cannot even go from start to end in time")
            routes.append(s)
        return Solution(routes)

    def _best_insertions(
        self, v: int, sch: Schedule, cand: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray]:
        """For each candidate: the smallest feasible time shift over all positions, and that position."""
        seq = np.asarray(sch.seq, dtype=np.int64)
        return kernels.best_insertions(
            seq, sch.locs, sch.arrival, sch.departure, sch.slack, v, cand, *self.p.arrays
        )

    def _weight(self, power: float) -> np.ndarray:
        """Insertion weight of every (customer, route): value^power, infinite for required visits."""
        if power not in self._weights:
            p = self.p
            self._weights[power] = np.where(p.required[:, None], np.inf, p.route_value**power)
        return self._weights[power]

    def insert_greedy(
        self,
        sol: Solution,
        noise: float = 0.0,
        forbid: set[int] | None = None,
        power: float = 2.0,
        only: set[int] | None = None,
    ) -> None:
        """Insert unrouted customers by best value^power / shift until nothing fits (in place).

        `noise` multiplies each customer's score by a random factor in [1, 1 + noise] so repeated repairs
        explore different orders; `forbid` keeps just-removed customers out of this pass; `only` limits
        the pass to these customers (the rest are known not to fit).
        """
        p = self.p
        routed = sol.visited()
        if only is not None:
            pool = sorted(c for c in only if c not in routed)
            if not pool:
                return
            cand = np.array(pool, dtype=np.int64)
        else:
            free = np.ones(p.n, dtype=bool)
            free[list(routed)] = False
            if forbid:
                free[list(forbid)] = False
            cand = np.flatnonzero(free)
            if not len(cand):
                return
        weight = self._weight(power)[cand]
        if noise > 0:
            weight = weight * (1.0 + noise * self.np_rng.random(len(cand)))[:, None]
        nv = len(sol.routes)
        lens = np.array([len(r.seq) for r in sol.routes], dtype=np.int64)
        seqs = np.empty((nv, max(len(r.seq) for r in sol.routes) + len(cand)), dtype=np.int64)
        for v, r in enumerate(sol.routes):
            seqs[v, : lens[v]] = r.seq
        before = lens.copy()
        if not kernels.insert_greedy(seqs, lens, cand, weight, self.allowed, *p.arrays):
            return
        for v in np.flatnonzero(lens != before):
            new = schedule(p, int(v), seqs[v, : lens[v]].tolist())
            assert new is not None  # the kernel only keeps exactly timed routes
            sol.routes[v] = new

    def fresh(self, avoid: set[int] = frozenset()) -> Solution:
        """A randomised build: required visits, then one random seed visit per route (preferably one
        that `avoid`, the best plan so far, does not have: another corner of the map), then noisy greedy
        insertion and tightening."""
        sol = self.empty()
        rng = self.rng
        required = {c for c in range(self.p.n) if self.p.required[c]}
        if required:
            self.insert_greedy(sol, only=required)
        for v in range(len(sol.routes)):
            taken = sol.visited()
            opts = [c for c in self.optional if self.allowed[c, v] and c not in taken]
            fresh_opts = [c for c in opts if c not in avoid]
            opts = fresh_opts or opts
            if opts:
                weights = [float(self.p.route_value[c, v]) + 1e-3 for c in opts]
                c = rng.choices(opts, weights)[0]
                self.insert_greedy(sol, only={c})
        self.insert_greedy(sol, noise=1.0, power=rng.choice((1.0, 2.0)))
        self.insert_greedy(sol)
        self.improve(sol)
        return sol

    def _apply(self, sol: Solution, v: int, move, seq, *extra) -> bool:
        """Run a route-shortening kernel on route v; re-time and keep the route when it changed."""
        out, changed = move(np.asarray(seq, dtype=np.int64), v, *extra, *self.p.arrays)
        if not changed:
            return False
        new = schedule(self.p, v, out.tolist())
        if new is None:
            return False
        sol.routes[v] = new
        return True

    def improve(self, sol: Solution) -> None:
        """Shorten the routes and insert whatever now fits, while that keeps adding value (in place;
        the compiled `ruin_recreate.improve`, the same step the iterations take)."""
        seqs, lens = self._arrays(sol)
        rr.improve(seqs, lens, self._weight(2.0), self.allowed, *self.p.arrays)
        sol.routes[:] = self._solution(seqs, lens).routes

    # ---- local moves --------------------------------------------------------------------------
    def swap_improve(self, sol: Solution) -> bool:
        """Replace a routed customer by a more valuable unrouted one (first improvement).

        After taking the customer out, the route is tightened first: the freed time is often spread
        over waiting and detours that only a reorder collects.
        """
        p = self.p
        routed = sol.visited()
        out = [c for c in range(p.n) if c not in routed]
        if not out:
            return False
        out_arr = np.array(out, dtype=np.int64)
        for v, r in enumerate(sol.routes):
            val = p.route_value[:, v]
            custs = [c for c in r.seq if c != BREAK and not p.required[c]]
            for c in sorted(custs, key=lambda x: val[x]):
                better = out_arr[(val[out_arr] > val[c]) & self.allowed[out_arr, v]]
                if not len(better):
                    continue
                trial = schedule(p, v, [x for x in r.seq if x != c])
                if trial is None:
                    continue
                tmp = Solution(list(sol.routes))
                tmp.routes[v] = trial
                self.tighten(tmp, v, max_rounds=10)
                trial = tmp.routes[v]
                d, pos = self._best_insertions(v, trial, better)
                ok = d < NO_TIME
                if ok.any():
                    gain = np.where(ok, val[better], -1.0)
                    i = int(np.argmax(gain))
                    seq = trial.seq
                    nseq = seq[: int(pos[i])] + [int(better[i])] + seq[int(pos[i]) :]
                    new = schedule(p, v, nseq)
                    if new is not None:
                        sol.routes[v] = new
                        return True
        return False

    def tighten(self, sol: Solution, v: int, max_rounds: int = 50) -> bool:
        """Shorten route v with 2-opt and or-opt moves (`kernels.tighten`); True when it changed.
        Shorter days leave room for more visits at the next insertion."""
        return self._apply(sol, v, kernels.tighten, sol.routes[v].seq, max_rounds)

    def intensify(self, sol: Solution) -> None:
        """On a new best plan: exact relocations (they see waiting, which the travel filter cannot),
        swaps with more valuable unrouted visits, and insertion of whatever then fits."""
        for _ in range(3):
            moved = False
            for v in range(len(sol.routes)):
                if len(sol.routes[v].seq) <= 30:
                    moved |= self.relocate(sol, v)
            swapped = self.swap_improve(sol)
            before = sol.value
            self.insert_greedy(sol)
            if not (moved or swapped or sol.value > before):
                return

    def relocate(self, sol: Solution, v: int) -> bool:
        """Move single visits (or lunch) inside route v to where the day gets shortest; True if it did."""
        return self._apply(sol, v, kernels.relocate, sol.routes[v].seq)

    def _arrays(self, sol: Solution) -> tuple[np.ndarray, np.ndarray]:
        """A solution as the compiled search holds it: one padded row per route, and the lengths."""
        lens = np.array([len(r.seq) for r in sol.routes], dtype=np.int64)
        seqs = np.zeros((len(sol.routes), self.p.n + 1), dtype=np.int64)
        for v, r in enumerate(sol.routes):
            seqs[v, : lens[v]] = r.seq
        return seqs, lens

    def _solution(self, seqs: np.ndarray, lens: np.ndarray) -> Solution:
        """Back from the compiled search's arrays, exactly re-timed."""
        routes = []
        for v in range(len(lens)):
            s = schedule(self.p, v, seqs[v, : lens[v]].tolist())
            assert s is not None  # the compiled search keeps only exactly timed routes
            routes.append(s)
        return Solution(routes)

    # ---- driver -------------------------------------------------------------------------------
    def run(
        self,
        *,
        time_limit: float | None = None,
        iteration_limit: int | None = None,
        initial: Solution | None = None,
    ) -> Solution:
        """Ruin and recreate with a cooling acceptance threshold; stops at whichever limit comes first."""
        t0 = time.perf_counter()
        deadline = None if time_limit is None else t0 + time_limit
        rng = self.rng
        cur = initial.copy() if initial is not None else self.empty()
        self.insert_greedy(cur)
        self.improve(cur)
        while self.swap_improve(cur):
            self.insert_greedy(cur)
        best = cur.copy()
        n_opt = len(self.optional)
        if n_opt == 0:
            self.stats.seconds = time.perf_counter() - t0
            return best
        # temperature in prize units: a fraction of an average visit's value, cooling to almost zero
        mean_value = float(np.mean(self.p.value[self.optional])) or 1.0
        t_end = 0.005 * mean_value

        def heat(expected: float) -> float:
            # A short search cannot afford to wander: it starts cooler, the fewer iterations it gets.
            share = min(1.0, max(HEAT_LOW, expected / HEAT_ITERATIONS))
            return share * mean_value

        t_start = heat(iteration_limit if iteration_limit else 0.0)
        # (measured: restarting after half as many fruitless iterations as there are optional
        # customers finds the best realistic day more often in half a second than after 1.5 times;
        # with several routes, that many times more: on the Solomon instances with 4 routes at 1 s,
        # restarting 4 times later gained about 90 points over the r group, twice over)
        restart_after = max(50, int(0.5 * n_opt * len(self.p.vehicles)))
        rr.seed(rng.randrange(2**31))
        optional = ~self.p.required
        weight1, weight2 = self._weight(1.0), self._weight(2.0)
        cur_seqs, cur_lens = self._arrays(cur)
        it = 0
        since_best = 0
        calibrated = deadline is None
        loop_t0 = time.perf_counter()
        while True:
            if iteration_limit is not None and it >= iteration_limit:
                break
            now = time.perf_counter()
            if deadline is not None and now >= deadline:
                break
            if not calibrated and it >= RATE_SAMPLE:
                # with a clock, the first iterations tell how many the whole budget buys
                expected = it + it / max(now - loop_t0, 1e-9) * (deadline - now)
                if iteration_limit:
                    expected = min(expected, iteration_limit)
                t_start = heat(expected)
                calibrated = True
            frac = 0.0
            if iteration_limit:
                frac = it / iteration_limit
            if deadline is not None:
                frac = max(frac, (now - t0) / time_limit)
            temp = t_start * (t_end / t_start) ** frac
            block = BLOCK if it >= RATE_SAMPLE else RATE_SAMPLE - it
            if calibrated and deadline is not None:
                # near the deadline, only as many iterations as the time left buys (at the rate so far)
                rate = it / max(now - loop_t0, 1e-9)
                block = max(1, min(block, int(rate * (deadline - now))))
            if iteration_limit is not None:
                block = min(block, iteration_limit - it)
            bk = best.key()
            done, since_best, why = rr.iterate(
                cur_seqs, cur_lens, bk[0], bk[1], -bk[2], temp, block, since_best, restart_after,
                self.related, optional, self.can_ride, self.allowed, weight1, weight2, *self.p.arrays,
            )  # fmt: skip
            it += done
            if why == rr.NEW_BEST:
                cur = self._solution(cur_seqs, cur_lens)
                self.intensify(cur)
                if cur.value > best.value + 1e-9:
                    since_best = 0
                best = cur.copy()
                self.stats.improvements += 1
                cur_seqs, cur_lens = self._arrays(cur)
                since_best += 1
                if since_best < restart_after:
                    continue
            if why != rr.BLOCK_DONE:
                # restart from a fresh randomised build (in another corner of the map) or from the
                # best plan so far, so one attractive corner cannot hold the whole search
                self.stats.restarts += 1
                # two fresh builds for every return to the best plan
                cur = self.fresh(best.visited()) if self.stats.restarts % 3 else best.copy()
                cur_seqs, cur_lens = self._arrays(cur)
                since_best = 0
        self.stats.iterations = it
        self.stats.seconds = time.perf_counter() - t0
        return best


def relocate_for_value(p: Problem, sol: Solution) -> Solution:
    """Move visits to the route where they are worth more while the exact timing allows, best gain
    first, until no such move is left.

    On a week (routes = days, values per day) a short search can leave a visit on a later day than
    the one it is worth most on although that day has room; this descent takes those moves. Required
    visits never move (their windows are on their own day only)."""
    routes = list(sol.routes)
    seqs = [[c for c in r.seq if c != BREAK] for r in routes]
    nv = len(seqs)
    for _round in range(4 * p.n + 1):
        best = None
        for v in range(nv):
            for c in seqs[v]:
                for u in range(nv):
                    gain = float(p.route_value[c, u] - p.route_value[c, v])
                    if u == v or gain <= 1e-9 or (best is not None and gain <= best[0]):
                        continue
                    moved = _cheapest_insertion(p, u, seqs[u], c)
                    if moved is None:
                        continue
                    left = [x for x in seqs[v] if x != c]
                    rest = place_break(p, v, left)
                    if rest is not None:
                        best = (gain, c, v, u, moved, rest)
        if best is None:
            break
        _gain, c, v, u, moved, rest = best
        seqs[u], routes[u] = [x for x in moved.seq if x != BREAK], moved
        seqs[v], routes[v] = [x for x in seqs[v] if x != c], rest
    return Solution(routes)


def _cheapest_insertion(p: Problem, v: int, seq: list[int], c: int) -> Schedule | None:
    """Route v with visit c at the position where the day is shortest (None: no position fits)."""
    best = None
    for pos in range(len(seq) + 1):
        s = place_break(p, v, seq[:pos] + [c] + seq[pos:])
        if s is not None and (best is None or s.duration < best.duration):
            best = s
    return best


def insert_unrouted(p: Problem, sol: Solution, skip: Collection[int] = ()) -> Solution:
    """Put visits the search left out on the route where they are worth most and fit (cheapest
    position), most valuable first: on a week with room, a short search (a busy machine) must not leave
    a due customer out. Customers in `skip` stay out (the ones taken along only, see
    `insert_on_the_way`)."""
    routes = list(sol.routes)
    seqs = [[c for c in r.seq if c != BREAK] for r in routes]
    visited = {c for seq in seqs for c in seq}
    waiting = sorted(
        (c for c in range(p.n) if c not in visited and c not in skip and p.windows[c]),
        key=lambda c: (-float(p.route_value[c].max()), c),
    )
    for c in waiting:
        best = None
        for u in range(len(seqs)):
            value = float(p.route_value[c, u])
            if value <= 0 or (best is not None and value < best[0]):
                continue
            s = _cheapest_insertion(p, u, seqs[u], c)
            if s is None:
                continue
            key = (value, -(s.duration - routes[u].duration))
            if best is None or key > best[:2]:
                best = (*key, u, s)
        if best is not None:
            _value, _delta, u, s = best
            routes[u], seqs[u] = s, [x for x in s.seq if x != BREAK]
    return Solution(routes)


def _added_travel(p: Problem, v: int, route: Schedule, customers: list[int]) -> np.ndarray:
    """added[i, g]: the travel that visiting customers[i] between stop g and stop g + 1 of `route` adds
    (there and on to the next stop instead of straight on; lunch is taken where the rep is)."""
    mat, at = p.matrix(v), p.loc[customers]
    before, after = route.locs[:-1], route.locs[1:]
    return mat[np.ix_(before, at)].T + mat[np.ix_(at, after)] - mat[before, after]


def _with_visit(p: Problem, v: int, seq: list[int], c: int, g: int) -> Schedule | None:
    """Route v with visit c put in before position g of `seq`, exactly timed; lunch moved if it has to
    (it is taken where the rep is: moving it changes no travel)."""
    new = schedule(p, v, seq[:g] + [c] + seq[g:])
    if new is None and BREAK in seq:
        new = place_break(p, v, [x for x in seq[:g] + [c] + seq[g:] if x != BREAK])
    return new


def bring_forward(
    p: Problem, sol: Solution, max_detour: int, allowed: np.ndarray | None = None
) -> Solution:
    """Move visits of later routes to route 0 where they add at most `max_detour` of travel to it and
    are worth no less there: the least added travel first, while route 0 has time. Required visits stay.

    For a week: day 0 is the day the rep drives next, the later days are planned again before they come.
    A customer due later in the week whom today's route passes by is visited today at little travel,
    instead of on a trip of its own later."""
    routes = list(sol.routes)
    # (customer, gap of route 0) found not to fit: they stay unfit until route 0 changes
    unfit: set[tuple[int, int]] = set()
    while True:
        later = [
            (c, v)
            for v in range(1, len(routes))
            for c in routes[v].seq
            if c != BREAK
            and not p.required[c]
            and p.route_value[c, 0] >= p.route_value[c, v] - 1e-9
            and (allowed is None or allowed[c, 0])
        ]
        if not later:
            break
        added = _added_travel(p, 0, routes[0], [c for c, _v in later])
        options = sorted(
            (int(added[i, g]), c, v, int(g))
            for i, (c, v) in enumerate(later)
            for g in np.flatnonzero(added[i] <= max_detour)
            if (c, int(g)) not in unfit
        )
        moved = False
        for _added, c, v, g in options:
            first = _with_visit(p, 0, routes[0].seq, c, g)
            if first is None:
                unfit.add((c, g))
                continue
            rest = place_break(p, v, [x for x in routes[v].seq if x not in (c, BREAK)])
            if rest is None:  # (a shorter day always fits; kept for safety)
                continue
            routes[0], routes[v] = first, rest
            unfit.clear()
            moved = True
            break
        if not moved:
            break
    return Solution(routes)


def insert_on_the_way(
    p: Problem, sol: Solution, max_detour: Mapping[int, int], allowed: np.ndarray | None = None
) -> Solution:
    """Add the visits taken along only (`max_detour`: customer -> the most travel, in seconds, its visit
    may add to a route) where a route passes by them: the least added travel first, each at the place in
    a route where it adds least, never more than its limit, and only into time the route has left (the
    other visits and their times stay as they are but for the shift). Values do not order them: every
    such visit is worth little, and what decides whether it is worth making is what it costs to get
    there."""
    routes = list(sol.routes)
    waiting = set(max_detour) - sol.visited()
    # (customer, route, gap) found not to fit: they stay unfit until that route changes
    unfit: set[tuple[int, int, int]] = set()
    while waiting:
        options = []
        for v, r in enumerate(routes):
            near = [
                c
                for c in sorted(waiting)
                if p.route_value[c, v] > 0 and (allowed is None or allowed[c, v])
            ]
            if not near:
                continue
            added = _added_travel(p, v, r, near)
            for i, c in enumerate(near):
                for g in np.flatnonzero(added[i] <= max_detour[c]):
                    if (c, v, int(g)) not in unfit:
                        options.append((int(added[i, g]), c, v, int(g)))
        placed = False
        for _added, c, v, g in sorted(options):
            new = _with_visit(p, v, routes[v].seq, c, g)
            if new is None:
                unfit.add((c, v, g))
                continue
            routes[v] = new
            unfit = {u for u in unfit if u[1] != v}
            waiting.discard(c)
            placed = True
            break
        if not placed:
            break
    return Solution(routes)
