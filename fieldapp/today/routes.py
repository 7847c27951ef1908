"""The rep's day: the Today page (`/` and `/day/<day>`), and its buttons.

Plan it, work through the stops, re-plan when the day changes. Every button is a POST with CSRF and the
plan version the page showed, and redirects back to the day at the stop it acted on. The same day on a
map and as an .ics file is in `map.py`.
"""

from __future__ import annotations

from datetime import date, timedelta

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..db import get_session
from ..errors import StaleEdit, ValidationError
from ..models import DayPlan, DayPlanStop, Team
from ..services import clock, overview
from ..services.day import actions, planning
from ..services.day.candidates import reasons_text
from ..services.day.plans import get_plan, plan_stops
from ..services.day.position import Position
from ..urls import parse_day
from . import bp
from .forms import AddStopForm, AppointmentForm, NearbyForm, PlanActionForm, SkipForm
from .page import day_view, preview_reasons


def _team() -> Team:
    return get_session().get(Team, current_user.team_id)


def _position() -> Position | None:
    return Position.parse(request.form.get("lat"), request.form.get("lon"))


def _version() -> int | None:
    try:
        return int(request.form.get("version") or "")
    except ValueError:
        return -1  # garbage counts as stale


def _back(day: date, anchor: str | None = None):
    target = url_for("today.index", day=day.isoformat())
    return redirect(f"{target}#{anchor}" if anchor else target)


def _refused(error: ValidationError | StaleEdit, day: date, anchor: str | None = None):
    """A refused action changes nothing and says why on the Today page."""
    get_session().rollback()
    flash(error.message, "error")
    return _back(day, anchor)


def _valid_form() -> PlanActionForm:
    form = PlanActionForm()
    if not form.validate_on_submit():
        abort(400)
    return form


@bp.route("/")
@bp.route("/day/<day>")
@login_required
def index(day: str | None = None):
    """The rep's day: the plan as stop cards (or who is worth a visit), follow-ups; managers see coverage."""
    if day is None and request.args.get("day"):
        # The old address of another day (/?day=…), kept by bookmarks and phones' saved pages.
        return redirect(url_for("today.index", day=parse_day(request.args["day"]).isoformat()))
    session = get_session()
    team = _team()
    today_date = clock.local_today(team.timezone)
    the_day = parse_day(day) if day is not None else today_date
    view = day_view(session, rep=current_user, day=the_day, today=today_date)
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


@bp.route("/day/<day>/plan", methods=["POST"])
@login_required
def plan(day: str):
    """Plan my day (or plan the rest again when the day has started)."""
    the_day = parse_day(day)
    _valid_form()
    session = get_session()
    plan = planning.generate_plan(
        session, actor=current_user, rep=current_user, day=the_day, now=clock.now_utc()
    )
    session.commit()
    stops = plan_stops(session, plan)
    flash(_("Planned %(n)d visits.", n=len(stops)), "info")
    return _back(the_day)


@bp.route("/day/<day>/accept", methods=["POST"])
@login_required
def accept(day: str):
    """Accept my plan as it is (the nightly run then leaves it alone)."""
    the_day = parse_day(day)
    _valid_form()
    session = get_session()
    try:
        actions.accept(session, actor=current_user, day=the_day, version=_version())
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_day)
    session.commit()
    flash(_("Plan accepted."), "info")
    return _back(the_day)


@bp.route("/day/<day>/replan", methods=["POST"])
@login_required
def replan(day: str):
    """Running late / long visit: re-optimise the rest of the day from here and now."""
    the_day = parse_day(day)
    _valid_form()
    session = get_session()
    position = _position()
    planning.replan_rest(
        session,
        actor=current_user,
        rep=current_user,
        day=the_day,
        now=clock.now_utc(),
        position=position.pair() if position else None,
    )
    session.commit()
    flash(_("The rest of the day was planned again from here."), "info")
    return _back(the_day, "stops")


@bp.route("/day/<day>/stops/<int:stop_id>/move", methods=["POST"])
@login_required
def move(day: str, stop_id: int):
    """Move a stop up or down."""
    the_day = parse_day(day)
    _valid_form()
    direction = -1 if request.form.get("direction") == "up" else 1
    session = get_session()
    try:
        actions.move(
            session,
            actor=current_user,
            day=the_day,
            stop_id=stop_id,
            direction=direction,
            version=_version(),
            now=clock.now_utc(),
        )
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_day, "stops")
    session.commit()
    return _back(the_day, f"stop-{stop_id}")


@bp.route("/day/<day>/reorder", methods=["POST"])
@login_required
def reorder(day: str):
    """The whole order of the stops not yet visited (from drag and drop)."""
    the_day = parse_day(day)
    _valid_form()
    try:
        ids = [int(x) for x in (request.form.get("order") or "").split(",") if x.strip()]
    except ValueError:
        abort(400)
    session = get_session()
    try:
        actions.reorder(
            session,
            actor=current_user,
            day=the_day,
            stop_ids=ids,
            version=_version(),
            now=clock.now_utc(),
        )
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_day, "stops")
    session.commit()
    return _back(the_day, "stops")


@bp.route("/day/<day>/stops/<int:stop_id>/remove", methods=["POST"])
@login_required
def remove(day: str, stop_id: int):
    """Take a stop off the plan."""
    the_day = parse_day(day)
    _valid_form()
    session = get_session()
    try:
        actions.remove(
            session,
            actor=current_user,
            day=the_day,
            stop_id=stop_id,
            version=_version(),
            now=clock.now_utc(),
        )
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_day, "stops")
    session.commit()
    flash(_("Removed from the plan."), "info")
    return _back(the_day, "stops")


@bp.route("/day/<day>/add", methods=["POST"])
@login_required
def add(day: str):
    """Add a customer to the plan (from the left-out list, "nearby now" or the customer page)."""
    the_day = parse_day(day)
    form = AddStopForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    try:
        actions.add(
            session,
            actor=current_user,
            day=the_day,
            customer_id=form.customer_id.data,
            version=_version(),
            now=clock.now_utc(),
            after_stop_id=form.after_stop_id.data or None,
        )
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_day, "stops")
    session.commit()
    flash(_("Added to the plan."), "info")
    return _back(the_day, "stops")


def _stop_day(stop_id: int) -> date:
    """The day of the actor's own stop (404 for anyone else's)."""
    session = get_session()
    stop = session.get(DayPlanStop, stop_id)
    plan = session.get(DayPlan, stop.day_plan_id) if stop else None
    if plan is None or plan.rep_id != current_user.id:
        abort(404)
    return plan.plan_date


@bp.route("/stops/<int:stop_id>/check-in", methods=["POST"])
@login_required
def check_in(stop_id: int):
    """Check in at the stop: time, and the phone's position when it gave one."""
    the_day = _stop_day(stop_id)
    _valid_form()
    session = get_session()
    try:
        actions.check_in(
            session,
            actor=current_user,
            stop_id=stop_id,
            now=clock.now_utc(),
            position=_position(),
            version=_version(),
        )
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_day, f"stop-{stop_id}")
    session.commit()
    return _back(the_day, f"stop-{stop_id}")


@bp.route("/stops/<int:stop_id>/check-out", methods=["POST"])
@login_required
def check_out(stop_id: int):
    """Check out, then write the visit log."""
    the_day = _stop_day(stop_id)
    _valid_form()
    session = get_session()
    try:
        visit = actions.check_out(
            session, actor=current_user, stop_id=stop_id, now=clock.now_utc(), position=_position()
        )
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_day, f"stop-{stop_id}")
    session.commit()
    return redirect(
        url_for("visits.new", customer_id=visit.customer_id, visit_id=visit.id, stop=stop_id)
    )


@bp.route("/stops/<int:stop_id>/log", methods=["POST"])
@login_required
def log(stop_id: int):
    """Write the visit log for a stop (checks in first when the rep has not)."""
    the_day = _stop_day(stop_id)
    _valid_form()
    session = get_session()
    try:
        visit = actions.check_in(
            session, actor=current_user, stop_id=stop_id, now=clock.now_utc(), position=_position()
        )
    except (ValidationError, StaleEdit) as error:
        return _refused(error, the_day, f"stop-{stop_id}")
    session.commit()
    return redirect(
        url_for("visits.new", customer_id=visit.customer_id, visit_id=visit.id, stop=stop_id)
    )


@bp.route("/stops/<int:stop_id>/skip", methods=["GET", "POST"])
@login_required
def skip(stop_id: int):
    """Skip a stop with a reason; optionally move the customer to another day."""
    the_day = _stop_day(stop_id)
    session = get_session()
    stop = session.get(DayPlanStop, stop_id)
    plan = session.get(DayPlan, stop.day_plan_id)
    form = SkipForm(version=plan.version)
    if form.validate_on_submit():
        try:
            actions.skip(
                session,
                actor=current_user,
                stop_id=stop_id,
                reason=form.reason.data,
                now=clock.now_utc(),
                move_to=form.move_to.data,
                version=form.version.data,
            )
        except (ValidationError, StaleEdit) as error:
            return _refused(error, the_day, f"stop-{stop_id}")
        session.commit()
        flash(_("Skipped."), "info")
        return _back(the_day, "stops")
    from ..models import Customer

    customer = session.get(Customer, stop.customer_id)
    return render_template("today/skip.html", form=form, stop=stop, customer=customer, day=the_day)


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
        )
    plan = get_plan(session, rep_id=current_user.id, day=the_day)
    return render_template(
        "today/nearby.html",
        form=form,
        options=options,
        day=the_day,
        plan=plan,
        add_form=AddStopForm(),
        reasons_text=reasons_text,
        today_date=clock.local_today(_team().timezone),
    )


@bp.route("/customers/<int:customer_id>/appointment", methods=["GET", "POST"])
@login_required
def appointment(customer_id: int):
    """Book a fixed appointment: the plan of that day keeps it at its time."""
    session = get_session()
    from ..services.followups import team_customer

    customer = team_customer(session, actor=current_user, customer_id=customer_id)
    today_date = clock.local_today(_team().timezone)
    form = AppointmentForm(day=today_date)
    if form.validate_on_submit():
        try:
            actions.book_appointment(
                session,
                actor=current_user,
                customer_id=customer.id,
                day=form.day.data,
                minute=form.start.data.hour * 60 + form.start.data.minute,
                now=clock.now_utc(),
            )
        except (ValidationError, StaleEdit) as error:
            session.rollback()
            form.day.errors = [error.message]
        else:
            session.commit()
            flash(_("Appointment booked."), "info")
            return _back(form.day.data, "stops")
    return render_template(
        "today/appointment.html", form=form, customer=customer, today_date=today_date
    )


@bp.app_template_global()
def skip_label(reason: str | None) -> str:
    """A skip reason in words."""
    return dict(SkipForm.reason_choices()).get(reason or "", reason or "")


@bp.app_template_global("exclusion_text")
def _exclusion_text(code: str) -> str:
    from ..services.day.candidates import exclusion_text

    return exclusion_text(code)
