"""The shapes /api/v1 reads and writes (pydantic): each is both the validator and the OpenAPI schema.

Output models read the database rows (`from_attributes`), so a response is exactly what its schema says.
Input models check shape only (types, lengths, ranges the database can hold); the services still apply
the domain's rules and answer in the user's language, as they do for the forms.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

# Id columns are INTEGER (32-bit in PostgreSQL): a larger number cannot name a row, and PostgreSQL
# refuses to even compare it, so it is a 422 here rather than a database error.
MAX_ID = 2**31 - 1
Id = Annotated[int, Field(ge=1, le=MAX_ID)]
Version = Annotated[int, Field(ge=0, le=2**31 - 1, description="the version the client read")]
Text = Annotated[str, Field(max_length=4000)]
Short = Annotated[str, Field(max_length=300)]


class Out(BaseModel):
    model_config = ConfigDict(from_attributes=True)


class In(BaseModel):
    model_config = ConfigDict(extra="forbid")


T = TypeVar("T")


class Page(Out, Generic[T]):
    """One page of a list; pass next_cursor back as ?cursor= for the next (null: this was the last)."""

    items: list[T]
    next_cursor: str | None


class Error(Out):
    """Every error: the message in the user's language, the status, and the fields it is about."""

    error: str
    status: int
    field: str | None = None
    errors: dict[str, str] | None = None
    current_version: int | None = None


# --- customers ----------------------------------------------------------------------------------


class ContactOut(Out):
    id: int
    customer_id: int
    name: str
    kana: str | None
    role: str | None
    phone: str | None
    email: str | None
    birthday: date | None
    hobbies: str | None
    personal_notes: str | None
    is_primary: bool


class BusyPeriodOut(Out):
    id: int
    customer_id: int
    kind: str
    weekdays: str | None = Field(description="weekly periods: digits, Monday=0")
    start_date: date | None
    end_date: date | None
    start_min: int | None = Field(description="minutes after local midnight; null: whole day")
    end_min: int | None
    label: str | None


class CustomerOut(Out):
    id: int
    name: str
    kana: str | None
    external_code: str | None
    postal_code: str | None
    address: str | None
    phone: str | None
    segment: str
    rank: str
    status: str
    cadence_days: int
    visit_minutes: int
    tags: str | None
    notes: str | None
    assigned_rep_id: int | None
    lat: float | None
    lon: float | None
    needs_location: bool
    last_visit_on: date | None
    next_due_on: date | None
    version: int
    updated_at: datetime


class CustomerDetailOut(CustomerOut):
    contacts: list[ContactOut]
    busy_periods: list[BusyPeriodOut]


class CustomerPatch(In):
    """Fields to change (others are kept) and the version read: a newer save answers 409."""

    version: Version
    name: Annotated[str, Field(max_length=200)] | None = None
    kana: Annotated[str, Field(max_length=200)] | None = None
    postal_code: Annotated[str, Field(max_length=16)] | None = None
    address: Short | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None
    segment: str | None = None
    rank: str | None = None
    status: str | None = None
    cadence_days: Annotated[int, Field(ge=1, le=365)] | None = None
    visit_minutes: Annotated[int, Field(ge=5, le=240)] | None = None
    tags: Short | None = None
    notes: Text | None = None
    assigned_rep_id: Id | None = None


class ContactIn(In):
    name: Annotated[str, Field(max_length=120)]
    kana: Annotated[str, Field(max_length=120)] | None = None
    role: Annotated[str, Field(max_length=120)] | None = None
    phone: Annotated[str, Field(max_length=32)] | None = None
    email: Annotated[str, Field(max_length=254)] | None = None
    birthday: date | None = None
    hobbies: Short | None = None
    personal_notes: Text | None = None
    is_primary: bool = False


# --- visits, follow-ups, orders, products -------------------------------------------------------


class VisitOut(Out):
    id: int
    customer_id: int
    rep_id: int
    status: str
    is_appointment: bool
    scheduled_start: datetime | None
    check_in_at: datetime | None
    check_out_at: datetime | None
    outcome: str | None
    heard: str | None
    needs: str | None
    changes: str | None
    proposals: str | None
    proposal_reception: str | None
    next_action: str | None
    next_action_due: date | None
    skip_reason: str | None
    version: int
    created_at: datetime
    updated_at: datetime


class OrderIn(In):
    product_id: Id
    quantity: Annotated[int, Field(ge=1, le=99_999)]
    unit_price: Annotated[int, Field(ge=0, le=100_000_000)] | None = None


class FollowUpIn(In):
    kind: Literal["quote", "delivery", "trouble", "proposal", "other"] = "other"
    title: Annotated[str, Field(min_length=1, max_length=200)]
    due_date: date | None = None
    owner_id: Id | None = Field(default=None, description="a member of the team; default: you")


class VisitNote(In):
    """What the visit form records (the same rules: an outcome, notes of at most 4000 characters)."""

    outcome: Literal[
        "met",
        "not_available",
        "order_taken",
        "proposal_made",
        "complaint_handled",
        "delivery_checked",
        "other",
    ]
    heard: Text | None = None
    needs: Text | None = None
    changes: Text | None = None
    proposals: Text | None = None
    proposal_reception: Literal["positive", "considering", "negative"] | None = None
    next_action: Text | None = None
    next_action_due: date | None = None


class VisitIn(VisitNote):
    orders: Annotated[list[OrderIn], Field(max_length=50)] = []
    followups: Annotated[list[FollowUpIn], Field(max_length=10)] = []
    check_in_at: datetime | None = None
    check_out_at: datetime | None = None
    key: Annotated[str, Field(max_length=64)] | None = Field(
        default=None, description="idempotency key: the same key stores the visit once"
    )


class VisitPatch(VisitNote):
    """The author corrects the note: all note fields are replaced; a newer save answers 409."""

    version: Version


class FollowUpOut(Out):
    id: int
    customer_id: int
    visit_id: int | None
    kind: str
    title: str
    owner_id: int
    due_date: date | None
    state: str
    result: str | None
    created_at: datetime
    closed_at: datetime | None


class FollowUpClose(In):
    result: Annotated[str, Field(min_length=1, max_length=2000)]


class OrderLineOut(Out):
    id: int
    customer_id: int
    product_id: int
    visit_id: int | None
    ordered_on: date
    quantity: int
    unit_price: int
    source: str


class ProductOut(Out):
    id: int
    code: str
    name: str
    name_en: str | None
    kana: str | None
    category: str
    unit: str | None
    unit_price: int
    pack_of: int | None
    active: bool


# --- day plans and the offline sync -------------------------------------------------------------


class StopOut(Out):
    id: int
    position: int
    customer_id: int
    arrival: datetime | None
    start: datetime | None
    end: datetime | None
    state: str
    visit_id: int | None
    is_appointment: bool


class DayPlanOut(Out):
    id: int
    rep_id: int
    plan_date: date
    status: str
    version: int
    generated_at: datetime | None
    return_at: datetime | None
    stops: list[StopOut]


class StopEventIn(In):
    """A check-in or check-out as the phone recorded it (kept once however often it is sent)."""

    stop_id: Id
    at: datetime = Field(description="when it happened, with its timezone")
    lat: float | None = Field(default=None, ge=-90, le=90)
    lon: float | None = Field(default=None, ge=-180, le=180)


class SyncVisitIn(In):
    """An offline visit log: the visit form's name/value pairs, stored once per key."""

    key: Annotated[str, Field(min_length=1, max_length=64)]
    customer_id: Id
    stop_id: Id | None = None
    visit_id: Id | None = None
    at: datetime
    form: Annotated[
        list[Annotated[list[Short], Field(min_length=2, max_length=2)]], Field(max_length=200)
    ]


class SyncOut(Out):
    ok: bool
    replayed: bool
    visit_id: int
    status: str
