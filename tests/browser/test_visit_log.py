"""A rep logs a visit on a phone in Japanese with taps: outcome chip, phrase chip, product, follow-up."""

from __future__ import annotations

import pytest
from sqlmodel import select

from fieldapp.models import FollowUp, OrderLine, Product, Visit
from tests.browser.conftest import PHONE, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(make_team, make_user, make_customer, make_order_line, db):
    team = make_team(name="東京東営業所")
    rep = make_user(team=team, name="営業 一郎", email="ichiro@example.com")
    customer = make_customer(team=team, name="居酒屋 さくら", assigned_rep_id=rep.id)
    soy = Product(code="SOY18", name="業務用醤油 18L", category="調味料", unit_price=4800)
    sticks = Product(
        code="HASHI", name="割り箸 1000膳", kana="ワリバシ", category="消耗品", unit_price=900
    )
    oil = Product(code="OIL", name="サラダ油 16.5kg", category="調味料", unit_price=5200)
    db.add_all([soy, sticks, oil])
    db.commit()
    make_order_line(customer=customer, product=soy)
    return {"rep": rep, "customer": customer, "soy": soy, "sticks": sticks, "oil": oil}


def test_rep_logs_a_visit_with_taps(page, live_server, shop, db):
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.goto(f"{live_server}/customers/{shop['customer'].id}/visits/new")
    assert "訪問を記録" in page.locator("h1").inner_text()

    # Outcome: one tap on a big chip.
    page.locator("#outcome label", has_text="受注").click()
    assert page.locator("#outcome input[value=order_taken]").is_checked()

    # A note template chip inserts the typical phrase.
    page.locator("[data-phrase='在庫確認、来週発注予定']").click()
    assert page.locator("textarea[name=heard]").input_value() == "在庫確認、来週発注予定"

    # The usual product comes first: two taps on its stepper.
    usual = page.locator(".usual-line", has_text="業務用醤油")
    usual.locator("[data-step='1']").click()
    usual.locator("[data-step='1']").click()
    assert usual.locator(".qty").input_value() == "2"

    # Another product from the catalogue (folded under "other products" beside the usual ones): search
    # picks it, the stepper adds one more.
    page.locator("#other-products > summary").click()
    first = page.locator("[data-line]").nth(0)
    # The picker searches the catalogue's code and reading too (hiragana finds katakana, any width).
    first.locator(".product-search").fill("ｈａｓｈｉ")
    assert first.locator(".product-select").input_value() == str(shop["sticks"].id)
    first.locator(".product-search").fill("わりばし")
    assert first.locator(".product-select").input_value() == str(shop["sticks"].id)
    first.locator("[data-step='1']").click()
    assert first.locator(".qty").input_value() == "2"

    # Add a product line.
    second = page.locator("[data-line]").nth(1)
    assert second.is_hidden()
    page.locator("#add-line").click()
    assert second.is_visible()
    second.locator(".product-select").select_option(str(shop["oil"].id))
    assert second.locator(".qty").input_value() == "1"

    # A follow-up: kind chip and title.
    followup = page.locator("[data-followup]").nth(0)
    followup.locator("label", has_text="見積").click()
    followup.locator("input[name='followups-0-title']").fill("見積書を送る")
    followup.locator("input[name='followups-0-due_date']").fill("2026-12-01")

    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("button[type=submit]", has_text="訪問を保存").click()
    page.wait_for_selector("text=訪問を記録しました。")

    page.goto(f"{live_server}/followups/")
    assert "見積書を送る" in page.locator("#open-followups").inner_text()
    assert "居酒屋 さくら" in page.locator("#open-followups").inner_text()

    db.expire_all()
    visit = db.exec(select(Visit)).one()
    assert visit.outcome == "order_taken" and visit.heard == "在庫確認、来週発注予定"
    lines = db.exec(select(OrderLine).where(OrderLine.visit_id == visit.id)).all()
    assert sorted((ln.product_id, ln.quantity, ln.unit_price) for ln in lines) == sorted(
        [(shop["soy"].id, 2, 4800), (shop["sticks"].id, 2, 900), (shop["oil"].id, 1, 5200)]
    )
    stored = db.exec(select(FollowUp)).one()
    assert (stored.kind, stored.owner_id, stored.visit_id) == ("quote", shop["rep"].id, visit.id)


def test_visit_form_works_without_javascript(browser, browser_context_args, live_server, shop, db):
    context = browser.new_context(**browser_context_args, java_script_enabled=False)
    page = context.new_page()
    try:
        sign_in(page, live_server, "ichiro@example.com", PASSWORD)
        page.goto(f"{live_server}/customers/{shop['customer'].id}/visits/new")
        # Script-only controls stay out of the way; every extra row is already there.
        assert page.locator("[data-phrase]").first.is_hidden()
        assert page.locator("#add-line").is_hidden()
        assert page.locator("[data-line]").count() == 3
        page.locator("#other-products > summary").click()  # folded beside the usual products
        assert page.locator("[data-line]").nth(2).is_visible()
        page.locator("#outcome label", has_text="面談").click()
        page.fill("textarea[name=heard]", "新メニュー検討中")
        page.locator(".usual-line .qty").fill("1")
        page.locator("[data-line]").nth(1).locator(".product-select").select_option(
            str(shop["oil"].id)
        )
        page.locator("[data-line]").nth(1).locator(".qty").fill("3")
        page.fill("input[name='followups-1-title']", "配送日を連絡")
        page.locator("button[type=submit]", has_text="訪問を保存").click()
        page.wait_for_selector("text=訪問を記録しました。")
    finally:
        context.close()
    db.expire_all()
    visit = db.exec(select(Visit)).one()
    assert (visit.outcome, visit.heard) == ("met", "新メニュー検討中")
    lines = db.exec(select(OrderLine).where(OrderLine.visit_id == visit.id)).all()
    assert sorted((ln.product_id, ln.quantity) for ln in lines) == sorted(
        [(shop["soy"].id, 1), (shop["oil"].id, 3)]
    )
    assert db.exec(select(FollowUp)).one().title == "配送日を連絡"
