"""`fieldapp plans generate`: every rep's day, safe to re-run, in-process or through RQ with real Redis."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest
from sqlmodel import func, select

from fieldapp import jobs
from fieldapp.models import DayPlan, DayPlanStop, PlanRun, PlanStatus
from fieldapp.services.day import actions, planning, plans
from tests.conftest import IN_CI, csrf_token, login

DAY = date(2026, 11, 24)  # a Tuesday
MORNING = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
TOKYO = (35.681, 139.767)
REDIS_URL = os.environ.get("FIELDAPP_TEST_REDIS_URL")
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def team_of_three(db, make_team, make_user, make_customer):
    """Three reps with three due customers each, and their manager."""
    team = make_team()
    reps = [
        make_user(team=team, start_lat=TOKYO[0], start_lon=TOKYO[1], language="en")
        for _ in range(3)
    ]
    for r, rep in enumerate(reps):
        for i in range(3):
            make_customer(
                team=team,
                assigned_rep_id=rep.id,
                next_due_on=DAY - timedelta(days=5),
                lat=TOKYO[0] + 0.003 * (i + 1),
                lon=TOKYO[1] + 0.003 * r,
            )
    manager = make_user(team=team, role="manager", language="en")
    return {"team": team, "reps": reps, "manager": manager}


def generate(app, *args: str):
    return app.test_cli_runner().invoke(
        args=["plans", "generate", "--date", DAY.isoformat(), "--workers", "1", *args]
    )


def plan_of(db, rep) -> DayPlan | None:
    db.expire_all()
    return plans.get_plan(db, rep_id=rep.id, day=DAY)


def test_rerun_keeps_accepted_and_edited_plans(app, db, client, team_of_three):
    accepting, editing, untouched = team_of_three["reps"]
    result = generate(app)
    assert result.exit_code == 0, result.output
    assert "Planned 3 reps: 9 visits" in result.output
    assert "Seconds per rep: median" in result.output

    # One rep taps Accept on the Today page, another takes a stop off.
    login(client, accepting.email)
    token = csrf_token(client.get(f"/day/{DAY.isoformat()}").get_data(as_text=True))
    version = plan_of(db, accepting).version
    response = client.post(
        f"/day/{DAY.isoformat()}/accept", data={"csrf_token": token, "version": version}
    )
    assert response.status_code == 302
    assert plan_of(db, accepting).status == PlanStatus.ACCEPTED
    edited = plan_of(db, editing)
    removed = plans.plan_stops(db, edited)[0]
    with app.test_request_context():
        actions.remove(
            db,
            actor=editing,
            day=DAY,
            stop_id=removed.id,
            version=edited.version,
            now=MORNING,
        )
        db.commit()
    assert plan_of(db, editing).status == PlanStatus.ACCEPTED
    untouched_version = plan_of(db, untouched).version

    result = generate(app)
    assert result.exit_code == 0, result.output
    assert "Planned 1 reps" in result.output
    assert "Kept 2 plans (1 accepted, 1 edited)." in result.output
    assert f"{accepting.email} {DAY.isoformat()}: kept (accepted)" in result.output
    # The stop the rep removed did not come back; the draft was planned again.
    stops = plans.plan_stops(db, plan_of(db, editing))
    assert removed.customer_id not in [s.customer_id for s in stops] and len(stops) == 2
    assert plan_of(db, untouched).version > untouched_version
    assert db.exec(select(func.count()).select_from(DayPlan)).one() == 3

    runs = list(db.exec(select(PlanRun).order_by(PlanRun.id)))
    assert [(r.planned, r.kept, r.failed, r.mode) for r in runs] == [
        (3, 0, 0, "process"),
        (1, 2, 0, "process"),
    ]
    assert json.loads(runs[1].kept_reasons) == {"accepted": 1, "edited": 1}
    assert runs[1].finished_at is not None and runs[1].rep_seconds_max is not None


def test_a_started_plan_is_kept(app, db, team_of_three):
    rep = team_of_three["reps"][0]
    assert generate(app, "--rep", rep.email).exit_code == 0
    stop = plans.plan_stops(db, plan_of(db, rep))[0]
    with app.test_request_context():
        actions.check_in(db, actor=rep, stop_id=stop.id, now=MORNING)
        db.commit()
    result = generate(app, "--rep", rep.email)
    assert "Kept 1 plans (1 started)." in result.output


def test_a_failing_rep_does_not_stop_the_others(app, db, client, team_of_three, monkeypatch):
    broken = team_of_three["reps"][1]
    real = planning.generate_plan

    def generate_plan(session, **kwargs):
        if kwargs["rep"].id == broken.id:
            raise RuntimeError("bad data for this rep")
        return real(session, **kwargs)

    monkeypatch.setattr(planning, "generate_plan", generate_plan)
    result = generate(app)
    assert result.exit_code == 1
    assert f"{broken.email}: RuntimeError: bad data for this rep" in result.output
    assert "Planned 2 reps" in result.output and "Failed 1." in result.output
    assert plan_of(db, broken) is None
    assert all(plan_of(db, rep) for rep in team_of_three["reps"] if rep.id != broken.id)
    run = db.exec(select(PlanRun)).one()
    assert json.loads(run.failures)[0]["email"] == broken.email

    # Managers see the run and the failure on the team page.
    login(client, team_of_three["manager"].email)
    page = client.get("/team/").get_data(as_text=True)
    assert "2 planned, 0 kept, 1 failed" in page
    assert "bad data for this rep" in page


def test_managers_and_other_days(app, db, team_of_three):
    result = app.test_cli_runner().invoke(
        args=["plans", "generate", "--date", "2026-11-28", "--workers", "1"]
    )
    assert result.exit_code == 0 and "Saturday is not their working day" in result.output
    generate(app)
    manager = team_of_three["manager"]
    assert plans.get_plan(db, rep_id=manager.id, day=DAY) is None


# --- through RQ with the real Redis -------------------------------------------------------------------


@pytest.fixture
def redis_queue(app):
    """A queue of its own on the test Redis, with the burst worker run where the command waits."""
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("FIELDAPP_TEST_REDIS_URL is not set in CI")
        pytest.skip("set FIELDAPP_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run the Redis tests")
    name = f"test-plans-{uuid.uuid4().hex[:12]}"
    app.config["REDIS_URL"] = REDIS_URL
    queue = jobs.plan_queue(REDIS_URL, name)
    jobs.use_app(app)
    yield queue
    jobs.use_app(None)
    connection = queue.connection
    job_ids = set(queue.get_job_ids())
    for registry in (queue.finished_job_registry, queue.failed_job_registry):
        job_ids.update(registry.get_job_ids())
    for job_id in job_ids:
        connection.delete(f"rq:job:{job_id}", f"rq:results:{job_id}")
    for worker in _burst_workers:
        connection.delete(worker.key)
    _burst_workers.clear()
    connection.srem("rq:queues", queue.key)
    keys = list(connection.scan_iter(f"*{name}*"))
    if keys:
        connection.delete(*keys)


_burst_workers: list = []


def burst_worker(queue, monkeypatch) -> None:
    """Instead of sleeping while jobs run elsewhere, the command runs them here (one burst worker)."""
    from rq import SimpleWorker

    def work(_seconds: float) -> None:
        worker = SimpleWorker([queue], connection=queue.connection)
        _burst_workers.append(worker)
        worker.work(burst=True)

    monkeypatch.setattr(jobs, "wait_for_workers", work)


def test_queue_plans_every_rep_and_reruns_keep_edits(
    app, db, team_of_three, redis_queue, monkeypatch
):
    burst_worker(redis_queue, monkeypatch)
    result = generate(app, "--queue", "--queue-name", redis_queue.name)
    assert result.exit_code == 0, result.output
    assert "Queued 3 jobs" in result.output and "Planned 3 reps: 9 visits" in result.output
    accepting = team_of_three["reps"][0]
    with app.test_request_context():
        actions.accept(db, actor=accepting, day=DAY, version=None)
        db.commit()
    result = generate(app, "--queue", "--queue-name", redis_queue.name)
    assert "Kept 1 plans (1 accepted)." in result.output
    assert db.exec(select(func.count()).select_from(DayPlan)).one() == 3
    assert [r.mode for r in db.exec(select(PlanRun))] == ["queue", "queue"]


def test_a_job_run_twice_gives_the_same_plan(app, db, team_of_three, redis_queue):
    rep = team_of_three["reps"][2]
    target = jobs.RepTarget(rep.id, rep.email, rep.team_id, DAY)
    since = datetime.now(UTC) - timedelta(seconds=1)
    first = jobs.rq_plan_rep(target, since, None)
    plan_id = plan_of(db, rep).id
    stops = [s.id for s in plans.plan_stops(db, plan_of(db, rep))]
    again = jobs.rq_plan_rep(target, since, None)
    assert (again.state, again.stops, again.value) == (first.state, first.stops, first.value)
    assert plan_of(db, rep).id == plan_id
    assert [s.id for s in plans.plan_stops(db, plan_of(db, rep))] == stops
    assert db.exec(select(func.count()).select_from(DayPlanStop)).one() == len(stops)


def test_a_job_that_fails_once_is_retried(app, db, team_of_three, redis_queue, monkeypatch):
    burst_worker(redis_queue, monkeypatch)
    unlucky = team_of_three["reps"][0]
    attempts = []
    real = jobs.plan_one

    def plan_one(app_, *, target, **kwargs):
        if target.rep_id == unlucky.id:
            attempts.append(target.rep_id)
            if len(attempts) == 1:
                raise ConnectionError("worker lost mid-plan")
        return real(app_, target=target, **kwargs)

    monkeypatch.setattr(jobs, "plan_one", plan_one)
    result = generate(app, "--queue", "--queue-name", redis_queue.name)
    assert result.exit_code == 0, result.output
    assert len(attempts) == 2
    assert "Planned 3 reps" in result.output and "Failed 0." in result.output
    assert plan_of(db, unlucky) is not None


def test_a_worker_killed_mid_plan_leaves_its_job_to_another_worker(
    app, db, database_url, team_of_three, redis_queue
):
    """A real `fieldapp worker` process is killed (SIGKILL) while it plans; the job is not lost.

    RQ finds the abandoned job when it cleans the started-job registry (a worker's maintenance does that
    once the job's time is up; the test moves the clock forward instead of waiting), retries it because
    it was enqueued with a retry, and the next worker plans the rep once.
    """
    from rq import SimpleWorker, Worker
    from rq.job import Job
    from rq.registry import StartedJobRegistry

    rep = team_of_three["reps"][0]
    target = jobs.RepTarget(rep.id, rep.email, rep.team_id, DAY)
    # 8 s of search: long enough to be killed in the middle of it.
    spec = jobs.RunSpec([target], datetime.now(UTC), time_limit=8.0)
    (queued_id,) = jobs.enqueue(redis_queue, spec, run_id=1)
    env = {
        **os.environ,
        "FIELDAPP_ENV": "development",
        "FIELDAPP_SECRET_KEY": "worker-test-secret-key-0123456789",
        "FIELDAPP_DATABASE_URL": database_url,
        "FIELDAPP_REDIS_URL": REDIS_URL,
        "PYTHONPATH": str(ROOT),
    }
    worker = subprocess.Popen(
        [sys.executable, "-c", "from fieldapp.cli import main; main()", "worker"]
        + ["--queue-name", redis_queue.name],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,  # its work horse too, so one signal kills both
    )
    job = Job.fetch(queued_id, connection=redis_queue.connection)
    try:
        deadline = time.monotonic() + 120
        while job.get_status(refresh=True) != "started":
            assert worker.poll() is None, "the worker stopped before taking the job"
            assert time.monotonic() < deadline, "the worker never started the job"
            time.sleep(0.1)
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait(timeout=30)
        assert plan_of(db, rep) is None  # killed mid-plan: nothing was written
    finally:
        if worker.poll() is None:
            os.killpg(worker.pid, signal.SIGKILL)
        for dead in Worker.all(queue=redis_queue):
            dead.register_death()
            redis_queue.connection.delete(dead.key)

    StartedJobRegistry(queue=redis_queue).cleanup(timestamp=time.time() + jobs.JOB_TIMEOUT + 3600)
    assert job.get_status(refresh=True) == "queued"
    survivor = SimpleWorker([redis_queue], connection=redis_queue.connection)
    _burst_workers.append(survivor)
    # An attempt that fails goes back to the queue while retries are left (seen once in a while on
    # PostgreSQL with two test suites running at once); the job must still end planned, once.
    for _attempt in range(jobs.JOB_RETRIES):
        survivor.work(burst=True)
        if job.get_status(refresh=True) != "queued":
            break

    job.refresh()
    failures = [r.exc_string for r in job.results() if r.type == r.Type.FAILED]
    assert job.get_status() == "finished", failures
    assert job.retries_left < jobs.JOB_RETRIES  # a retry was used
    assert job.return_value().state == "planned"
    assert plan_of(db, rep) is not None
    assert db.exec(select(func.count()).select_from(DayPlan)).one() == 1


def test_the_queue_is_the_configured_default_and_in_process_overrides_it(
    app, db, team_of_three, redis_queue, monkeypatch
):
    app.config["PLANS_QUEUE"] = True
    burst_worker(redis_queue, monkeypatch)
    result = generate(app, "--queue-name", redis_queue.name)
    assert result.exit_code == 0, result.output
    assert "Queued 3 jobs" in result.output
    result = generate(app, "--in-process")
    assert result.exit_code == 0, result.output
    assert "Queued" not in result.output
    assert [r.mode for r in db.exec(select(PlanRun).order_by(PlanRun.id))] == ["queue", "process"]


def test_redis_down_is_said_clearly_and_nothing_is_written(app, db, team_of_three):
    app.config["REDIS_URL"] = "redis://127.0.0.1:1/0"
    result = generate(app, "--queue")
    assert result.exit_code != 0
    assert "does not answer" in result.output and "Run with --in-process" in result.output
    assert db.exec(select(func.count()).select_from(PlanRun)).one() == 0
    assert db.exec(select(func.count()).select_from(DayPlan)).one() == 0
