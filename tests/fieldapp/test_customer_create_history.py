"""Creating a customer in the app (pin or geocoded address, duplicate warnings the user can override) and
the customer's full history (visits, orders, changes; paged, newest first, by kind)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from sqlmodel import select

from fieldapp.models import AuditEvent, Customer, OrderLine, Visit
from tests.conftest import csrf_token, saved


def _form(client, **fields):
    token = csrf_token(client.get("/customers/new").get_data(as_text=True))
    data = {"segment": "shop", "rank": "B", "cadence_days": "14", "visit_minutes": "20",
            "status": "active", "csrf_token": token, **fields}  # fmt: skip
    return client.post("/customers/new", data=data)


def test_a_rep_adds_a_pinned_customer_of_their_own(client, login_as, db, rep):
    login_as(rep)
    response = _form(client, name="喫茶 こもれび", kana="キッサコモレビ", phone="０３－１１１１－２２２２",
                     lat="35.7", lon="139.7")  # fmt: skip
    assert response.status_code == 302
    customer = db.exec(select(Customer).where(Customer.name == "喫茶 こもれび")).one()
    assert customer.assigned_rep_id == rep.id and customer.phone == "03-1111-2222"
    assert (customer.lat, customer.lon, customer.location_source) == (35.7, 139.7, "pinned")
    event = db.exec(
        select(AuditEvent).where(
            AuditEvent.entity == "customer", AuditEvent.entity_id == customer.id
        )
    ).one()
    assert event.action == "create" and event.actor_id == rep.id
    # found by the search at once (its document was made by the trigger)
    html = client.get("/customers/?q=こもれび&mine=0").get_data(as_text=True)
    assert "喫茶 こもれび" in html


def test_without_a_pin_or_geocoder_the_customer_needs_a_location(client, login_as, db, rep):
    login_as(rep)
    assert _form(client, name="新店", address="東京都台東区浅草1-1").status_code == 302
    customer = db.exec(select(Customer).where(Customer.name == "新店")).one()
    assert customer.lat is None and customer.needs_location is True


def test_duplicates_warn_and_can_be_overridden(client, login_as, db, rep, add_customer):
    add_customer(name="居酒屋 さくら", phone="03-1234-5678", address="東京都台東区浅草1-2-3")
    login_as(rep)
    # the same phone, typed differently
    response = _form(client, name="さくら 2号店", phone="0312345678")
    html = response.get_data(as_text=True)
    assert response.status_code == 409 and "居酒屋 さくら" in html and 'id="duplicates"' in html
    # the same name at the same address (full-width digits)
    response = _form(client, name="居酒屋 さくら", address="東京都台東区浅草１－２－３")
    assert response.status_code == 409
    assert db.exec(select(Customer)).all().__len__() == 1
    # deliberately created anyway
    response = _form(client, name="さくら 2号店", phone="0312345678", allow_duplicate="y")
    assert response.status_code == 302
    assert len(db.exec(select(Customer)).all()) == 2


def test_bad_input_is_refused_with_a_message(client, login_as, db, rep):
    login_as(rep)
    response = _form(client, name="店", lat="95", lon="139")
    assert response.status_code == 400
    assert "-90" in response.get_data(as_text=True) or "緯度" in response.get_data(as_text=True)
    assert _form(client, name="").status_code == 400
    assert db.exec(select(Customer)).all() == []


def test_history_pages_every_visit_order_and_change(
    client, login_as, db, rep, add_customer, make_product
):
    customer = add_customer(name="履歴の店")
    start = datetime(2026, 6, 1, 1, 0, tzinfo=UTC)
    for i in range(30):
        saved(db, Visit(customer_id=customer.id, rep_id=rep.id, status="done",
                        check_in_at=start + timedelta(days=i), heard=f"訪問メモ{i:02d}"))  # fmt: skip
    product = make_product(name="ペーパータオル")
    saved(db, OrderLine(customer_id=customer.id, product_id=product.id, ordered_on=date(2026, 6, 20),
                        quantity=3, unit_price=500))  # fmt: skip
    login_as(rep)
    client.post(
        f"/customers/{customer.id}/edit",
        data={"csrf_token": csrf_token(client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)),
              "version": "1", "name": "履歴の店", "segment": "shop", "rank": "A",
              "cadence_days": "14", "visit_minutes": "20", "status": "active"},
    )  # fmt: skip
    first = client.get(f"/customers/{customer.id}/history").get_data(as_text=True)
    assert first.count('data-kind="change"') == 1  # the edit is the newest
    # newest first: the edit, visits of 30 Jun … 21 Jun, the order of 20 Jun (noon), visits 20 Jun …
    assert "訪問メモ29" in first and "訪問メモ12" in first and "訪問メモ11" not in first
    assert "ペーパータオル × 3" in first and "¥1,500" in first
    assert first.index("訪問メモ20") < first.index("ペーパータオル") < first.index("訪問メモ19")
    assert 'rel="next"' in first
    second = client.get(f"/customers/{customer.id}/history?page=2").get_data(as_text=True)
    assert "訪問メモ11" in second and "訪問メモ00" in second and "ペーパータオル" not in second
    assert 'rel="next"' not in second
    orders = client.get(f"/customers/{customer.id}/history?kind=orders").get_data(as_text=True)
    assert orders.count('data-kind="order"') == 1 and 'data-kind="visit"' not in orders
    changes = client.get(f"/customers/{customer.id}/history?kind=changes").get_data(as_text=True)
    assert 'data-kind="change"' in changes and 'data-kind="visit"' not in changes
    # bad arguments fall back, never a 500
    assert client.get(f"/customers/{customer.id}/history?kind=x&page=abc").status_code == 200


def test_another_team_cannot_read_the_history(client, login_as, make_people, make_customer):
    people = make_people()
    theirs = make_customer(team=people["other_team"])
    login_as(people["rep"])
    assert client.get(f"/customers/{theirs.id}/history").status_code == 404


def test_an_edit_that_makes_a_duplicate_asks_first(client, login_as, db, rep, add_customer):
    add_customer(name="居酒屋 さくら", phone="03-1234-5678")
    mine = add_customer(name="新しい店", phone="03-9999-0000")
    login_as(rep)
    url = f"/customers/{mine.id}/edit"

    def post(**extra):
        token = csrf_token(client.get(url).get_data(as_text=True))
        data = {"csrf_token": token, "version": "1", "name": "新しい店", "phone": "03-1234-5678",
                "segment": "shop", "rank": "B", "cadence_days": "14", "visit_minutes": "20",
                "status": "active", **extra}  # fmt: skip
        return client.post(url, data=data)

    response = post()
    assert response.status_code == 400 and "居酒屋 さくら" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Customer, mine.id).phone == "03-9999-0000"
    assert post(allow_duplicate="y").status_code == 302
    db.expire_all()
    assert db.get(Customer, mine.id).phone == "03-1234-5678"
