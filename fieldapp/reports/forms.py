"""Daily report forms: the rep's text with the version it was opened at; the managers' list filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, DateField, SelectField, SubmitField, TextAreaField
from wtforms.validators import Optional

from ..forms import VersionField
from ..i18n import choices
from ..models import User
from ..services.reports import BODY_MAX


class ReportForm(FlaskForm):
    """Save the draft or submit it: two buttons of one form, so both carry the text and the version."""

    # The length is checked by the service, so the form and any other caller give the same message.
    body = TextAreaField(_l("Report"), render_kw={"rows": 18, "maxlength": BODY_MAX})
    version = VersionField()
    save_draft = SubmitField(_l("Save draft"))
    send = SubmitField(_l("Submit report"))


class ReportFilterForm(FlaskForm):
    """GET filters of the team's reports (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    day = DateField(_l("Date"), validators=[Optional()])
    rep = SelectField(_l("Rep"), validators=[Optional()], validate_choice=False)
    status = SelectField(_l("Status"), validators=[Optional()], validate_choice=False)

    def __init__(self, *args, members: list[User], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.rep.choices = [("", _l("All reps"))] + [(str(m.id), m.name) for m in members]
        self.status.choices = [("", _l("Any status"))] + choices("report_status")

    def rep_id(self) -> int | None:
        try:
            return int(self.rep.data) if self.rep.data else None
        except ValueError:
            return None

    def status_value(self) -> str | None:
        return self.status.data if self.status.data in dict(choices("report_status")) else None


class CommentForm(FlaskForm):
    """A manager's comment on a report (上長コメント), optionally marking it reviewed at the same time."""

    # The length is checked by the service (one message for every caller).
    body = TextAreaField(_l("Comment"), render_kw={"rows": 4, "maxlength": 4000})
    review = BooleanField(_l("Mark the report as reviewed"), default=True)


class EditCommentForm(FlaskForm):
    """The author's new words for their comment, with the version they opened."""

    body = TextAreaField(_l("Comment"), render_kw={"rows": 4, "maxlength": 4000})
    version = VersionField()
