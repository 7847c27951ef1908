"""Who may do what on every customer route: team reads, the assigned rep and managers edit,
another team gets 404, an anonymous visitor is sent to sign in. Add a new route to ROUTES."""

from __future__ import annotations

import pytest

from fieldapp.models import BusyPeriod, Contact
from fieldapp.services import contacts
from tests.conftest import csrf_token

# (method, url template, kind): "read" = the whole team, "edit" = assigned rep and managers.
ROUTES = [
    ("GET", "/customers/", "list"),
    ("GET", "/customers/{c}", "read"),
    ("GET", "/customers/{c}/history", "read"),
    ("GET", "/customers/{c}/edit", "edit"),
    ("POST", "/customers/{c}/edit", "edit"),
    ("GET", "/customers/{c}/location", "edit"),
    ("POST", "/customers/{c}/location", "edit"),
    ("GET", "/customers/{c}/contacts/new", "edit"),
    ("POST", "/customers/{c}/contacts/new", "edit"),
    ("GET", "/customers/{c}/contacts/{contact}/edit", "edit"),
    ("POST", "/customers/{c}/contacts/{contact}/edit", "edit"),
    ("POST", "/customers/{c}/contacts/{contact}/delete", "edit"),
    ("GET", "/customers/{c}/busy/new", "edit"),
    ("POST", "/customers/{c}/busy/new", "edit"),
    ("GET", "/customers/{c}/busy/{busy}/edit", "edit"),
    ("POST", "/customers/{c}/busy/{busy}/edit", "edit"),
    ("POST", "/customers/{c}/busy/{busy}/delete", "edit"),
    ("GET", "/customers/leaflet/leaflet.js", "list"),
    ("GET", "/customers/new", "list"),
]
# Valid bodies, so an allowed POST succeeds (a redirect) rather than failing validation.
BODIES = {
    "/customers/{c}/edit": lambda c: {
        "version": str(c.version),
        "name": c.name,
        "kana": c.kana or "",
        "segment": "shop",
        "rank": "B",
        "cadence_days": "14",
        "visit_minutes": "20",
        "status": "active",
    },
    "/customers/{c}/location": lambda c: {
        "version": str(c.version),
        "lat": "35.7",
        "lon": "139.7",
        "source": "pinned",
    },
    "/customers/{c}/contacts/new": lambda c: {"name": "山田 花子"},
    "/customers/{c}/contacts/{contact}/edit": lambda c: {"name": "山田 太郎"},
    "/customers/{c}/busy/new": lambda c: {
        "kind": "weekly",
        "weekdays": ["0"],
        "start_time": "11:00",
        "end_time": "13:00",
    },
    "/customers/{c}/busy/{busy}/edit": lambda c: {
        "kind": "weekly",
        "weekdays": ["2"],
        "whole_day": "y",
    },
}


@pytest.fixture
def people(make_people, make_customer, db):
    """The assigned rep, a teammate and the manager of the customer's team; a rep and a manager of another."""
    people = make_people(
        assigned={},
        teammate={},
        manager={"role": "manager"},
        stranger={"team": "other"},
        other_manager={"team": "other", "role": "manager"},
    )
    customer = make_customer(
        team=people["team"], assigned_rep_id=people["assigned"].id, name="酒店 まるや"
    )
    contact = Contact(customer_id=customer.id, name="丸谷 一郎")
    period = BusyPeriod(
        customer_id=customer.id, kind="weekly", weekdays="0", start_min=600, end_min=700
    )
    db.add_all([contact, period])
    db.commit()
    return {**people, "customer": customer, "contact": contact, "busy": period}


def _url(template: str, people) -> str:
    return template.format(
        c=people["customer"].id, contact=people["contact"].id, busy=people["busy"].id
    )


def _call(client, method: str, template: str, people):
    url = _url(template, people)
    if method == "GET":
        return client.get(url)
    token = csrf_token(client.get("/me").get_data(as_text=True))
    body = BODIES.get(template, lambda c: {})(people["customer"])
    if "{contact}/edit" in template:
        # An edit carries the fingerprint its page was opened with (without it the save is refused as stale).
        body = {**body, "loaded": contacts.contact_fingerprint(people["contact"])}
    return client.post(url, data={"csrf_token": token, **body})


def _expected(kind: str, who: str) -> set[int]:
    if who in ("stranger", "other_manager"):
        return {200} if kind == "list" else {404}
    if kind in ("list", "read") or who in ("assigned", "manager"):
        return {200, 302}
    return {403}


@pytest.mark.parametrize(("method", "template", "kind"), ROUTES)
@pytest.mark.parametrize("who", ["assigned", "teammate", "manager", "stranger", "other_manager"])
def test_route_access(client, login_as, people, method, template, kind, who):
    login_as(people[who])
    response = _call(client, method, template, people)
    assert response.status_code in _expected(kind, who), (
        who,
        method,
        template,
        response.status_code,
    )
    if response.status_code == 403:
        assert "assigned rep or a manager" in response.get_data(
            as_text=True
        ) or "担当" in response.get_data(as_text=True)


@pytest.mark.parametrize(("method", "template", "kind"), ROUTES)
def test_anonymous_is_sent_to_sign_in(client, people, method, template, kind):
    url = _url(template, people)
    if method == "GET":
        response = client.get(url)
    else:
        # A real form token (from the sign-in page), so the login check is what answers.
        token = csrf_token(client.get("/login").get_data(as_text=True))
        response = client.post(url, data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_forbidden_edit_changes_nothing(client, login_as, people, db):
    login_as(people["teammate"])
    _call(client, "POST", "/customers/{c}/edit", people)
    _call(client, "POST", "/customers/{c}/busy/{busy}/delete", people)
    db.expire_all()
    assert db.get(BusyPeriod, people["busy"].id) is not None
    assert db.get(type(people["customer"]), people["customer"].id).version == 1
