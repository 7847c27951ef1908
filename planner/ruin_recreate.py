"""The ruin-and-recreate iterations of the search, compiled (numba) as one block of iterations.

`Search.run` (search.py) drives: it sets the temperature, watches the clock, restarts and intensifies.
Between two such decisions everything happens here, on plain arrays, so an iteration costs tens of
microseconds instead of the ~150 the same steps cost as Python calls around compiled pieces. (Measured:
10,000 iterations find the best known realistic day on every seed tried; 3,000 miss it one time in six.)

A solution is `seqs` (vehicle, position) with `lens` per vehicle: customers, BREAK for lunch. The
problem arrays are those of `Problem.arrays`; `search` holds the search's own per-customer data
(see `SearchArrays`). Random numbers come from numba's generator, seeded by `seed`.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from .kernels import BREAK, V_MATRIX, insert_greedy, move_lunch, tighten, timing

# what `iterate` stopped for
BLOCK_DONE, NEW_BEST, RESTART_DUE = 0, 1, 2

# ruin kinds
RANDOM, WORST, RELATED, RUN, OUTSIDER = range(5)


@njit(cache=True, nogil=True)
def seed(value):
    """Seed numba's random generator (separate from numpy's and Python's)."""
    np.random.seed(value)


@njit(cache=True, nogil=True)
def route_stats(seqs, lens, rval, rdur, rreq, mats, cloc, svc, val, req, ws, we, veh):
    """Value, duration and required visits of every route (routes here are always feasible)."""
    for v in range(seqs.shape[0]):
        _ok, _l, _a, _s, _d, _sl, value, dur, n_req = timing(
            seqs[v, : lens[v]], v, mats, cloc, svc, val, req, ws, we, veh
        )
        rval[v], rdur[v], rreq[v] = value, dur, n_req


@njit(cache=True, nogil=True)
def _key_cmp(r1, v1, d1, r2, v2, d2):
    """Compare plans: required visits first, then value, then the shorter day (1, 0 or -1)."""
    if r1 != r2:
        return 1 if r1 > r2 else -1
    if abs(v1 - v2) > 1e-6:
        return 1 if v1 > v2 else -1
    if d1 != d2:
        return 1 if d1 < d2 else -1
    return 0


@njit(cache=True, nogil=True)
def _routed_optional(seqs, lens, optional):
    """Customer, vehicle and position of every routed optional visit."""
    total = 0
    for v in range(seqs.shape[0]):
        total += lens[v]
    rc = np.empty(total, np.int64)
    rv = np.empty(total, np.int64)
    rp = np.empty(total, np.int64)
    n = 0
    for v in range(seqs.shape[0]):
        for i in range(lens[v]):
            c = seqs[v, i]
            if c != BREAK and optional[c]:
                rc[n], rv[n], rp[n] = c, v, i
                n += 1
    return rc[:n], rv[:n], rp[:n]


@njit(cache=True, nogil=True)
def _pop_skewed(order, k, power):
    """Take k entries of `order` (best first), each at index int(len * r^power): skewed to the front."""
    pool = order.copy()
    m = len(pool)
    out = np.empty(min(k, m), np.int64)
    for t in range(len(out)):
        j = int(m * np.random.random() ** power)
        out[t] = pool[j]
        for q in range(j, m - 1):
            pool[q] = pool[q + 1]
        m -= 1
    return out


@njit(cache=True, nogil=True)
def ruin(seqs, lens, k, how, related, optional, can_ride, mats, cloc, svc, val, req, ws, we, veh):
    """Pick up to k optional visits to remove; returns (removed, outsider to insert first or -1).

    RANDOM any; WORST low value per second saved (skewed, as in Ropke & Pisinger); RELATED near a
    routed visit in space and opening time; RUN consecutive visits of one route; OUTSIDER: room for one
    valuable unrouted visit (the best days often trade three small visits for one big one).
    """
    rc, rv, rp = _routed_optional(seqs, lens, optional)
    m = len(rc)
    if m == 0:
        return rc, -1
    k = min(k, m)
    if how == RANDOM:
        idx = np.arange(m)
        for t in range(k):  # partial Fisher-Yates
            j = t + np.random.randint(0, m - t)
            idx[t], idx[j] = idx[j], idx[t]
        return rc[idx[:k]], -1
    if how == WORST:
        ratio = np.empty(m)
        timed = -1
        for t in range(m):
            v, i, c = rv[t], rp[t], rc[t]
            if v != timed:  # the visits come route by route: time each route once
                ok, locs, arr, st, dep, slack, value, dur, nr = timing(
                    seqs[v, : lens[v]], v, mats, cloc, svc, val, req, ws, we, veh
                )
                mat = mats[veh[v, V_MATRIX]]
                timed = v
            a, b, z = locs[i], locs[i + 1], locs[i + 2]
            saving = mat[a, b] + svc[c] + mat[b, z] - mat[a, z] + (st[i + 1] - arr[i + 1])
            ratio[t] = val[c, v] / (max(saving, 0) + 1.0)
        return _pop_skewed(rc[np.argsort(ratio, kind="mergesort")], k, 3.0), -1
    if how == OUTSIDER:
        # one unrouted visit, drawn by value squared, and the routed visits nearest to it
        n = len(optional)
        routed = np.zeros(n, np.bool_)
        for v in range(seqs.shape[0]):
            for i in range(lens[v]):
                if seqs[v, i] != BREAK:
                    routed[seqs[v, i]] = True
        best = np.empty(n)  # each customer's prize on the route where it is worth most
        for c in range(n):
            best[c] = val[c].max()
        total = 0.0
        for c in range(n):
            if optional[c] and can_ride[c] and not routed[c]:
                total += best[c] ** 2 + 1e-3
        if total == 0.0:
            return rc[:0], -1
        r = np.random.random() * total
        outsider = -1
        for c in range(n):
            if optional[c] and can_ride[c] and not routed[c]:
                r -= best[c] ** 2 + 1e-3
                outsider = c
                if r <= 0:
                    break
        order = rc[np.argsort(related[outsider, rc], kind="mergesort")]
        return _pop_skewed(order, k, 3.0), outsider
    if how == RELATED:
        t = np.random.randint(0, m)
        centre = rc[t]
        others = np.concatenate((rc[:t], rc[t + 1 :]))
        order = others[np.argsort(related[centre, others], kind="mergesort")]
        out = np.empty(k, np.int64)
        out[0] = centre
        out[1:] = _pop_skewed(order, k - 1, 4.0)
        return out, -1
    # RUN: consecutive visits of one route (wrapping round), any route's when it has none
    v = np.random.randint(0, seqs.shape[0])
    mine = rc[rv == v]
    if len(mine) == 0:
        mine = rc
    s = np.random.randint(0, len(mine))
    out = np.empty(min(k, len(mine)), np.int64)
    for t in range(len(out)):
        out[t] = mine[(s + t) % len(mine)]
    return out, -1


@njit(cache=True, nogil=True)
def remove(seqs, lens, drop, mats, cloc, svc, val, req, ws, we, veh):
    """Take customers out of every route (removal keeps earliest-start timing valid)."""
    n = len(val)
    gone = np.zeros(n, np.bool_)
    for c in drop:
        gone[c] = True
    for v in range(seqs.shape[0]):
        kept = np.empty(lens[v], np.int64)
        m = 0
        for i in range(lens[v]):
            c = seqs[v, i]
            if c == BREAK or not gone[c]:
                kept[m] = c
                m += 1
        if m == lens[v]:
            continue
        # only infeasible with exotic (non-metric) matrices: then the route stays as it was
        if timing(kept[:m], v, mats, cloc, svc, val, req, ws, we, veh)[0]:
            seqs[v, :m] = kept[:m]
            lens[v] = m


@njit(cache=True, nogil=True)
def _unrouted(seqs, lens, n, skip):
    """Customers on no route (and not in `skip`), ascending."""
    free = np.ones(n, np.bool_)
    for v in range(seqs.shape[0]):
        for i in range(lens[v]):
            if seqs[v, i] != BREAK:
                free[seqs[v, i]] = False
    for c in skip:
        free[c] = False
    return np.flatnonzero(free)


@njit(cache=True, nogil=True)
def _total_value(seqs, lens, val):
    total = 0.0
    for v in range(seqs.shape[0]):
        for i in range(lens[v]):
            if seqs[v, i] != BREAK:
                total += val[seqs[v, i], v]
    return total


@njit(cache=True, nogil=True)
def improve(seqs, lens, weight2, allowed, mats, cloc, svc, val, req, ws, we, veh):
    """Shorten the routes (lunch moves, or-opt, 2-opt) and insert whatever now fits, while that keeps
    adding value."""
    nothing = np.empty(0, np.int64)
    for _ in range(4):
        changed = False
        for v in range(seqs.shape[0]):
            out, moved = move_lunch(seqs[v, : lens[v]], v, mats, cloc, svc, val, req, ws, we, veh)
            if moved:
                seqs[v, : lens[v]] = out
                changed = True
        for v in range(seqs.shape[0]):
            out, moved = tighten(seqs[v, : lens[v]], v, 50, mats, cloc, svc, val, req, ws, we, veh)
            if moved:
                seqs[v, : lens[v]] = out
                changed = True
        if not changed:
            return
        before = _total_value(seqs, lens, val)
        cand = _unrouted(seqs, lens, len(val), nothing)
        insert_greedy(
            seqs, lens, cand, weight2[cand], allowed, mats, cloc, svc, val, req, ws, we, veh
        )
        if _total_value(seqs, lens, val) <= before:
            return


@njit(cache=True, nogil=True)
def iterate(
    cur_seqs,
    cur_lens,
    best_req,
    best_value,
    best_dur,
    temp,
    iterations,
    since_best,
    restart_after,
    related,
    optional,
    can_ride,
    allowed,
    weight1,
    weight2,
    mats,
    cloc,
    svc,
    val,
    req,
    ws,
    we,
    veh,
):
    """Up to `iterations` ruin-and-recreate steps from the current plan (changed in place) with a
    threshold acceptance at `temp` (prize units).

    Returns (iterations done, since_best, why it stopped): NEW_BEST as soon as the current plan beats
    the best (the caller intensifies and records it), RESTART_DUE after `restart_after` iterations
    without a better value, else BLOCK_DONE.
    """
    nv = cur_seqs.shape[0]
    n = len(val)
    cval, cdur, creq = np.zeros(nv), np.zeros(nv, np.int64), np.zeros(nv, np.int64)
    tval, tdur, treq = np.zeros(nv), np.zeros(nv, np.int64), np.zeros(nv, np.int64)
    route_stats(cur_seqs, cur_lens, cval, cdur, creq, mats, cloc, svc, val, req, ws, we, veh)
    in_cur = np.zeros(n, np.bool_)
    trial = np.empty_like(cur_seqs)
    tlens = np.empty_like(cur_lens)
    for it in range(iterations):
        routed = 0
        for v in range(nv):
            routed += cur_lens[v]
        share = 0.35 if np.random.random() < 0.9 else 0.8  # now and then a big ruin
        kmax = max(2, min(30, int(share * routed) + 1))
        k = 1 + int((kmax - 1) * np.random.random() ** 2)
        trial[:] = cur_seqs
        tlens[:] = cur_lens
        drop, outsider = ruin(
            trial, tlens, k, np.random.randint(0, 5), related, optional, can_ride,
            mats, cloc, svc, val, req, ws, we, veh,
        )  # fmt: skip
        remove(trial, tlens, drop, mats, cloc, svc, val, req, ws, we, veh)
        if outsider >= 0:
            one = np.array([outsider], np.int64)
            insert_greedy(
                trial, tlens, one, weight2[one], allowed, mats, cloc, svc, val, req, ws, we, veh
            )
        noise = (0.0, 0.2, 0.6)[np.random.randint(0, 3)]
        weight = weight1 if np.random.randint(0, 3) == 0 else weight2
        cand = _unrouted(trial, tlens, n, drop)
        w = weight[cand]
        if noise > 0:
            w = w * (1.0 + noise * np.random.random(len(cand))).reshape(-1, 1)
        insert_greedy(trial, tlens, cand, w, allowed, mats, cloc, svc, val, req, ws, we, veh)
        # whatever did not fit in the first pass still does not: only the removed ones may now
        back = np.empty(len(drop), np.int64)
        nb = 0
        for c in drop:
            if not _is_routed(trial, tlens, c):
                back[nb] = c
                nb += 1
        if nb:
            back = np.sort(back[:nb])
            insert_greedy(
                trial, tlens, back, weight2[back], allowed, mats, cloc, svc, val, req, ws, we, veh
            )
        route_stats(trial, tlens, tval, tdur, treq, mats, cloc, svc, val, req, ws, we, veh)
        cr, cv, cd = creq.sum(), cval.sum(), cdur.sum()
        tr, tv, td = treq.sum(), tval.sum(), tdur.sum()
        # promising trials get tightened; the same visits in no shorter day were, already as `cur`
        if (
            tr >= cr
            and tv >= cv - 1e-9
            and (td < cd or not _same_visits(trial, tlens, cur_seqs, cur_lens, in_cur))
        ):
            improve(trial, tlens, weight2, allowed, mats, cloc, svc, val, req, ws, we, veh)
            route_stats(trial, tlens, tval, tdur, treq, mats, cloc, svc, val, req, ws, we, veh)
            tr, tv, td = treq.sum(), tval.sum(), tdur.sum()
        diff = tv - cv
        worse = diff <= 0 and tr >= cr
        if _key_cmp(tr, tv, td, cr, cv, cd) >= 0 or (
            worse and np.random.random() < math.exp(diff / temp)
        ):
            cur_seqs[:] = trial
            cur_lens[:] = tlens
            cval[:] = tval
            cdur[:] = tdur
            creq[:] = treq
            if _key_cmp(tr, tv, td, best_req, best_value, best_dur) > 0:
                return it + 1, since_best, NEW_BEST
        since_best += 1
        if since_best >= restart_after:
            return it + 1, since_best, RESTART_DUE
    return iterations, since_best, BLOCK_DONE


@njit(cache=True, nogil=True)
def _is_routed(seqs, lens, c):
    for v in range(seqs.shape[0]):
        for i in range(lens[v]):
            if seqs[v, i] == c:
                return True
    return False


@njit(cache=True, nogil=True)
def _same_visits(a_seqs, a_lens, b_seqs, b_lens, scratch):
    """Whether two plans visit the same customers (in any order, on any route)."""
    scratch[:] = False
    na = 0
    for v in range(b_seqs.shape[0]):
        for i in range(b_lens[v]):
            if b_seqs[v, i] != BREAK:
                scratch[b_seqs[v, i]] = True
                na -= 1
    for v in range(a_seqs.shape[0]):
        for i in range(a_lens[v]):
            c = a_seqs[v, i]
            if c != BREAK:
                if not scratch[c]:
                    return False
                na += 1
    return na == 0
