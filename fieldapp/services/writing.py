"""Taking the database's write lock before reading what a write depends on."""

from __future__ import annotations

from sqlmodel import Session


def begin_write(session: Session) -> None:
    """Open the outer transaction now on SQLite, taking the write lock.

    pysqlite begins transactions lazily: a SAVEPOINT issued outside one becomes the outermost
    transaction and its RELEASE commits, which would split a visit from its orders. BEGIN IMMEDIATE
    also makes a concurrent writer wait here, then read what the first one wrote, instead of acting on
    what it read before. (PostgreSQL locks the rows themselves: `refresh(..., with_for_update=True)`.)
    """
    connection = session.connection()
    if connection.dialect.name != "sqlite":
        return
    raw = connection.connection.dbapi_connection
    if raw is not None and not raw.in_transaction:
        connection.exec_driver_sql("BEGIN IMMEDIATE")
