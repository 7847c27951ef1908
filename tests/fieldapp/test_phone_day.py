"""The main button of Today follows the moment of the day (issue 15): start, next stop, running late."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace

from fieldapp.today.page import LATE_AFTER_MIN, day_moment

NINE = datetime(2026, 12, 7, 0, 0, tzinfo=UTC)  # 9:00 in Tokyo


def card(state: str, start: datetime | None):
    return SimpleNamespace(state=state, stop=SimpleNamespace(start=start))


def test_nothing_begun_before_the_first_stop_is_the_start_of_the_day():
    cards = [card("planned", NINE), card("planned", NINE + timedelta(hours=1))]
    moment, focus = day_moment(cards, now=NINE - timedelta(minutes=30), is_today=True)
    assert moment == "start" and focus is cards[0]


def test_a_visit_done_and_the_next_stop_on_time_is_next():
    cards = [card("done", NINE), card("planned", NINE + timedelta(hours=1))]
    moment, focus = day_moment(cards, now=NINE + timedelta(minutes=50), is_today=True)
    assert moment == "next" and focus is cards[1]


def test_the_next_stop_should_have_begun_is_running_late():
    cards = [card("done", NINE), card("planned", NINE + timedelta(hours=1))]
    late = NINE + timedelta(hours=1, minutes=LATE_AFTER_MIN + 1)
    assert day_moment(cards, now=late, is_today=True)[0] == "late"
    # another day's plan is never "late"; a visit in progress is the focus, not a re-plan
    assert day_moment(cards, now=late, is_today=False)[0] == "next"
    busy = [card("in_progress", NINE), card("planned", NINE + timedelta(hours=1))]
    moment, focus = day_moment(busy, now=late, is_today=True)
    assert moment == "next" and focus is busy[0]


def test_all_stops_settled_is_finished():
    cards = [card("done", NINE), card("skipped", NINE + timedelta(hours=1))]
    assert day_moment(cards, now=NINE, is_today=True) == ("finished", None)
