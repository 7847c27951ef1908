"""The solver-facing problem: plain integer arrays shared by the search, OR-Tools model and bench."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

BREAK = -1  # marker for the lunch break inside a route sequence
NO_TIME = np.iinfo(np.int64).max // 4  # "never" that still survives additions


@dataclass(frozen=True, slots=True)
class VehicleData:
    """One rep in solver terms: location indices, time limits, matrix and optional break."""

    start: int
    end: int
    depart: int
    return_by: int
    matrix: int = 0
    # (duration, earliest start, latest start) of the floating lunch break
    brk: tuple[int, int, int] | None = None

    def __post_init__(self) -> None:
        if self.return_by < self.depart:
            raise ValueError("vehicle must return after it departs")
        if self.brk is not None and (self.brk[0] <= 0 or self.brk[2] < self.brk[1]):
            raise ValueError("break needs a positive duration and earliest <= latest start")


@dataclass(slots=True)
class Problem:
    """Customers 0..n-1 with location `loc[i]`, service, prize, sorted start windows; vehicles."""

    loc: np.ndarray
    service: np.ndarray
    value: np.ndarray
    windows: list[list[tuple[int, int]]]
    required: np.ndarray
    vehicles: list[VehicleData]
    matrices: list[np.ndarray]
    win_start: np.ndarray = field(init=False)
    win_end: np.ndarray = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.loc)
        self.loc = np.asarray(self.loc, dtype=np.int64)
        self.service = np.asarray(self.service, dtype=np.int64)
        self.value = np.asarray(self.value, dtype=float)
        self.required = np.asarray(self.required, dtype=bool)
        self.matrices = [np.asarray(m, dtype=np.int64) for m in self.matrices]
        if not (
            len(self.service) == len(self.value) == len(self.windows) == len(self.required) == n
        ):
            raise ValueError("per-customer arrays must have the same length")
        # merge and sort so "first window whose end is not yet past" is the earliest feasible start
        self.windows = [merge_windows(w) for w in self.windows]
        k = max([1] + [len(w) for w in self.windows])
        self.win_start = np.full((n, k), NO_TIME, dtype=np.int64)
        self.win_end = np.full((n, k), -1, dtype=np.int64)
        for i, ws in enumerate(self.windows):
            for j, (a, b) in enumerate(ws):
                self.win_start[i, j] = a
                self.win_end[i, j] = b

    @property
    def n(self) -> int:
        """Number of customers."""
        return len(self.loc)

    def matrix(self, v: int) -> np.ndarray:
        """Travel matrix of vehicle v."""
        return self.matrices[self.vehicles[v].matrix]


def merge_windows(windows: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort windows and merge the ones that touch or overlap."""
    out: list[tuple[int, int]] = []
    for a, b in sorted((int(a), int(b)) for a, b in windows if b >= a):
        if out and a <= out[-1][1] + 1:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def subtract_busy(
    windows: Sequence[tuple[int, int]], busy: Sequence[tuple[int, int]], service: int
) -> list[tuple[int, int]]:
    """Allowed start windows minus every start that would make [start, start+service] overlap a busy period."""
    allowed = merge_windows(windows)
    for b0, b1 in busy:
        # a visit starting in (b0 - service, b1) would overlap the busy period's interior
        lo, hi = b0 - service + 1, b1 - 1
        nxt: list[tuple[int, int]] = []
        for a, b in allowed:
            if hi < a or lo > b:
                nxt.append((a, b))
                continue
            if a < lo:
                nxt.append((a, lo - 1))
            if b > hi:
                nxt.append((hi + 1, b))
        allowed = nxt
    return allowed


@dataclass(slots=True)
class Schedule:
    """Earliest-start timing of one route; index 0 is the start depot, last is the end depot."""

    seq: list[int]
    locs: np.ndarray
    arrival: np.ndarray
    start: np.ndarray
    departure: np.ndarray
    slack: np.ndarray  # how much the arrival at each node may be delayed without breaking the route
    value: float
    duration: int


def schedule(p: Problem, v: int, seq: Sequence[int]) -> Schedule | None:
    """Time a route with earliest starts (dominant under waiting); None when it is infeasible."""
    veh = p.vehicles[v]
    mat = p.matrix(v)
    m = len(seq)
    locs = np.empty(m + 2, dtype=np.int64)
    arr = np.zeros(m + 2, dtype=np.int64)
    st = np.zeros(m + 2, dtype=np.int64)
    dep = np.zeros(m + 2, dtype=np.int64)
    win_hi = np.zeros(m + 2, dtype=np.int64)
    locs[0] = veh.start
    arr[0] = st[0] = dep[0] = veh.depart
    win_hi[0] = veh.depart  # leaving later never helps an earliest-start schedule
    prev_loc = veh.start
    t = veh.depart
    value = 0.0
    for k, c in enumerate(seq, start=1):
        if c == BREAK:
            if veh.brk is None:
                return None
            dur, e, latest = veh.brk
            locs[k] = prev_loc  # lunch is taken where the rep already is
            arr[k] = t
            s = max(t, e)
            if s > latest:
                return None
            st[k], win_hi[k] = s, latest
            t = s + dur
            dep[k] = t
            continue
        loc = int(p.loc[c])
        a = t + int(mat[prev_loc, loc])
        s = -1
        for w0, w1 in p.windows[c]:
            if a <= w1:
                s, hi = max(a, w0), w1
                break
        if s < 0:
            return None
        locs[k], arr[k], st[k], win_hi[k] = loc, a, s, hi
        t = s + int(p.service[c])
        dep[k] = t
        prev_loc = loc
        value += float(p.value[c])
    a = t + int(mat[prev_loc, veh.end])
    if a > veh.return_by:
        return None
    locs[m + 1], arr[m + 1], st[m + 1], dep[m + 1] = veh.end, a, a, a
    win_hi[m + 1] = veh.return_by
    # backward pass: slack = wait here + how far the start may move within its window and downstream
    slack = np.zeros(m + 2, dtype=np.int64)
    slack[m + 1] = veh.return_by - a
    for k in range(m, -1, -1):
        maxshift = min(win_hi[k] - st[k], slack[k + 1])
        slack[k] = (st[k] - arr[k]) + maxshift
    return Schedule(list(seq), locs, arr, st, dep, slack, value, int(a - veh.depart))
