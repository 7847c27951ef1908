"""Form pieces every area shares: the one-button form, the version an edit started from, and a service's
refusal placed on the fields it names."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from flask import flash, redirect
from flask.typing import ResponseReturnValue
from flask_login import current_user
from flask_wtf import FlaskForm
from markupsafe import Markup, escape
from wtforms import Form, HiddenField, RadioField, StringField
from wtforms.widgets import HiddenInput, Input, RadioInput, TextInput
from wtforms.widgets.core import clean_key

from .db import commit_with_retries, get_session
from .errors import StaleEdit, ValidationError

T = TypeVar("T")

# Stored versions start at 1 (a new plan at 0), so this one never matches: the save is refused as stale.
STALE_VERSION = -1


class EmptyForm(FlaskForm):
    """A one-button POST (logout, enable/disable): just the CSRF token."""


def html_attributes(**kwargs: Any) -> Markup:
    """WTForms' `html_params`, the same output (keys sorted and cleaned, True bare, False left out, values
    escaped), joined as plain strings: WTForms formats every attribute through `Markup.format`, about
    15 µs each, and the visit form draws some two hundred."""
    parts = []
    for key, value in sorted(kwargs.items()):
        key = clean_key(key)
        if value is True:
            parts.append(key)
        elif value is not False:
            # as WTForms does: a Markup value keeps its markup, but not a bare quote
            value = escape(value).replace(Markup('"'), Markup("&quot;"))
            parts.append(f'{escape(key)}="{value}"')
    return Markup(" ".join(parts))


class QuickTextInput(TextInput):
    """A text input drawn with `html_attributes` (Input's `html_params` is WTForms' hook for this)."""

    html_params = staticmethod(html_attributes)


class QuickHiddenInput(HiddenInput):
    html_params = staticmethod(html_attributes)


class QuickRadioInput(RadioInput):
    html_params = staticmethod(html_attributes)


class QuickStringField(StringField):
    """A StringField for forms drawn many times a minute (the visit form)."""

    widget = QuickTextInput()


class QuickHiddenField(HiddenField):
    widget = QuickHiddenInput()


class QuickRadioField(RadioField):
    """Radio chips drawn with `html_attributes`."""

    option_widget = QuickRadioInput()


class PerButtonHidden(Input):
    """A hidden input that `hidden_tag()` leaves out: each button on a page renders it with its own value.

    The same input with the same attributes is rendered once per form and reused: the Today page draws
    it on every button of every stop, and each WTForms render costs about 50 µs.
    """

    input_type = "hidden"
    validation_attrs = HiddenInput.validation_attrs

    def __call__(self, field: Any, **kwargs: Any) -> Markup:
        rendered = field.__dict__.setdefault("_rendered_per_button", {})
        key = (field._value(), tuple(sorted((k, str(v)) for k, v in kwargs.items())))
        if key not in rendered:
            rendered[key] = super().__call__(field, **kwargs)
        return rendered[key]


class ButtonsForm(FlaskForm):
    """A form whose hidden tag (the CSRF token) is drawn on many buttons of one page: rendered once."""

    def hidden_tag(self, *fields: Any) -> Markup:
        if fields:
            return super().hidden_tag(*fields)
        if "_hidden_tag" not in self.__dict__:
            self.__dict__["_hidden_tag"] = super().hidden_tag()
        return self.__dict__["_hidden_tag"]


class VersionField(HiddenField):
    """The version the screen showed; a missing or garbled one counts as stale, never as "no check"."""

    widget = QuickHiddenInput()

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


def field_values(
    form: Form, *, only: tuple[str, ...] = (), skip: tuple[str, ...] = ()
) -> dict[str, Any]:
    """The submitted data by field name (the named fields, or all but the skipped), for a service."""
    names = only or tuple(name for name in form._fields if name not in skip)
    return {name: form._fields[name].data for name in names}


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


def save_form(
    form: FlaskForm,
    service: Callable[..., T],
    *,
    done: str,
    back: Callable[[T], str],
    conflict: Callable[[StaleEdit], ResponseReturnValue] | None = None,
    parse: Callable[[], dict[str, Any]] | None = None,
    done_category: str = "info",
    **args: Any,
) -> ResponseReturnValue | None:
    """A valid form page's POST: run the service, commit, say `done` and go `back` to where it leads.

    The call is `service(session, actor=<signed-in user>, **args, **parse())`: `parse` turns the form's
    input into the service's types, and its refusals go on the form like the service's own. None means
    "show the form again". A stale edit goes to `conflict` after the rollback (each page shows both
    versions its own way). `done_category` places the message (`info@stop-<id>`: in that stop's card).
    """
    session = get_session()
    try:
        # A busy or briefly missing database: the whole save runs again (see commit_with_retries).
        result = commit_with_retries(
            session,
            lambda: service(session, actor=current_user, **args, **(parse() if parse else {})),
        )
    except ValidationError as error:
        session.rollback()
        apply_error(form, error)
        return None
    except StaleEdit as error:
        if conflict is None:
            raise
        session.rollback()
        return conflict(error)
    flash(done, done_category)
    return redirect(back(result))
