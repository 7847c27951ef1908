"""Customer records: who may read and edit one, edits with optimistic locking, location fixes, and the
change history of the customer with its contacts and busy periods. Every change writes an audit event."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any, TypeVar

from flask_babel import gettext as _
from flask_babel.speaklater import LazyString
from sqlalchemy import func, or_, update
from sqlmodel import Session, SQLModel, col, select

from ..errors import Forbidden, NotFound, StaleEdit, ValidationError
from ..models import (
    MAX_ID,
    AuditEvent,
    BusyPeriod,
    Contact,
    Customer,
    CustomerStatus,
    LocationSource,
    Rank,
    Segment,
    User,
)
from . import audit, busy, geocoding
from .text import NOTES_MAX, customer_search_text, normalise_digits, normalise_search

# Fields a user edits on the customer form (assigned_rep_id only by managers).
EDIT_FIELDS = (
    "name",
    "kana",
    "postal_code",
    "address",
    "phone",
    "segment",
    "rank",
    "cadence_days",
    "visit_minutes",
    "status",
    "tags",
    "notes",
    "assigned_rep_id",
)
# Columns the audit trail keeps for a customer: what users see, not bookkeeping (version, search_text).
AUDIT_FIELDS = EDIT_FIELDS + (
    "lat",
    "lon",
    "location_source",
    "needs_location",
    "next_due_on",
)
# A table whose rows belong to a customer (they have customer_id).
RowT = TypeVar("RowT", bound=SQLModel)
# Entities of the audit trail that belong to a customer page's history.
ENTITY_CUSTOMER, ENTITY_CONTACT, ENTITY_BUSY = "customer", "contact", "busy_period"


# --- access --------------------------------------------------------------------------------------


def get_customer(session: Session, *, actor: User, customer_id: int) -> Customer:
    """A customer of the actor's team; another team's customer does not exist (NotFound)."""
    customer = session.get(Customer, customer_id)
    if customer is None or customer.team_id != actor.team_id:
        raise NotFound(_("This customer does not exist."))
    return customer


def get_customer_row(
    session: Session, *, actor: User, model: type[RowT], row_id: int, missing: LazyString
) -> RowT:
    """A row that belongs to a customer of the actor's team (a visit, a follow-up); else NotFound(missing)."""
    row = session.get(model, row_id)
    if row is None:
        raise NotFound(str(missing))
    get_customer(session, actor=actor, customer_id=row.customer_id)
    return row


def can_edit(user: User, customer: Customer) -> bool:
    """The assigned rep and the team's managers edit customer data; everyone in the team reads it."""
    if user.team_id != customer.team_id:
        return False
    return user.is_manager or customer.assigned_rep_id == user.id


def require_edit(user: User, customer: Customer) -> None:
    if not can_edit(user, customer):
        raise Forbidden(
            _("Only the assigned rep or a manager can change this customer. You can still read it.")
        )


def search_text_for(customer: Customer) -> str:
    """The pre-normalised text the customer search runs over."""
    return customer_search_text(
        customer.name,
        customer.kana,
        customer.phone,
        customer.address,
        customer.postal_code,
        (customer.tags or "").replace(",", " ").replace("、", " "),
    )


def team_reps(session: Session, *, team_id: int) -> list[User]:
    """Active members who can be assigned customers."""
    stmt = (
        select(User)
        .where(User.team_id == team_id, User.active == True)  # noqa: E712
        .order_by(User.name, User.id)
    )
    return list(session.exec(stmt))


def member_names(session: Session, *, team_id: int) -> dict[int, str]:
    """Names of the team's members, former ones too (history shows who was assigned)."""
    return {u.id: u.name for u in session.exec(select(User).where(User.team_id == team_id))}


# --- validation ----------------------------------------------------------------------------------


def blank_to_none(value: Any) -> Any:
    """A stripped string, None for an empty one; other values as they are."""
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _as_int(value: Any, field_name: str, message: str, errors: dict[str, str]) -> int | None:
    if value is None or value == "":
        errors[field_name] = message
        return None
    try:
        return int(value)
    except (TypeError, ValueError):
        errors[field_name] = message
        return None


def phone_ok(phone: str) -> bool:
    """Digits and phone punctuation, at most 20 characters."""
    return len(phone) <= 20 and all(c.isdigit() or c in "-+()" for c in phone)


def clean_customer_fields(
    session: Session, *, team_id: int, data: Mapping[str, Any]
) -> dict[str, Any]:
    """Check and normalise submitted customer fields; raises ValidationError(errors={field: message})."""
    errors: dict[str, str] = {}
    values: dict[str, Any] = {}
    for key in EDIT_FIELDS:
        if key in data:
            values[key] = blank_to_none(data[key])
    if "name" in values:
        if not values["name"]:
            errors["name"] = _("Enter the customer's name.")
        elif len(values["name"]) > 200:
            errors["name"] = _("The name can be at most %(n)d characters.", n=200)
    if "tags" in values and values["tags"]:
        tags = [t.strip() for t in values["tags"].replace("、", ",").split(",") if t.strip()]
        values["tags"] = ", ".join(dict.fromkeys(tags)) or None
    for key, limit in (("kana", 200), ("address", 300), ("tags", 300), ("notes", NOTES_MAX)):
        if values.get(key) and len(values[key]) > limit:
            errors[key] = _("At most %(n)d characters.", n=limit)
    for key in ("phone", "postal_code"):
        if key in values:
            values[key] = normalise_digits(values[key])
    if values.get("phone") and not phone_ok(values["phone"]):
        errors["phone"] = _("Enter a phone number with digits and hyphens, e.g. 03-1234-5678.")
    if values.get("postal_code") and len(values["postal_code"]) > 16:
        errors["postal_code"] = _("At most %(n)d characters.", n=16)
    if "rank" in values and values["rank"] not in {r.value for r in Rank}:
        errors["rank"] = _("Rank must be A, B or C.")
    if "segment" in values and values["segment"] not in {s.value for s in Segment}:
        errors["segment"] = _("Choose a segment from the list.")
    if "status" in values and values["status"] not in {s.value for s in CustomerStatus}:
        errors["status"] = _("Choose a status from the list.")
    for key, low, high, message in (
        ("cadence_days", 1, 365, _("Visit cadence must be between 1 and 365 days.")),
        ("visit_minutes", 5, 240, _("Visit length must be between 5 and 240 minutes.")),
    ):
        if key in values:
            number = _as_int(values[key], key, message, errors)
            if number is not None and not low <= number <= high:
                errors[key] = message
            values[key] = number
    if values.get("assigned_rep_id") is not None:
        try:
            rep_id = int(values["assigned_rep_id"])
        except (TypeError, ValueError):
            rep_id = None
        rep = session.get(User, rep_id) if rep_id is not None and 0 < rep_id <= MAX_ID else None
        if rep is None or rep.team_id != team_id:
            errors["assigned_rep_id"] = _("Choose a member of your team.")
        else:
            values["assigned_rep_id"] = rep.id
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    return values


def clean_location(lat: Any, lon: Any) -> tuple[float, float]:
    """Coordinates in range; raises ValidationError(errors=...)."""
    errors: dict[str, str] = {}
    values: list[float] = []
    for key, value, limit in (("lat", lat, 90.0), ("lon", lon, 180.0)):
        try:
            number = float(value)
        except (TypeError, ValueError):
            number = float("nan")
        if not -limit <= number <= limit:  # also false for NaN
            errors[key] = (
                _("Latitude must be a number between -90 and 90.")
                if key == "lat"
                else _("Longitude must be a number between -180 and 180.")
            )
        values.append(number)
    if errors:
        raise ValidationError(next(iter(errors.values())), errors=errors)
    return values[0], values[1]


# --- editing the customer ------------------------------------------------------------------------


def _snapshot(customer: Customer) -> dict[str, Any]:
    return audit.snapshot(customer, AUDIT_FIELDS)


def _locate(session: Session, customer: Customer, config: Mapping[str, Any] | None) -> None:
    """Geocode the new address (never raises; on failure the customer is marked "needs location")."""
    geocoding.locate_customer(session, customer=customer, config=config or {})


def _stale(session: Session, customer: Customer, submitted: Mapping[str, Any]) -> StaleEdit:
    session.refresh(customer)
    return StaleEdit(
        _("Someone else saved this customer after you opened it. Nothing of yours was saved."),
        submitted=dict(submitted),
        current=audit.snapshot(customer, EDIT_FIELDS + ("lat", "lon")),
        current_version=customer.version,
    )


def _write_versioned(
    session: Session,
    *,
    customer: Customer,
    version: int,
    values: Mapping[str, Any],
    submitted: Mapping[str, Any],
    now: datetime,
) -> None:
    """UPDATE … WHERE id=? AND version=?: of two concurrent saves of one version only one wins."""
    result = session.execute(
        update(Customer)
        .where(col(Customer.id) == customer.id, col(Customer.version) == version)
        .values(**values, version=Customer.version + 1, updated_at=now)
        .execution_options(synchronize_session=False)
    )
    if result.rowcount != 1:
        raise _stale(session, customer, submitted)
    session.refresh(customer)


def update_customer(
    session: Session,
    *,
    actor: User,
    customer: Customer,
    version: int,
    data: Mapping[str, Any],
    now: datetime,
    config: Mapping[str, Any] | None = None,
    allow_duplicates: bool = True,
) -> Customer:
    """Save edited fields if nobody saved since `version` was loaded (else StaleEdit, nothing written).

    With allow_duplicates=False a new phone, name or address that another customer of the team already
    has is refused (DuplicateCustomer) until the user confirms it."""
    require_edit(actor, customer)
    data = dict(data)
    if not actor.is_manager:
        data.pop("assigned_rep_id", None)  # reassigning is a manager's decision
    values = clean_customer_fields(session, team_id=customer.team_id, data=data)
    if version != customer.version:
        raise _stale(session, customer, data)
    if all(getattr(customer, key) == value for key, value in values.items()):
        return customer  # nothing changed: no new version, so nobody else's form goes stale
    identity = ("name", "phone", "address")
    if not allow_duplicates and any(
        key in values and values[key] != getattr(customer, key) for key in identity
    ):
        merged = {key: values.get(key, getattr(customer, key)) for key in identity}
        duplicates = find_duplicates(
            session, team_id=customer.team_id, exclude_id=customer.id, **merged
        )
        if duplicates:
            raise DuplicateCustomer(
                _(
                    "Another customer has the same phone, or the same name and address: %(names)s. "
                    "Tick the box to save anyway.",
                    names="、".join(d.name for d in duplicates),
                ),
                duplicates=duplicates,
                field="allow_duplicate",
            )
    before = _snapshot(customer)
    address_changed = "address" in values and values["address"] != customer.address
    probe = Customer.model_validate({**customer.model_dump(), **values})
    values["search_text"] = search_text_for(probe)
    cadence = values.get("cadence_days", customer.cadence_days)
    if customer.last_visit_on is not None and cadence != customer.cadence_days:
        values["next_due_on"] = customer.last_visit_on + timedelta(days=cadence)
    _write_versioned(
        session, customer=customer, version=version, values=values, submitted=data, now=now
    )
    hand_placed = customer.location_source in (LocationSource.PINNED, LocationSource.DEVICE)
    if address_changed and not hand_placed:
        _locate(session, customer, config)
        session.flush()
    audit.Trail(session, actor, customer.team_id).saved(
        ENTITY_CUSTOMER, customer.id, before, _snapshot(customer)
    )
    return customer


def set_location(
    session: Session,
    *,
    actor: User,
    customer: Customer,
    version: int,
    lat: Any,
    lon: Any,
    source: str,
    now: datetime,
) -> Customer:
    """Fix the customer's position by hand (pinned) or from the phone at the door (device)."""
    require_edit(actor, customer)
    if source not in (LocationSource.PINNED, LocationSource.DEVICE):
        source = LocationSource.PINNED
    lat_value, lon_value = clean_location(lat, lon)
    submitted = {"lat": lat_value, "lon": lon_value}
    if version != customer.version:
        raise _stale(session, customer, submitted)
    before = _snapshot(customer)
    _write_versioned(
        session,
        customer=customer,
        version=version,
        values={
            "lat": lat_value,
            "lon": lon_value,
            "location_source": source,
            "needs_location": False,
        },
        submitted=submitted,
        now=now,
    )
    trail = audit.Trail(session, actor, customer.team_id)
    trail.saved(ENTITY_CUSTOMER, customer.id, before, _snapshot(customer), action="location")
    return customer


# --- change history ------------------------------------------------------------------------------


@dataclass
class Change:
    field: str
    before: Any
    after: Any


@dataclass
class HistoryEntry:
    event: AuditEvent
    actor_name: str | None
    entity: str
    subject: str | None  # which contact or busy period, in words
    changes: list[Change]


def _loads(text: str | None) -> dict[str, Any]:
    return json.loads(text) if text else {}


def _deleted_child_ids(session: Session, *, customer: Customer, entity: str) -> set[int]:
    """Ids of contacts/busy periods of this customer that were deleted (their rows are gone)."""
    stmt = select(AuditEvent).where(
        AuditEvent.team_id == customer.team_id,
        AuditEvent.entity == entity,
        AuditEvent.action == "delete",
    )
    return {
        event.entity_id
        for event in session.exec(stmt)
        if _loads(event.before).get("customer_id") == customer.id
    }


def history(
    session: Session, *, customer: Customer, lang: str = "ja", limit: int = 100
) -> list[HistoryEntry]:
    """The customer's audit events and its contacts' and busy periods', newest first, readable."""
    # Read here rather than through contacts/busy_periods, which build on this module.
    contact_names = dict(
        session.exec(
            select(Contact.id, Contact.name).where(Contact.customer_id == customer.id)
        ).all()
    )
    contact_ids = set(contact_names)
    contact_ids |= _deleted_child_ids(session, customer=customer, entity=ENTITY_CONTACT)
    busy_rows = {
        p.id: p
        for p in session.exec(select(BusyPeriod).where(BusyPeriod.customer_id == customer.id))
    }
    busy_ids = set(busy_rows)
    busy_ids |= _deleted_child_ids(session, customer=customer, entity=ENTITY_BUSY)
    conditions = (AuditEvent.entity == ENTITY_CUSTOMER) & (AuditEvent.entity_id == customer.id)
    if contact_ids:
        conditions |= (AuditEvent.entity == ENTITY_CONTACT) & col(AuditEvent.entity_id).in_(
            contact_ids
        )
    if busy_ids:
        conditions |= (AuditEvent.entity == ENTITY_BUSY) & col(AuditEvent.entity_id).in_(busy_ids)
    events = list(
        session.exec(
            select(AuditEvent)
            .where(AuditEvent.team_id == customer.team_id, conditions)
            .order_by(col(AuditEvent.at).desc(), col(AuditEvent.id).desc())
            .limit(limit)
        )
    )
    actor_ids = {e.actor_id for e in events if e.actor_id}
    actors = (
        {u.id: u.name for u in session.exec(select(User).where(col(User.id).in_(actor_ids)))}
        if actor_ids
        else {}
    )
    # Names of children for events that changed other fields (the name is only kept when it changed).
    names: dict[tuple[str, int], str] = {}
    for event in reversed(events):
        snap = _loads(event.after) or _loads(event.before)
        if event.entity == ENTITY_CONTACT and snap.get("name"):
            names[(event.entity, event.entity_id)] = snap["name"]
    for contact_id, name in contact_names.items():
        names.setdefault((ENTITY_CONTACT, contact_id), name)
    entries = []
    for event in events:
        before, after = _loads(event.before), _loads(event.after)
        keys = [k for k in (after or before) if k not in ("id", "customer_id")]
        subject = None
        if event.entity == ENTITY_CONTACT:
            subject = names.get((event.entity, event.entity_id))
        elif event.entity == ENTITY_BUSY:
            full = after if event.action != "delete" else before
            if "kind" in full:
                subject = busy.describe(_BusyView(full), lang)
            elif event.entity_id in busy_rows:
                subject = busy.describe(busy_rows[event.entity_id], lang)
        if event.entity == ENTITY_BUSY and event.action in ("create", "delete"):
            changes: list[Change] = []
        else:
            changes = [Change(k, before.get(k), after.get(k)) for k in keys]
        entries.append(
            HistoryEntry(
                event=event,
                actor_name=actors.get(event.actor_id) if event.actor_id else None,
                entity=event.entity,
                subject=subject,
                changes=changes,
            )
        )
    return entries


class _BusyView:
    """A busy-period snapshot (JSON) shaped like the row, for describing it in plain words."""

    def __init__(self, data: Mapping[str, Any]) -> None:
        self.kind = data.get("kind") or "weekly"
        self.weekdays = data.get("weekdays")
        self.start_date = date.fromisoformat(data["start_date"]) if data.get("start_date") else None
        self.end_date = date.fromisoformat(data["end_date"]) if data.get("end_date") else None
        self.start_min = data.get("start_min")
        self.end_min = data.get("end_min")
        self.label = data.get("label")


# --- creating a customer -------------------------------------------------------------------------


class DuplicateCustomer(ValidationError):
    """Someone in the team already has this phone, or this name at this address; `duplicates` lists them."""


def _digits(phone: str | None) -> str:
    return "".join(c for c in (phone or "") if c.isdigit())


def _same_place(a: str | None, b: str | None) -> bool:
    def fold(text: str | None) -> str:
        return "".join(normalise_search(text or "").split()).replace("-", "")

    return bool(fold(a)) and fold(a) == fold(b)


def find_duplicates(
    session: Session,
    *,
    team_id: int,
    name: str | None,
    phone: str | None,
    address: str | None,
    exclude_id: int | None = None,
) -> list[Customer]:
    """The team's customers with the same phone number (digits compared), or the same name at the same
    address (compared in their normalised form)."""
    digits = _digits(phone)
    folded_name = normalise_search(name or "").strip()
    alternatives = []
    if len(digits) >= 6:
        alternatives.append(func.replace(col(Customer.phone), "-", "") == digits)
    if folded_name:  # the name is in the search text: a cheap first cut, compared exactly below
        alternatives.append(
            func.instr(col(Customer.search_text), folded_name) > 0
            if session.get_bind().dialect.name == "sqlite"
            else col(Customer.search_text).contains(folded_name, autoescape=True)
        )
    if not alternatives:
        return []
    stmt = select(Customer).where(Customer.team_id == team_id, or_(*alternatives)).limit(200)
    found = []
    for other in session.exec(stmt):
        if other.id == exclude_id:
            continue
        same_phone = len(digits) >= 6 and _digits(other.phone) == digits
        same_name = normalise_search(other.name).strip() == folded_name
        if same_phone or (same_name and _same_place(other.address, address)):
            found.append(other)
    return found[:10]


def create_customer(
    session: Session,
    *,
    actor: User,
    data: Mapping[str, Any],
    lat: Any = None,
    lon: Any = None,
    allow_duplicates: bool = False,
    now: datetime,
    config: Mapping[str, Any] | None = None,
) -> Customer:
    """A new customer of the actor's team: pinned where the user put it, else geocoded from the address
    (marked "needs location" when that fails or no geocoder is set). A rep's new customer is their own.
    DuplicateCustomer (nothing written) when it looks like one the team has, unless allowed."""
    data = dict(data)
    if not actor.is_manager:
        data["assigned_rep_id"] = actor.id
    data.setdefault("name", "")
    values = clean_customer_fields(session, team_id=actor.team_id, data=data)
    pinned = None
    if blank_to_none(lat) is not None or blank_to_none(lon) is not None:
        pinned = clean_location(lat, lon)
    if not allow_duplicates:
        duplicates = find_duplicates(
            session,
            team_id=actor.team_id,
            name=values.get("name"),
            phone=values.get("phone"),
            address=values.get("address"),
        )
        if duplicates:
            raise DuplicateCustomer(
                _("This customer may already exist. Check the list, or create it anyway."),
                duplicates=duplicates,
            )
    customer = Customer(team_id=actor.team_id, created_at=now, updated_at=now)
    for key, value in values.items():
        if value is not None:
            setattr(customer, key, value)
    customer.search_text = search_text_for(customer)
    if pinned is not None:
        customer.lat, customer.lon = pinned
        customer.location_source = LocationSource.PINNED
    session.add(customer)
    session.flush()
    if pinned is None:
        if customer.address:
            _locate(session, customer, config)
        else:
            customer.needs_location = True
        session.flush()
    audit.Trail(session, actor, customer.team_id).saved(
        ENTITY_CUSTOMER, customer.id, None, _snapshot(customer)
    )
    return customer
