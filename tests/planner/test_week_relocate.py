"""The week's value descent: a visit left on a day worth less moves to the day worth more when that day
has room, and stays when it has none."""

from __future__ import annotations

from planner import PlanOptions, WeekCandidate, WeekRequest, WorkDay
from planner.api import compile_week
from planner.problem import place_break
from planner.search import Solution, insert_unrouted, relocate_for_value

from .conftest import HQ, H, M, grid_durations
from .test_week import DATES, REP


def _week(service_min: int, return_by: int) -> tuple:
    days = [WorkDay(d, 9 * H, return_by) for d in DATES[:3]]
    cands = [
        WeekCandidate("a", HQ, service_min * M, (5.0, 2.0, 1.0)),
        WeekCandidate("b", HQ, service_min * M, (1.0, 1.0, 4.0)),
    ]
    dur = grid_durations([(0, 0), (0, 0), (1, 0), (0, 1)], 5)
    request = WeekRequest(REP, tuple(days), tuple(cands), durations=dur)
    return compile_week(request, PlanOptions()).problem


def test_a_visit_moves_to_the_day_it_is_worth_most_on():
    p = _week(45, 18 * H)
    # "a" on the last day (worth 1), "b" on the first (worth 1): both belong elsewhere
    start = Solution([place_break(p, 0, [1]), place_break(p, 1, []), place_break(p, 2, [0])])
    better = relocate_for_value(p, start)
    assert [list(r.seq) for r in better.routes] == [[0], [], [1]]
    assert better.value == 9.0 and better.key() > start.key()


def test_full_days_make_room_one_move_at_a_time():
    # each day holds one 8-hour visit only: "a" cannot join "b" on the first day, so "a" steps to the
    # empty day, "b" to the last day, then "a" to the first; never two visits on one day
    p = _week(8 * 60, 17 * H + 30 * M)
    assert place_break(p, 0, [1, 0]) is None
    start = Solution([place_break(p, 0, [1]), place_break(p, 1, []), place_break(p, 2, [0])])
    better = relocate_for_value(p, start)
    assert [list(r.seq) for r in better.routes] == [[0], [], [1]]


def test_visits_left_out_go_where_they_are_worth_most():
    p = _week(45, 18 * H)
    empty = Solution([place_break(p, v, []) for v in range(3)])
    filled = insert_unrouted(p, empty)
    assert [list(r.seq) for r in filled.routes] == [[0], [], [1]]
