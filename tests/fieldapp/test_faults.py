"""Faults, each simulated: the database locked or briefly gone during a visit save, Redis gone during plan
generation (and under the login limits: test_login_limits), the geocoder and the road engine timing out.
Every one ends in a clear message in the user's language, a retry where that is safe, nothing half-written."""

from __future__ import annotations

import socket
import sqlite3
from datetime import timedelta

import pytest
from geopy.exc import GeocoderTimedOut
from redis.exceptions import ConnectionError as RedisConnectionError
from sqlalchemy import exc as sa_exc
from sqlmodel import Session, func, select

import planner.matrix
from fieldapp import db as db_module
from fieldapp import jobs
from fieldapp.db import make_engine
from fieldapp.models import DayPlan, FollowUp, GeocodeCache, PlanRun, Visit
from fieldapp.services import clock, geocoding, plan_runs
from fieldapp.services.plan_runs import RepOutcome
from tests.conftest import csrf_token

LOCKED = "database is locked"
GONE = "server closed the connection unexpectedly"


def count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def failing_commits(monkeypatch, times: int, message: str = LOCKED) -> dict[str, int]:
    """The next `times` commits fail as a busy (or vanished) database would; later ones go through."""
    real_commit = Session.commit
    state = {"failed": 0}

    def commit(self):
        if state["failed"] < times:
            state["failed"] += 1
            raise sa_exc.OperationalError(
                "COMMIT",
                {},
                sqlite3.OperationalError(message),
                connection_invalidated=message == GONE,
            )
        return real_commit(self)

    monkeypatch.setattr(Session, "commit", commit)
    return state


@pytest.fixture
def rep_at_customer(make_people, make_customer, login_as, client):
    people = make_people(language="ja")
    customer = make_customer(team=people["team"], assigned_rep_id=people["rep"].id)
    login_as(people["rep"])
    return people["rep"], customer


def visit_form(client, customer_id: int) -> dict[str, str]:
    page = client.get(f"/customers/{customer_id}/visits/new").get_data(as_text=True)
    return {
        "csrf_token": csrf_token(page),
        "outcome": "met",
        "heard": "新商品に興味あり",
        "followup_title": "見積を送る",
        "submission_key": "k-fault-1",
    }


@pytest.mark.parametrize("message", [LOCKED, GONE])
def test_a_busy_or_briefly_gone_database_is_retried_and_the_visit_saved_once(
    client, db, rep_at_customer, monkeypatch, message
):
    _rep, customer = rep_at_customer
    data = visit_form(client, customer.id)
    state = failing_commits(monkeypatch, times=2, message=message)
    response = client.post(f"/customers/{customer.id}/visits/new", data=data)
    monkeypatch.undo()
    assert state["failed"] == 2
    assert response.status_code == 302
    assert count(db, Visit) == 1


def test_a_database_locked_throughout_saves_nothing_and_says_so_in_japanese(
    client, db, rep_at_customer, monkeypatch
):
    _rep, customer = rep_at_customer
    data = visit_form(client, customer.id)
    failing_commits(monkeypatch, times=99)
    response = client.post(f"/customers/{customer.id}/visits/new", data=data)
    monkeypatch.undo()
    assert response.status_code == 503
    assert response.headers["Retry-After"]
    text = response.get_data(as_text=True)
    assert "何も保存していません" in text
    assert count(db, Visit) == 0 and count(db, FollowUp) == 0
    # The rep sends the same form again once the database is free: stored once.
    assert client.post(f"/customers/{customer.id}/visits/new", data=data).status_code == 302
    assert count(db, Visit) == 1


def test_sync_api_answers_503_json_so_the_outbox_sends_again(
    client, db, rep_at_customer, monkeypatch
):
    _rep, customer = rep_at_customer
    token = client.get("/api/sync/status").get_json()["csrf_token"]
    body = {
        "key": "outbox-1",
        "customer_id": customer.id,
        "at": clock.now_utc().isoformat(),
        "form": [["outcome", "met"], ["heard", "オフラインで記録"]],
    }
    failing_commits(monkeypatch, times=99, message=GONE)
    refused = client.post("/api/sync/visits", json=body, headers={"X-CSRFToken": token})
    monkeypatch.undo()
    assert refused.status_code == 503 and refused.is_json
    assert "何も保存していません" in refused.get_json()["error"]
    assert count(db, Visit) == 0
    sent = client.post("/api/sync/visits", json=body, headers={"X-CSRFToken": token})
    again = client.post("/api/sync/visits", json=body, headers={"X-CSRFToken": token})
    assert sent.status_code == 200 and again.get_json()["replayed"] is True
    assert count(db, Visit) == 1


def test_a_programming_error_is_not_mistaken_for_a_busy_database(
    client, db, rep_at_customer, monkeypatch
):
    _rep, customer = rep_at_customer
    data = visit_form(client, customer.id)
    failing_commits(monkeypatch, times=99, message="no such column: visit.nonsense")
    # Not retried and not dressed up as "try again": the error goes on (a 500 page outside tests).
    with pytest.raises(sa_exc.OperationalError):
        client.post(f"/customers/{customer.id}/visits/new", data=data)
    monkeypatch.undo()
    assert count(db, Visit) == 0


def test_redis_lost_during_a_queued_run_finishes_the_run_record(app, db, make_people, monkeypatch):
    people = make_people(rep={}, colleague={}, manager={"role": "manager"})
    day = clock.local_today("Asia/Tokyo") + timedelta(days=1)
    targets = [
        jobs.RepTarget(rep.id, rep.email, rep.team_id, day)
        for rep in (people["rep"], people["colleague"])
    ]

    def enqueue(queue, spec, *, run_id):
        return {f"job-{t.rep_id}": t for t in spec.targets}

    def follow(queue, *, ids, on_done, poll=0.5):
        first = next(iter(ids.values()))
        on_done(RepOutcome(first.rep_id, first.email, first.team_id, first.day, "planned"))
        raise RedisConnectionError("Connection refused")

    monkeypatch.setattr(jobs, "enqueue", enqueue)
    monkeypatch.setattr(jobs, "follow", follow)
    monkeypatch.setattr("rq.Worker.count", lambda queue=None, **kw: 1)
    result, _wall = jobs.run(
        app,
        jobs.RunSpec(targets, clock.now_utc(), None),
        started_by="test",
        workers=1,
        queue=object(),
    )
    assert (result.planned, result.failed) == (1, 1)
    run = db.exec(select(PlanRun)).one()
    assert run.finished_at is not None  # not left "not finished"
    failures = plan_runs.recent_runs(db, team_id=people["team"].id)[0].failures
    assert [f["email"] for f in failures] == [people["colleague"].email]
    assert "Redis" in failures[0]["reason"]


def test_redis_down_before_a_queued_run_plans_nothing_and_says_what_to_do(
    app, runner, db, make_people
):
    make_people(rep={"start_lat": 35.68, "start_lon": 139.76})
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = runner.invoke(args=["plans", "generate", "--queue"])
    assert result.exit_code != 0
    assert "does not answer" in result.output and "--in-process" in result.output
    assert count(db, PlanRun) == 0 and count(db, DayPlan) == 0


def test_redis_polling_hiccup_is_retried(monkeypatch):
    calls = {"n": 0}

    class FlakyJob:
        @staticmethod
        def fetch_many(ids, connection):
            calls["n"] += 1
            if calls["n"] == 1:
                raise RedisConnectionError("Connection reset by peer")
            return ["job"] * len(ids)

    class Queue:
        connection = None

    monkeypatch.setattr(jobs, "wait_for_workers", lambda seconds: None)
    assert jobs._fetch_jobs(FlakyJob, ["a"], Queue(), 0.1) == ["job"]
    assert calls["n"] == 2


def test_geocoder_timing_out_keeps_the_save_and_asks_for_the_pin(
    app, client, db, rep_at_customer, monkeypatch
):
    _rep, customer = rep_at_customer

    def timing_out(query):
        raise GeocoderTimedOut("Service timed out")

    monkeypatch.setattr(geocoding, "_geocoder", lambda config: timing_out)
    page = client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    import re

    version = re.search(r'name="version" type="hidden" value="(\d+)"', page).group(1)
    response = client.post(
        f"/customers/{customer.id}/edit",
        data={
            "csrf_token": csrf_token(page),
            "version": version,
            "name": customer.name,
            "address": "東京都台東区上野9-9-9",
            "segment": "shop",
            "rank": "B",
            "status": "active",
            "cadence_days": "14",
            "visit_minutes": "20",
        },
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "この顧客の位置はまだ分かっていません。" in response.get_data(as_text=True)
    db.expire_all()
    saved = db.get(type(customer), customer.id)
    assert saved.address == "東京都台東区上野9-9-9" and saved.needs_location
    assert count(db, GeocodeCache) == 0  # a timeout is not remembered: the next try asks again


def test_road_engine_timing_out_plans_with_distances_and_says_so(
    app, client, db, make_home_rep_day, monkeypatch
):
    rep = make_home_rep_day
    app.config["OSRM_URL"] = "http://127.0.0.1:1"
    calls = {"n": 0}

    def timing_out(*args, **kwargs):
        calls["n"] += 1
        raise TimeoutError(
            "timed out"
        )  # what urllib raises when the engine does not answer in time

    monkeypatch.setattr(planner.matrix, "osrm_seconds", timing_out)
    response = client.post(
        f"/day/{clock.local_today('Asia/Tokyo').isoformat()}/plan",
        data={"csrf_token": csrf_token(client.get("/").get_data(as_text=True))},
    )
    assert response.status_code == 302
    assert calls["n"] >= 1
    plan = db.exec(select(DayPlan).where(DayPlan.rep_id == rep.id)).one()
    assert "road_engine_fallback" in (plan.warnings or "")
    page = client.get("/").get_data(as_text=True)
    assert "道路の所要時間を取得できなかったため" in page


@pytest.fixture
def make_home_rep_day(make_people, make_customer, login_as):
    people = make_people(
        language="ja", rep={"start_lat": 35.681, "start_lon": 139.767, "language": "ja"}
    )
    rep = people["rep"]
    today = clock.local_today("Asia/Tokyo")
    for i in range(3):
        make_customer(
            team=people["team"],
            assigned_rep_id=rep.id,
            next_due_on=today - timedelta(days=3 + i),
            lat=35.681 + 0.003 * (i + 1),
            lon=139.767 + 0.002 * i,
        )
    login_as(rep)
    return rep


def test_socket_timeouts_count_as_the_engine_being_unreachable():
    # The fallback in planner.matrix catches OSError: a socket timeout is one.
    assert issubclass(socket.timeout, OSError) and issubclass(TimeoutError, OSError)


def test_a_connection_dropped_while_idle_is_replaced_before_use(database_url, monkeypatch):
    """A pooled connection that waited (the server may have restarted meanwhile) is tried at checkout and
    replaced when it is gone; one back from use a moment ago is not tried (no round trip per request)."""
    engine = make_engine(database_url)
    try:
        with engine.connect() as connection:
            first = connection.connection.dbapi_connection
        first.close()  # dropped underneath the pool while it waited

        monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 3600.0)
        with pytest.raises(sa_exc.DBAPIError), engine.connect() as connection:
            connection.exec_driver_sql("SELECT 1")  # not tried: a just-used connection goes to work

        monkeypatch.setattr(db_module, "PING_AFTER_IDLE_SECONDS", 0.0)
        with engine.connect() as connection:
            first_again = connection.connection.dbapi_connection
            first_again.close()
        with engine.connect() as connection:  # tried, found gone, replaced
            assert connection.exec_driver_sql("SELECT 1").scalar() == 1
            assert connection.connection.dbapi_connection is not first_again
    finally:
        engine.dispose()
