"""Shared form pieces: a service's refusal placed on the form, and the version every edit carries."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from hypothesis import given
from hypothesis import strategies as st
from markupsafe import Markup
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.widgets import html_params

from fieldapp.errors import ValidationError
from fieldapp.forms import STALE_VERSION, VersionField, apply_error, html_attributes


class NoteForm(FlaskForm):
    title = StringField()
    version = VersionField()

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, meta={"csrf": False}, **kwargs)
        self.section_errors: dict[str, list[str]] = {"orders": []}


@pytest.mark.parametrize(
    ("error", "where"),
    [
        (ValidationError("Too long", errors={"title": "At most 80"}), "title"),
        (ValidationError("Too long", field="title"), "title"),
        (ValidationError("No such product", field="orders"), "orders"),
        (ValidationError("Something else", field="nowhere"), "form"),
        (ValidationError("Something else"), "form"),
    ],
)
def test_a_refusal_goes_on_the_field_it_names_else_on_the_form(app, error, where):
    with app.test_request_context():
        form = NoteForm(formdata=MultiDict({"title": "x"}))
        form.validate()
        apply_error(form, error)
    placed = {
        "title": list(form.title.errors),
        "orders": form.section_errors["orders"],
        "form": form.form_errors,
    }
    assert [name for name, messages in placed.items() if messages] == [where]


@pytest.mark.parametrize(
    ("posted", "version"),
    [("3", 3), ("", STALE_VERSION), ("x", STALE_VERSION), (None, STALE_VERSION)],
)
def test_a_missing_or_garbled_version_is_stale(app, posted, version):
    with app.test_request_context():
        form = NoteForm(formdata=MultiDict({} if posted is None else {"version": posted}))
    assert form.version.data == version


@given(
    st.dictionaries(
        st.sampled_from(
            ["id", "name", "value", "class_", "data_price", "aria_label", "for_", "type"]
        ),
        st.one_of(
            st.booleans(), st.text(max_size=12), st.integers(), st.just(Markup('<b>"x"</b>'))
        ),
        max_size=6,
    )
)
def test_html_attributes_draws_exactly_what_wtforms_draws(attributes):
    """The quick widgets' attributes are WTForms' own output, escaping and all."""
    assert html_attributes(**attributes) == html_params(**attributes)


def test_the_visit_forms_quick_fields_render_as_wtforms_would(app):
    """Text, hidden and radio fields of the visit form: the same HTML as WTForms' own widgets."""
    from wtforms import Form, HiddenField, RadioField, StringField
    from wtforms.fields.choices import SelectChoice

    from fieldapp.forms import QuickHiddenField, QuickRadioField, QuickStringField

    class Plain(Form):
        text = StringField(render_kw={"inputmode": "numeric"})
        hidden = HiddenField()
        chips = RadioField(choices=[SelectChoice("a", "A & B"), SelectChoice("b", '"q"')])

    class Quick(Form):
        text = QuickStringField(render_kw={"inputmode": "numeric"})
        hidden = QuickHiddenField()
        chips = QuickRadioField(choices=[SelectChoice("a", "A & B"), SelectChoice("b", '"q"')])

    data = {"text": '5 <"6">', "hidden": "x&y", "chips": "b"}
    plain, quick = Plain(data=data), Quick(data=data)
    for name in ("text", "hidden"):
        assert str(quick[name](class_="n")) == str(plain[name](class_="n"))
    assert [str(o()) for o in quick.chips] == [str(o()) for o in plain.chips]
