"""Forms of the rep's own pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import PasswordField, RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class LanguageForm(FlaskForm):
    language = SelectField(
        _l("Language"),
        choices=[("", _l("Same as the browser")), ("ja", "日本語"), ("en", "English")],
    )


class PasswordForm(FlaskForm):
    """The user's own new password (the current one is asked unless a manager's reset led here)."""

    current_password = PasswordField(_l("Current password"), validators=[Length(max=200)])
    new_password = PasswordField(_l("New password"), validators=[DataRequired(), Length(max=200)])
    confirm_password = PasswordField(
        _l("New password again"), validators=[DataRequired(), Length(max=200)]
    )


class ApiTokenForm(FlaskForm):
    """A new personal API token: a name to recognise it by and what it may do."""

    name = StringField(
        _l("Token name"),
        validators=[DataRequired(), Length(max=80)],
        description=_l("e.g. the tool that will use it"),
    )
    scope = RadioField(
        _l("Access"),
        choices=[("read", _l("Read only")), ("read-write", _l("Read and write"))],
        default="read",
        validators=[DataRequired()],
    )
