"""Commands: the same under `fieldapp` and `flask --app wsgi`; users create; db check."""

from __future__ import annotations

import os
import subprocess
import sys

from sqlmodel import select

from fieldapp.models import Team, User


def test_users_create_makes_team_and_user(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "Boss@Example.com",
            "--name",
            "部長",
            "--role",
            "manager",
            "--team",
            "大阪営業所",
            "--timezone",
            "Asia/Tokyo",
            "--password",
            "a-long-password",
        ],
    )
    assert result.exit_code == 0, result.output
    user = db.exec(select(User).where(User.email == "boss@example.com")).one()
    team = db.get(Team, user.team_id)
    assert team.name == "大阪営業所" and user.role == "manager"


def test_users_create_refuses_short_password(runner, db):
    result = runner.invoke(
        args=[
            "users",
            "create",
            "--email",
            "x@example.com",
            "--name",
            "X",
            "--team",
            "T",
            "--password",
            "short",
        ],
    )
    assert result.exit_code != 0
    assert "8" in result.output
    assert db.exec(select(User)).first() is None
    assert db.exec(select(Team)).first() is None  # all or nothing: no half-created team


def test_db_check_passes(runner):
    result = runner.invoke(args=["db", "check"])
    assert result.exit_code == 0, result.output


def test_commands_available_under_both_entry_points(tmp_path):
    env = {
        **os.environ,
        "FIELDAPP_ENV": "development",
        "FIELDAPP_DATABASE_URL": f"sqlite:///{tmp_path}/c.sqlite3",
    }
    for argv in (
        [sys.executable, "-m", "flask", "--app", "wsgi", "--help"],
        [os.path.join(os.path.dirname(sys.executable), "fieldapp"), "--help"],
    ):
        out = subprocess.run(
            argv, capture_output=True, text=True, env=env, cwd=tmp_path.parent, check=False
        )
        if "wsgi" in argv:
            out = subprocess.run(
                argv, capture_output=True, text=True, env=env, cwd=_repo_root(), check=False
            )
        assert out.returncode == 0, out.stderr
        for command in ("demo", "seed", "db", "users", "serve"):
            assert command in out.stdout


def _repo_root() -> str:
    return os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def test_fieldapp_demo_serves_the_app(tmp_path):
    """The README's first command: migrate, load the demo data, print logins, and really serve."""
    import socket
    import time
    import urllib.request

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    env = {**os.environ, "FIELDAPP_DATABASE_URL": f"sqlite:///{tmp_path}/demo.sqlite3"}
    env.pop("FIELDAPP_ENV", None)
    fieldapp = os.path.join(os.path.dirname(sys.executable), "fieldapp")
    process = subprocess.Popen(
        [fieldapp, "demo", "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env=env,
    )
    try:
        body = ""
        for _ in range(120):  # bounded wait for start-up (demo data first)
            try:
                with urllib.request.urlopen(
                    f"http://127.0.0.1:{port}/login", timeout=2
                ) as response:
                    body = response.read().decode()
                    break
            except OSError:
                if process.poll() is not None:
                    break
                time.sleep(0.5)
        assert "csrf_token" in body, (
            process.stdout.read() if process.poll() is not None else "no answer"
        )
    finally:
        process.terminate()
        output = process.communicate(timeout=10)[0]
    assert "rep1@example.com" in output and "manager1@example.com" in output
