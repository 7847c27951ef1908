"""A rep walks the day on a phone, in Japanese: plan my day → check in → log a visit → re-plan → report."""

from __future__ import annotations

import pytest
from sqlmodel import select

from fieldapp.models import DailyReport, DayPlanStop, Visit
from tests.browser.conftest import HOME, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, browser_context_args):
    """A phone that lets the app read its position (standing near the first customer)."""
    context = browser.new_context(
        **browser_context_args,
        geolocation={"latitude": HOME[0] + 0.003, "longitude": HOME[1]},
        permissions=["geolocation"],
    )
    yield context.new_page()
    context.close()


def test_rep_walks_the_day_in_japanese(phone, live_server, rep_day, db):
    page = phone
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)

    # Plan my day: the candidates are listed with their reasons, the button plans the day.
    assert "訪問候補" in page.content()
    assert "訪問周期を" in page.locator("#candidates").inner_text()
    page.locator("#plan-my-day").click()
    page.wait_for_selector("li.stop")
    assert page.locator("li.stop").count() == 4
    first = page.locator("li.stop").first
    assert "訪問可能" in first.inner_text()
    assert first.locator("a[href^='tel:']").count() == 1
    assert "destination=" in first.locator("a", has_text="ナビ").get_attribute("href")

    # Check in at the first stop: time and the distance to the customer from the phone's position.
    # (the check-in opens the visit form at once; back on Today the card shows it)
    first.locator("button.check-in").click()
    page.wait_for_selector("form.visit-form")
    page.goto(f"{live_server}/")
    page.wait_for_selector("li.stop.stop-in_progress")
    card = page.locator("li.stop.stop-in_progress")
    assert "チェックイン" in card.inner_text() and "顧客から" in card.inner_text()

    # Check out and log the visit with a few taps.
    card.locator("button.check-out").click()
    page.wait_for_selector("form.visit-form")
    page.locator("#outcome label", has_text="面談").click()
    page.locator("textarea[name=heard]").fill("来月の新メニューで仕入れを増やしたい")
    page.locator("button[type=submit]", has_text="訪問を保存").click()
    page.wait_for_selector("li.stop.stop-done")
    assert page.locator("li.stop.stop-done").count() == 1

    # Running late: re-plan the rest from here; the visit done stays first.
    if not page.locator("#replan").is_visible():  # on time: re-plan is under "More"
        page.locator(".more-actions > summary").click()
    with page.expect_navigation():  # the visit's own confirmation is still on the page until then
        page.locator("#replan").click()
    # the page before may show a confirmation too: wait for this one
    page.locator(".flash", has_text="ここから残りの予定を組み直しました").first.wait_for()
    assert "stop-done" in (page.locator("li.stop").first.get_attribute("class") or "")

    stops = list(db.exec(select(DayPlanStop).order_by(DayPlanStop.position)))
    assert stops[0].state == "done"
    visits = list(db.exec(select(Visit).where(Visit.status == "done")))
    assert len(visits) == 1 and visits[0].heard == "来月の新メニューで仕入れを増やしたい"
    assert visits[0].check_in_lat is not None

    # Daily report: opened from Today, drafted in Japanese with the visit just logged, then submitted.
    page.locator("#report-link").click()
    page.wait_for_selector("#report-form")
    draft = page.locator("textarea[name=body]").input_value()
    assert "【訪問】1件" in draft and "来月の新メニューで仕入れを増やしたい" in draft
    assert "予定と実績" in draft and "居酒屋 さくら" in page.locator("#report-plan").inner_text()
    page.locator("#report-submit").click()
    page.wait_for_selector("#report-text")
    assert "日報を提出しました" in page.locator(".flash").first.inner_text()
    assert "提出済み" in page.locator("#report-status").inner_text()
    assert page.locator("textarea[name=body]").count() == 0  # read-only once submitted
    db.expire_all()
    report = db.exec(select(DailyReport)).one()
    assert report.status == "submitted" and report.submitted_at is not None
    assert "来月の新メニューで仕入れを増やしたい" in report.body
