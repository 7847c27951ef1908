"""Forms of the rep's own pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import RadioField, SelectField, StringField
from wtforms.validators import DataRequired, Length


class LanguageForm(FlaskForm):
    language = SelectField(
        _l("Language"),
        choices=[("", _l("Same as the browser")), ("ja", "日本語"), ("en", "English")],
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
