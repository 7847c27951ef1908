"""Customer services: search pages and near-me against brute force, concurrent saves, reassignment,
geocoding on address change, main contact, birthdays, audit field sizes (the routes: test_customers_routes)."""

from __future__ import annotations

import json
from datetime import date

import pytest
from sqlmodel import Session, select

from fieldapp.errors import StaleEdit, ValidationError
from fieldapp.models import (
    AuditEvent,
    Contact,
    Customer,
)
from fieldapp.services import contacts, geocoding
from fieldapp.services.customer_search import SearchQuery, search
from fieldapp.services.geo import haversine_km
from tests.fieldapp.conftest import update_now


def test_pagination(db, team, rep, add_customer):
    for i in range(30):
        add_customer(name=f"店{i:02d}", kana=f"みせ{i:02d}")
    first = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(page=1))
    second = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(page=2))
    assert first.total == 30 and first.pages == 2
    assert len(first.customers) == 25 and len(second.customers) == 5
    assert {c.id for c in first.customers}.isdisjoint({c.id for c in second.customers})
    assert [c.name for c in first.customers][:3] == ["店00", "店01", "店02"]


def test_near_me_many_rows_matches_brute_force(db, team, rep):
    """A few thousand customers: every page of "near" is the brute-force distance order."""
    import random

    rng = random.Random(7)
    rows = []
    for i in range(3000):
        lat = 35.5 + rng.random() * 0.4 if i % 50 else None
        lon = 139.5 + rng.random() * 0.5 if i % 50 else None
        rank = "ABC"[i % 3]
        rows.append(
            Customer(
                team_id=team.id,
                name=f"顧客{i}",
                kana=f"こきゃく{i}",
                rank=rank,
                lat=lat,
                lon=lon,
                assigned_rep_id=rep.id if i % 2 else None,
                search_text=f"顧客{i} こきゃく{i}",
            )
        )
    db.add_all(rows)
    db.commit()
    point = (35.68, 139.76)
    located = [c for c in rows if c.lat is not None and c.rank == "B"]
    expected = sorted(located, key=lambda c: (haversine_km(point, (c.lat, c.lon)), c.id))
    for page_no in (1, 2, 7):
        query = SearchQuery(near=True, lat=point[0], lon=point[1], rank="B", page=page_no)
        page = search(db, team_id=team.id, user_id=rep.id, query=query)
        want = expected[(page_no - 1) * 25 : page_no * 25]
        assert [c.id for c in page.customers] == [c.id for c in want]
        assert page.total == len(located)
    assert page.without_location == len([c for c in rows if c.lat is None and c.rank == "B"])
    # strict radius: exactly the ones within it
    query = SearchQuery(near=True, lat=point[0], lon=point[1], km=3.0)
    page = search(db, team_id=team.id, user_id=rep.id, query=query)
    within = [c for c in rows if c.lat is not None and haversine_km(point, (c.lat, c.lon)) <= 3.0]
    assert page.total == len(within)
    # text search over the same rows
    text_page = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text="コキャク123"))
    assert {c.name for c in text_page.customers} == {
        f"顧客{i}" for i in range(3000) if str(i).startswith("123")
    }


def test_concurrent_saves_of_one_version_only_one_wins(app, db, rep, add_customer):
    """Both sessions passed the version check in Python; the UPDATE … WHERE version=? decides."""
    customer = add_customer()
    engine = app.extensions["fieldapp.engine"]
    with Session(engine) as first, Session(engine) as second:
        a = first.get(Customer, customer.id)
        b = second.get(Customer, customer.id)
        with app.test_request_context():
            update_now(first, actor=rep, customer=a, version=1, notes="A")
            first.commit()
            assert b.version == 1  # second session still holds the old row
            with pytest.raises(StaleEdit) as info:
                update_now(second, actor=rep, customer=b, version=1, notes="B")
            second.rollback()
    assert info.value.details["current"]["notes"] == "A"
    assert info.value.details["submitted"]["notes"] == "B"
    db.expire_all()
    assert db.get(Customer, customer.id).notes == "A"
    assert len(db.exec(select(AuditEvent).where(AuditEvent.entity == "customer")).all()) == 1


def test_assigning_a_stranger_is_refused(app, db, make_user, make_team, team, add_customer):
    manager = make_user(team=team, role="manager")
    stranger = make_user(team=make_team())
    customer = add_customer()
    with app.test_request_context(), pytest.raises(ValidationError) as info:
        update_now(db, actor=manager, customer=customer, version=1, assigned_rep_id=stranger.id)
    assert "assigned_rep_id" in info.value.details["errors"]


@pytest.fixture
def fake_geocoder(monkeypatch):
    calls = []

    def locate_customer(session, *, customer, config):
        calls.append(customer.address)
        customer.lat, customer.lon, customer.location_source = 35.0, 135.0, "geocoded"

    monkeypatch.setattr(geocoding, "locate_customer", locate_customer)
    return calls


def test_address_change_geocodes_unless_pinned(app, db, rep, add_customer, fake_geocoder):
    geocoded = add_customer(address="旧住所", location_source="geocoded")
    pinned = add_customer(address="旧住所", location_source="pinned", lat=35.5, lon=139.5)
    with app.test_request_context():
        update_now(db, actor=rep, customer=geocoded, version=1, address="新住所 1-1")
        update_now(db, actor=rep, customer=pinned, version=1, address="新住所 2-2")
        update_now(db, actor=rep, customer=geocoded, version=2, notes="住所は同じ")
    db.commit()
    assert fake_geocoder == ["新住所 1-1"]
    assert (geocoded.lat, geocoded.lon) == (35.0, 135.0)
    assert (pinned.lat, pinned.lon) == (35.5, 139.5)
    event = db.exec(
        select(AuditEvent)
        .where(AuditEvent.entity == "customer", AuditEvent.entity_id == geocoded.id)
        .order_by(AuditEvent.id)
    ).first()
    assert json.loads(event.after)["lat"] == 35.0  # the new position is in the same audit event


def test_one_main_contact(app, db, rep, add_customer):
    customer = add_customer()
    with app.test_request_context():
        first = contacts.save_contact(
            db, actor=rep, customer=customer, data={"name": "一", "is_primary": True}
        )
        contacts.save_contact(
            db, actor=rep, customer=customer, data={"name": "二", "is_primary": True}
        )
    db.commit()
    db.refresh(first)
    assert first.is_primary is False


def test_birthday_soon():
    today = date(2026, 12, 25)
    assert contacts.birthday_soon(date(1990, 12, 25), today) == 0
    assert contacts.birthday_soon(date(1990, 1, 5), today) == 11  # across the new year
    assert contacts.birthday_soon(date(1990, 1, 8), today) == 14
    assert contacts.birthday_soon(date(1990, 1, 9), today) is None
    assert contacts.birthday_soon(date(1990, 1, 10), today) is None
    assert contacts.birthday_soon(date(1990, 12, 24), today) is None
    assert (
        contacts.birthday_soon(date(2000, 2, 29), date(2027, 2, 20)) == 8
    )  # 28 Feb in a common year


def test_concurrent_contact_saves_only_one_wins(app, db, rep, add_customer):
    """Both passed the fingerprint check; the compare-and-swap UPDATE refuses the second."""
    customer = add_customer()
    contact = Contact(customer_id=customer.id, name="鈴木")
    db.add(contact)
    db.commit()
    engine = app.extensions["fieldapp.engine"]
    with Session(engine) as first, Session(engine) as second, app.test_request_context():
        a, b = first.get(Contact, contact.id), second.get(Contact, contact.id)
        fingerprint = contacts.contact_fingerprint(a)
        owner_a, owner_b = first.get(Customer, customer.id), second.get(Customer, customer.id)

        def rename(session: Session, owner: Customer, contact: Contact, name: str) -> None:
            """Save `name` on the contact as it was when both opened it."""
            contacts.save_contact(
                session,
                actor=rep,
                customer=owner,
                data={"name": name},
                contact=contact,
                loaded=fingerprint,
            )

        rename(first, owner_a, a, "鈴木 A")
        first.commit()
        with pytest.raises(StaleEdit):
            rename(second, owner_b, b, "鈴木 B")
        second.rollback()
    db.expire_all()
    assert db.get(Contact, contact.id).name == "鈴木 A"


def test_audit_names_longer_than_their_column_fail_on_sqlite_too(db, make_user):
    from fieldapp.services import audit

    user = make_user()
    with pytest.raises(ValueError, match="longer than 16"):
        audit.record(
            db, actor=user, team_id=user.team_id, entity="user", entity_id=user.id,
            action="calendar_token_rotated",
        )  # fmt: skip
