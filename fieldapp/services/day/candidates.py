"""Who should be visited on a day, and why: the candidates of a rep's day plan with a value and reasons.

Values are relative weights the planner maximises (not money): the customer's rank sets the base, how far
past its visit cadence it is multiplies it, and open follow-ups due, risk and a visit moved here from another
day add to it. Each part leaves a reason the rep reads on the stop card
(「訪問周期を7日超過・Aランク・見積回答期限 明日」). Closed days, customers busy for the whole working day and
customers without a location are left out with a reason instead of silently.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import false
from sqlmodel import Session, or_, select

from ...i18n import WEEKDAYS, choice_label, minutes_hhmm, seconds_hhmm
from ...insights.model import Kind
from ...models import (
    BusyPeriod,
    Customer,
    CustomerStatus,
    FollowUp,
    FollowUpState,
    Team,
    User,
    Visit,
    VisitStatus,
)
from .. import busy
from ..planning_settings import settings_for
from ..prompts import load_catalog, product_names, prompts_for
from ..teams import zone

RANK_WEIGHT = {"A": 3.0, "B": 2.0, "C": 1.0}
# Customers due within this many days are worth a visit when the rep passes by anyway.
DUE_SOON_DAYS = 3
# Overdue beyond twice the cadence does not make a customer more urgent than that.
MAX_OVERDUE_FACTOR = 2.0
FOLLOWUP_BONUS = {"quote": 3.0, "delivery": 2.0, "trouble": 4.0, "proposal": 2.0, "other": 1.0}
AT_RISK_BONUS = 2.0
MOVED_BONUS = 3.0
REORDER_BONUS = 1.0  # per product due for a reorder, at most two counted
NEVER_VISITED_BONUS = 1.0
# A pool larger than this is cut to the most valuable: no day holds more than ~25 visits.
MAX_POOL = 200


@dataclass(frozen=True)
class Reason:
    """Why a customer is (or is not) in today's pool: a code and its parameters (JSON-friendly)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def as_json(self) -> dict[str, Any]:
        return {"code": self.code, **self.params}


@dataclass
class Candidate:
    """A customer who could be visited on the day, with the value the planner maximises."""

    customer: Customer
    value: float
    reasons: list[Reason]
    busy_minutes: list[tuple[int, int]]
    appointment: Visit | None = None
    # the appointment's local start, minutes after midnight
    appointment_minute: int | None = None
    moved_visit: Visit | None = None


@dataclass
class Excluded:
    """A customer left out before planning, with the reason shown in the plan's dropped list."""

    customer: Customer
    reason: Reason


@dataclass
class CandidatePool:
    day: date
    candidates: list[Candidate]
    excluded: list[Excluded]


def local_day_bounds(day: date, timezone: str) -> tuple[datetime, datetime]:
    """The instants (aware) where the local day starts and the next one starts."""
    tz = zone(timezone)
    start = datetime.combine(day, time(0), tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time(0), tzinfo=tz)


def minute_of_day(instant: datetime, day: date, timezone: str) -> int:
    """Minutes after local midnight of `day` (may exceed 1440 for the next day)."""
    start, _end = local_day_bounds(day, timezone)
    return int((instant - start).total_seconds() // 60)


def planned_visits(session: Session, *, rep: User, day: date, timezone: str) -> list[Visit]:
    """The rep's visits still planned on `day` (appointments and visits moved here)."""
    day_start, day_end = local_day_bounds(day, timezone)
    return list(
        session.exec(
            select(Visit).where(
                Visit.rep_id == rep.id,
                Visit.status == VisitStatus.PLANNED,
                Visit.scheduled_start >= day_start,
                Visit.scheduled_start < day_end,
            )
        )
    )


def busy_periods_by_customer(session: Session, ids: list[int]) -> dict[int, list[BusyPeriod]]:
    """The busy periods of these customers, fetched in chunks (databases cap the parameters)."""
    periods: dict[int, list[BusyPeriod]] = defaultdict(list)
    for chunk_start in range(0, len(ids), 500):
        chunk = ids[chunk_start : chunk_start + 500]
        for period in session.exec(select(BusyPeriod).where(BusyPeriod.customer_id.in_(chunk))):
            periods[period.customer_id].append(period)
    return periods


def plan_candidates(
    session: Session, *, rep: User, day: date, timezone: str, customer_ids: list[int]
) -> dict[str, Candidate]:
    """The plan's customers as candidates for re-timing: place, visit length, busy minutes, appointment."""
    if not customer_ids:
        return {}
    customers = session.exec(select(Customer).where(Customer.id.in_(customer_ids)))
    periods = busy_periods_by_customer(session, list(customer_ids))
    appointments = {
        v.customer_id: v
        for v in planned_visits(session, rep=rep, day=day, timezone=timezone)
        if v.is_appointment
    }
    settings = settings_for(session, rep)
    work = (settings.day_start_min, settings.day_end_min)
    out = {}
    for customer in customers:
        if customer.lat is None or customer.lon is None:
            continue
        appointment = appointments.get(customer.id)
        windows = busy.busy_windows_on(periods[customer.id], day)
        if appointment is None and _covers(windows, work):
            # Closed or busy all day, so never planned: the rep added it by hand and that choice wins.
            windows = []
        candidate = Candidate(
            customer=customer, value=0.0, reasons=[Reason("added")], busy_minutes=windows
        )
        if appointment is not None:
            candidate.appointment = appointment
            candidate.appointment_minute = minute_of_day(appointment.scheduled_start, day, timezone)
        out[str(customer.id)] = candidate
    return out


def followups_due(session: Session, *, rep: User, until: date) -> dict[int, list[FollowUp]]:
    """The rep's open follow-ups due by the day after `until`, per customer (they make a candidate)."""
    by_customer: dict[int, list[FollowUp]] = defaultdict(list)
    for fu in session.exec(
        select(FollowUp).where(
            FollowUp.owner_id == rep.id,
            FollowUp.state == FollowUpState.OPEN,
            FollowUp.due_date.is_not(None),
            FollowUp.due_date <= until + timedelta(days=1),
        )
    ):
        by_customer[fu.customer_id].append(fu)
    return by_customer


def rep_candidates(
    session: Session, *, rep: User, due_by: date, special: set[int]
) -> list[Customer]:
    """The rep's own customers due by `due_by` (or never visited, or at risk), and the `special` ones
    (appointments, moved visits, follow-ups) whoever they belong to; lost customers never."""
    stmt = select(Customer).where(
        Customer.team_id == rep.team_id,
        Customer.status != CustomerStatus.LOST,
        or_(
            (Customer.assigned_rep_id == rep.id)
            & (
                Customer.next_due_on.is_(None)
                | (Customer.next_due_on <= due_by)
                | (Customer.status == CustomerStatus.AT_RISK)
            ),
            Customer.id.in_(special) if special else false(),
        ),
    )
    return list(session.exec(stmt))


def select_candidates(
    session: Session, *, rep: User, day: date, extra_customer_ids: tuple[int, ...] = ()
) -> CandidatePool:
    """The rep's candidates for `day`: due, follow-ups due, at risk, appointments, visits moved here."""
    team = session.get(Team, rep.team_id)
    planned = planned_visits(session, rep=rep, day=day, timezone=team.timezone)
    appointments = {v.customer_id: v for v in planned if v.is_appointment}
    moved = {v.customer_id: v for v in planned if not v.is_appointment}
    followups_by_customer = followups_due(session, rep=rep, until=day)
    special = set(appointments) | set(moved) | set(followups_by_customer) | set(extra_customer_ids)
    customers = rep_candidates(
        session, rep=rep, due_by=day + timedelta(days=DUE_SOON_DAYS), special=special
    )
    periods = busy_periods_by_customer(session, [c.id for c in customers])
    pool = CandidatePool(day=day, candidates=[], excluded=[])
    settings = settings_for(session, rep)
    work = (settings.day_start_min, settings.day_end_min)
    # Only the two kinds that change a visit's value: reorders due and risk signals.
    catalog = load_catalog(session)
    signals = prompts_for(
        session,
        customer_ids=[c.id for c in customers],
        today=day,
        kinds=(Kind.REORDER, Kind.RISK),
        catalog=catalog,
    )
    names = product_names(
        session,
        (p.product_id for ps in signals.values() for p in ps if p.kind == Kind.REORDER),
        catalog=catalog,
    )
    for customer in customers:
        appointment = appointments.get(customer.id)
        if customer.lat is None or customer.lon is None:
            pool.excluded.append(Excluded(customer, Reason("no_location")))
            continue
        windows = busy.busy_windows_on(periods[customer.id], day)
        if appointment is None and _covers(windows, work):
            code = "closed" if (0, busy.DAY_MINUTES) in windows else "busy_all_day"
            pool.excluded.append(Excluded(customer, Reason(code)))
            continue
        value, reasons = customer_value(
            customer,
            day=day,
            followups=followups_by_customer.get(customer.id, []),
            moved=customer.id in moved,
            **_signal_arguments(signals.get(customer.id, []), names),
        )
        candidate = Candidate(
            customer=customer,
            value=value,
            reasons=reasons,
            busy_minutes=windows,
            appointment=appointment,
            moved_visit=moved.get(customer.id),
        )
        if appointment is not None:
            minute = minute_of_day(appointment.scheduled_start, day, team.timezone)
            candidate.appointment_minute = minute
            candidate.reasons.insert(0, Reason("appointment", {"minute": minute}))
        pool.candidates.append(candidate)
    pool.candidates.sort(key=lambda c: (c.appointment is None, -c.value, c.customer.id))
    keep = set(extra_customer_ids)
    if len(pool.candidates) > MAX_POOL:
        head = pool.candidates[:MAX_POOL]
        head += [
            c
            for c in pool.candidates[MAX_POOL:]
            if c.appointment is not None or c.customer.id in keep
        ]
        pool.candidates = head
    return pool


def _signal_arguments(signals: list, names: dict[int, str]) -> dict[str, list[str]]:
    """customer_value's reorder products and risk codes from the customer's reorder and risk prompts."""
    return {
        "reorder_products": [
            names.get(p.product_id, "") for p in signals if p.kind == Kind.REORDER
        ],
        "risk": [r["code"] for p in signals if p.kind == Kind.RISK for r in p.facts["reasons"]],
    }


def _covers(windows: list[tuple[int, int]], work: tuple[int, int]) -> bool:
    return any(start <= work[0] and end >= work[1] for start, end in windows)


def customer_value(
    customer: Customer,
    *,
    day: date,
    followups: list[FollowUp],
    moved: bool = False,
    reorder_products: list[str] | None = None,
    risk: list[str] | None = None,
) -> tuple[float, list[Reason]]:
    """The planning value of visiting this customer on `day`, with the reasons that make it up."""
    reasons: list[Reason] = []
    base = RANK_WEIGHT.get(customer.rank, 1.0)
    factor = 1.0
    extra = 0.0
    if customer.next_due_on is None:
        reasons.append(Reason("never_visited"))
        extra += NEVER_VISITED_BONUS
    else:
        late = (day - customer.next_due_on).days
        if late > 0:
            factor += min(late / max(customer.cadence_days, 1), MAX_OVERDUE_FACTOR)
            reasons.append(Reason("overdue", {"days": late}))
        elif late == 0:
            reasons.append(Reason("due_today"))
        else:
            # Not due yet: worth taking along, but below everyone who is due.
            factor = 0.5
            reasons.append(Reason("due_soon", {"days": -late}))
    if customer.rank == "A":
        reasons.append(Reason("rank", {"rank": "A"}))
    for fu in sorted(followups, key=lambda f: (f.due_date, f.id)):
        extra += FOLLOWUP_BONUS.get(fu.kind, 1.0)
        reasons.append(
            Reason(
                "followup_due",
                {"kind": fu.kind, "title": fu.title, "due": fu.due_date.isoformat()},
            )
        )
    if customer.status == CustomerStatus.AT_RISK or risk:
        # the engine's risk signals (fewer orders, complaints …) count like the status set by hand
        extra += AT_RISK_BONUS
        reasons.append(Reason("at_risk", {"why": risk} if risk else {}))
    if moved:
        extra += MOVED_BONUS
        reasons.append(Reason("moved"))
    if reorder_products:
        extra += REORDER_BONUS * min(len(reorder_products), 2)
        reasons.append(Reason("reorder_due", {"product": reorder_products[0]}))
    return round(base * factor + extra, 2), reasons


def _relative_day(iso: str, today: date) -> str:
    due = date.fromisoformat(iso)
    delta = (due - today).days
    if delta == 0:
        return _("today")
    if delta == 1:
        return _("tomorrow")
    if delta < 0:
        return _("%(n)d days ago", n=-delta)
    return f"{due.month}/{due.day}"


def reason_text(reason: dict[str, Any], *, today: date) -> str:
    """One reason in the UI language (reasons are stored as JSON dicts with a `code`)."""
    code = reason.get("code")
    if code == "overdue":
        return _("%(n)d days past the visit cadence", n=reason.get("days", 0))
    if code == "due_today":
        return _("visit due today")
    if code == "due_soon":
        return _("due in %(n)d days", n=reason.get("days", 0))
    if code == "never_visited":
        return _("never visited")
    if code == "rank":
        return _("rank %(rank)s", rank=reason.get("rank", ""))
    if code == "followup_due":
        return _(
            "%(kind)s due %(when)s",
            kind=choice_label("followup_kind", reason.get("kind")),
            when=_relative_day(reason["due"], today),
        )
    if code == "at_risk":
        why = [str(_RISK_WHY[w]) for w in reason.get("why", []) if w in _RISK_WHY]
        return _("at risk: %(why)s", why=_(", ").join(why)) if why else _("at risk")
    if code == "moved":
        return _("moved here from another day")
    if code == "appointment":
        return _("appointment at %(time)s", time=minutes_hhmm(int(reason.get("minute", 0))))
    if code == "reorder_due":
        return _("reorder due: %(product)s", product=reason.get("product", ""))
    if code == "added":
        return _("added by you")
    if code == "covering":
        return _("covering for %(name)s", name=reason.get("rep", ""))
    if code == "upsell":
        return str(reason.get("text", ""))
    if code == "before_busy":
        return _(
            "Visit before %(label)s (from %(date)s)",
            label=reason.get("label") or _("the busy season"),
            date=_md(reason["from"]),
        )
    return str(code)


def _md(iso: str) -> str:
    """12/20 for 2026-12-20."""
    day = date.fromisoformat(iso)
    return f"{day.month}/{day.day}"


def day_label(day: date) -> str:
    """A working day as the week shows it: 12/14 (Mon) / 12/14（月）."""
    return _("%(date)s (%(weekday)s)", date=_md(day.isoformat()), weekday=WEEKDAYS[day.weekday()])


_MOVE_TEXT = {
    "best_day_closed": _l("Moved from %(day)s: closed that day"),
    "best_day_busy": _l("Moved from %(day)s: busy for the whole working day there"),
    "best_day_unreachable": _l("Moved from %(day)s: cannot be reached in time that day"),
    "best_day_full": _l("Moved from %(day)s: that day is full with more valuable visits"),
    "pinned": _l("Moved to this day by you"),
}


def move_text(code: str, facts: dict[str, Any]) -> str:
    """Why the week puts a customer on another day than the one it is worth most on (codes from the
    planner's MovedStop, or `pinned` for the rep's own move)."""
    text = _MOVE_TEXT.get(code)
    if text is None:
        return code
    best = facts.get("best_day")
    return text % {"day": day_label(date.fromisoformat(best)) if best else ""}


def reasons_text(reasons: list[dict[str, Any]], *, today: date) -> str:
    """Reasons joined for a stop card: 「訪問周期を7日超過・Aランク・見積 期限 明日」."""
    return _(" · ").join(reason_text(r, today=today) for r in reasons) if reasons else ""


# The risk signals of the prompt engine (insights/risk.py), short for the reasons line.
_RISK_WHY = {
    "fewer_orders": _l("ordering less often"),
    "less_spend": _l("buying less"),
    "negative_visits": _l("negative visits"),
    "open_complaints": _l("open complaints"),
}

# Why a customer was left out before planning (or taken off the plan by the rep): no facts needed.
_EXCLUSIONS = {
    "closed": _l("closed on this day"),
    "busy_all_day": _l("busy for the whole working day"),
    "no_location": _l("no location yet: set it on the customer page"),
    "removed": _l("removed by you"),
    "usual_visits": _l("more than your usual number of visits a day"),
}
# Drop codes that never come from the planner.
EXCLUSION_CODES = ("closed", "no_location", "removed", "usual_visits")
# A customer visitable in one window only, and what then went wrong.
_WINDOW_TEXT = {
    "window_unreachable": _l(
        "can only be visited from %(start)s to %(end)s; cannot be reached in time within today's"
        " working hours"
    ),
    "no_time_left": _l(
        "can only be visited from %(start)s to %(end)s; no time left after the visits with higher"
        " value"
    ),
}


def exclusion_text(code: str) -> str:
    """Why a customer was left out before planning (or taken off the plan by the rep)."""
    return str(_EXCLUSIONS.get(code, code))


def drop_text(code: str, facts: dict[str, Any]) -> str:
    """Why a customer is not on the plan, from the stored code and facts (times in seconds)."""
    if facts.get("excluded") or code in EXCLUSION_CODES:
        return exclusion_text(code)
    appointment, window = facts.get("appointment"), facts.get("window")
    unreachable = code == "window_unreachable"
    if code == "busy_all_day":
        return _("busy or closed for the whole working day")
    if code == "appointment_conflict":
        if appointment is None:
            return _(
                "this required visit does not fit with the other required visits, lunch or the"
                " return time"
            )
        return _(
            "the appointment at %(time)s clashes with other appointments, lunch or the return time",
            time=seconds_hhmm(appointment),
        )
    if unreachable and appointment is not None:
        return _(
            "the appointment at %(time)s cannot be reached in time", time=seconds_hhmm(appointment)
        )
    if not unreachable and facts.get("busy_until") is not None:
        return _(
            "busy until %(time)s; no time left after the visits with higher value",
            time=seconds_hhmm(facts["busy_until"]),
        )
    if window:
        text = _WINDOW_TEXT["window_unreachable" if unreachable else "no_time_left"]
        return text % {"start": seconds_hhmm(window[0]), "end": seconds_hhmm(window[1])}
    if unreachable:
        return _("cannot be reached in time within today's working hours")
    return _("no time left after the visits with higher value")


def warning_text(code: str, facts: dict[str, Any], names: dict[int, str]) -> str:
    """One plan warning from its stored code and facts; `names` maps customer ids to names."""
    at = facts.get("at")
    name = names.get(facts.get("customer_id") or 0, "")
    if code == "window_missed":
        if name and at is not None:
            return _(
                "%(name)s: the visit would start at %(time)s, outside its allowed times",
                name=name,
                time=seconds_hhmm(at),
            )
        return _("A visit would start outside its allowed times")
    if code == "busy_period":
        if name and at is not None:
            return _("%(name)s is busy at %(time)s", name=name, time=seconds_hhmm(at))
        return _("A visit falls into a busy period")
    if code == "late_return":
        if at is not None:
            return _("Back at %(time)s, after the end of your working day", time=seconds_hhmm(at))
        return _("Back after the end of your working day")
    if code == "lunch_missed":
        return _("No room left for lunch in its time window")
    if code == "required_dropped":
        return _(
            "An appointment could not be fitted into the day: see the list of left-out customers."
        )
    if code == "road_engine_fallback":
        return _("Road travel times were unavailable; times are estimated from the distance.")
    if code == "planner_note":
        return _("Planner note: %(note)s", note=facts.get("note", ""))
    return code


# --- the week: candidates that look ahead ------------------------------------------------------------

# A busy season starting within this many days after the week's last day is seen coming: customers due
# inside it are visited before it.
LOOKAHEAD_DAYS = 21
# Visiting before a coming busy season is worth this much more than an ordinary due visit.
BEFORE_BUSY_FACTOR = 1.5
# A visit more than DUE_SOON_DAYS before it is due is worth this share of the visit on time.
EARLY_FACTOR = 0.5
# Each day a due visit waits costs this share of its value: sooner is better once it is due.
LATE_DAY_COST = 0.08
# On the due date and the working day before it a visit is worth a little less than earlier in its
# window (by working days left before the due date): a skipped visit still has a day to be made up.
LAST_DAYS_FACTOR = {0: 0.8, 1: 0.9}
# Added to the rank weight on the days a visit keeps the cadence (its window up to the last day the
# customer is open before the due date): an A customer on time (at least 7 × 0.8) is worth more than
# any B or C visit before extras, a B customer overdue by more than 25 days aside, so a full week
# leaves out a B or C visit, not an A customer's last chance.
ON_TIME_BONUS = {"A": 4.0}
# A customer due within the week (not late yet) is worth this share of its value on the days after its
# due date, extras included: a full day leaves out an early visit, not a customer's last day on time
# (at 0.8 a day later cost less than two early visits, and the rep was late every week).
BECOMES_LATE_FACTOR = 0.4
# Customers due later (up to LOOKAHEAD_DAYS after the week) and visited at least ON_THE_WAY_AFTER of
# their cadence ago are taken along only: the search plans the week without them, then each goes where a
# day's route passes within ON_THE_WAY_DETOUR_SECONDS of added travel and the day has time left
# (`planner.WeekCandidate.max_detour`); a visit then costs a few minutes of travel instead of a trip of
# its own later. Worth ON_THE_WAY_FACTOR of their rank weight (what the stop card shows). They used to
# be ordinary candidates within 1.5 km of the week's customers: with any value at all the search took
# them whatever the detour (travel per visit 7.0 -> 6.8-6.9 minutes on the cadence bench); with the
# detour bound no radius is needed.
ON_THE_WAY_AFTER = 1 / 3
ON_THE_WAY_FACTOR = 0.04
ON_THE_WAY_DETOUR_SECONDS = 5 * 60
# A visit planned for a later day of the week moves to the first day when that adds at most this much
# travel to the first day and the visit is worth no less there (`planner.WeekRequest.first_day_detour`):
# the first day is the one driven next, the later ones are planned again each morning, and a customer
# visited while the route passes by needs no trip of its own later ("Plan my day" likewise visits
# customers due within DUE_SOON_DAYS). Measured on the cadence bench (4 weeks, seed 1, the week alone):
# 3 minutes 6.21 travel minutes per visit, 5 minutes 6.08, 8 minutes 6.26 (more visits, but longer
# detours); without it 6.8.
FIRST_DAY_DETOUR_SECONDS = 5 * 60


@dataclass
class WeekCandidate:
    """A customer who could be visited on one of the week's days, with what the visit is worth on each.

    `busy_minutes[i]` are day i's busy minutes; `closed[i]` says day i has no time for a visit at all;
    `reasons[i]` are the reasons as they read on day i (the stop card's words after "Accept the week").
    """

    customer: Customer
    day_values: list[float]
    reasons: list[list[Reason]]
    busy_minutes: list[list[tuple[int, int]]]
    closed: list[bool]
    appointment: Visit | None = None
    appointment_day: int | None = None
    appointment_minute: int | None = None
    # set for a customer taken along only (not due yet): the most travel its visit may add to a day
    on_the_way_seconds: int | None = None

    @property
    def value(self) -> float:
        return max(self.day_values)


@dataclass
class WeekPool:
    days: list[date]
    candidates: list[WeekCandidate]
    excluded: list[Excluded]


def season_ahead(
    periods: list[BusyPeriod], due: date, first_day: date, work: tuple[int, int]
) -> BusyPeriod | None:
    """The date-range busy period (a season: 年末繁忙, 棚卸し) that covers the due date and the rep's
    working hours and starts after the week's first day, or None."""
    for period in sorted(periods, key=lambda p: p.start_date or date.max):
        if period.kind != "dates" or period.start_date is None:
            continue
        end = period.end_date or period.start_date
        if not period.start_date <= due <= end or period.start_date <= first_day:
            continue
        if _covers(busy.busy_windows_on([period], period.start_date), work):
            return period
    return None


def week_day_value(
    customer: Customer,
    day: date,
    first_day: date,
    base: float,
    workdays: frozenset[int],
    open_days: Callable[[date, date], int] | None = None,
) -> float:
    """What a visit on `day` is worth (before extras): overdue grows the value and each day it waits
    costs a little; a visit far before it is due is worth less; the last working days before the due
    date are worth a little less than the ones before them, so that a visit missed there (nobody in,
    running late) still has a day left before it is due. `open_days(day, due)` counts the days after
    `day` up to the due date on which the customer can be visited (default: the rep's working days):
    a customer closed on its due date has its last day before it."""
    due = customer.next_due_on
    if due is None:
        return base * (1 - LATE_DAY_COST * (day - first_day).days / 7)
    cadence = max(customer.cadence_days, 1)
    count = open_days or (lambda d, until: working_days_between(d, until, workdays))
    if day > due:
        late_at_start = max(0, (first_day - due).days)
        urgency = 1 + min(late_at_start / cadence, MAX_OVERDUE_FACTOR)
        waited = (day - max(due, first_day)).days
        on_time_first = late_at_start == 0 and count(first_day - timedelta(days=1), due) > 0
        on_the_day = BECOMES_LATE_FACTOR if on_time_first else 1.0
        return base * urgency * on_the_day * max(0.2, 1 - LATE_DAY_COST * waited)
    # Within the last third of the cadence (at least DUE_SOON_DAYS working days) the days are worth
    # the same, so the planner picks the day by the route (customers near each other on one day).
    early = count(day, due)
    if early > max(DUE_SOON_DAYS, cadence // 3):
        return base * EARLY_FACTOR
    on_time = base + ON_TIME_BONUS.get(customer.rank, 0.0)
    return on_time * LAST_DAYS_FACTOR.get(early, 1.0)


def working_days_between(day: date, due: date, workdays: frozenset[int]) -> int:
    """Working days after `day` up to and including `due`."""
    return sum(
        1 for k in range(1, (due - day).days + 1) if (day + timedelta(days=k)).weekday() in workdays
    )


def before_season_value(
    customer: Customer, day: date, season: BusyPeriod, base: float, workdays: frozenset[int]
) -> float:
    """Before a coming busy season the visit is worth more; the further before it is due, the less;
    the last working days before the season a little less (a missed visit still has a day left)."""
    if day >= season.start_date:
        return 0.0
    early = (customer.next_due_on - day).days
    cadence = max(customer.cadence_days, 1)
    left = working_days_between(day, season.start_date - timedelta(days=1), workdays)
    factor = BEFORE_BUSY_FACTOR * (1 - 0.5 * min(1.0, early / (2 * cadence)))
    if early <= cadence:
        base += ON_TIME_BONUS.get(customer.rank, 0.0)  # the last visit before the season, on time
    return base * factor * LAST_DAYS_FACTOR.get(left, 1.0)


def select_week_candidates(
    session: Session,
    *,
    rep: User,
    days: list[date],
    work: list[tuple[int, int]],
    workdays: frozenset[int] = frozenset(range(5)),
    skip_ids: set[int] = frozenset(),
) -> WeekPool:
    """The rep's candidates for the working `days` (with each day's working minutes `work`): due within
    the week, overdue, at risk, with follow-ups or appointments, or due inside a busy season that starts
    soon (then a candidate before it, reason `before_busy`). Customers in `skip_ids` are left out."""
    team = session.get(Team, rep.team_id)
    first, last = days[0], days[-1]
    appointments: dict[int, tuple[int, Visit]] = {}
    moved: dict[int, int] = {}
    for index, day in enumerate(days):
        for visit in planned_visits(session, rep=rep, day=day, timezone=team.timezone):
            if visit.is_appointment:
                appointments.setdefault(visit.customer_id, (index, visit))
            else:
                moved.setdefault(visit.customer_id, index)
    followups_by_customer = followups_due(session, rep=rep, until=last)
    special = set(appointments) | set(moved) | set(followups_by_customer)
    due_by = last + timedelta(days=LOOKAHEAD_DAYS)
    customers = [
        c
        for c in rep_candidates(session, rep=rep, due_by=due_by, special=special)
        if c.id not in skip_ids
    ]
    periods = busy_periods_by_customer(session, [c.id for c in customers])
    seasons = {
        c.id: season_ahead(periods[c.id], c.next_due_on, first, work[0])
        for c in customers
        if c.next_due_on is not None and c.next_due_on > first
    }
    special = special | {c.id for c in customers if c.status == CustomerStatus.AT_RISK}
    in_week = [
        c
        for c in customers
        if c.next_due_on is None
        or c.next_due_on <= last + timedelta(days=DUE_SOON_DAYS)
        or c.id in special
        or seasons.get(c.id) is not None
    ]
    taken = {c.id for c in in_week}
    on_the_way = _on_the_way([c for c in customers if c.id not in taken], first, last)
    customers = in_week + on_the_way
    along = {c.id for c in on_the_way}
    catalog = load_catalog(session)
    signals = prompts_for(
        session,
        customer_ids=[c.id for c in customers],
        today=first,
        kinds=(Kind.REORDER, Kind.RISK),
        catalog=catalog,
    )
    names = product_names(
        session,
        (p.product_id for ps in signals.values() for p in ps if p.kind == Kind.REORDER),
        catalog=catalog,
    )
    pool = WeekPool(days=list(days), candidates=[], excluded=[])
    for customer in customers:
        if customer.lat is None or customer.lon is None:
            pool.excluded.append(Excluded(customer, Reason("no_location")))
            continue
        appointment = appointments.get(customer.id)
        season = seasons.get(customer.id)
        windows = [busy.busy_windows_on(periods[customer.id], day) for day in days]
        closed = [_covers(w, hours) for w, hours in zip(windows, work, strict=True)]
        if appointment is not None:
            closed[appointment[0]] = False  # an agreed time wins over the busy hours
        if all(closed):
            code = "closed" if all((0, busy.DAY_MINUTES) in w for w in windows) else "busy_all_day"
            pool.excluded.append(Excluded(customer, Reason(code)))
            continue
        open_days = _open_days_counter(
            periods[customer.id], workdays, dict(zip(days, work, strict=True))
        )
        extras = dict(
            followups=followups_by_customer.get(customer.id, []),
            **_signal_arguments(signals.get(customer.id, []), names),
        )
        # it can still be visited on time: an open day from the first day up to its due date
        keeps_cadence = (
            customer.next_due_on is not None
            and customer.next_due_on >= first
            and open_days(first - timedelta(days=1), customer.next_due_on) > 0
        )
        values, reasons = [], []
        for index, day in enumerate(days):
            value, why = customer_value(
                customer, day=day, moved=moved.get(customer.id) == index, **extras
            )
            base = RANK_WEIGHT.get(customer.rank, 1.0)
            extra = value - _base_part(customer, day, base)
            if season is not None and day < season.start_date:
                part = before_season_value(customer, day, season, base, workdays)
                why = [_before_busy(season)] + [r for r in why if r.code != "due_soon"]
            else:
                part = week_day_value(customer, day, first, base, workdays, open_days)
            if keeps_cadence and customer.next_due_on < day:
                extra *= BECOMES_LATE_FACTOR  # a late visit, when one on time was possible
            value = base * ON_THE_WAY_FACTOR if customer.id in along else part + extra
            values.append(0.0 if closed[index] else round(value, 2))
            reasons.append(why)
        candidate = WeekCandidate(customer, values, reasons, windows, closed)
        if customer.id in along:
            candidate.on_the_way_seconds = ON_THE_WAY_DETOUR_SECONDS
        if appointment is not None:
            index, visit = appointment
            candidate.appointment, candidate.appointment_day = visit, index
            minute = minute_of_day(visit.scheduled_start, days[index], team.timezone)
            candidate.appointment_minute = minute
            candidate.reasons[index].insert(0, Reason("appointment", {"minute": minute}))
        pool.candidates.append(candidate)
    pool.candidates.sort(key=lambda c: (c.appointment is None, -c.value, c.customer.id))
    return pool


def _on_the_way(customers: list[Customer], first: date, last: date) -> list[Customer]:
    """The customers due after the week (up to LOOKAHEAD_DAYS) and not visited lately: taken along
    where a route of the week passes by them."""
    out = []
    for c in customers:
        if c.lat is None or c.lon is None or c.next_due_on is None:
            continue
        if c.next_due_on > last + timedelta(days=LOOKAHEAD_DAYS):
            continue
        if c.last_visit_on is not None and (
            (first - c.last_visit_on).days < ON_THE_WAY_AFTER * c.cadence_days
        ):
            continue  # visited lately: near the route or not, not again yet
        out.append(c)
    return out


def _open_days_counter(
    periods: list[BusyPeriod], workdays: frozenset[int], hours: dict[date, tuple[int, int]]
) -> Callable[[date, date], int]:
    """open_days(day, due) for one customer: the rep's working days after `day` up to `due` on which
    the customer is not closed or busy all the working hours (a day outside the week: the week's first
    day's hours)."""
    default = next(iter(hours.values()))
    cache: dict[date, bool] = {}

    def is_open(d: date) -> bool:
        if d not in cache:
            windows = busy.busy_windows_on(periods, d)
            cache[d] = d.weekday() in workdays and not _covers(windows, hours.get(d, default))
        return cache[d]

    def open_days(day: date, due: date) -> int:
        return sum(1 for k in range(1, (due - day).days + 1) if is_open(day + timedelta(days=k)))

    return open_days


def _base_part(customer: Customer, day: date, base: float) -> float:
    """The rank-and-cadence part of customer_value (the rest are extras that do not depend on the day)."""
    if customer.next_due_on is None:
        return base
    late = (day - customer.next_due_on).days
    if late > 0:
        return base * (1 + min(late / max(customer.cadence_days, 1), MAX_OVERDUE_FACTOR))
    return base if late == 0 else base * 0.5


def _before_busy(season: BusyPeriod) -> Reason:
    return Reason(
        "before_busy", {"label": season.label or "", "from": season.start_date.isoformat()}
    )
