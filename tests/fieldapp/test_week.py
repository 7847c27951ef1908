"""The week: working days, the bridge (look-ahead before a busy season), the draft's rules (plan, move,
accept, a started day kept, stale screens), and who may see and change a week."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta

import pytest
from flask_babel import force_locale
from sqlmodel import select

from fieldapp.errors import StaleEdit, ValidationError
from fieldapp.models import (
    BusyPeriod,
    DayPlan,
    DayPlanStop,
    PlanStatus,
    Visit,
    VisitStatus,
    WeekDraft,
)
from fieldapp.services import clock, plan_runs
from fieldapp.services.day import candidates, planning, plans
from fieldapp.services.day import week as weeks
from tests.conftest import csrf_token, login

MONDAY = date(2026, 12, 14)
DAYS = [MONDAY + timedelta(days=i) for i in range(5)]
# Sunday evening before the week, in Tokyo (09:00 UTC = 18:00 JST)
SUNDAY_EVENING = datetime(2026, 12, 13, 9, 0, tzinfo=UTC)
TOKYO = (35.681, 139.767)


def spot(i: int) -> dict:
    return {"lat": TOKYO[0] + 0.004 * (i % 5), "lon": TOKYO[1] + 0.004 * (i // 5)}


@pytest.fixture
def week_setup(db, make_team, make_user, make_customer):
    """A rep with a week of due customers, one due inside 年末繁忙 (12/20–12/31, after this week), one
    closed on Mondays, one with an appointment on Wednesday at 10:30."""
    team = make_team()
    rep = make_user(team=team, start_lat=TOKYO[0], start_lon=TOKYO[1], language="en")
    colleague = make_user(team=team, language="en")
    manager = make_user(team=team, role="manager", language="en")
    outsider = make_user(role="manager", language="en")
    due = {}
    for i, (name, rank, due_on) in enumerate(
        [
            ("Overdue A", "A", MONDAY - timedelta(days=3)),
            ("Due Tue", "B", MONDAY + timedelta(days=1)),
            ("Due Thu", "B", MONDAY + timedelta(days=3)),
            ("Due Fri", "C", MONDAY + timedelta(days=4)),
        ]
    ):
        due[name] = make_customer(
            team=team, name=name, rank=rank, cadence_days=7, assigned_rep_id=rep.id,
            next_due_on=due_on, **spot(i),
        )  # fmt: skip
    shop = make_customer(
        team=team,
        name="Year-end Shop",
        rank="B",
        cadence_days=14,
        assigned_rep_id=rep.id,
        next_due_on=date(2026, 12, 22),
        **spot(6),
    )
    db.add(
        BusyPeriod(
            customer_id=shop.id,
            kind="dates",
            start_date=date(2026, 12, 20),
            end_date=date(2026, 12, 31),
            label="年末繁忙",
        )
    )
    quiet = make_customer(
        team=team,
        name="Not Due",
        assigned_rep_id=rep.id,
        next_due_on=date(2026, 12, 22),
        **spot(7),
    )
    closed_monday = make_customer(
        team=team,
        name="Closed Monday",
        rank="A",
        assigned_rep_id=rep.id,
        next_due_on=MONDAY,
        **spot(8),
    )
    db.add(BusyPeriod(customer_id=closed_monday.id, kind="weekly", weekdays="0", label="定休日"))
    booked = make_customer(
        team=team,
        name="Booked",
        assigned_rep_id=rep.id,
        next_due_on=MONDAY + timedelta(days=9),
        **spot(9),
    )
    appointment = Visit(
        customer_id=booked.id,
        rep_id=rep.id,
        status=VisitStatus.PLANNED,
        is_appointment=True,
        scheduled_start=datetime(2026, 12, 16, 1, 30, tzinfo=UTC),  # Wed 10:30 JST
    )
    db.add(appointment)
    db.commit()
    return {
        "team": team,
        "rep": rep,
        "colleague": colleague,
        "manager": manager,
        "outsider": outsider,
        "shop": shop,
        "quiet": quiet,
        "closed_monday": closed_monday,
        "booked": booked,
        "appointment": appointment,
        **due,
    }


def plan_week(app, db, rep, start=MONDAY, now=SUNDAY_EVENING):
    with app.test_request_context():
        options = planning.planner_options(app.config)
        week = weeks.plan(
            db, actor=rep, rep=rep, start=start, today=start - timedelta(days=1), now=now,
            options=options,
        )  # fmt: skip
        db.commit()
    return week


def day_of(week: weeks.Week, customer_id: int) -> str | None:
    entry = week.day_of(customer_id)
    return entry["date"] if entry else None


def test_week_days_are_the_next_working_days(app, db, week_setup):
    rep = week_setup["rep"]
    assert planning.week_days(db, rep, MONDAY) == DAYS
    saturday = MONDAY - timedelta(days=2)
    assert planning.week_days(db, rep, saturday) == DAYS
    assert planning.week_days(db, rep, MONDAY + timedelta(days=3), 3) == [
        MONDAY + timedelta(days=3),
        MONDAY + timedelta(days=4),
        MONDAY + timedelta(days=7),
    ]
    assert all(d.weekday() < 5 for d in planning.week_days(db, rep, MONDAY, 10))
    # The rep's own working days: Monday, Wednesday and Saturday only.
    rep.working_weekdays = "025"
    db.add(rep)
    db.commit()
    assert [d.weekday() for d in planning.week_days(db, rep, MONDAY, 4)] == [0, 2, 5, 0]


def test_bridge_visits_before_a_coming_busy_season_with_its_reason(app, db, week_setup):
    s = week_setup
    with app.test_request_context():
        out = planning.plan_week(
            db, actor=s["rep"], rep=s["rep"], days=DAYS, now=SUNDAY_EVENING,
            options=planning.planner_options(app.config),
        )  # fmt: skip
    by_name = {c.customer.name: c for c in out.pool.candidates}
    # due on 12/22, inside 年末繁忙 from 12/20: a candidate this week, worth more than usual
    assert "Year-end Shop" in by_name
    shop = by_name["Year-end Shop"]
    # not due until 12/22 either, but next to this week's customers: only taken along on the way
    quiet = by_name.get("Not Due")
    assert quiet is None or max(quiet.day_values) <= candidates.ON_THE_WAY_FACTOR * 3
    # (the planner adds it only where a route passes within a few minutes of travel)
    assert quiet is None or quiet.on_the_way_seconds == candidates.ON_THE_WAY_DETOUR_SECONDS
    assert shop.reasons[0][0].code == "before_busy"
    assert min(shop.day_values) > 0
    planned = {s.candidate_id: out.days[d] for d, r in enumerate(out.plan.routes) for s in r.stops}
    assert planned[str(s["shop"].id)] < date(2026, 12, 20)
    # closed on Mondays: never on Monday; the appointment on Wednesday at 10:30
    assert planned[str(s["closed_monday"].id)] != MONDAY
    booked = next(
        st for r in out.plan.routes for st in r.stops if st.candidate_id == str(s["booked"].id)
    )
    assert planned[str(s["booked"].id)] == DAYS[2] and booked.start == 10 * 3600 + 30 * 60
    reason = shop.reasons[0][0].as_json()
    with app.test_request_context(), force_locale("en"):
        assert candidates.reason_text(reason, today=MONDAY) == "Visit before 年末繁忙 (from 12/20)"
    with app.test_request_context(), force_locale("ja"):
        assert candidates.reason_text(reason, today=MONDAY) == "年末繁忙（12/20〜）の前に訪問"


def test_day_values_overdue_sooner_and_early_worth_less(app, db, week_setup):
    s = week_setup
    with app.test_request_context():
        pool = candidates.select_week_candidates(
            db, rep=s["rep"], days=DAYS, work=[(540, 1080)] * 5
        )
    by_name = {c.customer.name: c for c in pool.candidates}
    overdue = by_name["Overdue A"].day_values
    assert overdue == sorted(overdue, reverse=True) and overdue[0] > overdue[-1]
    friday = by_name["Due Fri"].day_values
    assert friday[0] < friday[4]  # four days before it is due is worth less than on the day
    assert by_name["Closed Monday"].day_values[0] == 0 and by_name["Closed Monday"].closed[0]


def test_day_values_keep_the_cadence(app, db, week_setup, make_customer):
    s = week_setup
    # due on Wednesday, closed on Wednesdays: Tuesday is its last day on time
    closed_wed = make_customer(
        team=s["team"], name="Closed Wed", rank="B", cadence_days=14,
        assigned_rep_id=s["rep"].id, next_due_on=MONDAY + timedelta(days=2), **spot(12),
    )  # fmt: skip
    db.add(BusyPeriod(customer_id=closed_wed.id, kind="weekly", weekdays="2", label="定休日"))
    make_customer(
        team=s["team"], name="A Due Wed", rank="A", cadence_days=7, assigned_rep_id=s["rep"].id,
        next_due_on=MONDAY + timedelta(days=2), **spot(13),
    )  # fmt: skip
    db.commit()
    with app.test_request_context():
        pool = candidates.select_week_candidates(
            db, rep=s["rep"], days=DAYS, work=[(540, 1080)] * 5
        )
    by_name = {c.customer.name: c for c in pool.candidates}
    tuesday = by_name["Due Tue"].day_values
    # the day after the due date a visit is late: worth far less than on time
    assert tuesday[2] < 0.5 * tuesday[1]
    wednesday = by_name["Closed Wed"].day_values
    assert wednesday[2] == 0 and wednesday[1] < wednesday[0] and wednesday[3] < 0.5 * wednesday[1]
    # an A customer on time outranks every B and C visit; closed on its due date (Monday, the first
    # day), "Closed Monday" is late already: no drop after the due date, the sooner the better
    others = [v for c in pool.candidates if c.customer.rank != "A" for v in c.day_values]
    assert min(by_name["A Due Wed"].day_values[:3]) > max(others)
    late = by_name["Closed Monday"].day_values[1:]
    assert late == sorted(late, reverse=True) and late[0] > by_name["A Due Wed"].day_values[3]


def test_plan_move_and_accept(app, db, week_setup):
    s = week_setup
    rep = s["rep"]
    week = plan_week(app, db, rep)
    assert week.draft.version == 1
    assert [d["date"] for d in week.days] == [d.isoformat() for d in DAYS]
    target_id = s["Due Thu"].id
    source = day_of(week, target_id)
    to_day = next(d for d in DAYS if d.isoformat() != source)
    with app.test_request_context(headers={"Accept-Language": "en"}):
        # a stale screen is refused, nothing changes
        with pytest.raises(StaleEdit):
            weeks.move(db, actor=rep, rep=rep, start=MONDAY, customer_id=target_id, to_day=to_day,
                       version=0, now=SUNDAY_EVENING)  # fmt: skip
        # an appointment stays on its day
        with pytest.raises(ValidationError):
            weeks.move(db, actor=rep, rep=rep, start=MONDAY, customer_id=s["booked"].id,
                       to_day=DAYS[0], version=1, now=SUNDAY_EVENING)  # fmt: skip
        # a customer closed on Mondays does not fit on Monday: refused with the reason
        if day_of(week, s["closed_monday"].id) != MONDAY.isoformat():
            with pytest.raises(ValidationError) as refused:
                weeks.move(db, actor=rep, rep=rep, start=MONDAY, customer_id=s["closed_monday"].id,
                           to_day=MONDAY, version=1, now=SUNDAY_EVENING)  # fmt: skip
            assert "does not fit" in refused.value.message
        db.rollback()
        moved = weeks.move(
            db, actor=rep, rep=rep, start=MONDAY, customer_id=target_id, to_day=to_day,
            version=1, now=SUNDAY_EVENING, options=planning.planner_options(app.config),
        )  # fmt: skip
        db.commit()
        assert day_of(moved, target_id) == to_day.isoformat()
        assert moved.draft.version == 2
        pinned = next(m for m in moved.body["moved"] if m["customer_id"] == target_id)
        assert pinned["code"] == "pinned"
        assert candidates.move_text("pinned", pinned) == "Moved to this day by you"
        # the appointment is still on Wednesday at 10:30
        wednesday = moved.days[2]
        booked = next(x for x in wednesday["stops"] if x["customer_id"] == s["booked"].id)
        assert booked["start"] == 10 * 3600 + 30 * 60 and booked["visit_id"] == s["appointment"].id
        with pytest.raises(StaleEdit):
            weeks.accept(db, actor=rep, rep=rep, start=MONDAY, version=1, now=SUNDAY_EVENING)
        accepted, written = weeks.accept(
            db, actor=rep, rep=rep, start=MONDAY, version=2, now=SUNDAY_EVENING
        )
        db.commit()
    assert written == 5 and accepted.draft.accepted_at is not None
    plan = plans.get_plan(db, rep_id=rep.id, day=to_day)
    assert plan.status == PlanStatus.ACCEPTED
    stops = plans.plan_stops(db, plan)
    entry = accepted.days[DAYS.index(to_day)]
    assert [st.customer_id for st in stops] == [x["customer_id"] for x in entry["stops"]]
    assert target_id in [st.customer_id for st in stops]
    # the nightly run leaves a plan taken with the week alone
    assert plan_runs.keep_reason(db, plan) == "accepted"
    wednesday_plan = plans.get_plan(db, rep_id=rep.id, day=DAYS[2])
    booked_stop = next(
        st for st in plans.plan_stops(db, wednesday_plan) if st.customer_id == s["booked"].id
    )
    assert booked_stop.is_appointment and booked_stop.visit_id == s["appointment"].id


def test_a_started_day_keeps_what_is_done(app, db, week_setup):
    s = week_setup
    rep = s["rep"]
    # Monday has begun: one visit done, one still planned
    plan = DayPlan(rep_id=rep.id, plan_date=MONDAY, status=PlanStatus.IN_PROGRESS, version=3)
    db.add(plan)
    db.flush()
    db.add(DayPlanStop(day_plan_id=plan.id, customer_id=s["Overdue A"].id, position=0,
                       state=VisitStatus.DONE))  # fmt: skip
    db.add(DayPlanStop(day_plan_id=plan.id, customer_id=s["Due Tue"].id, position=1,
                       state=VisitStatus.PLANNED))  # fmt: skip
    db.commit()
    now = datetime(2026, 12, 14, 3, 0, tzinfo=UTC)  # Monday noon in Tokyo
    week = plan_week(app, db, rep, now=now)
    assert week.days[0]["locked"] is True
    planned_ids = {x["customer_id"] for d in week.days for x in d["stops"]}
    assert s["Overdue A"].id not in planned_ids and s["Due Tue"].id not in planned_ids
    with app.test_request_context():
        _week, written = weeks.accept(db, actor=rep, rep=rep, start=MONDAY, version=1, now=now)
        db.commit()
    assert written == 4
    kept = plans.plan_stops(db, plans.get_plan(db, rep_id=rep.id, day=MONDAY))
    assert [(x.customer_id, x.state) for x in kept] == [
        (s["Overdue A"].id, VisitStatus.DONE),
        (s["Due Tue"].id, VisitStatus.PLANNED),
    ]


def test_move_replans_the_rest_of_the_week_only(app, db, week_setup):
    s = week_setup
    rep = s["rep"]
    week = plan_week(app, db, rep)
    # the customer on the latest day with visits moves one day earlier (or later from Monday/Tuesday):
    # the days before the earlier of the two stay as they were
    index, cid = max(
        (i, x["customer_id"])
        for i, d in enumerate(week.days)
        for x in d["stops"]
        if x["visit_id"] is None
    )
    target = index - 1 if index >= 2 else index + 1
    first = min(index, target)
    before = [d["stops"] for d in week.days[:first]]
    with app.test_request_context():
        moved = weeks.move(db, actor=rep, rep=rep, start=MONDAY, customer_id=cid,
                           to_day=DAYS[target], version=1, now=SUNDAY_EVENING)  # fmt: skip
        db.commit()
    assert [d["stops"] for d in moved.days[:first]] == before
    assert day_of(moved, cid) == DAYS[target].isoformat()


def _page(client, url):
    response = client.get(url)
    return response, response.get_data(as_text=True)


def test_week_pages_and_permissions(app, db, client, login_as, week_setup, monkeypatch):
    s = week_setup
    monkeypatch.setattr(clock, "now_utc", lambda: SUNDAY_EVENING)
    url = f"/week/{MONDAY.isoformat()}"
    login_as(s["rep"])
    response, page = _page(client, url)
    assert response.status_code == 200 and "Plan my week" in page
    # Today links to the week; /week is this week from today
    assert (
        client.get("/week").headers["Location"].endswith(f"/week/{date(2026, 12, 13).isoformat()}")
    )
    assert f'href="/week/{date(2026, 12, 13).isoformat()}"' in client.get("/").get_data(
        as_text=True
    )
    # no CSRF token: refused
    assert client.post(f"{url}/plan", data={}).status_code == 400
    response = client.post(f"{url}/plan", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    response, page = _page(client, url)
    assert "Accept the week" in page and "Year-end Shop" in page
    draft = db.exec(select(WeekDraft).where(WeekDraft.rep_id == s["rep"].id)).one()
    # another rep's week: 404, whether looked at or posted to
    assert client.get(f"{url}?rep={s['colleague'].id}").status_code == 404
    token = csrf_token(page)
    post = client.post(
        f"{url}/accept?rep={s['colleague'].id}",
        data={"csrf_token": token, "version": draft.version},
    )
    assert post.status_code == 404
    # a stale accept changes nothing and says why
    response = client.post(
        f"{url}/accept", data={"csrf_token": token, "version": 0}, follow_redirects=True
    )
    assert "The week changed since this screen was loaded" in response.get_data(as_text=True)
    assert db.exec(select(DayPlan).where(DayPlan.rep_id == s["rep"].id)).first() is None
    # a move to a day outside the week: refused in words
    shop_day = json.loads(draft.body)
    cid = next(
        x["customer_id"] for d in shop_day["days"] for x in d["stops"] if x["visit_id"] is None
    )
    response = client.post(
        f"{url}/move",
        data={
            "csrf_token": token,
            "version": draft.version,
            "customer_id": cid,
            "to_day": "2027-01-04",
        },
        follow_redirects=True,
    )
    assert "Choose a day of this week" in response.get_data(as_text=True)
    # a manager of the team sees the rep's week; a manager of another team does not
    manager = app.test_client()
    login(manager, s["manager"].email)
    response, page = _page(manager, f"{url}?rep={s['rep'].id}")
    assert response.status_code == 200 and s["rep"].name in page
    outsider = app.test_client()
    login(outsider, s["outsider"].email)
    assert outsider.get(f"{url}?rep={s['rep'].id}").status_code == 404
    own_token = csrf_token(outsider.get(url).get_data(as_text=True))
    refused = outsider.post(f"{url}/plan?rep={s['rep'].id}", data={"csrf_token": own_token})
    assert refused.status_code == 404


def test_week_page_in_japanese(app, db, client, login_as, week_setup, monkeypatch):
    s = week_setup
    monkeypatch.setattr(clock, "now_utc", lambda: SUNDAY_EVENING)
    s["rep"].language = "ja"
    db.add(s["rep"])
    db.commit()
    plan_week(app, db, s["rep"])
    login_as(s["rep"])
    week = weeks.get_week(db, rep=s["rep"], start=MONDAY)
    shop_day = date.fromisoformat(day_of(week, s["shop"].id))
    page = client.get(f"/week/{MONDAY.isoformat()}?day={shop_day.isoformat()}").get_data(
        as_text=True
    )
    assert "年末繁忙（12/20〜）の前に訪問" in page
    assert "週を確定" in page
