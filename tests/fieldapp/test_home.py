"""Home page: the rep's due customers and follow-ups; the manager's team coverage."""

from __future__ import annotations

from datetime import timedelta

from fieldapp.models import FollowUp
from fieldapp.services import clock


def test_rep_sees_own_due_customers_only(client, make_user, make_team, make_customer, login_as):
    team = make_team()
    rep = make_user(team=team, name="営業 一郎")
    other = make_user(team=team)
    today = clock.local_today("Asia/Tokyo")
    make_customer(
        team=team,
        name="居酒屋 さくら",
        assigned_rep_id=rep.id,
        next_due_on=today - timedelta(days=3),
    )
    make_customer(
        team=team, name="未来商店", assigned_rep_id=rep.id, next_due_on=today + timedelta(days=10)
    )
    make_customer(
        team=team,
        name="他人の顧客",
        assigned_rep_id=other.id,
        next_due_on=today - timedelta(days=3),
    )
    login_as(rep)
    html = client.get("/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "居酒屋 さくら" in html
    assert "未来商店" not in html
    assert "他人の顧客" not in html
    assert "担当顧客 2 件" in html


def test_followups_listed(client, make_user, make_customer, login_as, db):
    rep = make_user()
    customer = make_customer(team_id=rep.team_id, assigned_rep_id=rep.id)
    db.add(FollowUp(customer_id=customer.id, title="見積を送る", kind="quote", owner_id=rep.id))
    db.commit()
    login_as(rep)
    assert "見積を送る" in client.get("/").get_data(as_text=True)


def test_manager_sees_team_coverage(client, make_user, make_team, make_customer, login_as):
    team = make_team()
    manager = make_user(team=team, role="manager")
    rep = make_user(team=team, name="営業 二郎")
    today = clock.local_today("Asia/Tokyo")
    make_customer(team=team, assigned_rep_id=rep.id, next_due_on=today - timedelta(days=1))
    login_as(manager)
    html = client.get("/").get_data(as_text=True)
    assert 'id="coverage"' in html and "営業 二郎" in html


def test_customer_list_is_team_scoped(client, make_user, make_customer, login_as):
    rep = make_user()
    stranger = make_user()
    make_customer(
        team_id=rep.team_id, name="そば処 松月", kana="ソバドコロショウゲツ", assigned_rep_id=rep.id
    )
    make_customer(team_id=stranger.team_id, name="よそのチーム商店")
    login_as(rep)
    html = client.get("/customers/?mine=0").get_data(as_text=True)
    assert "そば処 松月" in html and "よそのチーム商店" not in html
    # kana search: hiragana query finds katakana reading
    assert "そば処 松月" in client.get("/customers/?q=しょうげつ&mine=0").get_data(as_text=True)


def test_day_addresses_today_is_home_and_old_links_redirect(client, make_user, login_as):
    """Today lives at `/`, other days at `/day/<day>`; the old `/?day=` links and `/day/<today>` redirect."""
    login_as(make_user())
    today = clock.local_today("Asia/Tokyo")
    tomorrow = today + timedelta(days=1)

    assert client.get(f"/day/{tomorrow.isoformat()}").status_code == 200
    old = client.get(f"/?day={tomorrow.isoformat()}")
    assert old.status_code == 302 and old.location.endswith(f"/day/{tomorrow.isoformat()}")
    for url in (f"/?day={today.isoformat()}", f"/day/{today.isoformat()}"):
        response = client.get(url)
        assert response.status_code == 302 and response.location.endswith("/"), url
    assert client.get("/day/not-a-day").status_code == 404
    assert client.get("/?day=2026-13-40").status_code == 404
