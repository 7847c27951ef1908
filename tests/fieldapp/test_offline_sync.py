"""Offline: manifest and service worker, and the outbox sync API (idempotent replays, validation, who may
sync what, CSRF)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from fieldapp.models import AuditEvent, DayPlanStop, FollowUp, OrderLine, Visit
from tests.conftest import csrf_token


@pytest.fixture
def rep_today(make_people, make_customer, make_product, make_plan):
    """A rep with today's plan of two stops, a colleague, a rep of another team, and a product."""
    people = make_people(language="en", rep={}, colleague={}, outsider={"team": "other"})
    rep = people["rep"]
    customers = [
        make_customer(team=people["team"], name=f"Stop {i}", assigned_rep_id=rep.id)
        for i in range(2)
    ]
    plan, stops = make_plan(rep=rep, customers=customers, first_hour=None, reasons=False)
    product = make_product(name="業務用醤油", name_en="Soy sauce", unit_price=1200)
    return {**people, "customers": customers, "plan": plan, "stops": stops, "product": product}


def ago(minutes: int) -> str:
    return (datetime.now(UTC) - timedelta(minutes=minutes)).isoformat()


def token_for(client) -> str:
    response = client.get("/api/sync/status")
    assert response.status_code == 200
    return response.get_json()["csrf_token"]


def send(client, path: str, body, token: str | None = None, **headers):
    if token is not None:
        headers["X-CSRFToken"] = token
    return client.post(f"/api/sync/{path}", json=body, headers=headers)


def visit_body(rep_today, **overrides):
    return {
        "key": "key-1",
        "at": ago(5),
        "customer_id": rep_today["customers"][0].id,
        "stop_id": rep_today["stops"][0].id,
        "visit": {
            "outcome": "order_taken",
            "heard": "Wants the winter menu",
            "orders": [
                {"product_id": str(rep_today["product"].id), "quantity": "3", "unit_price": ""}
            ],
            "followups": [
                {"kind": "quote", "title": "Send a quote", "due_date": "", "owner_id": ""}
            ],
        },
        **overrides,
    }


def rows(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


# --- the installable app ----------------------------------------------------------------------------


def test_service_worker_is_served_from_the_root_and_precaches_files_that_exist(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    source = response.get_data(as_text=True)
    assert "__VERSION__" not in source and "fc-shell-" in source
    config = source.split("self.FC_CONFIG = ", 1)[1].split(";\n", 1)[0]
    precache = json.loads(config)["precache"]
    assert "/offline" in precache and "/static/js/outbox.js" in precache
    # One missing file would make the worker's installation fail on every phone.
    for url in precache:
        assert client.get(url).status_code == 200, url


def test_manifest_names_the_app_in_the_browsers_language(client):
    ja = client.get("/manifest.webmanifest", headers={"Accept-Language": "ja"})
    assert ja.status_code == 200 and ja.mimetype == "application/manifest+json"
    data = ja.get_json(force=True)
    assert data["name"] == "フィールドコンパニオン" and data["display"] == "standalone"
    assert data["start_url"] == "/" and data["scope"] == "/"
    sizes = {icon["sizes"]: icon["src"] for icon in data["icons"]}
    assert {"any", "192x192", "512x512"} <= set(sizes)
    for src in sizes.values():
        assert client.get(src).status_code == 200, src
    en = client.get("/manifest.webmanifest", headers={"Accept-Language": "en"}).get_json(force=True)
    assert en["name"] == "Field Companion"


def test_pages_link_the_manifest_and_signed_in_pages_show_the_outbox(client, login_as, rep_today):
    login_page = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest"' in login_page and 'rel="apple-touch-icon"' in login_page
    assert 'id="outbox"' not in login_page  # nobody's outbox before signing in
    login_as(rep_today["rep"])
    page = client.get("/").get_data(as_text=True)
    assert 'id="outbox"' in page and f'data-user-id="{rep_today["rep"].id}"' in page
    assert "js/outbox.js" in page and "waiting to sync" in page
    offline = client.get("/offline", headers={"Accept-Language": "ja"})
    assert offline.status_code == 200


def test_status_gives_the_user_and_a_token(client, login_as, rep_today):
    assert client.get("/api/sync/status").status_code == 302
    login_as(rep_today["rep"])
    data = client.get("/api/sync/status").get_json()
    assert data["user_id"] == rep_today["rep"].id and data["csrf_token"]


# --- idempotent replays -----------------------------------------------------------------------------


def test_visit_replayed_is_stored_once_with_its_orders_and_followups(
    client, login_as, db, rep_today
):
    login_as(rep_today["rep"])
    token = token_for(client)
    body = visit_body(rep_today)
    first = send(client, "visits", body, token)
    assert first.status_code == 200, first.get_json()
    assert first.get_json()["replayed"] is False and first.get_json()["status"] == "done"
    for _ in range(2):
        again = send(client, "visits", body, token)
        assert again.status_code == 200
        assert again.get_json() == {**first.get_json(), "replayed": True}
    assert rows(db, Visit) == 1 and rows(db, OrderLine) == 1 and rows(db, FollowUp) == 1
    visit = db.exec(select(Visit)).one()
    assert visit.idempotency_key == "key-1" and visit.heard == "Wants the winter menu"
    # The visit happened when the phone recorded it, not when the connection came back.
    assert abs(visit.check_out_at - datetime.fromisoformat(body["at"])) < timedelta(seconds=1)
    stop = db.get(DayPlanStop, rep_today["stops"][0].id)
    assert stop.state == "done" and stop.visit_id == visit.id


def test_offline_check_in_check_out_and_log_make_one_visit(client, login_as, db, rep_today):
    login_as(rep_today["rep"])
    token = token_for(client)
    stop = rep_today["stops"][0]
    check_in = {"stop_id": stop.id, "at": ago(40), "lat": 35.68, "lon": 139.76, "key": "c1"}
    response = send(client, "check-in", check_in, token)
    assert response.status_code == 200 and response.get_json()["replayed"] is False
    # A replay (or a second check-in made later) keeps the first time.
    later = {**check_in, "at": ago(10), "key": "c2"}
    assert send(client, "check-in", later, token).get_json()["replayed"] is True
    check_out = {"stop_id": stop.id, "at": ago(20), "key": "o1"}
    assert send(client, "check-out", check_out, token).get_json()["replayed"] is False
    assert send(client, "check-out", {**check_out, "at": ago(1)}, token).get_json()["replayed"]
    assert send(client, "visits", visit_body(rep_today, at=ago(15)), token).status_code == 200
    # After the log, the check-in replayed again is still accepted and changes nothing.
    assert send(client, "check-in", check_in, token).get_json()["replayed"] is True
    assert rows(db, Visit) == 1
    visit = db.exec(select(Visit)).one()
    assert visit.status == "done" and visit.check_in_lat == 35.68
    assert abs(visit.check_in_at - datetime.fromisoformat(check_in["at"])) < timedelta(seconds=1)
    assert abs(visit.check_out_at - datetime.fromisoformat(check_out["at"])) < timedelta(seconds=1)
    assert db.get(DayPlanStop, stop.id).state == "done"


# --- validation: a clear message, nothing written ---------------------------------------------------


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"visit": {"outcome": ""}}, "outcome"),
        ({"at": "2026-11-20T10:00:00"}, "at"),  # no timezone
        ({"at": "yesterday"}, "at"),
        ({"at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, "at"),
        ({"at": (datetime.now(UTC) - timedelta(days=45)).isoformat()}, "at"),
        ({"key": ""}, "key"),
        ({"key": "k" * 65}, "key"),
        ({"customer_id": "abc"}, "customer_id"),
        ({"visit": "met"}, "visit"),
        (
            {"visit": {"outcome": "met", "orders": [{"product_id": "1", "quantity": "-2"}]}},
            "orders",
        ),
    ],
)
def test_bad_entries_are_refused_with_a_message_and_change_nothing(
    client, login_as, db, rep_today, change, field
):
    login_as(rep_today["rep"])
    audit_before = rows(db, AuditEvent)
    response = send(client, "visits", {**visit_body(rep_today), **change}, token_for(client))
    assert response.status_code == 422
    data = response.get_json()
    assert data["field"] == field and data["error"]
    assert rows(db, Visit) == 0 and rows(db, AuditEvent) == audit_before


def test_messages_in_the_users_language(client, make_user, login_as, rep_today):
    rep = make_user(team=rep_today["team"], language="ja")
    login_as(rep)
    body = {**visit_body(rep_today), "at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    response = send(client, "visits", body, token_for(client))
    assert response.status_code == 422 and "端末の時計" in response.get_json()["error"]


def test_body_that_is_not_json_is_refused(client, login_as, db, rep_today):
    login_as(rep_today["rep"])
    response = client.post(
        "/api/sync/check-in", data="stop_id=1", headers={"X-CSRFToken": token_for(client)}
    )
    assert response.status_code == 422 and response.get_json()["error"]
    assert rows(db, Visit) == 0


def test_check_out_before_any_check_in_is_refused(client, login_as, db, rep_today):
    login_as(rep_today["rep"])
    body = {"stop_id": rep_today["stops"][1].id, "at": ago(3)}
    response = send(client, "check-out", body, token_for(client))
    assert response.status_code == 422 and response.get_json()["error"] == "Check in first."
    assert rows(db, Visit) == 0


# --- who may sync what ------------------------------------------------------------------------------


def test_other_people_cannot_sync_onto_a_reps_day(client, login_as, db, rep_today):
    stop = rep_today["stops"][0]
    login_as(rep_today["colleague"])
    token = token_for(client)
    check_in = {"stop_id": stop.id, "at": ago(5)}
    assert send(client, "check-in", check_in, token).status_code == 404
    # A log naming the rep's stop is refused too (the colleague's own visits need no stop).
    assert send(client, "visits", visit_body(rep_today), token).status_code == 404
    assert rows(db, Visit) == 0


def test_a_key_of_someone_else_is_not_replayed_for_them(client, login_as, db, rep_today):
    login_as(rep_today["rep"])
    assert send(client, "visits", visit_body(rep_today), token_for(client)).status_code == 200
    client.post(
        "/logout", data={"csrf_token": csrf_token(client.get("/me").get_data(as_text=True))}
    )
    login_as(rep_today["colleague"])
    body = visit_body(rep_today, stop_id=None)
    response = send(client, "visits", body, token_for(client))
    assert response.status_code == 422
    assert rows(db, Visit) == 1


def test_rep_of_another_team_gets_404(client, login_as, db, rep_today):
    login_as(rep_today["outsider"])
    body = visit_body(rep_today, stop_id=None, key="outsider-1")
    assert send(client, "visits", body, token_for(client)).status_code == 404
    assert rows(db, Visit) == 0


def test_sync_needs_csrf_and_a_signed_in_user(client, login_as, db, rep_today):
    body = visit_body(rep_today)
    anonymous = send(client, "visits", body)
    assert anonymous.status_code in (302, 400)
    login_as(rep_today["rep"])
    without_token = send(client, "visits", body)
    assert without_token.status_code == 400
    wrong_token = send(client, "visits", body, "not-a-token")
    assert wrong_token.status_code == 400
    assert rows(db, Visit) == 0
    assert send(client, "visits", body, token_for(client)).status_code == 200
