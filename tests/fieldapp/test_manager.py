"""Managers add and disable members of their own team only."""

from __future__ import annotations

from sqlmodel import select

from fieldapp.models import AuditEvent, User
from tests.conftest import csrf_token, login


def _form(client, path="/team/"):
    return csrf_token(client.get(path).get_data(as_text=True))


def add_member(client, **fields: str):
    """Post the team page's new-member form: a rep with a long password unless `fields` say otherwise."""
    data = {"password": "a-long-password", "role": "rep", **fields}
    return client.post("/team/", data={"csrf_token": _form(client), **data})


def test_manager_adds_a_rep(client, make_user, login_as, db):
    manager = make_user(role="manager")
    login_as(manager)
    response = add_member(client, name="新人 太郎", email="new.rep@example.com", language="ja")
    assert response.status_code == 302
    new = db.exec(select(User).where(User.email == "new.rep@example.com")).one()
    assert new.team_id == manager.team_id and new.role == "rep"
    assert db.exec(
        select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.entity_id == new.id)
    ).first()
    # the new rep can sign in
    other = client.application.test_client()
    assert login(other, "new.rep@example.com", "a-long-password").status_code == 302


def test_duplicate_email_is_refused_with_message(client, make_user, login_as, db):
    manager = make_user(role="manager", language="en")
    existing = make_user(team=None)
    login_as(manager)
    response = add_member(client, name="X", email=existing.email, language="")
    assert response.status_code == 200
    assert "already in use" in response.get_data(as_text=True)


def set_active(client, user, active: str, token: str):
    """Post the team page's enable ("1") or disable ("0") switch for `user`."""
    return client.post(
        f"/team/members/{user.id}/active", data={"csrf_token": token, "active": active}
    )


def test_manager_disables_and_enables_a_rep(client, make_user, login_as, db, make_team):
    team = make_team()
    manager = make_user(role="manager", team=team)
    rep = make_user(role="rep", team=team)
    login_as(manager)
    token = _form(client)
    assert set_active(client, rep, "0", token).status_code == 302
    db.refresh(rep)
    assert rep.active is False
    assert login(client.application.test_client(), rep.email).status_code == 200  # refused
    set_active(client, rep, "1", token)
    db.refresh(rep)
    assert rep.active is True


def test_manager_cannot_touch_another_team(client, make_user, login_as, db):
    manager = make_user(role="manager")
    stranger = make_user(role="rep")  # a different team
    login_as(manager)
    response = set_active(client, stranger, "0", _form(client))
    assert response.status_code == 404
    db.refresh(stranger)
    assert stranger.active is True


def test_manager_cannot_disable_self(client, make_user, login_as, db):
    manager = make_user(role="manager")
    login_as(manager)
    set_active(client, manager, "0", _form(client))
    db.refresh(manager)
    assert manager.active is True


def test_rep_cannot_disable_anyone(client, make_user, login_as, make_team, db):
    team = make_team()
    rep = make_user(role="rep", team=team)
    other = make_user(role="rep", team=team)
    login_as(rep)
    token = csrf_token(client.get("/me").get_data(as_text=True))
    assert set_active(client, other, "0", token).status_code == 403
    db.refresh(other)
    assert other.active is True


def test_team_page_lists_members(client, make_user, login_as, make_team):
    team = make_team(name="東京東営業所")
    manager = make_user(role="manager", team=team, name="部長 花子")
    make_user(role="rep", team=team, name="営業 一郎")
    login_as(manager)
    html = client.get("/team/").get_data(as_text=True)
    assert "営業 一郎" in html and "東京東営業所" in html
