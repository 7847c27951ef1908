"""Backing up and restoring the whole database: `fieldapp backup PATH` and `fieldapp restore PATH`.

SQLite is copied with its online backup API (a consistent copy while the app keeps running and writing).
PostgreSQL goes through pg_dump's custom format and pg_restore, the tools made for it. A restore replaces
everything; it refuses a database that holds any row unless told `force`, and it refuses a file made from the
other kind of database (the two formats are not interchangeable).
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, func, inspect, select
from sqlalchemy.engine import make_url
from sqlmodel import SQLModel

SQLITE_MAGIC = b"SQLite format 3\x00"
PG_DUMP_MAGIC = b"PGDMP"


class BackupError(RuntimeError):
    """A backup or restore that cannot be done; the message says why (for the operator, in English)."""


@dataclass(frozen=True)
class RestoreResult:
    rows: int  # rows in the app's tables after the restore


def _sqlite_file(engine: Engine) -> Path:
    database = engine.url.database
    if not database or database == ":memory:":
        raise BackupError("An in-memory SQLite database cannot be backed up or restored.")
    return Path(database)


def _libpq_url(engine: Engine) -> str:
    """The URL pg_dump and psql understand (no "+psycopg" driver part), password included."""
    url = make_url(engine.url.render_as_string(hide_password=False)).set(drivername="postgresql")
    return url.render_as_string(hide_password=False)


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(f"{name} is not installed (the PostgreSQL client tools are needed).")
    return path


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {result.stderr.strip()[:2000]}")


def row_count(engine: Engine) -> int:
    """Rows in the app's tables that exist in this database (0 for a new or empty one)."""
    present = set(inspect(engine).get_table_names())
    total = 0
    with engine.connect() as connection:
        for table in SQLModel.metadata.sorted_tables:
            if table.name in present:
                total += connection.execute(select(func.count()).select_from(table)).scalar_one()
    return total


def backup(engine: Engine, target: Path) -> Path:
    """Write a consistent copy of the database to `target` (a new file; an existing one is replaced)."""
    target = Path(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    if engine.dialect.name == "sqlite":
        source = sqlite3.connect(_sqlite_file(engine))
        destination = sqlite3.connect(partial)
        try:
            with destination:
                source.backup(destination)
        finally:
            destination.close()
            source.close()
    elif engine.dialect.name == "postgresql":
        _run(
            [_tool("pg_dump"), "--format=custom", "--no-owner", "--file", str(partial)]
            + [_libpq_url(engine)]
        )
    else:
        raise BackupError(f"Backups of {engine.dialect.name} databases are not supported.")
    # Only a finished copy takes the name: an interrupted backup never looks like a good one.
    partial.replace(target)
    return target


def restore(engine: Engine, source: Path, *, force: bool = False) -> RestoreResult:
    """Replace the database with the backup in `source`."""
    source = Path(source)
    if not source.is_file():
        raise BackupError(f"No backup file at {source}.")
    head = source.read_bytes()[:16] if source.stat().st_size else b""
    kind = engine.dialect.name
    if kind == "sqlite" and not head.startswith(SQLITE_MAGIC):
        raise BackupError(f"{source} is not a SQLite backup (made with `fieldapp backup`).")
    if kind == "postgresql" and not head.startswith(PG_DUMP_MAGIC):
        raise BackupError(f"{source} is not a PostgreSQL backup (pg_dump custom format).")
    existing = row_count(engine)
    if existing and not force:
        raise BackupError(
            f"The database is not empty ({existing} rows). Restoring replaces everything in it; "
            "add --force to do so."
        )
    engine.dispose()
    if kind == "sqlite":
        backup_db = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
        target = sqlite3.connect(_sqlite_file(engine))
        try:
            with target:
                backup_db.backup(target)
        finally:
            target.close()
            backup_db.close()
    elif kind == "postgresql":
        _restore_postgresql(_libpq_url(engine), source)
    else:
        raise BackupError(f"Restoring {kind} databases is not supported.")
    return RestoreResult(rows=row_count(engine))


def _restore_postgresql(url: str, source: Path) -> None:
    """The dump as SQL (pg_restore) into psql in ONE transaction that first empties the schema: the
    database is either the backup exactly or, after any error, untouched."""
    psql = subprocess.Popen(
        [_tool("psql"), "--quiet", "--no-psqlrc", "--single-transaction"]
        + ["--set", "ON_ERROR_STOP=1", "--dbname", url],
        stdin=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    dump = subprocess.Popen(
        [_tool("pg_restore"), "--no-owner", "--file=-", str(source)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    assert psql.stdin is not None and dump.stdout is not None
    try:
        psql.stdin.write(b"DROP SCHEMA public CASCADE;\nCREATE SCHEMA public;\n")
        shutil.copyfileobj(dump.stdout, psql.stdin)
    except BrokenPipeError:
        pass  # psql stopped at an error: its message follows
    finally:
        psql.stdin.close()
    dump_error = dump.stderr.read().decode() if dump.stderr else ""
    psql_error = psql.stderr.read().decode() if psql.stderr else ""
    if dump.wait() != 0:
        psql.wait()
        raise BackupError(f"pg_restore failed: {dump_error.strip()[:2000]}")
    if psql.wait() != 0:
        raise BackupError(f"psql failed, nothing was changed: {psql_error.strip()[:2000]}")
