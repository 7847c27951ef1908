"""Handover forms: choose the new rep and write the note; confirm what the preview showed."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, TextAreaField
from wtforms.validators import Length


class HandoverForm(FlaskForm):
    ids = HiddenField()  # the selected customers, "1,2,3"
    to_rep = SelectField(_l("Hand over to"), validate_choice=False)
    note = TextAreaField(
        _l("Handover note for the new rep"),
        validators=[Length(max=2000)],
        render_kw={
            "rows": 4,
            "placeholder": _l("What the new rep should know: people, promises, habits"),
        },
    )

    def __init__(self, *args: object, reps: list[tuple[str, str]], **kwargs: object):
        super().__init__(*args, **kwargs)
        self.to_rep.choices = [("", str(_l("Choose a rep")))] + reps


class ConfirmForm(FlaskForm):
    ids = HiddenField()
    to_rep = HiddenField()
    note = HiddenField()
    fingerprint = HiddenField()  # what the preview showed; the commit is refused if it changed
