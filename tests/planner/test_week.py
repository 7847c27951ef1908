"""The multi-day mode: tiny weeks against brute force, every day's route through the independent
checker, day values, closed days, busy periods, appointments, and the codes for moved and dropped."""

from __future__ import annotations

import itertools
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from planner import (
    MOVE_CODES,
    LunchBreak,
    Plan,
    PlanOptions,
    Rep,
    WeekCandidate,
    WeekPlan,
    WeekRequest,
    Window,
    WorkDay,
    plan_week,
)

from .checker import check_plan
from .conftest import FAST, HQ, H, M, grid_durations

DATES = ("2026-12-14", "2026-12-15", "2026-12-16", "2026-12-17", "2026-12-18")
REP = Rep("r1", HQ, HQ, 9 * H, 18 * H)
Days = list[WorkDay] | None


def week(
    cands: list[WeekCandidate], coords: list[tuple[int, int]], days: Days = None
) -> WeekRequest:
    """A week whose travel is 5 minutes per unit of Manhattan distance on a grid (the rep starts and
    ends at (0, 0)); Monday to Friday 9:00-18:00 unless `days` says otherwise."""
    days = days or [WorkDay(d, 9 * H, 18 * H) for d in DATES]
    dur = grid_durations([(0, 0), (0, 0), *coords], 5)
    return WeekRequest(REP, tuple(days), tuple(cands), durations=dur)


def wc(cid: str, values: tuple[float, ...], service_min: int = 45, **kw) -> WeekCandidate:
    """A week candidate at HQ (the grid override decides travel)."""
    return WeekCandidate(cid, HQ, service_min * M, values, **kw)


# --- an independent brute force -----------------------------------------------------------------


def earliest_start(c: WeekCandidate, day: int, arrive: int) -> int | None:
    """The first allowed start at or after `arrive` on `day`, by the rules written out plainly."""
    if c.appointment is not None:
        d, at = c.appointment
        return at if d == day and arrive <= at else None
    if day in c.closed:
        return None
    busy = c.busy + (c.day_busy[day] if c.day_busy else ())
    # the allowed starts are intervals: each begins at the arrival, a window's start or a busy end
    for s in sorted({arrive} | {w.start for w in c.windows} | {b.end for b in busy}):
        if s < arrive:
            continue
        if c.windows and not any(w.start <= s <= w.end for w in c.windows):
            continue
        if any(b.start < s + c.service and s < b.end for b in busy):
            continue
        return s
    return None


def route_on_time(req: WeekRequest, day: int, seq: tuple[int, ...]) -> bool:
    """Whether one order of visits fits in a day (earliest starts; no lunch in the brute force)."""
    wd, dur = req.days[day], req.durations
    t, here = wd.depart_after, 0
    for i in seq:
        s = earliest_start(req.candidates[i], day, t + dur[here][2 + i])
        if s is None:
            return False
        t, here = s + req.candidates[i].service, 2 + i
    return t + dur[here][1] <= wd.return_by


def brute_force(req: WeekRequest) -> tuple[int, float]:
    """(required visits kept, value) of the best week, trying every day's every subset and order."""
    n, nd = len(req.candidates), len(req.days)
    feasible: list[list[int]] = []  # per day: the bit masks of the sets some order fits
    for d in range(nd):
        masks = []
        for mask in range(1 << n):
            members = [i for i in range(n) if mask >> i & 1]
            if any(route_on_time(req, d, p) for p in itertools.permutations(members)):
                masks.append(mask)
        feasible.append(masks)
    best = (0, 0.0)
    for combo in itertools.product(*feasible):
        used = 0
        for m in combo:
            if used & m:
                break
            used |= m
        else:
            req_kept = sum(req.candidates[i].is_required for i in range(n) if used >> i & 1)
            value = sum(
                req.candidates[i].day_values[d]
                for d, m in enumerate(combo)
                for i in range(n)
                if m >> i & 1
            )
            best = max(best, (req_kept, round(value, 6)))
    return best


def random_week(seed: int, n: int, days: int, lunch: bool = False) -> WeekRequest:
    """A random valid tiny week: day values, windows, weekly and dated busy periods, closed days and
    maybe an appointment; short days so that not everything fits."""
    rng = random.Random(seed)
    cands, coords = [], []
    for i in range(n):
        kw: dict = {}
        rule = rng.choices(["window", "weekly busy", "dated busy", "none"], [25, 20, 15, 40])[0]
        if rule == "window":
            a = rng.randrange(9, 12) * H
            kw["windows"] = (Window(a, a + rng.choice([1, 2]) * H),)
        elif rule == "weekly busy":
            kw["busy"] = (Window(10 * H, 11 * H + 30 * M),)
        elif rule == "dated busy":  # busy all of one day
            d = rng.randrange(days)
            kw["day_busy"] = tuple((Window(0, 23 * H),) if k == d else () for k in range(days))
        if rng.random() < 0.2:
            kw["closed"] = (rng.randrange(days),)
        values = tuple(float(rng.randint(0, 9)) for _ in range(days))
        cands.append(wc(f"c{i}", values, rng.choice([30, 45, 60]), **kw))
        coords.append((rng.randint(-4, 4), rng.randint(-4, 4)))
    if rng.random() < 0.4:
        cands[0] = wc("c0", (5.0,) * days, 30, appointment=(rng.randrange(days), 10 * H))
    lb = LunchBreak(45 * M, 11 * H, 14 * H) if lunch else None
    hours = [(9 * H, 12 * H), (9 * H, 13 * H), (10 * H, 12 * H + 30 * M)]
    wds = [WorkDay(DATES[d], *hours[(seed + d) % 3], lunch=lb) for d in range(days)]
    return week(cands, coords, wds)


# --- the independent check of every day --------------------------------------------------------


def check_week(req: WeekRequest, plan: WeekPlan) -> list[str]:
    """Every rule of every day, by the day planner's independent checker, plus the week's own."""
    errors: list[str] = []
    planned = [s.candidate_id for r in plan.routes for s in r.stops]
    if len(planned) != len(set(planned)):
        errors.append("a customer visited twice in the week")
    dropped = {d.candidate_id for d in plan.dropped}
    if set(planned) & dropped or set(planned) | dropped != {c.id for c in req.candidates}:
        errors.append("every candidate is planned once or dropped")
    for d, wd in enumerate(req.days):
        # the day as a day's request: the customers open that day, appointments only on theirs
        day_req = req.day_request(d)
        cands = day_req.candidates
        route = plan.routes[d]
        on_route = {s.candidate_id for s in route.stops}
        elsewhere = {c.id for c in cands} - on_route
        day_plan = Plan(routes=(route,), dropped=(), status="ok")
        errors += [f"{wd.date}: {e}" for e in check_plan(day_req, day_plan, done=elsewhere)]
    return errors


# --- tests -------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(10))
def test_tiny_weeks_reach_the_brute_force_optimum(seed: int) -> None:
    req = random_week(seed, n=4 + seed % 3, days=2 + seed % 2)
    plan = plan_week(req, FAST)
    assert check_week(req, plan) == []
    kept = sum(c.is_required for c in req.candidates) - sum(
        1
        for d in plan.dropped
        if next(c for c in req.candidates if c.id == d.candidate_id).is_required
    )
    assert (kept, round(plan.value, 6)) == brute_force(req)


@settings(max_examples=15, deadline=None)
@given(
    seed=st.integers(0, 10_000), n=st.integers(3, 10), days=st.integers(1, 4), lunch=st.booleans()
)
def test_every_day_of_random_weeks_passes_the_independent_checker(
    seed: int, n: int, days: int, lunch: bool
) -> None:
    req = random_week(seed, n=n, days=days, lunch=lunch)
    plan = plan_week(req, FAST)
    assert check_week(req, plan) == []
    assert all(m.code in MOVE_CODES for m in plan.moved)


def test_a_visit_worth_more_on_monday_lands_on_monday() -> None:
    req = week(
        [wc("mon", (9.0, 2.0, 2.0, 2.0, 2.0)), wc("wed", (1.0, 1.0, 6.0, 1.0, 1.0))],
        [(1, 0), (0, 1)],
    )
    plan = plan_week(req, FAST)
    assert [s.candidate_id for s in plan.day("2026-12-14").stops] == ["mon"]
    assert [s.candidate_id for s in plan.day("2026-12-16").stops] == ["wed"]
    assert plan.value == 15.0 and plan.moved == () and plan.dropped == ()


def test_closed_and_busy_best_days_move_the_visit_with_the_reason() -> None:
    # worth most on Tuesday, but closed on Tuesday / busy all Tuesday (a dated busy period)
    tue = (1.0, 8.0, 3.0, 1.0, 1.0)
    busy_tue = ((), (Window(0, 23 * H),), (), (), ())
    req = week(
        [wc("closed", tue, closed=(1,)), wc("busy", tue, day_busy=busy_tue)], [(1, 0), (2, 0)]
    )
    plan = plan_week(req, FAST)
    assert check_week(req, plan) == []
    assert not plan.day("2026-12-15").stops
    moved = {m.candidate_id: m for m in plan.moved}
    assert moved["closed"].code == "best_day_closed" and moved["busy"].code == "best_day_busy"
    assert moved["busy"].facts() == {
        "day": "2026-12-16",
        "best_day": "2026-12-15",
        "value": 3.0,
        "best_value": 8.0,
    }


def test_a_full_best_day_moves_the_lesser_visit_and_says_so() -> None:
    # one 3-hour day each; both customers are worth most on Monday, only one fits there
    days = [WorkDay(d, 9 * H, 12 * H) for d in DATES[:2]]
    req = week([wc("big", (9.0, 1.0), 150), wc("small", (5.0, 4.0), 150)], [(0, 0), (0, 0)], days)
    plan = plan_week(req, FAST)
    assert [s.candidate_id for s in plan.routes[0].stops] == ["big"]
    assert [(m.candidate_id, m.code, m.day) for m in plan.moved] == [
        ("small", "best_day_full", "2026-12-15")
    ]
    assert "small: on 2026-12-15 instead of 2026-12-14" in plan.summary()


def test_a_visit_taken_along_goes_only_where_the_route_passes_by() -> None:
    # two days; the due visit is at (2, 0) on Monday, at (0, 3) on Tuesday. "near" at (2, 1) adds
    # 10 minutes of travel to Monday (5 there from (2, 0), 15 back instead of 10) and 20 to Tuesday;
    # "far" at (-4, 0) adds 40 minutes to either day: over its limit, it stays out
    days = [WorkDay(d, 9 * H, 18 * H) for d in DATES[:2]]
    along = dict(max_detour=10 * M)
    req = week(
        [
            wc("mon", (9.0, 0.0), closed=(1,)),
            wc("tue", (0.0, 9.0), closed=(0,)),
            wc("near", (0.1, 0.1), **along),
            wc("far", (0.1, 0.1), **along),
        ],
        [(2, 0), (0, 3), (2, 1), (-4, 0)],
        days,
    )
    plan = plan_week(req, FAST)
    assert check_week(req, plan) == []
    assert [s.candidate_id for s in plan.routes[0].stops] in (["mon", "near"], ["near", "mon"])
    assert [s.candidate_id for s in plan.routes[1].stops] == ["tue"]
    assert plan.routes[0].travel_seconds == 30 * M
    assert [d.candidate_id for d in plan.dropped] == ["far"]


def test_a_visit_taken_along_never_makes_room_for_itself() -> None:
    # one 3-hour day: the due visit (150 min) leaves no room for the one taken along, worth more
    # but taken along only: it does not push the due visit out
    days = [WorkDay(DATES[0], 9 * H, 12 * H)]
    req = week(
        [wc("due", (1.0,), 150), wc("along", (5.0,), 150, max_detour=60 * M)],
        [(1, 0), (1, 0)],
        days,
    )
    plan = plan_week(req, FAST)
    assert [s.candidate_id for s in plan.routes[0].stops] == ["due"]
    with pytest.raises(ValueError, match="cannot be taken along only"):
        wc("a", (1.0,), appointment=(0, 10 * H), max_detour=60)


def test_a_later_visit_the_first_day_passes_by_moves_to_it() -> None:
    # "soon" at (2, 1) adds no travel to Tuesday's route to (2, 2) and 10 minutes to Monday's to (2, 0):
    # the search puts it on Tuesday; within a 10-minute first-day detour it moves to Monday, not
    # within 5 minutes, nor when it is worth less on Monday
    days = [WorkDay(d, 9 * H, 18 * H) for d in DATES[:2]]

    def plan(soon: tuple[float, float], detour: int) -> list[list[str]]:
        cands = [
            wc("mon", (9.0, 0.0), closed=(1,)),
            wc("tue", (0.0, 9.0), closed=(0,)),
            wc("soon", soon),
        ]
        req = week(cands, [(2, 0), (2, 2), (2, 1)], days)
        req = WeekRequest(req.rep, req.days, req.candidates, req.durations, first_day_detour=detour)
        out = plan_week(req, FAST)
        assert check_week(req, out) == []
        return [sorted(s.candidate_id for s in r.stops) for r in out.routes]

    assert plan((3.0, 3.0), 10 * M) == [["mon", "soon"], ["tue"]]
    assert plan((3.0, 3.0), 5 * M) == [["mon"], ["soon", "tue"]]
    assert plan((2.0, 3.0), 10 * M) == [["mon"], ["soon", "tue"]]


def test_weekly_busy_hours_are_kept_every_day() -> None:
    lunch_rush = (Window(11 * H, 14 * H),)
    cs = [wc(f"c{i}", (3.0, 2.0, 1.0), 60, busy=lunch_rush) for i in range(8)]
    days = [WorkDay(d, 9 * H, 17 * H, LunchBreak(45 * M, 11 * H, 14 * H)) for d in DATES[:3]]
    req = week(cs, [(i % 3, i // 3) for i in range(8)], days)
    plan = plan_week(req, FAST)
    assert check_week(req, plan) == [] and not plan.dropped
    for r in plan.routes:
        assert all(s.end <= 11 * H or s.start >= 14 * H for s in r.stops)


def test_appointments_are_kept_on_their_day_and_time() -> None:
    cs = [
        wc("appt", (1.0, 1.0, 1.0), 60, appointment=(2, 14 * H)),
        *(wc(f"c{i}", (5.0, 5.0, 5.0), 90) for i in range(6)),
    ]
    req = week(
        cs, [(1, 1)] + [(i, -i) for i in range(6)], [WorkDay(d, 9 * H, 17 * H) for d in DATES[:3]]
    )
    plan = plan_week(req, FAST)
    assert check_week(req, plan) == [] and plan.status == "ok"
    (stop,) = [s for s in plan.routes[2].stops if s.candidate_id == "appt"]
    assert stop.start == 14 * H


def test_dropped_customers_carry_day_reason_codes() -> None:
    cs = [
        wc("never", (5.0, 5.0), closed=(0, 1)),
        wc("far", (5.0, 5.0), 30),
        *(wc(f"c{i}", (9.0, 9.0), 120) for i in range(4)),
    ]
    days = [WorkDay(d, 9 * H, 13 * H) for d in DATES[:2]]
    req = week(cs, [(0, 0), (30, 0)] + [(0, 0)] * 4, days)
    plan = plan_week(req, FAST)
    codes = {d.candidate_id: d.reason_code for d in plan.dropped}
    assert codes == {"never": "busy_all_day", "far": "window_unreachable"}
    assert all(d.reason.facts() == {} for d in plan.dropped)
    assert plan.value == 36.0


def test_a_window_out_of_reach_is_named_in_its_own_day_time() -> None:
    # open 9:00-9:30 on Tuesday only (closed on Monday): too far to be there by 9:30
    cs = [wc("early", (5.0, 5.0), 30, windows=(Window(9 * H, 9 * H + 30 * M),), closed=(0,))]
    plan = plan_week(week(cs, [(10, 0)], [WorkDay(d, 9 * H, 18 * H) for d in DATES[:2]]), FAST)
    (d,) = plan.dropped
    assert d.reason_code == "window_unreachable"
    assert d.reason.window == (9 * H, 9 * H + 30 * M)


def test_a_day_of_the_week_as_a_day_request() -> None:
    busy = (Window(10 * H, 11 * H),)
    cs = [
        wc("shut", (1.0, 2.0), closed=(0,)),
        wc("rush", (3.0, 4.0), busy=busy, day_busy=((Window(15 * H, 16 * H),), ())),
        wc("appt", (1.0, 1.0), appointment=(1, 10 * H)),
    ]
    days = [WorkDay(DATES[0], 9 * H, 18 * H), WorkDay(DATES[1], 8 * H, 12 * H)]
    req = week(cs, [(1, 0), (2, 0), (3, 0)], days)
    mon = req.day_request(0)
    assert [c.id for c in mon.candidates] == ["rush"]
    assert mon.candidates[0].busy == (*busy, Window(15 * H, 16 * H))
    assert mon.candidates[0].value == 3.0 and mon.durations[2][0] == 10 * M
    tue = req.day_request(1, skip=("shut",))
    assert [(c.id, c.value, c.appointment) for c in tue.candidates] == [
        ("rush", 4.0, None),
        ("appt", 1.0, 10 * H),
    ]
    assert (tue.reps[0].depart_after, tue.reps[0].return_by) == (8 * H, 12 * H)
    assert tue.durations[3][0] == 15 * M


def test_a_week_request_is_validated() -> None:
    with pytest.raises(ValueError, match="one day value per working day"):
        week([wc("a", (1.0, 2.0))], [(0, 0)])
    with pytest.raises(ValueError, match="before 24:00"):
        WorkDay("2026-12-14", 9 * H, 25 * H)
    with pytest.raises(ValueError, match="appointment on a closed day"):
        wc("a", (1.0,), closed=(0,), appointment=(0, 10 * H))


def test_a_five_day_week_of_sixty_customers_plans_within_two_seconds() -> None:
    rng = random.Random(7)
    cs = [
        wc(f"c{i}", tuple(float(rng.randint(1, 9)) for _ in DATES), rng.choice([30, 45, 60]))
        for i in range(60)
    ]
    days = [WorkDay(d, 9 * H, 18 * H, LunchBreak(45 * M, 11 * H, 14 * H)) for d in DATES]
    req = week(cs, [(rng.randint(-6, 6), rng.randint(-6, 6)) for _ in cs], days)
    plan = plan_week(req, PlanOptions(time_limit=1.0))
    assert plan.seconds <= 2.0
    assert check_week(req, plan) == [] and all(r.stops for r in plan.routes)
