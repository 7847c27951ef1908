"""Follow-up forms: opening one at a customer and closing it with a result."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from flask import request
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, RadioField, SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional

from ..forms import field_values
from ..models import FollowUpKind, User
from ..services.followups import RESULT_MAX, TITLE_MAX
from ..visits.forms import FOLLOWUP_FIELDS, chip_choices


class FollowUpForm(FlaskForm):
    """Kind, title, due date and owner (the signed-in user by default)."""

    kind = RadioField(
        _l("Kind"), choices=[], default=FollowUpKind.OTHER.value, validate_choice=False
    )
    title = StringField(_l("What to follow up"), validators=[Length(max=TITLE_MAX)])
    due_date = StringField(_l("Due date"), render_kw={"type": "date"})
    owner_id = SelectField(_l("Owner"), choices=[], validate_choice=False)

    def __init__(
        self, *args: Any, members: Sequence[User] = (), owner: User | None = None, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = chip_choices("followup_kind")
        self.owner_id.choices = [SelectChoice(str(m.id), m.name) for m in members if m.active]
        if not self.owner_id.data and owner is not None:
            self.owner_id.data = str(owner.id)

    def mapping(self) -> dict[str, Any]:
        """Plain data for FollowUpInput.from_mapping."""
        return field_values(self, only=FOLLOWUP_FIELDS)


class CloseFollowUpForm(FlaskForm):
    """What came of it; required to close."""

    result = TextAreaField(_l("Result"), validators=[Optional(), Length(max=RESULT_MAX)])
    next = HiddenField()

    @classmethod
    def back_here(cls) -> CloseFollowUpForm:
        """An empty close form that returns to the page it is shown on."""
        form = cls(formdata=None)
        form.next.data = request.full_path.rstrip("?")
        return form
