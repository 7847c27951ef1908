"""Prompts in the app: customer page, visit form answers (online and offline), the quiet period after a
decline, and the managers' acceptance figures with their permissions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from fieldapp.models import Contact, OrderLine, PromptFeedback, Role, Visit
from fieldapp.services import clock
from tests.conftest import csrf_token, login


@pytest.fixture
def shop(db, make_team, make_user, make_customer, make_product):
    """A rep's customer that orders soy sauce every 30 days (due now) and whose owner has a birthday soon."""
    team = make_team()
    rep = make_user(team=team, language="en", name="Rep One")
    manager = make_user(team=team, role=Role.MANAGER, language="en")
    other_manager = make_user(team=make_team(), role=Role.MANAGER, language="en")
    customer = make_customer(team=team, name="Soba Ichi", assigned_rep_id=rep.id)
    soy = make_product(name="業務用醤油", name_en="Soy sauce", unit_price=4200)
    today = clock.local_today(team.timezone)
    for n in range(6):
        db.add(OrderLine(customer_id=customer.id, product_id=soy.id, quantity=2, unit_price=4200,
                         ordered_on=today - timedelta(days=29 + 30 * n), source="imported"))  # fmt: skip
    birthday = today + timedelta(days=2)
    db.add(Contact(customer_id=customer.id, name="Owner Tanaka",
                   birthday=date(1970, birthday.month, min(birthday.day, 28))))  # fmt: skip
    db.commit()
    return {"team": team, "rep": rep, "manager": manager, "other_manager": other_manager,
            "customer": customer, "soy": soy, "today": today}  # fmt: skip


def form_page(client, customer_id: int) -> str:
    response = client.get(f"/customers/{customer_id}/visits/new")
    assert response.status_code == 200
    return response.get_data(as_text=True)


def prompt_fields(html: str) -> dict[str, str]:
    """key → index of each prompt on the visit form."""
    return {
        key: index for index, key in re.findall(r'name="prompts-(\d+)-key" value="([^"]+)"', html)
    }


def test_customer_page_and_visit_form_show_every_prompt_with_evidence(client, login_as, shop):
    login_as(shop["rep"])
    page = client.get(f"/customers/{shop['customer'].id}").get_data(as_text=True)
    assert "Reorder Soy sauce" in page
    assert "Usually every 30 days, 29 days since the last order (6 orders; usually 2)" in page
    assert "Birthday of Owner Tanaka" in page
    html = form_page(client, shop["customer"].id)
    keys = prompt_fields(html)
    assert f"reorder:reorder_due:{shop['soy'].id}" in keys
    assert "relationship:birthday:0" in keys
    for label in ("Proposed", "Ordered", "Declined", "Not now"):
        assert label in html


def post_visit(client, shop, answers: dict[str, str], key: str = "k1"):
    html = form_page(client, shop["customer"].id)
    fields = prompt_fields(html)
    data = {"csrf_token": csrf_token(html), "outcome": "met", "submission_key": key}
    for prompt_key, response in answers.items():
        index = fields[prompt_key]
        data[f"prompts-{index}-key"] = prompt_key
        data[f"prompts-{index}-value"] = "8400"
        data[f"prompts-{index}-response"] = response
    return client.post(f"/customers/{shop['customer'].id}/visits/new", data=data)


def test_a_declined_prompt_is_stored_with_the_visit_and_stays_quiet(client, db, login_as, shop):
    login_as(shop["rep"])
    reorder = f"reorder:reorder_due:{shop['soy'].id}"
    response = post_visit(
        client, shop, {reorder: "declined", "relationship:birthday:0": "proposed"}
    )
    assert response.status_code == 302
    rows = db.exec(select(PromptFeedback).order_by(PromptFeedback.kind)).all()
    assert [(r.kind, r.code, r.product_id, r.response) for r in rows] == [
        ("relationship", "birthday", None, "proposed"),
        ("reorder", "reorder_due", shop["soy"].id, "declined"),
    ]
    assert rows[1].rep_id == shop["rep"].id and rows[1].value_yen == 8400
    assert rows[1].answered_on == shop["today"]
    visit = db.get(Visit, rows[0].visit_id)
    assert "reorder:declined" in visit.prompts_acted
    page = client.get(f"/customers/{shop['customer'].id}").get_data(as_text=True)
    assert "Reorder Soy sauce" not in page  # declined: quiet for two weeks
    assert "Birthday of Owner Tanaka" not in page  # proposed: quiet for three weeks


def test_unknown_answers_are_ignored_and_the_visit_is_saved(client, db, login_as, shop):
    login_as(shop["rep"])
    html = form_page(client, shop["customer"].id)
    data = {"csrf_token": csrf_token(html), "outcome": "met", "submission_key": "k9",
            "prompts-0-key": "bogus:x:1", "prompts-0-response": "ordered",
            "prompts-1-key": f"reorder:reorder_due:{shop['soy'].id}", "prompts-1-response": "maybe"}  # fmt: skip
    assert client.post(f"/customers/{shop['customer'].id}/visits/new", data=data).status_code == 302
    assert db.exec(select(PromptFeedback)).all() == []
    assert len(db.exec(select(Visit)).all()) == 1


def test_offline_visit_keeps_the_answers_and_a_replay_stores_them_once(client, db, login_as, shop):
    login_as(shop["rep"])
    token = client.get("/api/sync/status").get_json()["csrf_token"]
    reorder = f"reorder:reorder_due:{shop['soy'].id}"
    body = {
        "key": "offline-1",
        "at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
        "customer_id": shop["customer"].id,
        "form": [
            ["outcome", "order_taken"],
            ["prompts-0-key", reorder],
            ["prompts-0-value", "8400"],
            ["prompts-0-response", "ordered"],
            ["submission_key", "offline-1"],
        ],  # fmt: skip
    }
    for _ in range(2):
        response = client.post("/api/sync/visits", json=body, headers={"X-CSRFToken": token})
        assert response.status_code == 200, response.get_data(as_text=True)
    (row,) = db.exec(select(PromptFeedback)).all()
    assert (row.kind, row.product_id, row.response) == ("reorder", shop["soy"].id, "ordered")


def test_managers_see_acceptance_by_kind_and_rep_of_their_team_only(app, client, login_as, shop):
    login_as(shop["rep"])
    post_visit(client, shop, {f"reorder:reorder_due:{shop['soy'].id}": "ordered"})
    assert client.get("/team/prompts").status_code == 403  # a rep
    manager = app.test_client()
    login(manager, shop["manager"].email)
    page = manager.get("/team/prompts").get_data(as_text=True)
    assert 'id="chart-by-kind"' in page and 'id="chart-by-rep"' in page
    assert 'data-answer="ordered" data-count="1"' in page
    assert "Reorder" in page and "Rep One" in page and "100% ordered" in page
    outsider = app.test_client()
    login(outsider, shop["other_manager"].email)
    other = outsider.get("/team/prompts").get_data(as_text=True)
    assert "Rep One" not in other and 'id="no-answers"' in other


def test_the_team_dashboard_shows_the_prompts_answered_in_its_period(app, client, login_as, shop):
    login_as(shop["rep"])
    post_visit(client, shop, {f"reorder:reorder_due:{shop['soy'].id}": "ordered"})
    manager = app.test_client()
    login(manager, shop["manager"].email)
    page = manager.get("/team/dashboard/").get_data(as_text=True)
    assert 'id="dashboard-prompts"' in page and "1 answered, 1 ordered (100%)" in page
    assert 'href="/team/prompts"' in page


def test_acceptance_page_needs_a_login(client):
    response = client.get("/team/prompts")
    assert response.status_code == 302 and "login" in response.headers["Location"]


def test_risk_signals_raise_the_value_of_a_visit_in_the_days_candidates(
    app, db, shop, make_customer
):
    from flask_babel import force_locale

    from fieldapp.services.day.candidates import reason_text, select_candidates

    team, rep, soy, today = shop["team"], shop["rep"], shop["soy"], shop["today"]
    fading = make_customer(team=team, name="Fading", assigned_rep_id=rep.id, rank="B")
    steady = make_customer(team=team, name="Steady", assigned_rep_id=rep.id, rank="B")
    for back in range(95, 360, 14):  # busy until three months ago, then silence
        db.add(OrderLine(customer_id=fading.id, product_id=soy.id, quantity=2, unit_price=4200,
                         ordered_on=today - timedelta(days=back), source="imported"))  # fmt: skip
    for back in range(3, 360, 14):
        db.add(OrderLine(customer_id=steady.id, product_id=soy.id, quantity=2, unit_price=4200,
                         ordered_on=today - timedelta(days=back), source="imported"))  # fmt: skip
    db.commit()
    with app.test_request_context():
        pool = select_candidates(db, rep=rep, day=today)
    by_name = {c.customer.name: c for c in pool.candidates}
    risk = [r for r in by_name["Fading"].reasons if r.code == "at_risk"]
    assert risk and risk[0].params["why"] == ["fewer_orders", "less_spend"]
    assert not [r for r in by_name["Steady"].reasons if r.code == "at_risk"]
    assert by_name["Fading"].value > by_name["Steady"].value
    with app.test_request_context(), force_locale("en"):
        text = reason_text(risk[0].as_json(), today=today)
    assert text == "at risk: ordering less often, buying less"


def test_team_statistics_are_cached_until_the_orders_change(app, db, shop, make_customer):
    from fieldapp.services import prompts

    with app.test_request_context():
        catalog = prompts.load_catalog(db)
        first = prompts.team_data(db, team_id=shop["team"].id, today=shop["today"], catalog=catalog)
        again = prompts.team_data(db, team_id=shop["team"].id, today=shop["today"], catalog=catalog)
        assert again.baskets is first.baskets  # counted once
        other = make_customer(team=shop["team"], name="New buyer")
        db.add(OrderLine(customer_id=other.id, product_id=shop["soy"].id, quantity=1,
                         unit_price=4200, ordered_on=shop["today"] - timedelta(days=1)))  # fmt: skip
        db.commit()
        fresh = prompts.team_data(db, team_id=shop["team"].id, today=shop["today"], catalog=catalog)
    assert fresh.baskets is not first.baskets
    assert sum(fresh.baskets.customers.values()) == sum(first.baskets.customers.values()) + 1
