"""How the change history and the stale-edit comparison show stored values: field names and values in words."""

from __future__ import annotations

from datetime import date
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from ..i18n import WEEKDAYS, choice_label, local_date, minutes_hhmm
from ..services import customers as service

FIELD_LABELS = {
    "name": _l("Name"),
    "kana": _l("Reading (kana)"),
    "postal_code": _l("Postal code"),
    "address": _l("Address"),
    "phone": _l("Phone"),
    "segment": _l("Segment"),
    "rank": _l("Rank"),
    "cadence_days": _l("Visit every (days)"),
    "visit_minutes": _l("Visit length (minutes)"),
    "status": _l("Status"),
    "tags": _l("Tags"),
    "notes": _l("Notes"),
    "assigned_rep_id": _l("Assigned rep"),
    "lat": _l("Latitude"),
    "lon": _l("Longitude"),
    "location_source": _l("Location from"),
    "needs_location": _l("Needs a location"),
    "next_due_on": _l("Next visit due"),
    "role": _l("Role or title"),
    "email": _l("Email"),
    "birthday": _l("Birthday"),
    "hobbies": _l("Hobbies"),
    "personal_notes": _l("Personal notes"),
    "is_primary": _l("Main contact"),
    "kind": _l("Repeats"),
    "weekdays": _l("Weekdays"),
    "start_date": _l("From"),
    "end_date": _l("To"),
    "start_min": _l("From time"),
    "end_min": _l("Until"),
    "label": _l("What"),
}
ENTITY_LABELS = {
    service.ENTITY_CUSTOMER: _l("Customer"),
    service.ENTITY_CONTACT: _l("Contact"),
    service.ENTITY_BUSY: _l("Busy period"),
}
# The kinds the full history can be narrowed to (services.customer_history.KINDS).
HISTORY_KINDS = (
    ("all", _l("All")),
    ("visits", _l("Visits")),
    ("orders", _l("Orders")),
    ("changes", _l("Changes")),
)
# Where a searched word was found, on a search result's snippet.
SNIPPET_LABELS = {
    "visit": _l("Visit note"),
    "followup": _l("Follow-up"),
    "contact": _l("Contact"),
}
ACTION_LABELS = {
    "create": _l("added"),
    "update": _l("changed"),
    "delete": _l("removed"),
    "location": _l("location fixed"),
    "handover": _l("handed over"),
}


def field_label(name: str) -> str:
    """A stored field's name in words."""
    label = FIELD_LABELS.get(name)
    return str(label) if label is not None else name


def display_value(name: str, value: Any, people: dict[int, str] | None = None) -> str:
    """A stored value as a person reads it: labels for choices, H:MM for minutes, names for people."""
    if value is None or value == "":
        return "—"
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    if name in ("segment", "status", "location_source"):
        return choice_label(name, value)
    if name == "assigned_rep_id":
        return (people or {}).get(int(value), f"#{value}")
    if name in ("start_min", "end_min"):
        return minutes_hhmm(int(value))
    if name == "weekdays":
        return "・".join(str(WEEKDAYS[int(d)]) for d in str(value) if d.isdigit() and int(d) < 7)
    if name == "kind":
        return _("Every week") if value == "weekly" else _("Dates")
    if name in ("lat", "lon") and isinstance(value, float):
        return f"{value:.6f}"
    if name in ("next_due_on", "birthday", "start_date", "end_date", "last_visit_on"):
        try:
            return local_date(date.fromisoformat(str(value)))
        except ValueError:
            return str(value)
    return str(value)
