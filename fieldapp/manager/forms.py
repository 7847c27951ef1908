"""Manager forms: adding team members."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length, Optional


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
