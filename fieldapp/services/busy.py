"""Busy periods (when not to visit): validation, merging, plain words (gettext), busy minutes of a day.

Pure functions over plain values or anything shaped like models.BusyPeriod; no database, no Flask request.
The day planner uses busy_windows_on() to cut each customer's busy minutes out of its visit windows.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, fields, replace
from datetime import date
from functools import reduce
from typing import Protocol

from flask_babel import force_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..errors import ValidationError
from ..i18n import WEEKDAYS, WEEKDAYS_LONG, minutes_hhmm
from ..models import BusyKind

DAY_MINUTES = 24 * 60
MAX_LABEL = 120
# Longest date range accepted: a period longer than a year is a data-entry mistake, not a season.
MAX_RANGE_DAYS = 366

_HHMM_RE = re.compile(r"^(\d{1,2})[:：](\d{2})$")

# Labels that only repeat "closed"; the description already says it.
_CLOSED_WORDS = {"定休", "定休日", "休み", "closed", "closed day", "holiday"}


class PeriodLike(Protocol):
    kind: str
    weekdays: str | None
    start_date: date | None
    end_date: date | None
    start_min: int | None
    end_min: int | None
    label: str | None


@dataclass(frozen=True)
class BusySpec:
    """A validated busy period: weekly (weekdays, Monday=0) or dates (start..end inclusive)."""

    kind: str
    weekdays: str | None = None
    start_date: date | None = None
    end_date: date | None = None
    start_min: int | None = None
    end_min: int | None = None
    label: str | None = None

    @property
    def whole_day(self) -> bool:
        return self.start_min is None and self.end_min is None

    def window(self) -> tuple[int, int]:
        """The busy minutes of one day this period covers."""
        if self.whole_day:
            return (0, DAY_MINUTES)
        return (self.start_min or 0, self.end_min or DAY_MINUTES)


class BusyError(ValidationError):
    """A busy period input was wrong; `field` names the form field the message belongs to."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message, field=field)
        self.field = field


def parse_hhmm(text: str | None, *, field: str) -> int | None:
    """'11:30' → 690; blank → None; '24:00' allowed as the end of the day."""
    text = (text or "").strip()
    if not text:
        return None
    match = _HHMM_RE.match(text)
    if not match:
        raise BusyError(_("Enter a time as HH:MM, for example 11:30."), field)
    hours, minutes = int(match.group(1)), int(match.group(2))
    if minutes > 59 or hours > 24 or (hours == 24 and minutes):
        raise BusyError(_("Enter a time between 0:00 and 24:00."), field)
    return hours * 60 + minutes


def normalise_weekdays(weekdays: Iterable[str | int] | str | None) -> str:
    """Digits 0-6 (Monday=0), sorted and unique: ["4", 0, "0"] → "04"."""
    if weekdays is None:
        return ""
    digits: set[int] = set()
    for item in weekdays:
        text = str(item).strip()
        if not text:
            continue
        if not text.isdigit() or not 0 <= int(text) <= 6:
            raise BusyError(_("Choose weekdays from Monday to Sunday."), "weekdays")
        digits.add(int(text))
    return "".join(str(d) for d in sorted(digits))


def validate(
    *,
    kind: str,
    weekdays: Iterable[str | int] | str | None = None,
    start_date: date | None = None,
    end_date: date | None = None,
    start_min: int | None = None,
    end_min: int | None = None,
    label: str | None = None,
) -> BusySpec:
    """Check a busy period and return its normal form; raises BusyError with a clear message."""
    label = (label or "").strip() or None
    if label and len(label) > MAX_LABEL:
        raise BusyError(_("The label can be at most %(n)d characters.", n=MAX_LABEL), "label")
    if (start_min is None) != (end_min is None):
        field = "end_time" if end_min is None else "start_time"
        raise BusyError(
            _("Give both a start and an end time, or neither for the whole day."), field
        )
    if start_min is not None and end_min is not None:
        if not 0 <= start_min < DAY_MINUTES or not 0 < end_min <= DAY_MINUTES:
            raise BusyError(_("Enter a time between 0:00 and 24:00."), "start_time")
        if end_min <= start_min:
            raise BusyError(_("The end time must be after the start time."), "end_time")
        if start_min == 0 and end_min == DAY_MINUTES:
            start_min = end_min = None  # 0:00–24:00 is the whole day; store it one way
    # The time window and label are the same for both kinds; each kind adds its days.
    window = BusySpec(kind=kind, start_min=start_min, end_min=end_min, label=label)
    if kind == BusyKind.WEEKLY:
        days = normalise_weekdays(weekdays)
        if not days:
            raise BusyError(_("Choose at least one weekday."), "weekdays")
        return replace(window, kind=BusyKind.WEEKLY, weekdays=days)
    if kind == BusyKind.DATES:
        if start_date is None:
            raise BusyError(_("Enter the first day."), "start_date")
        end_date = end_date or start_date
        if end_date < start_date:
            raise BusyError(_("The last day must not be before the first day."), "end_date")
        if (end_date - start_date).days >= MAX_RANGE_DAYS:
            raise BusyError(_("A date range can be at most one year long."), "end_date")
        return replace(window, kind=BusyKind.DATES, start_date=start_date, end_date=end_date)
    raise BusyError(_("Choose weekly or dates."), "kind")


def spec_of(period: PeriodLike) -> BusySpec:
    """A row (or anything shaped like one) as a BusySpec, without validation."""
    return BusySpec(**{f.name: getattr(period, f.name) for f in fields(BusySpec)})


def applies_on(period: PeriodLike, day: date) -> bool:
    """Whether the period covers the given calendar date."""
    if period.kind == BusyKind.WEEKLY:
        return str(day.weekday()) in (period.weekdays or "")
    if period.kind == BusyKind.DATES and period.start_date is not None:
        return period.start_date <= day <= (period.end_date or period.start_date)
    return False


def merge_windows(windows: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    """Sort and merge overlapping or touching minute ranges: [(60,120),(100,200)] → [(60,200)]."""
    merged: list[tuple[int, int]] = []
    for start, end in sorted(windows):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(merged[-1][1], end))
        else:
            merged.append((start, end))
    return merged


def busy_windows_on(periods: Iterable[PeriodLike], day: date) -> list[tuple[int, int]]:
    """The busy minute ranges (start_min, end_min) of a date, merged and sorted; (0, 1440) = all day."""
    return merge_windows(spec_of(p).window() for p in periods if applies_on(p, day))


def _same_days(a: BusySpec, b: BusySpec) -> bool:
    if a.kind != b.kind:
        return False
    if a.kind == BusyKind.WEEKLY:
        return a.weekdays == b.weekdays
    return (a.start_date, a.end_date) == (b.start_date, b.end_date)


def _covers_days(outer: BusySpec, inner: BusySpec) -> bool:
    """Every day of `inner` is a day of `outer` (same kind only)."""
    if outer.kind != inner.kind:
        return False
    if outer.kind == BusyKind.WEEKLY:
        return set(inner.weekdays or "") <= set(outer.weekdays or "")
    assert outer.start_date and outer.end_date and inner.start_date and inner.end_date
    return outer.start_date <= inner.start_date and inner.end_date <= outer.end_date


def merge_with(
    new: BusySpec, existing: Sequence[tuple[int, PeriodLike]]
) -> tuple[BusySpec, list[int]]:
    """Merge a new period into the customer's others: returns the spec to store and the ids it replaces.

    Periods on the same days whose times overlap or touch become one (11:00–13:00 + 12:30–14:00 →
    11:00–14:00); a period whose days and times the new one already covers is dropped as redundant.
    """
    merged = new
    absorbed: list[int] = []
    changed = True
    # Repeat: a merge can widen the range so it now reaches another period.
    while changed:
        changed = False
        for period_id, period in existing:
            if period_id in absorbed:
                continue
            other = spec_of(period)
            (ms, me), (os_, oe) = merged.window(), other.window()
            overlaps = os_ <= me and ms <= oe
            if _same_days(merged, other) and overlaps:
                start, end = min(ms, os_), max(me, oe)
                whole = start == 0 and end == DAY_MINUTES
                merged = replace(
                    merged,
                    start_min=None if whole else start,
                    end_min=None if whole else end,
                    label=merged.label or other.label,
                )
                absorbed.append(period_id)
                changed = True
            elif _covers_days(merged, other) and ms <= os_ and oe <= me:
                absorbed.append(period_id)
                changed = True
    return merged, absorbed


# --- plain words ---------------------------------------------------------------------------------


def _md(day: date) -> str:
    return f"{day.month}/{day.day}"


def _span(start: int | None, end: int | None) -> str:
    return f"{minutes_hhmm(start or 0)}–{minutes_hhmm(end or DAY_MINUTES)}"


def _day_list(weekdays: str) -> str:
    """The days inside "every …": "Wednesday", "Wednesday and Sunday", "Mon, Wed, Fri" (「水」「水・日」)."""
    days = [int(d) for d in weekdays]
    if len(days) == 1:
        return str(WEEKDAYS_LONG[days[0]])
    if len(days) == 2:
        return _(
            "%(first)s and %(second)s",
            first=WEEKDAYS_LONG[days[0]],
            second=WEEKDAYS_LONG[days[1]],
        )
    return reduce(
        lambda names, d: _("%(names)s, %(day)s", names=names, day=WEEKDAYS[d]),
        days[1:],
        str(WEEKDAYS[days[0]]),
    )


# Day sets with a name of their own: "Closed on weekdays" / 「平日 定休」, "Weekdays 9:00–10:00".
_CLOSED_ON = {
    "0123456": _l("Closed every day"),
    "01234": _l("Closed on weekdays"),
    "56": _l("Closed on weekends"),
}
_HOURS_ON = {
    "0123456": _l("Every day %(hours)s"),
    "01234": _l("Weekdays %(hours)s"),
    "56": _l("Weekends %(hours)s"),
}


def _closed_on(weekdays: str) -> str:
    if weekdays in _CLOSED_ON:
        return str(_CLOSED_ON[weekdays])
    return _("Closed every %(days)s", days=_day_list(weekdays))


def _weekly_hours(weekdays: str, hours: str) -> str:
    if weekdays in _HOURS_ON:
        return _HOURS_ON[weekdays] % {"hours": hours}
    return _("Every %(days)s %(hours)s", days=_day_list(weekdays), hours=hours)


def describe(period: PeriodLike, lang: str | None = None) -> str:
    """Plain words in the UI language (or `lang`): 「平日 11:30–13:30 ランチ営業」「毎週水曜 定休」."""
    if lang is not None:
        with force_locale("ja" if str(lang).startswith("ja") else "en"):
            return describe(period)
    spec = spec_of(period)
    label = spec.label
    if spec.kind == BusyKind.WEEKLY:
        if spec.whole_day:
            text = _closed_on(spec.weekdays or "")
            if label and label.lower() not in _CLOSED_WORDS:
                return _("%(text)s (%(label)s)", text=text, label=label)
            return text
        parts = [_weekly_hours(spec.weekdays or "", _span(spec.start_min, spec.end_min))]
    else:
        assert spec.start_date is not None
        end = spec.end_date or spec.start_date
        dates = (
            _md(spec.start_date) if end == spec.start_date else f"{_md(spec.start_date)}–{_md(end)}"
        )
        parts = [dates]
        if not spec.whole_day:
            parts.append(_span(spec.start_min, spec.end_min))
        elif not label:
            parts.append(_("all day"))
    if label:
        parts.append(label)
    return " ".join(parts)
