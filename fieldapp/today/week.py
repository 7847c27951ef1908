"""This week (`/week/<start>`): the rep's next working days side by side, one day's stops, and the
buttons Plan my week, move a customer to another day, Accept the week.

A manager may open a rep of the team with `?rep=<id>` (and plan for them, as on the day); anyone else's
week is a 404. The draft and its rules live in `services/day/week.py`; this module builds the page model
in one go (names of every customer on the page in one query) and keeps the routes thin.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from sqlmodel import Session, select

from ..context import team_today
from ..db import get_session
from ..errors import StaleEdit, ValidationError
from ..i18n import local_time, seconds_hhmm
from ..models import Customer, User
from ..services import clock, planning_settings
from ..services.day import planning
from ..services.day import week as weeks
from ..services.day.candidates import (
    day_label,
    drop_text,
    move_text,
    reasons_text,
)
from ..services.day.plans import get_plan, plan_stops
from ..urls import parse_day
from . import bp
from .forms import WeekActionForm, WeekMoveForm


@dataclass
class WeekStop:
    customer: Customer
    time: str
    reasons: str
    moved: str | None
    appointment: bool
    done: bool = False


@dataclass
class DayColumn:
    """One day as the week shows it: its count, first and last stop, travel and load."""

    day: date
    label: str
    locked: bool
    stops: list[WeekStop]
    travel_minutes: int
    load_percent: int

    @property
    def first(self) -> WeekStop | None:
        return self.stops[0] if self.stops else None

    @property
    def last(self) -> WeekStop | None:
        return self.stops[-1] if self.stops else None


@dataclass
class WeekView:
    rep: User
    start: date
    days: list[DayColumn]
    selected: DayColumn | None
    version: int | None
    accepted: bool
    dropped: list[tuple[Customer, str]] = field(default_factory=list)

    @property
    def visits(self) -> int:
        return sum(len(d.stops) for d in self.days)


def _stop_json_view(
    stop: dict[str, Any], customer: Customer, moved: str | None, today: date
) -> WeekStop:
    return WeekStop(
        customer=customer,
        time=f"{seconds_hhmm(stop['start'])}–{seconds_hhmm(stop['end'])}",
        reasons=reasons_text(stop.get("reasons") or [], today=today),
        moved=moved,
        appointment=stop.get("visit_id") is not None,
    )


def week_view(
    session: Session, *, rep: User, start: date, selected: date | None, today: date
) -> WeekView:
    """The week page's model: the draft's days (a started day from its DayPlan), customer names in one
    query, reasons and moves as sentences in the reader's language."""
    week = weeks.get_week(session, rep=rep, start=start)
    if week is None:
        return WeekView(rep, start, [], None, None, False)
    locked_stops = {}
    ids: set[int] = set()
    for entry in week.days:
        if entry["locked"]:
            plan = get_plan(session, rep_id=rep.id, day=date.fromisoformat(entry["date"]))
            locked_stops[entry["date"]] = plan_stops(session, plan) if plan else []
            ids |= {s.customer_id for s in locked_stops[entry["date"]]}
        ids |= {s["customer_id"] for s in entry["stops"]}
    ids |= {d["customer_id"] for d in week.body.get("dropped", [])}
    customers = (
        {c.id: c for c in session.exec(select(Customer).where(Customer.id.in_(ids)))} if ids else {}
    )
    moved = {m["customer_id"]: m for m in week.body.get("moved", [])}
    work_start, work_end = planning.work_minutes(
        planning_settings.settings_for(session, rep), start
    )
    columns = []
    for entry in week.days:
        day = date.fromisoformat(entry["date"])
        if entry["locked"]:
            stops = [
                WeekStop(
                    customers[s.customer_id],
                    local_time(s.start),
                    "",
                    None,
                    s.is_appointment,
                    done=s.state != "planned",
                )
                for s in locked_stops[entry["date"]]
                if s.customer_id in customers
            ]
            columns.append(DayColumn(day, day_label(day), True, stops, 0, 0))
            continue
        stops = []
        for stop in entry["stops"]:
            m = moved.get(stop["customer_id"])
            why = move_text(m["code"], m) if m and m.get("day") == entry["date"] else None
            stops.append(_stop_json_view(stop, customers[stop["customer_id"]], why, today))
        used = (entry["return"] - entry["depart"]) if entry["stops"] else 0
        span = max(1, (work_end - work_start) * 60)
        columns.append(
            DayColumn(
                day, day_label(day), False, stops, entry["travel"] // 60,
                min(100, round(100 * used / span)),
            )
        )  # fmt: skip
    chosen = next((c for c in columns if c.day == selected), None) or next(
        (c for c in columns if not c.locked), columns[0] if columns else None
    )
    dropped = [
        (customers[d["customer_id"]], drop_text(d["code"], d.get("facts") or {}))
        for d in week.body.get("dropped", [])
        if d["customer_id"] in customers
    ]
    return WeekView(
        rep, start, columns, chosen, week.draft.version, week.draft.accepted_at is not None,
        dropped,
    )  # fmt: skip


# --- routes -----------------------------------------------------------------------------------------


def _week_rep(rep_id: Any) -> User:
    """The rep whose week this is: oneself, or (for a manager) a rep of the same team; else 404."""
    if rep_id in (None, ""):
        return current_user
    try:
        user = get_session().get(User, int(rep_id))
    except (TypeError, ValueError):
        abort(404)
    if user is None or user.team_id != current_user.team_id:
        abort(404)
    if user.id != current_user.id and not current_user.is_manager:
        abort(404)
    return user


def _week_url(start: date, rep: User, day: date | None = None) -> str:
    args: dict[str, Any] = {"start": start.isoformat()}
    if rep.id != current_user.id:
        args["rep"] = rep.id
    if day is not None:
        args["day"] = day.isoformat()
    return url_for("today.week", **args)


def _refused(error: ValidationError | StaleEdit, start: date, rep: User):
    """A refused button changes nothing and says why on the week."""
    get_session().rollback()
    flash(error.message, "error")
    return redirect(_week_url(start, rep))


def _options():
    return planning.planner_options(current_app.config)


@bp.route("/week")
@login_required
def week_now():
    """This week from today."""
    return redirect(url_for("today.week", start=team_today().isoformat()))


@bp.route("/week/<start>")
@login_required
def week(start: str):
    """The week: days side by side (count, first and last stop, travel, load), one day's stops."""
    the_start = parse_day(start)
    rep = _week_rep(request.args.get("rep"))
    selected = parse_day(request.args["day"]) if request.args.get("day") else None
    view = week_view(get_session(), rep=rep, start=the_start, selected=selected, today=team_today())
    return render_template(
        "today/week.html",
        view=view,
        own=rep.id == current_user.id,
        action_form=WeekActionForm(),
        move_form=WeekMoveForm(),
        week_url=lambda day=None: _week_url(the_start, rep, day),
    )


@bp.route("/week/<start>/plan", methods=["POST"])
@login_required
def week_plan(start: str):
    """Plan my week (again, from scratch; started days keep what is done)."""
    the_start = parse_day(start)
    rep = _week_rep(request.args.get("rep"))
    form = WeekActionForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    try:
        week = weeks.plan(
            session, actor=current_user, rep=rep, start=the_start, today=team_today(),
            now=clock.now_utc(), version=form.version.data, options=_options(),
        )  # fmt: skip
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_start, rep)
    session.commit()
    visits = sum(len(d["stops"]) for d in week.days)
    flash(_("Planned %(n)d visits over %(d)d days.", n=visits, d=len(week.days)), "info")
    return redirect(_week_url(the_start, rep))


@bp.route("/week/<start>/move", methods=["POST"])
@login_required
def week_move(start: str):
    """Move a customer to another day; the rest of the week is planned again."""
    the_start = parse_day(start)
    rep = _week_rep(request.args.get("rep"))
    form = WeekMoveForm()
    if not form.validate_on_submit():
        flash(_("Please choose the day."), "error")
        return redirect(_week_url(the_start, rep))
    session = get_session()
    try:
        weeks.move(
            session, actor=current_user, rep=rep, start=the_start,
            customer_id=form.customer_id.data, to_day=form.to_day.data,
            version=form.version.data, now=clock.now_utc(), options=_options(),
        )  # fmt: skip
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_start, rep)
    session.commit()
    flash(
        _(
            "Moved to %(day)s; the rest of the week was planned again.",
            day=day_label(form.to_day.data),
        ),
        "info",
    )
    return redirect(_week_url(the_start, rep, form.to_day.data))


@bp.route("/week/<start>/accept", methods=["POST"])
@login_required
def week_accept(start: str):
    """Accept the week: each day not started becomes that day's plan."""
    the_start = parse_day(start)
    rep = _week_rep(request.args.get("rep"))
    form = WeekActionForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    try:
        _week, written = weeks.accept(
            session, actor=current_user, rep=rep, start=the_start,
            version=form.version.data, now=clock.now_utc(),
        )  # fmt: skip
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_start, rep)
    session.commit()
    flash(_("Week accepted: %(n)d day plans written.", n=written), "info")
    return redirect(_week_url(the_start, rep))
