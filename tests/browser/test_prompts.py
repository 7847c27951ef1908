"""A rep marks a prompt as ordered on the visit form; the manager then sees it in the acceptance figures."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlmodel import select

from fieldapp.models import OrderLine, Product, PromptFeedback, Role
from fieldapp.services import clock
from tests.browser.conftest import PHONE, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(make_team, make_user, make_customer, db):
    team = make_team(name="東京東営業所")
    rep = make_user(team=team, name="Rep Ichiro", email="ichiro@example.com", language="en")
    make_user(team=team, name="Boss", email="boss@example.com", role=Role.MANAGER, language="en")
    customer = make_customer(team=team, name="Izakaya Sakura", assigned_rep_id=rep.id)
    soy = Product(code="SOY18", name="業務用醤油 18L", name_en="Soy sauce 18 L", category="調味料",
                  unit_price=4800)  # fmt: skip
    db.add(soy)
    db.commit()
    today = clock.local_today(team.timezone)
    for n in range(6):
        db.add(OrderLine(customer_id=customer.id, product_id=soy.id, quantity=2, unit_price=4800,
                         ordered_on=today - timedelta(days=28 + 30 * n), source="imported"))  # fmt: skip
    db.commit()
    return {"customer": customer, "soy": soy}


def test_prompt_marked_ordered_shows_in_the_managers_figures(page, live_server, shop, db):
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.goto(f"{live_server}/customers/{shop['customer'].id}/visits/new")
    page.locator("#prompts > summary").click()  # the visit form keeps the prompts folded
    prompt = page.locator(".prompt-reorder")
    assert "Reorder Soy sauce 18 L" in prompt.inner_text()
    assert "Usually every 30 days" in prompt.inner_text()
    page.locator("#outcome label", has_text="Order taken").click()
    prompt.locator("label.choice-chip", has_text="Ordered").click()
    assert prompt.locator("input[value=ordered]").is_checked()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.locator("button[type=submit]", has_text="Save visit").click()
    page.wait_for_selector("text=Visit saved.")

    db.expire_all()
    row = db.exec(select(PromptFeedback)).one()
    assert (row.kind, row.product_id, row.response) == ("reorder", shop["soy"].id, "ordered")

    page.context.clear_cookies()
    sign_in(page, live_server, "boss@example.com", PASSWORD)
    page.goto(f"{live_server}/team/")
    page.locator("#team-prompts-link").click()
    chart = page.locator("#chart-by-kind")
    assert "Reorder" in chart.text_content() and "100% ordered" in chart.text_content()
    assert page.locator("#chart-by-rep rect[data-answer=ordered]").count() == 1
    assert "Rep Ichiro" in page.locator("#acceptance-by-rep").inner_text()
