"""Planner behaviour: optima on tiny days, windows, busy periods, lunch, appointments, reasons, reps."""

from __future__ import annotations

import itertools
import subprocess
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import (
    REASON_CODES,
    Location,
    LunchBreak,
    PlanOptions,
    PlanRequest,
    Reason,
    Rep,
    Window,
    evaluate_route,
    plan_day,
    replan,
)
from planner.api import compile_request
from planner.search import Search

from .checker import check_plan
from .conftest import FAST, HQ, H, M, cand, grid_request, random_request


def brute_force_value(request: PlanRequest) -> float:
    """Best value by trying every ordered subset (one rep, no lunch), with its own timing rules.

    Required visits (appointments) come first: the best plan keeps as many as it can, then maximises value.
    """
    rep = request.reps[0]
    cs = request.candidates
    d = request.durations
    idx = {c.id: 2 + i for i, c in enumerate(cs)}

    def earliest(c, arr):
        if c.appointment is not None:
            return c.appointment if arr <= c.appointment else None
        options = sorted({arr, *(w.start for w in c.windows), *(b.end for b in c.busy)})
        for s in options:
            if s < arr:
                continue
            if c.windows and not any(w.start <= s <= w.end for w in c.windows):
                continue
            if any(s < b.end and b.start < s + c.service for b in c.busy):
                continue
            return s
        return None

    best = (0, 0.0)
    for k in range(len(cs) + 1):
        for perm in itertools.permutations(cs, k):
            t, here, ok = rep.depart_after, 0, True
            for c in perm:
                s = earliest(c, t + d[here][idx[c.id]])
                if s is None:
                    ok = False
                    break
                t, here = s + c.service, idx[c.id]
            if ok and t + d[here][1] <= rep.return_by:
                best = max(best, (sum(c.is_required for c in perm), sum(c.value for c in perm)))
    return best[1]


def test_planner_is_pure() -> None:
    code = (
        "import sys, planner, planner.bench\n"
        "from planner import Candidate, Location, PlanOptions, PlanRequest, Rep\n"
        "here = Location(35.6, 139.7)\n"
        "req = PlanRequest((Rep('r', here, here, 32400, 64800),),"
        " (Candidate('a', Location(35.61, 139.71), 1800, 1.0),))\n"
        "plan = planner.plan_day(req, PlanOptions(time_limit=None, iteration_limit=5))\n"
        "assert [s.candidate_id for s in plan.routes[0].stops] == ['a']\n"
        "app = ('flask', 'sqlmodel', 'fieldapp', 'sqlalchemy')\n"
        "peers = ('pyvrp', 'vroom')  # benchmark peers: only `bench --peers` may load them\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in app + peers]\n"
        "assert not bad, bad\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)


@pytest.mark.parametrize("seed", range(6))
def test_tiny_days_reach_the_brute_force_optimum(seed: int) -> None:
    req = random_request(seed, n=6, lunch=False)
    req = PlanRequest(
        (Rep("r1", HQ, HQ, 9 * H, 13 * H),), req.candidates, durations=req.durations
    )  # a short day so not everything fits
    plan = plan_day(req, FAST)
    assert check_plan(req, plan) == []
    assert plan.value == pytest.approx(brute_force_value(req))


def test_visit_starts_inside_its_window_and_waits() -> None:
    req = grid_request([cand("a", windows=(Window(10 * H, 10 * H + 30 * M),))], [(1, 0)])
    plan = plan_day(req, FAST)
    stop = plan.routes[0].stops[0]
    assert 10 * H <= stop.start <= 10 * H + 30 * M
    # departure is moved later rather than waiting at the door
    assert stop.wait == 0 and plan.routes[0].depart_time == 10 * H - 5 * M
    assert check_plan(req, plan) == []


def test_busy_period_is_avoided_by_the_whole_visit() -> None:
    busy = (Window(9 * H, 12 * H), Window(12 * H + 40 * M, 18 * H))
    req = grid_request([cand("a", 30, busy=busy)], [(1, 0)])
    plan = plan_day(req, FAST)
    s = plan.routes[0].stops[0]
    assert s.start == 12 * H and s.end == 12 * H + 30 * M
    assert check_plan(req, plan) == []


def test_busy_all_day_is_dropped_with_a_code_and_no_facts() -> None:
    req = grid_request(
        [cand("a", 60, busy=(Window(8 * H, 12 * H), Window(12 * H + 30 * M, 20 * H)))], [(1, 0)]
    )
    plan = plan_day(req, FAST)
    (d,) = plan.dropped
    assert d.reason_code == "busy_all_day" and d.reason_code in REASON_CODES
    assert d.reason == Reason("busy_all_day") and d.reason.facts() == {}
    assert d.message == "busy or closed for the whole working day"


def test_no_time_left_names_the_busy_period() -> None:
    # two customers that both only fit 09:00-11:00 in the morning; the cheaper one loses
    busy = (Window(11 * H, 18 * H),)
    req = grid_request(
        [cand("hi", 90, 9.0, busy=busy), cand("lo", 60, 2.0, busy=busy)], [(1, 0), (0, 1)]
    )
    plan = plan_day(req, FAST)
    assert [s.candidate_id for s in plan.routes[0].stops] == ["hi"]
    (d,) = plan.dropped
    assert d.reason_code == "no_time_left"
    assert d.reason.facts() == {"busy_until": 18 * H}
    assert d.message == "busy until 18:00; no time left after the visits with higher value"


def test_lunch_floats_inside_its_window_without_overlapping_visits() -> None:
    lunch = LunchBreak(45 * M, 11 * H, 14 * H)
    rep = Rep("r1", HQ, HQ, 9 * H, 18 * H, lunch=lunch)
    cs = [cand(f"c{i}", 60, 1.0) for i in range(8)]
    req = grid_request(cs, [(i % 3, i // 3) for i in range(8)], reps=[rep])
    plan = plan_day(req, FAST)
    r = plan.routes[0]
    assert r.lunch_start is not None and 11 * H <= r.lunch_start <= 14 * H - 45 * M
    assert r.lunch_end - r.lunch_start == 45 * M
    assert check_plan(req, plan) == []


def test_appointment_is_kept_at_its_time() -> None:
    cs = [cand("appt", 30, 0.1, appointment=15 * H)] + [cand(f"c{i}", 60, 5.0) for i in range(9)]
    req = grid_request(cs, [(2, 2)] + [(i % 3, i // 3) for i in range(9)])
    plan = plan_day(req, FAST)
    stops = {s.candidate_id: s for s in plan.routes[0].stops}
    assert stops["appt"].start == 15 * H
    assert plan.status == "ok"
    assert check_plan(req, plan) == []


def test_conflicting_appointments_report_the_conflict() -> None:
    cs = [cand("a", 60, 1.0, appointment=10 * H), cand("b", 60, 1.0, appointment=10 * H + 30 * M)]
    req = grid_request(cs, [(1, 0), (5, 5)])
    plan = plan_day(req, FAST)
    assert plan.status == "required_dropped"
    (d,) = plan.dropped
    assert d.reason_code == "appointment_conflict"
    assert d.reason.appointment in (10 * H, 10 * H + 30 * M)
    assert d.reason.facts() == {"appointment": d.reason.appointment}
    assert "appointment at 10:" in d.message
    assert check_plan(req, plan) == []


def test_latest_return_and_unreachable_customer() -> None:
    rep = Rep("r1", HQ, HQ, 9 * H, 12 * H)
    # 'far' needs 5h round trip; 'near' fits
    req = grid_request([cand("far", 10), cand("near", 10)], [(30, 0), (1, 0)], reps=[rep])
    plan = plan_day(req, FAST)
    assert [s.candidate_id for s in plan.routes[0].stops] == ["near"]
    assert plan.routes[0].return_time <= 12 * H
    (d,) = plan.dropped
    assert d.candidate_id == "far" and d.reason_code == "window_unreachable"
    assert d.reason.window is None  # no hours of its own: not "from 0:00 to 48:00"
    assert check_plan(req, plan) == []


def test_value_beats_count() -> None:
    # one valuable visit or three cheap ones: only time for one of the two options
    rep = Rep("r1", HQ, HQ, 9 * H, 11 * H)
    cs = [cand("big", 100, 10.0), cand("s1", 30, 3.0), cand("s2", 30, 3.0), cand("s3", 30, 3.0)]
    req = grid_request(cs, [(1, 0), (0, 1), (0, 1), (0, 1)], reps=[rep])
    plan = plan_day(req, FAST)
    assert plan.value == 10.0
    assert check_plan(req, plan) == []


def test_several_reps_share_one_pool() -> None:
    reps = [
        Rep("a", HQ, HQ, 9 * H, 13 * H),
        Rep("b", HQ, HQ, 9 * H, 13 * H, travel_mode="bicycle"),
    ]
    cs = [cand(f"c{i}", 45, float(1 + i % 4)) for i in range(14)]
    req = grid_request(cs, [(i % 4 - 2, i // 4 - 2) for i in range(14)], reps=reps)
    plan = plan_day(req, FAST)
    assert len(plan.routes) == 2 and all(r.stops for r in plan.routes)
    assert check_plan(req, plan) == []
    one = plan_day(PlanRequest(reps[:1], req.candidates, durations=_first_rep(req)), FAST)
    assert plan.value > one.value


def test_a_visit_only_one_rep_can_make_goes_to_that_rep() -> None:
    # rep "a" ends at 12:00, so the afternoon visit may only ride with "b" (OR-Tools is told so too)
    reps = [Rep("a", HQ, HQ, 9 * H, 12 * H), Rep("b", HQ, HQ, 9 * H, 18 * H)]
    cs = [cand("am", 60, 2.0), cand("pm", 60, 3.0, windows=(Window(15 * H, 16 * H),))]
    req = grid_request(cs, [(1, 0), (0, 1)], reps=reps)
    plan = plan_day(req, FAST)
    assert [s.candidate_id for s in plan.route("b").stops][-1] == "pm"
    assert check_plan(req, plan) == [] and "ortools" in plan.engine


def test_a_visit_kept_for_its_rep_rides_only_with_that_rep() -> None:
    # "mine" is worth most and "a" could make it, but it belongs to "b" (a covering teammate's own stop)
    reps = [Rep("a", HQ, HQ, 9 * H, 13 * H), Rep("b", HQ, HQ, 9 * H, 13 * H)]
    cs = [cand(f"c{i}", 45, 1.0) for i in range(6)] + [
        cand("mine", 45, 9.0, required=True, reps=("b",))
    ]
    req = grid_request(cs, [(i % 3, i // 3) for i in range(6)] + [(1, 1)], reps=reps)
    plan = plan_day(req, FAST)
    assert "mine" in [s.candidate_id for s in plan.route("b").stops]
    assert "mine" not in [s.candidate_id for s in plan.route("a").stops]
    assert check_plan(req, plan) == []
    with pytest.raises(ValueError):
        PlanRequest(reps, [cand("x", 10, 1.0, reps=("nobody",))])


def _first_rep(req: PlanRequest) -> tuple:
    keep = [0, 1] + list(range(2 * len(req.reps), len(req.durations)))
    return tuple(tuple(req.durations[i][j] for j in keep) for i in keep)


def test_same_options_give_the_same_plan() -> None:
    req = random_request(7, n=25, n_reps=2)
    a, b = plan_day(req, FAST), plan_day(req, FAST)
    assert a.routes == b.routes and a.dropped == b.dropped
    c = plan_day(req, PlanOptions(time_limit=None, iteration_limit=150, seed=3, solution_limit=20))
    assert check_plan(req, c) == []


def test_replan_keeps_done_visits_out_and_appointments_in() -> None:
    cs = [cand("appt", 30, 0.1, appointment=15 * H)] + [cand(f"c{i}", 45, 3.0) for i in range(8)]
    req = grid_request(cs, [(2, 2)] + [(i % 3, i // 3) for i in range(8)])
    first = plan_day(req, FAST)
    done = [s.candidate_id for s in first.routes[0].stops[:2] if s.candidate_id != "appt"]
    now = 13 * H  # running late
    plan = replan(req, rep_id="r1", at=done[-1], now=now, done_ids=set(done), options=FAST)
    ids = [s.candidate_id for s in plan.routes[0].stops]
    assert not set(ids) & set(done) and "appt" in ids
    assert plan.routes[0].depart_time >= now and plan.done == tuple(sorted(done))
    assert all(s.start >= now for s in plan.routes[0].stops)
    assert {d.candidate_id for d in plan.dropped} | set(ids) | set(done) == {c.id for c in cs}


def test_replan_with_a_drop_in_and_a_passed_appointment() -> None:
    cs = [cand("early", 30, 1.0, appointment=10 * H), cand("dropin", 20, 8.0)]
    req = grid_request(cs, [(1, 1), (2, 0)])
    plan = replan(req, rep_id="r1", at="early", now=11 * H, done_ids=set(), options=FAST)
    assert [s.candidate_id for s in plan.routes[0].stops] == ["dropin"]
    (d,) = plan.dropped
    assert d.reason_code == "window_unreachable" and d.reason.appointment == 10 * H
    assert "10:00" in d.message


def test_replan_from_a_location_uses_geodesic_times() -> None:
    rep = Rep("r1", HQ, HQ, 9 * H, 18 * H)
    near = Location(35.69, 139.77)
    req = PlanRequest((rep,), (cand("a", 30, 1.0),))
    req = PlanRequest(
        req.reps, (req.candidates[0].__class__("a", near, 1800, 1.0),), durations=None
    )
    plan = replan(req, rep_id="r1", at=near, now=14 * H, options=FAST)
    s = plan.routes[0].stops[0]
    assert s.travel_seconds == 0 and s.start == 14 * H


def test_replan_after_the_day_ends_far_from_home_goes_home_and_leaves_everything_out() -> None:
    """At 19:00, 18:00 being the latest return: no visit fits, and the plan says so (no error)."""
    cs = [cand("a", 30, 3.0), cand("b", 30, 2.0)]
    req = grid_request(cs, [(4, 4), (1, 1)])  # 40 minutes from home at 5 minutes a unit
    plan = replan(req, rep_id="r1", at="a", now=19 * H, done_ids={"a"}, options=FAST)
    route = plan.routes[0]
    assert route.stops == () and route.depart_time == 19 * H
    assert route.return_time == 19 * H + route.travel_seconds and route.travel_seconds > 0
    (d,) = plan.dropped
    assert (d.candidate_id, d.reason_code, d.reason.window) == ("b", "window_unreachable", None)


def test_evaluate_route_reports_warnings_instead_of_refusing() -> None:
    rep = Rep("r1", HQ, HQ, 9 * H, 11 * H)
    cs = [
        cand("w", 30, windows=(Window(9 * H, 9 * H + 10 * M),)),
        cand("b", 30, busy=(Window(9 * H, 10 * H + 30 * M),)),
        cand("x", 30),
    ]
    req = grid_request(cs, [(3, 0), (1, 0), (0, 1)], reps=[rep])
    ev = evaluate_route(req, "r1", ["b", "w", "x", "nope"])
    codes = {w.code for w in ev.warnings}
    assert {"window_missed", "late_return", "unknown_candidate"} <= codes
    assert [s.candidate_id for s in ev.stops] == ["b", "w", "x"]
    by_code = {w.code: w for w in ev.warnings}
    starts = {s.candidate_id: s.start for s in ev.stops}
    missed = {w.candidate_id: w.facts() for w in ev.warnings if w.code == "window_missed"}
    assert missed["w"] == {"at": starts["w"]}
    late = by_code["late_return"]
    assert late.candidate_id is None and (late.at, late.limit) == (ev.return_time, 11 * H)
    assert by_code["unknown_candidate"].candidate_id == "nope"
    assert by_code["unknown_candidate"].facts() == {}
    ok = evaluate_route(req, "r1", ["x"])
    assert ok.feasible and ok.stops[0].start == 9 * H + 5 * M
    hit = evaluate_route(
        grid_request([cand("b", 30, busy=(Window(9 * H, 18 * H),))], [(1, 0)], reps=[rep]),
        "r1",
        ["b"],
    )
    busy = hit.warnings[0]
    assert busy.code == "busy_period" and busy.candidate_id == "b"
    assert busy.at == hit.stops[0].start and busy.busy == (9 * H, 18 * H)
    assert busy.message == "b is busy from 09:00 to 18:00"


def test_evaluate_route_reports_a_late_lunch_with_its_time_and_limit() -> None:
    # one long visit that may only start at 09:05: lunch before it breaks the window, so it goes after
    rep = Rep("r1", HQ, HQ, 9 * H, 18 * H, lunch=LunchBreak(45 * M, 11 * H, 14 * H))
    long = cand("long", 300, windows=(Window(9 * H, 9 * H + 10 * M),))
    ev = evaluate_route(grid_request([long], [(1, 0)], reps=[rep]), "r1", ["long"])
    (w,) = ev.warnings
    assert w.code == "lunch_missed" and w.candidate_id is None
    assert w.at == ev.lunch_start == ev.stops[0].end and w.limit == 14 * H - 45 * M
    assert w.message == "lunch starts at 14:05, after its window"


def test_summary_mentions_stops_lunch_and_drops() -> None:
    req = random_request(3, n=15)
    plan = plan_day(req, FAST)
    text = plan.summary()
    assert "status ok" in text and "lunch" in text and "return" in text


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), n_reps=st.integers(1, 2), lunch=st.booleans())
def test_every_plan_passes_the_independent_checker(seed: int, n_reps: int, lunch: bool) -> None:
    req = random_request(seed, n=10, n_reps=n_reps, lunch=lunch)
    plan = plan_day(req, PlanOptions(time_limit=None, iteration_limit=40, solution_limit=10))
    assert check_plan(req, plan) == []


@pytest.mark.parametrize("seed", [2, 4, 11])  # requests with an appointment
def test_long_searches_with_restarts_keep_appointments_and_pass_the_checker(seed: int) -> None:
    req = random_request(seed, n=14, n_reps=2, lunch=True)
    options = PlanOptions(time_limit=None, iteration_limit=450, solution_limit=10, seed=seed)
    # the same search on its own: enough iterations to restart from fresh builds more than once
    search = Search(compile_request(req, options).problem, seed=seed)
    search.run(iteration_limit=450)
    assert search.stats.restarts >= 2
    plan = plan_day(req, options)
    assert plan.iterations == 450
    assert check_plan(req, plan) == []
    kept = {s.candidate_id for r in plan.routes for s in r.stops}
    appointments = {c.id for c in req.candidates if c.appointment is not None}
    assert appointments and plan.status == "ok" and appointments <= kept
