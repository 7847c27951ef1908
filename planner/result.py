"""Planner output: Plan, RoutePlan, PlannedStop, DroppedStop (with a reason a rep understands)."""

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
LANGS = ("en", "ja")


def hhmm(t: int) -> str:
    """Seconds since midnight as HH:MM (24 h, may exceed 24 for the next day)."""
    return f"{t // 3600:02d}:{t % 3600 // 60:02d}"


@dataclass(frozen=True, slots=True)
class Reason:
    """A machine code plus the facts a sentence is built from (times in seconds)."""

    code: str
    busy_until: int | None = None  # end of the busy period / window that blocks the visit
    window: tuple[int, int] | None = None  # the allowed start window that matters
    appointment: int | None = None

    def __post_init__(self) -> None:
        if self.code not in REASON_CODES:
            raise ValueError(f"unknown reason code {self.code!r}")


def reason_message(reason: Reason, lang: str = "en") -> str:
    """One sentence for the rep, English or Japanese."""
    if lang not in LANGS:
        raise ValueError(f"lang must be one of {LANGS}")
    ja = lang == "ja"
    pre = ""
    if reason.busy_until is not None:
        pre = (
            f"{hhmm(reason.busy_until)}まで対応不可のため、"
            if ja
            else f"busy until {hhmm(reason.busy_until)}; "
        )
    elif reason.window is not None:
        a, b = reason.window
        pre = (
            f"訪問可能な時間が{hhmm(a)}〜{hhmm(b)}のみのため、"
            if ja
            else f"can only be visited from {hhmm(a)} to {hhmm(b)}; "
        )
    if reason.code == "busy_all_day":
        return (
            "営業時間中はずっと対応不可です" if ja else "busy or closed for the whole working day"
        )
    if reason.code == "window_unreachable":
        if reason.appointment is not None:
            t = hhmm(reason.appointment)
            return (
                f"{t}の約束の時刻に間に合いません"
                if ja
                else f"the appointment at {t} cannot be reached in time"
            )
        return (
            pre + "今日の行程では時間内に到着できません"
            if ja
            else pre + "cannot be reached in time within today's working hours"
        )
    if reason.code == "appointment_conflict":
        if reason.appointment is None:
            return (
                "他の必須訪問・昼休み・帰着時刻と両立しません"
                if ja
                else "this required visit does not fit with the other required visits, lunch or the return time"
            )
        t = hhmm(reason.appointment)
        return (
            f"{t}の約束が他の約束・昼休み・帰着時刻と両立しません"
            if ja
            else f"the appointment at {t} clashes with other appointments, lunch or the return time"
        )
    return (
        pre + "より優先度の高い訪問の後に時間が残っていません"
        if ja
        else pre + "no time left after the visits with higher value"
    )


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
    """A candidate left out of the plan, with a reason code and a sentence."""

    candidate_id: str
    reason_code: str
    reason: Reason

    def message(self, lang: str = "en") -> str:
        """Why it was dropped, in the rep's language ("en" or "ja")."""
        return reason_message(self.reason, lang)


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

    def summary(self, lang: str = "en") -> str:
        """A readable multi-line description of the plan."""
        ja = lang == "ja"
        lines = [
            f"status {self.status}; value {self.value:g}; stops {sum(len(r.stops) for r in self.routes)};"
            f" travel {self.totals.get('travel', 0) / 60:.0f} min;"
            f" waiting {self.totals.get('waiting', 0) / 60:.0f} min"
        ]
        for r in self.routes:
            lines.append(f"[{r.rep_id}] depart {hhmm(r.depart_time)}")
            lunch_done = r.lunch_start is None
            for s in r.stops:
                if not lunch_done and r.lunch_start is not None and r.lunch_start < s.start:
                    lines.append(f"  {hhmm(r.lunch_start)} {'昼休み' if ja else 'lunch'}")
                    lunch_done = True
                lines.append(
                    f"  {hhmm(s.start)}-{hhmm(s.end)} {s.candidate_id} (value {s.value:g})"
                )
            if not lunch_done and r.lunch_start is not None:
                lines.append(f"  {hhmm(r.lunch_start)} {'昼休み' if ja else 'lunch'}")
            lines.append(f"  return {hhmm(r.return_time)}")
        for d in self.dropped:
            lines.append(f"  - {d.candidate_id}: {d.message(lang)} [{d.reason_code}]")
        for n in self.notes:
            lines.append(f"note: {n}")
        return "\n".join(lines)


@dataclass(frozen=True, slots=True)
class RouteWarning:
    """Something wrong with a hand-made order: code, the stop concerned, and a sentence."""

    code: str  # window_missed | busy_period | late_return | lunch_missed | unknown_candidate
    candidate_id: str | None
    message_en: str
    message_ja: str

    def message(self, lang: str = "en") -> str:
        """The warning in the rep's language."""
        return self.message_ja if lang == "ja" else self.message_en


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
