"""The planner speaks in codes and facts: no hand-written Japanese, an English sentence for every code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import planner
from planner import REASON_CODES, WARNING_CODES, Reason, RouteWarning
from planner.result import reason_message, warning_message

from .conftest import H, M

PLANNER_DIR = Path(planner.__file__).parent
# Hiragana, katakana, CJK ideographs (with extension A), CJK punctuation and full-width forms
CJK = re.compile(r"[\u3000-\u303f\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")

# facts as evaluate_route fills them, one example per code (lunch_missed has two shapes)
WARNINGS = [
    RouteWarning("window_missed", "a", at=9 * H + 40 * M),
    RouteWarning("busy_period", "b", at=10 * H, busy=(9 * H, 12 * H)),
    RouteWarning("late_return", at=18 * H + 20 * M, limit=18 * H),
    RouteWarning("lunch_missed", at=14 * H, limit=13 * H + 15 * M),
    RouteWarning("lunch_missed"),
    RouteWarning("unknown_candidate", "zz"),
]


def test_no_japanese_in_any_planner_source() -> None:
    sources = sorted(PLANNER_DIR.glob("*.py"))
    assert sources
    hits = [
        f"{path.name}:{n}"
        for path in sources
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if CJK.search(line)
    ]
    assert hits == []


def test_every_warning_code_has_an_english_message() -> None:
    assert {w.code for w in WARNINGS} == set(WARNING_CODES)
    messages = [w.message for w in WARNINGS]
    assert messages == [warning_message(w) for w in WARNINGS]
    assert messages == [
        "a would start at 09:40, outside its allowed times",
        "b is busy from 09:00 to 12:00",
        "back at 18:20, after 18:00",
        "lunch starts at 14:00, after its window",
        "no room for lunch in this day",
        "unknown customer zz",
    ]


def test_every_reason_code_has_an_english_message() -> None:
    reasons = [
        Reason("busy_all_day"),
        Reason("window_unreachable", window=(9 * H, 10 * H)),
        Reason("window_unreachable", appointment=10 * H),
        Reason("no_time_left", busy_until=15 * H),
        Reason("appointment_conflict"),
        Reason("appointment_conflict", appointment=16 * H + 30 * M),
    ]
    assert {r.code for r in reasons} == set(REASON_CODES)
    for r in reasons:
        text = reason_message(r)
        assert text and text.isascii()
    assert reason_message(reasons[1]).startswith("can only be visited from 09:00 to 10:00; ")
    assert "16:30" in reason_message(reasons[5])


def test_facts_are_json_ready_and_only_the_ones_set() -> None:
    assert WARNINGS[1].facts() == {"at": 10 * H, "busy": [9 * H, 12 * H]}
    assert WARNINGS[2].facts() == {"at": 18 * H + 20 * M, "limit": 18 * H}
    assert WARNINGS[4].facts() == {}
    assert Reason("window_unreachable", window=(9 * H, 10 * H)).facts() == {
        "window": [9 * H, 10 * H]
    }


def test_unknown_codes_are_refused() -> None:
    with pytest.raises(ValueError):
        RouteWarning("late")
    with pytest.raises(ValueError):
        Reason("closed")
