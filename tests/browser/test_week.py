"""A rep plans the week on a phone, in Japanese: This week → Plan my week → move a customer to another
day → Accept the week → Today of that day shows the visit."""

from __future__ import annotations

import pytest

from fieldapp.services import clock
from fieldapp.services.day import planning
from tests.browser.conftest import HOME, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def rep_week(make_home_rep, make_customer, db):
    """A rep whose six customers fall due over the next working days, a few hundred metres apart."""
    rep = make_home_rep(name="営業 二郎", email="jiro@example.com")
    today = clock.local_today("Asia/Tokyo")
    days = planning.week_days(db, rep, today)
    names = [
        "居酒屋 さくら",
        "山田商店",
        "北斗会計事務所",
        "カフェ 福助",
        "田中クリニック",
        "丸井工業",
    ]
    customers = [
        make_customer(
            team_id=rep.team_id,
            name=name,
            rank="A" if i < 2 else "B",
            cadence_days=7,
            assigned_rep_id=rep.id,
            next_due_on=days[i % len(days)],
            lat=HOME[0] + 0.003 * (i + 1),
            lon=HOME[1] + 0.002 * i,
        )
        for i, name in enumerate(names)
    ]
    return {"rep": rep, "customers": customers, "days": days, "today": today}


def test_rep_plans_moves_and_accepts_the_week(page, live_server, rep_week):
    sign_in(page, live_server, "jiro@example.com", PASSWORD)
    page.locator("#this-week").click()
    page.wait_for_selector("#plan-week")
    assert "週の計画はまだありません" in page.content()

    page.locator("#plan-week").click()
    page.wait_for_selector("ol.week-days")
    assert "日間に" in page.locator(".flash").first.inner_text()
    assert page.locator("li.week-day").count() == len(rep_week["days"])
    # the days side by side fit the phone's width by scrolling sideways, not the page
    assert page.evaluate("document.documentElement.scrollWidth") <= 390

    # tap a day with visits, move its first customer to another day
    day_links = page.locator("a.week-day-link")
    for i in range(day_links.count()):
        if "0件" not in day_links.nth(i).inner_text().split("\n")[1]:
            day_links.nth(i).click()
            break
    page.wait_for_selector("#day-stops li.week-stop")
    stop = page.locator("#day-stops li.week-stop").first
    name = stop.locator(".list-title").inner_text()
    select = stop.locator("select[name=to_day]")
    target = select.locator("option").last.get_attribute("value")
    select.select_option(target)
    stop.locator("button", has_text="移動").click()
    # the page before may show a confirmation too: wait for this one
    page.locator(".flash", has_text="週の残りを計画し直しました").first.wait_for()
    moved = page.locator("#day-stops li.week-stop", has_text=name)
    assert "あなたがこの日に移動" in moved.inner_text()

    page.locator("#accept-week").click()
    # the page before may show a confirmation too: wait for this one
    page.locator(".flash", has_text="週を確定しました").first.wait_for()

    # Today of that day shows the visit
    if target == rep_week["today"].isoformat():
        page.goto(f"{live_server}/")
    else:
        page.goto(f"{live_server}/day/{target}")
    page.wait_for_selector("li.stop")
    assert name in page.locator("#stops").inner_text()
    assert page.locator("li.stop", has_text=name).count() == 1
