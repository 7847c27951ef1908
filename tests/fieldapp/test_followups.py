"""Follow-ups: my list (overdue first), creating one at a customer, closing with a result, who may close."""

from __future__ import annotations

import functools
import json
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlmodel import select

from fieldapp.errors import Forbidden, NotFound, ValidationError
from fieldapp.models import AuditEvent, FollowUp
from fieldapp.services import clock
from fieldapp.services import followups as service
from tests.conftest import csrf_token

NOW = datetime(2026, 11, 20, 5, 0, tzinfo=UTC)


@pytest.fixture
def people(make_team, make_user, make_customer):
    """Three reps, a manager, a rep of another team, and the izakaya (assigned to 三郎)."""
    team = make_team()
    rep = make_user(team=team, name="営業 一郎", language="en")
    assigned = make_user(team=team, name="営業 三郎", language="en")
    bystander = make_user(team=team, name="営業 四郎", language="en")
    manager = make_user(team=team, role="manager", language="en")
    outsider = make_user(team=make_team(), language="en")
    customer = make_customer(team=team, name="居酒屋 さくら", assigned_rep_id=assigned.id)
    return {
        "rep": rep,
        "assigned": assigned,
        "bystander": bystander,
        "manager": manager,
        "outsider": outsider,
        "customer": customer,
    }


@pytest.fixture
def make_followup(make_followup, people):
    """The shared factory, opened by the rep at the izakaya unless told otherwise."""
    return functools.partial(make_followup, actor=people["rep"], customer=people["customer"])


def team_today() -> date:
    return clock.local_today("Asia/Tokyo")


# --- service ----------------------------------------------------------------------------------------


def test_create_followup_defaults_owner_and_audits(db, people):
    data = service.FollowUpInput.from_mapping({"kind": "delivery", "title": " 納期確認 "})
    followup = service.create_followup(
        db, actor=people["bystander"], customer_id=people["customer"].id, data=data, now=NOW
    )
    db.commit()
    assert (followup.owner_id, followup.title, followup.state) == (
        people["bystander"].id,
        "納期確認",
        "open",
    )
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "followup")).one()
    assert event.action == "create" and json.loads(event.after)["title"] == "納期確認"


def test_create_followup_at_another_teams_customer_is_404(db, people, make_customer):
    data = service.FollowUpInput(kind="other", title="x")
    with pytest.raises(NotFound):
        service.create_followup(
            db, actor=people["outsider"], customer_id=people["customer"].id, data=data, now=NOW
        )


def test_open_followups_overdue_first(db, people, make_followup):
    today = date(2026, 11, 20)
    later = make_followup(title="later", due_date=today + timedelta(days=3))
    undated = make_followup(title="undated", due_date=None)
    overdue = make_followup(title="overdue", due_date=today - timedelta(days=2))
    due_today = make_followup(title="today", due_date=today)
    make_followup(title="done", due_date=today - timedelta(days=9), state="done")
    make_followup(title="not mine", owner_id=people["assigned"].id, due_date=today)
    mine = service.open_followups_for_user(db, user=people["rep"])
    assert [f.id for f in mine] == [overdue.id, due_today.id, later.id, undated.id]
    assert service.is_overdue(overdue, today) and not service.is_overdue(due_today, today)
    team = service.open_followups_for_team(db, team_id=people["rep"].team_id)
    assert len(team) == 5
    customer_list = service.open_followups_for_customer(db, customer_id=people["customer"].id)
    assert customer_list[0].id == overdue.id


@pytest.mark.parametrize("who", ["rep", "assigned", "manager"])
def test_owner_assigned_rep_and_manager_may_close(db, people, make_followup, who):
    followup = make_followup()
    closed = service.close_followup(
        db, actor=people[who], followup_id=followup.id, result="見積送付済み", now=NOW
    )
    db.commit()
    assert (closed.state, closed.result, closed.closed_at) == ("done", "見積送付済み", NOW)
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "close")).one()
    assert json.loads(event.after) == {"state": "done", "result": "見積送付済み"}


def test_others_may_not_close(db, people, make_followup):
    followup = make_followup()
    with pytest.raises(Forbidden):
        service.close_followup(
            db, actor=people["bystander"], followup_id=followup.id, result="x", now=NOW
        )
    with pytest.raises(NotFound):
        service.close_followup(
            db, actor=people["outsider"], followup_id=followup.id, result="x", now=NOW
        )


def test_close_needs_a_result_and_only_once(db, people, make_followup):
    followup = make_followup()
    with pytest.raises(ValidationError) as caught:
        service.close_followup(
            db, actor=people["rep"], followup_id=followup.id, result="  ", now=NOW
        )
    assert caught.value.message == "Please write the result before closing."
    service.close_followup(db, actor=people["rep"], followup_id=followup.id, result="ok", now=NOW)
    with pytest.raises(ValidationError):
        service.close_followup(
            db, actor=people["rep"], followup_id=followup.id, result="ok", now=NOW
        )


# --- routes -----------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, people, make_followup, db):
    followup = make_followup()
    for url in ("/followups/", f"/customers/{people['customer'].id}/followups/new"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"], url
    token = csrf_token(client.get("/login").get_data(as_text=True))
    response = client.post(f"/followups/{followup.id}/close", data={"csrf_token": token})
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    db.refresh(followup)
    assert followup.state == "open"


def test_list_shows_overdue_first_and_highlighted(client, people, login_as, make_followup):
    today = team_today()
    make_followup(title="Quote next week", due_date=today + timedelta(days=7))
    make_followup(title="Late delivery check", kind="delivery", due_date=today - timedelta(days=1))
    make_followup(title="Colleague's task", owner_id=people["assigned"].id)
    login_as(people["rep"])
    html = client.get("/followups/").get_data(as_text=True)
    assert html.index("Late delivery check") < html.index("Quote next week")
    assert "Colleague&#39;s task" not in html and "Colleague's task" not in html
    late = html[html.index("Late delivery check") - 400 : html.index("Late delivery check")]
    assert "is-overdue" in late
    assert "1 overdue" in html
    team_html = client.get("/followups/?scope=team").get_data(as_text=True)
    assert "Colleague" in team_html


def test_close_button_only_for_those_who_may_close(client, people, login_as, make_followup):
    make_followup(title="Someone's quote", owner_id=people["assigned"].id)
    login_as(people["bystander"])
    html = client.get("/followups/?scope=team").get_data(as_text=True)
    assert "Someone" in html and "/close" not in html


def test_close_through_the_form(client, people, login_as, make_followup, db):
    followup = make_followup()
    login_as(people["rep"])
    html = client.get("/followups/").get_data(as_text=True)
    token = csrf_token(html)
    url = f"/followups/{followup.id}/close"
    assert client.post(url, data={"result": "sent"}).status_code == 400  # no CSRF token
    empty = client.post(url, data={"csrf_token": token, "result": " ", "next": "/followups/"})
    assert empty.status_code == 302
    db.refresh(followup)
    assert followup.state == "open"
    assert "Please write the result before closing." in client.get("/followups/").get_data(
        as_text=True
    )
    done = client.post(
        url, data={"csrf_token": token, "result": "Quote sent", "next": "https://evil.example/"}
    )
    assert done.status_code == 302 and done.headers["Location"].endswith("/followups/")
    db.refresh(followup)
    assert (followup.state, followup.result) == ("done", "Quote sent")


def test_close_by_bystander_is_403_and_other_team_404(client, people, login_as, make_followup, db):
    followup = make_followup()
    login_as(people["bystander"])
    token = csrf_token(client.get("/me").get_data(as_text=True))
    url = f"/followups/{followup.id}/close"
    assert client.post(url, data={"csrf_token": token, "result": "x"}).status_code == 403
    client.post("/logout", data={"csrf_token": token})
    login_as(people["outsider"])
    token = csrf_token(client.get("/me").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token, "result": "x"}).status_code == 404
    db.refresh(followup)
    assert followup.state == "open"


def test_manager_closes_from_the_list(client, people, login_as, make_followup, db):
    followup = make_followup()
    login_as(people["manager"])
    html = client.get("/followups/?scope=team").get_data(as_text=True)
    assert f"/followups/{followup.id}/close" in html
    response = client.post(
        f"/followups/{followup.id}/close", data={"csrf_token": csrf_token(html), "result": "done"}
    )
    assert response.status_code == 302
    db.refresh(followup)
    assert followup.state == "done"


def test_new_followup_from_a_customer(client, people, login_as, db):
    login_as(people["rep"])
    url = f"/customers/{people['customer'].id}/followups/new"
    page = client.get(url)
    assert page.status_code == 200
    token = csrf_token(page.get_data(as_text=True))
    missing = client.post(url, data={"csrf_token": token, "kind": "quote", "title": ""})
    assert missing.status_code == 200
    assert "Please enter what needs to be followed up." in missing.get_data(as_text=True)
    response = client.post(
        url,
        data={
            "csrf_token": token,
            "kind": "trouble",
            "title": "Broken dispenser",
            "due_date": "2026-11-30",
            "owner_id": str(people["assigned"].id),
        },
    )
    assert response.status_code == 302
    followup = db.exec(select(FollowUp)).one()
    assert (followup.kind, followup.owner_id, followup.created_by_id, followup.due_date) == (
        "trouble",
        people["assigned"].id,
        people["rep"].id,
        date(2026, 11, 30),
    )


def test_new_followup_permissions(client, people, login_as, db):
    url = f"/customers/{people['customer'].id}/followups/new"
    login_as(people["outsider"])
    assert client.get(url).status_code == 404
    token = csrf_token(client.get("/me").get_data(as_text=True))
    assert client.post(url, data={"csrf_token": token, "title": "x"}).status_code == 404
    client.post("/logout", data={"csrf_token": token})
    login_as(people["manager"])
    assert client.get(url).status_code == 200
    assert db.exec(select(FollowUp)).all() == []


def test_customer_page_shows_followups_and_visit_notes_via_the_partials(
    client, people, login_as, make_followup, make_visit, db
):
    followup = make_followup(title="Deliver the new menu samples")
    make_visit(
        rep=people["rep"], customer=people["customer"], heard="Considering a new menu", now=NOW
    )
    login_as(people["assigned"])
    page = client.get(f"/customers/{people['customer'].id}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "Deliver the new menu samples" in html and "Considering a new menu" in html
    assert f"/followups/{followup.id}/close" in html  # the customer's rep may close it
    assert 'name="next" type="hidden" value="/customers/' in html
    response = client.post(
        f"/followups/{followup.id}/close",
        data={
            "csrf_token": csrf_token(html),
            "result": "Samples delivered",
            "next": f"/customers/{people['customer'].id}",
        },
    )
    assert response.headers["Location"].endswith(f"/customers/{people['customer'].id}")
    db.refresh(followup)
    assert followup.state == "done"
