"""The rep's day: candidates and their reasons, plan my day, stop actions, re-plan, nearby, permissions."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import event
from sqlmodel import select

from fieldapp.models import (
    BusyPeriod,
    DayPlan,
    DayPlanDrop,
    DayPlanStop,
    FollowUp,
    OrderLine,
    Product,
    Visit,
)
from fieldapp.services import busy, clock
from fieldapp.services.day import actions, candidates, planning, plans
from tests.conftest import csrf_token, login

DAY = date(2026, 11, 24)  # a Tuesday
# 10:00 in Tokyo on DAY
MORNING = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
TOKYO = (35.681, 139.767)


def spot(i: int) -> dict:
    """Coordinates a few hundred metres apart around Tokyo station."""
    return {"lat": TOKYO[0] + 0.004 * (i % 5), "lon": TOKYO[1] + 0.004 * (i // 5)}


@pytest.fixture
def day_setup(db, make_team, make_user, make_customer):
    """A rep with six due customers: one overdue A, one closed on Tuesdays, one busy at lunch, ..."""
    team = make_team()
    rep = make_user(team=team, start_lat=TOKYO[0], start_lon=TOKYO[1], language="en")
    other_rep = make_user(team=team, language="en")
    manager = make_user(team=team, role="manager", language="en")
    due = DAY - timedelta(days=7)
    overdue_a = make_customer(
        team=team, name="Overdue A", rank="A", assigned_rep_id=rep.id, next_due_on=due, **spot(1)
    )
    closed = make_customer(
        team=team, name="Closed Tuesday", assigned_rep_id=rep.id, next_due_on=due, **spot(2)
    )
    db.add(BusyPeriod(customer_id=closed.id, kind="weekly", weekdays="1", label="定休日"))
    lunch = make_customer(
        team=team, name="Lunch Rush", assigned_rep_id=rep.id, next_due_on=DAY, **spot(3)
    )
    db.add(
        BusyPeriod(
            customer_id=lunch.id, kind="weekly", weekdays="0123456", start_min=690, end_min=810
        )
    )
    quote = make_customer(
        team=team,
        name="Quote Due",
        rank="C",
        assigned_rep_id=rep.id,
        next_due_on=DAY + timedelta(days=20),
        **spot(4),
    )
    db.add(
        FollowUp(
            customer_id=quote.id,
            kind="quote",
            title="Quote",
            owner_id=rep.id,
            due_date=DAY + timedelta(days=1),
        )
    )
    nowhere = make_customer(
        team=team, name="No Location", assigned_rep_id=rep.id, next_due_on=due, lat=None, lon=None
    )
    later = make_customer(
        team=team,
        name="Not Due",
        assigned_rep_id=rep.id,
        next_due_on=DAY + timedelta(days=30),
        **spot(5),
    )
    db.commit()
    return {
        "team": team,
        "rep": rep,
        "other_rep": other_rep,
        "manager": manager,
        "overdue_a": overdue_a,
        "closed": closed,
        "lunch": lunch,
        "quote": quote,
        "nowhere": nowhere,
        "later": later,
    }


def plan_for(app, db, rep, day=DAY, now=MORNING):
    with app.test_request_context():
        options = planning.planner_options(app.config)
        plan = planning.generate_plan(db, actor=rep, rep=rep, day=day, now=now, options=options)
        db.commit()
    return plan


def test_candidates_carry_values_and_reasons(app, db, day_setup):
    s = day_setup
    with app.test_request_context(headers={"Accept-Language": "en"}):
        pool = candidates.select_candidates(db, rep=s["rep"], day=DAY)
        by_name = {c.customer.name: c for c in pool.candidates}
        excluded = {e.customer.name: e.reason.code for e in pool.excluded}
        assert set(by_name) == {"Overdue A", "Lunch Rush", "Quote Due"}
        assert excluded == {"Closed Tuesday": "closed", "No Location": "no_location"}
        assert by_name["Overdue A"].value > by_name["Lunch Rush"].value
        text = candidates.reasons_text(
            [r.as_json() for r in by_name["Overdue A"].reasons], today=DAY
        )
        assert text == "7 days past the visit cadence · rank A"
        quote = candidates.reasons_text(
            [r.as_json() for r in by_name["Quote Due"].reasons], today=DAY
        )
        assert "Quote due tomorrow" in quote
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        text = candidates.reasons_text(
            [r.as_json() for r in by_name["Overdue A"].reasons], today=DAY
        )
        assert text == "訪問周期を7日超過・Aランク"


def test_plan_my_day_stores_stops_around_busy_periods(app, db, client, login_as, day_setup):
    s = day_setup
    login_as(s["rep"])
    page = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    assert "Plan my day" in page and "Overdue A" in page
    response = client.post(f"/day/{DAY.isoformat()}/plan", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    plan = db.exec(select(DayPlan).where(DayPlan.rep_id == s["rep"].id)).one()
    stops = list(
        db.exec(
            select(DayPlanStop)
            .where(DayPlanStop.day_plan_id == plan.id)
            .order_by(DayPlanStop.position)
        )
    )
    assert {st.customer_id for st in stops} == {s["overdue_a"].id, s["lunch"].id, s["quote"].id}
    tz_offset = timedelta(hours=9)
    for st in stops:
        start = (st.start.astimezone(UTC) + tz_offset).replace(tzinfo=None)
        end = (st.end.astimezone(UTC) + tz_offset).replace(tzinfo=None)
        assert start.hour >= 9 and (end.hour, end.minute) <= (18, 0)
        if st.customer_id == s["lunch"].id:
            # the whole visit stays outside 11:30–13:30
            minutes = (start.hour * 60 + start.minute, end.hour * 60 + end.minute)
            assert minutes[1] <= 690 or minutes[0] >= 810
    drops = {
        d.customer_id: d
        for d in db.exec(select(DayPlanDrop).where(DayPlanDrop.day_plan_id == plan.id))
    }
    assert drops[s["closed"].id].reason_code == "closed"
    closed = drops[s["closed"].id]
    with app.test_request_context(), force_locale("ja"):
        text = candidates.drop_text(closed.reason_code, plans.drop_facts(closed))
    assert text == "この日は定休日です"
    page = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    assert "3 visits planned" in page and "Left out today" in page and "closed on this day" in page


def test_check_in_out_and_log_marks_the_stop_done(app, db, client, login_as, day_setup):
    s = day_setup
    plan = plan_for(app, db, s["rep"])
    first = plans.plan_stops(db, plan)[0]
    login_as(s["rep"])
    page = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    token = csrf_token(page)
    customer = db.get(type(s["overdue_a"]), first.customer_id)
    data = {
        "csrf_token": token,
        "version": plan.version,
        "lat": customer.lat + 0.0003,
        "lon": customer.lon,
    }
    assert client.post(f"/stops/{first.id}/check-in", data=data).status_code == 302
    # a second tap (or a replay) changes nothing
    assert client.post(f"/stops/{first.id}/check-in", data=data).status_code == 302
    visits = list(db.exec(select(Visit).where(Visit.rep_id == s["rep"].id)))
    assert (
        len(visits) == 1
        and visits[0].status == "in_progress"
        and visits[0].check_in_lat is not None
    )
    page = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    assert re.search(r"\d+ m from the customer", page)
    response = client.post(f"/stops/{first.id}/check-out", data={"csrf_token": token})
    assert (
        response.status_code == 302 and f"visit_id={visits[0].id}" in response.headers["Location"]
    )
    form = client.get(response.headers["Location"]).get_data(as_text=True)
    key = re.search(r'name="submission_key"[^>]*value="([^"]+)"', form) or re.search(
        r'value="([^"]+)"[^>]*name="submission_key"', form
    )
    saved = client.post(
        response.headers["Location"],
        data={
            "csrf_token": csrf_token(form),
            "outcome": "met",
            "heard": "fine",
            "submission_key": key.group(1) if key else "",
        },
    )
    assert saved.status_code == 302 and f"#stop-{first.id}" in saved.headers["Location"]
    db.expire_all()
    stop = db.get(DayPlanStop, first.id)
    assert stop.state == "done" and db.get(Visit, stop.visit_id).status == "done"


def test_skip_with_reason_and_move_to_another_day(app, db, client, login_as, day_setup):
    s = day_setup
    plan = plan_for(app, db, s["rep"])
    stop = next(st for st in plans.plan_stops(db, plan) if st.customer_id == s["lunch"].id)
    login_as(s["rep"])
    form = client.get(f"/stops/{stop.id}/skip").get_data(as_text=True)
    refused = client.post(f"/stops/{stop.id}/skip", data={"csrf_token": csrf_token(form)})
    assert (
        refused.status_code == 200
        and "Please choose why you skip this visit." in refused.get_data(as_text=True)
    )
    moved_to = DAY + timedelta(days=2)
    response = client.post(
        f"/stops/{stop.id}/skip",
        data={
            "csrf_token": csrf_token(form),
            "reason": "absent",
            "move_to": moved_to.isoformat(),
            "version": plan.version,
        },
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get(DayPlanStop, stop.id).state == "skipped"
    skipped = db.exec(select(Visit).where(Visit.status == "skipped")).one()
    assert skipped.skip_reason == "absent"
    with app.test_request_context():
        pool = candidates.select_candidates(db, rep=s["rep"], day=moved_to)
        moved = next(c for c in pool.candidates if c.customer.id == s["lunch"].id)
        assert any(r.code == "moved" for r in moved.reasons)


def test_reorder_recomputes_times_and_stale_version_is_refused(
    app, db, client, login_as, day_setup
):
    s = day_setup
    plan = plan_for(app, db, s["rep"])
    stops = plans.plan_stops(db, plan)
    login_as(s["rep"])
    token = csrf_token(client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True))
    old_version = plan.version
    response = client.post(
        f"/day/{DAY.isoformat()}/stops/{stops[1].id}/move",
        data={"csrf_token": token, "direction": "up", "version": old_version},
    )
    assert response.status_code == 302
    db.expire_all()
    new_order = [st.id for st in plans.plan_stops(db, db.get(DayPlan, plan.id))]
    assert new_order[:2] == [stops[1].id, stops[0].id]
    first = db.get(DayPlanStop, stops[1].id)
    assert first.start is not None and first.start <= db.get(DayPlanStop, stops[0].id).start
    # the same (old) screen again: refused, nothing moves
    client.post(
        f"/day/{DAY.isoformat()}/stops/{stops[0].id}/move",
        data={"csrf_token": token, "direction": "up", "version": old_version},
    )
    page = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    assert "The plan changed since this screen was loaded" in page
    db.expire_all()
    assert [st.id for st in plans.plan_stops(db, db.get(DayPlan, plan.id))] == new_order


def test_late_return_after_adding_a_far_customer_is_a_warning(
    app, db, client, login_as, make_customer, day_setup
):
    s = day_setup
    plan = plan_for(app, db, s["rep"])
    far = make_customer(team=s["team"], name="Far Away", lat=34.70, lon=135.50)  # Osaka
    login_as(s["rep"])
    token = csrf_token(client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True))
    response = client.post(
        f"/day/{DAY.isoformat()}/add",
        data={"csrf_token": token, "customer_id": far.id, "version": plan.version},
    )
    assert response.status_code == 302
    page = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    assert "Far Away" in page and "after the end of your working day" in page


def test_remove_and_add_back(app, db, client, login_as, day_setup):
    s = day_setup
    plan = plan_for(app, db, s["rep"])
    stop = plans.plan_stops(db, plan)[0]
    customer_id = stop.customer_id
    login_as(s["rep"])
    token = csrf_token(client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True))
    client.post(
        f"/day/{DAY.isoformat()}/stops/{stop.id}/remove",
        data={"csrf_token": token, "version": plan.version},
    )
    db.expire_all()
    plan = db.get(DayPlan, plan.id)
    assert customer_id not in [st.customer_id for st in plans.plan_stops(db, plan)]
    assert any(d.reason_code == "removed" for d in plans.plan_drops(db, plan))
    client.post(
        f"/day/{DAY.isoformat()}/add",
        data={"csrf_token": token, "customer_id": customer_id, "version": plan.version},
    )
    db.expire_all()
    assert customer_id in [st.customer_id for st in plans.plan_stops(db, db.get(DayPlan, plan.id))]


def test_replan_keeps_done_visits_and_appointments(app, db, make_customer, day_setup):
    s = day_setup
    appointment_customer = make_customer(team=s["team"], name="Appointment", **spot(7))
    db.add(
        Visit(
            customer_id=appointment_customer.id,
            rep_id=s["rep"].id,
            status="planned",
            is_appointment=True,
            scheduled_start=datetime(2026, 11, 24, 6, 0, tzinfo=UTC),  # 15:00 Tokyo
        )
    )
    db.commit()
    plan = plan_for(app, db, s["rep"])
    stops = plans.plan_stops(db, plan)
    appointment_stop = next(st for st in stops if st.customer_id == appointment_customer.id)
    assert appointment_stop.is_appointment
    assert appointment_stop.start.astimezone(UTC) == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    first = stops[0]
    with app.test_request_context():
        actions.check_in(db, actor=s["rep"], stop_id=first.id, now=MORNING)
        db.commit()
        later = MORNING + timedelta(hours=2)
        options = planning.planner_options(app.config)
        planning.replan_rest(db, actor=s["rep"], rep=s["rep"], day=DAY, now=later, options=options)
        db.commit()
    db.expire_all()
    stops = plans.plan_stops(db, db.get(DayPlan, plan.id))
    assert stops[0].id == first.id and stops[0].state == "in_progress"
    again = next(st for st in stops if st.customer_id == appointment_customer.id)
    assert again.start.astimezone(UTC) == datetime(2026, 11, 24, 6, 0, tzinfo=UTC)
    for st in stops[1:]:
        assert st.start >= MORNING + timedelta(hours=2)


def test_nearby_lists_due_customers_that_fit(app, db, client, login_as, day_setup):
    s = day_setup
    login_as(s["rep"])
    page = client.get(
        f"/day/{DAY.isoformat()}/nearby?minutes=60&lat={TOKYO[0]}&lon={TOKYO[1]}"
    ).get_data(as_text=True)
    assert "Overdue A" in page and "min away" in page
    assert "Not Due" not in page
    short = client.get(f"/day/{DAY.isoformat()}/nearby?minutes=5&lat={TOKYO[0]}&lon={TOKYO[1]}")
    assert "Nobody due is free and close enough" in short.get_data(as_text=True)
    bad = client.get(f"/day/{DAY.isoformat()}/nearby?minutes=abc")
    assert bad.status_code == 200


def test_busy_windows_feed_the_allowed_text(app, day_setup):
    rep = day_setup["rep"]
    from fieldapp.today.page import allowed_text

    assert (
        allowed_text(busy.merge_windows([(690, 810)]), (rep.work_start_min, rep.work_end_min))
        == "9:00–11:30, 13:30–18:00"
    )
    assert allowed_text([(0, 1440)], (rep.work_start_min, rep.work_end_min)) == ""


def test_other_people_cannot_touch_a_reps_stops(
    app, db, client, login_as, make_team, make_user, day_setup
):
    s = day_setup
    plan = plan_for(app, db, s["rep"])
    stop = plans.plan_stops(db, plan)[0]
    stranger = make_user(team=make_team())
    for user in (s["other_rep"], s["manager"], stranger):
        client = app.test_client()
        login(client, user.email)
        token = csrf_token(client.get("/").get_data(as_text=True))
        for url in (
            f"/stops/{stop.id}/check-in",
            f"/stops/{stop.id}/check-out",
            f"/stops/{stop.id}/log",
        ):
            assert client.post(url, data={"csrf_token": token}).status_code == 404, url
        assert client.get(f"/stops/{stop.id}/skip").status_code == 404
        # their own day has no such stop
        response = client.post(
            f"/day/{DAY.isoformat()}/stops/{stop.id}/remove",
            data={"csrf_token": token, "version": 1},
        )
        assert response.status_code == 404
        db.expire_all()
        assert db.get(DayPlanStop, stop.id) is not None
    client = app.test_client()
    login(client, stranger.email)
    token = csrf_token(client.get("/").get_data(as_text=True))
    client.post(
        f"/day/{DAY.isoformat()}/add", data={"csrf_token": token, "customer_id": s["overdue_a"].id}
    )
    assert plans.get_plan(db, rep_id=stranger.id, day=DAY) is None


def test_bad_dates_and_missing_csrf(client, login_as, day_setup):
    login_as(day_setup["rep"])
    assert client.get("/day/2026-13-40").status_code == 404
    assert client.post("/day/nonsense/plan").status_code in (400, 404)
    assert client.post(f"/day/{DAY.isoformat()}/plan").status_code == 400


def test_cli_generates_plans_for_every_rep(app, db, day_setup):
    runner = app.test_cli_runner()
    result = runner.invoke(args=["plans", "generate", "--date", DAY.isoformat()])
    assert result.exit_code == 0, result.output
    assert f"{day_setup['rep'].email} {DAY.isoformat()}: 3 visits" in result.output
    result = runner.invoke(args=["plans", "generate", "--rep", "nobody@example.com"])
    assert result.exit_code != 0 and "No matching rep" in result.output


def test_today_page_in_japanese(app, db, client, login_as, day_setup):
    s = day_setup
    s["rep"].language = "ja"
    db.add(s["rep"])
    db.commit()
    plan_for(app, db, s["rep"])
    login_as(s["rep"])
    page = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    assert "訪問予定 3件" in page and "訪問周期を7日超過" in page and "チェックイン" in page


def test_reorder_prompt_on_the_stop_card(app, db, client, login_as, day_setup):
    s = day_setup
    soy = Product(
        code="SOY", name="Soy sauce 18 L", category="food", unit_price=4200, reorder_cycle_days=30
    )
    db.add(soy)
    db.commit()
    for back in (35, 65, 95, 125):
        db.add(
            OrderLine(
                customer_id=s["overdue_a"].id,
                product_id=soy.id,
                ordered_on=DAY - timedelta(days=back),
                quantity=2,
                unit_price=4200,
                source="imported",
            )
        )
    db.commit()
    plan_for(app, db, s["rep"])
    login_as(s["rep"])
    page = client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True)
    assert "Reorder Soy sauce 18 L" in page
    assert "Usually every 30 days, 35 days since the last order (4 orders; usually 2)" in page


def test_book_an_appointment_from_the_customer_page(
    app, db, client, login_as, day_setup, monkeypatch
):
    s = day_setup
    monkeypatch.setattr(clock, "now_utc", lambda: MORNING - timedelta(days=1))
    plan = plan_for(app, db, s["rep"])
    later = s["later"]  # not due, so not on the plan
    assert later.id not in [st.customer_id for st in plans.plan_stops(db, plan)]
    login_as(s["rep"])
    page = client.get(f"/customers/{later.id}").get_data(as_text=True)
    assert "Book an appointment" in page and "Add to today's plan" in page
    form = client.get(f"/customers/{later.id}/appointment").get_data(as_text=True)
    past = client.post(
        f"/customers/{later.id}/appointment",
        data={"csrf_token": csrf_token(form), "day": "2020-01-01", "start": "10:00"},
    )
    assert "The appointment must be in the future." in past.get_data(as_text=True)
    ok = client.post(
        f"/customers/{later.id}/appointment",
        data={"csrf_token": csrf_token(form), "day": DAY.isoformat(), "start": "15:30"},
    )
    assert ok.status_code == 302
    db.expire_all()
    stop = next(
        st for st in plans.plan_stops(db, db.get(DayPlan, plan.id)) if st.customer_id == later.id
    )
    assert stop.is_appointment
    assert stop.start.astimezone(UTC) == datetime(2026, 11, 24, 6, 30, tzinfo=UTC)
    other_team = client.get("/customers/999999/appointment")
    assert other_team.status_code == 404


@pytest.mark.parametrize("version", ["", "abc"])
def test_a_missing_or_garbled_version_is_refused_as_stale_on_every_plan_button(
    app, db, client, login_as, make_customer, day_setup, version
):
    s = day_setup
    plan = plan_for(app, db, s["rep"])
    stops = plans.plan_stops(db, plan)
    extra = make_customer(team=s["team"], name="Walk-in", **spot(6))
    login_as(s["rep"])
    token = csrf_token(client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True))
    day = f"/day/{DAY.isoformat()}"
    buttons = [
        (f"{day}/stops/{stops[1].id}/move", {"direction": "up"}),
        (f"{day}/reorder", {"order": ",".join(str(st.id) for st in reversed(stops))}),
        (f"{day}/stops/{stops[1].id}/remove", {}),
        (f"{day}/add", {"customer_id": extra.id}),
        (f"/stops/{stops[0].id}/check-in", {}),
        (f"/stops/{stops[0].id}/skip", {"reason": "absent"}),
    ]
    for url, data in buttons:
        response = client.post(url, data={"csrf_token": token, "version": version, **data})
        assert response.status_code == 302, url
    page = client.get(day).get_data(as_text=True)
    assert page.count("The plan changed since this screen was loaded") == len(buttons)
    db.expire_all()
    assert db.get(DayPlan, plan.id).version == plan.version
    assert [st.id for st in plans.plan_stops(db, db.get(DayPlan, plan.id))] == [
        st.id for st in stops
    ]
    assert not list(db.exec(select(Visit).where(Visit.rep_id == s["rep"].id)))


def test_a_refused_button_goes_back_to_the_day_at_its_stop(app, db, client, login_as, day_setup):
    s = day_setup
    plan = plan_for(app, db, s["rep"])
    stops = plans.plan_stops(db, plan)
    login_as(s["rep"])
    token = csrf_token(client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True))
    day = f"/day/{DAY.isoformat()}"
    stale = {"csrf_token": token, "version": plan.version + 1}
    cases = [
        (f"{day}/stops/{stops[1].id}/move", {"direction": "up"}, f"#stop-{stops[1].id}"),
        # /stops/<id>/… has no day in its address: back to the stop's own day
        (f"/stops/{stops[0].id}/check-in", {}, f"#stop-{stops[0].id}"),
        (f"{day}/reorder", {"order": ",".join(str(st.id) for st in stops)}, "#stops"),
    ]
    for url, data, anchor in cases:
        response = client.post(url, data={**stale, **data})
        assert response.status_code == 302
        assert response.headers["Location"].endswith(f"{day}{anchor}"), url
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "The plan changed since this screen was loaded" in page
    # Not a stale version but a broken rule: the same way back, with that rule's message.
    client.post(
        f"/stops/{stops[0].id}/check-in", data={"csrf_token": token, "version": plan.version}
    )
    db.expire_all()
    response = client.post(
        f"{day}/stops/{stops[0].id}/remove",
        data={"csrf_token": token, "version": db.get(DayPlan, plan.id).version},
    )
    assert response.headers["Location"].endswith(f"{day}#stop-{stops[0].id}")
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Only stops not yet visited can be removed." in page


def test_the_team_and_the_badge_are_read_with_the_signed_in_user(app, client, login_as, day_setup):
    """One question per request for who is signed in, their team and the Me tab's unread count."""
    login_as(day_setup["rep"])
    statements: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        statements.append(statement)

    engine = app.extensions["fieldapp.engine"]
    event.listen(engine, "before_cursor_execute", record)
    try:
        for url in (f"/day/{DAY.isoformat()}", f"/day/{DAY.isoformat()}/nearby", "/customers/"):
            statements.clear()
            assert client.get(url).status_code == 200
            first = re.sub(r"\s+", " ", statements[0])
            assert "FROM app_user JOIN team" in first and "reportcomment" in first, url
            assert not [s for s in statements[1:] if re.search(r"\b(FROM|JOIN) team\b", s)], url
            assert not [s for s in statements[1:] if "reportcomment" in s], url
    finally:
        event.remove(engine, "before_cursor_execute", record)
