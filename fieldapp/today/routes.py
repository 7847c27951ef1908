"""The rep's day: the Today page (`/` and `/day/<day>`), and its buttons.

Plan it, work through the stops, re-plan when the day changes. Every button is a POST with CSRF and the
plan version the page showed, and redirects back to the day at the stop it acted on. The same day on a
map and as an .ics file is in `map.py`.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta
from typing import Any, TypeVar

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required
from flask_wtf import FlaskForm

from ..context import current_team, team_today
from ..db import get_session
from ..errors import StaleEdit, ValidationError, domain_error_response
from ..forms import save_form
from ..models import Customer, Visit
from ..services import clock, overview
from ..services.customers import get_customer
from ..services.day import actions, planning
from ..services.day.candidates import reasons_text
from ..services.day.plans import get_plan, plan_stops
from ..services.day.position import Position
from ..urls import parse_day
from . import bp
from .forms import (
    AddStopForm,
    AppointmentForm,
    MoveForm,
    NearbyForm,
    PlanActionForm,
    ReorderForm,
    SkipForm,
)
from .page import day_view, preview_reasons

F = TypeVar("F", bound=FlaskForm)
T = TypeVar("T")


def _day_url(day: date, anchor: str | None = None) -> str:
    """The page of a day: today's is `/` (the installed app's start page, kept offline), others `/day/<day>`."""
    if day == team_today():
        target = url_for("today.index")
    else:
        target = url_for("today.index", day=day.isoformat())
    return f"{target}#{anchor}" if anchor else target


def _back(day: date, anchor: str | None = None):
    return redirect(_day_url(day, anchor))


def _flash_at(place: str, message: str, kind: str = "info") -> None:
    """A confirmation shown in the card acted on (`stop-<id>`, or `stops` above the list), not at the
    page's top: after the redirect the card is in view and its message next to it."""
    flash(message, f"{kind}@{place}")


def _submitted(form: F) -> F:
    """The button's form, or 400 (no CSRF token, or an input no page of ours sends)."""
    if not form.validate_on_submit():
        abort(400)
    return form


def _stop_button(stop_id: int) -> tuple[date, PlanActionForm]:
    """The day of the actor's own stop (404 for anyone else's, before the form is looked at) and the
    button's form (400 when not valid)."""
    return _stop_day(stop_id), _submitted(PlanActionForm())


def _stop_day(stop_id: int) -> date:
    """The day of the actor's own stop (404 for anyone else's); the action reads the same rows again
    from the session's identity map, without a query."""
    plan, _stop = actions.own_stop(get_session(), actor=current_user, stop_id=stop_id)
    return plan.plan_date


@bp.errorhandler(ValidationError)
@bp.errorhandler(StaleEdit)
def refused(error: ValidationError | StaleEdit):
    """A refused button changes nothing and says why on the day, at the stop it was about."""
    if request.method != "POST":
        return domain_error_response(error)  # a page, not a button: nothing to go back to
    get_session().rollback()
    args = request.view_args or {}
    stop_id = args.get("stop_id")
    _flash_at(f"stop-{stop_id}" if stop_id is not None else "stops", error.message, "error")
    if "day" in args:
        the_day = parse_day(args["day"])
    elif stop_id is not None:
        # /stops/<id>/… has no day in its path: the stop's own day (the rollback left it as it was).
        the_day = _stop_day(stop_id)
    else:
        the_day = team_today()
    return _back(the_day, f"stop-{stop_id}" if stop_id is not None else "stops")


@bp.route("/")
@bp.route("/day/<day>")
@login_required
def index(day: str | None = None):
    """The rep's day: the plan as stop cards (or who is worth a visit), follow-ups; managers see coverage."""
    if day is None and request.args.get("day"):
        # The old address of a day (/?day=…), kept by bookmarks and phones' saved pages.
        return redirect(_day_url(parse_day(request.args["day"])))
    session = get_session()
    team = current_team()
    today_date = team_today()
    the_day = parse_day(day) if day is not None else today_date
    if day is not None and the_day == today_date:
        return redirect(url_for("today.index"))
    view = day_view(session, rep=current_user, day=the_day, today=today_date, now=clock.now_utc())
    return render_template(
        "today/index.html",
        team=team,
        today_date=today_date,
        view=view,
        one_day=timedelta(days=1),
        preview=preview_reasons(view.preview, today_date) if view.preview else [],
        action_form=PlanActionForm(),
        add_form=AddStopForm(),
        assigned_count=overview.count_assigned(session, rep=current_user),
        followups=overview.open_followups(session, user=current_user),
        coverage=(
            overview.team_coverage(session, team_id=team.id, today=today_date)
            if current_user.is_manager
            else None
        ),
    )


def _planner_options():
    """The planner's search limits while the rep waits on the phone: the phone's own time limit,
    shorter than the nightly run's (an iteration count set for repeatable tests wins)."""
    config = current_app.config
    if config.get("PLANNER_ITERATIONS"):
        return planning.planner_options(config)
    return planning.planner_options(
        config, time_limit=float(config.get("PLANNER_PHONE_TIME_LIMIT") or 0.5)
    )


def _do(action: Callable[..., T], **args: Any) -> T:
    """One action of the signed-in rep on their own day, committed (a refusal goes to `refused`)."""
    session = get_session()
    result = action(session, actor=current_user, now=clock.now_utc(), **args)
    session.commit()
    return result


@bp.route("/day/<day>/plan", methods=["POST"])
@login_required
def plan(day: str):
    """Plan my day: during the day from now and the phone's position (or plan the rest again)."""
    the_day = parse_day(day)
    position = _submitted(PlanActionForm()).position()
    plan = _do(
        planning.generate_plan,
        rep=current_user,
        day=the_day,
        position=position.pair() if position else None,
        options=_planner_options(),
    )
    flash(_("Planned %(n)d visits.", n=len(plan_stops(get_session(), plan))), "info")
    return _back(the_day)


@bp.route("/day/<day>/accept", methods=["POST"])
@login_required
def accept(day: str):
    """Accept my plan as it is (the nightly run then leaves it alone)."""
    the_day = parse_day(day)
    form = _submitted(PlanActionForm())
    session = get_session()
    actions.accept(session, actor=current_user, day=the_day, version=form.version.data)
    session.commit()
    flash(_("Plan accepted."), "info")
    return _back(the_day)


@bp.route("/day/<day>/replan", methods=["POST"])
@login_required
def replan(day: str):
    """Running late / long visit: re-optimise the rest of the day from here and now."""
    the_day = parse_day(day)
    position = _submitted(PlanActionForm()).position()
    _do(
        planning.replan_rest,
        rep=current_user,
        day=the_day,
        position=position.pair() if position else None,
        options=_planner_options(),
    )
    flash(_("The rest of the day was planned again from here."), "info")
    return _back(the_day, "stops")


@bp.route("/day/<day>/stops/<int:stop_id>/move", methods=["POST"])
@login_required
def move(day: str, stop_id: int):
    """Move a stop up or down."""
    the_day = parse_day(day)
    form = _submitted(MoveForm())
    _do(
        actions.move, day=the_day, stop_id=stop_id, direction=form.step(), version=form.version.data
    )
    _flash_at(f"stop-{stop_id}", _("Moved."))
    return _back(the_day, f"stop-{stop_id}")


@bp.route("/day/<day>/reorder", methods=["POST"])
@login_required
def reorder(day: str):
    """The whole order of the stops not yet visited (from drag and drop)."""
    the_day = parse_day(day)
    form = _submitted(ReorderForm())
    stop_ids = form.stop_ids()
    _do(actions.reorder, day=the_day, stop_ids=stop_ids, version=form.version.data)
    if stop_ids:
        _flash_at(f"stop-{stop_ids[0]}", _("Moved."))
        return _back(the_day, f"stop-{stop_ids[0]}")
    return _back(the_day, "stops")


@bp.route("/day/<day>/stops/<int:stop_id>/remove", methods=["POST"])
@login_required
def remove(day: str, stop_id: int):
    """Take a stop off the plan."""
    the_day = parse_day(day)
    version = _submitted(PlanActionForm()).version.data
    # the rep stays where they were: the confirmation goes to the stop before (else after) it
    plan = get_plan(get_session(), rep_id=current_user.id, day=the_day)
    ids = [s.id for s in plan_stops(get_session(), plan)] if plan else []
    where = ids.index(stop_id) if stop_id in ids else -1
    neighbours = ids[:where][-1:] + ids[where + 1 :][:1] if where >= 0 else []
    _do(actions.remove, day=the_day, stop_id=stop_id, version=version)
    place = f"stop-{neighbours[0]}" if neighbours else "stops"
    _flash_at(place, _("Removed from the plan."))
    return _back(the_day, place)


@bp.route("/day/<day>/add", methods=["POST"])
@login_required
def add(day: str):
    """Add a customer to the plan (from the left-out list, "nearby now" or the customer page)."""
    the_day = parse_day(day)
    form = _submitted(AddStopForm())
    plan = _do(
        actions.add,
        day=the_day,
        customer_id=form.customer_id.data,
        version=form.version.data,
        after_stop_id=form.after_stop_id.data or None,
    )
    # the confirmation goes into the new stop's card
    added = [s for s in plan_stops(get_session(), plan) if s.customer_id == form.customer_id.data]
    place = f"stop-{added[-1].id}" if added else "stops"
    _flash_at(place, _("Added to the plan."))
    return _back(the_day, place)


@bp.route("/stops/<int:stop_id>/check-out", methods=["POST"])
@login_required
def check_out(stop_id: int):
    """Check out, then write the visit log."""
    return _to_visit_log(actions.check_out, stop_id)


@bp.route("/stops/<int:stop_id>/log", methods=["POST"])
@login_required
def log(stop_id: int):
    """Write the visit log for a stop (checks in first when the rep has not)."""
    return _to_visit_log(actions.check_in, stop_id)


def _to_visit_log(action: Callable[..., Visit], stop_id: int):
    """Check in or out at the stop (no version: both are safe to repeat), then open its visit form."""
    _day, form = _stop_button(stop_id)
    visit = _do(action, stop_id=stop_id, position=form.position())
    return redirect(
        url_for("visits.new", customer_id=visit.customer_id, visit_id=visit.id, stop=stop_id)
    )


@bp.route("/stops/<int:stop_id>/check-in", methods=["POST"])
@login_required
def check_in(stop_id: int):
    """Check in at the stop: time, and the phone's position when it gave one."""
    the_day, form = _stop_button(stop_id)
    visit = _do(
        actions.check_in, stop_id=stop_id, position=form.position(), version=form.version.data
    )
    if request.form.get("then") == "log":
        # the stop card's button: checked in, the visit form opens (it says when, and how far away);
        # saving it checks out. Offline the service worker keeps the check-in and stays on Today.
        return redirect(
            url_for("visits.new", customer_id=visit.customer_id, visit_id=visit.id, stop=stop_id)
        )
    _flash_at(f"stop-{stop_id}", _("Checked in."))
    return _back(the_day, f"stop-{stop_id}")


@bp.route("/stops/<int:stop_id>/skip", methods=["GET", "POST"])
@login_required
def skip(stop_id: int):
    """Skip a stop with a reason; optionally move the customer to another day."""
    session = get_session()
    plan, stop = actions.own_stop(session, actor=current_user, stop_id=stop_id)
    form = SkipForm(version=plan.version)
    if form.validate_on_submit():
        actions.skip(
            session,
            actor=current_user,
            stop_id=stop_id,
            reason=form.reason.data,
            now=clock.now_utc(),
            move_to=form.move_to.data,
            version=form.version.data,
        )
        session.commit()
        _flash_at(f"stop-{stop_id}", _("Skipped."))
        return _back(plan.plan_date, f"stop-{stop_id}")
    customer = session.get(Customer, stop.customer_id)
    return render_template(
        "today/skip.html", form=form, stop=stop, customer=customer, day=plan.plan_date
    )


@bp.route("/day/<day>/nearby")
@login_required
def nearby(day: str):
    """ "I have 40 minutes here": due customers reachable and free now, nearest value first."""
    the_day = parse_day(day)
    form = NearbyForm(request.args, meta={"csrf": False})
    session = get_session()
    options = None
    if request.args and form.validate():
        position = Position.parse(form.lat.data, form.lon.data)
        options = planning.nearby_now(
            session,
            rep=current_user,
            day=the_day,
            now=clock.now_utc(),
            position=position.pair() if position else None,
            minutes=form.minutes.data,
            options=_planner_options(),
        )
    plan = get_plan(session, rep_id=current_user.id, day=the_day)
    # "move up" puts a later stop next: the order of the stops still to visit, that one first
    planned = [s.id for s in plan_stops(session, plan) if s.state == "planned"] if plan else []
    return render_template(
        "today/nearby.html",
        add_form=AddStopForm(),
        reorder_form=ReorderForm(),
        planned_ids=planned,
        form=form,
        options=options,
        day=the_day,
        plan=plan,
        reasons_text=reasons_text,
        today_date=team_today(),
    )


@bp.route("/customers/<int:customer_id>/appointment", methods=["GET", "POST"])
@login_required
def appointment(customer_id: int):
    """Book a fixed appointment: the plan of that day keeps it at its time."""
    session = get_session()
    customer = get_customer(session, actor=current_user, customer_id=customer_id)
    today_date = team_today()
    form = AppointmentForm(day=today_date)
    # A form page, not a button: a refusal goes on the field it names, and the rep corrects it there.
    saved = form.validate_on_submit() and save_form(
        form,
        actions.book_appointment,
        customer_id=customer.id,
        day=form.day.data,
        minute=form.start.data.hour * 60 + form.start.data.minute,
        now=clock.now_utc(),
        done=_("Appointment booked."),
        back=lambda _saved: _day_url(form.day.data, "stops"),
    )
    if saved:
        return saved
    return render_template(
        "today/appointment.html", form=form, customer=customer, today_date=today_date
    )
