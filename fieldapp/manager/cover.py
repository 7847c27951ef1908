"""Cover an absent rep (`/team/cover`): record an absence, preview who takes what, confirm."""

from __future__ import annotations

from datetime import date

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.decorators import manager_required
from ..context import current_team, team_today
from ..db import get_session
from ..errors import StaleEdit, ValidationError
from ..forms import apply_error
from ..services import clock, team_dashboard
from ..services.day import cover, planning
from ..services.day.candidates import drop_text
from .forms import AbsenceForm, CoverForm

# Nested in the manager blueprint: /team/cover/…, endpoints manager.cover.*
bp = Blueprint("cover", __name__, url_prefix="/cover")


def _reps():
    return team_dashboard.team_reps(get_session(), team_id=current_user.team_id)


def _page(form: CoverForm, absence_form: AbsenceForm, status: int = 200):
    today = team_today()
    return (
        render_template(
            "manager/cover.html",
            form=form,
            absence_form=absence_form,
            absences=cover.upcoming_absences(get_session(), team_id=current_team().id, today=today),
            today_date=today,
        ),
        status,
    )


@bp.route("/")
@manager_required
def index():
    """The absences to come, and the cover form (pre-filled from ?rep=&day= when a suggestion is picked)."""
    reps = _reps()
    form = CoverForm(formdata=None, reps=reps)
    wanted = request.args.get("rep", type=int)
    if wanted is not None:
        form.rep.data = str(wanted)
    else:
        form.rep.data = str(reps[0].id) if reps else None
    form.first_day.data = request.args.get("day", type=_day) or team_today()
    form.days.data = 1
    form.teammates.data = [r.id for r in reps if str(r.id) != form.rep.data]
    absence_form = AbsenceForm(formdata=None, reps=reps)
    absence_form.day.data = team_today()
    return _page(form, absence_form)


def _day(text: str) -> date:
    return date.fromisoformat(text)  # a bad ?day= is ignored (type= swallows the ValueError)


def _cast(form: CoverForm) -> cover.Cast:
    return cover.check(
        get_session(),
        actor=current_user,
        absent_id=form.rep_id() or 0,
        teammate_ids=list(form.teammates.data or []),
        days=cover.day_list(form.first_day.data, form.days.data),
        today=team_today(),
    )


@bp.route("/preview", methods=["POST"])
@manager_required
def preview():
    """Plan the cover and show it; nothing is written."""
    reps = _reps()
    form = CoverForm(reps=reps)
    if form.validate_on_submit():
        try:
            cast = _cast(form)
        except ValidationError as error:
            apply_error(form, error)
        else:
            options = planning.planner_options(current_app.config)
            plan = cover.preview(get_session(), cast=cast, options=options)
            form.assignment.data = plan.assignment()
            return render_template(
                "manager/cover_preview.html", form=form, plan=plan, drop_reason=drop_text
            )
    return _page(form, AbsenceForm(formdata=None, reps=reps), 400)


@bp.route("/confirm", methods=["POST"])
@manager_required
def confirm():
    """Write the previewed cover in one transaction (refused when a plan changed since)."""
    reps = _reps()
    form = CoverForm(reps=reps)
    session = get_session()
    if form.validate_on_submit():
        try:
            cast = _cast(form)
            result = cover.confirm(
                session,
                actor=current_user,
                cast=cast,
                assignment=form.assignment.data or "",
                now=clock.now_utc(),
            )
        except (ValidationError, StaleEdit) as error:
            session.rollback()
            flash(error.message, "error")
        else:
            session.commit()
            flash(
                _(
                    "Cover saved: %(visits)d visits over %(days)d days, %(appointments)d"
                    " appointments moved.",
                    visits=result.taken,
                    days=result.days,
                    appointments=result.appointments_moved,
                ),
                "info",
            )
            return redirect(url_for("manager.cover.index"))
    else:
        flash(_("Please check the form."), "error")
    return _page(form, AbsenceForm(formdata=None, reps=reps), 400)


@bp.route("/absences", methods=["POST"])
@manager_required
def absence():
    """Note a rep's day away."""
    reps = _reps()
    form = AbsenceForm(reps=reps)
    session = get_session()
    if form.validate_on_submit():
        try:
            cover.record_absence(
                session,
                actor=current_user,
                rep_id=form.rep_id() or 0,
                day=form.day.data,
                note=form.note.data,
                today=team_today(),
                now=clock.now_utc(),
            )
        except ValidationError as error:
            session.rollback()
            apply_error(form, error)
        except StaleEdit as error:
            session.rollback()
            flash(error.message, "error")
        else:
            session.commit()
            flash(_("Absence noted."), "info")
            return redirect(url_for("manager.cover.index"))
    cover_form = CoverForm(formdata=None, reps=reps)
    cover_form.first_day.data = team_today()
    return _page(cover_form, form, 400)
