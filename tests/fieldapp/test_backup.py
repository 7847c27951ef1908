"""`fieldapp backup` and `fieldapp restore`: the demo, backed up and restored into a fresh database, is the
same table by table and row by row (on SQLite and on PostgreSQL, whichever the suite runs on)."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import create_engine, inspect, select, text
from sqlalchemy.engine import make_url
from sqlmodel import Session, SQLModel

from fieldapp import create_app, demo
from fieldapp.db import make_engine
from fieldapp.services import backup

TODAY = date(2026, 11, 20)


@pytest.fixture
def fresh_database(database_url, tmp_path):
    """The URL of a new, empty database of the same kind as the test database."""
    if database_url.startswith("sqlite"):
        yield "sqlite:///" + str(tmp_path / "restored.sqlite3")
        return
    url = make_url(database_url)
    name = f"{url.database}_restore"
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as connection:
        connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def app_on(url: str):
    return create_app(
        {"ENV": "test", "SECRET_KEY": "test-secret-key-not-for-production", "DATABASE_URL": url}
    )


def every_row(engine) -> dict[str, list[tuple]]:
    """Every table of the app (and Alembic's version), rows ordered by primary key."""
    tables = {t.name: t for t in SQLModel.metadata.sorted_tables}
    found = {}
    with engine.connect() as connection:
        for name in sorted(inspect(engine).get_table_names()):
            if name in tables:
                table = tables[name]
                order = list(table.primary_key.columns) or list(table.columns)
                rows = connection.execute(select(table).order_by(*order)).all()
            else:
                rows = connection.execute(text(f'SELECT * FROM "{name}"')).all()
            found[name] = sorted(tuple(row) for row in rows) if name not in tables else rows
    return {name: [tuple(row) for row in rows] for name, rows in found.items()}


def test_demo_backed_up_and_restored_into_a_fresh_database_is_identical(
    app, runner, fresh_database, tmp_path
):
    engine = app.extensions["fieldapp.engine"]
    with app.app_context(), Session(engine) as session:
        demo.generate(session, customers=60, reps=3, managers=1, teams=2, seed=5, today=TODAY)
        demo.submit_daily_reports(session, today=TODAY, seed=5)
        session.commit()
    path = tmp_path / "backups" / "fieldapp.backup"
    result = runner.invoke(args=["backup", str(path)])
    assert result.exit_code == 0, result.output
    assert path.stat().st_size > 0 and not path.with_name(path.name + ".partial").exists()

    target = app_on(fresh_database)
    try:
        restored = target.test_cli_runner().invoke(args=["restore", str(path)])
        assert restored.exit_code == 0, restored.output
        original, copy = every_row(engine), every_row(target.extensions["fieldapp.engine"])
        assert set(copy) == set(original)
        assert {t.name for t in SQLModel.metadata.sorted_tables} <= set(copy)
        for name in original:
            assert copy[name] == original[name], name
        assert sum(len(rows) for rows in original.values()) > 1000  # the demo, not an empty shell
        # The copy is a working database: a demo user signs in on it.
        client = target.test_client()
        from tests.conftest import login

        assert login(client, "manager1@example.com", password=demo.DEMO_PASSWORD).status_code == 302

        # A second restore onto data is refused without --force, and changes nothing.
        again = target.test_cli_runner().invoke(args=["restore", str(path)])
        assert again.exit_code != 0 and "--force" in again.output
        forced = target.test_cli_runner().invoke(args=["restore", str(path), "--force"])
        assert forced.exit_code == 0, forced.output
        assert every_row(target.extensions["fieldapp.engine"]) == original
    finally:
        target.extensions["fieldapp.engine"].dispose()


def test_restore_refuses_a_file_that_is_not_a_backup(app, runner, tmp_path, make_user):
    make_user()
    bogus = tmp_path / "notes.txt"
    bogus.write_text("hello")
    result = runner.invoke(args=["restore", str(bogus), "--force"])
    assert result.exit_code != 0 and "not a" in result.output
    engine = app.extensions["fieldapp.engine"]
    assert backup.row_count(engine) > 0  # nothing was touched


def test_row_count_of_an_empty_database(tmp_path):
    engine = make_engine("sqlite:///" + str(tmp_path / "empty.sqlite3"))
    assert backup.row_count(engine) == 0
    engine.dispose()
