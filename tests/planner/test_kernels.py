"""The compiled insertion scan against plain re-timing: it must call a visit insertable exactly when some
position keeps the whole route on time (lunch included)."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from planner.api import compile_request
from planner.kernels import NO_TIME, best_insertions
from planner.problem import BREAK, Problem, schedule
from planner.search import Search

from .conftest import FAST, random_request


def on_time(p: Problem, v: int, seq: list[int]) -> bool:
    """Earliest-start timing written out plainly (lunch where the rep already is)."""
    veh = p.vehicles[v]
    mat = p.matrices[veh.matrix]
    here, t = veh.start, veh.depart
    for c in seq:
        if c == BREAK:
            dur, earliest, latest = veh.brk
            start = max(t, earliest)
            if start > latest:
                return False
            t = start + dur
            continue
        arrive = t + int(mat[here, p.loc[c]])
        opens = [max(arrive, a) for a, b in p.windows[c] if arrive <= b]
        if not opens:
            return False
        t, here = opens[0] + int(p.service[c]), int(p.loc[c])
    return t + int(mat[here, veh.end]) <= veh.return_by


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), size=st.integers(4, 14))
def test_insertion_scan_matches_exact_timing(seed: int, size: int) -> None:
    p = compile_request(random_request(seed, n=size), FAST).problem
    route = Search(p, seed=seed).run(iteration_limit=5).routes[0]
    seq = route.seq
    # take a few visits out so that some of them fit again (not always possible: lunch is taken where
    # the rep is, so without the visit before it the trip after lunch can get too long)
    taken = [c for c in seq if c != BREAK][::2]
    seq = [c for c in seq if c not in taken]
    assume(on_time(p, 0, seq))
    sch = schedule(p, 0, seq)
    unrouted = np.array([c for c in range(p.n) if c not in seq], dtype=np.int64)
    if not len(unrouted):
        return
    delay, gap = best_insertions(
        np.array(seq, dtype=np.int64), sch.locs, sch.arrival, sch.departure, sch.slack, 0,
        unrouted, *p.arrays,
    )  # fmt: skip
    for c, d, g in zip(unrouted.tolist(), delay.tolist(), gap.tolist(), strict=True):
        fits = [on_time(p, 0, seq[:k] + [c] + seq[k:]) for k in range(len(seq) + 1)]
        assert (d < NO_TIME) == any(fits), (c, d, fits)
        if d < NO_TIME:
            assert fits[g], (c, g, fits)
