"""Sessions that end (logout, password change, reset, disabling) even for a copied cookie; passwords changed,
reset and set from the command line; hashes upgraded at sign-in; who may manage whom."""

from __future__ import annotations

import pytest
from sqlmodel import select
from werkzeug.security import generate_password_hash

from fieldapp.models import AuditEvent, Role, User
from fieldapp.services import users
from tests.conftest import PASSWORD, csrf_token, login

NEW_PASSWORD = "a-new-Password-2026"


def copy_cookies(source, target, *names: str) -> None:
    """Put `source`'s cookies into another browser (what a thief with a copied cookie does)."""
    for name in names:
        cookie = source.get_cookie(name)
        assert cookie is not None, f"no {name} cookie"
        target.set_cookie(name, cookie.value)


def post_form(client, page: str, action: str, **data):
    token = csrf_token(client.get(page).get_data(as_text=True))
    return client.post(action, data={"csrf_token": token, **data})


def fresh(db, user: User) -> User:
    db.expire_all()
    return db.get(User, user.id)


def test_logout_ends_a_copied_session_cookie(app, client, make_user):
    user = make_user()
    assert login(client, user.email).status_code == 302
    thief = app.test_client()
    copy_cookies(client, thief, "session")
    assert thief.get("/").status_code == 200
    assert post_form(client, "/me", "/logout").status_code == 302
    assert thief.get("/").status_code == 302  # the copy is signed out too
    assert "/login" in thief.get("/").headers["Location"]


def test_logout_ends_the_remember_me_cookie(app, client, make_user):
    user = make_user()
    assert login(client, user.email, remember="y").status_code == 302
    thief = app.test_client()
    copy_cookies(client, thief, "remember_token")  # only the year-long cookie, no session
    assert thief.get("/").status_code == 200
    stolen = client.get_cookie("remember_token").value
    post_form(client, "/me", "/logout")
    assert thief.get("/").status_code == 302
    fresh_thief = app.test_client()  # the year-long cookie alone, in yet another browser
    fresh_thief.set_cookie("remember_token", stolen)
    assert fresh_thief.get("/").status_code == 302


def test_a_session_id_without_the_current_version_loads_nobody(app, db, make_user):
    user = make_user()
    assert users.load_signed_in(db, f"{user.id}:{user.session_version}").user.id == user.id
    for stale in (str(user.id), f"{user.id}:{user.session_version + 1}", f"{user.id}:x", "", ":"):
        assert users.load_signed_in(db, stale) is None
    assert users.load_signed_in(db, f"{2**70}:1") is None


def test_password_change_needs_the_current_one_and_a_strong_new_one(app, client, make_user, db):
    user = make_user(language="en")
    login(client, user.email)
    wrong = post_form(
        client,
        "/me/password",
        "/me/password",
        current_password="not-it",
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert wrong.status_code == 200
    assert "The current password is not correct." in wrong.get_data(as_text=True)
    weak = post_form(
        client,
        "/me/password",
        "/me/password",
        current_password=PASSWORD,
        new_password="short",
        confirm_password="short",
    )
    assert "at least 10 characters" in weak.get_data(as_text=True)
    own_email = user.email.split("@")[0] + "-abc-123"
    named = post_form(
        client,
        "/me/password",
        "/me/password",
        current_password=PASSWORD,
        new_password=own_email,
        confirm_password=own_email,
    )
    assert "must not contain your email address" in named.get_data(as_text=True)
    assert users.authenticate(db, email=user.email, password=PASSWORD) is not None  # unchanged


def test_strength_message_in_japanese(app, client, make_user):
    user = make_user(language="ja")
    login(client, user.email)
    weak = post_form(
        client,
        "/me/password",
        "/me/password",
        current_password=PASSWORD,
        new_password="aaaaaaaaaaaa",
        confirm_password="aaaaaaaaaaaa",
    )
    assert "異なる文字" in weak.get_data(as_text=True)


def test_password_change_ends_other_sessions_but_keeps_this_one(app, client, make_user, db):
    user = make_user()
    login(client, user.email)
    other_device = app.test_client()
    login(other_device, user.email)
    response = post_form(
        client,
        "/me/password",
        "/me/password",
        current_password=PASSWORD,
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert other_device.get("/").status_code == 302
    assert login(app.test_client(), user.email, password=NEW_PASSWORD).status_code == 302
    assert login(app.test_client(), user.email, password=PASSWORD).status_code == 200
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "password")).all()
    assert [e.entity_id for e in events] == [user.id]


def test_manager_reset_ends_sessions_and_forces_a_new_password(
    app, client, make_people, db, login_as
):
    people = make_people()
    rep = people["rep"]
    rep_client = app.test_client()
    login(rep_client, rep.email)
    login_as(people["manager"])
    response = post_form(
        client, "/team/", f"/team/members/{rep.id}/password", password="temporary-1"
    )
    assert response.status_code == 302
    assert rep_client.get("/").status_code == 302  # the rep's session ended
    assert fresh(db, rep).must_change_password
    # Signing in with the temporary password leads every page to the change form.
    assert login(rep_client, rep.email, password="temporary-1").status_code == 302
    for path in ("/", "/customers/", "/me"):
        page = rep_client.get(path)
        assert page.status_code == 302 and page.headers["Location"].endswith("/me/password")
    assert rep_client.get("/me/password").status_code == 200
    done = post_form(
        rep_client,
        "/me/password",
        "/me/password",
        new_password=NEW_PASSWORD,
        confirm_password=NEW_PASSWORD,
    )
    assert done.status_code == 302
    assert rep_client.get("/customers/").status_code == 200
    assert not fresh(db, rep).must_change_password


def test_a_rep_cannot_reset_anyone(client, make_people, login_as, db):
    people = make_people()
    login_as(people["rep"])
    before = people["colleague"].password_hash
    response = post_form(
        client, "/me", f"/team/members/{people['colleague'].id}/password", password="temporary-1"
    )
    assert response.status_code == 403
    assert fresh(db, people["colleague"]).password_hash == before


@pytest.mark.parametrize("victim_role", [Role.MANAGER, Role.ADMIN])
def test_a_manager_cannot_reset_or_disable_a_manager_or_the_admin(
    client, make_people, login_as, db, victim_role
):
    people = make_people(rep={}, manager={"role": Role.MANAGER}, victim={"role": victim_role})
    victim = people["victim"]
    login_as(people["manager"])
    post_form(client, "/team/", f"/team/members/{victim.id}/active", active="0")
    post_form(client, "/team/", f"/team/members/{victim.id}/password", password="temporary-1")
    victim = fresh(db, victim)
    assert victim.active and not victim.must_change_password
    assert users.authenticate(db, email=victim.email, password=PASSWORD) is not None


def test_an_admin_may_disable_a_manager(client, make_people, login_as, db):
    people = make_people(admin={"role": Role.ADMIN}, manager={"role": Role.MANAGER})
    login_as(people["admin"])
    post_form(client, "/team/", f"/team/members/{people['manager'].id}/active", active="0")
    assert not fresh(db, people["manager"]).active


def test_may_manage_rules(make_people):
    people = make_people(
        rep={},
        manager={"role": Role.MANAGER},
        manager2={"role": Role.MANAGER},
        admin={"role": Role.ADMIN},
        outsider={"team": "other"},
    )
    rep, manager, manager2, admin = (people[n] for n in ("rep", "manager", "manager2", "admin"))
    assert users.may_manage(manager, rep)
    assert not users.may_manage(manager, manager2)
    assert not users.may_manage(manager, admin)
    assert not users.may_manage(manager, manager)
    assert not users.may_manage(manager, people["outsider"])
    assert not users.may_manage(rep, manager)
    assert users.may_manage(admin, manager) and users.may_manage(admin, rep)


def test_disabling_a_rep_ends_their_copied_session(app, client, make_people, login_as):
    people = make_people()
    rep_client = app.test_client()
    login(rep_client, people["rep"].email, remember="y")
    thief = app.test_client()
    copy_cookies(rep_client, thief, "session", "remember_token")
    login_as(people["manager"])
    post_form(client, "/team/", f"/team/members/{people['rep'].id}/active", active="0")
    assert thief.get("/").status_code == 302
    # Enabled again, the old cookie stays dead.
    post_form(client, "/team/", f"/team/members/{people['rep'].id}/active", active="1")
    assert thief.get("/").status_code == 302


def test_old_hashes_are_upgraded_at_sign_in_and_the_time_recorded(client, make_user, db):
    user = make_user()
    user.password_hash = generate_password_hash(PASSWORD, method="pbkdf2:sha256:600000")
    db.add(user)
    db.commit()
    assert user.last_login_at is None
    assert login(client, user.email).status_code == 302
    user = fresh(db, user)
    assert user.password_hash.startswith("scrypt:")
    assert user.last_login_at is not None


def test_cli_set_password_from_stdin(runner, make_user, db):
    user = make_user()
    result = runner.invoke(
        args=["users", "set-password", user.email, "--password-stdin"], input=NEW_PASSWORD + "\n"
    )
    assert result.exit_code == 0, result.output
    db.expire_all()
    assert users.authenticate(db, email=user.email, password=NEW_PASSWORD) is not None
    weak = runner.invoke(
        args=["users", "set-password", user.email, "--password-stdin"], input="short\n"
    )
    assert weak.exit_code != 0 and "10" in weak.output
    unknown = runner.invoke(
        args=["users", "set-password", "nobody@example.com", "--password-stdin"],
        input=NEW_PASSWORD + "\n",
    )
    assert unknown.exit_code != 0


def test_cli_set_password_prompts(runner, make_user, db):
    user = make_user()
    result = runner.invoke(
        args=["users", "set-password", user.email], input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    )
    assert result.exit_code == 0, result.output
    assert NEW_PASSWORD not in result.output
    db.expire_all()
    assert users.authenticate(db, email=user.email, password=NEW_PASSWORD) is not None
