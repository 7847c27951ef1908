"""Shared form pieces: a service's refusal placed on the form, and the version every edit carries."""

from __future__ import annotations

import pytest
from flask_wtf import FlaskForm
from werkzeug.datastructures import MultiDict
from wtforms import StringField

from fieldapp.errors import ValidationError
from fieldapp.forms import STALE_VERSION, VersionField, apply_error


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
