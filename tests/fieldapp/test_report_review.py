"""Daily report review: 上長コメント, reviewed, the rep's badge until read, author-only edits, audit,
waiting-for-review first with paging, and who has not handed a report in."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from fieldapp.errors import Forbidden, NotFound, StaleEdit, ValidationError
from fieldapp.models import AuditEvent, DailyReport, ReportComment, ReportStatus
from fieldapp.services import report_review, reports
from tests.conftest import csrf_token, login

DAY = date(2026, 11, 24)
NOW = datetime(2026, 11, 24, 10, tzinfo=UTC)


@pytest.fixture
def team(app, db, make_people):
    people = make_people(
        language="en",
        rep={"name": "Rep Ichiro"},
        teammate={"name": "Rep Jiro"},
        late={"name": "Rep Saburo"},
        manager={"role": "manager", "name": "Boss One"},
        other_boss={"role": "manager", "name": "Boss Two"},
        other_manager={"team": "other", "role": "manager"},
    )
    with app.test_request_context():
        report = reports.save(
            db, actor=people["rep"], day=DAY, body="My day", version=0, now=NOW, submit=True
        )
        reports.save(db, actor=people["late"], day=DAY, body="half", version=0, now=NOW)
        db.commit()
    return {**people, "report": report}


def post(client, url, data, page_url):
    token = csrf_token(client.get(page_url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def test_comment_review_badge_read_and_audit(client, login_as, team, db):
    report = team["report"]
    login_as(team["manager"])
    page = f"/reports/{report.id}"
    response = post(
        client, f"/reports/{report.id}/comments", {"body": "良い提案です", "review": "y"}, page
    )
    assert response.status_code == 302
    db.expire_all()
    stored = db.get(DailyReport, report.id)
    assert stored.status == ReportStatus.REVIEWED and stored.reviewed_by_id == team["manager"].id
    comment = db.exec(select(ReportComment)).one()
    assert comment.body == "良い提案です" and comment.read_at is None
    actions = {(e.entity, e.action) for e in db.exec(select(AuditEvent))}
    assert ("report_comment", "create") in actions and ("daily_report", "review") in actions

    rep_client = client.application.test_client()
    assert login(rep_client, team["rep"].email).status_code == 302
    me = rep_client.get("/me").get_data(as_text=True)
    assert 'id="me-badge"' in me and 'id="unread-comments"' in me
    listing = rep_client.get("/reports/").get_data(as_text=True)
    assert "unread-comment" in listing
    detail = rep_client.get(page).get_data(as_text=True)
    assert "良い提案です" in detail and 'id="report-reviewed"' in detail
    assert 'id="comment-form"' not in detail  # the rep does not comment on their own report
    assert 'id="me-badge"' not in rep_client.get("/me").get_data(as_text=True)
    db.expire_all()
    assert db.get(ReportComment, comment.id).read_at is not None
    read = db.exec(select(AuditEvent).where(AuditEvent.action == "read")).one()
    assert json.loads(read.after) == {"comments": [comment.id]}

    # The author edits: the rep sees the badge again, the change is audited with before/after.
    response = post(
        client,
        f"/reports/comments/{comment.id}",
        {f"comment{comment.id}-body": "とても良い提案です", f"comment{comment.id}-version": "1"},
        page,
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(ReportComment, comment.id).read_at is None
    update = db.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "report_comment", AuditEvent.action == "update"
        )
    ).one()
    assert json.loads(update.before) == {"body": "良い提案です"}
    assert json.loads(update.after) == {"body": "とても良い提案です"}
    assert 'id="me-badge"' in rep_client.get("/me").get_data(as_text=True)


def nav_badge(html: str) -> str | None:
    """The Me tab's unread comments badge in the bottom navigation (its text), None when not shown."""
    nav = html[html.index('<nav class="bottom-nav"') :]
    nav = nav[: nav.index("</nav>")]
    if 'id="nav-me-badge"' not in nav:
        return None
    badge = nav[nav.index('id="nav-me-badge"') :]
    return " ".join(re.sub(r"<[^>]+>", " ", badge[badge.index(">") + 1 :]).split())


def test_the_me_tab_shows_unread_comments_on_every_page_until_read(client, login_as, team, db, app):
    report, rep = team["report"], team["rep"]
    rep_client = app.test_client()
    assert login(rep_client, rep.email).status_code == 302
    pages = ("/", "/customers/", "/reports/", "/me")
    assert all(nav_badge(rep_client.get(url).get_data(as_text=True)) is None for url in pages)

    with app.test_request_context():
        report_review.add_comment(db, actor=team["manager"], report_id=report.id, body="a", now=NOW)
        report_review.add_comment(db, actor=team["manager"], report_id=report.id, body="b", now=NOW)
        db.commit()
    for url in pages:
        response = rep_client.get(url)
        assert response.status_code == 200
        # The number for the eye, the sentence for a screen reader (the rep's language: English).
        assert nav_badge(response.get_data(as_text=True)) == "2 2 unread comments", url
    rep.language = None
    db.add(rep)
    db.commit()
    japanese = rep_client.get("/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert nav_badge(japanese) == "2 未読コメント 2件"
    # The manager who wrote them has no badge: the comments are not on their reports.
    login_as(team["manager"])
    assert nav_badge(client.get("/customers/").get_data(as_text=True)) is None

    # The rep opens the report: read, and the badge is gone from the page that shows it and every other.
    detail = rep_client.get(f"/reports/{report.id}").get_data(as_text=True)
    assert nav_badge(detail) is None
    assert all(nav_badge(rep_client.get(url).get_data(as_text=True)) is None for url in pages)


def test_only_the_author_edits_and_stale_edits_are_refused(app, db, team):
    with app.test_request_context():
        comment = report_review.add_comment(
            db, actor=team["manager"], report_id=team["report"].id, body="first", now=NOW
        )
        db.commit()
        with pytest.raises(Forbidden):
            report_review.edit_comment(
                db, actor=team["other_boss"], comment_id=comment.id, body="x", version=1, now=NOW
            )
        with pytest.raises(NotFound):
            report_review.edit_comment(
                db, actor=team["other_manager"], comment_id=comment.id, body="x", version=1, now=NOW
            )
        with pytest.raises(StaleEdit):
            report_review.edit_comment(
                db, actor=team["manager"], comment_id=comment.id, body="x", version=7, now=NOW
            )
        with pytest.raises(ValidationError):
            report_review.edit_comment(
                db, actor=team["manager"], comment_id=comment.id, body="  ", version=1, now=NOW
            )
        db.rollback()
    assert db.get(ReportComment, comment.id).body == "first"


def test_a_draft_cannot_be_commented_or_reviewed(app, db, team):
    draft = reports.get_report(db, rep_id=team["late"].id, day=DAY)
    with app.test_request_context():
        with pytest.raises(ValidationError):
            report_review.add_comment(
                db, actor=team["manager"], report_id=draft.id, body="x", now=NOW
            )
        with pytest.raises(ValidationError):
            report_review.mark_reviewed(db, actor=team["manager"], report_id=draft.id, now=NOW)


@pytest.mark.parametrize("who", ["rep", "teammate", "other_manager"])
def test_reps_and_other_teams_cannot_comment_review_or_edit(client, login_as, team, db, who):
    report = team["report"]
    with client.application.test_request_context():
        comment = report_review.add_comment(
            db, actor=team["manager"], report_id=report.id, body="mine", now=NOW
        )
        db.commit()
    login_as(team[who])
    token = csrf_token(client.get("/me").get_data(as_text=True))
    expected = {403} if who != "other_manager" else {404}
    for url, data in (
        (f"/reports/{report.id}/comments", {"body": "hack", "review": "y"}),
        (f"/reports/{report.id}/review", {}),
        (
            f"/reports/comments/{comment.id}",
            {f"comment{comment.id}-body": "hack", f"comment{comment.id}-version": "1"},
        ),
    ):
        assert client.post(url, data={"csrf_token": token, **data}).status_code in expected, url
    db.expire_all()
    assert db.get(DailyReport, report.id).status == ReportStatus.SUBMITTED
    assert [c.body for c in db.exec(select(ReportComment))] == ["mine"]


def test_waiting_for_review_first_paging_and_missing(client, login_as, app, db, team):
    rep = team["rep"]
    with app.test_request_context():
        for back in range(1, 6):
            day = DAY - timedelta(days=back)
            reports.save(
                db, actor=rep, day=day, body=f"day {back}", version=0, now=NOW, submit=True
            )
        old = reports.get_report(db, rep_id=rep.id, day=DAY - timedelta(days=1))
        report_review.mark_reviewed(db, actor=team["manager"], report_id=old.id, now=NOW)
        db.commit()
        page1 = report_review.review_list(db, actor=team["manager"], page=1, page_size=4)
        page2 = report_review.review_list(db, actor=team["manager"], page=2, page_size=4)
    assert page1.total == 7 and page1.pages == 2  # 6 of the rep (one reviewed) + the late draft
    statuses = [r.report.status for r in page1.rows + page2.rows]
    assert statuses[:5] == ["submitted"] * 5
    assert [r.report.report_date for r in page1.rows[:2]] == [DAY, DAY - timedelta(days=2)]
    assert {r.report.id for r in page1.rows}.isdisjoint({r.report.id for r in page2.rows})
    # A draft is not handed in: the late rep and the teammate (nothing) are missing for DAY.
    with app.test_request_context():
        missing = report_review.reps_not_handed_in(db, actor=team["manager"], day=DAY)
    assert [u.name for u in missing] == ["Rep Jiro", "Rep Saburo"]
    login_as(team["manager"])
    html = client.get("/reports/?day=2026-11-24").get_data(as_text=True)
    assert "Rep Saburo" in html.split('id="reports-missing"')[1].split("</section>")[0]


def test_the_list_pages_past_200(client, login_as, app, db, team):
    login_as(team["manager"])
    with app.test_request_context():
        reports.save(db, actor=team["teammate"], day=DAY, body="t", version=0, now=NOW, submit=True)
        db.commit()
    rows = [
        (DailyReport(rep_id=team["teammate"].id, report_date=DAY - timedelta(days=i), body="x"))
        for i in range(1, 205)
    ]
    db.add_all(rows)
    db.commit()
    first = client.get("/reports/").get_data(as_text=True)
    assert first.count('class="list-item') == report_review.PAGE_SIZE
    assert 'id="reports-pager"' in first and "Page 1 of 2" in first
    second = client.get("/reports/?page=2").get_data(as_text=True)
    assert "Page 2 of 2" in second and 'rel="prev"' in second
    assert client.get("/reports/?page=99").status_code == 200


def test_missing_reports_default_to_the_last_working_day():
    assert report_review.last_working_day(date(2026, 11, 23)) == date(
        2026, 11, 20
    )  # Monday → Friday
    assert report_review.last_working_day(date(2026, 11, 25)) == date(2026, 11, 24)
