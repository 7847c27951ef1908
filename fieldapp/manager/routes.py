"""Team management for managers: members, adding reps, disabling accounts."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from ..auth.decorators import manager_required
from ..context import current_team, team_today
from ..db import get_session
from ..errors import Forbidden, StaleEdit, ValidationError
from ..forms import EmptyForm, save_form
from ..i18n import CHOICES
from ..me.settings_form import MemberForm, OfficeForm, office_input, saving, settings_input
from ..services import members, overview, plan_runs, planning_settings, users
from ..services import prompts as prompt_service
from .cover import bp as cover_bp
from .dashboard import bp as dashboard_bp
from .forms import AddMemberForm, ResetPasswordForm

bp = Blueprint("manager", __name__, url_prefix="/team")
bp.register_blueprint(dashboard_bp)
bp.register_blueprint(cover_bp)


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
        office_form=_office_form(team_row),
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


@bp.route("/members/<int:user_id>", methods=["GET", "POST"])
@manager_required
def member(user_id: int):
    """A member of the manager's own team: name, role, active, and their planning settings."""
    session = get_session()
    person = members.member_for(session, actor=current_user, user_id=user_id)
    form = MemberForm()
    form.role.choices = [
        (role, CHOICES["role"][role]) for role in members.assignable_roles(current_user, person)
    ]
    if request.method == "GET":
        form.fill(person)
        form.name.data, form.role.data, form.active.data = person.name, person.role, person.active
    elif form.validate_on_submit():
        saved = save_form(
            form,
            saving(members.update_member),
            user_id=person.id,
            version=form.version.data,
            name=form.name.data,
            role=form.role.data,
            active=bool(form.active.data),
            parse=lambda: settings_input(form, session),
            done=_("%(name)s was saved.", name=form.name.data),
            back=lambda saved_member: url_for("manager.member", user_id=saved_member.id),
            conflict=lambda error: _stale_member(error, person.id),
        )
        if saved:
            return saved
    return render_template(
        "manager/member.html",
        member=person,
        form=form,
        settings=planning_settings.settings_for(session, person),
        team=current_team(),
        can_change_account=members.can_change_account(current_user, person),
        reset_form=ResetPasswordForm(formdata=None),
    ), (400 if request.method == "POST" else 200)


def _stale_member(error: StaleEdit, user_id: int):
    flash(error.message, "error")
    return redirect(url_for("manager.member", user_id=user_id))


def _office_form(team_row) -> OfficeForm:
    form = OfficeForm(formdata=None)
    form.office_label.data = team_row.office_label
    form.office_lat.data = "" if team_row.office_lat is None else team_row.office_lat
    form.office_lon.data = "" if team_row.office_lon is None else team_row.office_lon
    return form


@bp.route("/office", methods=["POST"])
@manager_required
def office():
    """Set the team's office: where reps' days start and end until they choose their own place."""
    form = OfficeForm()
    if not form.validate_on_submit():
        abort(400)
    session = get_session()
    try:
        planning_settings.set_team_office(
            session, actor=current_user, **office_input(form, session)
        )
    except ValidationError as error:
        session.rollback()
        flash(error.message, "error")
    else:
        session.commit()
        flash(_("The team's office was saved."), "info")
    return redirect(url_for("manager.team") + "#office")


@bp.route("/members/<int:user_id>/password", methods=["POST"])
@manager_required
def reset_password(user_id: int):
    """Give a member a temporary password: their sessions end and they choose their own at sign-in."""
    members.member_for(get_session(), actor=current_user, user_id=user_id)  # own team's only (404)
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
