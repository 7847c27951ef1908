"""/api/v1 and personal API tokens: made on Me (shown once, kept hashed), bearer auth with scopes,
revocation, the UI's permission rules, JSON errors, cursor paging, stale edits, the sync rule, OpenAPI."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import func, select

from fieldapp import create_app
from fieldapp.extensions import limiter
from fieldapp.models import ApiToken, Contact, DayPlan, DayPlanStop, Visit
from fieldapp.services import api_tokens, clock
from tests.conftest import csrf_token


@pytest.fixture
def people(make_people):
    return make_people(language="en")


@pytest.fixture
def issue(app, db):
    """issue(user, scope="read-write") → a bearer token of `user` made through the service."""

    def make(user, scope: str = api_tokens.READ_WRITE, name: str = "CRM sync") -> str:
        with app.test_request_context():
            issued = api_tokens.create_token(
                db, actor=user, name=name, scope=scope, now=clock.now_utc()
            )
        db.commit()
        return issued.token

    return make


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_me_makes_a_token_shows_it_once_and_keeps_only_its_hash(client, login_as, db, people):
    login_as(people["rep"])
    me = client.get("/me").get_data(as_text=True)
    assert 'id="api-tokens"' in me and "No API tokens." in me
    made = client.post(
        "/me/api-tokens",
        data={"csrf_token": csrf_token(me), "name": "Spreadsheet", "scope": "read"},
    )
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    token = re.search(r'id="api-token-value" type="text" readonly value="([^"]+)"', made.text)[1]
    row = db.exec(select(ApiToken)).one()
    assert row.token_hash == api_tokens.hash_token(token) and token not in row.token_hash
    assert row.scope == "read" and row.user_id == people["rep"].id
    me = client.get("/me").get_data(as_text=True)
    assert "Spreadsheet" in me and token not in me and "Never used" in me
    # used once → Me shows the last use
    assert client.get("/api/v1/customers", headers=bearer(token)).status_code == 200
    assert "Last used" in client.get("/me").get_data(as_text=True)


def test_token_form_refuses_a_missing_csrf_token_and_a_blank_name(client, login_as, db, people):
    login_as(people["rep"])
    assert client.post("/me/api-tokens", data={"name": "x", "scope": "read"}).status_code == 400
    token = csrf_token(client.get("/me").get_data(as_text=True))
    answer = client.post("/me/api-tokens", data={"csrf_token": token, "name": " ", "scope": "read"})
    assert answer.status_code == 302
    assert db.exec(select(func.count()).select_from(ApiToken)).one() == 0


def test_revoked_token_stops_at_once_and_only_its_owner_revokes_it(
    client, login_as, db, people, issue
):
    token = issue(people["rep"])
    row = db.exec(select(ApiToken)).one()
    login_as(people["colleague"])
    form = csrf_token(client.get("/me").get_data(as_text=True))
    assert (
        client.post(f"/me/api-tokens/{row.id}/revoke", data={"csrf_token": form}).status_code == 404
    )
    assert client.get("/api/v1/customers", headers=bearer(token)).status_code == 200
    client.post("/logout", data={"csrf_token": form})
    login_as(people["rep"])
    form = csrf_token(client.get("/me").get_data(as_text=True))
    assert (
        client.post(f"/me/api-tokens/{row.id}/revoke", data={"csrf_token": form}).status_code == 302
    )
    client.post("/logout", data={"csrf_token": form})
    answer = client.get("/api/v1/customers", headers=bearer(token))
    assert answer.status_code == 401 and answer.is_json


def test_anonymous_and_bad_tokens_get_401_json_not_a_redirect(client, people, issue):
    for headers in ({}, bearer("fc_not-a-token"), bearer(""), {"Authorization": "Basic eDp5"}):
        answer = client.get("/api/v1/customers", headers=headers)
        assert answer.status_code == 401, headers
        assert answer.is_json and answer.get_json()["status"] == 401
    assert client.get("/api/sync/status").status_code == 401  # the outbox API too
    # a token is for /api/v1 only, not for the outbox's cookie API
    assert client.get("/api/sync/status", headers=bearer(issue(people["rep"]))).status_code == 401


def test_a_disabled_user_s_token_stops(client, db, people, issue):
    token = issue(people["rep"])
    people["rep"].active = False
    db.add(people["rep"])
    db.commit()
    assert client.get("/api/v1/customers", headers=bearer(token)).status_code == 401


def test_read_token_reads_but_may_not_write(client, make_customer, people, issue):
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    token = issue(people["rep"], scope="read")
    assert client.get(f"/api/v1/customers/{customer.id}", headers=bearer(token)).status_code == 200
    answer = client.patch(
        f"/api/v1/customers/{customer.id}", json={"version": 1, "name": "X"}, headers=bearer(token)
    )
    assert answer.status_code == 403 and answer.is_json


def test_bearer_calls_need_no_csrf_but_cookie_calls_do(
    client, login_as, db, make_customer, people, issue
):
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    url = f"/api/v1/customers/{customer.id}"
    answer = client.patch(
        url, json={"version": 1, "name": "By token"}, headers=bearer(issue(people["rep"]))
    )
    assert answer.status_code == 200 and answer.get_json()["version"] == 2
    login_as(people["rep"])
    refused = client.patch(url, json={"version": 2, "name": "By cookie"})
    assert refused.status_code == 400  # CSRF
    db.refresh(customer)
    assert customer.name == "By token"
    token = client.get("/api/sync/status").get_json()["csrf_token"]
    answer = client.patch(
        url, json={"version": 2, "name": "By cookie"}, headers={"X-CSRFToken": token}
    )
    assert answer.status_code == 200 and answer.get_json()["name"] == "By cookie"


def test_the_ui_s_rules_hold_in_the_api(client, db, make_customer, make_visit, people, issue):
    """Team isolation (404), the assigned rep or a manager edits (403), only the author edits a note."""
    mine = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    visit = make_visit(rep=people["rep"], customer=mine)
    rep, colleague = bearer(issue(people["rep"])), bearer(issue(people["colleague"]))
    manager, outsider = bearer(issue(people["manager"])), bearer(issue(people["outsider"]))
    url = f"/api/v1/customers/{mine.id}"
    assert client.get(url, headers=colleague).status_code == 200  # the team reads
    assert client.get(url, headers=outsider).status_code == 404
    assert client.get(f"/api/v1/visits/{visit.id}", headers=outsider).status_code == 404
    assert client.patch(url, json={"version": 1, "name": "Y"}, headers=colleague).status_code == 403
    assert client.patch(url, json={"version": 1, "name": "Y"}, headers=outsider).status_code == 404
    assert client.patch(url, json={"version": 1, "name": "Y"}, headers=manager).status_code == 200
    note = {"version": visit.version, "outcome": "met", "heard": "edited"}
    assert client.patch(f"/api/v1/visits/{visit.id}", json=note, headers=manager).status_code == 403
    assert client.patch(f"/api/v1/visits/{visit.id}", json=note, headers=rep).status_code == 200
    listed = client.get("/api/v1/customers", headers=outsider).get_json()
    assert listed["items"] == []


def test_stale_edit_is_409_and_changes_nothing(client, db, make_customer, people, issue):
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id, name="Old")
    token = bearer(issue(people["rep"]))
    url = f"/api/v1/customers/{customer.id}"
    assert client.patch(url, json={"version": 1, "name": "First"}, headers=token).status_code == 200
    stale = client.patch(url, json={"version": 1, "name": "Second"}, headers=token)
    assert stale.status_code == 409
    assert stale.get_json()["current_version"] == 2
    db.refresh(customer)
    assert customer.name == "First"


def test_bad_input_is_422_json_in_the_user_s_language(client, db, make_customer, people, issue):
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    token = bearer(issue(people["rep"]))
    url = f"/api/v1/customers/{customer.id}"
    shape = client.patch(url, json={"version": 1, "cadence_days": "often"}, headers=token)
    assert shape.status_code == 422 and shape.get_json()["field"] == "cadence_days"
    rule = client.patch(url, json={"version": 1, "rank": "Z"}, headers=token)
    assert rule.status_code == 422 and rule.get_json()["error"] == "Rank must be A, B or C."
    assert client.patch(url, data="not json", headers=token).status_code == 422
    people["rep"].language = "ja"
    db.add(people["rep"])
    db.commit()
    ja = client.patch(url, json={"version": 1, "rank": "Z"}, headers=token).get_json()
    assert ja["error"] != "Rank must be A, B or C."
    db.refresh(customer)
    assert customer.version == 1
    assert client.get("/api/v1/customers?cursor=garbage", headers=token).status_code == 422


def test_cursor_paging_walks_every_team_customer_once(client, make_customer, people, issue):
    made = {make_customer(team=people["team"]).id for _ in range(7)}
    make_customer(team=people["other_team"])
    token = bearer(issue(people["rep"]))
    seen, url = [], "/api/v1/customers?limit=3"
    while url:
        page = client.get(url, headers=token).get_json()
        seen += [c["id"] for c in page["items"]]
        url = page["next_cursor"] and f"/api/v1/customers?limit=3&cursor={page['next_cursor']}"
    assert sorted(seen) == sorted(made)


def test_customer_detail_has_contacts_and_busy_periods_and_they_can_be_added(
    client, db, make_customer, people, issue
):
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    token = bearer(issue(people["rep"]))
    base = f"/api/v1/customers/{customer.id}"
    added = client.post(
        f"{base}/contacts", json={"name": "佐藤", "is_primary": True}, headers=token
    )
    assert added.status_code == 201, added.get_json()
    busy = {"kind": "weekly", "weekdays": "01234", "start_min": 690, "end_min": 810}
    assert client.post(f"{base}/busy-periods", json=busy, headers=token).status_code == 201
    detail = client.get(base, headers=token).get_json()
    assert [c["name"] for c in detail["contacts"]] == ["佐藤"]
    assert detail["busy_periods"][0]["weekdays"] == "01234"
    reader = bearer(issue(people["colleague"]))
    assert client.post(f"{base}/contacts", json={"name": "X"}, headers=reader).status_code == 403
    assert db.exec(select(func.count()).select_from(Contact)).one() == 1


def test_visits_followups_orders_and_products(
    client, db, make_customer, make_product, people, issue
):
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    product = make_product(unit_price=500)
    token = bearer(issue(people["rep"]))
    body = {
        "outcome": "order_taken",
        "heard": "More next month",
        "orders": [{"product_id": product.id, "quantity": 3}],
        "followups": [{"kind": "quote", "title": "Send the quote"}],
        "key": "crm-1",
    }
    first = client.post(f"/api/v1/customers/{customer.id}/visits", json=body, headers=token)
    again = client.post(f"/api/v1/customers/{customer.id}/visits", json=body, headers=token)
    assert first.status_code == 201 and again.get_json()["id"] == first.get_json()["id"]
    assert db.exec(select(func.count()).select_from(Visit)).one() == 1
    orders = client.get(f"/api/v1/orders?customer_id={customer.id}", headers=token).get_json()
    assert [(o["quantity"], o["unit_price"]) for o in orders["items"]] == [(3, 500)]
    followups = client.get("/api/v1/followups?state=open", headers=token).get_json()["items"]
    assert [f["title"] for f in followups] == ["Send the quote"]
    closed = client.post(
        f"/api/v1/followups/{followups[0]['id']}/close", json={"result": "Sent"}, headers=token
    )
    assert closed.status_code == 200 and closed.get_json()["state"] == "done"
    products = client.get("/api/v1/products", headers=token).get_json()["items"]
    assert [p["id"] for p in products] == [product.id]


def test_day_plan_is_the_rep_s_own_or_a_manager_s_team_rep(
    client, db, make_customer, make_plan, people, issue
):
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    plan, stops = make_plan(rep=people["rep"], customers=[customer])
    url = f"/api/v1/day-plans/{plan.plan_date.isoformat()}"
    mine = client.get(url, headers=bearer(issue(people["rep"]))).get_json()
    assert [s["customer_id"] for s in mine["stops"]] == [customer.id] and mine["version"] == 3
    manager = bearer(issue(people["manager"]))
    assert client.get(f"{url}?rep_id={people['rep'].id}", headers=manager).status_code == 200
    colleague = bearer(issue(people["colleague"]))
    assert client.get(f"{url}?rep_id={people['rep'].id}", headers=colleague).status_code == 404
    assert client.get(url, headers=colleague).status_code == 404  # no plan of their own
    assert client.get("/api/v1/day-plans/not-a-day", headers=colleague).status_code == 404


def test_sync_through_v1_is_the_outbox_s_rule_stored_once(client, db, make_customer, people, issue):
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    plan = DayPlan(rep_id=people["rep"].id, plan_date=clock.local_today("Asia/Tokyo"), version=1)
    db.add(plan)
    db.commit()
    stop = DayPlanStop(day_plan_id=plan.id, customer_id=customer.id, position=0)
    db.add(stop)
    db.commit()
    token = bearer(issue(people["rep"]))
    at = (datetime.now(UTC) - timedelta(minutes=20)).isoformat()
    check_in = {"stop_id": stop.id, "at": at}
    first = client.post("/api/v1/sync/check-in", json=check_in, headers=token).get_json()
    again = client.post("/api/v1/sync/check-in", json=check_in, headers=token).get_json()
    assert first["replayed"] is False and again["replayed"] is True
    log = {
        "key": "k-1",
        "customer_id": customer.id,
        "stop_id": stop.id,
        "at": at,
        "form": [["outcome", "met"], ["heard", "fine"]],
    }
    answers = [client.post("/api/v1/sync/visits", json=log, headers=token) for _ in range(2)]
    assert [a.get_json()["replayed"] for a in answers] == [False, True]
    assert db.exec(select(func.count()).select_from(Visit)).one() == 1
    stranger = bearer(issue(people["outsider"]))
    refused = client.post("/api/v1/sync/check-out", json=check_in, headers=stranger)
    assert refused.status_code == 404


def test_openapi_document_lists_every_v1_route_and_is_public(app, client):
    doc = client.get("/api/v1/openapi.json")
    assert doc.status_code == 200
    spec = doc.get_json()
    assert spec["openapi"].startswith("3.1")
    documented = {(path, method.upper()) for path, ops in spec["paths"].items() for method in ops}
    routed = set()
    for rule in app.url_map.iter_rules():
        if rule.rule.startswith("/api/v1/"):
            path = re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", r"{\1}", rule.rule)
            routed |= {(path, m) for m in rule.methods - {"HEAD", "OPTIONS"}}
    assert documented == routed
    assert spec["components"]["securitySchemes"]["bearer"]["scheme"] == "bearer"


def test_api_calls_are_rate_limited_per_token(app, people, issue):
    limited = create_app(
        {**app.config, "RATELIMIT_ENABLED": True, "API_RATE_LIMIT": "3 per minute"}
    )
    try:
        client = limited.test_client()
        token, other = bearer(issue(people["rep"])), bearer(issue(people["colleague"]))
        codes = [client.get("/api/v1/products", headers=token).status_code for _ in range(4)]
        assert codes == [200, 200, 200, 429]
        assert client.get("/api/v1/products", headers=token).is_json
        assert client.get("/api/v1/products", headers=other).status_code == 200
    finally:
        limiter.reset()
        limiter.enabled = False
        limited.extensions["fieldapp.engine"].dispose()
