"""App factory and configuration."""

from __future__ import annotations

import pytest

from fieldapp import create_app
from fieldapp.config import UnsafeConfigError, from_environment


def test_production_refuses_missing_secret(tmp_path):
    with pytest.raises(UnsafeConfigError):
        create_app({"ENV": "production", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})


@pytest.mark.parametrize("secret", ["dev", "change-me", "short"])
def test_production_refuses_weak_secret(tmp_path, secret):
    with pytest.raises(UnsafeConfigError):
        create_app(
            {
                "ENV": "production",
                "SECRET_KEY": secret,
                "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
            }
        )


def test_production_with_real_secret_sets_secure_cookies(tmp_path):
    app = create_app(
        {
            "ENV": "production",
            "SECRET_KEY": "x" * 40,
            "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3",
        }
    )
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"


def test_development_generates_and_keeps_instance_secret(tmp_path, monkeypatch):
    monkeypatch.delenv("FIELDAPP_SECRET_KEY", raising=False)
    first = create_app({"ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    second = create_app({"ENV": "development", "DATABASE_URL": f"sqlite:///{tmp_path}/x.sqlite3"})
    assert len(first.config["SECRET_KEY"]) >= 32
    assert first.config["SECRET_KEY"] == second.config["SECRET_KEY"]


def test_environment_variables_are_read():
    found = from_environment(
        {"FIELDAPP_DATABASE_URL": "sqlite:///a", "FIELDAPP_REDIS_URL": "redis://x", "OTHER": "1"}
    )
    assert found == {"DATABASE_URL": "sqlite:///a", "REDIS_URL": "redis://x"}


def test_database_connection_settings(app):
    """SQLite gets WAL, foreign keys and a busy timeout; PostgreSQL goes through psycopg 3."""
    from fieldapp.db import get_engine

    engine = get_engine(app)
    if engine.dialect.name == "sqlite":
        with engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
            assert conn.exec_driver_sql("PRAGMA busy_timeout").scalar() == 15000
    else:
        assert engine.dialect.name == "postgresql"
        assert engine.dialect.driver == "psycopg"
        with engine.connect() as conn:
            assert conn.exec_driver_sql("SHOW TIME ZONE").scalar()  # reachable


def test_postgresql_url_without_driver_uses_psycopg():
    from fieldapp.db import make_engine

    engine = make_engine("postgresql://user@127.0.0.1:1/none")
    assert engine.dialect.driver == "psycopg"


def test_security_headers(client):
    response = client.get("/login")
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["X-Frame-Options"] == "DENY"


def test_no_external_assets_in_pages(client):
    html = client.get("/login").get_data(as_text=True)
    for marker in ('src="http', "src='http", 'href="http', "//cdn"):
        assert marker not in html
