"""Daily plan generation outside a request: tomorrow's plan for every rep, on one machine or many.

Each rep's day is planned and committed in its own transaction, so one rep's bad data never loses the
others' plans. On one machine the reps are spread over a process pool (each worker loads the planner once
before its first plan); with Redis, one RQ job per rep runs on `fieldapp worker`s anywhere. Either way a
run replaces draft plans only (plan_runs.keep_reason) and re-running a rep's job never makes a second plan.
"""

from __future__ import annotations

import multiprocessing
import time
from collections.abc import Callable, Iterable
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass
from datetime import date, datetime

from flask import Flask
from sqlmodel import select

from .db import session_scope
from .errors import DomainError
from .models import DayPlan, PlanRun, Role, Team, User
from .services import clock, plan_runs
from .services.day import planning, plans
from .services.plan_runs import RepOutcome, RunTotals, keep_reason

DEFAULT_QUEUE = "fieldapp-plans"
# A job that failed (a worker killed mid-plan, a lost connection) runs again at most this many times.
JOB_RETRIES = 2
JOB_TIMEOUT = 600
RESULT_TTL = 7 * 24 * 3600


@dataclass(frozen=True)
class RepTarget:
    """A rep to plan and the day to plan (tomorrow in the rep's team timezone unless given)."""

    rep_id: int
    email: str
    team_id: int
    day: date


def reps_to_plan(
    session, *, reps: Iterable[str] = (), team_names: Iterable[str] = (), day: date | None = None
) -> list[RepTarget]:
    """Active reps (not managers) by email or id, by team name, or all of them, with their day."""
    stmt = select(User, Team).join(Team, Team.id == User.team_id)
    stmt = stmt.where(User.active.is_(True), User.role == Role.REP)
    reps, team_names = list(reps), list(team_names)
    if reps:
        ids = [int(r) for r in reps if r.isdigit()]
        stmt = stmt.where(User.email.in_(reps) | User.id.in_(ids))
    if team_names:
        stmt = stmt.where(Team.name.in_(team_names))
    return [
        RepTarget(user.id, user.email, user.team_id, day or _tomorrow(team.timezone))
        for user, team in session.exec(stmt.order_by(User.id))
    ]


@dataclass(frozen=True)
class RunSpec:
    """What one run plans: the reps and their days, when it started, the seconds per plan (or the app's)."""

    targets: list[RepTarget]
    since: datetime
    time_limit: float | None = None


def _tomorrow(timezone: str) -> date:
    return date.fromordinal(clock.local_today(timezone).toordinal() + 1)


def plan_one(
    app: Flask, *, target: RepTarget, since: datetime, time_limit: float | None = None
) -> RepOutcome:
    """Plan one rep's day in its own transaction, unless the rep's plan is theirs now.

    `since` is when the run started: a plan generated after it is this run's own (a job run twice), and
    is reported as it is instead of being planned again.
    """
    started = time.perf_counter()
    with app.app_context(), session_scope(app) as session:
        rep = session.get(User, target.rep_id)
        if rep is None or not rep.active:
            return _outcome(target, "failed", reason="not an active rep")
        # Locked (on PostgreSQL) so a rep's Accept cannot slip in between the check and the new plan.
        existing = session.exec(
            select(DayPlan)
            .where(DayPlan.rep_id == rep.id, DayPlan.plan_date == target.day)
            .with_for_update()
        ).first()
        reason = keep_reason(session, existing)
        if reason is not None:
            return _outcome(target, "kept", reason=reason)
        if existing is not None and existing.generated_at and existing.generated_at >= since:
            plan = existing
        else:
            try:
                plan = planning.generate_plan(
                    session,
                    actor=rep,
                    rep=rep,
                    day=target.day,
                    now=clock.now_utc(),
                    options=planning.planner_options(app.config, time_limit=time_limit),
                )
            except DomainError as error:
                session.rollback()
                return _outcome(target, "failed", reason=error.message)
        return _outcome(
            target,
            "planned",
            stops=len(plans.plan_stops(session, plan)),
            dropped=len(plans.plan_drops(session, plan)),
            value=plan.total_value,
            seconds=time.perf_counter() - started,
        )


def _outcome(target: RepTarget, state: str, **fields) -> RepOutcome:
    return RepOutcome(target.rep_id, target.email, target.team_id, target.day, state, **fields)


def plan_safely(
    app: Flask, *, target: RepTarget, since: datetime, time_limit: float | None = None
) -> RepOutcome:
    """plan_one, with any error turned into this rep's failure so the run goes on."""
    try:
        return plan_one(app, target=target, since=since, time_limit=time_limit)
    except Exception as error:  # noqa: BLE001 - one rep's bad data must not stop the others
        return _outcome(target, "failed", reason=_describe(error))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"[:300]


# --- on one machine: a process pool -----------------------------------------------------------------

_worker_app: Flask | None = None


def worker_config(app: Flask) -> dict:
    """The settings a pool worker builds its own app from (plain values only: they cross processes)."""
    return {
        key: value
        for key, value in app.config.items()
        if key.isupper() and isinstance(value, str | int | float | bool | type(None))
    }


def _init_pool_worker(config: dict) -> None:
    """Pool initializer: this worker's app, and the planner loaded once before its first plan."""
    global _worker_app
    from . import create_app

    _worker_app = create_app(config)
    planning.warm_up()


def _plan_in_pool(target: RepTarget, since: datetime, time_limit: float | None) -> RepOutcome:
    return plan_safely(_worker_app, target=target, since=since, time_limit=time_limit)


def run_in_process(
    app: Flask,
    spec: RunSpec,
    *,
    workers: int,
    on_done: Callable[[RepOutcome], None] = lambda outcome: None,
) -> list[RepOutcome]:
    """Plan every target here: in this process for one worker, else across a pool of processes."""
    outcomes = []
    if workers <= 1 or len(spec.targets) <= 1:
        planning.warm_up()
        for target in spec.targets:
            outcomes.append(
                plan_safely(app, target=target, since=spec.since, time_limit=spec.time_limit)
            )
            on_done(outcomes[-1])
        return outcomes
    # spawn, not fork: a fresh interpreter inherits no database connections or solver threads.
    with ProcessPoolExecutor(
        max_workers=min(workers, len(spec.targets)),
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_init_pool_worker,
        initargs=(worker_config(app),),
    ) as pool:
        futures = {
            pool.submit(_plan_in_pool, target, spec.since, spec.time_limit): target
            for target in spec.targets
        }
        for future in as_completed(futures):
            try:
                outcome = future.result()
            except Exception as error:  # noqa: BLE001 - a crashed worker process fails its reps only
                outcome = _outcome(futures[future], "failed", reason=_describe(error))
            outcomes.append(outcome)
            on_done(outcome)
    return outcomes


# --- on many machines: RQ jobs ----------------------------------------------------------------------


class QueueUnavailable(RuntimeError):
    """Redis is not configured or does not answer."""


def plan_queue(redis_url: str | None, name: str = DEFAULT_QUEUE):
    """The RQ queue of plan jobs, after checking that Redis answers."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue

    if not redis_url:
        raise QueueUnavailable("FIELDAPP_REDIS_URL is not set.")
    connection = Redis.from_url(redis_url, socket_connect_timeout=3, socket_timeout=10)
    try:
        connection.ping()
    except RedisError as error:
        raise QueueUnavailable(f"Redis at {redis_url} does not answer ({error}).") from error
    return Queue(name, connection=connection)


def use_app(app: Flask) -> None:
    """The app RQ jobs of this process plan with (`fieldapp worker` sets it before working)."""
    global _worker_app
    _worker_app = app


def job_id(target: RepTarget, run_id: int) -> str:
    return f"plan-{target.day.isoformat()}-rep{target.rep_id}-run{run_id}"


def rq_plan_rep(target: RepTarget, since: datetime, time_limit: float | None) -> RepOutcome:
    """RQ job: one rep's plan. Unexpected errors propagate so RQ retries the job."""
    global _worker_app
    if _worker_app is None:
        from . import create_app

        _worker_app = create_app()
    return plan_one(_worker_app, target=target, since=since, time_limit=time_limit)


def enqueue(queue, spec: RunSpec, *, run_id: int) -> dict[str, RepTarget]:
    """One job per rep, with a bounded retry; returns the targets by job id."""
    from rq import Retry

    jobs = {}
    for target in spec.targets:
        job = queue.enqueue(
            rq_plan_rep,
            target,
            spec.since,
            spec.time_limit,
            job_id=job_id(target, run_id),
            retry=Retry(max=JOB_RETRIES),
            job_timeout=JOB_TIMEOUT,
            result_ttl=RESULT_TTL,
            failure_ttl=RESULT_TTL,
        )
        jobs[job.id] = target
    return jobs


def _run_on_queue(
    queue,
    spec: RunSpec,
    *,
    run_id: int,
    on_done: Callable[[RepOutcome], None],
    on_queued: Callable[[int], None],
) -> list[RepOutcome]:
    """enqueue + follow; when Redis stops answering midway, every rep not yet reported fails with a
    reason saying so, and the run is still recorded as finished (a re-run plans them: drafts only)."""
    from redis.exceptions import RedisError

    outcomes: list[RepOutcome] = []

    def done(outcome: RepOutcome) -> None:
        outcomes.append(outcome)
        on_done(outcome)

    try:
        ids = enqueue(queue, spec, run_id=run_id)
        on_queued(len(ids))
        follow(queue, ids=ids, on_done=done)
    except RedisError as error:
        reported = {outcome.rep_id for outcome in outcomes}
        reason = f"the queue (Redis) stopped answering ({type(error).__name__}); run again"
        for target in spec.targets:
            if target.rep_id not in reported:
                done(_outcome(target, "failed", reason=reason))
    return outcomes


def wait_for_workers(seconds: float) -> None:
    """Pause between looks at the queue (tests run a burst worker here instead)."""
    time.sleep(seconds)


def follow(
    queue,
    *,
    ids: dict[str, RepTarget],
    on_done: Callable[[RepOutcome], None] = lambda outcome: None,
    poll: float = 0.5,
) -> list[RepOutcome]:
    """Wait for every job to finish or to fail for good, reporting each rep as it comes in."""
    from rq.job import Job, JobStatus

    pending = dict(ids)
    outcomes = []
    while pending:
        waiting = list(pending)
        for job_key, job in zip(waiting, _fetch_jobs(Job, waiting, queue, poll), strict=True):
            target = pending[job_key]
            status = job.get_status(refresh=False) if job is not None else None
            if job is None:
                outcome = _outcome(target, "failed", reason="the job was lost from the queue")
            elif status == JobStatus.FINISHED:
                outcome = job.return_value()
            elif status in (JobStatus.FAILED, JobStatus.STOPPED, JobStatus.CANCELED):
                result = job.latest_result()
                text = (result.exc_string if result and result.exc_string else str(status)).strip()
                outcome = _outcome(target, "failed", reason=text.splitlines()[-1][:300])
            else:
                continue
            del pending[job_key]
            outcomes.append(outcome)
            on_done(outcome)
        if pending:
            wait_for_workers(poll)
    return outcomes


def _fetch_jobs(job_class, ids: list[str], queue, pause: float, attempts: int = 3) -> list:
    """The jobs' state; a Redis connection error is tried again (only a read) before it is given up."""
    from redis.exceptions import ConnectionError as RedisConnectionError
    from redis.exceptions import TimeoutError as RedisTimeoutError

    for attempt in range(1, attempts + 1):
        try:
            return job_class.fetch_many(ids, connection=queue.connection)
        except (RedisConnectionError, RedisTimeoutError):
            if attempt == attempts:
                raise
            wait_for_workers(pause * attempt)
    raise AssertionError("unreachable")


# --- a recorded run ---------------------------------------------------------------------------------


def run(
    app: Flask,
    spec: RunSpec,
    *,
    started_by: str,
    workers: int,
    queue=None,
    on_done: Callable[[RepOutcome], None] = lambda outcome: None,
    on_queued: Callable[[int, int], None] = lambda jobs, workers: None,
) -> tuple[RunTotals, float]:
    """One recorded run: its row first, then every rep (pool, or queue when given), then its counts.

    Returns the totals and the wall time in seconds.
    """
    if queue is not None:
        from rq import Worker

        workers = Worker.count(queue=queue)
    with session_scope(app) as session:
        run_id = plan_runs.start_run(
            session,
            started_by=started_by,
            plan_date=min(t.day for t in spec.targets),
            mode="queue" if queue is not None else "process",
            workers=workers,
            team_ids=[t.team_id for t in spec.targets],
            reps=len(spec.targets),
            now=spec.since,
        ).id
    started = time.perf_counter()
    if queue is not None:
        outcomes = _run_on_queue(
            queue, spec, run_id=run_id, on_done=on_done, on_queued=lambda n: on_queued(n, workers)
        )
    else:
        outcomes = run_in_process(app, spec, workers=workers, on_done=on_done)
    wall = time.perf_counter() - started
    with session_scope(app) as session:
        result = plan_runs.finish_run(
            session,
            run=session.get(PlanRun, run_id),
            outcomes=outcomes,
            wall_seconds=wall,
            now=clock.now_utc(),
        )
    return result, wall
