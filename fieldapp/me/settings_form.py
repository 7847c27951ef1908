"""The planning-settings form, shared by *Me* and the manager's member page, and its parsing.

Times are typed as HH:MM and stored as minutes after midnight. A place is the team's office, the rep's
home or a pin: a pin (and the home) comes from "use my current position" (hidden lat/lon filled by the
phone) or from an address, geocoded when the server has a geocoder.
"""

from __future__ import annotations

import re
from typing import Any

from flask import current_app
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from sqlmodel import Session
from wtforms import BooleanField, HiddenField, IntegerField, RadioField, SelectField, StringField
from wtforms.validators import Length, Optional

from ..customers.forms import MultiCheckboxField
from ..errors import ValidationError
from ..forms import VersionField
from ..i18n import CHOICES, WEEKDAYS
from ..models import User
from ..services import geocoding

_TIME = re.compile(r"^\s*(\d{1,2}):(\d{2})\s*$")
PLACES = ("start", "end", "home")


def _time_field(label: Any, optional: bool = False) -> StringField:
    return StringField(
        label, validators=[Optional()] if optional else [], render_kw={"type": "time"}
    )


class PlanningSettingsForm(FlaskForm):
    version = VersionField()
    start_kind = RadioField(
        _l("My day starts at"),
        choices=[("office", _l("The office")), ("home", _l("Home")), ("pin", _l("Another place"))],
        validate_choice=False,
    )
    start_label = StringField(_l("Address or name of the place"), validators=[Length(max=200)])
    start_lat = HiddenField()
    start_lon = HiddenField()
    end_kind = RadioField(
        _l("My day ends at"),
        choices=[
            ("", _l("Where it started")),
            ("office", _l("The office")),
            ("home", _l("Home")),
            ("pin", _l("Another place")),
        ],
        validate_choice=False,
    )
    end_label = StringField(_l("Address or name of the place"), validators=[Length(max=200)])
    end_lat = HiddenField()
    end_lon = HiddenField()
    home_label = StringField(_l("Home address"), validators=[Length(max=200)])
    home_lat = HiddenField()
    home_lon = HiddenField()
    working_weekdays = MultiCheckboxField(_l("Working days"), validate_choice=False)
    work_start = _time_field(_l("Day starts"))
    work_end = _time_field(_l("Back by"))
    lunch_minutes = IntegerField(
        _l("Lunch (minutes)"), validators=[Optional()], render_kw={"inputmode": "numeric"}
    )
    lunch_earliest = _time_field(_l("Lunch from"), optional=True)
    lunch_latest = _time_field(_l("Lunch starts by"), optional=True)
    travel_mode = RadioField(
        _l("I travel by"), choices=list(CHOICES["travel_mode"].items()), validate_choice=False
    )
    visits_per_day = IntegerField(
        _l("Usual visits a day (empty: as many as fit)"),
        validators=[Optional()],
        render_kw={"inputmode": "numeric"},
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.working_weekdays.choices = [(str(i), str(name)) for i, name in enumerate(WEEKDAYS)]

    def fill(self, user: User) -> None:
        """Show the stored settings (a GET, or after a stale edit)."""
        self.version.data = user.settings_version
        self.start_kind.data = user.start_kind or (
            "pin" if user.start_lat is not None else "office"
        )
        self.end_kind.data = user.end_kind or ("pin" if user.end_lat is not None else "")
        for prefix in PLACES:
            for part in ("label", "lat", "lon"):
                value = getattr(user, f"{prefix}_{part}")
                getattr(self, f"{prefix}_{part}").data = "" if value is None else value
        self.working_weekdays.data = list(user.working_weekdays or "01234")
        self.work_start.data = hhmm(user.work_start_min)
        self.work_end.data = hhmm(user.work_end_min)
        self.lunch_minutes.data = user.lunch_minutes
        self.lunch_earliest.data = hhmm(user.lunch_earliest_min)
        self.lunch_latest.data = hhmm(user.lunch_latest_min)
        self.travel_mode.data = user.travel_mode
        self.visits_per_day.data = user.visits_per_day


class MemberForm(PlanningSettingsForm):
    """The manager's member page: the account fields, then the same planning settings."""

    name = StringField(_l("Name"), validators=[Length(max=120)])
    role = SelectField(_l("Role"), validate_choice=False)
    active = BooleanField(_l("Can sign in"))


def hhmm(minutes: int | None) -> str:
    """Minutes after midnight as an <input type=time> value ("09:00"); empty for none."""
    if minutes is None:
        return ""
    minutes = min(minutes, 24 * 60 - 1)  # the input has no 24:00
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _minutes(text: str | None, field: str, errors: dict[str, str]) -> int | None:
    if not text:
        return None
    match = _TIME.match(text)
    if not match or int(match[1]) > 24 or int(match[2]) > 59:
        errors[field] = _("Please enter a time like 9:00.")
        return None
    return min(24 * 60, int(match[1]) * 60 + int(match[2]))


def _float(text: Any) -> float | None:
    try:
        return float(text) if text not in (None, "") else None
    except (TypeError, ValueError):
        return None


def settings_input(form: PlanningSettingsForm, session: Session) -> dict[str, Any]:
    """The form's values as planning_settings.update_settings takes them; a typed address without a
    position is geocoded here (ValidationError on its field when it cannot be found)."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {
        "start_kind": form.start_kind.data or None,
        "end_kind": form.end_kind.data or None,
        "working_weekdays": form.working_weekdays.data or [],
        "lunch_minutes": form.lunch_minutes.data,
        "travel_mode": form.travel_mode.data,
        "visits_per_day": form.visits_per_day.data,
    }
    used = {values["start_kind"], values["end_kind"]}
    for prefix in PLACES:
        label = (getattr(form, f"{prefix}_label").data or "").strip() or None
        lat = _float(getattr(form, f"{prefix}_lat").data)
        lon = _float(getattr(form, f"{prefix}_lon").data)
        needed = (prefix == "home" and "home" in used) or values.get(f"{prefix}_kind") == "pin"
        if (lat is None or lon is None) and label and needed:
            point = geocoding.lookup(session, address=label, config=current_app.config)
            if point is None:
                errors[f"{prefix}_label"] = (
                    _("This address was not found. Use your current position instead.")
                    if current_app.config.get("NOMINATIM_DOMAIN")
                    else _("Addresses cannot be looked up here. Use your current position.")
                )
            else:
                lat, lon = point
        values.update({f"{prefix}_label": label, f"{prefix}_lat": lat, f"{prefix}_lon": lon})
    for field, key in (
        ("work_start", "work_start_min"),
        ("work_end", "work_end_min"),
        ("lunch_earliest", "lunch_earliest_min"),
        ("lunch_latest", "lunch_latest_min"),
    ):
        values[key] = _minutes(getattr(form, field).data, field, errors)
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    return values


# The service names its fields as stored; the form shows times under their own names.
FIELD_OF = {
    "work_start_min": "work_start",
    "work_end_min": "work_end",
    "lunch_earliest_min": "lunch_earliest",
    "lunch_latest_min": "lunch_latest",
    "start_lat": "start_label",
    "end_lat": "end_label",
    "home_lat": "home_label",
}


def on_form_fields(error: ValidationError) -> ValidationError:
    """The service's refusal with its field names mapped onto the form's."""
    named = error.details.get("errors") or {}
    if error.details.get("field"):
        named = {error.details["field"]: error.message, **named}
    mapped = {FIELD_OF.get(name, name): message for name, message in named.items()}
    return ValidationError(error.message, errors=mapped)


def saving(service: Any) -> Any:
    """`service` with its refusals named by the form's fields (for save_form)."""

    def save(session: Session, **kwargs: Any) -> Any:
        try:
            return service(session, **kwargs)
        except ValidationError as error:
            raise on_form_fields(error) from error

    return save


class OfficeForm(FlaskForm):
    """The team's office: the default start and end of every rep's day (a manager sets it)."""

    office_label = StringField(_l("Address or name of the place"), validators=[Length(max=200)])
    office_lat = HiddenField()
    office_lon = HiddenField()


def office_input(form: OfficeForm, session: Session) -> dict[str, Any]:
    """The office's name and position: the phone's, else the typed address geocoded."""
    label = (form.office_label.data or "").strip() or None
    lat, lon = _float(form.office_lat.data), _float(form.office_lon.data)
    if (lat is None or lon is None) and label:
        point = geocoding.lookup(session, address=label, config=current_app.config)
        if point is not None:
            lat, lon = point
    if lat is None or lon is None:
        message = (
            _("This address was not found. Use your current position instead.")
            if label and current_app.config.get("NOMINATIM_DOMAIN")
            else _("Addresses cannot be looked up here. Use your current position.")
            if label
            else _("Use your position or enter an address.")
        )
        raise ValidationError(message, errors={"office_label": message})
    return {"label": label, "lat": lat, "lon": lon}
