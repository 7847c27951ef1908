"""The day elsewhere: on a map (`/day/<day>/map`) and as an .ics download (`/day/<day>/calendar.ics`).

A rep sees their own days; a manager may add ?rep=<id> to look at a rep of the same team. Anything else
answers 404, the same as a day that does not exist. The calendar subscription feed is on *Me*.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..context import current_team, team_today
from ..db import get_session
from ..errors import NotFound
from ..i18n import choice_label, local_time
from ..models import User
from ..services import clock, customers
from ..services.day import calendar as calendar_feed
from ..services.day.route import DayRoute, day_route, viewable_rep
from ..urls import navigate_url, parse_day
from . import bp

ICS_TYPE = "text/calendar; charset=utf-8"


def _rep() -> User:
    """Whose day: the signed-in user, or the team rep named by ?rep= (managers only)."""
    raw = request.args.get("rep")
    rep_id = None
    if raw:
        try:
            rep_id = int(raw)
        except ValueError:
            abort(404)
    return viewable_rep(get_session(), actor=current_user, rep_id=rep_id)


def _time_range(start, end) -> str:
    if start is None:
        return ""
    return f"{local_time(start)}–{local_time(end)}" if end else local_time(start)


def map_data(route: DayRoute) -> dict[str, Any]:
    """What day_map.js draws: places, numbered stops with popup text, and the labels in the UI language."""

    def place(p):
        return {"label": p.label, "lat": p.lat, "lon": p.lon} if p else None

    return {
        "tiles": current_app.config.get("TILE_URL") or "",
        "start": place(route.start),
        "end": place(route.end),
        "stops": [
            {
                "n": s.number,
                "name": s.customer.name,
                "lat": s.customer.lat,
                "lon": s.customer.lon,
                "time": _time_range(s.stop.start or s.stop.arrival, s.stop.end),
                "state": s.state,
                "stateLabel": choice_label("visit_status", s.state) if s.state != "planned" else "",
                "url": url_for("customers.detail", customer_id=s.customer.id),
                "nav": navigate_url(s.customer.lat, s.customer.lon),
            }
            for s in route.located_stops
        ],
        "labels": {
            "start": _("Start"),
            "end": _("End"),
            "navigate": _("Navigate"),
            "customer": _("Customer page"),
            "zoom_in": _("Zoom in"),
            "zoom_out": _("Zoom out"),
        },
    }


@bp.route("/day/<day>/map")
@login_required
def map(day: str):  # noqa: A001 - the endpoint name the Today page links to
    """The day's route on a map, with the stops in order under it."""
    the_day = parse_day(day)
    rep = _rep()
    session = get_session()
    # viewable_rep keeps to the actor's own team, so the signed-in user's team is the rep's.
    route = day_route(session, rep=rep, day=the_day, today=team_today())
    rep_arg = rep.id if rep.id != current_user.id else None
    # Managers switch between the team's reps here (the page is their way into a rep's day).
    team_reps = (
        customers.team_reps(session, team_id=current_user.team_id)
        if current_user.is_manager
        else []
    )
    return render_template(
        "today/map.html",
        route=route,
        rep_arg=rep_arg,
        team_reps=team_reps,
        map_data=map_data(route),
    )


def ics_response(body: bytes, filename: str | None) -> Response:
    response = Response(body, mimetype="text/calendar")
    response.headers["Content-Type"] = ICS_TYPE
    if filename:
        response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    # Plans change through the day; a calendar app or proxy must not keep a stale copy.
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.route("/day/<day>/calendar.ics")
@login_required
def ical_download(day: str):
    """The day as an .ics file to open in the phone's calendar."""
    the_day = parse_day(day)
    rep = _rep()
    session = get_session()
    team = current_team()  # the rep's team too: viewable_rep keeps to the actor's own team
    route = day_route(session, rep=rep, day=the_day, today=team_today())
    if route.plan is None:
        raise NotFound(_("There is no plan for this day yet."))
    body = calendar_feed.build_calendar(
        rep=rep,
        team=team,
        days=[calendar_feed.CalendarDay(route.plan, route.stops)],
        now=clock.now_utc(),
        name=_("Visits of %(name)s, %(day)s", name=rep.name, day=the_day.isoformat()),
        customer_url=lambda cid: url_for("customers.detail", customer_id=cid, _external=True),
    )
    suffix = f"-{rep.id}" if rep.id != current_user.id else ""
    return ics_response(body, f"visits{suffix}-{the_day.isoformat()}.ics")
