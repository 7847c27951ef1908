"""Signing in and out, safe redirects, CSRF, rate limiting, roles."""

from __future__ import annotations

import pytest

from fieldapp.urls import safe_redirect_target
from tests.conftest import PASSWORD, csrf_token, login


def test_login_page_renders_in_japanese_by_default(client):
    page = client.get("/login", headers={"Accept-Language": "ja"})
    assert page.status_code == 200
    assert "ログイン" in page.get_data(as_text=True)


def test_login_page_in_english_for_english_browser(client):
    page = client.get("/login", headers={"Accept-Language": "en-US,en;q=0.9"})
    assert "Sign in" in page.get_data(as_text=True)


def test_login_and_logout(client, make_user):
    user = make_user()
    response = login(client, user.email)
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert client.get("/").status_code == 200
    me = client.get("/me").get_data(as_text=True)
    response = client.post("/logout", data={"csrf_token": csrf_token(me)})
    assert response.status_code == 302
    assert client.get("/").status_code == 302  # back to the login page


def test_wrong_password_is_refused(client, make_user):
    user = make_user()
    response = login(client, user.email, password="wrong-password")
    assert response.status_code == 200
    assert client.get("/").status_code == 302


def test_disabled_user_cannot_sign_in(client, make_user, db):
    user = make_user()
    user.active = False
    db.add(user)
    db.commit()
    assert login(client, user.email).status_code == 200


def test_login_without_csrf_token_is_refused(client, make_user):
    user = make_user()
    response = client.post("/login", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert client.get("/").status_code == 302


def test_logout_needs_post_with_csrf(client, make_user, login_as):
    login_as(make_user())
    assert client.get("/logout").status_code == 405
    assert client.post("/logout").status_code == 400
    assert client.get("/").status_code == 200  # still signed in


def test_next_only_follows_same_site_paths(client, make_user):
    user = make_user()
    page = client.get("/login?next=/customers/")
    response = client.post(
        "/login?next=https://evil.example.com/",
        data={
            "email": user.email,
            "password": PASSWORD,
            "csrf_token": csrf_token(page.get_data(as_text=True)),
        },
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target,expected",
    [
        ("/customers/", "/customers/"),
        ("/customers/?q=a", "/customers/?q=a"),
        ("https://evil.example.com/", None),
        ("//evil.example.com/", None),
        ("/\\evil.example.com", None),
        ("javascript:alert(1)", None),
        ("", None),
        ("/\r\nSet-Cookie: x=1", None),
        ("/\t/evil.example.com", None),
        ("/ok\x00", None),
    ],
)
def test_safe_next(target, expected):
    assert safe_redirect_target(target) == expected


def test_pages_require_login(client):
    for path in ("/", "/me", "/customers/", "/team/"):
        response = client.get(path)
        assert response.status_code == 302
        assert "/login" in response.headers["Location"]


def test_rep_cannot_open_manager_pages(client, make_user, login_as):
    login_as(make_user(role="rep"))
    assert client.get("/team/").status_code == 403


def test_login_is_rate_limited(app, make_user):
    app.config["RATELIMIT_ENABLED"] = True
    from fieldapp.extensions import limiter

    limiter.enabled = True
    limiter.reset()
    try:
        client = app.test_client()
        user = make_user()
        statuses = [login(client, user.email, password="wrong").status_code for _ in range(12)]
        assert 429 in statuses
        assert statuses[0] == 200
    finally:
        limiter.reset()
        limiter.enabled = False


def test_session_cookie_is_httponly(client, make_user):
    user = make_user()
    response = login(client, user.email)
    cookie = next(c for c in response.headers.getlist("Set-Cookie") if c.startswith("session="))
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie
