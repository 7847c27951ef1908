"""Map of the day and the day as iCalendar: content, order, times, tokens and who may see what."""

from __future__ import annotations

import json
import re
from datetime import UTC, date, datetime, timedelta

import icalendar
import pytest
from sqlmodel import select

from fieldapp.models import AuditEvent, DayPlanStop, User, Visit
from fieldapp.services import clock
from fieldapp.services.day import calendar as calendar_feed
from tests.conftest import csrf_token, login

DAY = date(2026, 11, 24)
HOME = (35.681, 139.767)


def at(hour: int, minute: int = 0, day: date = DAY) -> datetime:
    """A UTC instant given in Tokyo local time on `day` (Tokyo is UTC+9, no DST)."""
    return datetime(day.year, day.month, day.day, hour, minute, tzinfo=UTC) - timedelta(hours=9)


@pytest.fixture
def planned_day(make_people, make_customer, make_plan):
    """A rep's stored plan of three customers (the first visited), a colleague, the manager, an outsider."""
    people = make_people(
        team={"name": "東京東営業所"},
        language="en",
        rep={
            "name": "営業 一郎",
            "start_lat": HOME[0],
            "start_lon": HOME[1],
            "start_label": "本社",
        },
        colleague={},
        manager={"role": "manager"},
        outsider={"role": "manager", "team": "other"},
    )
    customers = [
        make_customer(
            team=people["team"],
            name=name,
            rank=rank,
            address=address,
            phone="03-1234-5678",
            notes=notes,
            lat=HOME[0] + 0.004 * (i + 1),
            lon=HOME[1] + 0.003 * i,
        )
        for i, (name, rank, address, notes) in enumerate(
            [
                (
                    "Sakura, Izakaya; \\Bar",
                    "A",
                    "Tokyo, Chiyoda 1-1",
                    "Bring the new menu\nAsk for Sato",
                ),
                ("Yamada Store", "B", "Tokyo, Chuo 2-2", None),
                ("Hokuto Office", "C", None, None),
            ]
        )
    ]
    plan, stops = make_plan(rep=people["rep"], customers=customers, day=DAY, states={0: "done"})
    return {**people, "customers": customers, "plan": plan, "stops": stops}


def parse(body: bytes) -> icalendar.Calendar:
    return icalendar.Calendar.from_ical(body)


def events(cal: icalendar.Calendar) -> list:
    return list(cal.walk("VEVENT"))


# --- map ---------------------------------------------------------------------------------------------


def test_map_lists_stops_in_order_with_times_and_links(client, login_as, planned_day, db):
    login_as(planned_day["rep"])
    html = client.get(f"/day/{DAY.isoformat()}/map").get_data(as_text=True)
    listing = html[html.index('id="day-map-list"') :]
    assert re.findall(r'data-number="(\d+)"', listing) == ["1", "2", "3"]
    names = [c.name for c in planned_day["customers"]]
    assert [listing.index(n) for n in names] == sorted(listing.index(n) for n in names)
    assert "10:00" in listing and "11:00" in listing and "12:30" in listing  # Tokyo times
    assert "Start: 本社" in listing and "back at 17:00" in listing
    for customer in planned_day["customers"]:
        assert f"/customers/{customer.id}" in listing
    # the done stop is marked, navigation links carry the coordinates
    assert 'class="day-map-item stop-done" data-number="1"' in listing
    c0 = planned_day["customers"][0]
    assert f"destination={c0.lat:.6f},{c0.lon:.6f}" in listing

    # The order is the plan's positions, not the order the rows were stored in.
    first = planned_day["stops"][0]
    first.position = 9
    db.add(first)
    db.commit()
    listing = client.get(f"/day/{DAY.isoformat()}/map").get_data(as_text=True)
    order = [listing.index(n) for n in (names[1], names[2], names[0])]
    assert order == sorted(order)


def test_map_data_for_the_script(client, login_as, planned_day):
    login_as(planned_day["rep"])
    html = client.get(f"/day/{DAY.isoformat()}/map").get_data(as_text=True)
    assert 'id="rep-switch"' not in html  # reps see their own day only
    raw = re.search(r'<script type="application/json" id="day-map-data">(.*?)</script>', html, re.S)
    data = json.loads(raw.group(1))
    assert [s["n"] for s in data["stops"]] == [1, 2, 3]
    assert [s["name"] for s in data["stops"]] == [c.name for c in planned_day["customers"]]
    assert data["stops"][0]["state"] == "done" and data["stops"][1]["state"] == "planned"
    assert data["stops"][1]["time"] == "11:00–11:30"
    assert data["start"] == {"label": "本社", "lat": HOME[0], "lon": HOME[1]}
    assert data["end"] == data["start"]  # no end place saved: back to the start
    assert data["tiles"] == ""
    # Leaflet comes from the app, nothing from elsewhere
    assert "/customers/leaflet/leaflet.js" in html and "/static/js/day_map.js" in html
    assert "unpkg" not in html and "cdn" not in html.lower()
    assert 'id="no-tiles"' in html


def test_map_uses_the_configured_tile_server(app, client, login_as, planned_day):
    app.config["TILE_URL"] = "https://tiles.example.internal/{z}/{x}/{y}.png"
    login_as(planned_day["rep"])
    html = client.get(f"/day/{DAY.isoformat()}/map").get_data(as_text=True)
    assert "tiles.example.internal" in html and 'id="no-tiles"' not in html


def test_map_of_a_day_without_plan_says_so(client, login_as, planned_day):
    login_as(planned_day["rep"])
    response = client.get(f"/day/{(DAY + timedelta(days=1)).isoformat()}/map")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'id="no-plan"' in html and 'id="day-map"' not in html


def test_map_shows_a_stop_without_location_in_the_list_only(client, login_as, planned_day, db):
    customer = planned_day["customers"][2]
    customer.lat = customer.lon = None
    db.add(customer)
    db.commit()
    login_as(planned_day["rep"])
    html = client.get(f"/day/{DAY.isoformat()}/map").get_data(as_text=True)
    assert "No location yet: not on the map." in html
    raw = re.search(r'id="day-map-data">(.*?)</script>', html, re.S)
    assert [s["n"] for s in json.loads(raw.group(1))["stops"]] == [1, 2]


def test_today_page_links_to_map_and_calendar(client, login_as, planned_day, monkeypatch):
    monkeypatch.setattr(clock, "now_utc", lambda: at(9))
    login_as(planned_day["rep"])
    html = client.get(f"/day/{DAY.isoformat()}", follow_redirects=True).get_data(as_text=True)
    assert f'href="/day/{DAY.isoformat()}/map"' in html
    assert f'href="/day/{DAY.isoformat()}/calendar.ics"' in html


def test_bad_day_is_404(client, login_as, planned_day):
    login_as(planned_day["rep"])
    assert client.get("/day/2026-13-45/map").status_code == 404
    assert client.get("/day/yesterday/calendar.ics").status_code == 404


# --- permissions -------------------------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, planned_day):
    for url in (f"/day/{DAY}/map", f"/day/{DAY}/calendar.ics"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_rep_cannot_see_a_colleagues_day(client, login_as, planned_day):
    login_as(planned_day["colleague"])
    rep_id = planned_day["rep"].id
    assert client.get(f"/day/{DAY}/map?rep={rep_id}").status_code == 404
    assert client.get(f"/day/{DAY}/calendar.ics?rep={rep_id}").status_code == 404
    # without ?rep= the colleague sees their own (empty) day, never the rep's customers
    html = client.get(f"/day/{DAY}/map").get_data(as_text=True)
    assert "Yamada Store" not in html
    assert client.get(f"/day/{DAY}/calendar.ics").status_code == 404


def test_manager_sees_a_team_reps_day_but_not_another_teams(app, client, login_as, planned_day):
    login_as(planned_day["manager"])
    rep_id = planned_day["rep"].id
    html = client.get(f"/day/{DAY}/map?rep={rep_id}").get_data(as_text=True)
    assert "Yamada Store" in html and "営業 一郎" in html
    # the manager's way in: a rep switch listing the team (not other teams)
    switch = html[
        html.index('id="rep-switch"') : html.index("</form>", html.index('id="rep-switch"'))
    ]
    assert f'<option value="{rep_id}" selected>' in switch
    assert planned_day["outsider"].name not in switch
    assert f"/day/{DAY}/calendar.ics?rep={rep_id}" in html
    ics = client.get(f"/day/{DAY}/calendar.ics?rep={rep_id}")
    assert ics.status_code == 200 and len(events(parse(ics.data))) == 3
    assert client.get(f"/day/{DAY}/map?rep=oops").status_code == 404
    outsider = app.test_client()
    login(outsider, planned_day["outsider"].email)
    assert outsider.get("/").status_code == 200
    assert outsider.get(f"/day/{DAY}/map?rep={rep_id}").status_code == 404
    assert outsider.get(f"/day/{DAY}/calendar.ics?rep={rep_id}").status_code == 404


# --- iCalendar download ------------------------------------------------------------------------------


def test_download_parses_back_with_the_right_events(client, login_as, planned_day):
    login_as(planned_day["rep"])
    response = client.get(f"/day/{DAY.isoformat()}/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"visits-{DAY.isoformat()}.ics" in response.headers["Content-Disposition"]
    cal = parse(response.data)
    assert str(cal["version"]) == "2.0" and str(cal["x-wr-timezone"]) == "Asia/Tokyo"
    evs = events(cal)
    assert [str(e["summary"]) for e in evs] == [c.name for c in planned_day["customers"]]
    first = evs[0]
    assert first.decoded("dtstart") == datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # 10:00 Tokyo
    assert first.decoded("dtend") == datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
    assert evs[2].decoded("dtstart") == datetime(2026, 11, 24, 3, 0, tzinfo=UTC)
    c0 = planned_day["customers"][0]
    assert str(first["location"]) == "Tokyo, Chiyoda 1-1"
    assert (first["geo"].latitude, first["geo"].longitude) == pytest.approx((c0.lat, c0.lon))
    description = str(first["description"])
    assert "Stop 1 of 3" in description and "Visit done" in description
    assert "Why today: rank A" in description
    assert "Bring the new menu\nAsk for Sato" in description
    assert f"/customers/{c0.id}" in description
    # no address: the coordinates stand in as the location
    assert str(evs[2]["location"]).startswith(f"{planned_day['customers'][2].lat:.6f}")
    assert len({str(e["uid"]) for e in evs}) == 3
    assert all(str(e["status"]) == "CONFIRMED" for e in evs)


def test_ics_text_is_escaped_and_folded(client, login_as, planned_day):
    login_as(planned_day["rep"])
    body = client.get(f"/day/{DAY.isoformat()}/calendar.ics").data
    assert b"\r\n" in body
    # RFC 5545: lines at most 75 octets, continuation lines start with a space
    assert max(len(line) for line in body.split(b"\r\n")) <= 75
    unfolded = body.replace(b"\r\n ", b"")
    assert b"SUMMARY:Sakura\\, Izakaya\\; \\\\Bar" in unfolded
    assert b"Bring the new menu\\nAsk for Sato" in unfolded


def test_download_in_japanese(client, login_as, planned_day, db):
    planned_day["rep"].language = "ja"
    db.add(planned_day["rep"])
    db.commit()
    login_as(planned_day["rep"])
    cal = parse(client.get(f"/day/{DAY.isoformat()}/calendar.ics").data)
    description = str(events(cal)[0]["description"])
    assert "訪問済み" in description or "訪問完了" in description
    assert "Aランク" in description


def test_uids_survive_a_replan_and_skipped_stop_is_cancelled(client, login_as, planned_day, db):
    login_as(planned_day["rep"])
    url = f"/day/{DAY.isoformat()}/calendar.ics"
    before = {str(e["summary"]): str(e["uid"]) for e in events(parse(client.get(url).data))}
    # Re-planning replaces the stop rows; the same customer on the same day keeps its UID.
    for stop in db.exec(
        select(DayPlanStop).where(DayPlanStop.day_plan_id == planned_day["plan"].id)
    ):
        db.delete(stop)
    db.commit()
    make_again = list(reversed(planned_day["customers"]))
    for i, customer in enumerate(make_again):
        db.add(
            DayPlanStop(
                day_plan_id=planned_day["plan"].id,
                customer_id=customer.id,
                position=i,
                start=at(13 + i),
                end=at(13 + i, 20),
                state="skipped" if i == 0 else "planned",
            )
        )
    planned_day["plan"].version += 1
    db.add(planned_day["plan"])
    db.commit()
    after_events = events(parse(client.get(url).data))
    after = {str(e["summary"]): str(e["uid"]) for e in after_events}
    assert after == before
    by_name = {str(e["summary"]): e for e in after_events}
    assert str(by_name["Hokuto Office"]["status"]) == "CANCELLED"
    assert by_name["Yamada Store"].decoded("dtstart") == at(14)
    assert int(by_name["Yamada Store"]["sequence"]) == planned_day["plan"].version


def test_download_without_plan_is_404(client, login_as, planned_day):
    login_as(planned_day["rep"])
    assert (
        client.get(f"/day/{(DAY + timedelta(days=2)).isoformat()}/calendar.ics").status_code == 404
    )


# --- subscription ------------------------------------------------------------------------------------


def _make_token(client, action="rotate"):
    token = csrf_token(client.get("/me").get_data(as_text=True))
    return client.post("/me/calendar", data={"csrf_token": token, "action": action})


def _feed_url(html: str) -> str:
    match = re.search(r'id="calendar-url" type="text" readonly value="([^"]+)"', html)
    assert match, "no subscription URL on the Me page"
    return match.group(1)


def test_subscription_url_made_on_me_page_and_feed_covers_the_window(
    app, client, login_as, planned_day, db, make_plan, monkeypatch
):
    monkeypatch.setattr(clock, "now_utc", lambda: at(8))
    rep = planned_day["rep"]
    c = planned_day["customers"]
    # the first and the last day in the window
    make_plan(rep=rep, customers=[c[1]], day=DAY - timedelta(days=7), first_hour=9)
    make_plan(rep=rep, customers=[c[2]], day=DAY + timedelta(days=14), first_hour=15)
    make_plan(rep=rep, customers=[c[0]], day=DAY - timedelta(days=8))  # too old
    make_plan(rep=rep, customers=[c[0]], day=DAY + timedelta(days=15))  # too far ahead
    make_plan(rep=planned_day["colleague"], customers=[c[0]], day=DAY)  # someone else's

    login_as(rep)
    html = client.get("/me").get_data(as_text=True)
    assert 'id="calendar-create"' in html and 'id="calendar-url"' not in html
    response = _make_token(client)
    assert response.status_code == 302 and response.headers["Location"].endswith("/me#calendar")
    db.expire_all()
    token = db.get(User, rep.id).calendar_token
    assert token and len(token) >= 40
    url = _feed_url(client.get("/me").get_data(as_text=True))
    assert url.endswith(f"/calendar/{token}.ics")

    feed = app.test_client().get(
        url.replace("http://localhost", "")
    )  # a calendar app: not signed in
    assert feed.status_code == 200
    assert feed.headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "attachment" not in feed.headers.get("Content-Disposition", "")
    evs = events(parse(feed.data))
    starts = sorted(e.decoded("dtstart") for e in evs)
    assert len(evs) == 5  # the three of DAY and the two days at the edges of the window
    assert starts[0] == at(9, day=DAY - timedelta(days=7))
    assert starts[-1] == at(15, day=DAY + timedelta(days=14))
    # the owner's language is used, whoever asks
    assert "Why today" in str(evs[0]["description"])
    # the audit log notes the change but never the secret
    audit = db.exec(select(AuditEvent).where(AuditEvent.action == "calendar_rotate")).all()
    assert len(audit) == 1 and token not in (audit[0].after or "")


def test_rotating_the_token_invalidates_the_old_url(client, login_as, planned_day, db):
    login_as(planned_day["rep"])
    _make_token(client)
    old_url = _feed_url(client.get("/me").get_data(as_text=True)).replace("http://localhost", "")
    assert client.get(old_url).status_code == 200
    response = _make_token(client)
    assert response.status_code == 302
    new_url = _feed_url(client.get("/me").get_data(as_text=True)).replace("http://localhost", "")
    assert new_url != old_url
    assert client.get(old_url).status_code == 404
    assert client.get(new_url).status_code == 200
    # turning it off closes every URL
    _make_token(client, action="revoke")
    assert client.get(new_url).status_code == 404
    db.expire_all()
    assert db.get(User, planned_day["rep"].id).calendar_token is None
    assert 'id="calendar-create"' in client.get("/me").get_data(as_text=True)


def test_wrong_tokens_are_404(client, planned_day, db):
    rep = planned_day["rep"]
    rep.calendar_token = "a" * 43
    db.add(rep)
    db.commit()
    assert client.get(f"/calendar/{'a' * 43}.ics").status_code == 200
    for bad in ("b" * 43, "A" * 43, "a" * 42, "a" * 43 + "%20", "x" * 80, "None"):
        assert client.get(f"/calendar/{bad}.ics").status_code == 404, bad
    # a disabled account's feed stops too
    rep.active = False
    db.add(rep)
    db.commit()
    assert client.get(f"/calendar/{'a' * 43}.ics").status_code == 404


def test_token_actions_need_csrf_and_a_known_action(client, login_as, planned_day, db):
    login_as(planned_day["rep"])
    assert client.post("/me/calendar", data={"action": "rotate"}).status_code == 400
    token = csrf_token(client.get("/me").get_data(as_text=True))
    assert client.post("/me/calendar", data={"csrf_token": token, "action": "x"}).status_code == 400
    db.expire_all()
    assert db.get(User, planned_day["rep"].id).calendar_token is None


def test_me_page_in_japanese_shows_the_subscription(client, login_as, planned_day, db):
    planned_day["rep"].language = "ja"
    db.add(planned_day["rep"])
    db.commit()
    login_as(planned_day["rep"])
    _make_token(client)
    html = client.get("/me").get_data(as_text=True)
    assert "カレンダー" in html
    assert 'href="webcal://localhost/calendar/' in html


def test_calendar_skips_untimed_stops_and_keeps_done_visits(app, db, planned_day):
    stop = planned_day["stops"][1]
    stop.start = stop.arrival = stop.end = None
    db.add(stop)
    visit = Visit(
        customer_id=planned_day["customers"][2].id, rep_id=planned_day["rep"].id, status="done"
    )
    db.add(visit)
    db.commit()
    planned_day["stops"][2].visit_id = visit.id
    db.add(planned_day["stops"][2])
    db.commit()
    with app.test_request_context(headers={"Accept-Language": "en"}):
        days = calendar_feed.calendar_days(
            db, rep=planned_day["rep"], first=DAY, last=DAY, today=DAY
        )
        assert [s.state for s in days[0].stops] == ["done", "planned", "done"]
        body = calendar_feed.build_calendar(
            rep=planned_day["rep"], team=planned_day["team"], days=days, now=at(8), name="x"
        )
    evs = events(parse(body))
    assert [str(e["summary"]) for e in evs] == ["Sakura, Izakaya; \\Bar", "Hokuto Office"]
    assert "Visit done" in str(evs[1]["description"])
