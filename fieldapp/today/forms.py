"""Forms of the day's plan: one-button actions carry the plan version; skip and "nearby now" ask more."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, IntegerField, RadioField, TimeField
from wtforms.validators import DataRequired, NumberRange, Optional

from ..i18n import CHOICES


class PlanActionForm(FlaskForm):
    """A button on the plan: CSRF, plus the version and position fields read by the route."""


class AddStopForm(FlaskForm):
    customer_id = IntegerField(validators=[DataRequired()])
    after_stop_id = IntegerField(validators=[Optional()])


class SkipForm(FlaskForm):
    reason = RadioField(
        _l("Why skip this visit?"),
        choices=list(CHOICES["skip_reason"].items()),
        validators=[DataRequired(message=_l("Please choose why you skip this visit."))],
    )
    move_to = DateField(_l("Visit on another day instead (optional)"), validators=[Optional()])
    version = IntegerField(validators=[Optional()])


class NearbyForm(FlaskForm):
    minutes = IntegerField(
        _l("Free minutes"),
        default=40,
        validators=[
            DataRequired(message=_l("How many minutes do you have?")),
            NumberRange(min=5, max=240, message=_l("Between 5 and 240 minutes.")),
        ],
    )
    # Without the phone's position the search starts at the last customer visited (or home).
    lat = FloatField(validators=[Optional()])
    lon = FloatField(validators=[Optional()])


class AppointmentForm(FlaskForm):
    day = DateField(_l("Date"), validators=[DataRequired(message=_l("Please choose the date."))])
    start = TimeField(_l("Time"), validators=[DataRequired(message=_l("Please choose the time."))])
