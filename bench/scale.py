"""Tomorrow's plans for every rep, at scale (not a test: it prints numbers, no pass/fail).

    python bench/scale.py                     # the issue's size: 20,000 customers, 500 reps, 25 teams
    python bench/scale.py --scale 0.04        # the same shape, small (20 reps): checks the bench works

Seeds a temporary SQLite database with `fieldapp seed`, then times `fieldapp plans generate` for the next
Monday: in-process over the CPU cores, then through RQ with 1 and with 2 `fieldapp worker`s (Redis at
--redis-url; skipped when it does not answer). Prints wall time and seconds per rep (median, p95, max) of
each, the speed-up of 2 workers over 1, and plan quality on a sample of reps: the in-process plan's value
against a plan of the same rep given --quality-seconds (10 s), as the gap in percent.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
CLI = [sys.executable, "-c", "from fieldapp.cli import main; main()"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="Multiplies every size below.")
    parser.add_argument("--customers", type=int, default=20000)
    parser.add_argument("--reps", type=int, default=500)
    parser.add_argument("--managers", type=int, default=25)
    parser.add_argument("--teams", type=int, default=25)
    parser.add_argument("--time-limit", type=float, default=1.0, help="Seconds per rep's plan.")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1, help="In-process pool.")
    parser.add_argument("--quality-sample", type=int, default=20)
    parser.add_argument("--quality-seconds", type=float, default=10.0)
    parser.add_argument(
        "--redis-url", default=os.environ.get("FIELDAPP_REDIS_URL", "redis://127.0.0.1:6379/0")
    )
    parser.add_argument("--skip-rq", action="store_true")
    args = parser.parse_args()

    def scaled(n: int) -> int:
        return max(1, round(n * args.scale))

    sizes = {k: scaled(getattr(args, k)) for k in ("customers", "reps", "managers", "teams")}
    workdir = Path(tempfile.mkdtemp(prefix="fieldapp-scale-"))
    database_url = f"sqlite:///{workdir / 'scale.sqlite3'}"
    env = {
        **os.environ,
        "FIELDAPP_ENV": "development",
        "FIELDAPP_SECRET_KEY": "scale-bench-secret-key-0123456789",
        "FIELDAPP_DATABASE_URL": database_url,
        "FIELDAPP_REDIS_URL": args.redis_url,
        "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")])),
    }
    today = date.today()
    monday = today + timedelta(days=7 - today.weekday())
    print(f"database {database_url}")
    started = time.perf_counter()
    seed = [f"--{k}={v}" for k, v in sizes.items()]
    _run([*CLI, "seed", *seed, "--seed", "1"], env)
    print(f"seeded {sizes} in {time.perf_counter() - started:.0f} s; planning Monday {monday}")

    generate = [*CLI, "plans", "generate", "--date", monday.isoformat()]
    generate += ["--time-limit", str(args.time_limit)]
    rows = [
        (
            "in-process",
            args.workers,
            _timed(database_url, [*generate, "--workers", str(args.workers)], env),
        )
    ]
    values = _plan_values(database_url, monday)
    if not args.skip_rq:
        for count in (1, 2):
            run = _with_rq_workers(database_url, generate, env, args.redis_url, count)
            if run is None:
                break
            rows.append(("rq", count, run))

    print()
    print(
        f"{'mode':12} {'workers':>7} {'reps':>5} {'wall s':>8} {'rep/s':>6} {'median':>7} {'p95':>7} {'max':>7}"
    )
    for mode, count, run in rows:
        print(
            f"{mode:12} {count:7d} {run.planned:5d} {run.wall_seconds:8.1f} "
            f"{run.planned / run.wall_seconds:6.2f} {run.rep_seconds_median or 0:7.2f} "
            f"{run.rep_seconds_p95 or 0:7.2f} {run.rep_seconds_max or 0:7.2f}"
        )
    rq = {count: run for mode, count, run in rows if mode == "rq"}
    if 1 in rq and 2 in rq:
        print(f"2 RQ workers vs 1: {rq[1].wall_seconds / rq[2].wall_seconds:.2f}x")
    _quality(database_url, monday, values, args)


def _run(argv: list[str], env: dict, **kwargs) -> str:
    out = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, **kwargs)
    if out.returncode not in (0, 1):  # 1: some reps failed, which the summary reports
        sys.exit(f"{' '.join(argv[3:])} failed:\n{out.stdout}\n{out.stderr}")
    return out.stdout


def _engine(database_url: str):
    from fieldapp.db import make_engine

    return make_engine(database_url)


def _latest_run(database_url: str):
    from sqlmodel import Session, select

    from fieldapp.models import PlanRun

    with Session(_engine(database_url)) as session:
        return session.exec(select(PlanRun).order_by(PlanRun.id.desc())).first()


def _timed(database_url: str, argv: list[str], env: dict):
    output = _run(argv, env)
    print("\n".join(line for line in output.splitlines() if not line.startswith("[")))
    return _latest_run(database_url)


def _plan_values(database_url: str, day: date) -> dict[int, float]:
    from sqlmodel import Session, select

    from fieldapp.models import DayPlan

    with Session(_engine(database_url)) as session:
        plans = session.exec(select(DayPlan).where(DayPlan.plan_date == day))
        return {plan.rep_id: plan.total_value for plan in plans}


def _with_rq_workers(database_url: str, generate: list[str], env: dict, redis_url: str, count: int):
    """The same run through RQ with `count` workers listening (started and warmed before the clock)."""
    from redis import Redis
    from redis.exceptions import RedisError
    from rq import Queue, Worker

    connection = Redis.from_url(redis_url, socket_connect_timeout=3)
    try:
        connection.ping()
    except RedisError as error:
        print(f"RQ runs skipped: Redis at {redis_url} does not answer ({error}).")
        return None
    name = f"bench-plans-{uuid.uuid4().hex[:8]}"
    queue = Queue(name, connection=connection)
    workers = [
        subprocess.Popen(
            [*CLI, "worker", "--queue-name", name],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        for _ in range(count)
    ]
    try:
        deadline = time.monotonic() + 180
        while Worker.count(queue=queue) < count and time.monotonic() < deadline:
            time.sleep(0.5)
        return _timed(database_url, [*generate, "--queue", "--queue-name", name], env)
    finally:
        for worker in workers:
            worker.terminate()
        for worker in workers:
            worker.wait(timeout=60)
        queue.delete(delete_jobs=True)
        connection.srem("rq:queues", queue.key)


def _quality(database_url: str, day: date, values: dict[int, float], args) -> None:
    """Value gap of the in-process plans against longer plans of the same reps (read-only)."""
    from sqlmodel import Session

    import planner
    from fieldapp import create_app
    from fieldapp.models import User
    from fieldapp.services.day import planning
    from fieldapp.services.planning_settings import settings_for

    app = create_app(
        {
            "ENV": "development",
            "SECRET_KEY": "scale-bench-secret-key-0123456789",
            "DATABASE_URL": database_url,
        }
    )
    sample = sorted(random.Random(1).sample(sorted(values), min(args.quality_sample, len(values))))
    gaps = []
    planner.warm_up()
    with app.test_request_context(), Session(_engine(database_url)) as session:
        options = planning.planner_options(app.config, time_limit=args.quality_seconds)
        for rep_id in sample:
            rep = session.get(User, rep_id)
            pool = planning.select_candidates(session, rep=rep, day=day)
            result = planner.plan_day(
                planning.build_request(settings_for(session, rep), pool.candidates), options
            )
            reference = round(sum(s.value for s in result.routes[0].stops), 2)
            gaps.append(100 * (reference - values[rep_id]) / reference if reference > 0 else 0.0)
    if gaps:
        print(
            f"quality on {len(gaps)} reps vs a {args.quality_seconds:g} s plan: value gap median "
            f"{statistics.median(gaps):.2f} %, max {max(gaps):.2f} %, "
            f"{sum(g <= 1.0 for g in gaps)} of {len(gaps)} within 1 %"
        )


if __name__ == "__main__":
    main()
