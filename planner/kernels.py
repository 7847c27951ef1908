"""The search's inner loops, compiled with numba: route timing, insertion costs, greedy insertion and
the moves that shorten a route.

Why compiled: the search spends its time in short scalar loops over routes of 10-30 stops, where every
Python or numpy call costs microseconds. Compiled, one ruin-and-recreate iteration is about ten times
cheaper, and a half-second plan gets as many iterations as five seconds bought in Python (measured with
`python -m planner.bench days`). `cache=True` keeps the machine code in `__pycache__`, so only the first
plan on a machine pays the compilation (a few seconds).

Every kernel takes the problem as the plain arrays of `Problem.arrays` (`*p.arrays`):
`mats` (matrix, from, to) travel seconds, per customer `cloc` location, `svc` visit length, `val` prize per (customer, vehicle),
`req` 1 when required, `ws`/`we` sorted start windows (padded with NO_TIME/-1), and per vehicle `veh`
(the `V_*` columns). A route is an int64 array of customers with BREAK for the lunch break.
"""

from __future__ import annotations

import numpy as np
from numba import njit

BREAK = -1  # marker for the lunch break inside a route sequence
NO_TIME = np.iinfo(np.int64).max // 4  # "never" that still survives additions

# columns of the vehicle array; a vehicle has a lunch break when V_BRK_DUR > 0
V_START, V_END, V_DEPART, V_RETURN, V_MATRIX, V_BRK_DUR, V_BRK_EARLIEST, V_BRK_LATEST = range(8)
VEHICLE_COLUMNS = 8


@njit(cache=True, nogil=True)
def _window_start(c, a, ws, we):
    """Earliest start of customer c when arriving at `a`, in the first window not yet closed (windows
    sorted and merged), and that window's end; (-1, 0) when every window has closed."""
    for j in range(ws.shape[1]):
        if a <= we[c, j]:
            return (a if a > ws[c, j] else ws[c, j]), we[c, j]
    return -1, 0


@njit(cache=True, nogil=True)
def timing(seq, v, mats, cloc, svc, val, req, ws, we, veh):
    """Earliest-start timing of route `seq` on vehicle v.

    Returns (feasible, locs, arrival, start, departure, slack, value, duration, required) with node 0
    the start depot and node len(seq) + 1 the end. Slack is how far the arrival at a node may move
    later without breaking the rest of the route (waiting absorbs delay; windows and return bound it).
    """
    m = len(seq)
    mat = mats[veh[v, V_MATRIX]]
    depart, ret = veh[v, V_DEPART], veh[v, V_RETURN]
    bdur, be, blate = veh[v, V_BRK_DUR], veh[v, V_BRK_EARLIEST], veh[v, V_BRK_LATEST]
    locs = np.empty(m + 2, np.int64)
    arr = np.empty(m + 2, np.int64)
    st = np.empty(m + 2, np.int64)
    dep = np.empty(m + 2, np.int64)
    hi = np.empty(m + 2, np.int64)  # latest start that keeps each node in its window
    slack = np.zeros(m + 2, np.int64)
    prev = veh[v, V_START]
    locs[0] = prev
    arr[0] = st[0] = dep[0] = hi[0] = depart
    t = depart
    value = 0.0
    n_req = 0
    for i in range(m):
        c = seq[i]
        if c == BREAK:
            s = t if t > be else be
            if bdur <= 0 or s > blate:
                return False, locs, arr, st, dep, slack, value, 0, 0
            locs[i + 1] = prev  # lunch is taken where the rep already is
            arr[i + 1] = t
            st[i + 1] = s
            hi[i + 1] = blate
            t = s + bdur
            dep[i + 1] = t
            continue
        loc = cloc[c]
        a = t + mat[prev, loc]
        s, h = _window_start(c, a, ws, we)
        if s < 0:
            return False, locs, arr, st, dep, slack, value, 0, 0
        locs[i + 1] = loc
        arr[i + 1] = a
        st[i + 1] = s
        hi[i + 1] = h
        t = s + svc[c]
        dep[i + 1] = t
        prev = loc
        value += val[c, v]
        n_req += req[c]
    a = t + mat[prev, veh[v, V_END]]
    if a > ret:
        return False, locs, arr, st, dep, slack, value, 0, 0
    locs[m + 1] = veh[v, V_END]
    arr[m + 1] = st[m + 1] = dep[m + 1] = a
    hi[m + 1] = ret
    nxt = ret - a
    slack[m + 1] = nxt
    for i in range(m, -1, -1):
        room = hi[i] - st[i]
        nxt = (st[i] - arr[i]) + (room if room < nxt else nxt)
        slack[i] = nxt
    return True, locs, arr, st, dep, slack, value, a - depart, n_req


@njit(cache=True, nogil=True)
def duration(seq, v, limit, mats, cloc, svc, val, req, ws, we, veh):
    """Only the length of the earliest-start route: -1 when infeasible or not under `limit` (> 0).

    The cheap twin of `timing` for local search, which times many orders and keeps few: no arrays,
    and it gives up as soon as the route cannot beat `limit`.
    """
    mat = mats[veh[v, V_MATRIX]]
    depart = veh[v, V_DEPART]
    stop = veh[v, V_RETURN]
    if limit > 0 and depart + limit - 1 < stop:
        stop = depart + limit - 1
    bdur, be, blate = veh[v, V_BRK_DUR], veh[v, V_BRK_EARLIEST], veh[v, V_BRK_LATEST]
    prev = veh[v, V_START]
    t = depart
    for i in range(len(seq)):
        c = seq[i]
        if c == BREAK:
            s = t if t > be else be
            if bdur <= 0 or s > blate:
                return -1
            t = s + bdur
            continue
        loc = cloc[c]
        a = t + mat[prev, loc]
        if a > stop:
            return -1
        s = _window_start(c, a, ws, we)[0]
        if s < 0:
            return -1
        t = s + svc[c]
        prev = loc
    a = t + mat[prev, veh[v, V_END]]
    if a > stop:
        return -1
    return a - depart


@njit(cache=True, nogil=True)
def _break_node(seq):
    """Node index (1-based, as in the timing arrays) of the lunch break, 0 when the route has none."""
    for i in range(len(seq)):
        if seq[i] == BREAK:
            return i + 1
    return 0


@njit(cache=True, nogil=True)
def best_insertions(seq, locs, arr, dep, slack, v, cand, mats, cloc, svc, val, req, ws, we, veh):
    """For each candidate: the smallest feasible delay to the rest of the route over all gaps, and
    that gap (NO_TIME when it fits nowhere). O(1) per gap thanks to the forward slack.

    A gap's room (latest arrival at the next node minus the departure before it, less lunch when the
    visit would go just before lunch) bounds every insertion there, since travel is never negative: a
    visit longer than the widest room fits nowhere and is skipped before any travel time is read.
    """
    mat = mats[veh[v, V_MATRIX]]
    bdur, be, blate = veh[v, V_BRK_DUR], veh[v, V_BRK_EARLIEST], veh[v, V_BRK_LATEST]
    b = _break_node(seq) if bdur > 0 else 0
    gaps = len(locs) - 1
    # the widest gap bounds every insertion: a visit longer than it fits nowhere
    widest = -1
    for g in range(gaps):
        if g == b - 1:  # before lunch, lunch then has to fit too
            room = arr[b + 1] + slack[b + 1] - bdur - dep[g]
        else:
            room = arr[g + 1] + slack[g + 1] - dep[g]
        widest = max(widest, room)
    best_d = np.full(len(cand), NO_TIME, np.int64)
    best_p = np.zeros(len(cand), np.int64)
    for i in range(len(cand)):
        c = cand[i]
        if svc[c] > widest:
            continue
        loc = cloc[c]
        last_start = we[c].max()
        for g in range(gaps):
            if dep[g] > last_start:
                break  # departures only get later along a route: every later gap is too late as well
            a = dep[g] + mat[locs[g], loc]
            s = _window_start(c, a, ws, we)[0]
            if s < 0:
                continue
            if g == b - 1:
                # inserting just before lunch moves lunch to the new customer's place
                bs = s + svc[c]
                if bs < be:
                    bs = be
                if bs > blate:
                    continue
                d = bs + bdur + mat[loc, locs[b + 1]] - arr[b + 1]
                if d > slack[b + 1]:
                    continue
            else:
                d = s + svc[c] + mat[loc, locs[g + 1]] - arr[g + 1]
                if d > slack[g + 1]:
                    continue
            if d < 0:
                d = 0
            if d < best_d[i]:
                best_d[i] = d
                best_p[i] = g
    return best_d, best_p


@njit(cache=True, nogil=True)
def insert_greedy(seqs, lens, cand, weight, allowed, mats, cloc, svc, val, req, ws, we, veh):
    """Insert candidates into the routes (rows of `seqs`, `lens` long) by best weight / delay until
    nothing fits; changes `seqs` and `lens` in place and returns how many went in. `weight` is per
    (candidate, vehicle): a visit may be worth more on one route than on another.

    A candidate that fits nowhere leaves the pass: with travel times that keep the triangle inequality a
    route only gets tighter as visits go in.
    """
    problem = (mats, cloc, svc, val, req, ws, we, veh)
    nv = seqs.shape[0]
    nc = len(cand)
    best_d = np.full((nv, nc), NO_TIME, np.int64)
    best_p = np.zeros((nv, nc), np.int64)
    active = np.ones(nc, np.bool_)
    for v in range(nv):
        _fill_insertions(seqs, lens, v, cand, active, allowed, best_d, best_p, *problem)
    inserted = 0
    while True:
        pick, pick_v = -1, 0
        pick_score = -1.0
        for i in range(nc):
            if not active[i]:
                continue
            vb, score = -1, -1.0
            for v in range(nv):
                if best_d[v, i] < NO_TIME:
                    s = weight[i, v] / (best_d[v, i] + 1.0)
                    # ties (equal prizes, or required visits' infinite weight): the smaller delay
                    if vb < 0 or s > score or (s == score and best_d[v, i] < best_d[vb, i]):
                        vb, score = v, s
            if vb < 0:
                active[i] = False
                continue
            if score > pick_score:
                pick, pick_v, pick_score = i, vb, score
        if pick < 0:
            return inserted
        active[pick] = False
        v, pos, n = pick_v, best_p[pick_v, pick], lens[pick_v]
        trial = np.empty(n + 1, np.int64)
        trial[:pos] = seqs[v, :pos]
        trial[pos] = cand[pick]
        trial[pos + 1 :] = seqs[v, pos:n]
        ok = timing(trial, v, mats, cloc, svc, val, req, ws, we, veh)[0]
        if not ok:  # the slack said yes but the exact timing says no: skip this candidate
            continue
        seqs[v, : n + 1] = trial
        lens[v] = n + 1
        inserted += 1
        _fill_insertions(seqs, lens, v, cand, active, allowed, best_d, best_p, *problem)


@njit(cache=True, nogil=True)
def _fill_insertions(
    seqs, lens, v, cand, active, allowed, best_d, best_p, mats, cloc, svc, val, req, ws, we, veh
):
    """Row v of the insertion tables for the active candidates, from the route's fresh timing."""
    seq = seqs[v, : lens[v]]
    ok, locs, arr, st, dep, slack, value, dur, nr = timing(
        seq, v, mats, cloc, svc, val, req, ws, we, veh
    )
    if not ok:
        best_d[v, :] = NO_TIME
        return
    sub = cand[active]
    d, p = best_insertions(
        seq, locs, arr, dep, slack, v, sub, mats, cloc, svc, val, req, ws, we, veh
    )
    j = 0
    for i in range(len(cand)):
        if not active[i]:
            continue
        best_d[v, i] = d[j] if allowed[cand[i], v] else NO_TIME
        best_p[v, i] = p[j]
        j += 1


@njit(cache=True, nogil=True)
def _node_locs(seq, v, cloc, veh):
    """Location of every node of a route (lunch where the rep already is)."""
    m = len(seq)
    loc = np.empty(m + 2, np.int64)
    loc[0] = veh[v, V_START]
    for i in range(m):
        c = seq[i]
        loc[i + 1] = loc[i] if c == BREAK else cloc[c]
    loc[m + 1] = veh[v, V_END]
    return loc


@njit(cache=True, nogil=True)
def _move_run(seq, i, length, at, trial):
    """Write to `trial` the route without seq[i:i+length], with that run put back at position `at` of
    the result."""
    t = 0
    for q in range(len(seq)):
        if i <= q < i + length:
            continue
        if t == at:
            trial[t : t + length] = seq[i : i + length]
            t += length
        trial[t] = seq[q]
        t += 1
    if t == at:
        trial[t : t + length] = seq[i : i + length]


@njit(cache=True, nogil=True)
def _or_opt(seq, trial, loc, mat, cur, v, mats, cloc, svc, val, req, ws, we, veh):
    """The first or-opt move (a run of 1-3 visits put elsewhere) that keeps the route feasible and no
    longer than `cur`, written to `trial`; False when there is none."""
    m = len(seq)
    # move seq[i:i+L] (nodes i+1..i+L) to between nodes j and j+1
    for L in range(1, 4):
        for i in range(m - L + 1):
            a, b1, b2, z = loc[i], loc[i + 1], loc[i + L], loc[i + L + 1]
            cut = mat[a, b1] + mat[b2, z] - mat[a, z]
            for j in range(m + 1):
                if i <= j <= i + L:
                    continue
                x, y = loc[j], loc[j + 1]
                if mat[x, b1] + mat[b2, y] - mat[x, y] - cut >= 0:
                    continue
                _move_run(seq, i, L, j if j < i else j - L, trial)
                if duration(trial, v, cur, mats, cloc, svc, val, req, ws, we, veh) >= 0:
                    return True
    return False


@njit(cache=True, nogil=True)
def _two_opt(seq, trial, loc, mat, cur, v, mats, cloc, svc, val, req, ws, we, veh):
    """The first 2-opt move (nodes i..j reversed) that keeps the route feasible and no longer than
    `cur`, written to `trial`; False when there is none. The filter assumes symmetric travel."""
    m = len(seq)
    for i in range(1, m):
        a, b = loc[i - 1], loc[i]
        for j in range(i + 1, m + 1):
            c, e = loc[j], loc[j + 1]
            if mat[a, c] + mat[b, e] - mat[a, b] - mat[c, e] >= 0:
                continue
            trial[:] = seq
            trial[i - 1 : j] = seq[i - 1 : j][::-1]
            if duration(trial, v, cur, mats, cloc, svc, val, req, ws, we, veh) >= 0:
                return True
    return False


@njit(cache=True, nogil=True)
def tighten(seq, v, max_rounds, mats, cloc, svc, val, req, ws, we, veh):
    """Shorten a route with or-opt (runs of 1-3 visits) and 2-opt moves, first improvement.

    Moves are filtered by their travel change in O(1) (a move that adds travel rarely shortens the day)
    and only the promising ones are timed. Returns (route, changed).
    """
    mat = mats[veh[v, V_MATRIX]]
    seq = seq.copy()
    m = len(seq)
    trial = np.empty(m, np.int64)
    changed = False
    if m < 2:
        return seq, changed
    for _ in range(max_rounds):
        loc = _node_locs(seq, v, cloc, veh)
        cur = duration(seq, v, 0, mats, cloc, svc, val, req, ws, we, veh)
        found = _or_opt(seq, trial, loc, mat, cur, v, mats, cloc, svc, val, req, ws, we, veh)
        if not found:
            found = _two_opt(seq, trial, loc, mat, cur, v, mats, cloc, svc, val, req, ws, we, veh)
        if not found:
            break
        seq[:] = trial
        changed = True
    return seq, changed


@njit(cache=True, nogil=True)
def relocate(seq, v, mats, cloc, svc, val, req, ws, we, veh):
    """Move one visit (or lunch) to where the day gets shortest, exactly timed (the travel filter of
    `tighten` cannot see waiting). Returns (route, changed)."""
    m = len(seq)
    best = duration(seq, v, 0, mats, cloc, svc, val, req, ws, we, veh)
    best_seq = seq.copy()
    changed = False
    if best < 0:
        return best_seq, changed
    trial = np.empty(m, np.int64)
    for i in range(m):
        for j in range(m):
            if j == i:
                continue
            _move_run(seq, i, 1, j, trial)
            d = duration(trial, v, best, mats, cloc, svc, val, req, ws, we, veh)
            if d >= 0:
                best = d
                best_seq[:] = trial
                changed = True
    return best_seq, changed


@njit(cache=True, nogil=True)
def move_lunch(seq, v, mats, cloc, svc, val, req, ws, we, veh):
    """Put lunch where the day gets shortest. Returns (route, changed)."""
    m = len(seq)
    b = _break_node(seq)
    if b == 0:
        return seq.copy(), False
    best = duration(seq, v, 0, mats, cloc, svc, val, req, ws, we, veh)
    if best < 0:
        best = 0
    best_seq = seq.copy()
    changed = False
    trial = np.empty(m, np.int64)
    rest = np.empty(m - 1, np.int64)
    t = 0
    for q in range(m):
        if seq[q] != BREAK:
            rest[t] = seq[q]
            t += 1
    for at in range(m):
        trial[:at] = rest[:at]
        trial[at] = BREAK
        trial[at + 1 :] = rest[at:]
        d = duration(trial, v, best, mats, cloc, svc, val, req, ws, we, veh)
        if d >= 0:
            best = d
            best_seq[:] = trial
            changed = True
    return best_seq, changed
