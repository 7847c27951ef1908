"""The load scenario (bench/load.py) for 30 seconds at 50 users, against gunicorn with the production
config, on the suite's database kind (SQLite, or PostgreSQL in a database of its own next to the test
database). Only the correctness checks are asserted — every acknowledged write stored once, refused stale
edits nowhere, no 5xx, no "database is locked" — not the timings: CI machines differ too much."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def load_database_url():
    url = os.environ.get("FIELDAPP_TEST_DATABASE_URL")
    if not url:
        yield None  # the bench makes its own SQLite file
        return
    target = make_url(url)
    name = f"{target.database}_load"
    admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    yield target.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as conn:
        conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


@pytest.mark.load
@pytest.mark.timeout(600)
def test_thirty_seconds_of_fifty_users_lose_and_duplicate_nothing(load_database_url):
    command = [sys.executable, str(ROOT / "bench" / "load.py"), "--duration", "30", "--users", "50"]
    command += ["--port", "8766"]
    if load_database_url:
        command += ["--database-url", load_database_url]
    run = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=580)
    print(run.stdout[-4000:])
    assert run.returncode == 0, run.stdout[-4000:] + run.stderr[-4000:]
    assert "all checks passed" in run.stdout
    assert "visits acknowledged" in run.stdout and " 0 visits acknowledged" not in run.stdout
