"""With a Redis URL configured, login limits are shared by every web process (Redis storage)."""

from __future__ import annotations

import os

import pytest

from fieldapp import create_app
from tests.conftest import IN_CI, login

REDIS_URL = os.environ.get("FIELDAPP_TEST_REDIS_URL")


@pytest.fixture
def redis_url() -> str:
    if not REDIS_URL:
        if IN_CI:
            pytest.fail("FIELDAPP_TEST_REDIS_URL is not set in CI")
        pytest.skip("set FIELDAPP_TEST_REDIS_URL=redis://127.0.0.1:6379/15 to run the Redis tests")
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.ping()  # fails loudly when Redis is down
    client.flushdb()
    return REDIS_URL


def test_login_limit_is_shared_between_processes(
    redis_url, database_url, engine, make_user, tmp_path
):
    user = make_user()
    config = {
        "ENV": "test",
        "SECRET_KEY": "test-secret-key-not-for-production",
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_url,
        "LOGIN_RATE_LIMIT": "3 per minute",
    }
    from fieldapp.extensions import limiter

    limiter.enabled = True
    try:
        first = create_app(config)
        assert first.config["RATELIMIT_STORAGE_URI"] == redis_url
        second = create_app(config)
        statuses = [
            login(first.test_client(), user.email, password="wrong").status_code for _ in range(3)
        ]
        assert statuses == [200, 200, 200]
        # A different web process (app instance) shares the counter through Redis.
        assert login(second.test_client(), user.email, password="wrong").status_code == 429
    finally:
        limiter.enabled = False
