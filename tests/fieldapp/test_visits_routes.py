"""Visit pages: permissions on every route, CSRF, the plain (no-JS) form post, editing by the author only."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from fieldapp.models import Customer, FollowUp, OrderLine, Visit
from tests.conftest import csrf_token


@pytest.fixture
def shop(make_people, make_customer, make_product, make_order_line):
    """The izakaya with soy sauce as its usual product, its rep, a colleague, the manager, an outsider."""
    people = make_people(
        language="en",
        rep={"name": "営業 一郎"},
        colleague={"name": "営業 二郎"},
        manager={"role": "manager"},
        outsider={"team": "other"},
    )
    customer = make_customer(
        team=people["team"], name="居酒屋 さくら", assigned_rep_id=people["rep"].id
    )
    usual = make_product(name="業務用醤油", name_en="Soy sauce 18L", unit_price=1200)
    other = make_product(name="割り箸", name_en="Chopsticks", unit_price=300, category="supplies")
    make_order_line(customer=customer, product=usual, quantity=2)
    return {**people, "customer": customer, "usual": usual, "other": other}


def open_form(client, customer_id: int, **query) -> tuple[str, dict[str, str]]:
    response = client.get(f"/customers/{customer_id}/visits/new", query_string=query)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    return html, {
        "csrf_token": csrf_token(html),
        "submission_key": re.search(r'name="submission_key" type="hidden" value="([^"]+)"', html)[
            1
        ],
    }


def post_visit(client, shop, **extra):
    html, hidden = open_form(client, shop["customer"].id)
    data = {
        **hidden,
        "outcome": "order_taken",
        "heard": "Checked stock; will order next week",
        "proposal_reception": "",
        "usual-0-product_id": str(shop["usual"].id),
        "usual-0-quantity": "3",
        "orders-0-product_id": str(shop["other"].id),
        "orders-0-quantity": "2",
        "orders-0-unit_price": "250",
        "followups-0-kind": "quote",
        "followups-0-title": "Send the quote",
        "followups-0-due_date": "2026-12-01",
        "followups-0-owner_id": str(shop["rep"].id),
        **extra,
    }
    return client.post(f"/customers/{shop['customer'].id}/visits/new", data=data)


# --- permissions ------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, shop, make_visit):
    visit = make_visit(rep=shop["rep"], customer=shop["customer"])
    for url in (
        f"/customers/{shop['customer'].id}/visits/new",
        f"/visits/{visit.id}",
        f"/visits/{visit.id}/edit",
    ):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url


def test_rep_of_another_team_gets_404_everywhere(client, shop, login_as, make_visit, db):
    visit = make_visit(rep=shop["rep"], customer=shop["customer"])
    login_as(shop["outsider"])
    assert client.get(f"/customers/{shop['customer'].id}/visits/new").status_code == 404
    assert client.get(f"/visits/{visit.id}").status_code == 404
    assert client.get(f"/visits/{visit.id}/edit").status_code == 404
    token = csrf_token(client.get("/me").get_data(as_text=True))
    response = client.post(
        f"/customers/{shop['customer'].id}/visits/new",
        data={"csrf_token": token, "outcome": "met"},
    )
    assert response.status_code == 404
    assert db.exec(select(Visit)).all() == [visit]


def test_form_offers_usual_products_first_and_the_catalogue(client, shop, login_as):
    login_as(shop["rep"])
    html, _ = open_form(client, shop["customer"].id)
    assert 'name="outcome"' in html and "Order taken" in html
    usual_at = html.index("Soy sauce 18L")
    assert usual_at < html.index("Other products")
    assert f'name="usual-0-product_id" type="hidden" value="{shop["usual"].id}"' in html
    assert "Chopsticks" in html and 'data-price="300"' in html
    # Phrase chips are there for the script to reveal; the plain form does not depend on them.
    assert 'data-phrase="Checked stock; will order next week"' in html
    assert "js/visit_form.js" in html and "<script>" not in html


def test_post_without_csrf_is_refused(client, shop, login_as, db):
    login_as(shop["rep"])
    response = client.post(f"/customers/{shop['customer'].id}/visits/new", data={"outcome": "met"})
    assert response.status_code == 400
    assert db.exec(select(Visit)).all() == []


def test_plain_post_logs_visit_orders_and_followups(client, shop, login_as, db):
    login_as(shop["rep"])
    response = post_visit(client, shop)
    assert response.status_code == 302
    visit = db.exec(select(Visit)).one()
    assert visit.rep_id == shop["rep"].id and visit.outcome == "order_taken"
    assert visit.heard == "Checked stock; will order next week" and visit.status == "done"
    lines = db.exec(select(OrderLine).where(OrderLine.visit_id == visit.id)).all()
    assert sorted((ln.product_id, ln.quantity, ln.unit_price) for ln in lines) == sorted(
        [(shop["usual"].id, 3, 1200), (shop["other"].id, 2, 250)]
    )
    followup = db.exec(select(FollowUp)).one()
    assert (followup.title, followup.kind, followup.owner_id) == (
        "Send the quote",
        "quote",
        shop["rep"].id,
    )
    assert followup.due_date == date(2026, 12, 1)
    customer = db.get(Customer, shop["customer"].id)
    db.refresh(customer)
    assert customer.last_visit_on is not None and customer.next_due_on is not None
    page = client.get(f"/visits/{visit.id}").get_data(as_text=True)
    assert "Checked stock; will order next week" in page and "Soy sauce 18L" in page
    # The next visit's form recalls what is still open at this customer.
    again, _ = open_form(client, shop["customer"].id)
    assert "Before you go in" in again and "Send the quote" in again


def test_double_submit_stores_one_visit(client, shop, login_as, db):
    login_as(shop["rep"])
    html, hidden = open_form(client, shop["customer"].id)
    data = {**hidden, "outcome": "met", "orders-0-product_id": str(shop["other"].id)}
    data["orders-0-quantity"] = "1"
    url = f"/customers/{shop['customer'].id}/visits/new"
    assert client.post(url, data=data).status_code == 302
    assert client.post(url, data=data).status_code == 302
    assert len(db.exec(select(Visit)).all()) == 1
    assert len(db.exec(select(OrderLine).where(OrderLine.source == "visit")).all()) == 1


def test_bad_input_shows_the_message_and_stores_nothing(client, shop, login_as, db):
    login_as(shop["rep"])
    response = post_visit(client, shop, outcome="")
    assert response.status_code == 200
    assert "Please choose the outcome of the visit." in response.get_data(as_text=True)
    response = post_visit(client, shop, **{"orders-0-quantity": "lots"})
    html = response.get_data(as_text=True)
    assert "The quantity must be a whole number." in html
    # What the rep typed is still there.
    assert "Checked stock; will order next week" in html
    assert db.exec(select(Visit)).all() == [] and db.exec(select(FollowUp)).all() == []


def test_a_colleague_and_a_manager_can_log_a_visit(client, shop, login_as, db):
    login_as(shop["colleague"])
    assert post_visit(client, shop).status_code == 302
    client.post(
        "/logout", data={"csrf_token": csrf_token(client.get("/me").get_data(as_text=True))}
    )
    login_as(shop["manager"])
    assert post_visit(client, shop).status_code == 302
    authors = sorted(v.rep_id for v in db.exec(select(Visit)).all())
    assert authors == sorted([shop["colleague"].id, shop["manager"].id])


def test_form_completes_a_checked_in_visit(client, shop, login_as, db):
    checked_in = Visit(
        customer_id=shop["customer"].id,
        rep_id=shop["rep"].id,
        status="in_progress",
        check_in_at=datetime.now(UTC) - timedelta(minutes=10),
    )
    db.add(checked_in)
    db.commit()
    login_as(shop["rep"])
    html, hidden = open_form(client, shop["customer"].id, visit_id=checked_in.id)
    assert "Checked in at" in html
    response = client.post(
        f"/customers/{shop['customer'].id}/visits/new?visit_id={checked_in.id}",
        data={**hidden, "outcome": "met", "heard": "ok"},
    )
    assert response.status_code == 302
    db.expire_all()
    assert [(v.id, v.status, v.heard) for v in db.exec(select(Visit)).all()] == [
        (checked_in.id, "done", "ok")
    ]


# --- detail and edit --------------------------------------------------------------------------------


@pytest.fixture
def logged(client, shop, login_as, db):
    login_as(shop["rep"])
    assert post_visit(client, shop).status_code == 302
    client.post(
        "/logout", data={"csrf_token": csrf_token(client.get("/me").get_data(as_text=True))}
    )
    return db.exec(select(Visit)).one()


def test_whole_team_reads_a_visit_but_only_the_author_edits(client, shop, login_as, logged):
    login_as(shop["colleague"])
    page = client.get(f"/visits/{logged.id}")
    assert page.status_code == 200 and "Checked stock" in page.get_data(as_text=True)
    assert f"/visits/{logged.id}/edit" not in page.get_data(as_text=True)
    assert client.get(f"/visits/{logged.id}/edit").status_code == 403
    _, hidden = open_form(client, shop["customer"].id)
    token = hidden["csrf_token"]
    response = client.post(
        f"/visits/{logged.id}/edit",
        data={"csrf_token": token, "outcome": "met", "heard": "hijack", "version": "1"},
    )
    assert response.status_code == 403


def test_manager_cannot_edit_someone_elses_note(client, shop, login_as, logged):
    login_as(shop["manager"])
    assert client.get(f"/visits/{logged.id}").status_code == 200
    assert client.get(f"/visits/{logged.id}/edit").status_code == 403


def test_author_edits_and_a_stale_edit_shows_both_versions(client, shop, login_as, logged, db):
    login_as(shop["rep"])
    page = client.get(f"/visits/{logged.id}/edit")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    token = csrf_token(html)
    assert 'name="version" type="hidden" value="1"' in html
    first = client.post(
        f"/visits/{logged.id}/edit",
        data={"csrf_token": token, "outcome": "met", "heard": "Corrected note", "version": "1"},
    )
    assert first.status_code == 302
    stale = client.post(
        f"/visits/{logged.id}/edit",
        data={"csrf_token": token, "outcome": "met", "heard": "From an old tab", "version": "1"},
    )
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "Corrected note" in html and "From an old tab" in html
    assert 'name="version" type="hidden" value="2"' in html
    db.expire_all()
    assert db.get(Visit, logged.id).heard == "Corrected note"
    # Saving again after seeing both versions is a deliberate overwrite.
    again = client.post(
        f"/visits/{logged.id}/edit",
        data={"csrf_token": token, "outcome": "met", "heard": "From an old tab", "version": "2"},
    )
    assert again.status_code == 302
    db.expire_all()
    assert db.get(Visit, logged.id).heard == "From an old tab"


@pytest.mark.parametrize("version", ["", "abc"])
def test_a_missing_or_garbled_version_is_refused_as_stale(
    client, shop, login_as, logged, db, version
):
    login_as(shop["rep"])
    token = csrf_token(client.get(f"/visits/{logged.id}/edit").get_data(as_text=True))
    response = client.post(
        f"/visits/{logged.id}/edit",
        data={"csrf_token": token, "outcome": "met", "heard": "Garbled", "version": version},
    )
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Visit, logged.id).heard != "Garbled"
