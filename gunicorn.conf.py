"""gunicorn settings for production: `gunicorn -c gunicorn.conf.py wsgi:app` (behind a reverse proxy).

Every worker loads the day planner (on a fresh machine: compiles it) before it takes its first request,
so no rep's "Plan my day" waits for that, nor runs into the worker timeout.
"""

from __future__ import annotations

import os
import sys
import time

bind = os.environ.get("FIELDAPP_BIND", "127.0.0.1:8000")
# Threads of one process share its GIL, so a long page render slows the pages next to it; more
# processes let the OS share the cores instead — unless the database server shares them too. Measured on
# 2 cores with `python bench/load.py` (50 users, p95 once all had signed in): SQLite 2 workers × 4
# threads 287 ms, 4 × 4 212 ms, 6 × 2 224 ms; PostgreSQL on the same machine 2 × 4 373 ms, 4 × 4 561 ms
# (its own processes need the cores). Each worker has its own plan process (fieldapp/plan_process.py),
# so up to this many plans are searched at once.
_embedded = os.environ.get("FIELDAPP_DATABASE_URL", "sqlite").startswith("sqlite")
workers = int(os.environ.get("WEB_CONCURRENCY", "4" if _embedded else "2"))
worker_class = "gthread"
threads = int(os.environ.get("FIELDAPP_THREADS", "4"))
# A plan takes its time limit (1 s by default) plus the database work; 60 s leaves room for slow disks.
timeout = 60
# Each worker imports the app itself after the fork: no database connection is shared between processes.
preload_app = False
accesslog = "-"
loglevel = os.environ.get("FIELDAPP_LOG_LEVEL", "info")


# Each worker searches its plans in a plan process of its own (fieldapp/plan_process.py), so a running
# plan never stalls the worker's other requests; FIELDAPP_PLAN_PROCESS=0 searches in the request thread.
plan_process = os.environ.get("FIELDAPP_PLAN_PROCESS", "1").lower() not in {
    "0",
    "false",
    "no",
    "off",
}


def post_worker_init(worker) -> None:
    """Load the planner (in the worker's plan process, or in the worker) before it accepts a request."""
    # A request's Python parts hold the GIL: hand it over every millisecond instead of every 5 so a
    # short request of another thread waits less meanwhile.
    sys.setswitchinterval(0.001)
    started = time.perf_counter()
    if plan_process:
        from fieldapp.services.day import planning

        planning.plan_in_own_process()
        where = "its plan process"
    else:
        import planner

        planner.warm_up()
        where = "the worker itself"
    worker.log.info(
        "planner ready in worker %s (%s) after %.1f s",
        worker.pid,
        where,
        time.perf_counter() - started,
    )


def worker_exit(server, worker) -> None:
    """Stop the worker's plan process with it."""
    from fieldapp import plan_process as process

    process.stop()


def pre_request(worker, req) -> None:
    """Say for each plan request whether the planner was already loaded (it always should be)."""
    if req.path.endswith(("/plan", "/replan")):
        import planner
        from fieldapp import plan_process as process

        # The plan process is warmed before it is running(); else warm_up() is cached once it has run
        # in this process: a hit means nothing is loaded in the request.
        if process.running():
            state = "warm (plan process)"
        else:
            state = "warm" if planner.warm_up.cache_info().currsize else "cold"
        worker.log.info(
            "planner %s for %s %s in worker %s", state, req.method, req.path, worker.pid
        )
