"""Customer forms: the customer record, its location, contacts and busy periods.

Domain rules (rank A/B/C, cadence 1–365, coordinates in range, busy-time order…) are checked in the
services, which give the messages; the forms parse input and carry the version the edit started from.
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
    widgets,
)
from wtforms.validators import InputRequired, Length, Optional

from ..forms import VersionField, field_values
from ..i18n import CHOICES, WEEKDAYS


class CustomerForm(FlaskForm):
    version = VersionField()
    name = StringField(
        _l("Customer name"), validators=[InputRequired(_l("Enter the customer's name."))]
    )
    kana = StringField(_l("Reading (kana)"))
    phone = StringField(_l("Phone"), render_kw={"type": "tel", "inputmode": "tel"})
    postal_code = StringField(_l("Postal code"), render_kw={"inputmode": "numeric"})
    address = StringField(_l("Address"))
    segment = SelectField(_l("Segment"), validate_choice=False)
    rank = SelectField(_l("Rank"), validate_choice=False)
    cadence_days = StringField(_l("Visit every (days)"), render_kw={"inputmode": "numeric"})
    visit_minutes = StringField(_l("Visit length (minutes)"), render_kw={"inputmode": "numeric"})
    status = SelectField(_l("Status"), validate_choice=False)
    assigned_rep_id = SelectField(_l("Assigned rep"), validate_choice=False)
    tags = StringField(_l("Tags (comma separated)"))
    notes = TextAreaField(_l("Notes"))
    # Ticked to save deliberately what looks like another customer of the team (same phone, name+address).
    allow_duplicate = BooleanField(_l("It is a different customer: save it anyway"))

    def __init__(self, *args: object, reps: list[tuple[str, str]] | None = None, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.segment.choices = [(v, str(label)) for v, label in CHOICES["segment"].items()]
        self.rank.choices = [("A", "A"), ("B", "B"), ("C", "C")]
        self.status.choices = [(v, str(label)) for v, label in CHOICES["status"].items()]
        if reps is None:
            del self.assigned_rep_id  # only managers reassign customers
        else:
            self.assigned_rep_id.choices = [("", str(_l("Nobody")))] + reps

    def values(self) -> dict[str, object]:
        """Submitted values by field name, for the service."""
        return field_values(self, skip=("version", "csrf_token", "allow_duplicate"))


class LocationForm(FlaskForm):
    version = VersionField()
    source = HiddenField(default="pinned")
    lat = StringField(_l("Latitude"), render_kw={"inputmode": "decimal"})
    lon = StringField(_l("Longitude"), render_kw={"inputmode": "decimal"})


class ContactForm(FlaskForm):
    loaded = HiddenField()  # fingerprint of the contact when the form was opened
    name = StringField(_l("Name"), validators=[InputRequired(_l("Enter the contact's name."))])
    kana = StringField(_l("Reading (kana)"))
    role = StringField(_l("Role or title"))
    phone = StringField(_l("Phone"), render_kw={"type": "tel", "inputmode": "tel"})
    email = StringField(_l("Email"), render_kw={"type": "email"})
    birthday = DateField(_l("Birthday"), validators=[Optional()], render_kw={"type": "date"})
    hobbies = StringField(_l("Hobbies"), validators=[Length(max=300)])
    personal_notes = TextAreaField(_l("Personal notes"))
    is_primary = BooleanField(_l("Main contact"))

    def values(self) -> dict[str, object]:
        """Submitted values by field name, for the service."""
        return field_values(self, skip=("csrf_token", "loaded"))


class MultiCheckboxField(SelectMultipleField):
    widget = widgets.ListWidget(prefix_label=False)
    option_widget = widgets.CheckboxInput()


class BusyForm(FlaskForm):
    kind = RadioField(
        _l("Repeats"),
        choices=[("weekly", _l("Every week")), ("dates", _l("Dates"))],
        default="weekly",
        validate_choice=False,
    )
    weekdays = MultiCheckboxField(_l("Weekdays"), validate_choice=False)
    start_date = DateField(_l("From"), validators=[Optional()], render_kw={"type": "date"})
    end_date = DateField(_l("To"), validators=[Optional()], render_kw={"type": "date"})
    whole_day = BooleanField(_l("Whole day (closed)"))
    start_time = StringField(_l("From time"), render_kw={"type": "time"})
    end_time = StringField(_l("Until"), render_kw={"type": "time"})
    label = StringField(_l("What (e.g. lunch service)"))

    def __init__(self, *args: object, **kwargs: object):
        super().__init__(*args, **kwargs)
        self.weekdays.choices = [(str(i), str(name)) for i, name in enumerate(WEEKDAYS)]


class NewCustomerForm(CustomerForm):
    """The customer form for a new customer: where it is (a pin, else the address is geocoded), and the
    deliberate "create anyway" when it looks like a customer the team already has."""

    lat = StringField(_l("Latitude"), render_kw={"inputmode": "decimal"})
    lon = StringField(_l("Longitude"), render_kw={"inputmode": "decimal"})

    def values(self) -> dict[str, object]:
        return field_values(self, skip=("version", "csrf_token", "lat", "lon", "allow_duplicate"))
