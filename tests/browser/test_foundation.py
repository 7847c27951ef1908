"""A rep and a manager sign in on a phone-size screen, in Japanese and in English, and see their data."""

from __future__ import annotations

import pytest

from fieldapp.services import clock
from tests.browser.conftest import PHONE, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def demo_team(make_team, make_user, make_customer):
    team = make_team(name="東京東営業所")
    manager = make_user(team=team, role="manager", name="部長 花子", email="boss@example.com")
    rep = make_user(team=team, name="営業 一郎", email="ichiro@example.com")
    today = clock.local_today("Asia/Tokyo")
    for name, kana, due in [
        ("居酒屋 さくら", "イザカヤサクラ", today),
        ("田中内科クリニック", "タナカナイカ", None),
    ]:
        make_customer(team=team, name=name, kana=kana, assigned_rep_id=rep.id, next_due_on=due)
    return {"team": team, "manager": manager, "rep": rep}


def test_rep_signs_in_in_japanese(page, live_server, demo_team):
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    assert page.viewport_size == PHONE
    assert page.locator("nav.bottom-nav").is_visible()
    body = page.locator("body").inner_text()
    assert "今日" in body and "居酒屋 さくら" in body and "田中内科クリニック" in body
    assert "チーム" not in page.locator("nav.bottom-nav").inner_text()  # reps have no Team tab
    # Large tap targets in the bottom navigation.
    box = page.locator("nav.bottom-nav a").first.bounding_box()
    assert box["height"] >= 44
    # Nothing overflows the phone width.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_manager_signs_in_in_english_and_sees_team(page, live_server, demo_team):
    page.goto(f"{live_server}/login?lang=en")
    assert page.locator("button[type=submit]").inner_text() == "Sign in"
    page.fill("input[name=email]", "boss@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(f"{live_server}/")
    assert "Team coverage" in page.locator("body").inner_text()
    page.click("nav.bottom-nav >> text=Team")
    page.wait_for_url(f"{live_server}/team/")
    members = page.locator("#members").inner_text()
    assert "営業 一郎" in members and "部長 花子" in members


def test_rep_switches_language_and_signs_out(page, live_server, demo_team):
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.click("nav.bottom-nav >> text=マイページ")
    page.select_option("select[name=language]", "en")
    page.click("form >> text=保存")
    page.wait_for_selector("text=Settings saved.")
    page.click("text=Sign out")
    page.wait_for_url(f"{live_server}/login")
    page.goto(f"{live_server}/")
    assert "/login" in page.url
