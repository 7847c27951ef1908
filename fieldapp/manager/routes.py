"""Team management for managers: members, adding reps, disabling accounts."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.decorators import manager_required
from ..context import current_team, team_today
from ..db import get_session
from ..errors import Forbidden, ValidationError
from ..forms import EmptyForm
from ..services import overview, plan_runs, users
from .forms import AddMemberForm, ResetPasswordForm

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
    members = users.team_members(session, team_id=current_user.team_id)
    return render_template(
        "manager/team.html",
        team=team_row,
        members=members,
        coverage={
            c.rep.id: c
            for c in overview.team_coverage(session, team_id=team_row.id, today=team_today())
        },
        form=form,
        toggle_form=EmptyForm(),
        reset_form=ResetPasswordForm(formdata=None),
        manageable={m.id for m in members if users.may_manage(current_user, m)},
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
    activate = request.form.get("active") == "1"
    try:
        user = users.set_active(session, actor=current_user, user_id=user_id, active=activate)
    except (ValidationError, Forbidden) as error:
        session.rollback()
        flash(error.message, "error")
    else:
        session.commit()
        message = (
            _("%(name)s can sign in again.") if activate else _("%(name)s can no longer sign in.")
        )
        flash(message % {"name": user.name}, "info")
    return redirect(url_for("manager.team"))


@bp.route("/members/<int:user_id>/password", methods=["POST"])
@manager_required
def reset_password(user_id: int):
    """Give a member a temporary password: their sessions end and they choose their own at sign-in."""
    form = ResetPasswordForm()
    if not form.validate_on_submit():
        for message in form.password.errors or [_("The form has expired. Please try again.")]:
            flash(message, "error")
        return redirect(url_for("manager.team"))
    session = get_session()
    try:
        member = users.reset_password(
            session, actor=current_user, user_id=user_id, temporary=form.password.data
        )
    except ValidationError as error:
        session.rollback()
        flash(error.message, "error")
    else:
        session.commit()
        flash(
            _("%(name)s must choose a new password at the next sign-in.", name=member.name), "info"
        )
    return redirect(url_for("manager.team"))
