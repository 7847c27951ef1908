"""The rep's week between "Plan my week" and "Accept the week": a draft row (WeekDraft) with the days'
routes, the moved and left-out customers (codes and facts), and the rep's own moves (pins).

- `plan`: plan the week from scratch (a day already started is kept as it is, with what is done).
- `move`: put a customer on another day; the week is planned again from the earlier of the two days
  on (the days before keep their stops), appointments stay at their time.
- `accept`: write each day not yet started as the rep's accepted DayPlan.

Every change takes the draft version the page showed (a stale screen is refused) and bumps it.
The draft JSON (`WeekDraft.body`):
  {"days": [{"date", "locked", "stops": [{"customer_id", "arrival", "start", "end", "travel",
             "value", "reasons", "visit_id"}], "travel", "depart", "return", "lunch_start"}],
   "moved": [{"customer_id", "code", "day", "best_day"}],
   "dropped": [{"customer_id", "code", "facts"}],
   "pins": {"<customer id>": "<date>"}, "seconds": planner seconds}
Times are seconds after the day's local midnight, as the planner gives them.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session, select

from ...errors import StaleEdit, ValidationError
from ...models import Customer, User, WeekDraft
from .. import audit
from . import planning
from .candidates import day_label
from .plans import SETTLED_STATES, get_plan, plan_stops

# How far ahead a week may start (beyond this, busy periods and cadences are guesses).
MAX_START_DAYS = 60


@dataclass
class Week:
    """A draft and its body read back."""

    draft: WeekDraft
    body: dict[str, Any]

    @property
    def days(self) -> list[dict[str, Any]]:
        return self.body.get("days", [])

    def day_of(self, customer_id: int) -> dict[str, Any] | None:
        """The day (not started) whose stops include the customer."""
        for day in self.days:
            if not day["locked"] and any(s["customer_id"] == customer_id for s in day["stops"]):
                return day
        return None


def get_week(session: Session, *, rep: User, start: date) -> Week | None:
    draft = session.exec(
        select(WeekDraft).where(WeekDraft.rep_id == rep.id, WeekDraft.start_date == start)
    ).first()
    return Week(draft, json.loads(draft.body or "{}")) if draft is not None else None


def _check_version(week: Week | None, version: int | None) -> None:
    if week is not None and version is not None and version != week.draft.version:
        raise StaleEdit(
            _("The week changed since this screen was loaded. Please look at it again."),
            current=week.draft.version,
        )


def check_start(start: date, today: date) -> None:
    """A week starts today or later, and not too far ahead."""
    if start < today or start > today + timedelta(days=MAX_START_DAYS):
        raise ValidationError(
            _("Choose a week starting between today and %(n)d days ahead.", n=MAX_START_DAYS)
        )


def _started_days(session: Session, *, rep: User, days: list[date]) -> dict[date, list[int]]:
    """Days whose plan has a visit started, done or skipped: kept as they are, with their customers."""
    out = {}
    for day in days:
        plan = get_plan(session, rep_id=rep.id, day=day)
        if plan is None:
            continue
        stops = plan_stops(session, plan)
        if any(s.state in SETTLED_STATES for s in stops):
            out[day] = [s.customer_id for s in stops]
    return out


def _stops_json(outcome: planning.WeekOutcome, index: int) -> dict[str, Any]:
    """One planned day of the planner's answer as the draft keeps it."""
    route = outcome.plan.routes[index]
    by_id = {str(c.customer.id): c for c in outcome.pool.candidates}
    stops = []
    for planned in route.stops:
        candidate = by_id[planned.candidate_id]
        on_its_day = candidate.appointment is not None and candidate.appointment_day == index
        stops.append(
            {
                "customer_id": candidate.customer.id,
                "arrival": planned.arrival,
                "start": planned.start,
                "end": planned.end,
                "travel": planned.travel_seconds,
                "value": candidate.day_values[index],
                "reasons": [r.as_json() for r in candidate.reasons[index]],
                "visit_id": candidate.appointment.id if on_its_day else None,
            }
        )
    return {
        "date": outcome.days[index].isoformat(),
        "locked": False,
        "stops": stops,
        "travel": route.travel_seconds,
        "depart": route.depart_time,
        "return": route.return_time,
        "lunch_start": route.lunch_start,
    }


def _plan_body(
    session: Session,
    *,
    actor: User,
    rep: User,
    days: list[date],
    keep: dict[str, dict[str, Any]],
    pins: dict[str, str],
    moved_kept: list[dict[str, Any]],
    now: datetime,
    options: Any,
) -> dict[str, Any]:
    """Plan every day of `days` that is not started nor kept (`keep`: day entries by date); the
    customers of kept and started days stay where they are."""
    started = _started_days(session, rep=rep, days=days)
    skip = {cid for cids in started.values() for cid in cids}
    skip |= {s["customer_id"] for entry in keep.values() for s in entry["stops"]}
    to_plan = [d for d in days if d not in started and d.isoformat() not in keep]
    entries: dict[str, dict[str, Any]] = dict(keep)
    for day in started:
        entries[day.isoformat()] = {"date": day.isoformat(), "locked": True, "stops": []}
    moved, dropped, seconds = list(moved_kept), [], 0.0
    if to_plan:
        outcome = planning.plan_week(
            session,
            actor=actor,
            rep=rep,
            days=to_plan,
            now=now,
            skip_ids=skip,
            pins={int(cid): date.fromisoformat(d) for cid, d in pins.items()},
            options=options,
        )
        for index, day in enumerate(to_plan):
            entries[day.isoformat()] = _stops_json(outcome, index)
        for item in outcome.plan.moved:
            cid = int(item.candidate_id)
            code = "pinned" if pins.get(str(cid)) == item.day else item.code
            moved.append({"customer_id": cid, "code": code, **item.facts()})
        for cid, day in pins.items():
            if not any(m["customer_id"] == int(cid) for m in moved) and day in entries:
                moved.append({"customer_id": int(cid), "code": "pinned", "day": day})
        # a customer not due yet, taken along only where a route passes by, is not left out when
        # no route does
        along = {str(c.customer.id) for c in outcome.pool.candidates if c.on_the_way_seconds}
        dropped = [
            {"customer_id": int(d.candidate_id), "code": d.reason_code, "facts": d.reason.facts()}
            for d in outcome.plan.dropped
            if d.candidate_id not in along
        ]
        dropped += [
            {"customer_id": e.customer.id, "code": e.reason.code, "facts": {"excluded": True}}
            for e in outcome.pool.excluded
        ]
        seconds = outcome.plan.seconds
    return {
        "days": [entries[d.isoformat()] for d in days],
        "moved": moved,
        "dropped": dropped,
        "pins": pins,
        "seconds": round(seconds, 3),
    }


def _save(
    session: Session, *, rep: User, start: date, week: Week | None, body: dict, now: datetime
) -> Week:
    draft = (
        week.draft if week is not None else WeekDraft(rep_id=rep.id, start_date=start, version=0)
    )
    draft.body = json.dumps(body, ensure_ascii=False)
    draft.generated_at = now
    draft.accepted_at = None
    draft.version += 1
    session.add(draft)
    session.flush()
    return Week(draft, body)


def plan(
    session: Session,
    *,
    actor: User,
    rep: User,
    start: date,
    today: date,
    now: datetime,
    version: int | None = None,
    options: Any = None,
) -> Week:
    """Plan my week: the rep's next working days from `start`, from scratch (the rep's moves are
    forgotten); days already started keep what is done."""
    check_start(start, today)
    week = get_week(session, rep=rep, start=start)
    _check_version(week, version)
    days = planning.week_days(session, rep, start)
    if not days:
        raise ValidationError(_("There are no working days in this week."))
    body = _plan_body(
        session, actor=actor, rep=rep, days=days, keep={}, pins={}, moved_kept=[], now=now,
        options=options,
    )  # fmt: skip
    week = _save(session, rep=rep, start=start, week=week, body=body, now=now)
    _audit(session, actor, rep, week, "plan")
    return week


def move(
    session: Session,
    *,
    actor: User,
    rep: User,
    start: date,
    customer_id: int,
    to_day: date,
    version: int | None,
    now: datetime,
    options: Any = None,
) -> Week:
    """Put a customer on another day of the week; the week is planned again from the earlier of the two
    days on (days before keep their stops; appointments and visits done stay)."""
    week = get_week(session, rep=rep, start=start)
    if week is None:
        raise ValidationError(_("There is no week plan yet."))
    _check_version(week, version)
    source = week.day_of(customer_id)
    if source is None:
        raise ValidationError(_("This customer is not planned on a day of this week."))
    stop = next(s for s in source["stops"] if s["customer_id"] == customer_id)
    if stop.get("visit_id") is not None:
        raise ValidationError(_("An appointment stays on its day: change the appointment instead."))
    dates = [d["date"] for d in week.days]
    target = to_day.isoformat()
    if target not in dates or week.days[dates.index(target)]["locked"]:
        raise ValidationError(_("Choose a day of this week that has not started yet."))
    if target == source["date"]:
        return week
    first = min(dates.index(target), dates.index(source["date"]))
    keep = {d["date"]: d for d in week.days[:first] if not d["locked"]}
    pins = {k: v for k, v in week.body.get("pins", {}).items() if v >= dates[first]}
    pins[str(customer_id)] = target
    moved_kept = [m for m in week.body.get("moved", []) if m.get("day") in keep]
    days = [date.fromisoformat(d) for d in dates]
    body = _plan_body(
        session, actor=actor, rep=rep, days=days, keep=keep, pins=pins, moved_kept=moved_kept,
        now=now, options=options,
    )  # fmt: skip
    landed = body["days"][dates.index(target)]
    if not any(s["customer_id"] == customer_id for s in landed["stops"]):
        customer = session.get(Customer, customer_id)
        raise ValidationError(
            _(
                "%(name)s does not fit on %(day)s (busy, closed or no time left): the week is"
                " unchanged.",
                name=customer.name if customer else "",
                day=day_label(to_day),
            )
        )
    week = _save(session, rep=rep, start=start, week=week, body=body, now=now)
    _audit(session, actor, rep, week, "move", customer=customer_id, to=target)
    return week


def accept(
    session: Session, *, actor: User, rep: User, start: date, version: int | None, now: datetime
) -> tuple[Week, int]:
    """Accept the week: each day not started becomes the rep's accepted plan for that day (a day
    started since keeps its plan and what is done). Returns the week and the days written."""
    week = get_week(session, rep=rep, start=start)
    if week is None:
        raise ValidationError(_("There is no week plan yet."))
    _check_version(week, version)
    days = [date.fromisoformat(d["date"]) for d in week.days]
    started = _started_days(session, rep=rep, days=days)
    written = 0
    for entry, day in zip(week.days, days, strict=True):
        if entry["locked"] or day in started:
            continue
        planning.store_week_day(
            session,
            actor=actor,
            rep=rep,
            day=day,
            stops=entry["stops"],
            travel_seconds=entry["travel"],
            lunch_start=entry.get("lunch_start"),
            return_time=entry.get("return"),
            now=now,
            week_start=start,
        )
        written += 1
    week.draft.accepted_at = now
    week.draft.version += 1
    session.add(week.draft)
    session.flush()
    _audit(session, actor, rep, week, "accept", days=written)
    return week, written


def _audit(session: Session, actor: User, rep: User, week: Week, action: str, **after: Any) -> None:
    trail = audit.Trail(session, actor, rep.team_id)
    trail.saved(
        "week_plan",
        week.draft.id,
        None,
        {"start": week.draft.start_date.isoformat(), **after},
        action,
    )
