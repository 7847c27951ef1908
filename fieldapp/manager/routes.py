"""Team management for managers: members, adding reps, disabling accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.decorators import manager_required
from ..context import current_team, team_today
from ..db import get_session
from ..errors import ValidationError
from ..forms import EmptyForm
from ..services import overview, plan_runs, users
from ..services import prompts as prompt_service
from .forms import AddMemberForm

bp = Blueprint("manager", __name__, url_prefix="/team")


@bp.route("/", methods=["GET", "POST"])
@manager_required
def team():
    """Members of the manager's team with their coverage; form to add a member."""
    session = get_session()
    form = AddMemberForm()
    if form.validate_on_submit():
        try:
            users.create_user(
                session,
                team_id=current_user.team_id,
                email=form.email.data,
                name=form.name.data,
                password=form.password.data,
                role=form.role.data,
                language=form.language.data or None,
                actor=current_user,
            )
        except ValidationError as error:
            session.rollback()
            form.email.errors.append(error.message)
        else:
            session.commit()
            flash(_("%(name)s was added to the team.", name=form.name.data), "info")
            return redirect(url_for("manager.team"))
    team_row = current_team()
    return render_template(
        "manager/team.html",
        team=team_row,
        members=users.team_members(session, team_id=current_user.team_id),
        coverage={
            c.rep.id: c
            for c in overview.team_coverage(session, team_id=team_row.id, today=team_today())
        },
        form=form,
        toggle_form=EmptyForm(),
        plan_runs=plan_runs.recent_runs(session, team_id=team_row.id),
    )


@bp.route("/members/<int:user_id>/active", methods=["POST"])
@manager_required
def set_active(user_id: int):
    """Enable or disable a member of the manager's own team."""
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for("manager.team"))
    session = get_session()
    from flask import request

    activate = request.form.get("active") == "1"
    try:
        user = users.set_active(session, actor=current_user, user_id=user_id, active=activate)
    except ValidationError as error:
        session.rollback()
        flash(error.message, "error")
    else:
        session.commit()
        message = (
            _("%(name)s can sign in again.") if activate else _("%(name)s can no longer sign in.")
        )
        flash(message % {"name": user.name}, "info")
    return redirect(url_for("manager.team"))


@bp.route("/prompts")
@manager_required
def prompts():
    """How the team's reps answered prompts over the last 90 days: by kind and by rep."""
    figures = prompt_service.acceptance(
        get_session(), team_id=current_user.team_id, today=team_today()
    )
    return render_template(
        "manager/prompts.html",
        team=current_team(),
        figures=figures,
        response_labels=dict(prompt_service.response_choices()),
    )
