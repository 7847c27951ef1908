"""Factories for small planner requests with hand-written travel times."""

from __future__ import annotations

import random

import pytest

from planner import Candidate, Location, LunchBreak, PlanOptions, PlanRequest, Rep, Window

H = 3600
M = 60
FAST = PlanOptions(time_limit=None, iteration_limit=150, solution_limit=20)
HQ = Location(35.68, 139.76)


def grid_request(
    cands: list[Candidate],
    coords: list[tuple[int, int]],
    *,
    reps: list[Rep] | None = None,
    minutes_per_unit: int = 5,
) -> PlanRequest:
    """A request whose travel minutes are Manhattan distances on a grid (rep starts/ends at (0, 0))."""
    reps = reps or [Rep("r1", HQ, HQ, 9 * H, 18 * H)]
    pts = []
    for _ in reps:
        pts += [(0, 0), (0, 0)]
    pts += coords
    return PlanRequest(tuple(reps), tuple(cands), durations=grid_durations(pts, minutes_per_unit))


def grid_durations(
    points: list[tuple[int, int]], minutes_per_unit: int
) -> tuple[tuple[int, ...], ...]:
    """Travel seconds between grid points: Manhattan distance × minutes per unit."""
    return tuple(
        tuple((abs(a[0] - b[0]) + abs(a[1] - b[1])) * minutes_per_unit * M for b in points)
        for a in points
    )


def cand(cid: str, service_min: int = 30, value: float = 1.0, **kw) -> Candidate:
    """A candidate at HQ (the grid override decides travel)."""
    return Candidate(cid, HQ, service_min * M, value, **kw)


def random_request(seed: int, n: int = 12, n_reps: int = 1, lunch: bool = True) -> PlanRequest:
    """A random but valid grid request with windows, busy periods and maybe an appointment."""
    rng = random.Random(seed)
    cands, coords = [], []
    for i in range(n):
        kw: dict = {}
        r = rng.random()
        if r < 0.3:
            a = rng.randrange(9, 16) * H
            kw["windows"] = (Window(a, a + rng.choice([1, 2, 3]) * H),)
        elif r < 0.5:
            kw["busy"] = (Window(11 * H, 14 * H),)
        elif r < 0.6:
            kw["windows"] = (Window(9 * H, 11 * H), Window(15 * H, 17 * H))
        cands.append(cand(f"c{i}", rng.choice([15, 30, 45]), float(rng.randint(1, 9)), **kw))
        coords.append((rng.randint(-6, 6), rng.randint(-6, 6)))
    if n > 3 and rng.random() < 0.5:
        cands[0] = cand("c0", 30, 5.0, appointment=rng.randrange(10, 16) * H)
    lb = LunchBreak(45 * M, 11 * H, 14 * H) if lunch else None
    reps = [Rep(f"r{k}", HQ, HQ, 9 * H, 18 * H, lunch=lb) for k in range(n_reps)]
    return grid_request(cands, coords, reps=reps)


@pytest.fixture
def fast() -> PlanOptions:
    """Deterministic, quick options."""
    return FAST
