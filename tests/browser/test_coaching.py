"""A manager coaches on a phone: the team dashboard with a drill-down, a comment on a daily report that
the rep reads (the badge on Me goes away), and covering an absent rep's day."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlmodel import select

from fieldapp.models import DayPlan, RepAbsence, Visit
from fieldapp.services import clock, reports
from tests.browser.conftest import HOME, PHONE, sign_in
from tests.conftest import PASSWORD, saved

pytestmark = pytest.mark.browser


def _next_weekday(day):
    day += timedelta(days=1)
    while day.weekday() >= 5:
        day += timedelta(days=1)
    return day


@pytest.fixture
def coached(app, db, make_team, make_user, make_customer):
    team = make_team(name="東京東営業所")
    home = {"start_lat": HOME[0], "start_lon": HOME[1], "language": "ja"}
    boss = make_user(team=team, role="manager", name="部長 花子", email="boss@example.com", **home)
    ichiro = make_user(team=team, name="営業 一郎", email="ichiro@example.com", **home)
    jiro = make_user(team=team, name="営業 次郎", email="jiro@example.com", **home)
    today = clock.local_today("Asia/Tokyo")
    tz = team.timezone
    customers = [
        make_customer(
            team=team,
            name=name,
            rank="A",
            assigned_rep_id=ichiro.id,
            next_due_on=today - timedelta(days=2 + i),
            lat=HOME[0] + 0.003 * (i + 1),
            lon=HOME[1] + 0.002 * i,
        )
        for i, name in enumerate(["居酒屋 さくら", "山田商店", "北斗会計事務所"])
    ]
    from zoneinfo import ZoneInfo

    morning = datetime.combine(today, time(10), tzinfo=ZoneInfo(tz)).astimezone(UTC)
    saved(
        db,
        Visit(
            customer_id=customers[0].id,
            rep_id=ichiro.id,
            status="done",
            check_in_at=morning,
            check_out_at=morning + timedelta(minutes=20),
            needs="安い醤油を探している",
            proposals="まとめ買い割引",
        ),
    )
    away_day = _next_weekday(today)
    appointment = saved(
        db,
        Visit(
            customer_id=customers[1].id,
            rep_id=ichiro.id,
            status="planned",
            is_appointment=True,
            scheduled_start=datetime.combine(away_day, time(14), tzinfo=ZoneInfo(tz)).astimezone(
                UTC
            ),
        ),
    )
    saved(db, RepAbsence(rep_id=ichiro.id, absent_on=away_day, note="研修"))
    with app.test_request_context():
        report = reports.save(
            db,
            actor=ichiro,
            day=today,
            body="今日は3件訪問しました。",
            version=0,
            now=clock.now_utc(),
            submit=True,
        )
        db.commit()
    return {
        "boss": boss,
        "ichiro": ichiro,
        "jiro": jiro,
        "customers": customers,
        "report": report,
        "appointment": appointment,
        "away_day": away_day,
    }


def test_dashboard_with_a_drill_down(page, live_server, coached):
    sign_in(page, live_server, "boss@example.com", PASSWORD)
    page.goto(f"{live_server}/team/")
    page.click("#team-dashboard-link")
    page.wait_for_url(f"{live_server}/team/dashboard/")
    assert page.locator("#chart-trend svg polyline").count() == 2
    assert page.locator("#chart-plan svg rect").count() == 4
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    card = page.locator(f"#rep-{coached['ichiro'].id}")
    needs = card.locator(f"a[href*='/reps/{coached['ichiro'].id}/needs']")
    assert needs.inner_text() == "1"
    assert needs.bounding_box()["height"] >= 44
    needs.click()
    page.wait_for_url(f"**/reps/{coached['ichiro'].id}/needs**")
    rows = page.locator("#drill-rows").inner_text()
    assert "居酒屋 さくら" in rows and "安い醤油を探している" in rows
    page.click("#back-to-dashboard")
    page.wait_for_url("**/team/dashboard/**")
    # At desktop width the reps' cards sit side by side.
    page.set_viewport_size({"width": 1280, "height": 900})
    boxes = [page.locator(".rep-card").nth(i).bounding_box() for i in range(2)]
    assert boxes[0]["y"] == boxes[1]["y"] and boxes[1]["x"] > boxes[0]["x"]
    assert page.evaluate("document.documentElement.scrollWidth") <= 1280


def test_a_report_comment_read_by_the_rep(page, live_server, coached):
    sign_in(page, live_server, "boss@example.com", PASSWORD)
    page.goto(f"{live_server}/reports/")
    first = page.locator("#reports .list-item").first
    assert "営業 一郎" in first.inner_text()
    first.locator("a").click()
    page.fill("#comment-form textarea[name=body]", "良い訪問でした。次は見積まで進めましょう。")
    page.click("#comment-form button[type=submit]")
    page.wait_for_url(f"{live_server}/reports/{coached['report'].id}")
    assert "良い訪問でした" in page.locator("#report-comments").inner_text()
    assert page.locator("#report-reviewed").is_visible()

    page.context.clear_cookies()
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    # The bottom navigation's Me tab carries the count on every page (with a sentence for screen readers).
    badge = page.locator(".bottom-nav #nav-me-badge")
    assert badge.is_visible() and "1" in badge.inner_text()
    page.goto(f"{live_server}/me")
    assert page.locator("#me-badge").inner_text() == "1"
    assert badge.is_visible()
    page.click("#my-reports")
    page.locator("#reports .unread-comment").first.click()
    assert "良い訪問でした" in page.locator("#report-comments").inner_text()
    assert badge.count() == 0
    page.goto(f"{live_server}/me")
    assert page.locator("#me-badge").count() == 0
    assert badge.count() == 0


def test_covering_an_absent_reps_day(page, live_server, coached, db):
    sign_in(page, live_server, "boss@example.com", PASSWORD)
    page.goto(f"{live_server}/team/")
    page.click("#team-cover-link")
    page.locator("#absences .suggest-cover").first.click()
    page.wait_for_url("**/team/cover/?rep=**")
    assert page.locator("select[name=rep]").input_value() == str(coached["ichiro"].id)
    assert page.locator("input[name=first_day]").input_value() == coached["away_day"].isoformat()
    jiro_box = page.locator(f"#cover-teammates input[value='{coached['jiro'].id}']")
    assert jiro_box.is_checked()
    page.click("#cover-form button[type=submit]")
    page.wait_for_selector("#cover-confirm")
    route = page.locator(f"#cover-route-{coached['jiro'].id}").inner_text()
    assert "山田商店" in route and "14:00" in route
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("#cover-confirm button[type=submit]")
    page.wait_for_url(f"{live_server}/team/cover/")
    assert "代行を保存しました" in page.locator("body").inner_text()
    db.expire_all()
    assert db.get(Visit, coached["appointment"].id).rep_id == coached["jiro"].id
    plan = db.exec(
        select(DayPlan).where(
            DayPlan.rep_id == coached["jiro"].id, DayPlan.plan_date == coached["away_day"]
        )
    ).one()
    assert plan.status == "accepted"
    assert "代行済み" in page.locator("#absences").inner_text()
