"""Visit forms: one-thumb outcome chips, structured notes, order lines and follow-ups.

Quantities, prices and dates are plain text here and parsed by `VisitInput.from_mapping`, so the form
and the offline sync API give the same messages in the user's language.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from uuid import uuid4

from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from markupsafe import Markup
from wtforms import Form, FormField, SelectField, TextAreaField
from wtforms.fields import FieldList
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Length, Optional
from wtforms.widgets import Select

from ..forms import (
    QuickHiddenField,
    QuickRadioField,
    QuickStringField,
    VersionField,
    field_values,
    html_attributes,
)
from ..i18n import choices
from ..models import FollowUpKind, Product, User
from ..services.text import normalise_search
from ..services.visits import KEY_MAX, NOTE_MAX

# Typical phrases a tap inserts into a note (visit_form.js); shown only when JavaScript runs.
NOTE_TEMPLATES: dict[str, tuple[Any, ...]] = {
    "heard": (
        _l("Checked stock; will order next week"),
        _l("Considering a new menu"),
        _l("Busy season is starting"),
        _l("Happy with the current products"),
    ),
    "needs": (
        _l("Wants a lower price"),
        _l("Wants faster delivery"),
        _l("Looking for a new product"),
        _l("Short of storage space"),
    ),
    "changes": (
        _l("New person in charge"),
        _l("Shop renovated"),
        _l("Saw a competitor's product"),
        _l("Opening hours changed"),
    ),
    "proposals": (
        _l("Proposed a seasonal product"),
        _l("Proposed a bulk discount"),
        _l("Left samples"),
    ),
    "next_action": (
        _l("Send a quote"),
        _l("Call next week"),
        _l("Bring samples"),
        _l("Confirm the delivery date"),
    ),
}
# Quick due dates for the next action, in days from today.
DUE_SHORTCUTS = ((1, _l("Tomorrow")), (3, _l("In 3 days")), (7, _l("In a week")))

NUMBER = {"inputmode": "numeric", "pattern": "[0-9]*", "autocomplete": "off"}


def chip_choices(kind: str) -> list[SelectChoice]:
    """A choice kind of fieldapp.i18n as radio options (rendered as chips)."""
    return [SelectChoice(value, label) for value, label in choices(kind)]


def product_search_words(product: Product) -> str:
    words = (product.code, product.kana, product.name_en, product.tags)
    return normalise_search(" ".join(w for w in words if w))


def product_label(product: Product) -> str:
    """The product's name in the UI language (English name when there is one)."""
    locale = str(get_locale() or "ja")
    return product.name_en if locale == "en" and product.name_en else product.name


class UsualLineForm(Form):
    """A product this customer usually orders: only the quantity is asked."""

    product_id = QuickHiddenField()
    quantity = QuickStringField(_l("Quantity"), render_kw=NUMBER)
    unit_price = QuickStringField(_l("Unit price (yen)"), render_kw=NUMBER)


# The catalogue's options as drawn, by the choices and the selected value: kept for the process (the
# catalogue changes seldom, the visit form is drawn many times a minute), a few catalogues and
# languages at most; a changed catalogue is a new key.
RENDERED_OPTIONS: dict[tuple, str] = {}
RENDERED_OPTIONS_MAX = 64


class CatalogChoices(list):
    """The catalogue's choices, shared by the form's product lines, with their options drawn once."""

    def __init__(self, choices: Sequence[SelectChoice]) -> None:
        super().__init__(choices)
        self.key = tuple(
            (c.value, str(c.label), tuple(sorted(c.render_kw.items())), c.optgroup) for c in choices
        )


class SharedOptionsSelect(Select):
    """A select whose options are drawn once per catalogue and selected value: the visit form's
    product lines each list the whole catalogue, and drawing its options (escaping, attributes) for
    every line, on every request, was half of the page's time."""

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        choices = field.choices
        if not isinstance(choices, CatalogChoices):
            return super().__call__(field, **kwargs)
        key = (choices.key, str(field.data or ""))
        options = RENDERED_OPTIONS.get(key)
        if options is None:
            whole = str(super().__call__(field))
            options = whole[whole.index(">") + 1 : -len("</select>")]
            if len(RENDERED_OPTIONS) >= RENDERED_OPTIONS_MAX:
                RENDERED_OPTIONS.clear()
            RENDERED_OPTIONS[key] = options
        kwargs.setdefault("id", field.id)
        return Markup(f"<select {html_attributes(name=field.name, **kwargs)}>{options}</select>")


class ExtraLineForm(Form):
    """Any product of the catalogue."""

    product_id = SelectField(
        _l("Product"), choices=[], validate_choice=False, widget=SharedOptionsSelect()
    )
    quantity = QuickStringField(_l("Quantity"), render_kw=NUMBER)
    unit_price = QuickStringField(_l("Unit price (yen)"), render_kw=NUMBER)


# What a follow-up carries, here and on the follow-up page's own form.
FOLLOWUP_FIELDS = ("kind", "title", "due_date", "owner_id")
# The notes of a visit, without the version the edit started from.
NOTE_FIELDS = (
    "outcome",
    "heard",
    "needs",
    "changes",
    "proposals",
    "proposal_reception",
    "next_action",
    "next_action_due",
)


class FollowUpLineForm(Form):
    """A follow-up opened from the visit."""

    kind = QuickRadioField(
        _l("Kind"), choices=[], default=FollowUpKind.OTHER.value, validate_choice=False
    )
    title = QuickStringField(_l("What to follow up"), validators=[Optional(), Length(max=200)])
    due_date = QuickStringField(_l("Due date"), render_kw={"type": "date"})
    owner_id = SelectField(_l("Owner"), choices=[], validate_choice=False)


class PromptAnswerForm(Form):
    """The rep's answer to one prompt shown on the form; the key names the prompt (kind:code:product)."""

    key = QuickHiddenField(validators=[Length(max=80)])
    value = QuickHiddenField(validators=[Length(max=12)])
    response = QuickRadioField(choices=[], validate_choice=False)


class VisitNotesForm(FlaskForm):
    """Outcome and structured notes (also the edit form of a saved note)."""

    outcome = QuickRadioField(_l("Outcome"), choices=[], validate_choice=False)
    heard = TextAreaField(_l("What I heard"), validators=[Length(max=NOTE_MAX)])
    needs = TextAreaField(_l("Needs and issues"), validators=[Length(max=NOTE_MAX)])
    changes = TextAreaField(_l("Changes noticed"), validators=[Length(max=NOTE_MAX)])
    proposals = TextAreaField(_l("Proposals made"), validators=[Length(max=NOTE_MAX)])
    proposal_reception = QuickRadioField(
        _l("How the proposal was received"), choices=[], validate_choice=False
    )
    next_action = QuickStringField(_l("Next action"), validators=[Length(max=NOTE_MAX)])
    next_action_due = QuickStringField(_l("Next action due"), render_kw={"type": "date"})
    version = VersionField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Messages about a whole section (order lines, follow-ups), shown at that section.
        self.section_errors: dict[str, list[str]] = {"orders": [], "followups": []}
        self.outcome.choices = chip_choices("outcome")
        self.proposal_reception.choices = [
            SelectChoice("", str(_l("Not asked"))),
            *chip_choices("reception"),
        ]
        if self.proposal_reception.data is None:
            self.proposal_reception.data = ""

    def notes_mapping(self) -> dict[str, Any]:
        """The notes as plain data for VisitInput.from_mapping."""
        return field_values(self, only=NOTE_FIELDS)


class VisitForm(VisitNotesForm):
    """The whole visit: notes plus orders and follow-ups; extra rows are revealed by visit_form.js."""

    usual = FieldList(FormField(UsualLineForm), min_entries=0)
    orders = FieldList(FormField(ExtraLineForm), min_entries=3)
    followups = FieldList(FormField(FollowUpLineForm), min_entries=2)
    prompts = FieldList(FormField(PromptAnswerForm), min_entries=0, max_entries=30)
    submission_key = QuickHiddenField(validators=[Length(max=KEY_MAX)])

    def __init__(
        self,
        *args: Any,
        usual_products: Sequence[Product] = (),
        catalog: Sequence[Product] = (),
        members: Sequence[User] = (),
        owner: User | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.usual_products = list(usual_products)
        self.products_by_id = {p.id: p for p in [*usual_products, *catalog]}
        # One row per usual product, in the same order as the products; posted rows keep their ids.
        while len(self.usual.entries) < len(self.usual_products):
            self.usual.append_entry()
        for row, product in zip(self.usual.entries, self.usual_products, strict=False):
            if not row.form.product_id.data:
                row.form.product_id.data = str(product.id)
        product_choices = CatalogChoices(
            [SelectChoice("", str(_l("Choose a product")))]
            + [
                SelectChoice(
                    str(p.id),
                    f"{product_label(p)} · ¥{p.unit_price:,}",
                    # The picker's search also matches the code, reading, English name and tags.
                    render_kw={
                        "data-price": str(p.unit_price),
                        "data-search": product_search_words(p),
                    },
                    optgroup=p.category,
                )
                for p in catalog
            ]
        )
        owner_choices = [SelectChoice(str(m.id), m.name) for m in members if m.active]
        for row in self.orders.entries:
            row.form.product_id.choices = product_choices
        for row in self.followups.entries:
            row.form.kind.choices = chip_choices("followup_kind")
            row.form.owner_id.choices = owner_choices
            if not row.form.owner_id.data and owner is not None:
                row.form.owner_id.data = str(owner.id)
        if not self.submission_key.data:
            # Sent back with the post: a double tap or a resent form stores the visit once.
            self.submission_key.data = uuid4().hex

    def to_mapping(self) -> dict[str, Any]:
        """Everything the rep filled in, as plain data; untouched rows are left out."""
        orders = []
        for row in [*self.usual.entries, *self.orders.entries]:
            line = row.form
            quantity = (line.quantity.data or "").strip()
            if not line.product_id.data or quantity in ("", "0"):
                continue
            orders.append(
                {
                    "product_id": line.product_id.data,
                    "quantity": quantity,
                    "unit_price": (line.unit_price.data or "").strip(),
                }
            )
        followups = []
        for row in self.followups.entries:
            item = row.form
            if not (item.title.data or "").strip() and not (item.due_date.data or "").strip():
                continue
            followups.append(field_values(item, only=FOLLOWUP_FIELDS))
        prompts = [
            {
                "key": row.form.key.data,
                "response": row.form.response.data,
                "value": row.form.value.data,
            }
            for row in self.prompts.entries
            if row.form.response.data
        ]
        return {
            **self.notes_mapping(),
            "orders": orders,
            "followups": followups,
            "prompts": prompts,
        }
