"""Forms of the rep's own pages."""

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import SelectField


class LanguageForm(FlaskForm):
    language = SelectField(
        _l("Language"),
        choices=[("", _l("Same as the browser")), ("ja", "日本語"), ("en", "English")],
    )
