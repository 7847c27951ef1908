"""Customer pages: finding (text, kana, phone, tags, filters, pages, near me), the customer page,
edits with validation, optimistic locking and audit, contacts, busy periods, location and history."""

from __future__ import annotations

import json
import re
from datetime import date, timedelta

import pytest
from sqlmodel import Session, select

from fieldapp.models import (
    AuditEvent,
    BusyPeriod,
    Contact,
    Customer,
    FollowUp,
    OrderLine,
    Visit,
)
from fieldapp.services import clock, contacts
from tests.conftest import aware, csrf_token
from tests.fieldapp.conftest import update_now

JA = {"Accept-Language": "ja"}


def names(client, url: str) -> str:
    return client.get(url, headers=JA).get_data(as_text=True)


def saved_elsewhere(db: Session, *, actor, customer: Customer, **data) -> None:
    """Meanwhile someone saves version 1 of `customer` from their own session."""
    with Session(db.get_bind()) as other:
        update_now(other, actor=actor, customer=other.get(Customer, customer.id), version=1, **data)
        other.commit()


def finds_only(client, query: str, match: str, other: str) -> bool:
    """Whether searching all customers for `query` lists `match` and not `other`."""
    html = names(client, f"/customers/?q={query}&mine=0")
    return match in html and other not in html


def busy_week(customer_id: int, *, lunch: str, rush: str) -> list[BusyPeriod]:
    """A weekday lunch rush, a weekly closing day (Wednesday) and a year-end rush."""
    return [
        BusyPeriod(
            customer_id=customer_id,
            kind="weekly",
            weekdays="01234",
            start_min=690,
            end_min=810,
            label=lunch,
        ),
        BusyPeriod(customer_id=customer_id, kind="weekly", weekdays="2"),
        BusyPeriod(
            customer_id=customer_id,
            kind="dates",
            start_date=date(2026, 12, 20),
            end_date=date(2026, 12, 31),
            label=rush,
        ),
    ]


def post_form(client, url: str, data: dict, page_url: str | None = None):
    token = csrf_token(client.get(page_url or url).get_data(as_text=True))
    return client.post(url, data={"csrf_token": token, **data}, headers=JA)


# --- finding -------------------------------------------------------------------------------------


@pytest.mark.parametrize("query", ["しょうげつ", "ショウゲツ", "ｼｮｳｹﾞﾂ", "ｼｮｳ", "松月"])
def test_kana_variants_find_the_customer(client, login_as, rep, add_customer, query):
    add_customer(name="そば処 松月", kana="ソバドコロショウゲツ")
    add_customer(name="喫茶 ひまわり", kana="きっさひまわり")
    login_as(rep)
    assert finds_only(client, query, "そば処 松月", "喫茶 ひまわり")


def test_hiragana_reading_found_by_katakana_and_half_width(client, login_as, rep, add_customer):
    add_customer(name="喫茶 ひまわり", kana="きっさひまわり")
    login_as(rep)
    assert "喫茶 ひまわり" in names(client, "/customers/?q=ヒマワリ&mine=0")
    assert "喫茶 ひまわり" in names(client, "/customers/?q=ﾋﾏﾜﾘ&mine=0")


@pytest.mark.parametrize(
    "query", ["０３１２３４５６７８", "03-1234-5678", "1234-5678", "０３－１２３４", "12345678"]
)
def test_phone_search_with_full_width_digits_and_hyphens(
    client, login_as, rep, add_customer, query
):
    add_customer(name="居酒屋 さくら", phone="03-1234-5678")
    add_customer(name="別の店", phone="06-9999-0000")
    login_as(rep)
    assert finds_only(client, query, "居酒屋 さくら", "別の店")


def test_address_and_tag_search(client, login_as, rep, add_customer):
    add_customer(name="A商店", address="東京都台東区浅草1-2-3", tags="酒類, 業務用")
    add_customer(name="B商店", address="東京都新宿区西新宿2-8-1", tags="菓子")
    login_as(rep)
    assert finds_only(client, "浅草", "A商店", "B商店")
    html = names(client, "/customers/?tag=業務用&mine=0")
    assert "A商店" in html and "B商店" not in html
    assert "B商店" in names(client, "/customers/?q=菓子&mine=0")


def test_filters_rank_segment_status_overdue_mine(
    client, login_as, make_user, team, rep, add_customer
):
    other = make_user(team=team)
    today = clock.local_today("Asia/Tokyo")
    add_customer(name="AAA", rank="A", segment="restaurant", next_due_on=today - timedelta(days=2))
    add_customer(name="BBB", rank="B", segment="clinic", status="at_risk", next_due_on=today)
    add_customer(name="CCC", rank="C", segment="restaurant", assigned_rep_id=other.id)
    add_customer(name="LLL", rank="A", status="lost", next_due_on=today - timedelta(days=30))
    login_as(rep)

    def shown(url):
        html = names(client, url)
        return {n for n in ("AAA", "BBB", "CCC", "LLL") if n in html}

    assert shown("/customers/?mine=0&rank=A") == {"AAA", "LLL"}
    assert shown("/customers/?mine=0&segment=restaurant") == {"AAA", "CCC"}
    assert shown("/customers/?mine=0&status=at_risk") == {"BBB"}
    assert shown("/customers/?mine=0&overdue=1") == {"AAA"}
    assert shown("/customers/?mine=1") == {"AAA", "BBB", "LLL"}
    assert shown("/customers/") == {"AAA", "BBB", "LLL"}  # reps start with their own
    assert shown("/customers/?mine=0&rank=Z") == {
        "AAA",
        "BBB",
        "CCC",
        "LLL",
    }  # unknown value ignored


def test_pagination_links_keep_filters(client, login_as, rep, add_customer):
    for i in range(27):
        add_customer(name=f"店{i:02d}", rank="A")
    login_as(rep)
    html = names(client, "/customers/?mine=0&rank=A")
    assert "page=2" in html and "rank=A" in html.split("page=2")[0].rsplit("href=", 1)[1]
    assert "店26" in names(client, "/customers/?mine=0&rank=A&page=2")


def test_near_me_sorted_by_distance(client, login_as, rep, add_customer, make_team, make_customer):
    here = (35.6812, 139.7671)  # Tokyo station
    add_customer(name="遠い店", lat=35.70, lon=139.80)
    add_customer(name="近い店", lat=35.6815, lon=139.7675)
    add_customer(name="中くらい", lat=35.69, lon=139.77)
    add_customer(name="位置なし", lat=None, lon=None)
    make_customer(team=make_team(), name="他チーム", lat=35.6812, lon=139.7671)
    login_as(rep)
    html = names(client, f"/customers/?near=1&lat={here[0]}&lon={here[1]}&mine=0")
    positions = [html.index(n) for n in ("近い店", "中くらい", "遠い店")]
    assert positions == sorted(positions)
    assert "位置なし" not in html and "他チーム" not in html
    assert "1 件" in html or "位置不明の 1 件" in html
    # a strict radius keeps only the close ones
    html = names(client, f"/customers/?near=1&lat={here[0]}&lon={here[1]}&km=1.5&mine=0")
    assert "近い店" in html and "中くらい" in html and "遠い店" not in html


def test_near_me_without_position_falls_back(client, login_as, rep, add_customer):
    add_customer(name="普通の店")
    login_as(rep)
    html = names(client, "/customers/?near=1&lat=abc&mine=0")
    assert "普通の店" in html and "現在地を取得できません" in html


def test_other_teams_customers_do_not_exist(client, login_as, rep, make_team, make_customer):
    foreign = make_customer(team=make_team(), name="よその店")
    login_as(rep)
    assert client.get(f"/customers/{foreign.id}").status_code == 404
    assert "よその店" not in names(client, "/customers/?mine=0&q=よその")


# --- the customer page ---------------------------------------------------------------------------


def test_customer_page_content(
    client, login_as, db, rep, add_customer, make_user, team, make_product
):
    today = clock.local_today("Asia/Tokyo")
    customer = add_customer(
        name="居酒屋 さくら",
        kana="イザカヤサクラ",
        phone="03-1234-5678",
        address="東京都台東区浅草1-2-3",
        lat=35.711234,
        lon=139.796543,
        rank="A",
        cadence_days=7,
        last_visit_on=today - timedelta(days=10),
        next_due_on=today - timedelta(days=3),
        tags="酒類",
    )
    soon = today + timedelta(days=5)
    db.add_all(
        [
            Contact(
                customer_id=customer.id,
                name="佐藤 店長",
                role="店長",
                birthday=date(1980, soon.month, soon.day),
                hobbies="釣り",
                personal_notes="娘さんが受験",
                is_primary=True,
            ),
            Contact(customer_id=customer.id, name="鈴木 さん", birthday=today + timedelta(days=40)),
            *busy_week(customer.id, lunch="ランチ営業", rush="年末繁忙"),
            FollowUp(customer_id=customer.id, title="見積書を送る", kind="quote", owner_id=rep.id),
            FollowUp(
                customer_id=customer.id,
                title="済んだ件",
                kind="other",
                owner_id=rep.id,
                state="done",
            ),
            Visit(
                customer_id=customer.id,
                rep_id=rep.id,
                status="done",
                check_in_at=aware(2026, 11, 10, 2),
                heard="新メニューを検討中",
            ),
        ]
    )
    beer = make_product(name="生ビール樽", unit_price=10000)
    db.add_all(
        OrderLine(
            customer_id=customer.id,
            product_id=beer.id,
            ordered_on=today - timedelta(days=days_ago),
            quantity=quantity,
            unit_price=10000,
        )
        for days_ago, quantity in ((20, 3), (400, 2))
    )
    db.commit()
    login_as(rep)
    html = names(client, f"/customers/{customer.id}")
    assert "居酒屋 さくら" in html
    assert 'href="tel:0312345678"' in html
    assert "https://www.google.com/maps/dir/?api=1&amp;destination=35.711234,139.796543" in html
    assert "3 日遅れ" in html  # overdue highlighted
    assert "見積書を送る" in html and "済んだ件" not in html
    assert "佐藤 店長" in html and "釣り" in html and "娘さんが受験" in html
    assert (
        "あと 5 日で誕生日" in html and html.count("誕生日（") == 1
    )  # only the one within 14 days
    assert "平日 11:30–13:30 ランチ営業" in html
    assert "毎週水曜 定休" in html
    assert "12/20–12/31 年末繁忙" in html
    assert "新メニューを検討中" in html
    assert "生ビール樽" in html and "¥30,000" in html and "¥20,000" in html and "+50%" in html
    assert f"/customers/{customer.id}/visits/new" in html  # Log a visit (other area's endpoint)
    assert f"/customers/{customer.id}/edit" in html


def test_customer_page_in_english(client, login_as, db, make_user, team, add_customer):
    user = make_user(team=team, language="en")
    customer = add_customer(assigned_rep_id=user.id)
    db.add_all(busy_week(customer.id, lunch="Lunch service", rush="Year-end rush"))
    db.commit()
    login_as(user)
    html = client.get(f"/customers/{customer.id}").get_data(as_text=True)
    assert "Weekdays 11:30–13:30 Lunch service" in html
    assert "Closed every Wednesday" in html
    assert "12/20–12/31 Year-end rush" in html


def test_teammate_reads_but_sees_no_edit_links(client, login_as, make_user, team, add_customer):
    customer = add_customer(name="共有の店")
    mate = make_user(team=team)
    login_as(mate)
    html = names(client, f"/customers/{customer.id}")
    assert "共有の店" in html and f"/customers/{customer.id}/edit" not in html
    response = client.get(f"/customers/{customer.id}/edit", headers=JA)
    assert response.status_code == 403 and "担当営業かマネージャー" in response.get_data(
        as_text=True
    )


def test_due_rows_on_today_link_to_the_customer(client, login_as, rep, add_customer):
    customer = add_customer(name="今日の店", next_due_on=clock.local_today("Asia/Tokyo"))
    login_as(rep)
    assert f'href="/customers/{customer.id}"' in names(client, "/")


# --- editing -------------------------------------------------------------------------------------


def edit_data(customer: Customer, **changes) -> dict:
    data = {
        "version": str(customer.version),
        "name": customer.name,
        "kana": customer.kana or "",
        "phone": customer.phone or "",
        "postal_code": customer.postal_code or "",
        "address": customer.address or "",
        "segment": customer.segment,
        "rank": customer.rank,
        "cadence_days": str(customer.cadence_days),
        "visit_minutes": str(customer.visit_minutes),
        "status": customer.status,
        "tags": customer.tags or "",
        "notes": customer.notes or "",
    }
    data.update(changes)
    return data


def test_edit_saves_bumps_version_updates_search_and_audits(
    client, login_as, db, rep, add_customer
):
    customer = add_customer(
        name="旧名", kana="キュウメイ", last_visit_on=date(2026, 11, 1), cadence_days=14
    )
    old_updated = customer.updated_at
    login_as(rep)
    url = f"/customers/{customer.id}/edit"
    response = post_form(
        client,
        url,
        edit_data(
            customer,
            name="新名 商店",
            kana="しんめい",
            phone="０３－１２３４－５６７８",
            cadence_days="7",
            tags="新規, 酒類",
        ),
    )
    assert response.status_code == 302
    db.expire_all()
    saved = db.get(Customer, customer.id)
    assert saved.name == "新名 商店" and saved.version == 2 and saved.updated_at > old_updated
    assert saved.phone == "03-1234-5678"
    assert saved.next_due_on == date(2026, 11, 8)  # cadence change moves the due date
    assert "03-1234-5678" in saved.search_text and "0312345678" in saved.search_text
    assert "新規" in saved.search_text
    assert "新名 商店" in names(client, "/customers/?q=シンメイ&mine=0")
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "customer")).one()
    assert event.actor_id == rep.id and event.action == "update"
    before, after = json.loads(event.before), json.loads(event.after)
    assert before["name"] == "旧名" and after["name"] == "新名 商店"
    assert before["cadence_days"] == 14 and after["cadence_days"] == 7
    assert "notes" not in after  # only what changed


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("rank", "D", "ランクは A・B・C のいずれかです。"),
        ("cadence_days", "0", "訪問頻度は 1〜365 日で入力してください。"),
        ("cadence_days", "400", "訪問頻度は 1〜365 日で入力してください。"),
        ("cadence_days", "abc", "訪問頻度は 1〜365 日で入力してください。"),
        ("visit_minutes", "300", "訪問時間は 5〜240 分で入力してください。"),
        ("visit_minutes", "2", "訪問時間は 5〜240 分で入力してください。"),
        ("name", "", "顧客名を入力してください。"),
        ("phone", "電話して", "電話番号は数字とハイフンで入力してください"),
        ("segment", "spaceport", "業種を一覧から選んでください。"),
        ("tags", ",".join(f"t{i}" for i in range(80)), "300 文字以内で入力してください。"),
        ("address", "あ" * 301, "300 文字以内で入力してください。"),
    ],
)
def test_bad_input_gets_a_clear_message_and_changes_nothing(
    client, login_as, db, rep, add_customer, field, value, message
):
    customer = add_customer(name="元のまま")
    login_as(rep)
    response = post_form(
        client,
        f"/customers/{customer.id}/edit",
        edit_data(customer, **{field: value, "notes": "x"}),
    )
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    db.expire_all()
    saved = db.get(Customer, customer.id)
    assert saved.version == 1 and saved.notes is None
    assert db.exec(select(AuditEvent).where(AuditEvent.entity == "customer")).all() == []


def test_bad_input_message_in_english(client, login_as, make_user, team, add_customer):
    user = make_user(team=team, language="en")
    customer = add_customer(assigned_rep_id=user.id)
    login_as(user)
    response = post_form(
        client, f"/customers/{customer.id}/edit", edit_data(customer, visit_minutes="999")
    )
    assert "Visit length must be between 5 and 240 minutes." in response.get_data(as_text=True)


def test_stale_edit_refused_with_both_versions(
    client, login_as, db, rep, make_user, team, add_customer
):
    customer = add_customer(name="最初の名前", notes="元のメモ")
    manager = make_user(team=team, role="manager")
    login_as(rep)
    form_page = client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
    token = csrf_token(form_page)
    saved_elsewhere(db, actor=manager, customer=customer, notes="マネージャーのメモ")
    response = client.post(
        f"/customers/{customer.id}/edit",
        data={
            "csrf_token": token,
            **edit_data(customer, notes="営業のメモ", name="営業が付けた名前"),
        },
        headers=JA,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "営業のメモ" in html and "マネージャーのメモ" in html  # theirs beside the saved one
    assert "営業が付けた名前" in html and "最初の名前" in html
    assert 'class="differs" data-field="notes"' in html
    db.expire_all()
    saved = db.get(Customer, customer.id)
    assert saved.notes == "マネージャーのメモ" and saved.name == "最初の名前" and saved.version == 2


@pytest.mark.parametrize("version", ["", "abc", "1.0"])
@pytest.mark.parametrize("page", ["edit", "location"])
def test_a_missing_or_garbled_version_is_refused_as_stale(
    client, login_as, db, rep, add_customer, page, version
):
    customer = add_customer(notes="元のメモ")
    login_as(rep)
    data = (
        edit_data(customer, notes="新しいメモ")
        if page == "edit"
        else {"lat": "35.1", "lon": "139.1", "source": "pinned"}
    )
    response = post_form(client, f"/customers/{customer.id}/{page}", {**data, "version": version})
    assert response.status_code == 409  # the conflict page, never a crash or a forced save
    db.expire_all()
    saved = db.get(Customer, customer.id)
    assert saved.version == 1 and saved.notes == "元のメモ" and saved.lat != 35.1


def test_the_edit_form_reassigns_nobody_the_handover_does(
    client, login_as, db, make_user, team, rep, add_customer
):
    """The rep changes through the handover (follow-ups, appointments and stops move with it), so the
    edit form has no rep field for anyone: a posted one is ignored, and managers get the handover link."""
    customer = add_customer()
    other = make_user(team=team, name="営業 二郎")
    for user in (rep, make_user(team=team, role="manager")):
        if user is not rep:
            token = csrf_token(client.get("/me").get_data(as_text=True))
            client.post("/logout", data={"csrf_token": token})
        login_as(user)
        page = client.get(f"/customers/{customer.id}/edit").get_data(as_text=True)
        assert 'name="assigned_rep_id"' not in page
        fresh = db.get(Customer, customer.id)
        response = post_form(
            client,
            f"/customers/{customer.id}/edit",
            edit_data(fresh, assigned_rep_id=str(other.id)),
        )
        assert response.status_code == 302
        db.expire_all()
        assert db.get(Customer, customer.id).assigned_rep_id == rep.id
    assert f"/handover/new?ids={customer.id}" in page


# --- location ------------------------------------------------------------------------------------


def test_location_from_the_phone(client, login_as, db, rep, add_customer):
    customer = add_customer(needs_location=True, lat=None, lon=None)
    login_as(rep)
    page = names(client, f"/customers/{customer.id}/location")
    assert "現在地を使う" in page and "js/location_pin.js" in page
    assert "navigator.geolocation" in client.get("/static/js/location_pin.js").get_data(
        as_text=True
    )
    response = post_form(
        client,
        f"/customers/{customer.id}/location",
        {"version": "1", "lat": "35.658581", "lon": "139.745433", "source": "device"},
    )
    assert response.status_code == 302
    db.expire_all()
    saved = db.get(Customer, customer.id)
    assert (saved.lat, saved.lon) == (35.658581, 139.745433)
    assert (
        saved.location_source == "device" and saved.needs_location is False and saved.version == 2
    )
    event = db.exec(select(AuditEvent).where(AuditEvent.entity == "customer")).one()
    assert event.action == "location" and json.loads(event.after)["location_source"] == "device"


BAD_LOCATIONS = [
    ("95", "139", "緯度は"),
    ("35", "200", "経度は"),
    ("abc", "139", "緯度は"),
    ("nan", "139", "緯度は"),
]


@pytest.mark.parametrize(("lat", "lon", "message"), BAD_LOCATIONS)
def test_location_out_of_range(client, login_as, db, rep, add_customer, lat, lon, message):
    customer = add_customer()
    login_as(rep)
    response = post_form(
        client,
        f"/customers/{customer.id}/location",
        {"version": "1", "lat": lat, "lon": lon, "source": "pinned"},
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    db.expire_all()
    assert db.get(Customer, customer.id).version == 1


def test_leaflet_served_by_the_app(client, login_as, rep):
    login_as(rep)
    response = client.get("/customers/leaflet/leaflet.js")
    assert response.status_code == 200 and b"Leaflet" in response.data[:2000]
    assert client.get("/customers/leaflet/../../secret").status_code == 404


# --- contacts and busy periods -------------------------------------------------------------------


def test_contacts_add_edit_delete_with_audit_and_history(client, login_as, db, rep, add_customer):
    customer = add_customer()
    login_as(rep)
    base = f"/customers/{customer.id}/contacts"
    response = post_form(
        client,
        f"{base}/new",
        {
            "name": "田中 店長",
            "phone": "０９０－１１１１－２２２２",
            "hobbies": "ゴルフ",
            "is_primary": "y",
        },
    )
    assert response.status_code == 302
    contact = db.exec(select(Contact).where(Contact.customer_id == customer.id)).one()
    assert contact.phone == "090-1111-2222" and contact.is_primary
    contact_id = contact.id
    # The edit carries the fingerprint its page was opened with (without it the save counts as stale).
    edit_page = client.get(f"{base}/{contact_id}/edit").get_data(as_text=True)
    loaded = re.search(r'name="loaded" type="hidden" value="([^"]+)"', edit_page).group(1)
    post_form(
        client,
        f"{base}/{contact_id}/edit",
        {
            "loaded": loaded,
            "name": "田中 店長",
            "phone": "090-1111-2222",
            "hobbies": "釣り",
            "is_primary": "y",
        },
    )
    db.expire_all()
    assert db.get(Contact, contact_id).hobbies == "釣り"
    bad = post_form(client, f"{base}/{contact_id}/edit", {"name": "", "birthday": "2026-13-40"})
    assert bad.status_code == 400
    post_form(client, f"{base}/{contact_id}/delete", {}, page_url=f"{base}/{contact_id}/edit")
    db.expire_all()
    assert db.get(Contact, contact_id) is None
    actions = [
        e.action
        for e in db.exec(
            select(AuditEvent).where(AuditEvent.entity == "contact").order_by(AuditEvent.id)
        )
    ]
    assert actions == ["create", "update", "delete"]
    history = names(client, f"/customers/{customer.id}/history")
    assert "田中 店長" in history and "ゴルフ → 釣り" in history
    assert "営業 一郎" in history  # who


def test_busy_periods_through_the_form(client, login_as, db, rep, add_customer):
    customer = add_customer()
    login_as(rep)
    url = f"/customers/{customer.id}/busy/new"
    saved = [
        {
            "kind": "weekly",
            "weekdays": ["0", "1", "2", "3", "4"],
            "start_time": "11:30",
            "end_time": "13:00",
            "label": "ランチ営業",
        },
        # overlapping on the same days: merged into one
        {
            "kind": "weekly",
            "weekdays": ["0", "1", "2", "3", "4"],
            "start_time": "12:30",
            "end_time": "13:30",
        },
        {"kind": "weekly", "weekdays": ["2"], "whole_day": "y", "label": "定休日"},
        {
            "kind": "dates",
            "start_date": "2026-12-20",
            "end_date": "2026-12-31",
            "whole_day": "y",
            "label": "年末繁忙",
        },
    ]
    for data in saved:
        assert post_form(client, url, data).status_code == 302
    periods = db.exec(select(BusyPeriod).where(BusyPeriod.customer_id == customer.id)).all()
    assert len(periods) == 3
    html = names(client, f"/customers/{customer.id}")
    assert (
        "平日 11:30–13:30 ランチ営業" in html
        and "毎週水曜 定休" in html
        and "12/20–12/31 年末繁忙" in html
    )
    # clear messages for bad input, nothing stored
    bad = post_form(
        client,
        url,
        {"kind": "weekly", "weekdays": ["0"], "start_time": "14:00", "end_time": "13:00"},
    )
    assert bad.status_code == 400 and "終了時刻は開始時刻より後にしてください。" in bad.get_data(
        as_text=True
    )
    bad = post_form(client, url, {"kind": "weekly", "start_time": "10:00", "end_time": "11:00"})
    assert "曜日を1つ以上選んでください。" in bad.get_data(as_text=True)
    bad = post_form(
        client,
        url,
        {"kind": "dates", "start_date": "2026-12-31", "end_date": "2026-12-01", "whole_day": "y"},
    )
    assert "終了日は開始日以降にしてください。" in bad.get_data(as_text=True)
    bad = post_form(client, url, {"kind": "weekly", "weekdays": ["0"]})
    assert "時刻を入力するか" in bad.get_data(as_text=True)
    assert len(db.exec(select(BusyPeriod).where(BusyPeriod.customer_id == customer.id)).all()) == 3
    # edit and delete
    closed = next(p for p in periods if p.weekdays == "2")
    closed_id = closed.id
    post_form(
        client,
        f"/customers/{customer.id}/busy/{closed_id}/edit",
        {"kind": "weekly", "weekdays": ["2", "6"], "whole_day": "y"},
    )
    db.expire_all()
    assert db.get(BusyPeriod, closed_id).weekdays == "26"
    post_form(
        client,
        f"/customers/{customer.id}/busy/{closed_id}/delete",
        {},
        page_url=f"/customers/{customer.id}/busy/{closed_id}/edit",
    )
    db.expire_all()
    assert db.get(BusyPeriod, closed_id) is None
    events = db.exec(select(AuditEvent).where(AuditEvent.entity == "busy_period")).all()
    assert {e.action for e in events} == {"create", "update", "delete"}
    history = names(client, f"/customers/{customer.id}/history")
    assert "訪問できない時間" in history and "毎週水・日曜 定休" in history


def test_history_page_readable(client, login_as, db, rep, add_customer):
    customer = add_customer(rank="B", segment="shop")
    login_as(rep)
    post_form(
        client,
        f"/customers/{customer.id}/edit",
        edit_data(customer, rank="A", segment="restaurant"),
    )
    html = names(client, f"/customers/{customer.id}/history")
    assert "ランク" in html and "B → A" in html
    assert "業種" in html and "小売店" in html or "飲食店" in html
    assert "営業 一郎" in html


def test_saving_an_unchanged_form_keeps_the_version(client, login_as, db, rep, add_customer):
    customer = add_customer(name="そのまま")
    login_as(rep)
    response = post_form(client, f"/customers/{customer.id}/edit", edit_data(customer))
    assert response.status_code == 302
    db.expire_all()
    assert db.get(Customer, customer.id).version == 1
    assert db.exec(select(AuditEvent).where(AuditEvent.entity == "customer")).all() == []


def test_conflict_page_can_save_mine_over_the_new_version(client, login_as, db, rep, add_customer):
    customer = add_customer(name="上書きテスト")
    login_as(rep)
    token = csrf_token(client.get(f"/customers/{customer.id}/edit").get_data(as_text=True))
    saved_elsewhere(db, actor=rep, customer=customer, notes="先の保存")
    conflict = client.post(
        f"/customers/{customer.id}/edit",
        data={"csrf_token": token, **edit_data(customer, notes="私のメモ")},
        headers=JA,
    )
    assert conflict.status_code == 409
    keep = conflict.get_data(as_text=True).split('id="keep-mine"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="([^"]+)" (?:type="hidden" )?value="([^"]*)"', keep))
    assert fields["version"] == "2" and fields["notes"] == "私のメモ"
    response = client.post(f"/customers/{customer.id}/edit", data=fields, headers=JA)
    assert response.status_code == 302
    db.expire_all()
    saved = db.get(Customer, customer.id)
    assert saved.notes == "私のメモ" and saved.version == 3


def test_stale_contact_edit_refused_with_both_versions(client, login_as, db, rep, add_customer):
    customer = add_customer()
    contact = Contact(customer_id=customer.id, name="山田 店長", hobbies="ゴルフ")
    db.add(contact)
    db.commit()
    url = f"/customers/{customer.id}/contacts/{contact.id}/edit"
    login_as(rep)
    page = client.get(url).get_data(as_text=True)
    token = csrf_token(page)
    loaded = re.search(r'name="loaded" type="hidden" value="([^"]+)"', page).group(1)
    with Session(db.get_bind()) as other:
        row = other.get(Contact, contact.id)
        contacts.save_contact(
            other,
            actor=rep,
            customer=other.get(Customer, customer.id),
            data={"name": "山田 店長", "hobbies": "釣り"},
            contact=row,
            loaded=contacts.contact_fingerprint(row),
        )
        other.commit()
    response = client.post(
        url,
        data={"csrf_token": token, "loaded": loaded, "name": "山田 店長", "hobbies": "将棋"},
        headers=JA,
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 409
    assert "将棋" in html and "釣り" in html and 'class="differs" data-field="hobbies"' in html
    db.expire_all()
    assert db.get(Contact, contact.id).hobbies == "釣り"
    # Seen both: keep mine on purpose.
    keep = html.split('id="keep-mine"')[1].split("</form>")[0]
    fields = dict(re.findall(r'name="([^"]+)" (?:type="hidden" )?value="([^"]*)"', keep))
    assert client.post(url, data=fields).status_code == 302
    db.expire_all()
    assert db.get(Contact, contact.id).hobbies == "将棋"
