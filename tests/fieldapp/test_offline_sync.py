"""Offline: manifest and service worker, and the outbox sync API (idempotent replays, validation, who may
sync what, CSRF)."""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import url_for
from sqlmodel import func, select
from werkzeug.routing import Map, Rule

from fieldapp.models import AuditEvent, DayPlan, DayPlanStop, FollowUp, OrderLine, Visit
from fieldapp.offline.contract import worker_urls
from fieldapp.offline.routes import _build_worker_source
from fieldapp.services import clock
from tests.conftest import csrf_token


@pytest.fixture
def day(db, make_team, make_user, make_customer, make_product):
    """A rep with today's plan of two stops, a colleague, a rep of another team, and a product."""
    team = make_team()
    rep = make_user(team=team, language="en")
    colleague = make_user(team=team, language="en")
    outsider = make_user(team=make_team(), language="en")
    customers = [
        make_customer(team=team, name=f"Stop {i}", assigned_rep_id=rep.id) for i in range(2)
    ]
    plan = DayPlan(rep_id=rep.id, plan_date=clock.local_today(team.timezone), version=3)
    db.add(plan)
    db.commit()
    stops = []
    for i, customer in enumerate(customers):
        stop = DayPlanStop(day_plan_id=plan.id, customer_id=customer.id, position=i)
        db.add(stop)
        stops.append(stop)
    db.commit()
    product = make_product(name="業務用醤油", name_en="Soy sauce", unit_price=1200)
    return {
        "team": team,
        "rep": rep,
        "colleague": colleague,
        "outsider": outsider,
        "customers": customers,
        "plan": plan,
        "stops": stops,
        "product": product,
    }


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


def visit_form(day) -> list[list[str]]:
    """The visit form's name/value pairs as the phone posted them (untouched rows included)."""
    product, rep = str(day["product"].id), str(day["rep"].id)
    return [
        ["csrf_token", "stale-token"],
        ["outcome", "order_taken"],
        ["heard", "Wants the winter menu"],
        ["orders-0-product_id", product],
        ["orders-0-quantity", "3"],
        ["orders-0-unit_price", ""],
        ["orders-1-product_id", ""],
        ["orders-1-quantity", ""],
        ["orders-1-unit_price", ""],
        ["followups-0-kind", "quote"],
        ["followups-0-title", "Send a quote"],
        ["followups-0-due_date", ""],
        ["followups-0-owner_id", rep],
        ["followups-1-kind", "other"],
        ["followups-1-title", ""],
        ["followups-1-due_date", ""],
        ["followups-1-owner_id", rep],
        ["submission_key", "key-1"],
    ]


def visit_body(day, **overrides):
    return {
        "key": "key-1",
        "at": ago(5),
        "customer_id": day["customers"][0].id,
        "stop_id": day["stops"][0].id,
        "form": visit_form(day),
        **overrides,
    }


def rows(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def worker_config(client) -> dict:
    source = client.get("/sw.js").get_data(as_text=True)
    return json.loads(source.split("self.FC_CONFIG = ", 1)[1].split(";\n", 1)[0])


# --- the installable app ----------------------------------------------------------------------------


def test_service_worker_is_served_from_the_root_and_precaches_files_that_exist(client):
    response = client.get("/sw.js")
    assert response.status_code == 200
    assert response.mimetype == "application/javascript"
    assert response.headers["Service-Worker-Allowed"] == "/"
    assert "no-cache" in response.headers["Cache-Control"]
    source = response.get_data(as_text=True)
    assert "__VERSION__" not in source and "fc-shell-" in source
    precache = worker_config(client)["precache"]
    assert "/offline" in precache and "/static/js/outbox.js" in precache
    # One missing file would make the worker's installation fail on every phone.
    for url in precache:
        assert client.get(url).status_code == 200, url


# What the service worker should handle, said here independently of fieldapp/offline/contract.py.
KEPT_PAGES = {"today.index", "customers.detail", "visits.new"}
QUEUED_POSTS = {"check_in": "today.check_in", "check_out": "today.check_out", "visit": "visits.new"}


def test_worker_patterns_match_the_url_maps_rules_of_the_intended_endpoints_only(app, client):
    config = worker_config(client)
    # "7" fits every converter the app's rules use (default and int).
    examples = [(rule, re.sub(r"<[^>]+>", "7", rule.rule)) for rule in app.url_map.iter_rules()]

    def matched(pattern: str, method: str) -> set[str]:
        regex = re.compile(pattern)  # the JS sources only use syntax Python reads the same way
        return {
            rule.endpoint for rule, url in examples if method in rule.methods and regex.match(url)
        }

    for pattern in config["pages"]:
        assert matched(pattern, "GET") and matched(pattern, "GET") <= KEPT_PAGES, pattern
    assert set().union(*(matched(p, "GET") for p in config["pages"])) == KEPT_PAGES
    # Every address of those pages is kept (Today at / and at /day/<day>).
    for rule, url in examples:
        if rule.endpoint in KEPT_PAGES:
            assert any(re.match(pattern, url) for pattern in config["pages"]), rule.rule
    assert {post["kind"] for post in config["posts"]} == set(QUEUED_POSTS)
    for post in config["posts"]:
        assert matched(post["pattern"], "POST") == {QUEUED_POSTS[post["kind"]]}, post
    with app.test_request_context():
        ids = {
            "check_in": (url_for("today.check_in", stop_id=12), "12"),
            "check_out": (url_for("today.check_out", stop_id=13), "13"),
            "visit": (url_for("visits.new", customer_id=14), "14"),
        }
        customer_page = url_for("customers.detail", customer_id=14)
        another_day = url_for("today.index", day="2026-12-06")
    # The worker takes the id from the pattern's one group, and returns to the customer page by it.
    for post in config["posts"]:
        url, stop_or_customer = ids[post["kind"]]
        assert re.match(post["pattern"], url).groups() == (stop_or_customer,)
    assert config["customer"].replace("{customer_id}", "14") == customer_page
    assert any(re.match(pattern, another_day) for pattern in config["pages"])


def test_the_worker_itself_holds_no_addresses_of_the_app():
    source = (Path(__file__).parents[2] / "fieldapp" / "static" / "js" / "sw.js").read_text()
    for address in ("/customers", "/stops", "/day/", "visits/new", "/check-in", "/check-out"):
        assert address not in source, address


def test_a_changed_route_changes_the_workers_patterns_and_version(app):
    url_map = Map(
        [
            Rule("/", endpoint="today.index"),
            Rule("/tag/<tag>", endpoint="today.index"),
            Rule("/kunden/<int:customer_id>", endpoint="customers.detail"),
            Rule(
                "/kunden/<int:customer_id>/besuch.neu",
                endpoint="visits.new",
                methods=["GET", "POST"],
            ),
            Rule("/halt/<int:stop_id>/an", endpoint="today.check_in", methods=["POST"]),
            Rule("/halt/<int:stop_id>/ab", endpoint="today.check_out", methods=["POST"]),
        ]
    )
    urls = worker_urls(url_map)
    assert sorted(urls["pages"]) == [
        r"^/$",
        r"^/kunden/(\d+)$",
        r"^/kunden/(\d+)/besuch\.neu$",
        r"^/tag/([^/]+)$",
    ]
    assert urls["posts"][0] == {"kind": "check_in", "pattern": r"^/halt/(\d+)/an$"}
    assert urls["customer"] == "/kunden/{customer_id}"
    with app.app_context():
        ours = json.dumps(worker_urls(app.url_map))
        theirs = json.dumps(urls)
        version = re.compile(r'VERSION = "(\w+)"')
        first = version.search(_build_worker_source(app.static_folder, ours)).group(1)
        second = version.search(_build_worker_source(app.static_folder, theirs)).group(1)
    assert first != second


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


def test_pages_link_the_manifest_and_signed_in_pages_show_the_outbox(client, login_as, day):
    login_page = client.get("/login").get_data(as_text=True)
    assert 'rel="manifest"' in login_page and 'rel="apple-touch-icon"' in login_page
    assert 'id="outbox"' not in login_page  # nobody's outbox before signing in
    login_as(day["rep"])
    page = client.get("/").get_data(as_text=True)
    assert 'id="outbox"' in page and f'data-user-id="{day["rep"].id}"' in page
    assert "js/outbox.js" in page and "waiting to sync" in page
    offline = client.get("/offline", headers={"Accept-Language": "ja"})
    assert offline.status_code == 200


def test_status_gives_the_user_and_a_token(client, login_as, day):
    signed_out = client.get("/api/sync/status")
    assert signed_out.status_code == 401 and signed_out.is_json  # not a redirect to the login page
    login_as(day["rep"])
    data = client.get("/api/sync/status").get_json()
    assert data["user_id"] == day["rep"].id and data["csrf_token"]


# --- idempotent replays -----------------------------------------------------------------------------


def test_visit_replayed_is_stored_once_with_its_orders_and_followups(client, login_as, db, day):
    login_as(day["rep"])
    token = token_for(client)
    body = visit_body(day)
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
    stop = db.get(DayPlanStop, day["stops"][0].id)
    assert stop.state == "done" and stop.visit_id == visit.id


def test_visit_form_fields_arrive_as_the_online_form_reads_them(client, login_as, db, day):
    login_as(day["rep"])
    usual = [["usual-0-product_id", str(day["product"].id)], ["usual-0-quantity", "2"]]
    pairs = [*visit_form(day), *usual, ["usual-0-unit_price", "1100"], ["proposals", "Hot sake"]]
    response = send(client, "visits", visit_body(day, form=pairs), token_for(client))
    assert response.status_code == 200, response.get_json()
    visit = db.exec(select(Visit)).one()
    assert (visit.outcome, visit.heard, visit.proposals) == (
        "order_taken",
        "Wants the winter menu",
        "Hot sake",
    )
    # The usual product's row and the chosen extra line; the untouched rows are left out.
    lines = db.exec(select(OrderLine).order_by(OrderLine.id)).all()
    assert [(line.product_id, line.quantity, line.unit_price) for line in lines] == [
        (day["product"].id, 2, 1100),
        (day["product"].id, 3, 1200),
    ]
    followup = db.exec(select(FollowUp)).one()
    assert (followup.kind, followup.title, followup.owner_id) == (
        "quote",
        "Send a quote",
        day["rep"].id,
    )


def test_visit_kept_by_an_older_outbox_as_a_json_object_is_still_stored_once(
    client, login_as, db, day
):
    """Phones offline across the update still hold entries with `visit` (the old phone-side mapping)."""
    login_as(day["rep"])
    token = token_for(client)
    visit = {
        "outcome": "order_taken",
        "heard": "Wants the winter menu",
        "orders": [{"product_id": str(day["product"].id), "quantity": "3", "unit_price": ""}],
        "followups": [{"kind": "quote", "title": "Send a quote", "due_date": "", "owner_id": ""}],
    }
    body = {**visit_body(day), "form": None, "visit": visit}
    for replayed in (False, True):
        response = send(client, "visits", body, token)
        assert response.status_code == 200 and response.get_json()["replayed"] is replayed
    assert rows(db, Visit) == 1 and rows(db, OrderLine) == 1 and rows(db, FollowUp) == 1
    assert db.exec(select(Visit)).one().heard == "Wants the winter menu"


def test_offline_check_in_check_out_and_log_make_one_visit(client, login_as, db, day):
    login_as(day["rep"])
    token = token_for(client)
    stop = day["stops"][0]
    check_in = {"stop_id": stop.id, "at": ago(40), "lat": 35.68, "lon": 139.76, "key": "c1"}
    response = send(client, "check-in", check_in, token)
    assert response.status_code == 200 and response.get_json()["replayed"] is False
    # A replay (or a second check-in made later) keeps the first time.
    later = {**check_in, "at": ago(10), "key": "c2"}
    assert send(client, "check-in", later, token).get_json()["replayed"] is True
    check_out = {"stop_id": stop.id, "at": ago(20), "key": "o1"}
    assert send(client, "check-out", check_out, token).get_json()["replayed"] is False
    assert send(client, "check-out", {**check_out, "at": ago(1)}, token).get_json()["replayed"]
    assert send(client, "visits", visit_body(day, at=ago(15)), token).status_code == 200
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
        ({"form": [["outcome", ""]]}, "outcome"),
        ({"form": [["outcome", "met"], ["next_action_due", "soon"]]}, "next_action_due"),
        ({"at": "2026-11-20T10:00:00"}, "at"),  # no timezone
        ({"at": "yesterday"}, "at"),
        ({"at": (datetime.now(UTC) + timedelta(hours=2)).isoformat()}, "at"),
        ({"at": (datetime.now(UTC) - timedelta(days=45)).isoformat()}, "at"),
        ({"key": ""}, "key"),
        ({"key": "k" * 65}, "key"),
        ({"customer_id": "abc"}, "customer_id"),
        ({"form": "met"}, "form"),
        ({"form": [["outcome", "met", "extra"]]}, "form"),
        ({"form": None}, "visit"),
        ({"form": None, "visit": "met"}, "visit"),
        (
            {
                "form": [
                    ["outcome", "met"],
                    ["orders-0-product_id", "1"],
                    ["orders-0-quantity", "-2"],
                ]
            },
            "orders",
        ),
        (
            {
                "form": None,
                "visit": {"outcome": "met", "orders": [{"product_id": "1", "quantity": "-2"}]},
            },
            "orders",
        ),
    ],
)
def test_bad_entries_are_refused_with_a_message_and_change_nothing(
    client, login_as, db, day, change, field
):
    login_as(day["rep"])
    audit_before = rows(db, AuditEvent)
    response = send(client, "visits", {**visit_body(day), **change}, token_for(client))
    assert response.status_code == 422
    data = response.get_json()
    assert data["field"] == field and data["error"]
    assert rows(db, Visit) == 0 and rows(db, AuditEvent) == audit_before


def test_messages_in_the_users_language(client, make_user, login_as, day):
    rep = make_user(team=day["team"], language="ja")
    login_as(rep)
    body = {**visit_body(day), "at": (datetime.now(UTC) + timedelta(hours=1)).isoformat()}
    response = send(client, "visits", body, token_for(client))
    assert response.status_code == 422 and "端末の時計" in response.get_json()["error"]


def test_body_that_is_not_json_is_refused(client, login_as, db, day):
    login_as(day["rep"])
    response = client.post(
        "/api/sync/check-in", data="stop_id=1", headers={"X-CSRFToken": token_for(client)}
    )
    assert response.status_code == 422 and response.get_json()["error"]
    assert rows(db, Visit) == 0


def test_check_out_before_any_check_in_is_refused(client, login_as, db, day):
    login_as(day["rep"])
    body = {"stop_id": day["stops"][1].id, "at": ago(3)}
    response = send(client, "check-out", body, token_for(client))
    assert response.status_code == 422 and response.get_json()["error"] == "Check in first."
    assert rows(db, Visit) == 0


# --- who may sync what ------------------------------------------------------------------------------


def test_other_people_cannot_sync_onto_a_reps_day(client, login_as, db, day):
    stop = day["stops"][0]
    login_as(day["colleague"])
    token = token_for(client)
    check_in = {"stop_id": stop.id, "at": ago(5)}
    assert send(client, "check-in", check_in, token).status_code == 404
    # A log naming the rep's stop is refused too (the colleague's own visits need no stop).
    assert send(client, "visits", visit_body(day), token).status_code == 404
    assert rows(db, Visit) == 0


def test_a_key_of_someone_else_is_not_replayed_for_them(client, login_as, db, day):
    login_as(day["rep"])
    assert send(client, "visits", visit_body(day), token_for(client)).status_code == 200
    client.post(
        "/logout", data={"csrf_token": csrf_token(client.get("/me").get_data(as_text=True))}
    )
    login_as(day["colleague"])
    body = visit_body(day, stop_id=None)
    response = send(client, "visits", body, token_for(client))
    assert response.status_code == 422
    assert rows(db, Visit) == 1


def test_rep_of_another_team_gets_404(client, login_as, db, day):
    login_as(day["outsider"])
    body = visit_body(day, stop_id=None, key="outsider-1")
    assert send(client, "visits", body, token_for(client)).status_code == 404
    assert rows(db, Visit) == 0


def test_sync_needs_csrf_and_a_signed_in_user(client, login_as, db, day):
    body = visit_body(day)
    anonymous = send(client, "visits", body)
    assert anonymous.status_code in (302, 400)
    login_as(day["rep"])
    without_token = send(client, "visits", body)
    assert without_token.status_code == 400
    wrong_token = send(client, "visits", body, "not-a-token")
    assert wrong_token.status_code == 400
    assert rows(db, Visit) == 0
    assert send(client, "visits", body, token_for(client)).status_code == 200
