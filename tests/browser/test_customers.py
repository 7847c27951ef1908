"""Customer records on a phone, in Japanese: find by kana and open the page, read contacts and busy
periods in plain words, and two people editing the same customer: the second save is refused."""

from __future__ import annotations

from contextlib import contextmanager
from datetime import timedelta

import pytest

from fieldapp.models import Contact, Customer
from fieldapp.services import clock
from fieldapp.services import customers as customer_service
from tests.browser.conftest import PHONE, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(make_team, make_user, make_customer, make_busy_week, db):
    team = make_team(name="東京東営業所")
    rep = make_user(team=team, name="営業 一郎", email="ichiro@example.com", language="ja")
    manager = make_user(
        team=team, role="manager", name="部長 花子", email="boss@example.com", language="ja"
    )
    today = clock.local_today("Asia/Tokyo")
    customer = make_customer(
        team=team,
        name="居酒屋 さくら",
        kana="イザカヤサクラ",
        phone="03-1234-5678",
        address="東京都台東区浅草1-2-3",
        assigned_rep_id=rep.id,
        next_due_on=today - timedelta(days=2),
        notes="元のメモ",
    )
    make_customer(team=team, name="田中内科クリニック", kana="タナカナイカ", assigned_rep_id=rep.id)
    customer.search_text = customer_service.search_text_for(customer)
    soon = today + timedelta(days=3)
    db.add_all(
        [
            customer,
            Contact(
                customer_id=customer.id,
                name="佐藤 店長",
                role="店長",
                birthday=soon.replace(year=1978),
                hobbies="釣り",
                is_primary=True,
            ),
        ]
    )
    db.commit()
    make_busy_week(customer=customer, lunch="ランチ営業")
    return {"customer": customer, "rep": rep, "manager": manager}


def test_find_by_kana_and_open_the_page(page, live_server, shop):
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.click("nav.bottom-nav >> text=顧客")
    page.fill("input[name=q]", "ｻｸﾗ")  # half-width katakana, as some phones type it
    page.press("input[name=q]", "Enter")
    page.wait_for_selector("#customer-list >> text=居酒屋 さくら")
    assert "田中内科クリニック" not in page.locator("#customer-list").inner_text()
    page.fill("input[name=q]", "いざかや")
    page.press("input[name=q]", "Enter")
    page.click("#customer-list >> text=居酒屋 さくら")
    page.wait_for_url(f"{live_server}/customers/{shop['customer'].id}")
    assert page.locator("#call").get_attribute("href") == "tel:0312345678"
    assert "2 日遅れ" in page.locator("#cadence").inner_text()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_customer_page_in_plain_words(page, live_server, shop):
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.goto(f"{live_server}/customers/{shop['customer'].id}")
    contacts = page.locator("#contacts").inner_text()
    assert "佐藤 店長" in contacts and "釣り" in contacts and "あと 3 日で誕生日" in contacts
    busy = page.locator("#busy").inner_text()
    assert "平日 11:30–13:30 ランチ営業" in busy and "毎週水曜 定休" in busy
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_add_a_busy_period_on_the_phone(page, live_server, shop):
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.goto(f"{live_server}/customers/{shop['customer'].id}/busy/new")
    page.check("input[name=kind][value=dates]")
    assert page.locator(".weekly-only").is_hidden()
    page.fill("input[name=start_date]", "2026-12-20")
    page.fill("input[name=end_date]", "2026-12-31")
    page.check("input[name=whole_day]")
    assert page.locator(".times").is_hidden()
    page.fill("input[name=label]", "年末繁忙")
    page.click("#busy-form button[type=submit]")
    page.wait_for_url(f"{live_server}/customers/{shop['customer'].id}#busy")
    assert "12/20–12/31 年末繁忙" in page.locator("#busy").inner_text()


def test_second_concurrent_save_shows_the_conflict(
    browser, browser_context_args, live_server, shop
):
    url = f"{live_server}/customers/{shop['customer'].id}/edit"
    rep_context = browser.new_context(**browser_context_args)
    boss_context = browser.new_context(**browser_context_args)
    try:
        rep_page, boss_page = rep_context.new_page(), boss_context.new_page()
        sign_in(rep_page, live_server, "ichiro@example.com", PASSWORD)
        sign_in(boss_page, live_server, "boss@example.com", PASSWORD)
        rep_page.goto(url)
        boss_page.goto(url)
        # The manager saves first.
        boss_page.fill("textarea[name=notes]", "部長のメモ")
        boss_page.click("#customer-form button[type=submit]")
        boss_page.wait_for_url(f"{live_server}/customers/{shop['customer'].id}")
        # The rep's form still carries the old version: refused, both versions shown.
        rep_page.fill("textarea[name=notes]", "営業のメモ")
        rep_page.click("#customer-form button[type=submit]")
        rep_page.wait_for_selector("#conflict")
        row = rep_page.locator("tr[data-field=notes]")
        assert "営業のメモ" in row.locator(".theirs").inner_text()
        assert "部長のメモ" in row.locator(".saved").inner_text()
        assert "他の人がこの顧客を保存しました" in rep_page.locator("#conflict").inner_text()
        # Nothing was overwritten: the page shows the manager's note.
        rep_page.goto(f"{live_server}/customers/{shop['customer'].id}")
        assert "部長のメモ" in rep_page.locator("#notes").inner_text()
    finally:
        rep_context.close()
        boss_context.close()


@contextmanager
def rep_phone_at(browser, browser_context_args, live_server: str, lat: float, lon: float):
    """A page signed in as the rep on a phone whose position is (lat, lon)."""
    context = browser.new_context(
        **browser_context_args,
        geolocation={"latitude": lat, "longitude": lon},
        permissions=["geolocation"],
    )
    try:
        page = context.new_page()
        sign_in(page, live_server, "ichiro@example.com", PASSWORD)
        yield page
    finally:
        context.close()


def test_near_me_uses_the_phone_position(
    browser, browser_context_args, live_server, shop, make_customer, db
):
    team_id = shop["customer"].team_id
    make_customer(
        team_id=team_id, name="駅前の店", lat=35.6813, lon=139.7670, assigned_rep_id=shop["rep"].id
    )
    make_customer(
        team_id=team_id, name="郊外の店", lat=35.75, lon=139.90, assigned_rep_id=shop["rep"].id
    )
    with rep_phone_at(browser, browser_context_args, live_server, 35.6812, 139.7671) as page:
        page.goto(f"{live_server}/customers/")
        page.click("#near-me")
        page.wait_for_url("**near=1**")
        assert "lat=35.681200" in page.url and "lon=139.767100" in page.url
        items = page.locator("#customer-list .list-title").all_inner_texts()
        assert items.index("駅前の店") < items.index("郊外の店")
        assert "近い順" in page.locator("#result-count").inner_text()


def test_fix_location_with_the_phone_position(browser, browser_context_args, live_server, shop, db):
    customer_id = shop["customer"].id
    with rep_phone_at(browser, browser_context_args, live_server, 35.7101, 139.8107) as page:
        page.goto(f"{live_server}/customers/{customer_id}/location")
        page.click("#use-position")
        page.wait_for_function(
            "() => document.querySelector('input[name=lat]').value === '35.710100'"
        )
        assert page.input_value("input[name=lon]") == "139.810700"
        page.click("#location-form button[type=submit]")
        page.wait_for_url(f"{live_server}/customers/{customer_id}")
        href = page.locator("#navigate").get_attribute("href")
        assert href.endswith("destination=35.710100,139.810700")
    db.expire_all()
    saved = db.get(Customer, customer_id)
    assert saved.location_source == "device" and not saved.needs_location
