"""One rep's day as a route: the stops in order with times and places, and where the day starts and ends.

Shared by the map of the day and the calendar, so both show the same order and the same times as the
Today page. Reading only: nothing here changes a plan.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from flask_babel import gettext as _
from sqlmodel import Session, select

from ...errors import NotFound
from ...models import Customer, DayPlan, DayPlanStop, User, Visit, VisitStatus
from ..planning_settings import settings_for
from .candidates import reasons_text
from .plans import get_plan, plan_stops


@dataclass(frozen=True)
class Place:
    """The start or end of the day (home or office)."""

    label: str
    lat: float
    lon: float


@dataclass(frozen=True)
class RouteStop:
    """One stop as the map and the calendar show it; `number` is its place in the day, from 1."""

    number: int
    stop: DayPlanStop
    customer: Customer
    state: str
    why: str

    @property
    def located(self) -> bool:
        return self.customer.lat is not None and self.customer.lon is not None


@dataclass
class DayRoute:
    rep: User
    day: date
    plan: DayPlan | None
    stops: list[RouteStop] = field(default_factory=list)
    start: Place | None = None
    end: Place | None = None

    @property
    def located_stops(self) -> list[RouteStop]:
        return [s for s in self.stops if s.located]


def viewable_rep(session: Session, *, actor: User, rep_id: int | None) -> User:
    """Whose day the actor may look at: their own, or (managers) a rep of their own team; else 404."""
    if rep_id is None or rep_id == actor.id:
        return actor
    rep = session.get(User, rep_id)
    # A rep asking for a colleague's day and a manager asking across teams get the same answer as a
    # missing user, so the URL does not reveal who exists.
    if rep is None or not actor.is_manager or rep.team_id != actor.team_id:
        raise NotFound(_("There is no such day to show."))
    return rep


def rep_places(session: Session, rep: User) -> tuple[Place | None, Place | None]:
    """The start and end of the rep's day by their planning settings (the end defaults to the start)."""
    settings = settings_for(session, rep)
    labels = {"office": _("The office"), "home": _("Home")}
    places = []
    for place, fallback in ((settings.start, _("Start")), (settings.end, _("End"))):
        if place is None:
            places.append(None)
            continue
        places.append(Place(place.label or labels.get(place.kind, fallback), place.lat, place.lon))
    return places[0], places[1]


def route_stops(
    session: Session, *, plan: DayPlan, today: date, stops: list[DayPlanStop] | None = None
) -> list[RouteStop]:
    """The plan's stops in order with their customers, state (a logged visit counts as done) and why."""
    stops = plan_stops(session, plan) if stops is None else stops
    ids = {s.customer_id for s in stops}
    customers = (
        {c.id: c for c in session.exec(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    )
    visit_ids = [s.visit_id for s in stops if s.visit_id]
    done_visits = (
        set(
            session.exec(
                select(Visit.id).where(Visit.id.in_(visit_ids), Visit.status == VisitStatus.DONE)
            )
        )
        if visit_ids
        else set()
    )
    out = []
    for number, stop in enumerate(stops, start=1):
        customer = customers.get(stop.customer_id)
        if customer is None:
            continue
        state = VisitStatus.DONE if stop.visit_id in done_visits else stop.state
        reasons = json.loads(stop.reasons) if stop.reasons else []
        out.append(
            RouteStop(
                number=number,
                stop=stop,
                customer=customer,
                state=str(state),
                why=reasons_text(reasons, today=today),
            )
        )
    return out


def day_route(session: Session, *, rep: User, day: date, today: date) -> DayRoute:
    """The rep's route for a day (an empty route when the day is not planned yet)."""
    start, end = rep_places(session, rep)
    plan = get_plan(session, rep_id=rep.id, day=day)
    if plan is None:
        return DayRoute(rep=rep, day=day, plan=None, start=start, end=end)
    return DayRoute(
        rep=rep,
        day=day,
        plan=plan,
        stops=route_stops(session, plan=plan, today=today),
        start=start,
        end=end,
    )


def stop_times(stop: DayPlanStop) -> tuple[datetime | None, datetime | None]:
    """When the visit starts and ends (the arrival when the start is unknown)."""
    return stop.start or stop.arrival, stop.end
