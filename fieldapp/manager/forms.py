"""Manager forms: adding team members, the dashboard's period, covering an absent rep."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    PasswordField,
    SelectField,
    SelectMultipleField,
    StringField,
)
from wtforms.validators import DataRequired, Length, NumberRange, Optional
from wtforms.widgets import CheckboxInput, ListWidget


class AddMemberForm(FlaskForm):
    name = StringField(_l("Name"), validators=[DataRequired(), Length(max=120)])
    email = EmailField(_l("Email"), validators=[DataRequired(), Length(max=254)])
    password = PasswordField(
        _l("Initial password"), validators=[DataRequired(), Length(min=8, max=200)]
    )
    role = SelectField(_l("Role"), choices=[("rep", _l("Rep")), ("manager", _l("Manager"))])
    language = SelectField(
        _l("Language"),
        choices=[("", _l("Same as the browser")), ("ja", "日本語"), ("en", "English")],
    )


class DashboardForm(FlaskForm):
    """GET choice of the dashboard's period (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    period = SelectField(
        _l("Period"),
        choices=[
            ("week", _l("Week")),
            ("month", _l("Month")),
            ("quarter", _l("Quarter")),
            ("custom", _l("Custom")),
        ],
        validators=[Optional()],
        validate_choice=False,
    )
    day = DateField(_l("Including the day"), validators=[Optional()])
    start = DateField(_l("From"), validators=[Optional()])
    end = DateField(_l("To"), validators=[Optional()])


class CoverForm(FlaskForm):
    """Who is away, which days, and which teammates take their visits; `assignment` carries the
    previewed plan to the confirmation."""

    rep = SelectField(_l("Absent rep"), validate_choice=False)
    first_day = DateField(_l("First day away"), validators=[DataRequired()])
    days = IntegerField(
        _l("Working days"), default=1, validators=[DataRequired(), NumberRange(min=1, max=5)]
    )
    teammates = SelectMultipleField(
        _l("Teammates who cover"),
        coerce=int,
        validate_choice=False,
        widget=ListWidget(prefix_label=False),
        option_widget=CheckboxInput(),
    )
    assignment = HiddenField()

    def __init__(self, *args, reps: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rep.choices = [(str(r.id), r.name) for r in reps]
        self.teammates.choices = [(r.id, r.name) for r in reps]

    def rep_id(self) -> int | None:
        try:
            return int(self.rep.data)
        except (TypeError, ValueError):
            return None


class AbsenceForm(FlaskForm):
    """A manager notes a rep's day away (sick, training) so the cover page suggests it."""

    # not "rep": the cover form on the same page has one (ids must be unique)
    away_rep = SelectField(_l("Rep"), validate_choice=False)
    day = DateField(_l("Day"), validators=[DataRequired()])
    note = StringField(_l("Note"), validators=[Optional(), Length(max=300)])

    def __init__(self, *args, reps: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.away_rep.choices = [(str(r.id), r.name) for r in reps]

    def rep_id(self) -> int | None:
        try:
            return int(self.away_rep.data)
        except (TypeError, ValueError):
            return None


class ResetPasswordForm(FlaskForm):
    """A temporary password for a member, who must replace it at their next sign-in."""

    password = PasswordField(
        _l("Temporary password"), validators=[DataRequired(), Length(min=8, max=200)]
    )
