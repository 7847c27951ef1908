"""Cover an absent rep: the absent rep's due visits and appointments planned across chosen teammates with
the several-reps planner; teammates' stops and appointments kept; preview, confirm (one transaction,
audited), stale previews refused, and only the team's managers may do it."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

from fieldapp.models import AuditEvent, DayPlan, DayPlanStop, RepAbsence, Visit
from fieldapp.services import clock
from fieldapp.services.day import cover, planning, plans
from tests.conftest import csrf_token, login, saved

TOKYO = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 11, 24)  # Tuesday; "now" is Monday morning
HQ = (35.681, 139.767)


def jst(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=TOKYO).astimezone(UTC)


@pytest.fixture
def office(db, make_people, make_customer, make_plan, monkeypatch):
    monkeypatch.setattr(clock, "now_utc", lambda: jst(8, day=DAY - timedelta(days=1)))
    home = {"start_lat": HQ[0], "start_lon": HQ[1]}
    p = make_people(
        language="en",
        absent={"name": "Away Aoi", **home},
        busy={"name": "Busy Ben", **home},
        free={"name": "Free Chika", **home},
        manager={"role": "manager"},
        other_manager={"team": "other", "role": "manager"},
    )
    team = p["team"]

    def customer(rep, name, i, due=DAY - timedelta(days=3)):
        return make_customer(
            team=team,
            assigned_rep_id=rep.id,
            name=name,
            rank="A",
            next_due_on=due,
            lat=HQ[0] + 0.003 * (i % 4),
            lon=HQ[1] + 0.003 * (i // 4),
        )

    mine = [customer(p["absent"], f"Aoi customer {i}", i) for i in range(4)]
    appointment_customer = customer(p["absent"], "Aoi appointment", 5, due=DAY + timedelta(days=30))
    appointment = saved(
        db,
        Visit(
            customer_id=appointment_customer.id,
            rep_id=p["absent"].id,
            status="planned",
            is_appointment=True,
            scheduled_start=jst(14),
        ),
    )
    make_plan(rep=p["absent"], customers=mine[:2], day=DAY)
    ben = [
        customer(p["busy"], f"Ben customer {i}", 6 + i, due=DAY + timedelta(days=20))
        for i in range(3)
    ]
    ben_plan, _stops = make_plan(rep=p["busy"], customers=ben[:2], day=DAY)
    ben_appointment = saved(
        db,
        Visit(
            customer_id=ben[2].id,
            rep_id=p["busy"].id,
            status="planned",
            is_appointment=True,
            scheduled_start=jst(15),
        ),
    )
    chika = customer(p["free"], "Chika due", 9)
    return {
        **p,
        "mine": mine,
        "appointment": appointment,
        "appointment_customer": appointment_customer,
        "ben": ben,
        "ben_plan": ben_plan,
        "ben_appointment": ben_appointment,
        "chika": chika,
    }


def cast_for(app, db, o):
    with app.test_request_context():
        return cover.check(
            db,
            actor=o["manager"],
            absent_id=o["absent"].id,
            teammate_ids=[o["busy"].id, o["free"].id],
            days=[DAY],
            today=DAY - timedelta(days=1),
        )


def test_preview_keeps_teammates_stops_and_appointments(app, db, office):
    o = office
    cast = cast_for(app, db, o)
    with app.test_request_context():
        preview = cover.preview(db, cast=cast, options=planning.planner_options(app.config))
    [day] = preview.days
    routes = {r.rep.id: r for r in day.routes}
    ben_ids = [s.customer.id for s in routes[o["busy"].id].stops]
    assert {c.id for c in o["ben"]} <= set(ben_ids)  # Ben's two stops and his appointment are kept
    ben_appt = next(s for s in routes[o["busy"].id].stops if s.customer.id == o["ben"][2].id)
    assert ben_appt.appointment and ben_appt.start == jst(15) and not ben_appt.covered
    taken = [s for r in day.routes for s in r.stops if s.covered]
    taken_ids = {s.customer.id for s in taken}
    undone_ids = {u.customer.id for u in day.undone}
    # Every visit of the absent rep is either taken by a teammate or listed with a reason.
    assert {c.id for c in o["mine"]} | {o["appointment_customer"].id} == taken_ids | undone_ids
    appt = next(s for s in taken if s.customer.id == o["appointment_customer"].id)
    assert appt.appointment and appt.start == jst(14)
    assert any(r["code"] == "covering" for r in appt.reasons)
    assert all(
        s.customer.id not in {c.id for c in o["mine"]} or s.covered
        for r in day.routes
        for s in r.stops
    )
    assert json.loads(preview.assignment())["versions"] == {
        DAY.isoformat(): {str(o["busy"].id): o["ben_plan"].version, str(o["free"].id): 0}
    }


def post_form(client, url, data, page="/team/cover/"):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data})


def cover_data(o, **extra):
    return {
        "rep": str(o["absent"].id),
        "first_day": DAY.isoformat(),
        "days": "1",
        "teammates": [str(o["busy"].id), str(o["free"].id)],
        **extra,
    }


def assignment_from(html: str) -> str:
    import html as html_lib
    import re

    match = re.search(r'name="assignment" type="hidden" value="([^"]*)"', html) or re.search(
        r'id="assignment" name="assignment" type="hidden" value="([^"]*)"', html
    )
    assert match, "no assignment in the preview"
    return html_lib.unescape(match.group(1))


def test_confirm_writes_plans_moves_appointments_in_one_go(client, login_as, db, office):
    o = office
    login_as(o["manager"])
    page = post_form(client, "/team/cover/preview", cover_data(o))
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'id="cover-confirm"' in html and "Busy Ben" in html
    assignment = assignment_from(html)
    response = post_form(client, "/team/cover/confirm", cover_data(o, assignment=assignment))
    assert response.status_code == 302, response.get_data(as_text=True)
    db.expire_all()
    routes = json.loads(assignment)["routes"][DAY.isoformat()]
    ben_plan = plans.get_plan(db, rep_id=o["busy"].id, day=DAY)
    ben_stops = [s.customer_id for s in plans.plan_stops(db, ben_plan)]
    assert ben_stops == routes[str(o["busy"].id)]
    assert {c.id for c in o["ben"]} <= set(ben_stops) and ben_plan.status == "accepted"
    ben_appt_stop = next(
        s for s in plans.plan_stops(db, ben_plan) if s.customer_id == o["ben"][2].id
    )
    assert ben_appt_stop.start == jst(15) and ben_appt_stop.visit_id == o["ben_appointment"].id
    chika_plan = plans.get_plan(db, rep_id=o["free"].id, day=DAY)
    assert [s.customer_id for s in plans.plan_stops(db, chika_plan)] == routes[str(o["free"].id)]
    moved = db.get(Visit, o["appointment"].id)
    assert moved.rep_id in (o["busy"].id, o["free"].id)
    taker_plan = plans.get_plan(db, rep_id=moved.rep_id, day=DAY)
    appt_stop = next(
        s for s in plans.plan_stops(db, taker_plan) if s.customer_id == moved.customer_id
    )
    assert (
        appt_stop.is_appointment and appt_stop.start == jst(14) and appt_stop.visit_id == moved.id
    )
    away_plan = plans.get_plan(db, rep_id=o["absent"].id, day=DAY)
    assert plans.plan_stops(db, away_plan) == []
    absence = db.exec(select(RepAbsence)).one()
    assert absence.rep_id == o["absent"].id and absence.covered_at is not None
    actions = {(e.entity, e.action) for e in db.exec(select(AuditEvent))}
    assert {("day_plan", "cover"), ("visit", "cover"), ("day_plan", "handed_over")} <= actions
    assert ("rep_absence", "create") in actions
    # The covered stop tells the teammate why it is there.
    covered = [s for s in plans.plan_stops(db, taker_plan) if s.customer_id == moved.customer_id][0]
    assert "covering" in covered.reasons


def test_a_plan_changed_after_the_preview_is_refused(client, login_as, db, office):
    o = office
    login_as(o["manager"])
    html = post_form(client, "/team/cover/preview", cover_data(o)).get_data(as_text=True)
    assignment = assignment_from(html)
    plan = db.get(DayPlan, o["ben_plan"].id)
    plan.version += 1
    db.add(plan)
    db.commit()
    response = post_form(client, "/team/cover/confirm", cover_data(o, assignment=assignment))
    assert response.status_code == 400
    db.expire_all()
    assert db.get(Visit, o["appointment"].id).rep_id == o["absent"].id
    assert plans.get_plan(db, rep_id=o["free"].id, day=DAY) is None
    assert db.exec(select(AuditEvent).where(AuditEvent.action == "cover")).first() is None
    # A forged assignment that drops one of Ben's stops is refused too.
    forged = json.loads(assignment)
    forged["versions"][DAY.isoformat()][str(o["busy"].id)] = plan.version
    forged["routes"][DAY.isoformat()][str(o["busy"].id)] = []
    response = post_form(
        client, "/team/cover/confirm", cover_data(o, assignment=json.dumps(forged))
    )
    assert response.status_code == 400
    assert len(plans.plan_stops(db, db.get(DayPlan, o["ben_plan"].id))) == 2


def test_bad_input_is_explained(client, login_as, db, office):
    o = office
    login_as(o["manager"])
    none = post_form(client, "/team/cover/preview", cover_data(o, teammates=[]))
    assert none.status_code == 400 and 'role="alert"' in none.get_data(as_text=True)
    past = post_form(client, "/team/cover/preview", cover_data(o, first_day="2026-11-01"))
    assert past.status_code == 400
    garbage = post_form(client, "/team/cover/confirm", cover_data(o, assignment="{nope"))
    assert garbage.status_code == 400
    started = db.exec(
        select(DayPlanStop).where(DayPlanStop.day_plan_id == o["ben_plan"].id)
    ).first()
    started.state = "done"
    db.add(started)
    db.commit()
    busy = post_form(client, "/team/cover/preview", cover_data(o))
    assert busy.status_code == 400 and "already started" in busy.get_data(as_text=True)


def test_absence_noted_and_suggested(client, login_as, db, office):
    o = office
    login_as(o["manager"])
    response = post_form(
        client,
        "/team/cover/absences",
        {"away_rep": str(o["absent"].id), "day": DAY.isoformat(), "note": "Training"},
    )
    assert response.status_code == 302
    page = client.get("/team/cover/").get_data(as_text=True)
    assert "Training" in page and f"rep={o['absent'].id}" in page
    assert db.exec(select(AuditEvent).where(AuditEvent.entity == "rep_absence")).first()


@pytest.mark.parametrize("who", ["absent", "busy"])
def test_reps_are_refused_everywhere(client, login_as, db, office, who):
    o = office
    login_as(o[who])
    assert client.get("/team/cover/").status_code == 403
    token = csrf_token(client.get("/me").get_data(as_text=True))
    for url in ("/team/cover/preview", "/team/cover/confirm", "/team/cover/absences"):
        response = client.post(url, data={"csrf_token": token, **cover_data(o)})
        assert response.status_code == 403, url
    assert db.exec(select(RepAbsence)).first() is None


def test_another_teams_manager_sees_nothing(client, db, office):
    o = office
    assert login(client, o["other_manager"].email).status_code == 302
    page = client.get("/team/cover/").get_data(as_text=True)
    assert "Away Aoi" not in page and "Busy Ben" not in page
    response = post_form(client, "/team/cover/preview", cover_data(o))
    assert response.status_code in (400, 404)
    assert "Ben customer" not in response.get_data(as_text=True)
    response = post_form(
        client, "/team/cover/absences", {"away_rep": str(o["absent"].id), "day": DAY.isoformat()}
    )
    assert response.status_code == 404
    assert db.exec(select(RepAbsence)).first() is None


def test_two_days_visit_each_customer_once(client, login_as, db, office):
    o = office
    login_as(o["manager"])
    html = post_form(client, "/team/cover/preview", cover_data(o, days="2")).get_data(as_text=True)
    routes = json.loads(assignment_from(html))["routes"]
    assert sorted(routes) == [DAY.isoformat(), (DAY + timedelta(days=1)).isoformat()]
    mine = {c.id for c in o["mine"]}
    taken = [
        {cid for ids in by_rep.values() for cid in ids if cid in mine} for by_rep in routes.values()
    ]
    assert taken[0] and taken[0].isdisjoint(taken[1])
    response = post_form(
        client, "/team/cover/confirm", cover_data(o, days="2", assignment=assignment_from(html))
    )
    assert response.status_code == 302
    assert len(db.exec(select(RepAbsence)).all()) == 2
