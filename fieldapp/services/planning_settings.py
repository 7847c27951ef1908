"""Each rep's planning settings, with the team's defaults filled in: the one place the planner reads them.

Where the day starts and ends (the team's office, the rep's home or a pin; the end may differ), the working
weekdays, the hours, lunch (its length and the window it may start in), the travel mode and the usual
number of visits a day (a soft cap). A rep who has set nothing plans from the team's office, Monday to
Friday, with lunch starting between 11:00 and 14:00 minus its length (the window the planner always used).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session

from ..errors import Forbidden, NotFound, StaleEdit, ValidationError
from ..models import PlaceKind, Team, TravelMode, User
from . import audit

DEFAULT_WEEKDAYS = (0, 1, 2, 3, 4)  # Monday to Friday
LUNCH_EARLIEST_DEFAULT = 11 * 60
LUNCH_LATEST_END_DEFAULT = 14 * 60
DAY_MINUTES = 24 * 60
MAX_LUNCH_MINUTES = 180
MAX_VISITS_PER_DAY = 40
# The fields update_settings accepts, as stored on User (weekdays as a list of ints).
SETTINGS_FIELDS = (
    "start_kind",
    "start_label",
    "start_lat",
    "start_lon",
    "end_kind",
    "end_label",
    "end_lat",
    "end_lon",
    "home_label",
    "home_lat",
    "home_lon",
    "working_weekdays",
    "work_start_min",
    "work_end_min",
    "lunch_minutes",
    "lunch_earliest_min",
    "lunch_latest_min",
    "travel_mode",
    "visits_per_day",
)


@dataclass(frozen=True)
class Place:
    """A start or end of the day: which kind of place, its name and where it is."""

    kind: str
    label: str | None
    lat: float
    lon: float

    def pair(self) -> tuple[float, float]:
        return (self.lat, self.lon)


@dataclass(frozen=True)
class RepPlanningSettings:
    """A rep's settings as the planner uses them; `defaults` names the ones taken from the team or app."""

    rep_id: int
    start_kind: (
        str | None
    )  # None: nothing set and no team office (the planner uses the customers' middle)
    start: Place | None
    end_kind: str | None  # None: back where the day started
    end: Place | None
    home: Place | None
    working_weekdays: tuple[int, ...]
    day_start_min: int
    day_end_min: int
    lunch_minutes: int
    lunch_earliest_min: int
    lunch_latest_min: int  # the latest start
    travel_mode: str
    visits_per_day: int | None
    version: int
    defaults: frozenset[str]

    def works_on(self, day: date) -> bool:
        return day.weekday() in self.working_weekdays

    @property
    def lunch_latest_end_min(self) -> int:
        return self.lunch_latest_min + self.lunch_minutes


def _point(lat: float | None, lon: float | None) -> bool:
    return lat is not None and lon is not None


def _office(team: Team) -> Place | None:
    if not _point(team.office_lat, team.office_lon):
        return None
    return Place(PlaceKind.OFFICE, team.office_label, team.office_lat, team.office_lon)


def _home(user: User) -> Place | None:
    if not _point(user.home_lat, user.home_lon):
        return None
    return Place(PlaceKind.HOME, user.home_label, user.home_lat, user.home_lon)


def _place(kind: str | None, *, team: Team, user: User, pin: Place | None) -> Place | None:
    if kind == PlaceKind.OFFICE:
        return _office(team)
    if kind == PlaceKind.HOME:
        return _home(user)
    return pin


def settings_for(session: Session, user: User) -> RepPlanningSettings:
    """The rep's settings with the team's defaults filled in (no query beyond the team row)."""
    team = session.get(Team, user.team_id)
    defaults: set[str] = set()
    start_pin = (
        Place(PlaceKind.PIN, user.start_label, user.start_lat, user.start_lon)
        if _point(user.start_lat, user.start_lon)
        else None
    )
    start_kind = user.start_kind
    if start_kind is None:
        # Before settings existed a saved start place was a pin; otherwise the team's office.
        defaults.add("start")
        start_kind = PlaceKind.PIN if start_pin else (PlaceKind.OFFICE if _office(team) else None)
    start = _place(start_kind, team=team, user=user, pin=start_pin)
    end_pin = (
        Place(PlaceKind.PIN, user.end_label, user.end_lat, user.end_lon)
        if _point(user.end_lat, user.end_lon)
        else None
    )
    end_kind = user.end_kind or (PlaceKind.PIN if end_pin else None)
    end = _place(end_kind, team=team, user=user, pin=end_pin) if end_kind else None
    weekdays = tuple(sorted({int(d) for d in user.working_weekdays or "" if d in "0123456"}))
    if not weekdays:
        defaults.add("working_weekdays")
        weekdays = DEFAULT_WEEKDAYS
    lunch_earliest = user.lunch_earliest_min
    if lunch_earliest is None:
        defaults.add("lunch_window")
        lunch_earliest = LUNCH_EARLIEST_DEFAULT
    lunch_latest = user.lunch_latest_min
    if lunch_latest is None:
        lunch_latest = max(lunch_earliest, LUNCH_LATEST_END_DEFAULT - user.lunch_minutes)
    mode = user.travel_mode if user.travel_mode in set(TravelMode) else TravelMode.CAR
    return RepPlanningSettings(
        rep_id=user.id,
        start_kind=start_kind,
        start=start,
        end_kind=user.end_kind,
        end=end or start,
        home=_home(user),
        working_weekdays=weekdays,
        day_start_min=user.work_start_min,
        day_end_min=max(user.work_end_min, user.work_start_min),
        lunch_minutes=max(0, user.lunch_minutes),
        lunch_earliest_min=lunch_earliest,
        lunch_latest_min=lunch_latest,
        travel_mode=str(mode),
        visits_per_day=user.visits_per_day,
        version=user.settings_version,
        defaults=frozenset(defaults),
    )


def working_days(settings: RepPlanningSettings, start: date, count: int) -> list[date]:
    """The next `count` working days of the rep from `start` (included when it is one)."""
    if count <= 0:
        return []
    out: list[date] = []
    day = start
    while len(out) < count:
        if settings.works_on(day):
            out.append(day)
        day += timedelta(days=1)
    return out


# --- changing them -----------------------------------------------------------------------------------


def check_can_edit(actor: User, user: User) -> None:
    """A rep edits their own settings; a manager those of their own team (404 across teams)."""
    if user.team_id != actor.team_id:
        raise NotFound(_("User not found."))
    if user.id != actor.id and not actor.is_manager:
        raise Forbidden(_("Only managers can do this."))


def _minutes(
    errors: dict[str, str], name: str, value: Any, *, optional: bool = False
) -> int | None:
    if value is None or value == "":
        if not optional:
            errors[name] = _("Please enter a time.")
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= DAY_MINUTES:
        errors[name] = _("Please enter a time between 0:00 and 24:00.")
        return None
    return value


def _coordinates(errors: dict[str, str], prefix: str, lat: Any, lon: Any) -> bool:
    """True when both are valid degrees; an error on `<prefix>_lat` when given but wrong."""
    if lat is None and lon is None:
        return False
    try:
        la, lo = float(lat), float(lon)
    except (TypeError, ValueError):
        la = lo = float("nan")
    if not (-90 <= la <= 90 and -180 <= lo <= 180) or (la == 0 and lo == 0):
        errors[f"{prefix}_lat"] = _("This position is not a valid place.")
        return False
    return True


def _check(values: dict[str, Any], *, user: User, team: Team) -> dict[str, Any]:
    """The values as they will be stored, or ValidationError naming every wrong field."""
    errors: dict[str, str] = {}
    clean: dict[str, Any] = {}
    for prefix in ("start", "end", "home"):
        label = (values.get(f"{prefix}_label") or "").strip() or None
        if label is not None and len(label) > 200:
            errors[f"{prefix}_label"] = _("At most %(n)d characters.", n=200)
        has_point = _coordinates(
            errors, prefix, values.get(f"{prefix}_lat"), values.get(f"{prefix}_lon")
        )
        clean[f"{prefix}_label"] = label
        clean[f"{prefix}_lat"] = float(values[f"{prefix}_lat"]) if has_point else None
        clean[f"{prefix}_lon"] = float(values[f"{prefix}_lon"]) if has_point else None
    kinds = {str(k) for k in PlaceKind}
    home_known = _point(clean["home_lat"], clean["home_lon"])
    for prefix in ("start", "end"):
        kind = values.get(f"{prefix}_kind") or None
        if prefix == "start" and kind is None:
            kind = PlaceKind.OFFICE
        if kind is not None and kind not in kinds:
            errors[f"{prefix}_kind"] = _("Please choose a place.")
        elif kind == PlaceKind.OFFICE and not _point(team.office_lat, team.office_lon):
            errors[f"{prefix}_kind"] = _("The team has no office yet; choose home or a place.")
        elif kind == PlaceKind.HOME and not home_known:
            errors["home_lat"] = _("Set where your home is first.")
        elif kind == PlaceKind.PIN and not _point(clean[f"{prefix}_lat"], clean[f"{prefix}_lon"]):
            errors.setdefault(f"{prefix}_lat", _("Use your position or enter an address."))
        clean[f"{prefix}_kind"] = kind
    weekdays = values.get("working_weekdays") or []
    try:
        days = sorted({int(d) for d in weekdays})
    except (TypeError, ValueError):
        days = [-1]
    if not days or any(not 0 <= d <= 6 for d in days):
        errors["working_weekdays"] = _("Choose at least one working day.")
    clean["working_weekdays"] = "".join(str(d) for d in days)
    start = _minutes(errors, "work_start_min", values.get("work_start_min"))
    end = _minutes(errors, "work_end_min", values.get("work_end_min"))
    if start is not None and end is not None and end - start < 60:
        errors["work_end_min"] = _("The day must end at least an hour after it starts.")
    clean["work_start_min"], clean["work_end_min"] = start, end
    lunch = values.get("lunch_minutes")
    if isinstance(lunch, bool) or not isinstance(lunch, int) or not 0 <= lunch <= MAX_LUNCH_MINUTES:
        errors["lunch_minutes"] = _("Lunch is 0 to %(n)d minutes.", n=MAX_LUNCH_MINUTES)
        lunch = None
    clean["lunch_minutes"] = lunch
    earliest = _minutes(
        errors, "lunch_earliest_min", values.get("lunch_earliest_min"), optional=True
    )
    latest = _minutes(errors, "lunch_latest_min", values.get("lunch_latest_min"), optional=True)
    if (earliest is None) != (latest is None) and "lunch_latest_min" not in errors:
        errors["lunch_latest_min"] = _("Give both ends of the lunch window, or neither.")
    elif earliest is not None and latest is not None:
        if latest < earliest:
            errors["lunch_latest_min"] = _("The latest lunch start is before the earliest.")
        elif (
            lunch
            and start is not None
            and end is not None
            and (earliest < start or latest + lunch > end)
        ):
            errors["lunch_earliest_min"] = _("Lunch must fit within the working hours.")
    clean["lunch_earliest_min"], clean["lunch_latest_min"] = earliest, latest
    mode = values.get("travel_mode")
    if mode not in {str(m) for m in TravelMode}:
        errors["travel_mode"] = _("Please choose how you travel.")
    clean["travel_mode"] = mode
    visits = values.get("visits_per_day")
    if visits in ("", 0):
        visits = None
    if visits is not None and (
        isinstance(visits, bool)
        or not isinstance(visits, int)
        or not 1 <= visits <= MAX_VISITS_PER_DAY
    ):
        errors["visits_per_day"] = _("Between 1 and %(n)d visits.", n=MAX_VISITS_PER_DAY)
    clean["visits_per_day"] = visits
    if errors:
        first = next(iter(errors.values()))
        raise ValidationError(first, errors=errors)
    return clean


def update_settings(
    session: Session, *, actor: User, user: User, version: int, **values: Any
) -> User:
    """Check and save a rep's planning settings (all of them, as a form sends them); audited.

    Refused with StaleEdit when someone saved since `version` was read; with ValidationError naming the
    fields when a value is wrong. Nothing is changed on a refusal.
    """
    check_can_edit(actor, user)
    unknown = set(values) - set(SETTINGS_FIELDS)
    if unknown:
        raise ValueError(f"unknown settings: {sorted(unknown)}")
    if version != user.settings_version:
        raise StaleEdit(
            _("These settings were changed by someone else. Please check and try again.")
        )
    team = session.get(Team, user.team_id)
    clean = _check(values, user=user, team=team)
    before = audit.snapshot(user, SETTINGS_FIELDS)
    for name, value in clean.items():
        setattr(user, name, value)
    user.settings_version += 1
    audit.Trail(session, actor, user.team_id).flushed(
        "user", user, before, SETTINGS_FIELDS, action="settings"
    )
    return user


def settings_values(user: User) -> dict[str, Any]:
    """The stored settings as update_settings takes them (to change one and save the rest as they are)."""
    values = {name: getattr(user, name) for name in SETTINGS_FIELDS}
    values["working_weekdays"] = [int(d) for d in (user.working_weekdays or "01234")]
    return values


def set_team_office(
    session: Session, *, actor: User, label: str | None, lat: float, lon: float
) -> Team:
    """A manager sets the team's office (the default start and end of every rep's day)."""
    if not actor.is_manager:
        raise Forbidden(_("Only managers can do this."))
    errors: dict[str, str] = {}
    if not _coordinates(errors, "office", lat, lon):
        raise ValidationError(_("This position is not a valid place."), errors=errors)
    team = session.get(Team, actor.team_id)
    fields = ("office_label", "office_lat", "office_lon")
    before = audit.snapshot(team, fields)
    team.office_label = (label or "").strip()[:200] or None
    team.office_lat, team.office_lon = float(lat), float(lon)
    audit.Trail(session, actor, team.id).flushed("team", team, before, fields)
    return team
