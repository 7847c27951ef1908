"""Cover an absent rep: their due visits and appointments of the day(s) planned across chosen teammates.

One several-reps plan per day (the planner's shared-pool mode, through `planning`): each teammate's own
stops ride only with them — required when already on their plan, so what they had stays; a teammate with no
plan yet brings their own due customers as optional visits — and the absent rep's visits go to whoever fits
them best. The preview says who takes what and why the rest stays undone; confirming writes exactly the
previewed order (re-timed) into the teammates' plans, moves the absent rep's appointments to the teammate
who takes them, empties the absent rep's plan for the day, and marks the absence covered — one transaction,
every change audited. A teammate's plan that changed since the preview refuses the confirmation (stale).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ...errors import NotFound, StaleEdit, ValidationError
from ...models import (
    Customer,
    DayPlan,
    PlanStatus,
    RepAbsence,
    Role,
    Team,
    User,
    Visit,
)
from .. import audit, planning_settings
from . import planning
from .candidates import (
    Candidate,
    Excluded,
    Reason,
    local_day_bounds,
    plan_candidates,
    planned_visits,
    select_candidates,
)
from .plans import SETTLED_STATES, get_plan, plan_stops

MAX_DAYS = 5
MAX_TEAMMATES = 8
NOTE_MAX = 300


# --- who and when -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Cast:
    team: Team
    absent: User
    teammates: list[User]
    days: list[date]


def check(
    session: Session,
    *,
    actor: User,
    absent_id: int,
    teammate_ids: list[int],
    days: list[date],
    today: date,
) -> Cast:
    """A manager covering a rep of their own team with active teammates, on days from today on."""
    if not actor.is_manager:
        raise ValidationError(_("Only the team's managers can plan a cover."))
    absent = session.get(User, absent_id)
    if absent is None or absent.team_id != actor.team_id or absent.role != Role.REP:
        raise NotFound(_("Unknown rep."))
    ids = list(dict.fromkeys(i for i in teammate_ids if i != absent.id))
    if not ids:
        raise ValidationError(_("Please choose at least one teammate."), field="teammates")
    if len(ids) > MAX_TEAMMATES:
        raise ValidationError(
            _("Choose at most %(n)d teammates.", n=MAX_TEAMMATES), field="teammates"
        )
    teammates = list(session.exec(select(User).where(User.id.in_(ids)).order_by(User.name)))
    if len(teammates) != len(ids) or any(
        t.team_id != actor.team_id or not t.active for t in teammates
    ):
        raise ValidationError(
            _("Teammates must be active members of your team."), field="teammates"
        )
    days = sorted(set(days))
    if not days or len(days) > MAX_DAYS:
        raise ValidationError(_("Cover 1 to %(n)d days.", n=MAX_DAYS), field="days")
    if days[0] < today:
        raise ValidationError(_("A past day cannot be covered."), field="first_day")
    team = session.get(Team, actor.team_id)
    for day in days:
        for mate in teammates:
            plan = get_plan(session, rep_id=mate.id, day=day)
            if plan is not None and any(
                s.state in SETTLED_STATES for s in plan_stops(session, plan)
            ):
                raise ValidationError(
                    _(
                        "%(name)s has already started the day of %(date)s; choose another"
                        " teammate or day.",
                        name=mate.name,
                        date=day.isoformat(),
                    ),
                    field="teammates",
                )
    return Cast(team, absent, teammates, days)


def day_list(first: date, count: int) -> list[date]:
    """`count` working days from `first` (weekends skipped: nobody visits customers then)."""
    out, day = [], first
    while len(out) < count:
        if day.weekday() < 5:
            out.append(day)
        day += timedelta(days=1)
    return out


# --- what each teammate has, what the absent rep leaves -----------------------------------------------


@dataclass
class DayInputs:
    day: date
    own: dict[
        int, list[tuple[Candidate, bool]]
    ]  # teammate → (candidate, required: already planned)
    shared: list[Candidate]  # the absent rep's visits
    excluded: list[Excluded]  # the absent rep's customers left out before planning (no location …)
    versions: dict[int, int]  # teammate → their plan's version (0: no plan yet)
    absent_visits: list[
        Visit
    ]  # the absent rep's planned visits that day (appointments, moved ones)


def _inputs(session: Session, cast: Cast, day: date, covered_before: set[int]) -> DayInputs:
    """`covered_before`: the absent rep's customers a teammate already visits on an earlier day of
    the cover (due on every day of it, they are visited once; appointments keep their own day)."""
    absent_plan = get_plan(session, rep_id=cast.absent.id, day=day)
    absent_stops = (
        [s.customer_id for s in plan_stops(session, absent_plan) if s.state not in SETTLED_STATES]
        if absent_plan is not None
        else []
    )
    pool = select_candidates(
        session, rep=cast.absent, day=day, extra_customer_ids=tuple(absent_stops)
    )
    own: dict[int, list[tuple[Candidate, bool]]] = {}
    versions: dict[int, int] = {}
    taken: set[int] = set()
    for mate in cast.teammates:
        plan = get_plan(session, rep_id=mate.id, day=day)
        versions[mate.id] = plan.version if plan is not None else 0
        appointments = [
            v.customer_id
            for v in planned_visits(session, rep=mate, day=day, timezone=cast.team.timezone)
            if v.is_appointment
        ]
        if plan is not None:
            ids = [s.customer_id for s in plan_stops(session, plan)] + appointments
            kept = plan_candidates(
                session,
                rep=mate,
                day=day,
                timezone=cast.team.timezone,
                customer_ids=list(dict.fromkeys(ids)),
            )
            stored = {s.customer_id: s for s in plan_stops(session, plan)}
            mine = []
            for cid in dict.fromkeys(ids):
                candidate = kept.get(str(cid))
                if candidate is None or cid in taken:
                    continue
                if cid in stored and stored[cid].reasons:
                    candidate.reasons = [Reason(**_reason(r)) for r in _loads(stored[cid].reasons)]
                candidate.value = stored[cid].value if cid in stored else candidate.value
                mine.append((candidate, True))
        else:
            mine = [
                (c, c.appointment is not None)
                for c in select_candidates(session, rep=mate, day=day).candidates
                if c.customer.id not in taken
            ]
        taken |= {c.customer.id for c, _r in mine}
        own[mate.id] = mine
    shared = [
        c
        for c in pool.candidates
        if c.customer.id not in taken
        and (c.customer.id not in covered_before or c.appointment is not None)
    ]
    for candidate in shared:
        candidate.reasons.insert(0, Reason("covering", {"rep": cast.absent.name}))
    absent_visits = planned_visits(session, rep=cast.absent, day=day, timezone=cast.team.timezone)
    return DayInputs(day, own, shared, pool.excluded, versions, absent_visits)


def _loads(text: str) -> list[dict[str, Any]]:
    try:
        data = json.loads(text)
    except ValueError:
        return []
    return (
        [r for r in data if isinstance(r, dict) and r.get("code")] if isinstance(data, list) else []
    )


def _reason(stored: dict[str, Any]) -> dict[str, Any]:
    return {"code": stored["code"], "params": {k: v for k, v in stored.items() if k != "code"}}


# --- the preview ------------------------------------------------------------------------------------


@dataclass
class CoverStop:
    customer: Customer
    start: datetime | None
    covered: bool  # one of the absent rep's visits
    appointment: bool
    reasons: list[dict[str, Any]]


@dataclass
class CoverRoute:
    rep: User
    stops: list[CoverStop]
    return_at: datetime | None

    @property
    def taken(self) -> int:
        return sum(1 for s in self.stops if s.covered)

    @property
    def kept(self) -> int:
        return sum(1 for s in self.stops if not s.covered)


@dataclass
class Undone:
    customer: Customer
    code: str
    facts: dict[str, Any]
    appointment: bool
    covered: bool = True  # False: a teammate's own required stop that no longer fits


@dataclass
class CoverDay:
    day: date
    routes: list[CoverRoute]
    undone: list[Undone]


@dataclass
class CoverPreview:
    cast: Cast
    days: list[CoverDay] = field(default_factory=list)
    versions: dict[str, dict[str, int]] = field(default_factory=dict)

    def assignment(self) -> str:
        """What confirming writes: per day and teammate the customers in order, and the plan versions."""
        routes = {
            d.day.isoformat(): {str(r.rep.id): [s.customer.id for s in r.stops] for r in d.routes}
            for d in self.days
        }
        return json.dumps({"routes": routes, "versions": self.versions}, sort_keys=True)


def _at(day: date, timezone: str, seconds: int | None) -> datetime | None:
    if seconds is None:
        return None
    return local_day_bounds(day, timezone)[0] + timedelta(seconds=int(seconds))


def preview(session: Session, *, cast: Cast, options: Any) -> CoverPreview:
    """Plan every day of the cover (nothing is written)."""
    out = CoverPreview(cast)
    tz = cast.team.timezone
    earlier: set[int] = set()  # the absent rep's customers taken on an earlier day
    for day in cast.days:
        inputs = _inputs(session, cast, day, earlier)
        by_id: dict[str, tuple[Candidate, bool]] = {
            str(c.customer.id): (c, False) for pairs in inputs.own.values() for c, _r in pairs
        }
        by_id |= {str(c.customer.id): (c, True) for c in inputs.shared}
        teammates = [planning_settings.settings_for(session, m) for m in cast.teammates]
        request = planning.cover_request(teammates, inputs.own, inputs.shared)
        result = planning.plan_cover(request, options)
        mates = {str(m.id): m for m in cast.teammates}
        routes = []
        for route in result.routes:
            stops = []
            for planned in route.stops:
                candidate, covered = by_id[planned.candidate_id]
                stops.append(
                    CoverStop(
                        candidate.customer,
                        _at(day, tz, planned.start),
                        covered,
                        candidate.appointment is not None,
                        [r.as_json() for r in candidate.reasons],
                    )
                )
            routes.append(CoverRoute(mates[route.rep_id], stops, _at(day, tz, route.return_time)))
        undone = []
        required_own = {
            str(c.customer.id) for pairs in inputs.own.values() for c, required in pairs if required
        }
        for dropped in result.dropped:
            candidate, covered = by_id[dropped.candidate_id]
            if covered or dropped.candidate_id in required_own:
                undone.append(
                    Undone(
                        candidate.customer,
                        dropped.reason_code,
                        dropped.reason.facts(),
                        candidate.appointment is not None,
                        covered,
                    )
                )
        undone += [
            Undone(e.customer, e.reason.code, {"excluded": True}, False) for e in inputs.excluded
        ]
        out.days.append(CoverDay(day, routes, undone))
        earlier |= {s.customer.id for r in routes for s in r.stops if s.covered}
        out.versions[day.isoformat()] = {str(k): v for k, v in inputs.versions.items()}
    return out


# --- confirming --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class CoverResult:
    days: int
    taken: int
    appointments_moved: int


def _parse(assignment: str) -> tuple[dict[str, dict[str, list[int]]], dict[str, dict[str, int]]]:
    try:
        data = json.loads(assignment)
        routes = {
            str(day): {str(rep): [int(c) for c in ids] for rep, ids in by_rep.items()}
            for day, by_rep in data["routes"].items()
        }
        versions = {
            str(day): {str(rep): int(v) for rep, v in by_rep.items()}
            for day, by_rep in data["versions"].items()
        }
    except (ValueError, KeyError, TypeError, AttributeError):
        raise ValidationError(
            _("The cover plan could not be read. Please preview it again.")
        ) from None
    return routes, versions


def confirm(
    session: Session, *, actor: User, cast: Cast, assignment: str, now: datetime
) -> CoverResult:
    """Write the previewed cover: the teammates' plans, the moved appointments, the absence; audited."""
    routes, versions = _parse(assignment)
    if set(routes) != {d.isoformat() for d in cast.days}:
        raise ValidationError(_("The cover plan could not be read. Please preview it again."))
    trail = audit.Trail(session, actor, cast.team.id)
    taken = moved = 0
    earlier: set[int] = set()  # the absent rep's customers taken on an earlier day
    for day in cast.days:
        iso = day.isoformat()
        inputs = _inputs(session, cast, day, earlier)
        if {str(k): v for k, v in inputs.versions.items()} != versions.get(iso):
            raise StaleEdit(
                _("A teammate's plan changed after the preview. Please preview the cover again.")
            )
        shared = {c.customer.id: c for c in inputs.shared}
        used: set[int] = set()
        owner_of: dict[int, User] = {}
        plans_written = []
        for mate in cast.teammates:
            ids = routes[iso].get(str(mate.id), [])
            own = {c.customer.id: (c, required) for c, required in inputs.own.get(mate.id, [])}
            missing = [cid for cid, (_c, required) in own.items() if required and cid not in ids]
            unknown = [cid for cid in ids if cid not in own and cid not in shared]
            if missing or unknown or used & set(ids) or len(set(ids)) != len(ids):
                raise StaleEdit(
                    _("The day changed after the preview. Please preview the cover again.")
                )
            used |= set(ids)
            ordered = [own[cid][0] if cid in own else shared[cid] for cid in ids]
            for cid in ids:
                if cid in shared:
                    owner_of[cid] = mate
            plans_written.append((mate, ordered))
        earlier |= set(owner_of)
        for mate, ordered in plans_written:
            taken += sum(1 for c in ordered if c.customer.id in shared)
            _write_plan(session, trail, cast, mate, day, ordered, shared, now)
        moved += _move_visits(session, trail, inputs.absent_visits, owner_of)
        _clear_absent_plan(session, trail, cast, day, now)
        _mark_covered(session, trail, actor, cast.absent, day, now)
    return CoverResult(len(cast.days), taken, moved)


def _write_plan(session, trail, cast, mate, day, ordered, shared, now) -> None:
    plan = get_plan(session, rep_id=mate.id, day=day)
    before = audit.snapshot(plan, ("status", "version")) if plan is not None else None
    if plan is None:
        plan = DayPlan(rep_id=mate.id, plan_date=day, version=0)
        session.add(plan)
        session.flush()
    for stop in plan_stops(session, plan):
        session.delete(stop)
    session.flush()
    evaluation = planning.time_route(planning_settings.settings_for(session, mate), ordered)
    planning.write_route(
        session,
        plan=plan,
        route=evaluation,
        candidates={str(c.customer.id): c for c in ordered},
        timezone=cast.team.timezone,
        first_position=0,
    )
    plan.status = PlanStatus.ACCEPTED  # the manager decided: the nightly run leaves it alone
    plan.generated_at = now
    plan.solver_status = "cover"
    plan.version += 1
    session.add(plan)
    session.flush()
    trail.saved(
        "day_plan",
        plan.id,
        before,
        {
            "date": day.isoformat(),
            "stops": len(ordered),
            "covering": cast.absent.id,
            "taken": [c.customer.id for c in ordered if c.customer.id in shared],
            "status": plan.status,
            "version": plan.version,
        },
        "cover",
    )


def _move_visits(session, trail, visits: list[Visit], owner_of: dict[int, User]) -> int:
    """The absent rep's planned visits (appointments, visits moved to the day) go with their customer."""
    moved = 0
    for visit in visits:
        mate = owner_of.get(visit.customer_id)
        if mate is None:
            continue
        before = audit.snapshot(visit, ("rep_id",))
        visit.rep_id = mate.id
        visit.version += 1
        trail.flushed("visit", visit, before, ("rep_id",), "cover")
        moved += visit.is_appointment
    return moved


def _clear_absent_plan(session, trail, cast, day, now) -> None:
    plan = get_plan(session, rep_id=cast.absent.id, day=day)
    if plan is None:
        return
    removed = [s.customer_id for s in plan_stops(session, plan) if s.state not in SETTLED_STATES]
    for stop in plan_stops(session, plan):
        if stop.state not in SETTLED_STATES:
            session.delete(stop)
    before = audit.snapshot(plan, ("status", "version"))
    plan.status = PlanStatus.ACCEPTED
    plan.version += 1
    plan.generated_at = now
    session.add(plan)
    session.flush()
    trail.saved(
        "day_plan",
        plan.id,
        before,
        {"status": plan.status, "version": plan.version, "handed_over": removed},
        "handed_over",
    )


def _mark_covered(session, trail, actor, absent, day, now) -> None:
    absence = session.exec(
        select(RepAbsence).where(RepAbsence.rep_id == absent.id, RepAbsence.absent_on == day)
    ).first()
    before = audit.snapshot(absence, ("covered_at",)) if absence is not None else None
    if absence is None:
        absence = RepAbsence(
            rep_id=absent.id, absent_on=day, created_by_id=actor.id, created_at=now
        )
    absence.covered_at = now
    trail.flushed("rep_absence", absence, before, ("rep_id", "absent_on", "covered_at"))


# --- absences ----------------------------------------------------------------------------------------


def record_absence(
    session: Session,
    *,
    actor: User,
    rep_id: int,
    day: date,
    note: str | None,
    today: date,
    now: datetime,
) -> RepAbsence:
    """A manager notes that a rep of the team is away on a day (the cover page then suggests it)."""
    rep = session.get(User, rep_id)
    if not actor.is_manager:
        raise ValidationError(_("Only the team's managers can plan a cover."))
    if rep is None or rep.team_id != actor.team_id or rep.role != Role.REP:
        raise NotFound(_("Unknown rep."))
    if day < today:
        raise ValidationError(_("A past day cannot be covered."), field="first_day")
    text = (note or "").strip() or None
    if text is not None and len(text) > NOTE_MAX:
        raise ValidationError(
            _("A note can be at most %(n)d characters.", n=NOTE_MAX), field="note"
        )
    existing = session.exec(
        select(RepAbsence).where(RepAbsence.rep_id == rep.id, RepAbsence.absent_on == day)
    ).first()
    if existing is not None:
        before = audit.snapshot(existing, ("note",))
        existing.note = text
        audit.Trail(session, actor, rep.team_id).flushed("rep_absence", existing, before, ("note",))
        return existing
    absence = RepAbsence(
        rep_id=rep.id, absent_on=day, note=text, created_by_id=actor.id, created_at=now
    )
    try:
        audit.Trail(session, actor, rep.team_id).flushed(
            "rep_absence", absence, None, ("rep_id", "absent_on", "note")
        )
    except IntegrityError:
        session.rollback()
        raise StaleEdit(_("This absence was just recorded by someone else.")) from None
    return absence


def upcoming_absences(
    session: Session, *, team_id: int, today: date, limit: int = 20
) -> list[tuple[RepAbsence, User]]:
    """Absences of the team's reps from today on, the nearest first."""
    stmt = (
        select(RepAbsence, User)
        .join(User, User.id == RepAbsence.rep_id)
        .where(User.team_id == team_id, RepAbsence.absent_on >= today)
        .order_by(RepAbsence.absent_on, User.name)
        .limit(limit)
    )
    return list(session.exec(stmt).all())
