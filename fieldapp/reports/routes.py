"""Daily report pages: the rep's draft for a day (edit, save, submit), one report, the list of reports.

A rep writes only their own report, so the edit URL carries just the day. Reading goes by report id: the
rep who wrote it and the managers of the same team (another team's report is "not found", a teammate's is
"not allowed").
"""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_required

from ..auth.decorators import manager_required
from ..context import team_today, unread_report_comments_changed
from ..db import get_session
from ..errors import StaleEdit, ValidationError
from ..forms import EmptyForm
from ..i18n import ui_language
from ..models import ReportStatus
from ..services import clock, report_review, reports, users
from ..urls import parse_day
from .forms import CommentForm, EditCommentForm, ReportFilterForm, ReportForm

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
    """One report as submitted (or the draft so far), its comments; the rep reading it clears the badge."""
    session = get_session()
    report, rep = reports.readable_report(session, actor=current_user, report_id=report_id)
    if report_review.mark_read(session, reader=current_user, report=report, now=clock.now_utc()):
        session.commit()
        unread_report_comments_changed()
    return _detail_page(session, report, rep)


def _detail_page(session, report, rep, *, comment_form=None, edit_forms=None, status=200):
    comments = report_review.comments(session, report=report, viewer=current_user)
    edit_forms = edit_forms or {}
    for view in comments:
        if view.mine and view.comment.id not in edit_forms:
            edit_forms[view.comment.id] = EditCommentForm(
                formdata=None,
                prefix=_edit_prefix(view.comment.id),
                body=view.comment.body,
                version=view.comment.version,
            )
    return (
        render_template(
            "reports/detail.html",
            report=report,
            rep=rep,
            figures=reports.load_summary(report),
            own=rep.id == current_user.id,
            comments=comments,
            comment_form=comment_form or CommentForm(formdata=None),
            edit_forms=edit_forms,
            review_form=EmptyForm(),
            reviewer=report_review.reviewer_name(session, report=report),
        ),
        status,
    )


def _edit_prefix(comment_id: int) -> str:
    """Each comment's edit form has its own field names and ids (several on one page)."""
    return f"comment{comment_id}"


@bp.route("/<int:report_id>/comments", methods=["POST"])
@manager_required
def comment(report_id: int):
    """A manager's comment (上長コメント), and the report marked reviewed when the box is ticked."""
    session = get_session()
    report, rep = reports.readable_report(session, actor=current_user, report_id=report_id)
    form = CommentForm()
    if form.validate_on_submit():
        now = clock.now_utc()
        try:
            report_review.add_comment(
                session, actor=current_user, report_id=report.id, body=form.body.data, now=now
            )
            if form.review.data:
                report_review.mark_reviewed(
                    session, actor=current_user, report_id=report.id, now=now
                )
        except ValidationError as error:
            session.rollback()
            form.body.errors.append(error.message)
        else:
            session.commit()
            flash(_("Comment saved."), "info")
            return redirect(url_for("reports.detail", report_id=report.id))
    else:
        form.body.errors.append(_("Please check the form."))
    return _detail_page(session, report, rep, comment_form=form, status=400)


@bp.route("/comments/<int:comment_id>", methods=["POST"])
@manager_required
def edit_comment(comment_id: int):
    """The author changes their comment (nobody else can); a stale version is refused."""
    session = get_session()
    form = EditCommentForm(prefix=_edit_prefix(comment_id))
    report_id = None
    if form.validate_on_submit():
        try:
            saved = report_review.edit_comment(
                session,
                actor=current_user,
                comment_id=comment_id,
                body=form.body.data,
                version=form.version.data,
                now=clock.now_utc(),
            )
        except (ValidationError, StaleEdit) as error:
            session.rollback()
            flash(error.message, "error")
            report_id = report_review.comment_report_id(
                session, actor=current_user, comment_id=comment_id
            )
        else:
            session.commit()
            flash(_("Comment saved."), "info")
            report_id = saved.report_id
    else:
        flash(_("The form has expired. Please try again."), "error")
        report_id = report_review.comment_report_id(
            session, actor=current_user, comment_id=comment_id
        )
    return redirect(url_for("reports.detail", report_id=report_id))


@bp.route("/<int:report_id>/review", methods=["POST"])
@manager_required
def review(report_id: int):
    """The manager is done with the report."""
    form = EmptyForm()
    if not form.validate_on_submit():
        flash(_("The form has expired. Please try again."), "error")
        return redirect(url_for("reports.detail", report_id=report_id))
    session = get_session()
    try:
        report_review.mark_reviewed(
            session, actor=current_user, report_id=report_id, now=clock.now_utc()
        )
    except ValidationError as error:
        session.rollback()
        flash(error.message, "error")
    else:
        session.commit()
        flash(_("Report marked as reviewed."), "info")
    return redirect(url_for("reports.detail", report_id=report_id))


@bp.route("/")
@login_required
def index():
    """Reports: a manager's team waiting-for-review first, paged, with who has not handed one in; a
    rep's own."""
    session = get_session()
    members = (
        users.team_members(session, team_id=current_user.team_id) if current_user.is_manager else []
    )
    form = ReportFilterForm(formdata=request.args, members=members)
    form.validate()  # a bad date shows its error and is ignored; the other filters still apply
    day = form.day.data if not form.day.errors else None
    page = report_review.review_list(
        session,
        actor=current_user,
        rep_id=form.rep_id(),
        status=form.status_value(),
        day=day,
        page=request.args.get("page", 1, type=int),
    )
    # Who has not handed in: the chosen day, else the last working day before today (today's reports
    # are still being written, and nobody owes one for a Sunday).
    missing_day = day or report_review.last_working_day(team_today())
    missing = (
        report_review.reps_not_handed_in(session, actor=current_user, day=missing_day)
        if current_user.is_manager and not form.rep_id()
        else []
    )
    unread = (
        report_review.unread_report_ids(session, rep_id=current_user.id)
        if not current_user.is_manager
        else set()
    )
    return render_template(
        "reports/index.html",
        form=form,
        page=page,
        missing=missing,
        missing_day=missing_day,
        unread=unread,
        day=day,
        today_date=team_today(),
        page_args={k: v for k, v in request.args.items() if k != "page"},
    )
