"""Sign-in limits: failures only, per address and per account, client addresses from trusted proxies only,
and a Redis outage that limits in memory instead of failing."""

from __future__ import annotations

import pytest

from fieldapp import create_app
from fieldapp.extensions import limiter
from fieldapp.proxies import parse_trusted
from tests.conftest import login


@pytest.fixture
def limited_app(database_url, engine, tmp_path):
    """An app whose sign-ins are limited to 3 failures a minute (each app has its own fresh counts)."""

    def make(**config):
        app = create_app(
            {
                "ENV": "test",
                "SECRET_KEY": "test-secret-key-not-for-production",
                "DATABASE_URL": database_url,
                "LOGIN_RATE_LIMIT": "3 per minute",
                **config,
            }
        )
        made.append(app)
        return app

    made: list = []
    yield make
    for app in made:
        app.extensions["fieldapp.engine"].dispose()
    limiter.enabled = False


def client_at(app, address: str, forwarded: str | None = None):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    if forwarded:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded
    return client


def test_successful_sign_ins_are_not_counted(limited_app, make_user):
    app = limited_app()
    user = make_user()
    client = client_at(app, "10.0.0.1")
    for _ in range(6):
        assert login(client, user.email).status_code == 302
        client.delete_cookie("session")


def test_failures_are_limited_per_address(limited_app, make_user):
    app = limited_app()
    users = [make_user() for _ in range(4)]
    client = client_at(app, "10.0.0.2")
    statuses = [login(client, u.email, password="wrong").status_code for u in users]
    assert statuses == [200, 200, 200, 429]
    # Another address is not affected.
    assert login(client_at(app, "10.0.0.3"), users[0].email).status_code == 302


def test_failures_are_limited_per_account_across_addresses(limited_app, make_user):
    app = limited_app()
    user = make_user()
    statuses = [
        login(client_at(app, f"10.0.1.{n}"), user.email, password="wrong").status_code
        for n in range(4)
    ]
    assert statuses == [200, 200, 200, 429]
    # The same address may still try another account.
    other = make_user()
    assert login(client_at(app, "10.0.1.0"), other.email).status_code == 302


def test_forwarded_for_is_ignored_without_trusted_proxies(limited_app, make_user):
    app = limited_app()
    users = [make_user() for _ in range(4)]
    statuses = [
        login(client_at(app, "10.0.2.1", forwarded=f"198.51.100.{n}"), u.email, "wrong").status_code
        for n, u in enumerate(users)
    ]
    assert statuses[-1] == 429  # a forged header does not give a fresh address


def test_behind_a_trusted_proxy_each_client_has_its_own_count(limited_app, make_user):
    app = limited_app(TRUSTED_PROXIES="1")
    users = [make_user() for _ in range(4)]
    proxy = "10.0.3.1"
    statuses = [
        login(client_at(app, proxy, forwarded=f"198.51.100.{n}"), u.email, "wrong").status_code
        for n, u in enumerate(users)
    ]
    assert statuses == [200, 200, 200, 200]  # four people behind one proxy: nobody locked out
    same = [
        login(client_at(app, proxy, forwarded="198.51.100.50"), u.email, "wrong").status_code
        for u in users
    ]
    assert same[-1] == 429


def test_a_list_of_trusted_proxies(limited_app, make_user):
    app = limited_app(TRUSTED_PROXIES="10.0.4.0/24, 192.0.2.7")
    users = [make_user() for _ in range(4)]
    trusted = [
        login(client_at(app, "10.0.4.9", forwarded=f"198.51.100.{n}"), u.email, "wrong").status_code
        for n, u in enumerate(users)
    ]
    assert 429 not in trusted
    # The same header from an address not in the list is not believed.
    untrusted = [
        login(client_at(app, "203.0.113.5", forwarded=f"198.51.100.{n}"), u.email, "w").status_code
        for n, u in enumerate(users)
    ]
    assert untrusted[-1] == 429


def test_parse_trusted():
    assert parse_trusted(None) is None
    assert parse_trusted("") is None
    assert parse_trusted("0") is None
    assert parse_trusted("2") == 2
    assert [str(n) for n in parse_trusted("10.0.0.0/8, ::1")] == ["10.0.0.0/8", "::1/128"]
    with pytest.raises(ValueError):
        parse_trusted("not-an-address")


def test_redis_down_limits_in_memory_instead_of_failing(limited_app, make_user):
    # Nothing listens on port 1: every Redis call fails.
    app = limited_app(REDIS_URL="redis://127.0.0.1:1/0")
    assert app.config["RATELIMIT_STORAGE_URI"] == "redis://127.0.0.1:1/0"
    user = make_user()
    client = client_at(app, "10.0.5.1")
    statuses = [login(client, user.email, password="wrong").status_code for _ in range(5)]
    assert 500 not in statuses
    assert statuses[0] == 200 and statuses[-1] == 429  # still limited, per process
    assert login(client_at(app, "10.0.5.2"), make_user().email).status_code == 302


def test_counts_do_not_leak_between_apps(limited_app, make_user):
    """What made test_auth's rate-limit test depend on the order: an app created with limits off (as the
    test fixture does) kept the previous app's store, counts included."""
    first = limited_app()
    user = make_user()
    for _ in range(3):
        login(client_at(first, "10.0.6.1"), user.email, password="wrong")
    second = limited_app(RATELIMIT_ENABLED=False)
    limiter.enabled = True  # what test_auth does to switch the limits on for one test
    assert login(client_at(second, "10.0.6.1"), user.email).status_code == 302
