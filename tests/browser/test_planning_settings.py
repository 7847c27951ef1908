"""On a phone, in Japanese: set where the day starts (my position as a pin, then the office) and the
hours on *Me*, plan the day, and the first visit is after the day's start."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest

from fieldapp.models import User
from fieldapp.services import clock
from fieldapp.services.day import plans
from tests.browser.conftest import HOME, sign_in, tokyo_today_at
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser
STANDING = (
    HOME[0] + 0.002,
    HOME[1] - 0.002,
)  # where the phone is when the rep taps "use my position"


@pytest.fixture
def phone(browser, browser_context_args):
    context = browser.new_context(
        **browser_context_args,
        geolocation={"latitude": STANDING[0], "longitude": STANDING[1]},
        permissions=["geolocation"],
    )
    yield context.new_page()
    context.close()


def test_rep_sets_start_place_and_hours_then_plans_the_day(
    phone, live_server, db, make_team, make_user, make_customer, monkeypatch
):
    # 08:00 in Tokyo: the day has not started, so the plan starts at the rep's day start.
    eight = tokyo_today_at(8)
    monkeypatch.setattr(clock, "now_utc", lambda: eight)
    team = make_team(
        name="東京東営業所", office_label="本社", office_lat=HOME[0], office_lon=HOME[1]
    )
    rep = make_user(team=team, name="営業 次郎", email="jiro@example.com", language="ja")
    today = clock.local_today("Asia/Tokyo")
    for i in range(3):
        make_customer(
            team_id=team.id,
            name=f"顧客 {i}",
            assigned_rep_id=rep.id,
            next_due_on=today - timedelta(days=2 + i),
            lat=HOME[0] + 0.003 * (i + 1),
            lon=HOME[1] + 0.002 * i,
        )
    page = phone
    sign_in(page, live_server, "jiro@example.com", PASSWORD)

    # Me: start from here (a pin from the phone's position), the day from 10:30 to 17:00.
    page.goto(f"{live_server}/me#planning")
    assert "チームの事業所がまだ設定されていません" not in page.content()  # the team has its office
    page.locator("#start-kind label", has_text="別の場所").click()
    pin = page.locator('.place-pick[data-place="start"]')
    assert pin.is_visible()
    page.fill("input[name=start_label]", "駅前の駐車場")
    pin.locator("button.js-use-position").click()
    pin.locator(".js-place-state", has_text="位置を記録しました").wait_for()
    page.fill("input[name=work_start]", "10:30")
    page.fill("input[name=work_end]", "17:00")
    assert page.locator("button.js-use-position").first.bounding_box()["height"] >= 44
    page.locator("button[type=submit]", has_text="計画の設定を保存").click()
    # the page before may show a confirmation too: wait for this one
    page.locator(".flash", has_text="計画の設定を保存しました").first.wait_for()
    db.expire_all()
    saved = db.get(User, rep.id)
    assert saved.start_kind == "pin" and saved.start_label == "駅前の駐車場"
    assert (round(saved.start_lat, 4), round(saved.start_lon, 4)) == STANDING
    assert (saved.work_start_min, saved.work_end_min) == (630, 1020)

    # Plan my day: every visit after 10:30, the first one shown with its time.
    page.goto(f"{live_server}/")
    page.locator("#plan-my-day").click()
    page.wait_for_selector("li.stop")
    plan = plans.get_plan(db, rep_id=rep.id, day=today)
    stops = plans.plan_stops(db, plan)
    assert len(stops) == 3
    assert stops[0].arrival >= tokyo_today_at(10, 30)
    assert page.locator("li.stop").count() == 3
    first_time = stops[0].start.astimezone(ZoneInfo("Asia/Tokyo")).strftime("%H:%M")
    assert first_time >= "10:30" and first_time in page.locator("li.stop").first.inner_text()

    # Back on Me: start from the office instead; the pin stays saved for later.
    page.goto(f"{live_server}/me#planning")
    page.locator("#start-kind label", has_text="事業所").click()
    assert not pin.is_visible()
    page.locator("button[type=submit]", has_text="計画の設定を保存").click()
    page.locator(".flash", has_text="計画の設定を保存しました").first.wait_for()
    db.expire_all()
    assert db.get(User, rep.id).start_kind == "office"
    assert "本社" in page.locator("#planning").inner_text()
