"""Database engine per app and one SQLModel session per request (kept on `g`, closed at teardown)."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

from flask import Flask, current_app, g
from sqlalchemy import Engine, event
from sqlalchemy import exc as sa_exc
from sqlmodel import Session, create_engine

from . import search_index  # noqa: F401  (fills search_text on every write; hooks the index onto the tables)

T = TypeVar("T")
# What a busy or briefly unreachable database says (SQLite's lock, PostgreSQL restarting or a dropped link);
# a transaction that failed this way left nothing behind and may simply be run again.
TRANSIENT_MARKERS = (
    "database is locked",
    "database table is locked",
    "could not connect",
    "connection refused",
    "server closed the connection",
    "terminating connection",
    "connection reset",
    "the database system is starting up",
    "the database system is shutting down",
)

ENGINE_KEY = "fieldapp.engine"


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite gets WAL, a busy timeout and foreign keys."""
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    engine = create_engine(url)
    event.listen(engine, "checkin", _note_idle_since)
    event.listen(engine, "checkout", _ping_after_idle)
    return engine


# A pooled connection that waited this long may have been dropped (the server restarted, a firewall
# timed it out): it is tried before use. A busy server's connections go back to work within a fraction of a
# second and are not tried at all — SQLAlchemy's pool_pre_ping tried every one, a round trip on every
# request (under 50 users on PostgreSQL about 5 % of the workers' busy time went to it). A connection that
# breaks in use all the same is caught as a disconnect: the pool then replaces every connection of its
# age, writes are retried (commit_with_retries) and a page says "try again" (errors.py, 503).
PING_AFTER_IDLE_SECONDS = 2.0


def _note_idle_since(_dbapi_connection: Any, record: Any) -> None:
    record.info["idle_since"] = time.monotonic()


def _ping_after_idle(dbapi_connection: Any, record: Any, _proxy: Any) -> None:
    idle_since = record.info.get("idle_since")
    if idle_since is None or time.monotonic() - idle_since < PING_AFTER_IDLE_SECONDS:
        return
    try:
        cursor = dbapi_connection.cursor()
        try:
            cursor.execute("SELECT 1")
        finally:
            cursor.close()
    except Exception as error:
        # The pool discards this connection and checks out another (SQLAlchemy's documented way).
        raise sa_exc.DisconnectionError(str(error)) from error


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=15000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def init_app(app: Flask) -> None:
    """Attach an engine to the app and close the request session at teardown."""
    app.extensions[ENGINE_KEY] = make_engine(app.config["DATABASE_URL"])
    app.teardown_appcontext(close_session)


def get_engine(app: Flask | None = None) -> Engine:
    return (app or current_app).extensions[ENGINE_KEY]


def get_session() -> Session:
    """The request's session, created on first use."""
    if "db_session" not in g:
        g.db_session = Session(get_engine(), expire_on_commit=False)
    return g.db_session


def close_session(exc: BaseException | None = None) -> None:
    session = g.pop("db_session", None)
    if session is not None:
        if exc is not None:
            session.rollback()
        session.close()


def is_transient(error: BaseException) -> bool:
    """Whether a database error is a busy or briefly missing database (worth a retry), not a bug."""
    if not isinstance(error, sa_exc.DBAPIError):
        return False
    if error.connection_invalidated:
        return True
    if isinstance(error, sa_exc.OperationalError | sa_exc.InterfaceError):
        message = str(error.orig or error).lower()
        return any(marker in message for marker in TRANSIENT_MARKERS)
    return False


def commit_with_retries(
    session: Session, work: Callable[[], T], *, attempts: int = 3, pause: float = 0.2
) -> T:
    """`work()` then commit; when the database was busy or briefly gone, roll back and run it all again
    (safe: the failed attempt was rolled back whole). The last failure is raised for the error page."""
    for attempt in range(1, attempts + 1):
        try:
            result = work()
            session.commit()
            return result
        except sa_exc.DBAPIError as error:
            session.rollback()
            if attempt == attempts or not is_transient(error):
                raise
            time.sleep(pause * attempt)
    raise AssertionError("unreachable")  # the loop returns or raises


@contextmanager
def session_scope(app: Flask | None = None) -> Iterator[Session]:
    """A unit of work outside a request (CLI, jobs): commit on success, roll back on error."""
    with Session(get_engine(app), expire_on_commit=False) as session:
        try:
            yield session
            session.commit()
        except BaseException:
            session.rollback()
            raise
