"""Handover (issue 11): preview, then one transaction moving customers with their open follow-ups, future
appointments and stops on plans not yet started; audit rows; the note for the new rep; managers only,
own team only."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from fieldapp.models import (
    AuditEvent,
    Customer,
    DayPlan,
    DayPlanStop,
    FollowUp,
    HandoverNote,
    Role,
    Visit,
)
from fieldapp.services import clock
from tests.conftest import csrf_token, saved


@pytest.fixture
def cast(make_people):
    return make_people(
        manager={"role": Role.MANAGER, "name": "課長", "language": "ja"},
        old={"name": "旧担当", "language": "ja"},
        new={"name": "新担当", "language": "ja"},
        outsider={"team": "other", "role": Role.MANAGER},
    )


@pytest.fixture
def book(cast, make_customer, make_followup, make_plan, db):
    """Two customers of the old rep with a follow-up, an appointment and a plan stop each way."""
    team, old, new = cast["team"], cast["old"], cast["new"]
    a = make_customer(team=team, name="そば処 まつや", assigned_rep_id=old.id)
    b = make_customer(team=team, name="喫茶 ひまわり", assigned_rep_id=old.id)
    keep = make_customer(team=team, name="残る店", assigned_rep_id=old.id)
    followup = make_followup(actor=old, customer=a, title="見積書を送る", owner_id=old.id)
    done = make_followup(actor=old, customer=a, title="済んだ件", owner_id=old.id, state="done")
    tomorrow = clock.local_today("Asia/Tokyo") + timedelta(days=1)
    start = datetime.combine(tomorrow, datetime.min.time(), tzinfo=UTC) + timedelta(hours=2)
    appointment = saved(
        db,
        Visit(customer_id=b.id, rep_id=old.id, status="planned", is_appointment=True,
              scheduled_start=start),
    )  # fmt: skip
    past = saved(
        db,
        Visit(customer_id=b.id, rep_id=old.id, status="done",
              check_in_at=start - timedelta(days=30)),
    )  # fmt: skip
    old_plan, old_stops = make_plan(
        rep=old, customers=[a, keep, b], day=tomorrow, status="accepted"
    )
    new_plan, _new_stops = make_plan(rep=new, customers=[], day=tomorrow, status="draft")
    return {
        "a": a, "b": b, "keep": keep, "followup": followup, "done": done,
        "appointment": appointment, "past": past, "old_plan": old_plan, "new_plan": new_plan,
        "old_version": old_plan.version,
    }  # fmt: skip


def _start(client, ids):
    page = client.post(
        "/handover/new",
        data={
            "ids": ",".join(map(str, ids)),
            "csrf_token": csrf_token(client.get("/handover/map").get_data(as_text=True)),
        },
    )
    return page


def _preview(client, ids, to_rep, note=""):
    page = _start(client, ids)
    assert page.status_code == 200, page.get_data(as_text=True)
    html = page.get_data(as_text=True)
    return client.post(
        "/handover/preview",
        data={"ids": ",".join(map(str, ids)), "to_rep": str(to_rep.id), "note": note,
              "csrf_token": csrf_token(html)},
    )  # fmt: skip


def _confirm_data(html: str) -> dict[str, str]:
    form = html[html.index('id="confirm-form"') :]
    fields = dict(re.findall(r'name="(\w+)" type="hidden" value="([^"]*)"', form))
    fields.update(dict(re.findall(r'type="hidden" name="(\w+)" value="([^"]*)"', form)))
    return fields


def test_preview_then_commit_moves_everything_in_one_go(client, login_as, db, cast, book):
    login_as(cast["manager"])
    ids = [book["a"].id, book["b"].id]
    preview = _preview(client, ids, cast["new"], note="店長は午前中が話しやすい")
    html = preview.get_data(as_text=True)
    assert preview.status_code == 200, html
    assert re.search(r'id="moving-followups">1<', html)
    assert re.search(r'id="moving-visits">1<', html)
    assert re.search(r'id="moving-stops">2<', html)
    # nothing moved yet
    db.expire_all()
    assert db.get(Customer, book["a"].id).assigned_rep_id == cast["old"].id
    before_commit = max(e.id for e in db.exec(select(AuditEvent)).all())
    response = client.post("/handover/commit", data=_confirm_data(html))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.expire_all()
    new_id, old_id = cast["new"].id, cast["old"].id
    assert db.get(Customer, book["a"].id).assigned_rep_id == new_id
    assert db.get(Customer, book["b"].id).assigned_rep_id == new_id
    assert db.get(Customer, book["keep"].id).assigned_rep_id == old_id
    assert db.get(FollowUp, book["followup"].id).owner_id == new_id
    assert db.get(FollowUp, book["done"].id).owner_id == old_id  # closed ones stay where they were
    assert db.get(Visit, book["appointment"].id).rep_id == new_id
    assert db.get(Visit, book["past"].id).rep_id == old_id  # history stays with who did it
    old_stops = db.exec(
        select(DayPlanStop).where(DayPlanStop.day_plan_id == book["old_plan"].id)
    ).all()
    assert [s.customer_id for s in old_stops] == [book["keep"].id]
    assert old_stops[0].position == 0
    new_stops = db.exec(
        select(DayPlanStop)
        .where(DayPlanStop.day_plan_id == book["new_plan"].id)
        .order_by(DayPlanStop.position)
    ).all()
    assert [s.customer_id for s in new_stops] == [book["a"].id, book["b"].id]
    assert db.get(DayPlan, book["old_plan"].id).version == book["old_version"] + 1
    # audit: one handover row per customer, and each moved row
    events = db.exec(
        select(AuditEvent).where(AuditEvent.id > before_commit).order_by(AuditEvent.id)
    ).all()
    handovers = [e for e in events if e.action == "handover"]
    assert sorted(e.entity_id for e in handovers) == sorted(ids)
    assert {e.entity for e in events} >= {"customer", "followup", "visit", "day_plan_stop"}
    assert all(e.actor_id == cast["manager"].id for e in events)
    # the note waits for the new rep
    notes = db.exec(select(HandoverNote)).all()
    assert len(notes) == 2 and notes[0].to_rep_id == new_id and notes[0].from_rep_id == old_id


def test_a_stale_preview_is_refused_and_nothing_moves(client, login_as, db, cast, book):
    login_as(cast["manager"])
    html = _preview(client, [book["a"].id], cast["new"]).get_data(as_text=True)
    # someone edits the customer in between
    customer = db.get(Customer, book["a"].id)
    customer.version += 1
    saved(db, customer)
    response = client.post("/handover/commit", data=_confirm_data(html))
    assert response.status_code == 409
    db.expire_all()
    assert db.get(Customer, book["a"].id).assigned_rep_id == cast["old"].id
    assert db.get(FollowUp, book["followup"].id).owner_id == cast["old"].id
    assert not db.exec(select(AuditEvent).where(AuditEvent.action == "handover")).all()


def test_the_filtered_set_is_handed_over(client, login_as, db, cast, book):
    login_as(cast["manager"])
    page = client.get(f"/handover/new?mine=0&rep={cast['old'].id}")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "3" in html
    assert "そば処 まつや" in html and "残る店" in html


def test_another_teams_customer_is_refused(client, login_as, db, cast, book, make_customer):
    theirs = make_customer(team=cast["other_team"], name="よその店")
    login_as(cast["manager"])
    assert _start(client, [book["a"].id, theirs.id]).status_code == 404
    response = client.get(f"/handover/new?ids={theirs.id}")
    assert response.status_code == 404


def test_another_teams_rep_cannot_receive(client, login_as, db, cast, book):
    login_as(cast["manager"])
    response = _preview(client, [book["a"].id], cast["outsider"])
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Customer, book["a"].id).assigned_rep_id == cast["old"].id


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/handover/map"),
        ("GET", "/handover/new"),
        ("POST", "/handover/new"),
        ("POST", "/handover/preview"),
        ("POST", "/handover/commit"),
    ],
)
def test_reps_are_refused_on_manager_pages(client, login_as, cast, book, method, url):
    login_as(cast["old"])
    token = csrf_token(client.get("/customers/new").get_data(as_text=True))
    response = client.open(
        url, method=method, data={"csrf_token": token} if method == "POST" else None
    )
    assert response.status_code == 403


def test_another_teams_manager_sees_nothing(client, login_as, cast, book):
    login_as(cast["outsider"])
    assert book["a"].id not in [p["id"] for p in _points(client)]
    assert client.get(f"/customers/{book['a'].id}").status_code == 404


def _points(client, url="/handover/map"):
    import json

    html = client.get(url).get_data(as_text=True)
    data = re.search(r'<script type="application/json" id="map-points">(.*?)</script>', html, re.S)
    return json.loads(data.group(1))


def test_map_points_follow_the_filters(client, login_as, cast, book):
    login_as(cast["manager"])
    assert {p["id"] for p in _points(client)} == {book["a"].id, book["b"].id, book["keep"].id}
    points = _points(client, "/handover/map?colour=overdue&q=ひまわり")
    assert [p["name"] for p in points] == ["喫茶 ひまわり"]
    points = _points(client, f"/handover/map?rep={cast['new'].id}")
    assert points == []


def test_the_new_rep_reads_and_dismisses_the_note(client, login_as, db, cast, book):
    login_as(cast["manager"])
    html = _preview(client, [book["a"].id], cast["new"], note="鍵は裏口").get_data(as_text=True)
    assert client.post("/handover/commit", data=_confirm_data(html)).status_code == 302
    token = csrf_token(client.get("/customers/new").get_data(as_text=True))
    client.post("/logout", data={"csrf_token": token})
    login_as(cast["new"])
    page = client.get(f"/customers/{book['a'].id}").get_data(as_text=True)
    assert "鍵は裏口" in page
    note = db.exec(select(HandoverNote)).one()
    response = client.post(
        f"/handover/notes/{note.id}/dismiss", data={"csrf_token": csrf_token(page)}
    )
    assert response.status_code == 302
    assert "鍵は裏口" not in client.get(f"/customers/{book['a'].id}").get_data(as_text=True)
    db.expire_all()
    assert db.get(HandoverNote, note.id).dismissed_at is not None


def test_only_the_new_rep_dismisses_the_note(client, login_as, db, cast, book):
    note = saved(
        db,
        HandoverNote(customer_id=book["a"].id, to_rep_id=cast["new"].id, body="x",
                     created_by_id=cast["manager"].id),
    )  # fmt: skip
    login_as(cast["old"])
    token = csrf_token(client.get("/customers/new").get_data(as_text=True))
    response = client.post(f"/handover/notes/{note.id}/dismiss", data={"csrf_token": token})
    assert response.status_code == 403


def test_a_manager_hands_over_one_customer_from_its_page(client, login_as, db, cast, book):
    login_as(cast["manager"])
    page = client.get(f"/customers/{book['a'].id}").get_data(as_text=True)
    assert f"/handover/new?ids={book['a'].id}" in page
    start = client.get(f"/handover/new?ids={book['a'].id}").get_data(as_text=True)
    assert "1件を選択" in start and "そば処 まつや" in start
    client.post("/logout", data={"csrf_token": csrf_token(start)})
    login_as(cast["old"])
    assert "/handover/new" not in client.get(f"/customers/{book['a'].id}").get_data(as_text=True)
