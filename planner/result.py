"""Planner output: Plan, RoutePlan, PlannedStop, DroppedStop and RouteWarning, as codes plus facts."""

from __future__ import annotations

from dataclasses import dataclass, field

# The documented, deliberately small set of reasons a candidate is not in the plan.
REASON_CODES = (
    "busy_all_day",  # its windows / busy periods leave no start time inside the rep's day
    "window_unreachable",  # cannot be reached within its windows even as the only visit of the day
    "no_time_left",  # fits alone, but not next to the visits with higher value
    "appointment_conflict",  # a required visit that clashes with other appointments, lunch or the day
)
STATUSES = ("ok", "required_dropped")
# Why a week plan puts a customer on another day than the one it is worth most on (see MovedStop).
MOVE_CODES = (
    "best_day_closed",  # closed that day
    "best_day_busy",  # its busy periods or windows leave no start time inside that day's hours
    "best_day_unreachable",  # cannot be reached within its windows that day, even as the only visit
    "best_day_full",  # fits alone, but not next to that day's visits with higher value
)
# Problems `evaluate_route` reports for a hand-made order (see RouteWarning for the facts of each).
WARNING_CODES = ("window_missed", "busy_period", "late_return", "lunch_missed", "unknown_candidate")


def hhmm(t: int) -> str:
    """Seconds since midnight as HH:MM (24 h, may exceed 24 for the next day)."""
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


def _set_facts(**facts: int | tuple[int, int] | None) -> dict[str, int | list[int]]:
    """The facts that are set (not None), in order, with (start, end) pairs as JSON lists."""
    return {k: list(v) if isinstance(v, tuple) else v for k, v in facts.items() if v is not None}


@dataclass(frozen=True, slots=True)
class Reason:
    """A machine code plus the facts a sentence is built from (times in seconds since midnight).

    The planner writes no sentences for people: the app renders `code` and the facts in the reader's
    language. Which facts each code carries (any fact not listed is None):

    - busy_all_day: none.
    - window_unreachable: `appointment` (the fixed start that cannot be reached), or else `window` when
      exactly one allowed start window lies in the day, or neither.
    - no_time_left: `busy_until` (end of the busy period that overlaps the day most), or else `window`
      (the allowed start window that overlaps the day most), or neither.
    - appointment_conflict: `appointment` for an appointment; None for another required visit.
    """

    code: str
    busy_until: int | None = None  # end of the busy period that blocks the visit
    window: tuple[int, int] | None = None  # the allowed start window that matters
    appointment: int | None = None

    def __post_init__(self) -> None:
        if self.code not in REASON_CODES:
            raise ValueError(f"unknown reason code {self.code!r}")

    def facts(self) -> dict[str, int | list[int]]:
        """The facts that are set, as JSON-ready values (window as [start, end])."""
        return _set_facts(
            busy_until=self.busy_until, window=self.window, appointment=self.appointment
        )


def reason_message(reason: Reason) -> str:
    """One English sentence for `Plan.summary()` and the bench; the app renders codes itself."""
    pre = ""
    if reason.busy_until is not None:
        pre = f"busy until {hhmm(reason.busy_until)}; "
    elif reason.window is not None:
        a, b = reason.window
        pre = f"can only be visited from {hhmm(a)} to {hhmm(b)}; "
    if reason.code == "busy_all_day":
        return "busy or closed for the whole working day"
    if reason.code == "window_unreachable":
        if reason.appointment is not None:
            return f"the appointment at {hhmm(reason.appointment)} cannot be reached in time"
        return pre + "cannot be reached in time within today's working hours"
    if reason.code == "appointment_conflict":
        if reason.appointment is None:
            return "this required visit does not fit with the other required visits, lunch or the return time"
        return (
            f"the appointment at {hhmm(reason.appointment)} clashes with other appointments,"
            " lunch or the return time"
        )
    return pre + "no time left after the visits with higher value"


@dataclass(frozen=True, slots=True)
class PlannedStop:
    """One visit: when the rep arrives, waits, starts and ends, and the travel leading to it."""

    candidate_id: str
    arrival: int
    wait: int
    start: int
    end: int
    travel_seconds: int
    value: float

    def __post_init__(self) -> None:
        if not (self.arrival <= self.start <= self.end) or self.wait != self.start - self.arrival:
            raise ValueError(f"inconsistent stop times for {self.candidate_id}")


@dataclass(frozen=True, slots=True)
class DroppedStop:
    """A candidate left out of the plan, with a reason code and its facts."""

    candidate_id: str
    reason_code: str
    reason: Reason

    @property
    def message(self) -> str:
        """Why it was dropped, in English (summary and bench only)."""
        return reason_message(self.reason)


@dataclass(frozen=True, slots=True)
class RoutePlan:
    """One rep's day: departure, ordered stops, lunch, return."""

    rep_id: str
    depart_time: int
    stops: tuple[PlannedStop, ...]
    lunch_start: int | None
    lunch_end: int | None
    return_time: int
    travel_seconds: int

    @property
    def value(self) -> float:
        """Prize collected on this route."""
        return sum(s.value for s in self.stops)


@dataclass(frozen=True, slots=True)
class Plan:
    """The planner's answer for a PlanRequest."""

    routes: tuple[RoutePlan, ...]
    dropped: tuple[DroppedStop, ...]
    status: str
    done: tuple[str, ...] = ()
    notes: tuple[str, ...] = ()
    matrix_source: str = "haversine"
    engine: str = ""
    iterations: int = 0
    seconds: float = 0.0
    totals: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"unknown status {self.status!r}")

    @property
    def value(self) -> float:
        """Total value collected."""
        return sum(r.value for r in self.routes)

    def route(self, rep_id: str) -> RoutePlan:
        """The route of one rep."""
        for r in self.routes:
            if r.rep_id == rep_id:
                return r
        raise KeyError(rep_id)

    def summary(self) -> str:
        """A readable multi-line description of the plan, in English."""
        lines = [
            f"status {self.status}; value {self.value:g}; stops {sum(len(r.stops) for r in self.routes)};"
            f" travel {self.totals.get('travel', 0) / 60:.0f} min;"
            f" waiting {self.totals.get('waiting', 0) / 60:.0f} min"
        ]
        for i, r in enumerate(self.routes):
            lines.append(f"[{self._label(i, r)}] depart {hhmm(r.depart_time)}")
            lunch_done = r.lunch_start is None
            for s in r.stops:
                if not lunch_done and r.lunch_start is not None and r.lunch_start < s.start:
                    lines.append(f"  {hhmm(r.lunch_start)} lunch")
                    lunch_done = True
                lines.append(
                    f"  {hhmm(s.start)}-{hhmm(s.end)} {s.candidate_id} (value {s.value:g})"
                )
            if not lunch_done and r.lunch_start is not None:
                lines.append(f"  {hhmm(r.lunch_start)} lunch")
            lines.append(f"  return {hhmm(r.return_time)}")
        lines += self._extra_lines()
        for d in self.dropped:
            lines.append(f"  - {d.candidate_id}: {d.message} [{d.reason_code}]")
        for n in self.notes:
            lines.append(f"note: {n}")
        return "\n".join(lines)

    def _label(self, index: int, route: RoutePlan) -> str:
        """How `summary` names a route: by its rep."""
        return route.rep_id

    def _extra_lines(self) -> list[str]:
        """Lines a kind of plan adds to `summary` before the dropped candidates."""
        return []


@dataclass(frozen=True, slots=True)
class MovedStop:
    """A visit planned on another day than the one it is worth most on: a code from `MOVE_CODES`
    plus the facts (both days as their dates, and what the visit is worth on each)."""

    candidate_id: str
    code: str
    day: str
    best_day: str
    value: float
    best_value: float

    def __post_init__(self) -> None:
        if self.code not in MOVE_CODES:
            raise ValueError(f"unknown move code {self.code!r}")

    def facts(self) -> dict[str, str | float]:
        """The facts as JSON-ready values."""
        return {
            "day": self.day,
            "best_day": self.best_day,
            "value": self.value,
            "best_value": self.best_value,
        }

    @property
    def message(self) -> str:
        """Why it moved, in English (summary and bench only)."""
        why = {
            "best_day_closed": "closed",
            "best_day_busy": "busy all day",
            "best_day_unreachable": "out of reach",
            "best_day_full": "full with visits of higher value",
        }[self.code]
        return f"on {self.day} instead of {self.best_day} ({why} on {self.best_day})"


@dataclass(frozen=True, slots=True)
class WeekPlan(Plan):
    """The planner's answer for a WeekRequest: a Plan whose routes are the days, in order.

    Times in each day's route are seconds since that day's midnight; `dates` name the days; `moved`
    explains every visit planned on another day than its best. Dropped reasons use the day codes,
    meaning "on any day of the week" (busy_all_day: on every day).
    """

    dates: tuple[str, ...] = ()
    moved: tuple[MovedStop, ...] = ()

    def day(self, date: str) -> RoutePlan:
        """The route of one day, by its date."""
        return self.routes[self.dates.index(date)]

    def _label(self, index: int, route: RoutePlan) -> str:
        """Days are named by their date."""
        return self.dates[index]

    def _extra_lines(self) -> list[str]:
        """The moved visits, after the days."""
        return [f"  ~ {m.candidate_id}: {m.message} [{m.code}]" for m in self.moved]


@dataclass(frozen=True, slots=True)
class RouteWarning:
    """Something wrong with a hand-made order: a code, the customer concerned and the facts.

    Times are seconds since midnight; the app renders the code and facts in the reader's language.
    What each code carries (any field not listed is None):

    - window_missed: `candidate_id`; `at` = the start of its visit, outside its allowed start times.
    - busy_period: `candidate_id`; `at` = the start of its visit; `busy` = (start, end) of the busy
      period the visit overlaps.
    - late_return: `at` = the time the rep is back; `limit` = the latest return (the rep's return_by).
    - lunch_missed: either no room for lunch at all (`at` None), or lunch starts too late: `at` = the
      lunch start, `limit` = the latest allowed lunch start.
    - unknown_candidate: `candidate_id`, an id the request does not contain.
    """

    code: str
    candidate_id: str | None = None
    at: int | None = None
    limit: int | None = None
    busy: tuple[int, int] | None = None

    def __post_init__(self) -> None:
        if self.code not in WARNING_CODES:
            raise ValueError(f"unknown warning code {self.code!r}")

    def facts(self) -> dict[str, int | list[int]]:
        """The time facts that are set, as JSON-ready values (busy as [start, end])."""
        return _set_facts(at=self.at, limit=self.limit, busy=self.busy)

    @property
    def message(self) -> str:
        """The warning in English (summary and bench only)."""
        return warning_message(self)


def warning_message(w: RouteWarning) -> str:
    """One English sentence for a route warning; the app renders codes itself."""
    who = w.candidate_id or "?"
    if w.code == "window_missed":
        return f"{who} would start at {_opt(w.at)}, outside its allowed times"
    if w.code == "busy_period":
        a, b = w.busy if w.busy is not None else (None, None)
        return f"{who} is busy from {_opt(a)} to {_opt(b)}"
    if w.code == "late_return":
        return f"back at {_opt(w.at)}, after {_opt(w.limit)}"
    if w.code == "lunch_missed":
        if w.at is None:
            return "no room for lunch in this day"
        return f"lunch starts at {hhmm(w.at)}, after its window"
    return f"unknown customer {who}"


def _opt(t: int | None) -> str:
    """HH:MM, or "?" for a fact the warning does not have."""
    return "?" if t is None else hhmm(t)


@dataclass(frozen=True, slots=True)
class RouteEvaluation:
    """Timing of a fixed order, with warnings instead of refusals."""

    rep_id: str
    stops: tuple[PlannedStop, ...]
    lunch_start: int | None
    return_time: int
    warnings: tuple[RouteWarning, ...]

    @property
    def feasible(self) -> bool:
        """No warnings at all."""
        return not self.warnings
