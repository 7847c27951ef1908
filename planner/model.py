"""Planner input: frozen dataclasses in domain units (seconds since local midnight, metres, lat/lon)."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

DAY = 24 * 3600
# "transit" is public transport, estimated as a slower door-to-door speed (walk, wait, ride).
TRAVEL_MODES = ("car", "bicycle", "walking", "transit")


def _check_time(name: str, value: int, *, allow_negative: bool = False) -> None:
    """Refuse non-integer or out-of-range times early, with the field name in the message."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise TypeError(f"{name} must be an int (seconds), got {value!r}")
    if value < 0 and not allow_negative:
        raise ValueError(f"{name} must be >= 0, got {value}")


def _check_degrees(name: str, value: float, limit: float) -> None:
    """Refuse a coordinate that is not a finite number within ±limit degrees."""
    if not (math.isfinite(value) and -limit <= value <= limit):
        raise ValueError(f"{name} out of range: {value!r}")


def _durations(durations: Sequence[Sequence[int]], size: int) -> tuple[tuple[int, ...], ...]:
    """A travel-time override as a square tuple matrix of non-negative seconds over `size` places."""
    m = tuple(tuple(int(x) for x in row) for row in durations)
    if len(m) != size or any(len(row) != size for row in m):
        raise ValueError(f"durations must be a {size}x{size} matrix over locations()")
    if any(x < 0 for row in m for x in row):
        raise ValueError("durations must be >= 0")
    return m


def _check_hours(kind: str, who: str, depart_after: int, return_by: int) -> None:
    """A day's hours: whole seconds, and the latest return not before the departure."""
    _check_time(f"{kind}.depart_after", depart_after)
    _check_time(f"{kind}.return_by", return_by)
    if return_by < depart_after:
        raise ValueError(f"{who}: return_by is before depart_after")


def _unique(ids: Sequence[str], what: str) -> None:
    """Refuse repeated ids (they are how results are matched back)."""
    if len(set(ids)) != len(ids):
        raise ValueError(f"{what} ids must be unique")


def _check_visit(c: Candidate | WeekCandidate, more_busy: Sequence[Window] = ()) -> None:
    """What every candidate needs: an id, a visit length, and windows and busy periods as tuples of
    Window (tuples, not lists, keep the dataclass hashable and truly frozen)."""
    if not c.id:
        raise ValueError("candidate id must not be empty")
    _check_time(f"Candidate {c.id} service", c.service)
    object.__setattr__(c, "windows", tuple(c.windows))
    object.__setattr__(c, "busy", tuple(c.busy))
    for w in (*c.windows, *c.busy, *more_busy):
        if not isinstance(w, Window):
            raise TypeError(f"candidate {c.id}: windows and busy must be Window objects")


@dataclass(frozen=True, slots=True)
class Location:
    """A point on the earth in decimal degrees (WGS84)."""

    lat: float
    lon: float

    def __post_init__(self) -> None:
        _check_degrees("latitude", self.lat, 90.0)
        _check_degrees("longitude", self.lon, 180.0)


@dataclass(frozen=True, slots=True)
class Window:
    """A closed time interval [start, end] in seconds since local midnight."""

    start: int
    end: int

    def __post_init__(self) -> None:
        _check_time("Window.start", self.start)
        _check_time("Window.end", self.end)
        if self.end < self.start:
            raise ValueError(f"window ends before it starts: {self.start}..{self.end}")

    def contains(self, t: int) -> bool:
        """True when t lies inside the window (both ends included)."""
        return self.start <= t <= self.end


@dataclass(frozen=True, slots=True)
class LunchBreak:
    """A break of `duration` seconds that must lie wholly within [earliest_start, latest_end]."""

    duration: int
    earliest_start: int
    latest_end: int

    def __post_init__(self) -> None:
        _check_time("LunchBreak.duration", self.duration)
        _check_time("LunchBreak.earliest_start", self.earliest_start)
        _check_time("LunchBreak.latest_end", self.latest_end)
        if self.duration <= 0:
            raise ValueError("lunch duration must be positive")
        if self.earliest_start + self.duration > self.latest_end:
            raise ValueError("lunch window is shorter than the lunch itself")

    @property
    def latest_start(self) -> int:
        """The last second at which lunch may begin."""
        return self.latest_end - self.duration


@dataclass(frozen=True, slots=True)
class Rep:
    """A sales rep's day: where it starts and ends, when, how the rep travels, and lunch."""

    id: str
    start: Location
    end: Location
    depart_after: int
    return_by: int
    travel_mode: str = "car"
    lunch: LunchBreak | None = None

    def __post_init__(self) -> None:
        if not self.id:
            raise ValueError("rep id must not be empty")
        _check_hours("Rep", f"rep {self.id}", self.depart_after, self.return_by)
        if self.travel_mode not in TRAVEL_MODES:
            raise ValueError(f"rep {self.id}: travel_mode must be one of {TRAVEL_MODES}")


@dataclass(frozen=True, slots=True)
class Candidate:
    """A customer that could be visited today.

    `windows` are allowed START windows (empty: any time in the rep's day); `busy` are periods the whole
    visit must avoid; `appointment` is a fixed start time and implies `required`. `reps` are the ids of
    the reps who may make the visit when several reps share the pool (empty: any of them), so a rep's
    own stops stay theirs while a shared pool is spread over the others.
    """

    id: str
    location: Location
    service: int
    value: float
    windows: tuple[Window, ...] = ()
    busy: tuple[Window, ...] = ()
    required: bool = False
    appointment: int | None = None
    reps: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        _check_visit(self)
        object.__setattr__(self, "reps", tuple(self.reps))
        if not math.isfinite(self.value) or self.value < 0:
            raise ValueError(f"candidate {self.id}: value must be a finite number >= 0")
        if self.appointment is not None:
            _check_time(f"Candidate {self.id} appointment", self.appointment)

    @property
    def is_required(self) -> bool:
        """Appointments are always required."""
        return self.required or self.appointment is not None


@dataclass(frozen=True, slots=True)
class PlanRequest:
    """Everything needed to plan one day for one or more reps sharing one pool of candidates.

    `durations` optionally overrides travel times: a square matrix of seconds over `locations()`, that is
    each rep's start then end (in rep order), followed by the candidates in order.
    """

    reps: tuple[Rep, ...]
    candidates: tuple[Candidate, ...]
    durations: tuple[tuple[int, ...], ...] | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "reps", tuple(self.reps))
        object.__setattr__(self, "candidates", tuple(self.candidates))
        if not self.reps:
            raise ValueError("a plan needs at least one rep")
        _unique([r.id for r in self.reps], "rep")
        _unique([c.id for c in self.candidates], "candidate")
        known = {r.id for r in self.reps}
        for c in self.candidates:
            if not known.issuperset(c.reps):
                raise ValueError(f"candidate {c.id}: unknown rep in reps {c.reps}")
        if self.durations is not None:
            object.__setattr__(self, "durations", _durations(self.durations, len(self.locations())))

    def locations(self) -> list[Location]:
        """Matrix order: each rep's start and end, then the candidates."""
        out: list[Location] = []
        for r in self.reps:
            out += [r.start, r.end]
        out += [c.location for c in self.candidates]
        return out

    def rep(self, rep_id: str) -> Rep:
        """The rep with this id (KeyError when unknown)."""
        for r in self.reps:
            if r.id == rep_id:
                return r
        raise KeyError(rep_id)


@dataclass(frozen=True, slots=True)
class WorkDay:
    """One working day of a week plan: its date (a label) and the rep's hours and lunch that day."""

    date: str
    depart_after: int
    return_by: int
    lunch: LunchBreak | None = None

    def __post_init__(self) -> None:
        if not self.date:
            raise ValueError("a working day needs a date")
        _check_hours("WorkDay", f"day {self.date}", self.depart_after, self.return_by)
        # each day lives on its own stretch of the week's time axis: it must end before midnight
        if self.return_by >= DAY:
            raise ValueError(f"day {self.date}: return_by must be before 24:00")


@dataclass(frozen=True, slots=True)
class WeekCandidate:
    """A customer that could be visited on one of the week's days (at most once in the week).

    `day_values[d]` is what the visit is worth on day d (one per day: the app raises the days before a
    busy season or past the due date). Every day: `windows` are allowed START windows (empty: any time)
    and `busy` periods the whole visit avoids; `day_busy[d]` adds day d's own busy periods (date ranges,
    empty tuple: none); `closed` lists the day indices with no visit at all; `appointment` is
    (day index, start time), fixed, and implies `required`.

    `max_detour` (seconds of travel) makes the visit one taken along only: it never makes room for
    itself; after the week is planned it goes into the room left on a day where it adds at most this
    much travel (a customer not due yet, visited now because the route passes by it).
    """

    id: str
    location: Location
    service: int
    day_values: tuple[float, ...]
    windows: tuple[Window, ...] = ()
    busy: tuple[Window, ...] = ()
    day_busy: tuple[tuple[Window, ...], ...] = ()
    closed: tuple[int, ...] = ()
    required: bool = False
    appointment: tuple[int, int] | None = None
    max_detour: int | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "day_busy", tuple(tuple(d) for d in self.day_busy))
        if self.max_detour is not None:
            _check_time(f"Candidate {self.id} max_detour", self.max_detour)
            if self.is_required:
                raise ValueError(
                    f"candidate {self.id}: a required visit cannot be taken along only"
                )
        _check_visit(self, [w for d in self.day_busy for w in d])
        object.__setattr__(self, "day_values", tuple(float(v) for v in self.day_values))
        if any(not math.isfinite(v) or v < 0 for v in self.day_values):
            raise ValueError(f"candidate {self.id}: day values must be finite numbers >= 0")
        object.__setattr__(self, "closed", tuple(sorted(set(self.closed))))
        if self.appointment is not None:
            day, at = self.appointment
            _check_time(f"Candidate {self.id} appointment", at)
            if day in self.closed:
                raise ValueError(f"candidate {self.id}: appointment on a closed day")

    @property
    def is_required(self) -> bool:
        """Appointments are always required."""
        return self.required or self.appointment is not None

    @property
    def best_day(self) -> int:
        """The first day on which the visit is worth most."""
        return max(range(len(self.day_values)), key=lambda d: (self.day_values[d], -d))

    def busy_on(self, day: int) -> tuple[Window, ...]:
        """Every busy period of one day: the weekly ones and that day's own."""
        return self.busy + (self.day_busy[day] if self.day_busy else ())


@dataclass(frozen=True, slots=True)
class WeekRequest:
    """One rep's working days and the customers that could be visited on one of them.

    The rep gives the start and end places and the travel mode (its own hours and lunch are not used:
    every day has its own). `durations` optionally overrides travel times over `locations()`: the
    rep's start and end, then the candidates.

    `first_day_detour` (seconds of travel): once the week is planned, a visit of a later day moves to
    the first day when it adds at most this much travel there and is worth no less there. The first
    day is the one the rep drives next; the later ones are planned again before they come, and a
    customer visited while the route passes by needs no trip of its own later.
    """

    rep: Rep
    days: tuple[WorkDay, ...]
    candidates: tuple[WeekCandidate, ...]
    durations: tuple[tuple[int, ...], ...] | None = None
    first_day_detour: int | None = None

    def __post_init__(self) -> None:
        if not self.days:
            raise ValueError("a week needs at least one working day")
        object.__setattr__(self, "days", tuple(self.days))
        object.__setattr__(self, "candidates", tuple(self.candidates))
        _unique([d.date for d in self.days], "day date")
        for c in self.candidates:
            self._check_days(c)
        _unique([c.id for c in self.candidates], "candidate")
        if self.durations is not None:
            object.__setattr__(self, "durations", _durations(self.durations, len(self.locations())))
        if self.first_day_detour is not None:
            _check_time("WeekRequest.first_day_detour", self.first_day_detour)

    def _check_days(self, c: WeekCandidate) -> None:
        """A candidate's days must be the week's: one value (and day_busy entry) per day."""
        nd = len(self.days)
        if len(c.day_values) != nd:
            raise ValueError(f"candidate {c.id}: one day value per working day ({nd})")
        if c.day_busy and len(c.day_busy) != nd:
            raise ValueError(f"candidate {c.id}: day_busy needs one entry per working day")
        if any(not 0 <= d < nd for d in c.closed):
            raise ValueError(f"candidate {c.id}: closed day out of range")
        if c.appointment is not None and not 0 <= c.appointment[0] < nd:
            raise ValueError(f"candidate {c.id}: appointment day out of range")

    def locations(self) -> list[Location]:
        """Matrix order: the rep's start and end, then the candidates."""
        return [self.rep.start, self.rep.end] + [c.location for c in self.candidates]

    def day_request(self, day: int, skip: Sequence[str] = ()) -> PlanRequest:
        """Day `day` alone as a day's request: the customers open that day (appointments only on
        theirs, none of `skip`), each at its value that day, with that day's busy periods."""
        wd, rep = self.days[day], self.rep
        keep = [
            i
            for i, c in enumerate(self.candidates)
            if day not in c.closed
            and c.id not in skip
            and (c.appointment is None or c.appointment[0] == day)
        ]
        cands = []
        for i in keep:
            c = self.candidates[i]
            at = None if c.appointment is None else c.appointment[1]
            cands.append(
                Candidate(
                    c.id,
                    c.location,
                    c.service,
                    c.day_values[day],
                    c.windows,
                    c.busy_on(day),
                    c.required,
                    at,
                )  # fmt: skip
            )
        durations = None
        if self.durations is not None:
            idx = [0, 1] + [2 + i for i in keep]
            durations = tuple(tuple(self.durations[a][b] for b in idx) for a in idx)
        day_rep = Rep(
            rep.id, rep.start, rep.end, wd.depart_after, wd.return_by, rep.travel_mode, wd.lunch
        )
        return PlanRequest((day_rep,), tuple(cands), durations)


@dataclass(frozen=True, slots=True)
class PlanOptions:
    """Search settings. With `iteration_limit` (and no `time_limit`) the plan is fully deterministic."""

    time_limit: float | None = 1.0
    iteration_limit: int | None = None
    solution_limit: int | None = None
    seed: int = 0
    # OR-Tools loads every plan into its routing model (the independent check); with a share of the
    # time limit it also searches from it. Measured on 20 realistic days at 0.5 s: with a 20 % share it
    # shortened 2 plans, to exactly the plans the ILS finds with the whole budget; it never added value.
    # So by default the whole budget goes to the ILS and OR-Tools only checks.
    polish: bool = True
    polish_share: float = 0.0
    detour_factor: float = 1.3
    speeds_kmh: tuple[tuple[str, float], ...] = field(
        default=(("car", 30.0), ("bicycle", 14.0), ("walking", 4.5), ("transit", 12.0))
    )
    osrm_url: str | None = None
    osrm_timeout: float = 2.0

    def __post_init__(self) -> None:
        if self.time_limit is None and self.iteration_limit is None:
            raise ValueError("set time_limit or iteration_limit so the search ends")
        if self.time_limit is not None and self.time_limit <= 0:
            raise ValueError("time_limit must be positive")
        if self.iteration_limit is not None and self.iteration_limit < 0:
            raise ValueError("iteration_limit must be >= 0")
        if self.solution_limit is not None and self.solution_limit < 0:
            raise ValueError("solution_limit must be >= 0")
        if not 0.0 <= self.polish_share < 1.0:
            raise ValueError("polish_share must be in [0, 1)")
        if self.detour_factor < 1.0:
            raise ValueError("detour_factor must be >= 1")
        object.__setattr__(self, "speeds_kmh", tuple(tuple(x) for x in self.speeds_kmh))
        for mode, speed in self.speeds_kmh:
            if speed <= 0:
                raise ValueError(f"speed for {mode} must be positive")

    def speed(self, mode: str) -> float:
        """Speed in km/h for a travel mode."""
        return dict(self.speeds_kmh)[mode]
