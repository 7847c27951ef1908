"""Form pieces every area shares: the one-button form, the version an edit started from, and a service's
refusal placed on the fields it names."""

from __future__ import annotations

from typing import Any

from flask_wtf import FlaskForm
from wtforms import HiddenField, StringField
from wtforms.widgets import Input

from .errors import ValidationError

# Stored versions start at 1 (a new plan at 0), so this one never matches: the save is refused as stale.
STALE_VERSION = -1


class EmptyForm(FlaskForm):
    """A one-button POST (logout, enable/disable): just the CSRF token."""


class PerButtonHidden(Input):
    """A hidden input that `hidden_tag()` leaves out: each button on a page renders it with its own value."""

    input_type = "hidden"


class VersionField(HiddenField):
    """The version the screen showed; a missing or garbled one counts as stale, never as "no check"."""

    def process_formdata(self, valuelist: list[Any]) -> None:
        try:
            self.data = int(valuelist[0])
        except (IndexError, TypeError, ValueError):
            self.data = STALE_VERSION


class ButtonVersionField(VersionField):
    """The plan version on one of many buttons of a page (rendered by the template, per button)."""

    widget = PerButtonHidden()


class ButtonHiddenField(StringField):
    """A value a button posts (the phone's position, filled in by today.js), rendered per button."""

    widget = PerButtonHidden()


def apply_error(form: FlaskForm, error: ValidationError) -> None:
    """A service's refusal on the fields it names (`errors={field: message}` or `field=`), else on the form."""
    named: dict[str, str] = dict(error.details.get("errors") or {})
    if not named and error.details.get("field"):
        named[error.details["field"]] = error.message
    sections: dict[str, list[str]] = getattr(form, "section_errors", {})
    placed = False
    for name, message in named.items():
        if name in sections:
            sections[name].append(message)
        elif name in form._fields:
            target = form._fields[name]
            target.errors = [*target.errors, message]
        else:
            continue
        placed = True
    if not placed:
        form.form_errors.append(error.message)
