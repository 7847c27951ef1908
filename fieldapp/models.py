"""Every table of Field Companion, in one module (SQLModel), with the small enums the domain speaks.

Timestamps are stored timezone-aware in UTC (`UTCDateTime`); calendar dates (a plan's day, a due date) are
plain dates in the team's timezone. Choice fields are short strings checked in the service layer, so a new
choice is a code change rather than a database enum migration.
"""

from __future__ import annotations

import secrets
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator
from sqlmodel import Field, SQLModel

# The largest id an id column holds on every database (INTEGER: 32 bits on PostgreSQL, while SQLite's are
# 64): a larger one names no row, and a query with it would fail (PostgreSQL: "integer out of range";
# past 2**63 SQLite's driver too), so URLs and JSON refuse it first.
MAX_ID = 2**31 - 1


def utcnow() -> datetime:
    """Now, timezone-aware in UTC."""
    return datetime.now(UTC)


class UTCDateTime(TypeDecorator):
    """A datetime that is always timezone-aware UTC in Python, whatever the database keeps."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given; use timezone-aware datetimes")
        value = value.astimezone(UTC)
        # SQLite has no timezone type: keep naive UTC there so ordering and comparison stay textual-safe.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Any) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def utc_column(nullable: bool = True, **kwargs: Any) -> Any:
    """Field for a timezone-aware UTC timestamp."""
    return Field(default=None, sa_type=UTCDateTime, nullable=nullable, **kwargs)


def created_column() -> Any:
    return Field(default_factory=utcnow, sa_type=UTCDateTime, nullable=False)


# --- enums -----------------------------------------------------------------------------------------


class Role(StrEnum):
    REP = "rep"
    MANAGER = "manager"
    ADMIN = "admin"


class TravelMode(StrEnum):
    CAR = "car"
    BICYCLE = "bicycle"
    WALKING = "walking"
    TRANSIT = "transit"  # public transport: a slower door-to-door speed (walk, wait, ride)


class PlaceKind(StrEnum):
    """Where a rep's day starts or ends: the team's office, the rep's home, or a pin of their own."""

    OFFICE = "office"
    HOME = "home"
    PIN = "pin"


class CustomerStatus(StrEnum):
    ACTIVE = "active"
    AT_RISK = "at_risk"
    DORMANT = "dormant"
    LOST = "lost"


class Rank(StrEnum):
    A = "A"
    B = "B"
    C = "C"


class Segment(StrEnum):
    RESTAURANT = "restaurant"
    CLINIC = "clinic"
    SHOP = "shop"
    OFFICE = "office"
    FACTORY = "factory"


class LocationSource(StrEnum):
    GEOCODED = "geocoded"
    PINNED = "pinned"
    IMPORTED = "imported"
    DEVICE = "device"


class BusyKind(StrEnum):
    WEEKLY = "weekly"  # every given weekday, a time range (or the whole day: 定休日)
    DATES = "dates"  # a date range, whole day or a time range each day (年末繁忙, 棚卸し)


class VisitStatus(StrEnum):
    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    SKIPPED = "skipped"
    CANCELLED = "cancelled"


class SkipReason(StrEnum):
    """Why a rep skipped a planned stop (Visit.skip_reason)."""

    BUSY = "busy"
    ABSENT = "absent"  # nobody there
    CLOSED = "closed"
    OTHER = "other"


class VisitOutcome(StrEnum):
    MET = "met"
    NOT_AVAILABLE = "not_available"
    ORDER_TAKEN = "order_taken"
    PROPOSAL_MADE = "proposal_made"
    COMPLAINT_HANDLED = "complaint_handled"
    DELIVERY_CHECKED = "delivery_checked"
    OTHER = "other"


class Reception(StrEnum):
    POSITIVE = "positive"
    CONSIDERING = "considering"
    NEGATIVE = "negative"


class FollowUpKind(StrEnum):
    QUOTE = "quote"
    DELIVERY = "delivery"
    TROUBLE = "trouble"
    PROPOSAL = "proposal"
    OTHER = "other"


class FollowUpState(StrEnum):
    OPEN = "open"
    DONE = "done"
    CANCELLED = "cancelled"


class PlanStatus(StrEnum):
    DRAFT = "draft"
    ACCEPTED = "accepted"
    IN_PROGRESS = "in_progress"
    DONE = "done"


class ReportStatus(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    REVIEWED = "reviewed"


# --- organisation -----------------------------------------------------------------------------------


class Team(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    name: str = Field(max_length=120, unique=True)
    timezone: str = Field(default="Asia/Tokyo", max_length=64)
    # The team's office: where a rep's day starts and ends until they set a place of their own.
    office_label: str | None = Field(default=None, max_length=200)
    office_lat: float | None = None
    office_lon: float | None = None
    created_at: datetime = created_column()


class User(SQLModel, table=True):
    __tablename__ = "app_user"  # "user" is reserved in PostgreSQL

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    email: str = Field(max_length=254, unique=True)
    name: str = Field(max_length=120)
    role: str = Field(default=Role.REP, max_length=16)
    password_hash: str = Field(max_length=255)
    active: bool = Field(default=True)
    language: str | None = Field(default=None, max_length=8)
    # Where the day starts and ends (home or office) and the working hours, in minutes after midnight.
    start_label: str | None = Field(default=None, max_length=200)
    start_lat: float | None = None
    start_lon: float | None = None
    end_label: str | None = Field(default=None, max_length=200)
    end_lat: float | None = None
    end_lon: float | None = None
    work_start_min: int = Field(default=9 * 60)
    work_end_min: int = Field(default=18 * 60)
    lunch_minutes: int = Field(default=45)
    travel_mode: str = Field(default=TravelMode.CAR, max_length=16)
    # Planning settings (services/planning_settings.py); None means "the team's default".
    start_kind: str | None = Field(default=None, max_length=8)  # PlaceKind; pin = start_lat/lon
    end_kind: str | None = Field(default=None, max_length=8)  # None: back where the day started
    home_label: str | None = Field(default=None, max_length=200)
    home_lat: float | None = None
    home_lon: float | None = None
    working_weekdays: str | None = Field(default=None, max_length=7)  # "01234" = Monday to Friday
    lunch_earliest_min: int | None = None  # lunch may start from … (minutes after midnight)
    lunch_latest_min: int | None = None  # … and must have started by
    visits_per_day: int | None = None  # the usual number of visits (a soft cap)
    settings_version: int = Field(default=0)  # refuses a stale settings form
    # Secret in the calendar subscription URL; rotating it revokes old subscriptions.
    calendar_token: str | None = Field(default=None, max_length=64, unique=True)
    # Part of every session's id (get_id): raising it on logout, a password change or reset, or disabling
    # ends every session of this user, the remember-me cookie included.
    session_version: int = Field(default=1)
    # Set by a manager's reset: every page leads to the password form until the user picks their own.
    must_change_password: bool = Field(default=False)
    last_login_at: datetime | None = utc_column()
    created_at: datetime = created_column()

    @property
    def is_manager(self) -> bool:
        return self.role in (Role.MANAGER, Role.ADMIN)

    # Flask-Login protocol
    @property
    def is_active(self) -> bool:
        return self.active

    @property
    def is_authenticated(self) -> bool:
        return True

    @property
    def is_anonymous(self) -> bool:
        return False

    def get_id(self) -> str:
        # "id:version": a cookie made before the version was raised no longer loads a user.
        return f"{self.id}:{self.session_version}"


class RepAbsence(SQLModel, table=True):
    """A day a rep is away (sick, training): the cover page offers to plan their visits on teammates."""

    __table_args__ = (sa.UniqueConstraint("rep_id", "absent_on"),)

    id: int | None = Field(default=None, primary_key=True)
    rep_id: int = Field(foreign_key="app_user.id", index=True)
    absent_on: date
    note: str | None = Field(default=None, max_length=300)
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_column()
    # Set when a manager confirmed a cover plan for the day.
    covered_at: datetime | None = utc_column()


class ApiToken(SQLModel, table=True):
    """A personal API token: only its SHA-256 is kept (the token is shown once), read or read-write."""

    __tablename__ = "api_token"

    id: int | None = Field(default=None, primary_key=True)
    user_id: int = Field(foreign_key="app_user.id", index=True)
    name: str = Field(max_length=80)
    # The first characters, shown on Me so the user can tell tokens apart; not enough to use one.
    prefix: str = Field(max_length=16)
    token_hash: str = Field(max_length=64, unique=True)
    scope: str = Field(default="read", max_length=16)  # read / read-write
    created_at: datetime = created_column()
    last_used_at: datetime | None = utc_column()
    revoked_at: datetime | None = utc_column()


# --- customers -------------------------------------------------------------------------------------


class Customer(SQLModel, table=True):
    __table_args__ = (
        sa.UniqueConstraint("team_id", "external_code"),
        # The customer list's order (a page is read from the index, not sorted), and "near me"'s
        # bounding box as an index range; with the id (SQLite's rowid is in every index) "near me" with
        # words reads the team's locations from the index alone.
        sa.Index("ix_customer_team_kana", "team_id", "kana", "name", "id"),
        sa.Index("ix_customer_team_lat", "team_id", "lat", "lon", postgresql_include=["id"]),
        # The managers' lists by rank and overdue (with "not visited for N days" and the status read
        # from the index too on PostgreSQL): migration 0015.
        sa.Index(
            "ix_customer_team_rank_due",
            "team_id",
            "rank",
            "next_due_on",
            postgresql_include=["last_visit_on", "status", "id"],
        ),
    )

    name: str = Field(max_length=200)
    kana: str | None = Field(default=None, max_length=200)
    postal_code: str | None = Field(default=None, max_length=16)
    address: str | None = Field(default=None, max_length=300)
    phone: str | None = Field(default=None, max_length=32)
    segment: str = Field(default=Segment.SHOP, max_length=32)
    rank: str = Field(default=Rank.B, max_length=1)
    cadence_days: int = Field(default=14)
    visit_minutes: int = Field(default=20)
    status: str = Field(default=CustomerStatus.ACTIVE, max_length=16)
    tags: str | None = Field(default=None, max_length=300)
    notes: str | None = None
    # The fields above were a base class once; they stay first so the table's columns keep their order.
    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    external_code: str | None = Field(default=None, max_length=64)
    assigned_rep_id: int | None = Field(default=None, foreign_key="app_user.id", index=True)
    lat: float | None = None
    lon: float | None = None
    location_source: str | None = Field(default=None, max_length=16)
    needs_location: bool = Field(default=False)
    # Kept up to date when a visit is logged or the cadence changes, so "overdue" is one indexed filter.
    last_visit_on: date | None = None
    next_due_on: date | None = Field(default=None, index=True)
    # Normalised text for search: kana folded to one form, digits and hyphens half-width.
    search_text: str | None = None
    version: int = Field(default=1)
    created_at: datetime = created_column()
    updated_at: datetime = created_column()
    # New whenever anything its prompts are drawn from changes (services/prompts.py): the cache key of
    # its prompts. Random, not a counter, so a customer recreated under the same id never matches.
    insights_token: str = Field(
        default_factory=lambda: new_insights_token(),
        max_length=16,
        sa_column_kwargs={"default": lambda: new_insights_token()},
    )


def new_insights_token() -> str:
    return secrets.token_hex(8)


class CustomerSearchDoc(SQLModel, table=True):
    """Every searchable word of one customer in one row: its record, visit notes, follow-ups, contacts.

    Written only by database triggers (fieldapp/search_index.py) from the `search_text` columns, and
    indexed by the database's full-text index; the team-wide search asks it one question per query.
    """

    __tablename__ = "searchdoc"

    # The customer's id (no foreign key: the trigger that deletes a customer removes its row).
    customer_id: int = Field(primary_key=True, sa_column_kwargs={"autoincrement": False})
    # Indexed by fieldapp/search_index.py (SQLite: a btree; PostgreSQL: inside the trigram indexes).
    team_id: int
    # SQLite: every word of the document. PostgreSQL: its distinct words but the two-character ones,
    # which are in `pairs` (search_index explains why).
    body: str = Field(default="")
    pairs: str | None = None  # PostgreSQL only (SQLite leaves it empty)


class HandoverNote(SQLModel, table=True):
    """What the previous rep (or the manager) wants the new rep to know; shown on the customer page until
    the new rep dismisses it."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    from_rep_id: int | None = Field(default=None, foreign_key="app_user.id")
    to_rep_id: int = Field(foreign_key="app_user.id", index=True)
    body: str
    created_by_id: int = Field(foreign_key="app_user.id")
    created_at: datetime = created_column()
    dismissed_at: datetime | None = utc_column()


class Contact(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    name: str = Field(max_length=120)
    kana: str | None = Field(default=None, max_length=120)
    role: str | None = Field(default=None, max_length=120)
    phone: str | None = Field(default=None, max_length=32)
    email: str | None = Field(default=None, max_length=254)
    birthday: date | None = None
    hobbies: str | None = Field(default=None, max_length=300)
    personal_notes: str | None = None
    is_primary: bool = Field(default=False)
    # Normalised words for the team-wide search (filled by fieldapp.search_index on every write).
    search_text: str | None = None
    created_at: datetime = created_column()


class BusyPeriod(SQLModel, table=True):
    """When not to visit: weekly ranges (lunch rush), closed weekdays, date ranges (year-end)."""

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    kind: str = Field(default=BusyKind.WEEKLY, max_length=16)
    # Weekdays as a string of digits, Monday=0 ("01234" = weekdays); only for weekly periods.
    weekdays: str | None = Field(default=None, max_length=7)
    start_date: date | None = None
    end_date: date | None = None
    # Minutes after local midnight; both None means the whole day.
    start_min: int | None = None
    end_min: int | None = None
    label: str | None = Field(default=None, max_length=120)


class Product(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    code: str = Field(max_length=64, unique=True)
    name: str = Field(max_length=200)
    name_en: str | None = Field(default=None, max_length=200)
    # Reading in katakana, so a search for 「ぺーぱー」 finds 「ペーパータオル」.
    kana: str | None = Field(default=None, max_length=200)
    category: str = Field(max_length=64)
    unit: str | None = Field(default=None, max_length=16)  # 箱, 本, kg …
    unit_price: int = Field(default=0)  # yen
    # Units in one case: an order reaching it is a pack-size step up (an upsell signal).
    pack_of: int | None = None
    reorder_cycle_days: int | None = None
    # The older product this one supersedes: its buyers are prompted to move to this one.
    replaces_id: int | None = Field(default=None, foreign_key="product.id")
    # Months (1-12, comma separated) in which the product sells; empty means all year.
    season_months: str | None = Field(default=None, max_length=40)
    tags: str | None = Field(default=None, max_length=200)
    active: bool = Field(default=True)


# --- visits and follow-ups -----------------------------------------------------------------------


class Visit(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    rep_id: int = Field(foreign_key="app_user.id", index=True)
    status: str = Field(default=VisitStatus.DONE, max_length=16)
    # A fixed appointment (アポ) the planner must keep.
    is_appointment: bool = Field(default=False)
    scheduled_start: datetime | None = utc_column()
    check_in_at: datetime | None = utc_column()
    check_in_lat: float | None = None
    check_in_lon: float | None = None
    check_out_at: datetime | None = utc_column()
    check_out_lat: float | None = None
    check_out_lon: float | None = None
    outcome: str | None = Field(default=None, max_length=32)
    heard: str | None = None
    needs: str | None = None
    changes: str | None = None
    proposals: str | None = None
    proposal_reception: str | None = Field(default=None, max_length=16)
    next_action: str | None = None
    next_action_due: date | None = None
    skip_reason: str | None = Field(default=None, max_length=32)
    prompts_acted: str | None = Field(default=None, max_length=300)
    # Normalised words of the note for the team-wide search (filled by fieldapp.search_index).
    search_text: str | None = None
    # Offline outbox key: the same replayed submission is stored once.
    idempotency_key: str | None = Field(default=None, max_length=64, unique=True)
    version: int = Field(default=1)
    created_at: datetime = created_column()
    updated_at: datetime = created_column()


class PromptFeedback(SQLModel, table=True):
    """What the rep did with one prompt at one visit: proposed, ordered, declined or not now.

    Keeps the prompt's kind and product so a declined prompt stays quiet and managers see acceptance.
    """

    __table_args__ = (sa.UniqueConstraint("visit_id", "kind", "product_id", "code"),)

    id: int | None = Field(default=None, primary_key=True)
    visit_id: int = Field(foreign_key="visit.id", index=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    rep_id: int = Field(foreign_key="app_user.id", index=True)
    kind: str = Field(max_length=16)
    code: str = Field(max_length=32)
    product_id: int | None = Field(default=None, foreign_key="product.id")
    response: str = Field(max_length=16)
    value_yen: int = Field(default=0)
    answered_on: date
    created_at: datetime = created_column()


class FollowUp(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    kind: str = Field(default=FollowUpKind.OTHER, max_length=16)
    title: str = Field(max_length=200)
    owner_id: int = Field(foreign_key="app_user.id", index=True)
    due_date: date | None = None
    state: str = Field(default=FollowUpState.OPEN, max_length=16)
    result: str | None = None
    created_by_id: int | None = Field(default=None, foreign_key="app_user.id")
    created_at: datetime = created_column()
    closed_at: datetime | None = utc_column()
    # Normalised words for the team-wide search (filled by fieldapp.search_index).
    search_text: str | None = None


class OrderLine(SQLModel, table=True):
    # A customer's order days read from the index alone (the order rhythm behind "at risk"), and the
    # prompt engine's reads (services/prompts.py): a customer's order days per product.
    __table_args__ = (
        sa.Index("ix_orderline_customer_ordered", "customer_id", "ordered_on"),
        sa.Index(
            "ix_orderline_customer_product_day",
            "customer_id",
            "product_id",
            "ordered_on",
            "quantity",
            "unit_price",
        ),
    )

    id: int | None = Field(default=None, primary_key=True)
    customer_id: int = Field(foreign_key="customer.id", index=True)
    product_id: int = Field(foreign_key="product.id", index=True)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    ordered_on: date = Field(index=True)
    quantity: int = Field(default=1)
    unit_price: int = Field(default=0)
    source: str = Field(default="visit", max_length=16)  # visit / imported / demo
    external_ref: str | None = Field(default=None, max_length=64)


# --- plans and reports ---------------------------------------------------------------------------


class DayPlan(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("rep_id", "plan_date"),)

    id: int | None = Field(default=None, primary_key=True)
    rep_id: int = Field(foreign_key="app_user.id", index=True)
    plan_date: date
    status: str = Field(default=PlanStatus.DRAFT, max_length=16)
    generated_at: datetime | None = utc_column()
    solver_status: str | None = Field(default=None, max_length=32)
    total_value: float = Field(default=0)
    travel_seconds: int = Field(default=0)
    lunch_start: datetime | None = utc_column()
    return_at: datetime | None = utc_column()
    warnings: str | None = None  # JSON list of {"code", "customer_id", facts…}
    version: int = Field(default=1)


class DayPlanStop(SQLModel, table=True):
    id: int | None = Field(default=None, primary_key=True)
    day_plan_id: int = Field(foreign_key="dayplan.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    position: int
    arrival: datetime | None = utc_column()
    start: datetime | None = utc_column()
    end: datetime | None = utc_column()
    value: float = Field(default=0)
    reasons: str | None = None  # JSON list of reason codes with parameters
    is_appointment: bool = Field(default=False)
    visit_id: int | None = Field(default=None, foreign_key="visit.id")
    state: str = Field(default=VisitStatus.PLANNED, max_length=16)


class DayPlanDrop(SQLModel, table=True):
    """A candidate the planner left out, with the reason a rep understands."""

    id: int | None = Field(default=None, primary_key=True)
    day_plan_id: int = Field(foreign_key="dayplan.id", index=True)
    customer_id: int = Field(foreign_key="customer.id")
    value: float = Field(default=0)
    reason_code: str = Field(max_length=32)
    reason_detail: str | None = None  # JSON facts for the code, e.g. {"busy_until": 64800}


class WeekDraft(SQLModel, table=True):
    """A rep's planned week between "Plan my week" and "Accept the week": the days' routes, moved and
    left-out customers and the rep's pins as JSON (written into DayPlans when accepted)."""

    __table_args__ = (sa.UniqueConstraint("rep_id", "start_date"),)

    id: int | None = Field(default=None, primary_key=True)
    rep_id: int = Field(foreign_key="app_user.id", index=True)
    start_date: date
    body: str = Field(default="{}")  # JSON: see services/day/week.py
    generated_at: datetime | None = utc_column()
    accepted_at: datetime | None = utc_column()
    version: int = Field(default=1)


class DailyReport(SQLModel, table=True):
    __table_args__ = (sa.UniqueConstraint("rep_id", "report_date"),)

    id: int | None = Field(default=None, primary_key=True)
    rep_id: int = Field(foreign_key="app_user.id", index=True)
    report_date: date
    status: str = Field(default=ReportStatus.DRAFT, max_length=16)
    body: str | None = None
    summary: str | None = None  # JSON: figures drafted from the day
    submitted_at: datetime | None = utc_column()
    version: int = Field(default=1)
    created_at: datetime = created_column()
    reviewed_at: datetime | None = utc_column()
    reviewed_by_id: int | None = Field(default=None, foreign_key="app_user.id")


class ReportComment(SQLModel, table=True):
    """上長コメント: a manager's comment on a report; the rep sees a badge on *Me* until they read it."""

    id: int | None = Field(default=None, primary_key=True)
    report_id: int = Field(foreign_key="dailyreport.id", index=True)
    author_id: int = Field(foreign_key="app_user.id")
    body: str
    created_at: datetime = created_column()
    updated_at: datetime | None = utc_column()
    # When the report's rep first saw the comment (or its latest edit); None shows the badge.
    read_at: datetime | None = utc_column()
    version: int = Field(default=1)


class PlanRun(SQLModel, table=True):
    """One run of `fieldapp plans generate`: who started it, for which day, and how every rep came out."""

    id: int | None = Field(default=None, primary_key=True)
    started_at: datetime = created_column()
    finished_at: datetime | None = utc_column()
    started_by: str = Field(max_length=120)
    plan_date: date
    mode: str = Field(default="process", max_length=16)  # process (this machine) or queue (RQ)
    workers: int = Field(default=1)
    team_ids: str = Field(default="[]")  # JSON list: the teams whose reps were planned
    reps: int = Field(default=0)
    planned: int = Field(default=0)
    kept: int = Field(default=0)
    failed: int = Field(default=0)
    visits: int = Field(default=0)
    dropped: int = Field(default=0)
    wall_seconds: float | None = None
    rep_seconds_median: float | None = None
    rep_seconds_p95: float | None = None
    rep_seconds_max: float | None = None
    kept_reasons: str | None = None  # JSON {reason code: count}
    failures: str | None = None  # JSON list of {rep_id, email, team_id, reason}


# --- cross-cutting -------------------------------------------------------------------------------


class AuditEvent(SQLModel, table=True):
    """Who changed what, when, before and after; written in the same transaction as the change."""

    id: int | None = Field(default=None, primary_key=True)
    team_id: int = Field(foreign_key="team.id", index=True)
    actor_id: int | None = Field(default=None, foreign_key="app_user.id")
    entity: str = Field(max_length=32)
    entity_id: int
    action: str = Field(max_length=16)
    before: str | None = None  # JSON
    after: str | None = None  # JSON
    at: datetime = created_column()

    __table_args__ = (sa.Index("ix_auditevent_entity", "entity", "entity_id"),)


class GeocodeCache(SQLModel, table=True):
    """Geocoder answers by normalised address, so one address is asked once."""

    query: str = Field(primary_key=True, max_length=300)
    lat: float | None = None
    lon: float | None = None
    found: bool = Field(default=False)
    fetched_at: datetime = created_column()
