"""Plans searched in a helper process, so a running plan never stalls the other requests of a web worker.

A gunicorn worker serves several requests at once on threads of one Python process. The planner's
compiled loops release the GIL, but its Python parts (compiling the request, the search's bookkeeping,
OR-Tools' check of every route) do not: measured with `python bench/plan_stall.py`, a 3 ms request took
3.8× longer at p95 while plans ran in its worker. With a plan process the request thread only waits for
the answer (waiting releases the GIL) and the search runs on another core.

Each web worker owns one plan process (`start`, from gunicorn's `post_worker_init`): it is spawned, not
forked, so it shares no database connection or thread with the worker, and it loads the planner before
the first plan. Plans of one worker are searched one after the other there; with one web worker per core
that is as many searches at once as the machine has cores. Without `start` (the development server,
tests, commands) plans run in the calling thread, exactly as before.

Only plain planner calls are sent: the function and its arguments are pickled (the planner's requests
and plans are frozen dataclasses of tuples), nothing of the app or the database.
"""

from __future__ import annotations

import logging
import multiprocessing
import threading
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from typing import Any, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

_lock = threading.Lock()
_pool: ProcessPoolExecutor | None = None
_warm_up: Callable[[], None] | None = None


def start(warm_up: Callable[[], None]) -> None:
    """Start this process's plan process and wait until `warm_up` has loaded the planner in it."""
    global _warm_up
    with _lock:
        _warm_up = warm_up
        _open()


def stop() -> None:
    """Stop the plan process; later plans run in the calling thread."""
    global _pool, _warm_up
    with _lock:
        pool, _pool, _warm_up = _pool, None, None
    if pool is not None:
        pool.shutdown(wait=True, cancel_futures=True)


def running() -> bool:
    return _pool is not None


def call(function: Callable[..., T], *args: Any, **kwargs: Any) -> T:
    """`function(*args, **kwargs)` in the plan process when one is running, else right here.

    A plan process that died (killed, out of memory) is replaced once and the plan searched again;
    if that fails too, the plan is searched in the calling thread rather than not at all.
    """
    for attempt in range(2):
        pool = _pool
        if pool is None:
            break
        try:
            return pool.submit(function, *args, **kwargs).result()
        except BrokenProcessPool:
            if attempt:
                log.exception("the plan process stopped again; planning in the request thread")
                break
            log.warning("the plan process stopped; starting a new one")
            _replace(pool)
    return function(*args, **kwargs)


def _replace(broken: ProcessPoolExecutor) -> None:
    """A new plan process for a broken one (unless another thread has replaced it already)."""
    global _pool
    with _lock:
        if _pool is not broken:
            return
        try:
            _open()
        except BrokenProcessPool:
            log.exception("a new plan process did not start; planning in the request threads")
            _pool = None


def _open() -> None:
    """A fresh pool of one process, warmed up (the caller holds the lock)."""
    global _pool
    old, _pool = _pool, None
    if old is not None:
        old.shutdown(wait=False, cancel_futures=True)
    pool = ProcessPoolExecutor(
        max_workers=1,
        mp_context=multiprocessing.get_context("spawn"),
        initializer=_lower_priority,
    )
    if _warm_up is not None:
        pool.submit(_warm_up).result()
    _pool = pool


# How much the plan process yields the processor to the web workers (os.nice). A search has a time
# limit, not an amount of work: on an idle machine it loses nothing; when every core is busy the page
# requests (each a few milliseconds, many of them) go first and the search makes fewer iterations in
# its time instead of stretching every other rep's page (README, Production: "Plans run outside the
# request threads").
PLAN_NICENESS = 5


def _lower_priority() -> None:
    import os

    os.nice(PLAN_NICENESS)


def pid() -> int | None:
    """The plan process's id (tests stop it to see a plan survive that)."""
    pool = _pool
    if pool is None:
        return None
    return pool.submit(_own_pid).result()


def _own_pid() -> int:
    import os

    return os.getpid()
