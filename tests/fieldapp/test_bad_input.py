"""Hostile or careless input gets a 4xx with a clear message and changes nothing: ids past 2**63, days at the
ends of the calendar, control characters in `next`, NUL bytes, endless notes, impossible birthdays and
e-mails, uploads over the size limit, a contact form without its version."""

from __future__ import annotations

import io
import re

import pytest
from sqlmodel import func, select

from fieldapp.models import Contact, Customer, FollowUp, Visit
from tests.conftest import PASSWORD, csrf_token, login

HUGE = 2**63
BIG_PATHS = (
    "/customers/{huge}",
    "/customers/{huge}/edit",
    "/customers/{huge}/history",
    "/customers/{huge}/location",
    "/customers/{huge}/visits/new",
    "/customers/{c}/contacts/{huge}/edit",
    "/customers/{c}/busy/{huge}/edit",
    "/visits/{huge}",
    "/reports/{huge}",
    "/stops/{huge}/skip",
)


@pytest.fixture
def signed_in(client, make_people, make_customer, login_as):
    people = make_people(language="en")
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    login_as(people["rep"])
    return {**people, "customer": customer}


def count(db, model) -> int:
    return db.exec(select(func.count()).select_from(model)).one()


@pytest.mark.parametrize("template", BIG_PATHS)
@pytest.mark.parametrize("number", [2**31, HUGE, 10**30])
def test_ids_past_the_database_range_are_not_found(client, signed_in, template, number):
    path = template.format(huge=number, c=signed_in["customer"].id)
    response = client.get(path)
    assert response.status_code == 404, path
    assert "does not exist" in response.get_data(as_text=True)


def test_the_largest_id_still_reaches_the_route(client, signed_in):
    # 2**31 - 1 (INTEGER's largest, on PostgreSQL too) names no row: the page's own "not found".
    assert client.get(f"/customers/{2**31 - 1}").status_code == 404


def test_posting_to_a_huge_id_is_not_found(client, signed_in, db):
    token = csrf_token(client.get("/me").get_data(as_text=True))
    response = client.post(f"/followups/{HUGE}/close", data={"csrf_token": token, "result": "x"})
    assert response.status_code == 404


@pytest.mark.parametrize("field", ["customer_id", "stop_id", "visit_id"])
def test_huge_ids_in_sync_json_are_refused(client, signed_in, db, field):
    token = client.get("/api/sync/status").get_json()["csrf_token"]
    body = {
        "key": "k-1",
        "customer_id": signed_in["customer"].id,
        "at": "2026-12-06T01:00:00+00:00",
        "form": [["outcome", "met"]],
        field: HUGE,
    }
    response = client.post("/api/sync/visits", json=body, headers={"X-CSRFToken": token})
    assert response.status_code in (400, 422)
    assert response.get_json()["field"] == field
    assert count(db, Visit) == 0


def test_huge_assigned_rep_in_a_form_is_a_field_error(app, signed_in, db):
    """The new-customer form is where a manager names the rep (the edit form hands over instead)."""
    client = app.test_client()
    login(client, signed_in["manager"].email)
    page = client.get("/customers/new").get_data(as_text=True)
    before = db.exec(select(func.count()).select_from(Customer)).one()
    response = client.post(
        "/customers/new",
        data={
            "csrf_token": csrf_token(page),
            "name": "Huge Rep Shop",
            "segment": "shop",
            "rank": "B",
            "status": "active",
            "cadence_days": "14",
            "visit_minutes": "20",
            "assigned_rep_id": str(HUGE),
        },
    )
    assert response.status_code in (200, 400)
    assert "Choose a member of your team." in response.get_data(as_text=True)
    assert db.exec(select(func.count()).select_from(Customer)).one() == before


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01", "1999-12-31", "2100-01-01"])
@pytest.mark.parametrize(
    "template", ["/day/{d}", "/day/{d}/map", "/reports/day/{d}", "/day/{d}/nearby"]
)
def test_days_at_the_ends_of_the_calendar_are_not_found(client, signed_in, day, template):
    response = client.get(template.format(d=day))
    assert response.status_code == 404
    assert "2000-01-01" in response.get_data(as_text=True)  # says which days exist


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_day_query_parameters_at_the_ends(client, signed_in, day):
    assert client.get(f"/?day={day}").status_code in (302, 404)
    assert client.get(f"/reports/?day={day}").status_code < 500


@pytest.mark.parametrize(
    "target", ["/customers/\r\nSet-Cookie: a=b", "/\t/evil.example.com", "/%0d%0aX: y"]
)
def test_control_characters_in_next_after_sign_in(client, make_user, target):
    user = make_user()
    page = client.get("/login")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": user.email, "password": PASSWORD, "csrf_token": csrf_token(page.text)},
    )
    assert response.status_code == 302
    location = response.headers["Location"]
    assert "\r" not in location and "\n" not in location and "evil" not in location


@pytest.mark.parametrize(
    "target", ["https://evil.example.com/", "//evil.example.com", "/\t/evil.example"]
)
def test_follow_up_close_does_not_redirect_off_site(client, signed_in, make_followup, target):
    followup = make_followup(actor=signed_in["rep"], customer=signed_in["customer"])
    token = csrf_token(client.get("/followups/").get_data(as_text=True))
    response = client.post(
        f"/followups/{followup.id}/close",
        data={"csrf_token": token, "result": "Sent", "next": target},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/followups/"


def test_nul_bytes_in_a_form_are_refused_and_nothing_is_stored(client, signed_in, db):
    customer = signed_in["customer"]
    page = client.get(f"/customers/{customer.id}/contacts/new").get_data(as_text=True)
    response = client.post(
        f"/customers/{customer.id}/contacts/new",
        data={"csrf_token": csrf_token(page), "name": "Bad\x00Name"},
    )
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert count(db, Contact) == 0


def test_nul_bytes_in_json_and_search_are_refused(client, signed_in, db):
    token = client.get("/api/sync/status").get_json()["csrf_token"]
    body = {
        "key": "k-2",
        "customer_id": signed_in["customer"].id,
        "at": "2026-12-06T01:00:00+00:00",
        "form": [["outcome", "met"], ["heard", "a\x00b"]],
    }
    response = client.post("/api/sync/visits", json=body, headers={"X-CSRFToken": token})
    assert response.status_code == 400 and response.is_json
    assert count(db, Visit) == 0
    assert client.get("/customers/?q=a%00b").status_code == 400


def test_customer_notes_have_a_length_limit(client, signed_in, db):
    customer = signed_in["customer"]
    page = client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(
        f"/customers/{customer.id}/edit",
        data={
            "csrf_token": csrf_token(page),
            "version": version,
            "name": customer.name,
            "segment": "shop",
            "rank": "B",
            "status": "active",
            "cadence_days": "14",
            "visit_minutes": "20",
            "notes": "x" * 1_000_000,
        },
    )
    assert response.status_code in (200, 400)
    assert "At most 4000 characters" in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Customer, customer.id).notes is None


@pytest.mark.parametrize(
    "fields,message",
    [
        ({"birthday": "2999-01-01"}, "between 1900 and today"),
        ({"birthday": "1800-01-01"}, "between 1900 and today"),
        ({"email": "x@"}, "valid email"),
        ({"email": "x@y"}, "valid email"),
        ({"personal_notes": "y" * 5000}, "At most 4000"),
    ],
)
def test_contact_fields_out_of_bounds(client, signed_in, db, fields, message):
    customer = signed_in["customer"]
    page = client.get(f"/customers/{customer.id}/contacts/new").get_data(as_text=True)
    response = client.post(
        f"/customers/{customer.id}/contacts/new",
        data={"csrf_token": csrf_token(page), "name": "Sato", **fields},
    )
    assert message in response.get_data(as_text=True)
    assert count(db, Contact) == 0


def test_contact_edit_without_its_version_is_refused(client, signed_in, db):
    customer = signed_in["customer"]
    contact = Contact(customer_id=customer.id, name="Sato")
    db.add(contact)
    db.commit()
    url = f"/customers/{customer.id}/contacts/{contact.id}/edit"
    token = csrf_token(client.get(url).get_data(as_text=True))
    response = client.post(url, data={"csrf_token": token, "name": "Suzuki"})  # no "loaded"
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Contact, contact.id).name == "Sato"


def test_upload_over_the_limit_gets_the_apps_page_in_the_users_language(
    app, client, make_people, login_as, db
):
    app.config["MAX_CONTENT_LENGTH"] = 1024 * 1024
    people = make_people(language="ja")
    login_as(people["manager"])
    token = csrf_token(client.get("/manage/import").get_data(as_text=True))
    big = io.BytesIO(b"code,name\r\n" + b"A,B\r\n" * 300_000)
    response = client.post(
        "/manage/import",
        data={"csrf_token": token, "kind": "customers", "file": (big, "big.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    text = response.get_data(as_text=True)
    assert '<html lang="ja">' in text and "1 MB" in text
    assert "ファイルが大きすぎます" in text
    assert count(db, Customer) == 0


def test_follow_ups_are_untouched_by_a_refused_close(client, signed_in, make_followup, db):
    followup = make_followup(actor=signed_in["rep"], customer=signed_in["customer"])
    token = csrf_token(client.get("/followups/").get_data(as_text=True))
    client.post(f"/followups/{followup.id}/close", data={"csrf_token": token, "result": "a\x00b"})
    db.expire_all()
    assert db.get(FollowUp, followup.id).state == "open"
