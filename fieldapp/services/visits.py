"""Logging visits: outcome, structured notes, orders taken and follow-ups opened, in one transaction.

`log_visit` is shared by the visit form and the offline sync API; a replayed submission (same
idempotency key) is stored once, even when two copies arrive at the same moment.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import func
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..errors import Forbidden, NotFound, StaleEdit, ValidationError
from ..models import (
    Customer,
    OrderLine,
    Product,
    Reception,
    Team,
    User,
    Visit,
    VisitOutcome,
    VisitStatus,
)
from . import audit, clock
from .customers import get_customer, get_customer_row
from .day.actions import record_visit_on_plan
from .followups import (
    FollowUpInput,
    check_owner,
    create_followup,
    open_followups_for_customer,
    parse_date,
    parse_optional_int,
)
from .prompts import PromptAnswer, save_answers
from .writing import begin_write

__all__ = [
    "FollowUpInput",
    "OrderInput",
    "VisitInput",
    "edit_visit",
    "get_visit",
    "log_visit",
    "open_followups_for_customer",
    "recent_visits",
]

NOTE_MAX = 4000
KEY_MAX = 64
MAX_QUANTITY = 99_999
MAX_PRICE = 100_000_000
MAX_ORDER_LINES = 50
MAX_FOLLOWUPS = 10
MAX_PROMPT_ANSWERS = 30
OUTCOMES = frozenset(o.value for o in VisitOutcome)
RECEPTIONS = frozenset(r.value for r in Reception)
NOTE_FIELDS = ("heard", "needs", "changes", "proposals", "next_action")
# What an edit of a note may change (orders and follow-ups have their own lifecycle).
EDITABLE_FIELDS = ("outcome", *NOTE_FIELDS, "proposal_reception", "next_action_due")
AUDIT_FIELDS = (
    "customer_id",
    "rep_id",
    "status",
    "check_in_at",
    "check_out_at",
    *EDITABLE_FIELDS,
)


@dataclass(frozen=True)
class OrderInput:
    """One product line taken at the visit; unit_price None means the product's list price."""

    product_id: int
    quantity: int
    unit_price: int | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> OrderInput:
        """Validate one order line given as plain data."""
        product_id = parse_optional_int(
            data.get("product_id"), message=_("Please choose a product."), field="orders"
        )
        if product_id is None or product_id <= 0:
            raise ValidationError(_("Please choose a product."), field="orders")
        quantity = parse_optional_int(
            data.get("quantity"), message=_("The quantity must be a whole number."), field="orders"
        )
        if quantity is None or not 1 <= quantity <= MAX_QUANTITY:
            raise ValidationError(
                _("The quantity must be between 1 and %(n)d.", n=MAX_QUANTITY), field="orders"
            )
        price = parse_optional_int(
            data.get("unit_price"),
            message=_("The price must be a whole number of yen."),
            field="orders",
        )
        if price is not None and not 0 <= price <= MAX_PRICE:
            raise ValidationError(_("The price must be a whole number of yen."), field="orders")
        return cls(product_id=product_id, quantity=quantity, unit_price=price)


@dataclass(frozen=True)
class VisitInput:
    """What a rep records about one visit (the form and the offline outbox both produce this)."""

    outcome: str
    heard: str | None = None
    needs: str | None = None
    changes: str | None = None
    proposals: str | None = None
    proposal_reception: str | None = None
    next_action: str | None = None
    next_action_due: date | None = None
    orders: tuple[OrderInput, ...] = ()
    followups: tuple[FollowUpInput, ...] = ()
    check_in_at: datetime | None = None
    check_out_at: datetime | None = None
    # what the rep did with each prompt shown on the form (proposed / ordered / declined / not now)
    prompts: tuple[PromptAnswer, ...] = ()

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> VisitInput:
        """Validate plain data (form or JSON); raises ValidationError with a message in the user's language."""
        outcome = str(data.get("outcome") or "").strip()
        if outcome not in OUTCOMES:
            raise ValidationError(_("Please choose the outcome of the visit."), field="outcome")
        notes: dict[str, str | None] = {}
        for name in NOTE_FIELDS:
            value = data.get(name)
            if value is not None and not isinstance(value, str):
                raise ValidationError(_("Please write the notes as text."), field=name)
            text = (value or "").strip()
            if len(text) > NOTE_MAX:
                raise ValidationError(
                    _("Each note can be at most %(n)d characters.", n=NOTE_MAX), field=name
                )
            notes[name] = text or None
        reception = str(data.get("proposal_reception") or "").strip() or None
        if reception is not None and reception not in RECEPTIONS:
            raise ValidationError(
                _("Unknown reception of the proposal."), field="proposal_reception"
            )
        due = parse_date(
            data.get("next_action_due"),
            message=_("Please enter the due date of the next action as a date."),
            field="next_action_due",
        )
        orders = _sequence(data.get("orders"), limit=MAX_ORDER_LINES, field="orders")
        followups = _sequence(data.get("followups"), limit=MAX_FOLLOWUPS, field="followups")
        check_in = _aware(data.get("check_in_at"), field="check_in_at")
        check_out = _aware(data.get("check_out_at"), field="check_out_at")
        if check_in and check_out and check_out < check_in:
            raise ValidationError(
                _("The visit cannot end before it started."), field="check_out_at"
            )
        return cls(
            outcome=outcome,
            proposal_reception=reception,
            next_action_due=due,
            orders=tuple(OrderInput.from_mapping(line) for line in orders),
            followups=tuple(_followup(item) for item in followups),
            prompts=_prompt_answers(data.get("prompts")),
            check_in_at=check_in,
            check_out_at=check_out,
            **notes,
        )


def _sequence(value: Any, *, limit: int, field: str) -> Sequence[Mapping[str, Any]]:
    if value is None or value == "":
        return ()
    if isinstance(value, str | bytes) or not isinstance(value, Sequence):
        raise ValidationError(_("The visit data is not in the expected form."), field=field)
    if len(value) > limit:
        raise ValidationError(_("Too many lines (at most %(n)d).", n=limit), field=field)
    for item in value:
        if not isinstance(item, Mapping):
            raise ValidationError(_("The visit data is not in the expected form."), field=field)
    return value


def _prompt_answers(value: Any) -> tuple[PromptAnswer, ...]:
    """Answers with an unknown kind or response are dropped: a prompt is advice, never a reason to refuse."""
    answers = []
    for item in _sequence(value, limit=MAX_PROMPT_ANSWERS, field="prompts"):
        answer = PromptAnswer.parse(
            str(item.get("key") or ""),
            str(item.get("response") or ""),
            str(item.get("value") or ""),
        )
        if answer is not None:
            answers.append(answer)
    return tuple(answers)


def _followup(data: Mapping[str, Any]) -> FollowUpInput:
    try:
        return FollowUpInput.from_mapping(data)
    except ValidationError as error:
        raise ValidationError(error.message, field="followups") from error


def _aware(value: Any, *, field: str) -> datetime | None:
    message = _("Please give the time with its timezone.")
    if value is None or value == "":
        return None
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError as exc:
            raise ValidationError(message, field=field) from exc
    if not isinstance(value, datetime) or value.tzinfo is None:
        raise ValidationError(message, field=field)
    return value


# --- reading ----------------------------------------------------------------------------------------


def get_visit(session: Session, *, actor: User, visit_id: int) -> Visit:
    """A visit at one of the actor's team's customers (404 otherwise)."""
    missing = _l("Visit not found.")
    return get_customer_row(session, actor=actor, model=Visit, row_id=visit_id, missing=missing)


def recent_visits(session: Session, *, customer_id: int, limit: int = 5) -> list[Visit]:
    """The customer's last recorded visits, newest first (the caller has checked the team)."""
    when = func.coalesce(Visit.check_in_at, Visit.check_out_at, Visit.created_at)
    stmt = (
        select(Visit)
        .where(Visit.customer_id == customer_id, Visit.status == VisitStatus.DONE)
        .order_by(when.desc(), Visit.id.desc())
        .limit(limit)
    )
    return list(session.exec(stmt))


@dataclass(frozen=True)
class NoteRow:
    """One visit note as its partial shows it: the visit, its author's name, its order lines, may edit."""

    visit: Visit
    author: str
    lines: list[tuple[OrderLine, Product]]
    can_edit: bool


def note_rows(session: Session, visits: Sequence[Visit], *, actor: User | None) -> list[NoteRow]:
    """The note rows for `visits` in two queries (authors, order lines); only the author may edit."""
    visit_ids = [v.id for v in visits]
    if not visit_ids:
        return []
    rep_ids = {v.rep_id for v in visits}
    authors = dict(session.exec(select(User.id, User.name).where(User.id.in_(rep_ids))).all())
    lines: dict[int, list[tuple[OrderLine, Product]]] = {}
    stmt = (
        select(OrderLine, Product)
        .join(Product, Product.id == OrderLine.product_id)
        .where(OrderLine.visit_id.in_(visit_ids))
        .order_by(OrderLine.id)
    )
    for line, product in session.exec(stmt):
        lines.setdefault(line.visit_id, []).append((line, product))
    return [
        NoteRow(
            visit=v,
            author=authors.get(v.rep_id, ""),
            lines=lines.get(v.id, []),
            can_edit=actor is not None and actor.id == v.rep_id,
        )
        for v in visits
    ]


def usual_products(session: Session, *, customer_id: int, limit: int = 8) -> list[Product]:
    """Products this customer orders most often (then most recently): offered first in the form."""
    stmt = (
        select(Product, func.count(OrderLine.id), func.max(OrderLine.ordered_on))
        .join(OrderLine, OrderLine.product_id == Product.id)
        .where(OrderLine.customer_id == customer_id, Product.active.is_(True))
        .group_by(Product.id)
        .order_by(func.count(OrderLine.id).desc(), func.max(OrderLine.ordered_on).desc())
        .limit(limit)
    )
    return [row[0] for row in session.exec(stmt).all()]


def catalog(session: Session) -> list[Product]:
    """Active products by category and name, for the product picker."""
    stmt = (
        select(Product)
        .where(Product.active.is_(True))
        .order_by(Product.category, Product.name, Product.id)
    )
    return list(session.exec(stmt))


def in_progress_visit(session: Session, *, actor: User, customer_id: int, visit_id: int) -> Visit:
    """The actor's open (checked-in or planned) visit at this customer, which the form completes."""
    visit = get_visit(session, actor=actor, visit_id=visit_id)
    if visit.customer_id != customer_id:
        raise NotFound(_("Visit not found."))
    if visit.rep_id != actor.id:
        raise Forbidden(_("Only the rep who checked in can complete this visit."))
    return visit


# --- writing ----------------------------------------------------------------------------------------


def by_idempotency_key(session: Session, key: str) -> Visit | None:
    """The visit stored under an offline submission key, read fresh from the database."""
    return session.exec(
        select(Visit).where(Visit.idempotency_key == key).execution_options(populate_existing=True)
    ).first()


def _replay(existing: Visit, *, actor: User) -> Visit:
    if existing.rep_id != actor.id:
        raise ValidationError(_("This submission belongs to someone else."))
    return existing


def log_visit(
    session: Session,
    *,
    actor: User,
    customer_id: int,
    data: VisitInput,
    now: datetime,
    idempotency_key: str | None = None,
    visit_id: int | None = None,
) -> Visit:
    """Record a visit (or complete a checked-in one) with its orders and follow-ups; replays are stored once."""
    customer = get_customer(session, actor=actor, customer_id=customer_id)
    key = (idempotency_key or "").strip() or None
    if key is not None and len(key) > KEY_MAX:
        raise ValidationError(_("The submission key is too long."))
    if key is not None and (existing := by_idempotency_key(session, key)) is not None:
        return _replay(existing, actor=actor)
    # Check everything that can be refused before writing anything.
    products = _products(session, data.orders)
    for item in data.followups:
        check_owner(session, actor=actor, owner_id=item.owner_id)
    begin_write(session)
    # Re-read the customer under the lock: concurrent visits there must not undo each other's dates.
    session.refresh(customer, with_for_update=True)
    if visit_id is None:
        try:
            with session.begin_nested():
                visit = Visit(customer_id=customer.id, rep_id=actor.id, created_at=now)
                _fill(session, visit, data=data, now=now, key=key)
        except IntegrityError:
            # A concurrent copy of this submission won the unique key: return what it stored.
            if key is None or (existing := by_idempotency_key(session, key)) is None:
                raise
            return _replay(existing, actor=actor)
        action = "create"
    else:
        visit = in_progress_visit(session, actor=actor, customer_id=customer.id, visit_id=visit_id)
        # Re-read under the write lock: the same check-in may be completed twice at once.
        session.refresh(visit, with_for_update=True)
        if visit.status == VisitStatus.DONE and key is not None and visit.idempotency_key == key:
            return visit
        if visit.status == VisitStatus.DONE:
            raise ValidationError(_("This visit has already been recorded."))
        if visit.status not in (VisitStatus.PLANNED, VisitStatus.IN_PROGRESS):
            raise ValidationError(_("This visit was skipped or cancelled."))
        visit.version += 1
        _fill(session, visit, data=data, now=now, key=key)
        action = "complete"
    team = session.get(Team, customer.team_id)
    visit_day = clock.local_today(team.timezone, visit.check_in_at or visit.check_out_at)
    order_rows = []
    for line in data.orders:
        product = products[line.product_id]
        row = OrderLine(
            customer_id=customer.id,
            product_id=product.id,
            visit_id=visit.id,
            ordered_on=visit_day,
            quantity=line.quantity,
            unit_price=product.unit_price if line.unit_price is None else line.unit_price,
            source="visit",
        )
        session.add(row)
        order_rows.append(row)
    session.flush()
    for item in data.followups:
        create_followup(
            session, actor=actor, customer_id=customer.id, data=item, now=now, visit_id=visit.id
        )
    after = audit.snapshot(visit, AUDIT_FIELDS)
    after["orders"] = [
        {"product_id": r.product_id, "quantity": r.quantity, "unit_price": r.unit_price}
        for r in order_rows
    ]
    after["followups"] = len(data.followups)
    audit.Trail(session, actor, customer.team_id).saved("visit", visit.id, None, after, action)
    _advance_due_date(session, actor=actor, customer=customer, visit_day=visit_day)
    save_answers(session, visit=visit, answers=data.prompts, day=visit_day)
    record_visit_on_plan(session, visit=visit, day=visit_day)
    return visit


def _products(session: Session, orders: Sequence[OrderInput]) -> dict[int, Product]:
    products: dict[int, Product] = {}
    for line in orders:
        product = session.get(Product, line.product_id)
        if product is None or not product.active:
            raise ValidationError(_("That product is not in the catalogue."), field="orders")
        products[product.id] = product
    return products


def _fill(
    session: Session, visit: Visit, *, data: VisitInput, now: datetime, key: str | None
) -> None:
    """Copy the input onto the visit and mark it done."""
    visit.status = VisitStatus.DONE
    visit.check_in_at = data.check_in_at or visit.check_in_at
    check_out = data.check_out_at or visit.check_out_at or now
    # A phone clock that ran ahead at check-in must not make the visit end before it began.
    if visit.check_in_at is not None and check_out < visit.check_in_at:
        check_out = visit.check_in_at
    visit.check_out_at = check_out
    for name in EDITABLE_FIELDS:
        setattr(visit, name, getattr(data, name))
    if key is not None:
        visit.idempotency_key = key
    visit.updated_at = now
    session.add(visit)
    session.flush()


def _advance_due_date(
    session: Session, *, actor: User, customer: Customer, visit_day: date
) -> None:
    """Last visit and next due date follow the newest visit (an older replayed one moves nothing)."""
    if customer.last_visit_on is not None and customer.last_visit_on > visit_day:
        return
    audited = ("last_visit_on", "next_due_on")
    before = audit.snapshot(customer, audited)
    customer.last_visit_on = visit_day
    customer.next_due_on = visit_day + timedelta(days=customer.cadence_days)
    audit.Trail(session, actor, customer.team_id).flushed("customer", customer, before, audited)


def edit_visit(
    session: Session,
    *,
    actor: User,
    visit_id: int,
    data: VisitInput,
    expected_version: int,
    now: datetime,
) -> Visit:
    """The author corrects their note; a stale version is refused (StaleEdit carries the saved visit)."""
    visit = get_visit(session, actor=actor, visit_id=visit_id)
    if visit.rep_id != actor.id:
        raise Forbidden(_("Only the rep who wrote this note can edit it."))
    if visit.version != expected_version:
        raise StaleEdit(
            _("Someone saved this note after you opened it. Compare both versions below."),
            current=visit,
        )
    before = audit.snapshot(visit, EDITABLE_FIELDS)
    for name in EDITABLE_FIELDS:
        setattr(visit, name, getattr(data, name))
    after = audit.snapshot(visit, EDITABLE_FIELDS)
    if after == before:
        return visit
    visit.version += 1
    visit.updated_at = now
    session.add(visit)
    session.flush()
    customer = session.get(Customer, visit.customer_id)
    audit.Trail(session, actor, customer.team_id).saved("visit", visit.id, before, after)
    return visit
