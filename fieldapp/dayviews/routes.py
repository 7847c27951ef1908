"""The map of the day and the day as iCalendar: a download, and a subscription opened by a secret token.

A rep sees their own days; a manager may add ?rep=<id> to look at a rep of the same team. Anything else
answers 404, the same as a day that does not exist.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.forms import EmptyForm
from ..db import get_session
from ..errors import NotFound
from ..i18n import choice_label, local_time
from ..models import Team, User
from ..services import calendar_feed, clock, customers
from ..services.day_route import DayRoute, day_route, viewable_rep
from ..urls import parse_day

bp = Blueprint("dayviews", __name__)

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


def _team(user: User) -> Team:
    return get_session().get(Team, user.team_id)


def navigate_url(lat: float, lon: float) -> str:
    """A maps link to the coordinates (the phone opens its navigation app); only followed on a tap."""
    return f"https://www.google.com/maps/dir/?api=1&destination={lat:.6f},{lon:.6f}"


def _leaflet_available() -> bool:
    try:
        import xstatic.pkg.leaflet  # noqa: F401
    except ImportError:
        return False
    return True


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
        },
    }


@bp.route("/day/<day>/map")
@login_required
def map(day: str):  # noqa: A001 - the endpoint name the Today page links to
    """The day's route on a map, with the stops in order under it."""
    the_day = parse_day(day)
    rep = _rep()
    session = get_session()
    team = _team(rep)
    route = day_route(session, rep=rep, day=the_day, today=clock.local_today(team.timezone))
    rep_arg = rep.id if rep.id != current_user.id else None
    # Managers switch between the team's reps here (the page is their way into a rep's day).
    team_reps = (
        customers.team_reps(session, team_id=current_user.team_id)
        if current_user.is_manager
        else []
    )
    return render_template(
        "dayviews/map.html",
        route=route,
        rep_arg=rep_arg,
        team_reps=team_reps,
        leaflet=_leaflet_available(),
        map_data=map_data(route),
        navigate_url=navigate_url,
    )


def _ics_response(body: bytes, filename: str | None) -> Response:
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
    team = _team(rep)
    route = day_route(session, rep=rep, day=the_day, today=clock.local_today(team.timezone))
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
    return _ics_response(body, f"visits{suffix}-{the_day.isoformat()}.ics")


@bp.route("/calendar/<token>.ics")
def ical_feed(token: str):
    """The subscription feed: public, opened by the user's secret token (calendar apps cannot sign in)."""
    session = get_session()
    user = calendar_feed.user_for_token(session, token=token)
    if user is None:
        abort(404)
    team = _team(user)
    now = clock.now_utc()
    today = clock.local_today(team.timezone, now)
    first, last = calendar_feed.feed_window(today)
    # Nobody is signed in here: words in the feed follow the owner's language setting.
    with force_locale(user.language or current_app.config["BABEL_DEFAULT_LOCALE"]):
        days = calendar_feed.calendar_days(session, rep=user, first=first, last=last, today=today)
        body = calendar_feed.build_calendar(
            rep=user,
            team=team,
            days=days,
            now=now,
            name=_("Visits of %(name)s", name=user.name),
            customer_url=lambda cid: url_for("customers.detail", customer_id=cid, _external=True),
        )
    return _ics_response(body, None)


@bp.route("/me/calendar", methods=["POST"])
@login_required
def calendar_token():
    """Create or replace the subscription secret (the old URL stops working), or turn it off."""
    form = EmptyForm()
    if not form.validate_on_submit():
        abort(400)
    action = request.form.get("action")
    session = get_session()
    if action == "rotate":
        had_one = current_user.calendar_token is not None
        calendar_feed.rotate_token(session, actor=current_user)
        session.commit()
        flash(
            _("New calendar address made; the old one no longer works.")
            if had_one
            else _("Calendar address made. Add it to your calendar app."),
            "info",
        )
    elif action == "revoke":
        calendar_feed.revoke_token(session, actor=current_user)
        session.commit()
        flash(_("Calendar subscription turned off."), "info")
    else:
        abort(400)
    return redirect(url_for("main.me") + "#calendar")


@bp.app_template_global()
def calendar_subscription_url(user: User) -> str | None:
    """The user's feed URL for the Me page (None while no secret exists)."""
    if not user.calendar_token:
        return None
    return url_for("dayviews.ical_feed", token=user.calendar_token, _external=True)
