"""Configuration: safe defaults, then FIELDAPP_* environment variables, then an explicit mapping."""

from __future__ import annotations

import os
import secrets
from pathlib import Path
from typing import Any

# Keys that may be set from the environment as FIELDAPP_<KEY>.
ENV_KEYS = (
    "ENV",
    "SECRET_KEY",
    "DATABASE_URL",
    "REDIS_URL",
    "OSRM_URL",
    "NOMINATIM_DOMAIN",
    "NOMINATIM_SCHEME",
    "NOMINATIM_USER_AGENT",
    "NOMINATIM_MIN_DELAY",
    "NOMINATIM_TIMEOUT",
    "TILE_URL",
    "DEFAULT_TIMEZONE",
    "LOGIN_RATE_LIMIT",
    "API_RATE_LIMIT",
    "PLANNER_TIME_LIMIT",
    "PLANNER_PHONE_TIME_LIMIT",
    "PLANS_QUEUE",
    "TRUSTED_PROXIES",
)

DEV_ENVIRONMENTS = {"development", "test"}
UNSAFE_SECRETS = {"", "dev", "change-me", "secret", "changeme"}


class UnsafeConfigError(RuntimeError):
    """Raised when the app would start in production with an unsafe setting."""


def default_config(instance_path: str) -> dict[str, Any]:
    """Defaults for the embedded single-machine setup (SQLite in the instance folder)."""
    db_file = Path(instance_path) / "fieldapp.sqlite3"
    return {
        "ENV": "production",
        "SECRET_KEY": None,
        "DATABASE_URL": f"sqlite:///{db_file}",
        "REDIS_URL": None,
        "OSRM_URL": None,
        "NOMINATIM_DOMAIN": None,
        "NOMINATIM_SCHEME": "https",
        "NOMINATIM_USER_AGENT": "field-companion",
        # Nominatim's public usage policy allows one request a second; a self-hosted server may allow more.
        "NOMINATIM_MIN_DELAY": 1.0,
        "NOMINATIM_TIMEOUT": 5.0,
        # No tile server by default: maps still show stops and order without one.
        "TILE_URL": None,
        "DEFAULT_TIMEZONE": "Asia/Tokyo",
        "LOGIN_RATE_LIMIT": "10 per minute",
        # per API token (or signed-in user): an integration syncing in bulk, not a scraper
        "API_RATE_LIMIT": "300 per minute",
        # Seconds the planner searches for one rep's day in the nightly run (`plans generate`).
        "PLANNER_TIME_LIMIT": 1.0,
        # ... and while a phone waits ("Plan my day", re-plan, nearby): the realistic days of
        # `python -m planner.bench days` reach the 30 s plan at 0.5 s (README, Planner), so the tap
        # gets its page within a second.
        "PLANNER_PHONE_TIME_LIMIT": 0.5,
        # When set, the planner stops after this many iterations instead (repeatable plans in tests).
        "PLANNER_ITERATIONS": None,
        # `plans generate` enqueues RQ jobs (on FIELDAPP_REDIS_URL) unless told --in-process.
        "PLANS_QUEUE": False,
        "LANGUAGES": ("ja", "en"),
        "BABEL_DEFAULT_LOCALE": "ja",
        "WTF_CSRF_TIME_LIMIT": None,
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "MAX_CONTENT_LENGTH": 16 * 1024 * 1024,
        "RATELIMIT_STORAGE_URI": "memory://",
        # Redis down: sign-ins are still limited, per process, instead of failing with a 500.
        "RATELIMIT_SWALLOW_ERRORS": True,
        "RATELIMIT_IN_MEMORY_FALLBACK_ENABLED": True,
        # Reverse proxies whose X-Forwarded-For is believed: a count or a list of addresses (fieldapp/proxies.py).
        "TRUSTED_PROXIES": None,
    }


def from_environment(environ: os._Environ[str] | dict[str, str] | None = None) -> dict[str, str]:
    """Read FIELDAPP_* variables into config keys."""
    environ = os.environ if environ is None else environ
    found = {}
    for key in ENV_KEYS:
        value = environ.get(f"FIELDAPP_{key}")
        if value is not None:
            found[key] = value
    return found


def finalize(config: dict[str, Any], instance_path: str) -> None:
    """Derive dependent settings and refuse unsafe production settings."""
    env = config["ENV"]
    secret = config.get("SECRET_KEY")
    if env in DEV_ENVIRONMENTS:
        if not secret:
            config["SECRET_KEY"] = _instance_secret(instance_path)
    elif not secret or secret in UNSAFE_SECRETS or len(secret) < 16:
        raise UnsafeConfigError(
            "FIELDAPP_SECRET_KEY must be set to a long random value outside development "
            "(for example: python -c 'import secrets; print(secrets.token_hex(32))'), "
            "or set FIELDAPP_ENV=development for a local trial."
        )
    # Cookies only over HTTPS in production; tests and the local demo run over plain HTTP.
    secure = env not in DEV_ENVIRONMENTS
    config["SESSION_COOKIE_SECURE"] = secure
    config["REMEMBER_COOKIE_SECURE"] = secure
    if config.get("REDIS_URL"):
        config["RATELIMIT_STORAGE_URI"] = config["REDIS_URL"]
    config["TESTING"] = config.get("TESTING", env == "test")
    # From the environment this is text: "1", "true", "yes" and "on" mean yes.
    if isinstance(config.get("PLANS_QUEUE"), str):
        config["PLANS_QUEUE"] = config["PLANS_QUEUE"].strip().lower() in {"1", "true", "yes", "on"}


def _instance_secret(instance_path: str) -> str:
    """A random per-install secret for development, kept in the instance folder so logins survive restarts."""
    path = Path(instance_path) / "secret_key"
    if path.exists():
        return path.read_text().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    value = secrets.token_hex(32)
    path.write_text(value)
    path.chmod(0o600)
    return value
