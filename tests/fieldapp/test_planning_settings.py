"""Per-rep planning settings (defaults, rules, Me and the manager's member page) and day plans from now."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlmodel import select

import planner
from fieldapp import jobs
from fieldapp.errors import StaleEdit, ValidationError
from fieldapp.models import AuditEvent, DayPlanDrop, TravelMode, User, Visit
from fieldapp.services import clock, planning_settings
from fieldapp.services.day import planning, plans
from fieldapp.services.planning_settings import settings_for, working_days
from tests.conftest import csrf_token, login

TOKYO_TZ = ZoneInfo("Asia/Tokyo")
DAY = date(2026, 11, 24)  # a Tuesday
SATURDAY = date(2026, 11, 28)
OFFICE = (35.690, 139.700)
HOME = (35.650, 139.740)
CENTRE = (35.681, 139.767)


def tokyo(day: date, hour: int, minute: int = 0, second: int = 0) -> datetime:
    return datetime(day.year, day.month, day.day, hour, minute, second, tzinfo=TOKYO_TZ).astimezone(
        UTC
    )


def spot(i: int) -> dict:
    return {"lat": CENTRE[0] + 0.004 * (i % 5), "lon": CENTRE[1] + 0.004 * (i // 5)}


@pytest.fixture
def office_team(make_team):
    return make_team(office_label="本社", office_lat=OFFICE[0], office_lon=OFFICE[1])


@pytest.fixture
def people(db, office_team, make_team, make_user, make_customer):
    """A rep with six due customers, a colleague, a manager and an admin of an office team; an outsider."""
    team = office_team
    rep = make_user(team=team, language="en")
    colleague = make_user(team=team, language="en")
    manager = make_user(team=team, role="manager", language="en")
    other_manager = make_user(team=team, role="manager", language="en")
    admin = make_user(team=team, role="admin", language="en")
    outsider = make_user(team=make_team(), role="manager", language="en")
    customers = [
        make_customer(
            team=team, assigned_rep_id=rep.id, next_due_on=DAY - timedelta(days=i + 1), **spot(i)
        )
        for i in range(6)
    ]
    db.commit()
    return {
        "team": team,
        "rep": rep,
        "colleague": colleague,
        "manager": manager,
        "other_manager": other_manager,
        "admin": admin,
        "outsider": outsider,
        "customers": customers,
    }


def values(**changes):
    """A complete, valid settings submission for update_settings, with changes."""
    base = {
        "start_kind": "office",
        "end_kind": None,
        "working_weekdays": [0, 1, 2, 3, 4],
        "work_start_min": 9 * 60,
        "work_end_min": 18 * 60,
        "lunch_minutes": 45,
        "lunch_earliest_min": None,
        "lunch_latest_min": None,
        "travel_mode": "car",
        "visits_per_day": None,
    }
    for prefix in ("start", "end", "home"):
        base |= {f"{prefix}_label": None, f"{prefix}_lat": None, f"{prefix}_lon": None}
    return base | changes


# --- settings_for: the team's defaults --------------------------------------------------------------


def test_a_rep_who_set_nothing_plans_from_the_team_office_monday_to_friday(app, db, people):
    with app.test_request_context():
        settings = settings_for(db, people["rep"])
    assert settings.start_kind == "office" and settings.start.pair() == OFFICE
    assert settings.start.label == "本社" and settings.end == settings.start
    assert settings.working_weekdays == (0, 1, 2, 3, 4)
    assert (settings.day_start_min, settings.day_end_min) == (540, 1080)
    # lunch may start 11:00 until 14:00 minus its 45 minutes: the window the planner always used
    assert (settings.lunch_earliest_min, settings.lunch_latest_min) == (660, 795)
    assert settings.visits_per_day is None and settings.travel_mode == "car"
    assert {"start", "working_weekdays", "lunch_window"} <= settings.defaults


def test_without_an_office_an_old_saved_start_is_a_pin_and_nothing_is_none(
    app, db, make_team, make_user
):
    team = make_team()
    pinned = make_user(team=team, start_lat=HOME[0], start_lon=HOME[1])
    nothing = make_user(team=team)
    with app.test_request_context():
        assert settings_for(db, pinned).start_kind == "pin"
        assert settings_for(db, pinned).start.pair() == HOME
        assert settings_for(db, nothing).start is None
        assert settings_for(db, nothing).end is None


def test_working_days_skip_the_reps_days_off(app, db, people):
    rep = people["rep"]
    rep.working_weekdays = "135"  # Tuesday, Thursday, Saturday
    with app.test_request_context():
        settings = settings_for(db, rep)
    assert working_days(settings, date(2026, 11, 23), 4) == [
        date(2026, 11, 24),
        date(2026, 11, 26),
        date(2026, 11, 28),
        date(2026, 12, 1),
    ]
    assert working_days(settings, DAY, 0) == []


# --- update_settings: rules, version, audit ----------------------------------------------------------


def test_settings_are_saved_with_a_new_version_and_an_audit_event(app, db, people):
    rep = people["rep"]
    with app.test_request_context():
        planning_settings.update_settings(
            db,
            actor=rep,
            user=rep,
            version=0,
            **values(
                start_kind="home",
                home_label="自宅",
                home_lat=HOME[0],
                home_lon=HOME[1],
                end_kind="office",
                working_weekdays=[5, 1, 2],
                work_start_min=8 * 60,
                lunch_earliest_min=12 * 60,
                lunch_latest_min=12 * 60 + 30,
                travel_mode="transit",
                visits_per_day=7,
            ),
        )
        db.commit()
        settings = settings_for(db, rep)
    assert settings.start.pair() == HOME and settings.end.pair() == OFFICE
    assert settings.working_weekdays == (1, 2, 5) and settings.day_start_min == 480
    assert (settings.lunch_earliest_min, settings.lunch_latest_min) == (720, 750)
    assert settings.travel_mode == "transit" and settings.visits_per_day == 7
    assert settings.version == 1 and not settings.defaults
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "settings")).one()
    assert json.loads(event.after)["travel_mode"] == "transit"


@pytest.mark.parametrize(
    "changes, field",
    [
        ({"working_weekdays": []}, "working_weekdays"),
        ({"working_weekdays": [7]}, "working_weekdays"),
        ({"work_start_min": 17 * 60 + 30}, "work_end_min"),
        ({"work_end_min": 25 * 60}, "work_end_min"),
        ({"lunch_minutes": 400}, "lunch_minutes"),
        ({"lunch_earliest_min": 13 * 60, "lunch_latest_min": 12 * 60}, "lunch_latest_min"),
        ({"lunch_earliest_min": 12 * 60}, "lunch_latest_min"),
        ({"lunch_earliest_min": 7 * 60, "lunch_latest_min": 8 * 60}, "lunch_earliest_min"),
        ({"travel_mode": "rocket"}, "travel_mode"),
        ({"visits_per_day": 99}, "visits_per_day"),
        ({"start_kind": "pin"}, "start_lat"),
        ({"start_kind": "pin", "start_lat": 95.0, "start_lon": 139.0}, "start_lat"),
        ({"start_kind": "home"}, "home_lat"),
        ({"start_kind": "moon"}, "start_kind"),
    ],
)
def test_wrong_settings_are_refused_on_their_field_and_nothing_changes(
    app, db, people, changes, field
):
    rep = people["rep"]
    with app.test_request_context(), pytest.raises(ValidationError) as refused:
        planning_settings.update_settings(db, actor=rep, user=rep, version=0, **values(**changes))
    assert field in refused.value.details["errors"]
    db.rollback()
    assert db.get(User, rep.id).settings_version == 0


def test_the_office_must_exist_to_start_there(app, db, make_team, make_user):
    team = make_team()
    rep = make_user(team=team)
    with app.test_request_context(), pytest.raises(ValidationError) as refused:
        planning_settings.update_settings(db, actor=rep, user=rep, version=0, **values())
    assert "start_kind" in refused.value.details["errors"]


def test_a_stale_version_and_a_colleague_are_refused(app, db, people):
    rep = people["rep"]
    with app.test_request_context():
        with pytest.raises(StaleEdit):
            planning_settings.update_settings(db, actor=rep, user=rep, version=3, **values())
        with pytest.raises(planning_settings.Forbidden):
            planning_settings.update_settings(
                db, actor=people["colleague"], user=rep, version=0, **values()
            )


# --- Me ------------------------------------------------------------------------------------------------


def me_form(client, **changes):
    page = client.get("/me").get_data(as_text=True)
    assert 'id="planning"' in page
    data = {
        "csrf_token": csrf_token(page),
        "version": "0",
        "start_kind": "pin",
        "start_label": "My corner",
        "start_lat": str(HOME[0]),
        "start_lon": str(HOME[1]),
        "end_kind": "office",
        "working_weekdays": ["0", "1", "2", "3", "5"],
        "work_start": "8:30",
        "work_end": "17:00",
        "lunch_minutes": "30",
        "lunch_earliest": "12:00",
        "lunch_latest": "13:00",
        "travel_mode": "bicycle",
        "visits_per_day": "6",
    }
    return client.post("/me/planning", data=data | changes)


def test_a_rep_sets_a_pin_hours_and_days_on_me(app, client, db, people):
    login(client, people["rep"].email)
    response = me_form(client)
    assert response.status_code == 302, response.get_data(as_text=True)
    db.expire_all()
    rep = db.get(User, people["rep"].id)
    assert (rep.start_kind, rep.start_lat, rep.end_kind) == ("pin", HOME[0], "office")
    assert (rep.work_start_min, rep.work_end_min, rep.lunch_earliest_min) == (510, 1020, 720)
    assert rep.working_weekdays == "01235" and rep.travel_mode == "bicycle"
    page = client.get("/me").get_data(as_text=True)
    assert "Planning settings saved." in page and "My corner" in page


def test_me_refuses_bad_input_and_stale_edits_with_a_message(app, client, db, people):
    login(client, people["rep"].email)
    response = me_form(client, work_start="25:99")
    assert response.status_code == 400
    assert "Please enter a time like 9:00." in response.get_data(as_text=True)
    response = me_form(client, working_weekdays=[])
    assert "Choose at least one working day." in response.get_data(as_text=True)
    # an address with no geocoder configured: the rep is told to use the position instead
    response = me_form(client, start_lat="", start_lon="", start_label="東京都千代田区丸の内1")
    assert "Use your current position" in response.get_data(as_text=True)
    assert me_form(client, version="7").status_code == 302
    db.expire_all()
    assert db.get(User, people["rep"].id).settings_version == 0
    assert "changed by someone else" in client.get("/me").get_data(as_text=True)


def test_me_in_japanese(app, client, db, people):
    people["rep"].language = "ja"
    db.add(people["rep"])
    db.commit()
    login(client, people["rep"].email)
    page = client.get("/me").get_data(as_text=True)
    assert "計画の設定" in page and "現在地を使う" in page and "公共交通" in page


# --- the manager's member page -----------------------------------------------------------------------


def member_post(client, user: User, **changes):
    page = client.get(f"/team/members/{user.id}")
    assert page.status_code == 200
    data = {
        "csrf_token": csrf_token(page.get_data(as_text=True)),
        "version": str(user.settings_version),
        "name": user.name,
        "role": user.role,
        "active": "y",
        "start_kind": "office",
        "end_kind": "",
        "working_weekdays": ["0", "1", "2", "3", "4"],
        "work_start": "9:00",
        "work_end": "18:00",
        "lunch_minutes": "45",
        "travel_mode": "car",
    }
    return client.post(f"/team/members/{user.id}", data=data | changes)


def test_the_team_page_links_every_member(client, people):
    login(client, people["manager"].email)
    page = client.get("/team/").get_data(as_text=True)
    for key in ("rep", "colleague", "admin", "other_manager"):
        assert f'href="/team/members/{people[key].id}"' in page


def test_the_member_page_shows_the_last_sign_in_and_resets_the_password(app, client, db, people):
    rep = people["rep"]
    login(client, people["manager"].email)
    page = client.get(f"/team/members/{rep.id}").get_data(as_text=True)
    assert "Has not signed in yet" in page
    login(app.test_client(), rep.email)
    page = client.get(f"/team/members/{rep.id}").get_data(as_text=True)
    assert "Last signed in" in page and f"/team/members/{rep.id}/password" in page
    reset = client.post(
        f"/team/members/{rep.id}/password",
        data={"csrf_token": csrf_token(page), "password": "temporary-pass-42"},
        follow_redirects=True,
    )
    assert reset.status_code == 200
    db.expire_all()
    assert db.get(User, rep.id).must_change_password
    assert "Must choose a new password" in client.get(f"/team/members/{rep.id}").get_data(
        as_text=True
    )


def test_a_rep_gets_403_and_another_teams_manager_404(app, client, people):
    rep = people["rep"]
    login(client, rep.email)
    token = {"csrf_token": csrf_token(client.get("/me").get_data(as_text=True)), "name": "X"}
    assert client.get(f"/team/members/{people['colleague'].id}").status_code == 403
    assert client.post(f"/team/members/{people['colleague'].id}", data=token).status_code == 403
    outsider = app.test_client()
    login(outsider, people["outsider"].email)
    token["csrf_token"] = csrf_token(outsider.get("/me").get_data(as_text=True))
    assert outsider.get(f"/team/members/{rep.id}").status_code == 404
    assert outsider.post(f"/team/members/{rep.id}", data=token).status_code == 404


def test_a_manager_edits_a_reps_name_role_and_settings(client, db, people):
    login(client, people["manager"].email)
    response = member_post(
        client, people["rep"], name="New Name", visits_per_day="5", working_weekdays=["5"]
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    db.expire_all()
    rep = db.get(User, people["rep"].id)
    assert (rep.name, rep.visits_per_day, rep.working_weekdays) == ("New Name", 5, "5")
    assert rep.settings_version == 1
    # promote a rep to manager: allowed
    assert member_post(client, rep, role="manager").status_code == 302
    db.expire_all()
    assert db.get(User, rep.id).role == "manager"


def test_a_manager_cannot_demote_or_disable_an_admin_or_another_manager(client, db, people):
    login(client, people["manager"].email)
    admin, other = people["admin"], people["other_manager"]
    page = client.get(f"/team/members/{admin.id}").get_data(as_text=True)
    assert 'name="role"' in page and "<select" not in page.split('id="planning"')[0]
    assert member_post(client, admin, role="rep").status_code == 403
    assert member_post(client, other, active="").status_code == 403
    assert member_post(client, other, role="admin").status_code == 403
    db.expire_all()
    assert db.get(User, admin.id).role == "admin" and db.get(User, other.id).active
    # their planning settings (and name) a manager may still set
    assert member_post(client, other, work_start="8:00").status_code == 302


def test_an_admin_may_demote_a_manager(client, db, people):
    login(client, people["admin"].email)
    assert member_post(client, people["other_manager"], role="rep").status_code == 302
    db.expire_all()
    assert db.get(User, people["other_manager"].id).role == "rep"


def test_nobody_changes_their_own_role_here(client, db, people):
    login(client, people["manager"].email)
    response = member_post(client, people["manager"], role="rep")
    assert response.status_code == 400
    assert "You cannot change your own role" in response.get_data(as_text=True)


# --- day plans that respect the clock ----------------------------------------------------------------


def test_plan_my_day_pressed_at_1459_schedules_nothing_before_1500(
    app, client, db, people, monkeypatch
):
    monkeypatch.setattr(clock, "now_utc", lambda: tokyo(DAY, 14, 59, 20))
    login(client, people["rep"].email)
    page = client.get("/").get_data(as_text=True)
    response = client.post(f"/day/{DAY.isoformat()}/plan", data={"csrf_token": csrf_token(page)})
    assert response.status_code == 302
    plan = plans.get_plan(db, rep_id=people["rep"].id, day=DAY)
    stops = plans.plan_stops(db, plan)
    assert stops, "the afternoon still has room for visits"
    assert all(s.arrival >= tokyo(DAY, 15) and s.start >= tokyo(DAY, 15) for s in stops)
    assert plan.lunch_start is None  # the lunch window is over
    event = db.exec(select(AuditEvent).where(AuditEvent.action == "generate")).one()
    assert json.loads(event.after)["from"] == 15 * 3600


def test_a_plan_for_a_future_day_starts_at_the_day_start(app, db, people):
    rep = people["rep"]
    rep.work_start_min = 10 * 60
    with app.test_request_context():
        plan = planning.generate_plan(
            db,
            actor=rep,
            rep=rep,
            day=DAY + timedelta(days=1),
            now=tokyo(DAY, 14, 59),
            options=planning.planner_options(app.config),
        )
        first = plans.plan_stops(db, plan)[0]
    assert tokyo(DAY + timedelta(days=1), 10) <= first.arrival < tokyo(DAY + timedelta(days=1), 11)


def test_out_of_range_positions_are_ignored(app, client, db, people, monkeypatch):
    monkeypatch.setattr(clock, "now_utc", lambda: tokyo(DAY, 10))
    login(client, people["rep"].email)
    page = client.get("/").get_data(as_text=True)
    response = client.post(
        f"/day/{DAY.isoformat()}/plan",
        data={"csrf_token": csrf_token(page), "lat": "123", "lon": "999"},
    )
    assert response.status_code == 302
    assert plans.get_plan(db, rep_id=people["rep"].id, day=DAY) is not None


def test_where_the_rest_of_the_day_starts(app, db, people, make_visit):
    """The phone's position, else the customer visited last today, else the start place."""
    rep, customers = people["rep"], people["customers"]
    with app.test_request_context():
        settings = settings_for(db, rep)

        def origin(position=None):
            return planning.day_origin(
                db,
                rep=rep,
                settings=settings,
                day=DAY,
                timezone="Asia/Tokyo",
                position=position,
                candidates=[],
            )

        assert origin() == planner.Location(*OFFICE)
        db.add(
            Visit(
                customer_id=customers[2].id,
                rep_id=rep.id,
                status="done",
                check_in_at=tokyo(DAY, 10),
                check_out_at=tokyo(DAY, 10, 30),
            )
        )
        db.add(
            Visit(
                customer_id=customers[4].id,
                rep_id=rep.id,
                status="in_progress",
                check_in_at=tokyo(DAY, 11),
            )
        )
        db.add(  # yesterday's visit does not count
            Visit(
                customer_id=customers[1].id,
                rep_id=rep.id,
                status="done",
                check_in_at=tokyo(DAY, 12) - timedelta(days=1),
                check_out_at=tokyo(DAY, 13) - timedelta(days=1),
            )
        )
        db.flush()
        last = customers[4]
        assert origin() == planner.Location(last.lat, last.lon)
        assert origin((35.7, 139.8)) == planner.Location(35.7, 139.8)


def test_a_plan_made_during_the_day_leaves_out_todays_visits_and_starts_there(
    app, db, people, monkeypatch
):
    rep, customers = people["rep"], people["customers"]
    db.add(
        Visit(
            customer_id=customers[0].id,
            rep_id=rep.id,
            status="done",
            check_in_at=tokyo(DAY, 9, 10),
            check_out_at=tokyo(DAY, 9, 40),
        )
    )
    db.commit()
    seen = {}
    real_replan = planning.planner.replan

    def spy(request, **kwargs):
        seen.update(kwargs, ids={c.id for c in request.candidates})
        return real_replan(request, **kwargs)

    monkeypatch.setattr(planning.planner, "replan", spy)
    with app.test_request_context():
        plan = planning.generate_plan(
            db,
            actor=rep,
            rep=rep,
            day=DAY,
            now=tokyo(DAY, 10, 0, 1),
            options=planning.planner_options(app.config),
        )
        stops = plans.plan_stops(db, plan)
    assert seen["now"] == 10 * 3600 + 60  # rounded up to the next minute
    assert seen["at"] == planner.Location(customers[0].lat, customers[0].lon)
    assert str(customers[0].id) not in seen["ids"]
    assert customers[0].id not in {s.customer_id for s in stops}


# --- the planner uses the settings -------------------------------------------------------------------


def test_lunch_window_soft_cap_and_travel_mode_reach_the_plan(app, db, people, monkeypatch):
    rep = people["rep"]
    rep.lunch_earliest_min, rep.lunch_latest_min, rep.lunch_minutes = 12 * 60 + 30, 13 * 60, 30
    rep.visits_per_day, rep.travel_mode = 3, "transit"
    db.add(rep)
    db.commit()
    requests = []
    real = planning.planner.plan_day

    def spy(request, options=None):
        requests.append(request)
        return real(request, options)

    monkeypatch.setattr(planning.planner, "plan_day", spy)
    with app.test_request_context():
        plan = planning.generate_plan(
            db,
            actor=rep,
            rep=rep,
            day=DAY,
            now=tokyo(DAY, 7),
            options=planning.planner_options(app.config),
        )
        stops = plans.plan_stops(db, plan)
    planned_rep = requests[0].reps[0]
    assert planned_rep.lunch == planner.LunchBreak(1800, 12 * 3600 + 1800, 13 * 3600 + 1800)
    assert planned_rep.travel_mode == "transit" and planned_rep.start == planner.Location(*OFFICE)
    assert len(stops) == 3, "the usual three visits a day"
    over = db.exec(
        select(DayPlanDrop).where(
            DayPlanDrop.day_plan_id == plan.id, DayPlanDrop.reason_code == "usual_visits"
        )
    ).all()
    assert len(over) == 3
    assert tokyo(DAY, 12, 30) <= plan.lunch_start <= tokyo(DAY, 13)


def test_every_travel_mode_has_a_speed():
    options = planning.planner_options({"PLANNER_ITERATIONS": 10})
    speeds = {mode: options.speed(mode) for mode in TravelMode}
    assert speeds["transit"] < speeds["car"] and set(speeds) == set(planner.model.TRAVEL_MODES)


# --- nightly plans -----------------------------------------------------------------------------------


def test_nightly_plans_follow_each_reps_weekdays_and_start_place(app, db, people, monkeypatch):
    rep, colleague = people["rep"], people["colleague"]
    rep.working_weekdays = "5"  # Saturdays only
    rep.start_kind, rep.home_lat, rep.home_lon = "home", HOME[0], HOME[1]
    db.add(rep)
    db.commit()
    starts = []
    real = planning.planner.plan_day

    def spy(request, options=None):
        starts.append((request.reps[0].id, request.reps[0].start))
        return real(request, options)

    monkeypatch.setattr(planning.planner, "plan_day", spy)
    saturday = app.test_cli_runner().invoke(
        args=["plans", "generate", "--date", SATURDAY.isoformat(), "--workers", "1"]
    )
    assert saturday.exit_code == 0, saturday.output
    assert "Skipped 1 reps" in saturday.output  # the colleague works Monday to Friday
    assert starts == [(str(rep.id), planner.Location(*HOME))]
    assert plans.get_plan(db, rep_id=colleague.id, day=SATURDAY) is None
    tuesday = app.test_cli_runner().invoke(
        args=["plans", "generate", "--date", DAY.isoformat(), "--workers", "1"]
    )
    assert "Skipped 1 reps" in tuesday.output and "Tuesday" in tuesday.output
    db.expire_all()
    assert plans.get_plan(db, rep_id=rep.id, day=DAY) is None
    assert [t.rep_id for t in jobs.reps_to_plan(db, day=DAY)] == [rep.id, colleague.id]


def test_nightly_plans_skip_a_rep_marked_away(app, db, people):
    """A rep a manager marked away that day gets no plan (the cover page plans their visits)."""
    from fieldapp.models import RepAbsence
    from fieldapp.services import plan_runs

    rep = people["rep"]
    assert plan_runs.is_working_day(db, rep_id=rep.id, day=DAY)
    db.add(RepAbsence(rep_id=rep.id, absent_on=DAY, note="training"))
    db.commit()
    assert not plan_runs.is_working_day(db, rep_id=rep.id, day=DAY)
    run = app.test_cli_runner().invoke(
        args=["plans", "generate", "--date", DAY.isoformat(), "--workers", "1"]
    )
    assert "or they are away" in run.output
    db.expire_all()
    assert plans.get_plan(db, rep_id=rep.id, day=DAY) is None


def test_a_manager_sets_the_team_office_and_a_rep_may_not(app, client, db, make_team, make_user):
    team = make_team()
    manager = make_user(team=team, role="manager", language="en")
    rep = make_user(team=team, language="en")
    login(client, manager.email)
    token = csrf_token(client.get("/team/").get_data(as_text=True))
    refused = client.post(
        "/team/office", data={"csrf_token": token, "office_label": "本社"}, follow_redirects=True
    )
    assert "Addresses cannot be looked up here" in refused.get_data(as_text=True)
    saved = client.post(
        "/team/office",
        data={
            "csrf_token": token,
            "office_label": "本社",
            "office_lat": "35.69",
            "office_lon": "139.7",
        },
    )
    assert saved.status_code == 302
    db.expire_all()
    with app.test_request_context():
        assert settings_for(db, rep).start.pair() == (35.69, 139.7)
    rep_client = app.test_client()
    login(rep_client, rep.email)
    rep_token = csrf_token(rep_client.get("/me").get_data(as_text=True))
    assert rep_client.post("/team/office", data={"csrf_token": rep_token}).status_code == 403


def test_the_team_pages_switch_cannot_disable_a_manager_either(client, db, people):
    login(client, people["manager"].email)
    page = client.get("/team/").get_data(as_text=True)
    assert f"/team/members/{people['admin'].id}/active" not in page
    response = client.post(
        f"/team/members/{people['other_manager'].id}/active",
        data={"csrf_token": csrf_token(page), "active": "0"},
        follow_redirects=True,
    )
    assert "You may not change this account." in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(User, people["other_manager"].id).active
    db.expire_all()
    assert db.get(User, people["other_manager"].id).active
