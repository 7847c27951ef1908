"""Prize-aware construction and iterated local search for (team) orienteering with time windows.

Insertions are checked in O(1) per (customer, position) with forward slack (Savelsbergh's MaxShift),
vectorised with numpy over all unrouted customers and all positions of a route at once.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import numpy as np

from .problem import BREAK, NO_TIME, Problem, Schedule, schedule


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

    def key(self) -> tuple[float, int]:
        """Larger is better: prize first, then shorter days."""
        return (round(self.value, 6), -self.duration)

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
    seconds: float = 0.0


class Search:
    """Greedy prize/shift insertion, then shake-and-repair iterations with restarts from the best."""

    def __init__(self, p: Problem, seed: int = 0, allowed: np.ndarray | None = None) -> None:
        self.p = p
        self.rng = random.Random(seed)
        n, nv = p.n, len(p.vehicles)
        # allowed[c, v]: customer c may ride on vehicle v at all (reachable alone)
        self.allowed = np.ones((n, nv), dtype=bool) if allowed is None else allowed
        self.value2 = p.value**2
        self.stats = SearchStats()

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
        p = self.p
        mat = p.matrix(v)
        locs = sch.locs
        m1 = len(locs) - 1  # number of gaps
        lc = p.loc[cand]
        arr_t = sch.departure[:m1][None, :] + mat[np.ix_(locs[:m1], lc)].T
        ws, we = p.win_start[cand], p.win_end[cand]
        start = np.full(arr_t.shape, NO_TIME, dtype=np.int64)
        for k in range(ws.shape[1] - 1, -1, -1):
            ok = arr_t <= we[:, k : k + 1]
            start = np.where(ok, np.maximum(arr_t, ws[:, k : k + 1]), start)
        end = start + p.service[cand][:, None]
        nxt = end + mat[np.ix_(lc, locs[1:])]
        delta = nxt - sch.arrival[1:][None, :]
        feas = (start < NO_TIME) & (delta <= sch.slack[1:][None, :])
        veh = p.vehicles[v]
        if veh.brk is not None and BREAK in sch.seq:
            b = sch.seq.index(BREAK) + 1  # node index of the break
            # inserting just before lunch moves lunch to the new customer's place
            dur, e, latest = veh.brk
            bs = np.maximum(end[:, b - 1], e)
            nb = bs + dur + mat[lc, locs[b + 1]]
            d2 = nb - sch.arrival[b + 1]
            feas[:, b - 1] = (start[:, b - 1] < NO_TIME) & (bs <= latest) & (d2 <= sch.slack[b + 1])
            delta[:, b - 1] = d2
        delta = np.where(feas, np.maximum(delta, 0), NO_TIME)
        pos = np.argmin(delta, axis=1)
        return delta[np.arange(len(cand)), pos], pos

    def insert_greedy(
        self, sol: Solution, noise: float = 0.0, forbid: set[int] | None = None
    ) -> None:
        """Insert unrouted customers by best value^2/shift until nothing fits (in place)."""
        p = self.p
        routed = sol.visited()
        pool = [c for c in range(p.n) if c not in routed and (forbid is None or c not in forbid)]
        if not pool:
            return
        cand = np.array(pool, dtype=np.int64)
        nv = len(sol.routes)
        best_d = np.full((nv, len(cand)), NO_TIME, dtype=np.int64)
        best_p = np.zeros((nv, len(cand)), dtype=np.int64)
        for v in range(nv):
            best_d[v], best_p[v] = self._best_insertions(v, sol.routes[v], cand)
        best_d[~self.allowed[cand].T] = NO_TIME
        jitter = (
            np.array([1.0 + noise * self.rng.random() for _ in cand])
            if noise > 0
            else np.ones(len(cand))
        )
        while len(cand):
            v_best = np.argmin(best_d, axis=0)
            d = best_d[v_best, np.arange(len(cand))]
            feas = d < NO_TIME
            if not feas.any():
                return
            # required customers always go first; otherwise prize squared per second consumed
            score = np.where(feas, self.value2[cand] * jitter / (d + 1.0), -1.0)
            score = np.where(feas & p.required[cand], np.inf, score)
            i = int(np.argmax(score))
            c, v = int(cand[i]), int(v_best[i])
            pos = int(best_p[v, i])
            seq = sol.routes[v].seq
            new = schedule(p, v, seq[:pos] + [c] + seq[pos:])
            keep = np.ones(len(cand), dtype=bool)
            keep[i] = False
            cand, best_d, best_p, jitter = (
                cand[keep],
                best_d[:, keep],
                best_p[:, keep],
                jitter[keep],
            )
            if new is None:  # conservative slack said yes but the exact timing says no: skip it
                continue
            sol.routes[v] = new
            if len(cand):
                best_d[v], best_p[v] = self._best_insertions(v, new, cand)
                best_d[v, ~self.allowed[cand, v]] = NO_TIME

    # ---- improvement --------------------------------------------------------------------------
    def remove(self, sol: Solution, v: int, drop: set[int]) -> None:
        """Remove customers from route v and re-time it (removal never breaks earliest-start timing)."""
        seq = [c for c in sol.routes[v].seq if c not in drop]
        new = schedule(self.p, v, seq)
        if new is None:  # only possible with exotic break/matrix data: keep the route as it was
            return
        sol.routes[v] = new

    def shake(self, sol: Solution, size: int, start: int) -> None:
        """Remove `size` consecutive optional customers from every route, from position `start`."""
        req = self.p.required
        for v, r in enumerate(sol.routes):
            custs = [c for c in r.seq if c != BREAK and not req[c]]
            if not custs:
                continue
            s = start % len(custs)
            drop = set(custs[s : s + size])
            if s + size > len(custs):
                drop |= set(custs[: s + size - len(custs)])
            self.remove(sol, v, drop)

    def swap_improve(self, sol: Solution) -> bool:
        """Try to replace a routed customer by a more valuable unrouted one (first improvement)."""
        p = self.p
        routed = sol.visited()
        out = [c for c in range(p.n) if c not in routed]
        if not out:
            return False
        out_arr = np.array(out, dtype=np.int64)
        for v, r in enumerate(sol.routes):
            custs = [c for c in r.seq if c != BREAK and not p.required[c]]
            for c in sorted(custs, key=lambda x: p.value[x]):
                better = out_arr[(p.value[out_arr] > p.value[c]) & self.allowed[out_arr, v]]
                if not len(better):
                    continue
                seq = [x for x in r.seq if x != c]
                trial = schedule(p, v, seq)
                if trial is None:
                    continue
                d, pos = self._best_insertions(v, trial, better)
                ok = d < NO_TIME
                if ok.any():
                    gain = np.where(ok, p.value[better], -1.0)
                    i = int(np.argmax(gain))
                    nseq = seq[: int(pos[i])] + [int(better[i])] + seq[int(pos[i]) :]
                    new = schedule(p, v, nseq)
                    if new is not None:
                        sol.routes[v] = new
                        return True
        return False

    def two_opt_time(self, sol: Solution) -> None:
        """Shorten routes with relocations of single customers (frees time for more insertions)."""
        p = self.p
        for v in range(len(sol.routes)):
            improved = True
            while improved:
                improved = False
                r = sol.routes[v]
                seq = r.seq
                for i in range(len(seq)):
                    c = seq[i]
                    rest = seq[:i] + seq[i + 1 :]
                    best = r
                    for j in range(len(rest) + 1):
                        if j == i:
                            continue
                        s = schedule(p, v, rest[:j] + [c] + rest[j:])
                        if s is not None and s.duration < best.duration:
                            best = s
                    if best is not r:
                        sol.routes[v] = best
                        improved = True
                        break

    # ---- driver -------------------------------------------------------------------------------
    def run(
        self,
        *,
        time_limit: float | None = None,
        iteration_limit: int | None = None,
        initial: Solution | None = None,
    ) -> Solution:
        """Iterated local search; stops at whichever limit comes first."""
        t0 = time.perf_counter()
        deadline = None if time_limit is None else t0 + time_limit
        cur = initial.copy() if initial is not None else self.empty()
        self.insert_greedy(cur)
        while self.swap_improve(cur):
            self.insert_greedy(cur)
        best = cur.copy()
        size, start, stall = 1, 0, 0
        it = 0
        while True:
            if iteration_limit is not None and it >= iteration_limit:
                break
            if deadline is not None and time.perf_counter() >= deadline:
                break
            it += 1
            trial = cur.copy()
            self.shake(trial, size, start)
            self.insert_greedy(trial, noise=0.3 if it % 3 == 0 else 0.0)
            if it % 5 == 0:
                while self.swap_improve(trial):
                    self.insert_greedy(trial)
            if trial.key() > cur.key():
                cur = trial
                size = 1
                if cur.key() > best.key():
                    best = cur.copy()
                    self.stats.improvements += 1
                    stall = 0
            else:
                start += size
                size += 1
                stall += 1
            longest = max(1, max(len(r.seq) for r in cur.routes))
            if start >= longest:
                start %= longest
            if size > max(1, longest // 3 + 1):
                size = 1
            if stall and stall % 40 == 0:
                cur = best.copy()  # restart from the best known solution
            elif stall and stall % 10 == 0:
                cur = trial  # accept a worse solution now and then to leave a local optimum
        self.stats.iterations = it
        self.stats.seconds = time.perf_counter() - t0
        return best
