"""Forms of the day's plan: one-button actions carry the plan version; skip and "nearby now" ask more."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, FloatField, IntegerField, RadioField, TimeField
from wtforms.validators import DataRequired, NumberRange, Optional
from wtforms.validators import ValidationError as WTFormsValidationError

from ..forms import ButtonHiddenField, ButtonsForm, ButtonVersionField, VersionField
from ..i18n import CHOICES
from ..services.day.position import Position


class PlanActionForm(ButtonsForm):
    """A button on the plan: CSRF, the plan version the page showed, and the phone's position if given."""

    version = ButtonVersionField()
    lat = ButtonHiddenField()  # filled in by today.js when the phone allows it
    lon = ButtonHiddenField()

    def position(self) -> Position | None:
        """Both coordinates or none; garbage counts as no position."""
        return Position.parse(self.lat.data, self.lon.data)


class MoveForm(PlanActionForm):
    """One place earlier ("up") or later (anything else)."""

    direction = ButtonHiddenField()

    def step(self) -> int:
        return -1 if self.direction.data == "up" else 1


class ReorderForm(PlanActionForm):
    """The whole order of the stops not yet visited, as comma-separated stop ids."""

    order = ButtonHiddenField()

    def validate_order(self, field: ButtonHiddenField) -> None:
        if self.stop_ids() is None:
            raise WTFormsValidationError(_l("The order is not a list of stops."))

    def stop_ids(self) -> list[int] | None:
        """The stop ids in their new order; None when the list is garbled."""
        try:
            return [int(x) for x in (self.order.data or "").split(",") if x.strip()]
        except ValueError:
            return None


class AddStopForm(FlaskForm):
    customer_id = IntegerField(validators=[DataRequired()])
    after_stop_id = IntegerField(validators=[Optional()])
    version = ButtonVersionField()


class SkipForm(FlaskForm):
    reason = RadioField(
        _l("Why skip this visit?"),
        choices=list(CHOICES["skip_reason"].items()),
        validators=[DataRequired(message=_l("Please choose why you skip this visit."))],
    )
    move_to = DateField(_l("Visit on another day instead (optional)"), validators=[Optional()])
    version = VersionField()


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


class WeekActionForm(FlaskForm):
    """A button on the week (plan, accept): CSRF and the week version the page showed."""

    version = ButtonVersionField()


class WeekMoveForm(WeekActionForm):
    """Put a customer on another day of the week."""

    customer_id = IntegerField(validators=[DataRequired()])
    to_day = DateField(
        _l("Move to"), validators=[DataRequired(message=_l("Please choose the day."))]
    )
