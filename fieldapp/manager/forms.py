"""Manager forms: adding team members."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, PasswordField, SelectField, StringField
from wtforms.validators import DataRequired, Length


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


class ResetPasswordForm(FlaskForm):
    """A temporary password for a member, who must replace it at their next sign-in."""

    password = PasswordField(
        _l("Temporary password"), validators=[DataRequired(), Length(min=8, max=200)]
    )
