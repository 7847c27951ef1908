"""Busy periods: validation, merging, plain words in Japanese and English, busy minutes of a day."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from hypothesis import given
from hypothesis import strategies as st

from fieldapp.services import busy
from fieldapp.services.busy import BusyError, BusySpec

WED = date(2026, 11, 18)  # a Wednesday


def weekly(days: str, start: int | None = None, end: int | None = None, label: str | None = None):
    return busy.validate(kind="weekly", weekdays=days, start_min=start, end_min=end, label=label)


def dates(first: date, last: date | None = None, start=None, end=None, label=None):
    return busy.validate(
        kind="dates", start_date=first, end_date=last, start_min=start, end_min=end, label=label
    )


# --- validation ----------------------------------------------------------------------------------


def test_weekdays_are_normalised():
    assert weekly(["4", "0", 0, "2"], 600, 660).weekdays == "024"


@pytest.mark.parametrize("days", [["7"], ["x"], ["-1"]])
def test_bad_weekday_refused(days):
    with pytest.raises(BusyError) as info:
        weekly(days, 600, 660)
    assert info.value.field == "weekdays"


def test_weekly_needs_a_weekday():
    with pytest.raises(BusyError, match="at least one weekday") as info:
        weekly("", 600, 660)
    assert info.value.field == "weekdays"


def test_end_must_be_after_start():
    with pytest.raises(BusyError, match="end time must be after") as info:
        weekly("0", 700, 700)
    assert info.value.field == "end_time"
    with pytest.raises(BusyError):
        weekly("0", 800, 700)


def test_only_one_time_given_is_refused():
    with pytest.raises(BusyError, match="both a start and an end"):
        weekly("0", 600, None)
    with pytest.raises(BusyError, match="both a start and an end"):
        weekly("0", None, 600)


def test_times_out_of_day_refused():
    with pytest.raises(BusyError):
        weekly("0", -10, 600)
    with pytest.raises(BusyError):
        weekly("0", 600, 1500)


def test_full_day_times_are_stored_as_whole_day():
    spec = weekly("2", 0, 1440)
    assert spec.whole_day and spec.start_min is None and spec.end_min is None


def test_dates_single_day_and_order():
    assert dates(date(2026, 12, 20)).end_date == date(2026, 12, 20)
    with pytest.raises(BusyError, match="last day must not be before") as info:
        dates(date(2026, 12, 31), date(2026, 12, 20))
    assert info.value.field == "end_date"
    with pytest.raises(BusyError) as info:
        busy.validate(kind="dates")
    assert info.value.field == "start_date"


def test_dates_longer_than_a_year_refused():
    with pytest.raises(BusyError, match="one year"):
        dates(date(2026, 1, 1), date(2027, 6, 1))


def test_unknown_kind_and_long_label_refused():
    with pytest.raises(BusyError) as info:
        busy.validate(kind="monthly")
    assert info.value.field == "kind"
    with pytest.raises(BusyError) as info:
        weekly("0", label="x" * 200)
    assert info.value.field == "label"


@pytest.mark.parametrize(
    ("text", "minutes"), [("11:30", 690), ("9:05", 545), ("24:00", 1440), ("", None), ("0:00", 0)]
)
def test_parse_hhmm(text, minutes):
    assert busy.parse_hhmm(text, field="start_time") == minutes


@pytest.mark.parametrize("text", ["25:00", "11:60", "noon", "24:30", "1130"])
def test_parse_hhmm_refuses(text):
    with pytest.raises(BusyError):
        busy.parse_hhmm(text, field="start_time")


# --- busy minutes of a day -----------------------------------------------------------------------


def test_busy_windows_on_weekly_and_dates():
    periods = [
        weekly("01234", 690, 810, "ランチ営業"),
        weekly("2"),  # closed on Wednesdays
        dates(date(2026, 12, 20), date(2026, 12, 31), label="年末繁忙"),
        dates(date(2026, 11, 19), start=900, end=960),
    ]
    assert busy.busy_windows_on(periods, WED) == [(0, 1440)]
    thursday = WED + timedelta(days=1)
    assert busy.busy_windows_on(periods, thursday) == [(690, 810), (900, 960)]
    saturday = WED + timedelta(days=3)
    assert busy.busy_windows_on(periods, saturday) == []
    assert busy.busy_windows_on(periods, date(2026, 12, 26)) == [(0, 1440)]  # a Saturday in range
    assert busy.busy_windows_on(periods, date(2027, 1, 2)) == []  # Saturday after it


def test_busy_windows_merge_overlaps_and_touching():
    periods = [
        weekly("0", 600, 700),
        weekly("0", 650, 720),
        weekly("0", 720, 800),
        weekly("0", 900, 930),
    ]
    monday = WED - timedelta(days=2)
    assert busy.busy_windows_on(periods, monday) == [(600, 800), (900, 930)]


windows = st.lists(
    st.tuples(st.integers(0, 1439), st.integers(1, 1440)).filter(lambda w: w[0] < w[1]), max_size=12
)


@given(windows)
def test_merge_windows_properties(ws):
    merged = busy.merge_windows(ws)
    # sorted, disjoint, not touching
    for (_s1, e1), (s2, _e2) in zip(merged, merged[1:], strict=False):
        assert e1 < s2
    # the same minutes are covered
    covered = {m for s, e in ws for m in range(s, e)}
    assert covered == {m for s, e in merged for m in range(s, e)}


@given(
    st.lists(
        st.tuples(
            st.sets(st.integers(0, 6), min_size=1),
            st.one_of(st.none(), st.tuples(st.integers(0, 1380), st.integers(1, 60))),
        ),
        max_size=6,
    ),
    st.dates(min_value=date(2020, 1, 1), max_value=date(2030, 12, 31)),
)
def test_busy_windows_on_covers_exactly_the_applying_periods(raw, day):
    periods = []
    for days, time in raw:
        start, end = (None, None) if time is None else (time[0], time[0] + time[1])
        periods.append(weekly("".join(map(str, days)), start, end))
    result = busy.busy_windows_on(periods, day)
    expected = set()
    for p in periods:
        if str(day.weekday()) in p.weekdays:
            s, e = p.window()
            expected |= set(range(s, e))
    assert {m for s, e in result for m in range(s, e)} == expected
    assert all(0 <= s < e <= 1440 for s, e in result)


# --- merging on save -----------------------------------------------------------------------------


class Row:
    def __init__(self, spec: BusySpec):
        for key in ("kind", "weekdays", "start_date", "end_date", "start_min", "end_min", "label"):
            setattr(self, key, getattr(spec, key))


def test_merge_with_same_days_overlapping():
    existing = [(1, Row(weekly("01234", 660, 780, "ランチ"))), (2, Row(weekly("5", 660, 780)))]
    merged, absorbed = busy.merge_with(weekly("01234", 750, 840), existing)
    assert (merged.start_min, merged.end_min) == (660, 840)
    assert merged.label == "ランチ"
    assert absorbed == [1]


def test_merge_with_chain_reaches_further_period():
    existing = [(1, Row(weekly("0", 600, 660))), (2, Row(weekly("0", 700, 760)))]
    merged, absorbed = busy.merge_with(weekly("0", 650, 710), existing)
    assert (merged.start_min, merged.end_min) == (600, 760)
    assert sorted(absorbed) == [1, 2]


def test_merge_with_whole_day_absorbs_partial_on_same_day():
    existing = [(1, Row(weekly("2", 660, 780))), (2, Row(weekly("3", 660, 780)))]
    merged, absorbed = busy.merge_with(weekly("2"), existing)
    assert merged.whole_day and absorbed == [1]


def test_merge_with_drops_covered_period_on_fewer_days():
    existing = [(1, Row(weekly("0", 700, 720)))]
    merged, absorbed = busy.merge_with(weekly("01234", 660, 780), existing)
    assert absorbed == [1] and merged.weekdays == "01234"


def test_merge_with_keeps_separate_times_and_kinds():
    existing = [(1, Row(weekly("0", 600, 660))), (2, Row(dates(date(2026, 12, 1))))]
    merged, absorbed = busy.merge_with(weekly("0", 700, 760), existing)
    assert absorbed == [] and (merged.start_min, merged.end_min) == (700, 760)


def test_merge_with_same_date_range():
    existing = [(7, Row(dates(date(2026, 12, 20), date(2026, 12, 31), 600, 700)))]
    merged, absorbed = busy.merge_with(
        dates(date(2026, 12, 20), date(2026, 12, 31), 690, 800), existing
    )
    assert absorbed == [7] and (merged.start_min, merged.end_min) == (600, 800)


# --- plain words ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("spec", "ja", "en"),
    [
        (
            weekly("01234", 690, 810, "ランチ営業"),
            "平日 11:30–13:30 ランチ営業",
            "Weekdays 11:30–13:30 ランチ営業",
        ),
        (weekly("2"), "毎週水曜 定休", "Closed every Wednesday"),
        (weekly("2", label="定休日"), "毎週水曜 定休", "Closed every Wednesday"),
        (weekly("26"), "毎週水・日曜 定休", "Closed every Wednesday and Sunday"),
        (weekly("56", 600, 720), "土日 10:00–12:00", "Weekends 10:00–12:00"),
        (weekly("024", 540, 600), "毎週月・水・金曜 9:00–10:00", "Every Mon, Wed, Fri 9:00–10:00"),
        (weekly("0123456", 1200, 1440), "毎日 20:00–24:00", "Every day 20:00–24:00"),
        (
            dates(date(2026, 12, 20), date(2026, 12, 31), label="年末繁忙"),
            "12/20–12/31 年末繁忙",
            "12/20–12/31 年末繁忙",
        ),
        (dates(date(2026, 3, 31)), "3/31 終日", "3/31 all day"),
        (
            dates(date(2026, 3, 30), date(2026, 3, 31), 780, 1020, "棚卸し"),
            "3/30–3/31 13:00–17:00 棚卸し",
            "3/30–3/31 13:00–17:00 棚卸し",
        ),
    ],
)
def test_describe(app, spec, ja, en):
    with app.app_context():
        assert busy.describe(spec, "ja") == ja
        assert busy.describe(spec, "en") == en
        with force_locale("ja"):
            assert busy.describe(spec) == ja


def test_describe_english_labels(app):
    with app.app_context():
        assert busy.describe(weekly("01234", 690, 810, "Lunch service"), "en") == (
            "Weekdays 11:30–13:30 Lunch service"
        )
        assert busy.describe(
            dates(date(2026, 12, 20), date(2026, 12, 31), label="Year-end rush"), "en"
        ) == ("12/20–12/31 Year-end rush")


weekly_specs = st.builds(
    lambda days, time: weekly(
        "".join(map(str, sorted(days))),
        None if time is None else time[0],
        None if time is None else time[0] + time[1],
    ),
    st.sets(st.integers(0, 6), min_size=1, max_size=7),
    st.one_of(st.none(), st.tuples(st.integers(0, 1380), st.integers(1, 60))),
)


@given(st.lists(weekly_specs, max_size=6), weekly_specs)
def test_merge_with_never_changes_the_busy_minutes(existing_specs, new):
    """Merging on save only tidies: every weekday keeps exactly the busy minutes it had plus the new."""
    existing = [(i, Row(spec)) for i, spec in enumerate(existing_specs)]
    merged, absorbed = busy.merge_with(new, existing)
    kept = [row for i, row in existing if i not in absorbed]
    for offset in range(7):
        day = WED + timedelta(days=offset)
        before = busy.busy_windows_on([row for _, row in existing] + [new], day)
        assert busy.busy_windows_on(kept + [merged], day) == before
    assert len(set(absorbed)) == len(absorbed)
