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
    # plain-list copies for the scalar hot loops (`schedule`)
    loc_list: list[int] = field(init=False)
    service_list: list[int] = field(init=False)
    value_list: list[float] = field(init=False)
    required_list: list[bool] = field(init=False)
    _rows: list[list[list[int]]] = field(init=False)

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
        self.loc_list = [int(x) for x in self.loc]
        self.service_list = [int(x) for x in self.service]
        self.value_list = [float(x) for x in self.value]
        self.required_list = [bool(x) for x in self.required]
        self._rows = [m.tolist() for m in self.matrices]

    @property
    def n(self) -> int:
        """Number of customers."""
        return len(self.loc)

    def matrix(self, v: int) -> np.ndarray:
        """Travel matrix of vehicle v."""
        return self.matrices[self.vehicles[v].matrix]

    def matrix_rows(self, v: int) -> list[list[int]]:
        """Travel matrix of vehicle v as nested lists (fast scalar access)."""
        return self._rows[self.vehicles[v].matrix]


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
    required: int = 0  # how many required visits (appointments) the route keeps


def schedule(p: Problem, v: int, seq: Sequence[int]) -> Schedule | None:
    """Time a route with earliest starts (dominant under waiting); None when it is infeasible.

    Plain Python lists inside (numpy scalar indexing is ten times slower for routes this short); the
    arrays of the result are what the vectorised insertion checks read.
    """
    veh = p.vehicles[v]
    mat = p.matrix_rows(v)
    loc_of, svc, val, wins, req = (
        p.loc_list,
        p.service_list,
        p.value_list,
        p.windows,
        p.required_list,
    )
    m = len(seq)
    locs = [veh.start]
    arr = [veh.depart]
    st = [veh.depart]
    dep = [veh.depart]
    win_hi = [veh.depart]  # leaving later never helps an earliest-start schedule
    prev_loc = veh.start
    t = veh.depart
    value = 0.0
    n_req = 0
    for c in seq:
        if c == BREAK:
            if veh.brk is None:
                return None
            dur, e, latest = veh.brk
            s = t if t > e else e
            if s > latest:
                return None
            locs.append(prev_loc)  # lunch is taken where the rep already is
            arr.append(t)
            st.append(s)
            win_hi.append(latest)
            t = s + dur
            dep.append(t)
            continue
        loc = loc_of[c]
        a = t + mat[prev_loc][loc]
        s = -1
        for w0, w1 in wins[c]:
            if a <= w1:
                s, hi = (a if a > w0 else w0), w1
                break
        if s < 0:
            return None
        locs.append(loc)
        arr.append(a)
        st.append(s)
        win_hi.append(hi)
        t = s + svc[c]
        dep.append(t)
        prev_loc = loc
        value += val[c]
        n_req += req[c]
    a = t + mat[prev_loc][veh.end]
    if a > veh.return_by:
        return None
    locs.append(veh.end)
    arr.append(a)
    st.append(a)
    dep.append(a)
    win_hi.append(veh.return_by)
    # backward pass: slack = wait here + how far the start may move within its window and downstream
    slack = [0] * (m + 2)
    nxt = veh.return_by - a
    slack[m + 1] = nxt
    for k in range(m, -1, -1):
        room = win_hi[k] - st[k]
        nxt = (st[k] - arr[k]) + (room if room < nxt else nxt)
        slack[k] = nxt
    i64 = np.int64
    return Schedule(
        list(seq),
        np.array(locs, dtype=i64),
        np.array(arr, dtype=i64),
        np.array(st, dtype=i64),
        np.array(dep, dtype=i64),
        np.array(slack, dtype=i64),
        value,
        int(a - veh.depart),
        n_req,
    )


def route_duration(p: Problem, v: int, seq: Sequence[int], limit: int | None = None) -> int | None:
    """Only the length of an earliest-start route (None when infeasible or not under `limit`).

    The cheap twin of `schedule` for local search, which times many orders and keeps few: no arrays,
    and it gives up as soon as the route cannot beat `limit`.
    """
    veh = p.vehicles[v]
    mat = p.matrix_rows(v)
    loc_of, svc, wins = p.loc_list, p.service_list, p.windows
    stop = veh.return_by if limit is None else min(veh.return_by, veh.depart + limit - 1)
    prev_loc = veh.start
    t = veh.depart
    for c in seq:
        if c == BREAK:
            if veh.brk is None:
                return None
            dur, e, latest = veh.brk
            s = t if t > e else e
            if s > latest:
                return None
            t = s + dur
            continue
        loc = loc_of[c]
        a = t + mat[prev_loc][loc]
        if a > stop:
            return None
        for w0, w1 in wins[c]:
            if a <= w1:
                t = (a if a > w0 else w0) + svc[c]
                break
        else:
            return None
        prev_loc = loc
    a = t + mat[prev_loc][veh.end]
    if a > stop:
        return None
    return a - veh.depart
