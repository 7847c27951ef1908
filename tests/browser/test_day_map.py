"""On a phone, in Japanese: Today → Map shows the numbered stops in order (Leaflet served by the app, no tile
server configured, nothing fetched from elsewhere); tapping a stop shows its time and a navigate link; the
Calendar button downloads the day as an .ics file."""

from __future__ import annotations

from urllib.parse import urlparse

import icalendar
import pytest

from fieldapp.services import clock
from tests.browser.conftest import HOME, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NAMES = ["居酒屋 さくら", "山田商店", "北斗会計事務所"]


@pytest.fixture
def planned_day(make_home_rep, make_customer, make_plan):
    """Hanako's plan for today: three customers near HOME at 10, 11 and 12, the first visited."""
    rep = make_home_rep(name="営業 花子", email="hanako@example.com", start_label="本社")
    today = clock.local_today("Asia/Tokyo")
    customers = [
        make_customer(
            team_id=rep.team_id,
            name=name,
            address=f"東京都千代田区丸の内{i + 1}-1",
            assigned_rep_id=rep.id,
            lat=HOME[0] + 0.006 * (i + 1),
            lon=HOME[1] + (0.004 if i % 2 else -0.004) * (i + 1),
        )
        for i, name in enumerate(NAMES)
    ]
    _, stops = make_plan(
        rep=rep,
        customers=customers,
        day=today,
        version=2,
        status="in_progress",
        return_at=None,
        lead_minutes=10,
        states={0: "done"},
        reasons=False,
        rows_reversed=True,  # the page has to follow the positions, not the row order
    )
    return {"rep": rep, "customers": customers, "starts": [s.start for s in stops], "today": today}


def test_today_to_map_shows_numbered_stops_and_calendar_downloads(
    page, live_server, planned_day, tmp_path
):
    base = urlparse(live_server)
    requested: list[str] = []
    page.on("request", lambda request: requested.append(request.url))
    sign_in(page, live_server, "hanako@example.com", PASSWORD)

    # Today → 地図
    page.get_by_role("link", name="地図", exact=True).click()
    page.wait_for_selector("#day-map[data-ready='1']")
    assert "ルート地図" in page.title()
    assert page.evaluate("typeof window.L") == "object"  # Leaflet loaded, from the app itself

    # Numbered markers in the plan's order; the visited stop is marked done.
    markers = page.locator(".leaflet-marker-icon.day-map-marker.stop")
    assert markers.all_inner_texts() == ["1", "2", "3"]
    assert "state-done" in markers.nth(0).get_attribute("class")
    assert "state-planned" in markers.nth(1).get_attribute("class")
    assert page.locator(".leaflet-marker-icon.day-map-marker.place").count() == 1  # start = end
    assert page.locator("path.day-map-route").count() == 1  # the route line
    assert page.locator(".leaflet-tile").count() == 0  # no tile server configured
    assert page.locator("#no-tiles").is_visible()
    # every marker is inside the visible map (bounds fitted to the stops)
    box = page.locator("#day-map").bounding_box()
    for i in range(3):
        mb = markers.nth(i).bounding_box()
        assert box["x"] <= mb["x"] and mb["x"] + mb["width"] <= box["x"] + box["width"]
        assert box["y"] <= mb["y"] and mb["y"] + mb["height"] <= box["y"] + box["height"]

    # The list under the map: same order, times, links to the customers.
    items = page.locator("#day-map-list li[data-number]")
    texts = items.all_inner_texts()
    assert len(texts) == 3
    for i, name in enumerate(NAMES):
        assert name in texts[i]
    assert "10:00" in texts[0] and "完了" in texts[0]  # done, in Japanese
    assert "11:00" in texts[1] and "完了" not in texts[1]
    second = planned_day["customers"][1]
    assert items.nth(1).locator("a.list-title").get_attribute("href") == f"/customers/{second.id}"

    # Tapping the second marker shows its name, time and a navigate link with the coordinates.
    markers.nth(1).tap()
    popup = page.locator(".leaflet-popup-content")
    popup.wait_for()
    assert "2. 山田商店" in popup.inner_text() and "11:00–11:30" in popup.inner_text()
    nav = popup.locator("a", has_text="ナビ")
    assert f"destination={second.lat:.6f},{second.lon:.6f}" in nav.get_attribute("href")

    # Nothing was fetched from anywhere but the app (tapping links is the rep's choice, not a load).
    outside = [u for u in requested if urlparse(u).netloc != base.netloc]
    assert outside == []
    assert any("/customers/leaflet/leaflet.js" in u for u in requested)

    # Back on Today, the Calendar button downloads the day as iCalendar.
    page.goto(f"{live_server}/")
    page.locator(".more-actions > summary").click()  # the calendar is under "More"
    with page.expect_download() as info:
        page.get_by_role("link", name="カレンダー", exact=True).click()
    download = info.value
    assert download.suggested_filename == f"visits-{planned_day['today'].isoformat()}.ics"
    target = tmp_path / "day.ics"
    download.save_as(target)
    cal = icalendar.Calendar.from_ical(target.read_bytes())
    events = list(cal.walk("VEVENT"))
    assert [str(e["summary"]) for e in events] == NAMES
    assert [e.decoded("dtstart") for e in events] == planned_day["starts"]
    assert "訪問済み" in str(events[0]["description"])
    assert str(events[1]["location"]) == "東京都千代田区丸の内2-1"
