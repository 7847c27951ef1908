"""A customer's contacts: add, change (noticing someone else's save), remove, and birthdays coming up."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from datetime import date
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import update
from sqlmodel import Session, col, select

from .. import search_index
from ..errors import NotFound, StaleEdit, ValidationError
from ..models import Contact, Customer, User
from . import audit, clock
from .customers import ENTITY_CONTACT, blank_to_none, phone_ok, require_edit
from .text import NOTES_MAX, email_ok, normalise_digits

CONTACT_FIELDS = (
    "name",
    "kana",
    "role",
    "phone",
    "email",
    "birthday",
    "hobbies",
    "personal_notes",
    "is_primary",
)
BIRTHDAY_SOON_DAYS = 14
EARLIEST_BIRTHDAY = date(1900, 1, 1)


def get_contact(session: Session, *, customer: Customer, contact_id: int) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.customer_id != customer.id:
        raise NotFound(_("This contact does not exist."))
    return contact


def list_contacts(session: Session, *, customer_id: int) -> list[Contact]:
    stmt = (
        select(Contact)
        .where(Contact.customer_id == customer_id)
        .order_by(col(Contact.is_primary).desc(), Contact.name, Contact.id)
    )
    return list(session.exec(stmt))


def clean_contact_fields(data: Mapping[str, Any]) -> dict[str, Any]:
    """Check and normalise contact fields; raises ValidationError(errors=...)."""
    errors: dict[str, str] = {}
    values = {key: blank_to_none(data.get(key)) for key in CONTACT_FIELDS}
    values["is_primary"] = bool(values["is_primary"])
    if not values["name"]:
        errors["name"] = _("Enter the contact's name.")
    limits = (("name", 120), ("kana", 120), ("role", 120), ("hobbies", 300))
    for key, limit in (*limits, ("personal_notes", NOTES_MAX)):
        if values[key] and len(values[key]) > limit:
            errors[key] = _("At most %(n)d characters.", n=limit)
    values["phone"] = normalise_digits(values["phone"])
    if values["phone"] and not phone_ok(values["phone"]):
        errors["phone"] = _("Enter a phone number with digits and hyphens, e.g. 03-1234-5678.")
    if values["email"] and not email_ok(values["email"]):
        errors["email"] = _("Please enter a valid email address.")
    birthday = values["birthday"]
    if birthday is not None and not isinstance(birthday, date):
        errors["birthday"] = _("Enter a date.")
    elif birthday is not None and not EARLIEST_BIRTHDAY <= birthday <= clock.now_utc().date():
        errors["birthday"] = _("Enter a birthday between 1900 and today.")
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    return values


def contact_fingerprint(contact: Contact) -> str:
    """A short digest of the contact's fields; the edit form carries it to notice someone else's save."""
    text = json.dumps(audit.snapshot(contact, CONTACT_FIELDS), sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _stale_contact(session: Session, contact: Contact, submitted: Mapping[str, Any]) -> StaleEdit:
    session.refresh(contact)
    return StaleEdit(
        _("Someone else saved this contact after you opened it. Nothing of yours was saved."),
        submitted=dict(submitted),
        current=audit.snapshot(contact, CONTACT_FIELDS),
        current_version=contact_fingerprint(contact),
    )


def _contact_snapshot(contact: Contact) -> dict[str, Any]:
    return audit.snapshot(contact, ("id", "customer_id") + CONTACT_FIELDS)


def save_contact(
    session: Session,
    *,
    actor: User,
    customer: Customer,
    data: Mapping[str, Any],
    contact: Contact | None = None,
    loaded: str | None = None,
) -> Contact:
    """Add a contact (contact=None) or change one; one primary contact per customer.

    `loaded` is the contact_fingerprint() the edit form was opened with, required for a change: if it is
    missing or the contact changed since, StaleEdit is raised and nothing is written.
    """
    require_edit(actor, customer)
    values = clean_contact_fields(data)
    before = _contact_snapshot(contact) if contact is not None else None
    if contact is None:
        contact = Contact(customer_id=customer.id, **values)
        session.add(contact)
    else:
        # A missing fingerprint counts as stale, never as "no check" (as VersionField does for versions).
        if not loaded or loaded != contact_fingerprint(contact):
            raise _stale_contact(session, contact, values)
        # Compare-and-swap on the values just checked: a save in between makes the UPDATE match nothing.
        unchanged = [
            col(getattr(Contact, key)) == value
            if value is not None
            else col(getattr(Contact, key)).is_(None)
            for key, value in ((k, getattr(contact, k)) for k in CONTACT_FIELDS)
        ]
        result = session.execute(
            update(Contact)
            .where(col(Contact.id) == contact.id, *unchanged)
            .values(**values, search_text=search_index.text_for(Contact, values))
            .execution_options(synchronize_session=False)
        )
        if result.rowcount != 1:
            raise _stale_contact(session, contact, values)
        session.refresh(contact)
    session.flush()
    trail = audit.Trail(session, actor, customer.team_id)
    if values["is_primary"]:
        for other in list_contacts(session, customer_id=customer.id):
            if other.id != contact.id and other.is_primary:
                other_before = _contact_snapshot(other)
                other.is_primary = False
                session.flush()
                trail.saved(ENTITY_CONTACT, other.id, other_before, _contact_snapshot(other))
    trail.saved(ENTITY_CONTACT, contact.id, before, _contact_snapshot(contact))
    return contact


def delete_contact(session: Session, *, actor: User, customer: Customer, contact: Contact) -> None:
    """Remove a contact; the audit event keeps what it was."""
    require_edit(actor, customer)
    audit.Trail(session, actor, customer.team_id).deleted(
        ENTITY_CONTACT, contact, _contact_snapshot(contact)
    )


def birthday_soon(birthday: date | None, today: date, days: int = BIRTHDAY_SOON_DAYS) -> int | None:
    """Days until the next birthday if it is within `days` (0 = today), else None."""
    if birthday is None:
        return None
    for year in (today.year, today.year + 1):
        try:
            next_day = birthday.replace(year=year)
        except ValueError:  # 29 February in a common year: celebrate on the 28th
            next_day = date(year, 2, 28)
        if next_day >= today:
            delta = (next_day - today).days
            return delta if delta <= days else None
    return None


def birthdays_by_customer(
    session: Session, customer_ids: list[int], today: date
) -> dict[int, tuple[str, int]]:
    """The soonest contact birthday (name, days until) of each customer that has one coming up."""
    if not customer_ids:
        return {}
    soonest: dict[int, tuple[str, int]] = {}
    rows = session.exec(
        select(Contact).where(Contact.customer_id.in_(customer_ids), Contact.birthday.is_not(None))
    )
    for contact in rows:
        days = birthday_soon(contact.birthday, today)
        if days is None:
            continue
        known = soonest.get(contact.customer_id)
        if known is None or days < known[1]:
            soonest[contact.customer_id] = (contact.name, days)
    return soonest
