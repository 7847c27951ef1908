"""Japanese/English helpers: labels for the domain's choices and date/time filters in the team's timezone."""

from __future__ import annotations

from datetime import date, datetime

from flask_babel import format_date, format_datetime, get_locale, to_user_timezone
from flask_babel import lazy_gettext as _l

# Labels for stored choice values; templates call choice_label(kind, value).
CHOICES = {
    "role": {"rep": _l("Rep"), "manager": _l("Manager"), "admin": _l("Administrator")},
    "status": {
        "active": _l("Active"),
        "at_risk": _l("At risk"),
        "dormant": _l("Dormant"),
        "lost": _l("Lost"),
    },
    "segment": {
        "restaurant": _l("Restaurant"),
        "clinic": _l("Clinic"),
        "shop": _l("Shop"),
        "office": _l("Office"),
        "factory": _l("Factory"),
    },
    "travel_mode": {
        "car": _l("Car"),
        "bicycle": _l("Bicycle"),
        "walking": _l("Walking"),
        "transit": _l("Public transport"),
    },
    "place_kind": {"office": _l("The office"), "home": _l("Home"), "pin": _l("Another place")},
    "outcome": {
        "met": _l("Met"),
        "not_available": _l("Not available"),
        "order_taken": _l("Order taken"),
        "proposal_made": _l("Proposal made"),
        "complaint_handled": _l("Complaint handled"),
        "delivery_checked": _l("Delivery checked"),
        "other": _l("Other"),
    },
    "reception": {
        "positive": _l("Positive"),
        "considering": _l("Considering"),
        "negative": _l("Declined"),
    },
    "followup_kind": {
        "quote": _l("Quote"),
        "delivery": _l("Delivery"),
        "trouble": _l("Trouble / complaint"),
        "proposal": _l("Proposal"),
        "other": _l("Other"),
    },
    "followup_state": {"open": _l("Open"), "done": _l("Done"), "cancelled": _l("Cancelled")},
    "location_source": {
        "geocoded": _l("Geocoded from the address"),
        "pinned": _l("Pinned on the map"),
        "imported": _l("Imported"),
        "device": _l("Phone position at the door"),
    },
    "plan_status": {
        "draft": _l("Draft"),
        "accepted": _l("Accepted"),
        "in_progress": _l("In progress"),
        "done": _l("Done"),
    },
    "report_status": {
        "draft": _l("Draft"),
        "submitted": _l("Submitted"),
        "reviewed": _l("Reviewed"),
    },
    "visit_status": {
        "planned": _l("Planned"),
        "in_progress": _l("In progress"),
        "done": _l("Done"),
        "skipped": _l("Skipped"),
        "cancelled": _l("Cancelled"),
    },
    "skip_reason": {
        "busy": _l("Busy"),
        "absent": _l("Nobody there"),
        "closed": _l("Closed"),
        "other": _l("Other"),
    },
}

# The app's one weekday table, Monday first (date.weekday()); short names label choices and lists.
WEEKDAYS = (_l("Mon"), _l("Tue"), _l("Wed"), _l("Thu"), _l("Fri"), _l("Sat"), _l("Sun"))
# Full names for phrases about one or two days ("every Wednesday"). Japanese says 「毎週水曜」「水・日曜」,
# so its catalog gives the bare day character and the phrase adds 曜.
WEEKDAYS_LONG = (
    _l("Monday"),
    _l("Tuesday"),
    _l("Wednesday"),
    _l("Thursday"),
    _l("Friday"),
    _l("Saturday"),
    _l("Sunday"),
)


def ui_language() -> str:
    """The language of this request's UI, "ja" or "en" (services take it as a plain argument)."""
    return "en" if str(get_locale() or "ja").startswith("en") else "ja"


def choice_label(kind: str, value: str | None) -> str:
    """Translated label of a stored choice value (the raw value if unknown)."""
    if value is None:
        return ""
    label = CHOICES.get(kind, {}).get(value)
    return str(label) if label is not None else value


def skip_label(reason: str | None) -> str:
    """A skip reason in words (the raw value if unknown)."""
    return choice_label("skip_reason", reason)


def choices(kind: str) -> list[tuple[str, str]]:
    """(value, label) pairs for a select field."""
    return [(value, str(label)) for value, label in CHOICES[kind].items()]


def local_time(value: datetime | None) -> str:
    """HH:MM in the user's (team's) timezone."""
    if value is None:
        return ""
    return to_user_timezone(value).strftime("%H:%M")


def local_datetime(value: datetime | None) -> str:
    if value is None:
        return ""
    return format_datetime(value, "short")


def local_date(value: date | datetime | None, fmt: str = "medium") -> str:
    if value is None:
        return ""
    return format_date(value, fmt)


def minutes_hhmm(minutes: int | None, *, pad: bool = False) -> str:
    """Minutes after midnight as H:MM (HH:MM with `pad`, as <input type=time> wants)."""
    if minutes is None:
        return ""
    hours = f"{minutes // 60:02d}" if pad else str(minutes // 60)
    return f"{hours}:{minutes % 60:02d}"


def seconds_hhmm(seconds: int | None) -> str:
    """Seconds after midnight (the planner's unit) as H:MM."""
    return "" if seconds is None else minutes_hhmm(int(seconds) // 60)
