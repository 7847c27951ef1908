"""Daily report review (上長コメント): managers comment on a report and mark it reviewed; the rep reads.

A comment belongs to its author: only they can edit it, and an edit shows the badge to the rep again (the
words changed since they read it). A report is reviewed once; commenting does not review it by itself,
because "I saw this, more tomorrow" and "done with this report" are different things for a manager.
Every write here is audited in the same transaction.

The managers' list puts reports waiting for a review first (submitted, not yet reviewed), then the rest by
day, and pages past PAGE_SIZE so a large team's months of reports stay one cheap query per page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask_babel import gettext as _
from sqlalchemy import ColumnElement, Select, case, func
from sqlmodel import Session, select

from ..errors import Forbidden, NotFound, StaleEdit, ValidationError
from ..models import DailyReport, ReportComment, ReportStatus, Role, User
from . import audit
from .reports import readable_report

COMMENT_MAX = 4_000
PAGE_SIZE = 200
HANDED_IN = (ReportStatus.SUBMITTED, ReportStatus.REVIEWED)


def _manageable(session: Session, *, actor: User, report_id: int) -> tuple[DailyReport, User]:
    """A report of the manager's team (another team's: not found; a rep: not allowed)."""
    report, rep = readable_report(session, actor=actor, report_id=report_id)
    if not actor.is_manager:
        raise Forbidden(_("Only the team's managers can review reports."))
    return report, rep


def _clean(body: str) -> str:
    text = (body or "").replace("\r\n", "\n").strip()
    if not text:
        raise ValidationError(_("Please write a comment."), field="body")
    if len(text) > COMMENT_MAX:
        raise ValidationError(
            _("A comment can be at most %(n)d characters.", n=COMMENT_MAX), field="body"
        )
    return text


def add_comment(
    session: Session, *, actor: User, report_id: int, body: str, now: datetime
) -> ReportComment:
    """A manager's comment on a handed-in report of their team."""
    report, rep = _manageable(session, actor=actor, report_id=report_id)
    if report.status not in HANDED_IN:
        raise ValidationError(_("A report can be commented on once it has been submitted."))
    comment = ReportComment(report_id=report.id, author_id=actor.id, body=_clean(body))
    comment.created_at = now
    trail = audit.Trail(session, actor, rep.team_id)
    trail.flushed("report_comment", comment, None, ("report_id", "body"))
    return comment


def edit_comment(
    session: Session, *, actor: User, comment_id: int, body: str, version: int, now: datetime
) -> ReportComment:
    """The author's new words for their comment; the rep sees the badge again."""
    comment = session.get(ReportComment, comment_id)
    report = session.get(DailyReport, comment.report_id) if comment is not None else None
    rep = session.get(User, report.rep_id) if report is not None else None
    if comment is None or rep is None or rep.team_id != actor.team_id:
        raise NotFound(_("Comment not found."))
    if comment.author_id != actor.id:
        raise Forbidden(_("Only the author of a comment can change it."))
    if version != comment.version:
        raise StaleEdit(_("This comment was changed elsewhere after you opened it."))
    before = audit.snapshot(comment, ("body",))
    comment.body = _clean(body)
    if comment.body == before["body"]:
        return comment
    comment.updated_at = now
    comment.read_at = None
    comment.version += 1
    audit.Trail(session, actor, rep.team_id).flushed(
        "report_comment", comment, before, ("body",), "update"
    )
    return comment


def mark_reviewed(session: Session, *, actor: User, report_id: int, now: datetime) -> DailyReport:
    """The manager is done with the report (idempotent: reviewing twice changes nothing)."""
    report, rep = _manageable(session, actor=actor, report_id=report_id)
    if report.status == ReportStatus.REVIEWED:
        return report
    if report.status != ReportStatus.SUBMITTED:
        raise ValidationError(_("A report can be reviewed once it has been submitted."))
    before = audit.snapshot(report, ("status",))
    report.status = ReportStatus.REVIEWED
    report.reviewed_at = now
    report.reviewed_by_id = actor.id
    audit.Trail(session, actor, rep.team_id).flushed(
        "daily_report", report, before, ("status", "reviewed_at", "reviewed_by_id"), "review"
    )
    return report


def mark_read(session: Session, *, reader: User, report: DailyReport, now: datetime) -> int:
    """The report's rep has seen its comments: clear their badge. Returns how many were unread."""
    if report.rep_id != reader.id:
        return 0
    unread = list(
        session.exec(
            select(ReportComment).where(
                ReportComment.report_id == report.id, ReportComment.read_at.is_(None)
            )
        )
    )
    for comment in unread:
        comment.read_at = now
        session.add(comment)
    if unread:
        audit.record(
            session,
            actor=reader,
            team_id=reader.team_id,
            entity="daily_report",
            entity_id=report.id,
            action="read",
            after={"comments": [c.id for c in unread]},
        )
    return len(unread)


def unread_count(session: Session, *, rep_id: int) -> int:
    """Comments on the rep's reports they have not read yet (the badge on *Me*)."""
    return int(session.exec(unread_count_query(rep_id)).one())


def unread_count_query(rep_id: int | ColumnElement) -> Select:
    """The count behind `unread_count`; given a column (User.id) it is asked per user of an outer query."""
    return (
        select(func.count(ReportComment.id))
        .join(DailyReport, DailyReport.id == ReportComment.report_id)
        .where(DailyReport.rep_id == rep_id, ReportComment.read_at.is_(None))
    )


def unread_report_ids(session: Session, *, rep_id: int) -> set[int]:
    stmt = (
        select(ReportComment.report_id)
        .join(DailyReport, DailyReport.id == ReportComment.report_id)
        .where(DailyReport.rep_id == rep_id, ReportComment.read_at.is_(None))
    )
    return set(session.exec(stmt))


@dataclass(frozen=True)
class CommentView:
    comment: ReportComment
    author_name: str
    mine: bool


def comments(session: Session, *, report: DailyReport, viewer: User) -> list[CommentView]:
    """The report's comments oldest first, with their authors' names."""
    stmt = (
        select(ReportComment, User.name)
        .join(User, User.id == ReportComment.author_id)
        .where(ReportComment.report_id == report.id)
        .order_by(ReportComment.created_at, ReportComment.id)
    )
    return [CommentView(c, name, c.author_id == viewer.id) for c, name in session.exec(stmt)]


@dataclass(frozen=True)
class ReportRow:
    report: DailyReport
    rep: User
    comments: int
    unread: bool


@dataclass(frozen=True)
class ReportPage:
    rows: list[ReportRow]
    total: int
    page: int
    pages: int


def review_list(
    session: Session,
    *,
    actor: User,
    rep_id: int | None = None,
    status: str | None = None,
    day: date | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ReportPage:
    """Reports of the manager's team (a rep: their own), waiting for review first, then newest day."""
    filters = [User.team_id == actor.team_id]
    if not actor.is_manager:
        rep_id = actor.id
    if rep_id is not None:
        filters.append(DailyReport.rep_id == rep_id)
    if status:
        filters.append(DailyReport.status == status)
    if day is not None:
        filters.append(DailyReport.report_date == day)
    base = select(DailyReport, User).join(User, User.id == DailyReport.rep_id).where(*filters)
    total = int(
        session.exec(
            select(func.count(DailyReport.id))
            .join(User, User.id == DailyReport.rep_id)
            .where(*filters)
        ).one()
    )
    pages = max(1, -(-total // page_size))
    page = min(max(1, page), pages)
    waiting_first = case((DailyReport.status == ReportStatus.SUBMITTED, 0), else_=1)
    stmt = (
        base.order_by(waiting_first, DailyReport.report_date.desc(), User.name, DailyReport.id)
        .offset((page - 1) * page_size)
        .limit(page_size)
    )
    found = list(session.exec(stmt).all())
    ids = [r.id for r, _rep in found]
    counts: dict[int, tuple[int, int]] = {}
    if ids:
        unread = func.sum(case((ReportComment.read_at.is_(None), 1), else_=0))
        for report_id, n, n_unread in session.exec(
            select(ReportComment.report_id, func.count(ReportComment.id), unread)
            .where(ReportComment.report_id.in_(ids))
            .group_by(ReportComment.report_id)
        ):
            counts[report_id] = (int(n), int(n_unread or 0))
    rows = [
        ReportRow(r, rep, counts.get(r.id, (0, 0))[0], counts.get(r.id, (0, 0))[1] > 0)
        for r, rep in found
    ]
    return ReportPage(rows, total, page, pages)


def last_working_day(today: date) -> date:
    """The Monday-to-Friday day before `today`."""
    day = today - timedelta(days=1)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def reps_not_handed_in(session: Session, *, actor: User, day: date) -> list[User]:
    """Active reps of the manager's team who have not handed in the day's report (none, or a draft)."""
    handed = select(DailyReport.rep_id).where(
        DailyReport.report_date == day, DailyReport.status.in_(HANDED_IN)
    )
    stmt = (
        select(User)
        .where(
            User.team_id == actor.team_id,
            User.role == Role.REP,
            User.active.is_(True),
            User.id.not_in(handed),
        )
        .order_by(User.name)
    )
    return list(session.exec(stmt))


def reviewer_name(session: Session, *, report: DailyReport) -> str | None:
    reviewer = session.get(User, report.reviewed_by_id) if report.reviewed_by_id else None
    return reviewer.name if reviewer is not None else None


def comment_report_id(session: Session, *, actor: User, comment_id: int) -> int:
    """The report a comment of the actor's team belongs to (another team's comment: not found)."""
    row = session.exec(
        select(ReportComment.report_id)
        .join(DailyReport, DailyReport.id == ReportComment.report_id)
        .join(User, User.id == DailyReport.rep_id)
        .where(ReportComment.id == comment_id, User.team_id == actor.team_id)
    ).first()
    if row is None:
        raise NotFound(_("Comment not found."))
    return row
