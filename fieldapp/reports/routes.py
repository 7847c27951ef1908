"""Daily report pages: the rep's draft for a day (edit, save, submit), one report, the list of reports.

A rep writes only their own report, so the edit URL carries just the day. Reading goes by report id: the
rep who wrote it and the managers of the same team (another team's report is "not found", a teammate's is
"not allowed").
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..context import team_today
from ..db import get_session
from ..errors import StaleEdit, ValidationError
from ..i18n import ui_language
from ..models import ReportStatus
from ..services import clock, reports, users
from ..urls import parse_day
from .forms import ReportFilterForm, ReportForm

bp = Blueprint("reports", __name__, url_prefix="/reports")


@bp.route("/day/<day>", methods=["GET", "POST"])
@login_required
def edit(day: str):
    """The signed-in user's report for the day: drafted from the day, edited, saved or submitted."""
    the_day = parse_day(day)
    session = get_session()
    stored = reports.get_report(session, rep_id=current_user.id, day=the_day)
    if stored is not None and stored.status != ReportStatus.DRAFT:
        if request.method == "POST":
            flash(_("This report has been submitted and can no longer be changed."), "error")
        return redirect(url_for("reports.detail", report_id=stored.id))
    form = ReportForm()
    theirs = None
    status = 200
    if form.validate_on_submit():
        submit = bool(form.send.data)
        try:
            report = reports.save(
                session,
                actor=current_user,
                day=the_day,
                body=form.body.data or "",
                version=form.version.data,
                now=clock.now_utc(),
                submit=submit,
                lang=ui_language(),
            )
        except ValidationError as error:
            session.rollback()
            target = form.body.errors if error.details.get("field") == "body" else form.form_errors
            target.append(error.message)
            status = 400
        except StaleEdit as error:
            session.rollback()
            theirs = reports.get_report(session, rep_id=current_user.id, day=the_day)
            if theirs is not None and theirs.status != ReportStatus.DRAFT:
                flash(_("This report has been submitted and can no longer be changed."), "error")
                return redirect(url_for("reports.detail", report_id=theirs.id))
            # Saving again now deliberately replaces the stored text (the rep has seen it side by side).
            form.version.data = str(theirs.version if theirs is not None else 0)
            form.form_errors.append(error.message)
            status = 409
        else:
            session.commit()
            if submit:
                flash(_("Report submitted."), "info")
                return redirect(url_for("reports.detail", report_id=report.id))
            flash(_("Draft saved."), "info")
            return redirect(url_for("reports.edit", day=the_day.isoformat()))
    elif request.method == "POST":
        form.form_errors.append(_("Please check the form."))
        status = 400
    view = reports.editing(session, actor=current_user, day=the_day, lang=ui_language())
    if request.method == "GET":
        form.body.data = view.body
        form.version.data = str(view.version)
    return (
        render_template("reports/edit.html", form=form, view=view, day=the_day, theirs=theirs),
        status,
    )


@bp.route("/<int:report_id>")
@login_required
def detail(report_id: int):
    """One report as submitted (or the draft so far): the rep's text and the figures of the day."""
    session = get_session()
    report, rep = reports.readable_report(session, actor=current_user, report_id=report_id)
    return render_template(
        "reports/detail.html",
        report=report,
        rep=rep,
        figures=reports.load_summary(report),
        own=rep.id == current_user.id,
    )


@bp.route("/")
@login_required
def index():
    """Reports newest first: a manager's team by date, rep and status; a rep's own reports."""
    session = get_session()
    members = (
        users.team_members(session, team_id=current_user.team_id) if current_user.is_manager else []
    )
    form = ReportFilterForm(formdata=request.args, members=members)
    form.validate()  # a bad date shows its error and is ignored; the other filters still apply
    day = form.day.data if not form.day.errors else None
    rows = reports.list_reports(
        session,
        actor=current_user,
        rep_id=form.rep_id(),
        status=form.status_value(),
        day=day,
    )
    missing = (
        reports.reps_without_report(session, actor=current_user, day=day)
        if current_user.is_manager and day is not None and not form.rep_id()
        else []
    )
    return render_template(
        "reports/index.html",
        form=form,
        rows=rows,
        missing=missing,
        day=day,
        today_date=team_today(),
    )
