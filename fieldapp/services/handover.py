"""Handing customers over from one rep to another, without losing what was promised to them.

A handover moves, with each customer: its open follow-ups the previous rep owned, its future planned
visits and appointments of that rep, and its stops on that rep's day plans not yet started (onto the
new rep's plan of the same day when there is one, in time order; else the new rep's planning picks the
customer up). A note can travel with it, shown to the new rep on the customer page until dismissed.

`preview` says what would move; `commit` does it in the caller's transaction, audited row by row, and
refuses when anything changed since the preview (the fingerprint of the customers and what moves).
Managers only, and only within their own team: another team's customer does not exist here.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlmodel import Session, col, select

from ..errors import Forbidden, NotFound, StaleEdit, ValidationError
from ..models import (
    Customer,
    DayPlan,
    DayPlanStop,
    FollowUp,
    FollowUpState,
    HandoverNote,
    PlanStatus,
    User,
    Visit,
    VisitStatus,
)
from . import audit

MAX_CUSTOMERS = 2000
NOTE_MAX = 2000
# Plans whose day has not begun for the rep: their stops can still move.
NOT_STARTED = (PlanStatus.DRAFT, PlanStatus.ACCEPTED)


@dataclass
class MovingStop:
    stop: DayPlanStop
    plan: DayPlan
    target: DayPlan | None  # the new rep's plan that day, if any


@dataclass
class HandoverPlan:
    """What a handover would do (the preview) and what it did (after commit)."""

    to_rep: User
    customers: list[Customer]  # those that change rep
    unchanged: list[Customer]  # already the new rep's
    previous: dict[int, int | None]  # customer id → previous rep id
    followups: list[FollowUp] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    stops: list[MovingStop] = field(default_factory=list)
    names: dict[int, str] = field(default_factory=dict)  # member id → name

    @property
    def fingerprint(self) -> str:
        """Changes whenever a customer's rep or version, or the set of rows that move, changes."""
        parts = [f"to{self.to_rep.id}"]
        parts += [f"c{c.id}.{c.assigned_rep_id}.{c.version}" for c in self.customers]
        parts += [f"u{c.id}" for c in self.unchanged]
        parts += [f"f{f.id}" for f in self.followups]
        parts += [f"v{v.id}.{v.version}" for v in self.visits]
        parts += [f"s{m.stop.id}.{m.plan.version}" for m in self.stops]
        return hashlib.sha256("|".join(parts).encode()).hexdigest()[:32]

    def by_previous_rep(self) -> list[tuple[str, int]]:
        """(previous rep's name, customers) — who gives how many."""
        counts: dict[int | None, int] = {}
        for customer in self.customers:
            rep_id = self.previous[customer.id]
            counts[rep_id] = counts.get(rep_id, 0) + 1
        return [
            (self.names.get(rep_id, _("Nobody")) if rep_id else _("Nobody"), n)
            for rep_id, n in sorted(counts.items(), key=lambda item: -item[1])
        ]


def parse_ids(text: str | None) -> list[int]:
    """Customer ids from "1,2,3" (a selection on the map); bad pieces are ignored, order kept, no repeats."""
    ids: dict[int, None] = {}
    for piece in (text or "").replace(" ", ",").split(","):
        if piece.isdigit() and len(piece) < 12:
            ids[int(piece)] = None
    return list(ids)


def _require_manager(actor: User) -> None:
    if not actor.is_manager:
        raise Forbidden(_("Only a manager can hand customers over."))


def team_customers(session: Session, *, actor: User, customer_ids: Sequence[int]) -> list[Customer]:
    """The customers, all of the actor's team, else NotFound (another team's customer is not there)."""
    _require_manager(actor)
    if not customer_ids:
        raise ValidationError(_("Select at least one customer."), field="ids")
    if len(customer_ids) > MAX_CUSTOMERS:
        raise ValidationError(
            _("At most %(n)d customers can be handed over at once.", n=MAX_CUSTOMERS), field="ids"
        )
    rows = list(session.exec(select(Customer).where(col(Customer.id).in_(list(customer_ids)))))
    if len(rows) != len(set(customer_ids)) or any(c.team_id != actor.team_id for c in rows):
        raise NotFound(_("This customer does not exist."))
    order = {customer_id: i for i, customer_id in enumerate(customer_ids)}
    return sorted(rows, key=lambda c: order[c.id])


def _rep(session: Session, *, actor: User, rep_id: int | None) -> User:
    rep = session.get(User, rep_id) if rep_id else None
    if rep is None or rep.team_id != actor.team_id or not rep.active:
        raise ValidationError(_("Choose an active member of your team."), field="to_rep")
    return rep


def preview(
    session: Session,
    *,
    actor: User,
    customer_ids: Sequence[int],
    to_rep_id: int | None,
    today: date,
    now: datetime,
) -> HandoverPlan:
    """What would move if these customers went to that rep now (nothing is written)."""
    customers = team_customers(session, actor=actor, customer_ids=customer_ids)
    to_rep = _rep(session, actor=actor, rep_id=to_rep_id)
    moving = [c for c in customers if c.assigned_rep_id != to_rep.id]
    plan = HandoverPlan(
        to_rep=to_rep,
        customers=moving,
        unchanged=[c for c in customers if c.assigned_rep_id == to_rep.id],
        previous={c.id: c.assigned_rep_id for c in moving},
        names={
            u.id: u.name for u in session.exec(select(User).where(User.team_id == actor.team_id))
        },
    )
    pairs = {(c.id, c.assigned_rep_id) for c in moving if c.assigned_rep_id}
    ids = [c.id for c in moving if c.assigned_rep_id]
    if not ids:
        return plan
    plan.followups = [
        f
        for f in session.exec(
            select(FollowUp)
            .where(col(FollowUp.customer_id).in_(ids), FollowUp.state == FollowUpState.OPEN)
            .order_by(FollowUp.due_date, FollowUp.id)
        )
        if (f.customer_id, f.owner_id) in pairs
    ]
    plan.visits = [
        v
        for v in session.exec(
            select(Visit)
            .where(
                col(Visit.customer_id).in_(ids),
                Visit.status == VisitStatus.PLANNED,
                col(Visit.scheduled_start) >= now,
            )
            .order_by(Visit.scheduled_start, Visit.id)
        )
        if (v.customer_id, v.rep_id) in pairs
    ]
    rows = session.exec(
        select(DayPlanStop, DayPlan)
        .join(DayPlan, col(DayPlan.id) == DayPlanStop.day_plan_id)
        .where(
            col(DayPlanStop.customer_id).in_(ids),
            DayPlanStop.state == VisitStatus.PLANNED,
            col(DayPlan.plan_date) >= today,
            col(DayPlan.status).in_(NOT_STARTED),
        )
        .order_by(DayPlan.plan_date, DayPlanStop.position)
    ).all()
    rows = [(stop, day) for stop, day in rows if (stop.customer_id, day.rep_id) in pairs]
    days = {day.plan_date for _stop, day in rows}
    targets = (
        {
            p.plan_date: p
            for p in session.exec(
                select(DayPlan).where(
                    DayPlan.rep_id == to_rep.id,
                    col(DayPlan.plan_date).in_(days),
                    col(DayPlan.status).in_(NOT_STARTED),
                )
            )
        }
        if days
        else {}
    )
    plan.stops = [MovingStop(stop, day, targets.get(day.plan_date)) for stop, day in rows]
    return plan


def commit(
    session: Session,
    *,
    actor: User,
    customer_ids: Sequence[int],
    to_rep_id: int | None,
    note: str | None,
    fingerprint: str,
    today: date,
    now: datetime,
) -> HandoverPlan:
    """Do the handover the preview showed; StaleEdit (nothing written) if it would now do something else."""
    note = (note or "").strip() or None
    if note and len(note) > NOTE_MAX:
        raise ValidationError(_("At most %(n)d characters.", n=NOTE_MAX), field="note")
    plan = preview(
        session, actor=actor, customer_ids=customer_ids, to_rep_id=to_rep_id, today=today, now=now
    )
    if plan.fingerprint != fingerprint:
        raise StaleEdit(
            _("Something changed since the preview. Check the new preview before you confirm.")
        )
    if not plan.customers:
        raise ValidationError(_("These customers are already %(name)s's.", name=plan.to_rep.name))
    trail = audit.Trail(session, actor, actor.team_id)
    to_id = plan.to_rep.id
    for customer in plan.customers:
        before = {"assigned_rep_id": customer.assigned_rep_id}
        customer.assigned_rep_id = to_id
        customer.version += 1
        customer.updated_at = now
        session.add(customer)
        moved = {
            "assigned_rep_id": to_id,
            "followups": sum(f.customer_id == customer.id for f in plan.followups),
            "visits": sum(v.customer_id == customer.id for v in plan.visits),
            "stops": sum(m.stop.customer_id == customer.id for m in plan.stops),
        }
        if note:
            moved["note"] = note
        trail.saved("customer", customer.id, before, moved, action="handover")
        if note:
            session.add(
                HandoverNote(
                    customer_id=customer.id,
                    from_rep_id=plan.previous[customer.id],
                    to_rep_id=to_id,
                    body=note,
                    created_by_id=actor.id,
                    created_at=now,
                )
            )
    for followup in plan.followups:
        before = {"owner_id": followup.owner_id}
        followup.owner_id = to_id
        trail.flushed("followup", followup, before, ("owner_id",))
    for visit in plan.visits:
        before = {"rep_id": visit.rep_id}
        visit.rep_id = to_id
        visit.version += 1
        visit.updated_at = now
        trail.flushed("visit", visit, before, ("rep_id",))
    _move_stops(session, plan=plan, trail=trail)
    session.flush()
    return plan


def _move_stops(session: Session, *, plan: HandoverPlan, trail: audit.Trail) -> None:
    """Stops leave the old plans (renumbered); they join the new rep's plan of the day, in time order."""
    touched: dict[int, DayPlan] = {}
    for moving in plan.stops:
        stop, source = moving.stop, moving.plan
        before = {"day_plan_id": stop.day_plan_id, "rep_id": source.rep_id}
        touched[source.id] = source
        if moving.target is None:
            trail.saved(
                "day_plan_stop",
                stop.id,
                {**before, "customer_id": stop.customer_id},
                None,
                action="delete",
            )
            session.delete(stop)
        else:
            stop.day_plan_id = moving.target.id
            stop.position = 10_000 + stop.position  # placed in time order below
            touched[moving.target.id] = moving.target
            session.add(stop)
            trail.saved(
                "day_plan_stop",
                stop.id,
                before,
                {"day_plan_id": moving.target.id, "rep_id": moving.target.rep_id},
            )
    session.flush()
    for day_plan in touched.values():
        stops = list(
            session.exec(select(DayPlanStop).where(DayPlanStop.day_plan_id == day_plan.id))
        )
        stops.sort(key=lambda s: (s.start is None, s.start or datetime.min, s.position))
        for position, stop in enumerate(stops):
            stop.position = position
            session.add(stop)
        day_plan.version += 1
        session.add(day_plan)


# --- the note the new rep reads ------------------------------------------------------------------


def open_notes(session: Session, *, customer: Customer, user: User) -> list[HandoverNote]:
    """Undismissed handover notes of this customer addressed to the user, newest first."""
    return list(
        session.exec(
            select(HandoverNote)
            .where(
                HandoverNote.customer_id == customer.id,
                HandoverNote.to_rep_id == user.id,
                col(HandoverNote.dismissed_at).is_(None),
            )
            .order_by(col(HandoverNote.created_at).desc(), col(HandoverNote.id).desc())
        )
    )


def dismiss_note(session: Session, *, actor: User, note_id: int, now: datetime) -> HandoverNote:
    """The new rep has read the note: it is no longer shown (the audit keeps it)."""
    note = session.get(HandoverNote, note_id)
    customer = session.get(Customer, note.customer_id) if note else None
    if note is None or customer is None or customer.team_id != actor.team_id:
        raise NotFound(_("This note does not exist."))
    if note.to_rep_id != actor.id:
        raise Forbidden(_("Only the rep the note is for can dismiss it."))
    if note.dismissed_at is None:
        note.dismissed_at = now
        session.add(note)
        session.flush()
        audit.Trail(session, actor, customer.team_id).saved(
            "handover_note", note.id, {"dismissed_at": None}, {"dismissed_at": now.isoformat()}
        )
    return note
