"""Home (Today) and the user's own settings (Me)."""

from __future__ import annotations

from datetime import date, timedelta

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.forms import EmptyForm
from ..db import get_session
from ..models import Team
from ..services import clock, overview, users
from ..today.forms import AddStopForm, PlanActionForm
from ..today.views import day_view, preview_reasons
from .forms import LanguageForm

bp = Blueprint("main", __name__)


@bp.route("/")
@login_required
def today():
    """The rep's day: the plan as stop cards (or who is worth a visit), follow-ups; managers see coverage."""
    session = get_session()
    team = session.get(Team, current_user.team_id)
    today_date = clock.local_today(team.timezone)
    day = today_date
    if request.args.get("day"):
        try:
            day = date.fromisoformat(request.args["day"])
        except ValueError:
            abort(404)
    view = day_view(session, rep=current_user, day=day, today=today_date)
    context = {
        "team": team,
        "today_date": today_date,
        "view": view,
        "one_day": timedelta(days=1),
        "preview": preview_reasons(view.preview, today_date) if view.preview else [],
        "action_form": PlanActionForm(),
        "add_form": AddStopForm(),
        "assigned_count": overview.count_assigned(session, rep=current_user),
        "followups": overview.open_followups(session, user=current_user),
        "coverage": (
            overview.team_coverage(session, team_id=team.id, today=today_date)
            if current_user.is_manager
            else None
        ),
    }
    return render_template("main/today.html", **context)


@bp.route("/me", methods=["GET", "POST"])
@login_required
def me():
    """Profile, language and sign-out."""
    session = get_session()
    form = LanguageForm(language=current_user.language or "")
    if form.validate_on_submit():
        users.set_language(session, user=current_user, language=form.language.data or None)
        session.commit()
        flash(_("Settings saved."), "info")
        return redirect(url_for("main.me"))
    team = session.get(Team, current_user.team_id)
    return render_template(
        "main/me.html", form=form, team=team, logout_form=EmptyForm(), calendar_form=EmptyForm()
    )
