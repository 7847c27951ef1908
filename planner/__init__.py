"""Pure day and week planner: orienteering with time windows, checked by OR-Tools. No Flask, no
SQLModel, no fieldapp.

Contract used by the web app (`fieldapp/services/day/planning.py`):

- Times are integer seconds since local midnight of the plan's date; durations are seconds.
- `Location(lat, lon)`, `Window(start, end)`, `LunchBreak(duration, earliest_start, latest_end)`.
- `Rep(id, start, end, depart_after, return_by, travel_mode="car"|"bicycle"|"walking"|"transit", lunch=None)`.
- `Candidate(id, location, service, value, windows=(), busy=(), required=False, appointment=None)`:
  `windows` are allowed START windows (empty: any time), `busy` periods are avoided by the whole visit,
  `appointment` is a fixed start time (implies required), `reps` the ids of the reps who may make
  the visit when several reps share the candidates (empty: any; covering an absent rep keeps each
  teammate's own stops on their own route this way).
- `PlanRequest(reps, candidates, durations=None)`; `durations` overrides travel seconds over
  `request.locations()` = each rep's start and end, then the candidates.
- `PlanOptions(time_limit=1.0, iteration_limit=None, solution_limit=None, seed=0, polish=True, ...,
  osrm_url=None)`. With `time_limit=None, iteration_limit=N` the plan is deterministic.
- `plan_day(request, options) -> Plan`: `Plan.routes` (one `RoutePlan` per rep: `rep_id`, `depart_time`,
  `stops` of `PlannedStop(candidate_id, arrival, wait, start, end, travel_seconds, value)`, `lunch_start`,
  `lunch_end`, `return_time`, `travel_seconds`), `Plan.dropped` (`DroppedStop(candidate_id, reason_code,
  reason)`), `Plan.totals` (travel, visiting, waiting, value), `Plan.status` ("ok" or
  "required_dropped"), `Plan.notes` (e.g. road engine fallback), `summary()` (English, for people
  reading logs and the bench).
- Reasons are codes plus facts, never sentences: the app renders them in the reader's language.
  `Reason(code, busy_until, window, appointment)`, codes in `REASON_CODES`: busy_all_day,
  window_unreachable, no_time_left, appointment_conflict (which facts each carries: `Reason`).
  `.facts()` gives the set facts as JSON; `DroppedStop.message` is an English sentence for logs.
- `replan(request, rep_id=, at=Location | candidate id, now=, done_ids=, lunch_taken=False, options=)`.
- The week (one rep, several working days; each customer at most once): `WorkDay(date, depart_after,
  return_by, lunch=None)` (the date is a label; hours end before midnight), `WeekCandidate(id, location,
  service, day_values, windows=(), busy=(), day_busy=(), closed=(), required=False, appointment=None,
  max_detour=None)`: `day_values[d]` is the visit's value on day d (one per day), `windows`/`busy` hold
  every day, `day_busy[d]` adds day d's own busy periods (date ranges; empty or one tuple per day),
  `closed` are day indices, `appointment` is `(day index, start)`; `max_detour` (seconds) makes it a
  visit taken along only: left out of the search, then added where a day's route passes within that
  much added travel and has time left; `.best_day` is the first day of highest value.
  `WeekRequest(rep, days, candidates, durations=None, first_day_detour=None)`: the rep gives the places
  and travel mode (its hours and lunch are not used), `durations` is over `locations()` = rep start, rep
  end, candidates; `first_day_detour` (seconds) moves later visits to day 0 where they add at most that
  much travel and are worth no less; `.day_request(d, skip=())` is day d alone as a `PlanRequest`.
- `plan_week(request, options) -> WeekPlan`: the several-routes search with routes = days (day d on
  its own stretch of one time axis, values per customer and day), the same exact timing, and every
  day's route checked by OR-Tools on a day's model. `WeekPlan` is a `Plan` whose `routes` are the
  days in order (times since each day's midnight) with `dates`, `day(date)`, `moved` and `summary()`.
  `moved`: `MovedStop(candidate_id, code, day, best_day, value, best_value)` for every visit planned
  on another day than its best (days as dates), codes in `MOVE_CODES`: best_day_closed,
  best_day_busy, best_day_unreachable, best_day_full; `.facts()` and an English `.message`.
  Dropped candidates use the day's reason codes meaning "on any day" (busy_all_day: on every day;
  the facts of no_time_left are those of the candidate's best day).
- `warm_up()`: loads (the first time on a machine: compiles) the search's compiled inner loops; once
  per process, also done by the first plan before its clock starts.
- `evaluate_route(request, rep_id, ordered_candidate_ids) -> RouteEvaluation` (stops, lunch_start,
  return_time, warnings). `RouteWarning(code, candidate_id, at, limit, busy)`, codes in `WARNING_CODES`:
  window_missed, busy_period, late_return, lunch_missed, unknown_candidate (which facts each carries:
  `RouteWarning`); `.facts()` and an English `.message` as for reasons.
"""

from .api import evaluate_route, plan_day, plan_week, replan
from .matrix import TravelMatrix, geodesic_seconds, haversine_metres, travel_matrix
from .model import (
    Candidate,
    Location,
    LunchBreak,
    PlanOptions,
    PlanRequest,
    Rep,
    WeekCandidate,
    WeekRequest,
    Window,
    WorkDay,
)
from .result import (
    MOVE_CODES,
    REASON_CODES,
    WARNING_CODES,
    DroppedStop,
    MovedStop,
    Plan,
    PlannedStop,
    Reason,
    RouteEvaluation,
    RoutePlan,
    RouteWarning,
    WeekPlan,
)
from .solver import warm_up

__all__ = [
    "MOVE_CODES",
    "REASON_CODES",
    "WARNING_CODES",
    "Candidate",
    "DroppedStop",
    "Location",
    "LunchBreak",
    "MovedStop",
    "Plan",
    "PlanOptions",
    "PlanRequest",
    "PlannedStop",
    "Reason",
    "Rep",
    "RouteEvaluation",
    "RoutePlan",
    "RouteWarning",
    "TravelMatrix",
    "WeekCandidate",
    "WeekPlan",
    "WeekRequest",
    "Window",
    "WorkDay",
    "evaluate_route",
    "geodesic_seconds",
    "haversine_metres",
    "plan_day",
    "plan_week",
    "replan",
    "travel_matrix",
    "warm_up",
]
