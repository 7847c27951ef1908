"""The solver-facing problem: plain integer arrays shared by the search, OR-Tools model and bench."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from . import kernels
from .kernels import BREAK, NO_TIME  # noqa: F401  (re-exported: the rest of the planner imports them here)


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
    """Customers 0..n-1 with location `loc[i]`, service, prize, sorted start windows; vehicles.

    `value` is one prize per customer, or a (customer, vehicle) matrix when a visit is worth more on
    one route than another (the week: routes are days). `value` then keeps each customer's best prize
    and `route_value` the whole matrix, which is what the search and the timing count.
    """

    loc: np.ndarray
    service: np.ndarray
    value: np.ndarray
    windows: list[list[tuple[int, int]]]
    required: np.ndarray
    vehicles: list[VehicleData]
    matrices: list[np.ndarray]
    win_start: np.ndarray = field(init=False)
    win_end: np.ndarray = field(init=False)
    route_value: np.ndarray = field(init=False)
    # the same data as the plain arrays every compiled kernel takes (see `kernels`)
    arrays: tuple = field(init=False)

    def __post_init__(self) -> None:
        n = len(self.loc)
        self.loc = np.asarray(self.loc, dtype=np.int64)
        self.service = np.asarray(self.service, dtype=np.int64)
        value = np.asarray(self.value, dtype=float)
        nv = len(self.vehicles)
        if value.ndim == 1:
            value = np.repeat(value.reshape(-1, 1), nv, axis=1)
        if value.shape != (n, nv):
            raise ValueError("value must have one prize per customer or per customer and vehicle")
        self.route_value = np.ascontiguousarray(value)
        self.value = value.max(axis=1) if nv else np.zeros(n)
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
        vehicles = np.zeros((len(self.vehicles), kernels.VEHICLE_COLUMNS), dtype=np.int64)
        for v, veh in enumerate(self.vehicles):
            row = vehicles[v]
            row[kernels.V_START], row[kernels.V_END] = veh.start, veh.end
            row[kernels.V_DEPART], row[kernels.V_RETURN] = veh.depart, veh.return_by
            row[kernels.V_MATRIX] = veh.matrix
            if veh.brk is not None:
                dur, earliest, latest = veh.brk
                row[kernels.V_BRK_DUR] = dur
                row[kernels.V_BRK_EARLIEST], row[kernels.V_BRK_LATEST] = earliest, latest
        mats = np.stack(self.matrices) if self.matrices else np.zeros((1, 1, 1), dtype=np.int64)
        self.arrays = (
            np.ascontiguousarray(mats),
            self.loc,
            self.service,
            self.route_value,
            self.required.astype(np.int64),
            self.win_start,
            self.win_end,
            vehicles,
        )

    @property
    def n(self) -> int:
        """Number of customers."""
        return len(self.loc)

    def matrix(self, v: int) -> np.ndarray:
        """Travel matrix of vehicle v."""
        return self.matrices[self.vehicles[v].matrix]

    def days_apart(self) -> bool:
        """Whether there are several routes and no two of their hours overlap (a week's days)."""
        spans = sorted((veh.depart, veh.return_by) for veh in self.vehicles)
        return len(spans) > 1 and all(a[1] < b[0] for a, b in zip(spans, spans[1:], strict=False))

    def route_problem(self, v: int) -> Problem:
        """Route v alone: its vehicle, every customer at its value there, windows cut to its hours."""
        veh = self.vehicles[v]
        return Problem(
            loc=self.loc,
            service=self.service,
            value=self.route_value[:, v],
            windows=[
                [(max(a, veh.depart), min(b, veh.return_by)) for a, b in ws] for ws in self.windows
            ],
            required=self.required,
            vehicles=[veh],
            matrices=self.matrices,
        )


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
    """Time a route with earliest starts (dominant under waiting); None when it is infeasible."""
    ok, locs, arr, st, dep, slack, value, dur, n_req = kernels.timing(
        np.asarray(seq, dtype=np.int64), v, *p.arrays
    )
    if not ok:
        return None
    return Schedule(list(seq), locs, arr, st, dep, slack, value, int(dur), int(n_req))


def place_break(p: Problem, v: int, seq: Sequence[int]) -> Schedule | None:
    """Schedule a sequence, putting lunch (when the vehicle has one) where the day ends earliest."""
    visits = [c for c in seq if c != BREAK]
    if p.vehicles[v].brk is None:
        return schedule(p, v, visits)
    best: Schedule | None = None
    for k in range(len(visits) + 1):
        s = schedule(p, v, visits[:k] + [BREAK] + visits[k:])
        if s is not None and (best is None or s.duration < best.duration):
            best = s
    return best
