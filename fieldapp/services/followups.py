"""Follow-ups: quotes, deliveries, trouble and proposals that a visit (or anyone) opens and someone closes."""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

from ..errors import Forbidden, ValidationError
from ..models import Customer, FollowUp, FollowUpKind, FollowUpState, User
from . import audit
from .customers import get_customer, get_customer_row

TITLE_MAX = 200
RESULT_MAX = 2000
KINDS = frozenset(k.value for k in FollowUpKind)
AUDIT_FIELDS = (
    "customer_id",
    "visit_id",
    "kind",
    "title",
    "owner_id",
    "due_date",
    "state",
    "result",
)


def _parse_plain(
    value: Any,
    *,
    own: type,
    refused: type,
    convert: Callable[[str], Any],
    message: str,
    field: str | None,
) -> Any:
    """None or "" → None; an `own` value as it is; a string through `convert`. `refused` is the subclass
    that would pass as `own` but is wrong (a datetime for a date, a bool for an int)."""
    if value is None or value == "":
        return None
    if isinstance(value, refused):
        raise ValidationError(message, field=field)
    if isinstance(value, own):
        return value
    if isinstance(value, str):
        try:
            return convert(value.strip())
        except ValueError:
            pass
    raise ValidationError(message, field=field)


def parse_date(value: Any, *, message: str, field: str | None = None) -> date | None:
    """A calendar date from a date or an ISO string ("" and None mean no date)."""
    return _parse_plain(
        value, own=date, refused=datetime, convert=date.fromisoformat, message=message, field=field
    )


def parse_optional_int(value: Any, *, message: str, field: str | None = None) -> int | None:
    """An integer from an int or a string of digits ("" and None mean none); bools are refused."""
    return _parse_plain(value, own=int, refused=bool, convert=int, message=message, field=field)


@dataclass(frozen=True)
class FollowUpInput:
    """A follow-up to open: kind, title, optional due date and owner (the creator when None)."""

    kind: str
    title: str
    due_date: date | None = None
    owner_id: int | None = None

    @classmethod
    def from_mapping(cls, data: Mapping[str, Any]) -> FollowUpInput:
        """Validate plain data (form or JSON); raises ValidationError in the user's language."""
        kind = str(data.get("kind") or FollowUpKind.OTHER).strip()
        if kind not in KINDS:
            raise ValidationError(_("Unknown kind of follow-up."), field="kind")
        title = str(data.get("title") or "").strip()
        if not title:
            raise ValidationError(_("Please enter what needs to be followed up."), field="title")
        if len(title) > TITLE_MAX:
            raise ValidationError(
                _("The follow-up title is too long (at most %(n)d characters).", n=TITLE_MAX),
                field="title",
            )
        due = parse_date(
            data.get("due_date"),
            message=_("Please enter the follow-up's due date as a date."),
            field="due_date",
        )
        owner_id = parse_optional_int(
            data.get("owner_id"), message=_("Unknown owner."), field="owner_id"
        )
        return cls(kind=kind, title=title, due_date=due, owner_id=owner_id)


def check_owner(session: Session, *, actor: User, owner_id: int | None) -> User:
    """The follow-up's owner: the actor by default, else an active member of the actor's team."""
    if owner_id is None or owner_id == actor.id:
        return actor
    owner = session.get(User, owner_id)
    if owner is None or owner.team_id != actor.team_id or not owner.active:
        raise ValidationError(_("Unknown owner."), field="owner_id")
    return owner


def create_followup(
    session: Session,
    *,
    actor: User,
    customer_id: int,
    data: FollowUpInput,
    now: datetime,
    visit_id: int | None = None,
) -> FollowUp:
    """Open a follow-up at a team customer; the owner defaults to the actor."""
    customer = get_customer(session, actor=actor, customer_id=customer_id)
    owner = check_owner(session, actor=actor, owner_id=data.owner_id)
    followup = FollowUp(
        customer_id=customer.id,
        visit_id=visit_id,
        kind=data.kind,
        title=data.title,
        owner_id=owner.id,
        due_date=data.due_date,
        state=FollowUpState.OPEN,
        created_by_id=actor.id,
        created_at=now,
    )
    audit.Trail(session, actor, customer.team_id).flushed("followup", followup, None, AUDIT_FIELDS)
    return followup


def may_close(user: User, followup: FollowUp, customer: Customer) -> bool:
    """The owner, the customer's assigned rep or a manager of the team may close a follow-up."""
    if customer.team_id != user.team_id:
        return False
    return user.is_manager or followup.owner_id == user.id or customer.assigned_rep_id == user.id


def get_followup(session: Session, *, actor: User, followup_id: int) -> FollowUp:
    """A follow-up of the actor's team (404 otherwise)."""
    missing = _l("Follow-up not found.")
    return get_customer_row(
        session, actor=actor, model=FollowUp, row_id=followup_id, missing=missing
    )


def close_followup(
    session: Session, *, actor: User, followup_id: int, result: str, now: datetime
) -> FollowUp:
    """Close an open follow-up with what came of it (the result text is required)."""
    followup = get_followup(session, actor=actor, followup_id=followup_id)
    customer = session.get(Customer, followup.customer_id)
    if not may_close(actor, followup, customer):
        raise Forbidden(
            _("Only the owner, the customer's rep or a manager can close this follow-up.")
        )
    if followup.state != FollowUpState.OPEN:
        raise ValidationError(_("This follow-up is already closed."))
    result = (result or "").strip()
    if not result:
        raise ValidationError(_("Please write the result before closing."), field="result")
    if len(result) > RESULT_MAX:
        raise ValidationError(
            _("The result is too long (at most %(n)d characters).", n=RESULT_MAX), field="result"
        )
    audited = ("state", "result")
    before = audit.snapshot(followup, audited)
    followup.state = FollowUpState.DONE
    followup.result = result
    followup.closed_at = now
    trail = audit.Trail(session, actor, customer.team_id)
    trail.flushed("followup", followup, before, audited, action="close")
    return followup


def _due_order() -> tuple[Any, ...]:
    # Earliest due first puts overdue ones on top; undated ones last, oldest first.
    return (FollowUp.due_date.is_(None), FollowUp.due_date, FollowUp.created_at, FollowUp.id)


def _team_followups(
    session: Session, *, team_id: int, where: Sequence[Any], order: Sequence[Any], limit: int
) -> list[FollowUp]:
    """Follow-ups at the team's customers that match `where`, in `order`."""
    stmt = (
        select(FollowUp)
        .join(Customer, Customer.id == FollowUp.customer_id)
        .where(Customer.team_id == team_id, *where)
        .order_by(*order)
        .limit(limit)
    )
    return list(session.exec(stmt))


def open_followups_for_user(session: Session, *, user: User, limit: int = 200) -> list[FollowUp]:
    """The user's open follow-ups in their team, overdue and due first."""
    where = (FollowUp.owner_id == user.id, FollowUp.state == FollowUpState.OPEN)
    return _team_followups(
        session, team_id=user.team_id, where=where, order=_due_order(), limit=limit
    )


def open_followups_for_team(session: Session, *, team_id: int, limit: int = 200) -> list[FollowUp]:
    """Every open follow-up in the team (shared accounts: anyone may see what is pending)."""
    where = (FollowUp.state == FollowUpState.OPEN,)
    return _team_followups(session, team_id=team_id, where=where, order=_due_order(), limit=limit)


def recently_closed_for_user(session: Session, *, user: User, limit: int = 10) -> list[FollowUp]:
    """The user's last closed follow-ups, newest first (so a wrong close is easy to spot)."""
    where = (FollowUp.owner_id == user.id, FollowUp.state != FollowUpState.OPEN)
    order = (FollowUp.closed_at.desc(), FollowUp.id.desc())
    return _team_followups(session, team_id=user.team_id, where=where, order=order, limit=limit)


def open_followups_for_customer(session: Session, *, customer_id: int) -> list[FollowUp]:
    """A customer's open follow-ups, overdue and due first (the caller has checked the team)."""
    stmt = (
        select(FollowUp)
        .where(FollowUp.customer_id == customer_id, FollowUp.state == FollowUpState.OPEN)
        .order_by(*_due_order())
    )
    return list(session.exec(stmt))


def followups_of_visit(session: Session, *, visit_id: int) -> list[FollowUp]:
    stmt = select(FollowUp).where(FollowUp.visit_id == visit_id).order_by(FollowUp.id)
    return list(session.exec(stmt))


def is_overdue(followup: FollowUp, today: date) -> bool:
    return (
        followup.state == FollowUpState.OPEN
        and followup.due_date is not None
        and followup.due_date < today
    )


@dataclass(frozen=True)
class ItemRow:
    """One follow-up as its list item shows it: customer, owner's name, due state and a close form if allowed."""

    followup: FollowUp
    customer: Customer
    owner: str
    overdue: bool
    due_today: bool
    close_form: Any = None


def item_rows(
    session: Session,
    items: Sequence[FollowUp],
    *,
    actor: User,
    today: date,
    close_form: Callable[[], Any] | None = None,
) -> list[ItemRow]:
    """The list rows for `items` in two queries; `close_form()` makes the form for each row `actor` may close."""
    customer_ids = {f.customer_id for f in items}
    owner_ids = {f.owner_id for f in items if f.owner_id is not None}
    customers = (
        {c.id: c for c in session.exec(select(Customer).where(Customer.id.in_(customer_ids)))}
        if customer_ids
        else {}
    )
    owners = (
        dict(session.exec(select(User.id, User.name).where(User.id.in_(owner_ids))).all())
        if owner_ids
        else {}
    )
    rows = []
    for followup in items:
        customer = customers[followup.customer_id]
        closable = followup.state == FollowUpState.OPEN and may_close(actor, followup, customer)
        rows.append(
            ItemRow(
                followup=followup,
                customer=customer,
                owner=owners.get(followup.owner_id, ""),
                overdue=is_overdue(followup, today),
                due_today=followup.state == FollowUpState.OPEN and followup.due_date == today,
                close_form=close_form() if closable and close_form is not None else None,
            )
        )
    return rows
