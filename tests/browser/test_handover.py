"""Handover in the browser (issue 11): a manager selects customers on the team map by dragging a
rectangle (1280 px), or hands over the filtered list (phone); previews, confirms; follow-ups and
appointments move, audited."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlmodel import select

from fieldapp.models import AuditEvent, Customer, FollowUp, Visit
from fieldapp.services import clock
from tests.browser.conftest import PHONE, sign_in
from tests.conftest import PASSWORD, saved

pytestmark = pytest.mark.browser
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def office(make_team, make_user, make_customer, make_followup, db):
    team = make_team(name="東京東営業所")
    manager = make_user(team=team, role="manager", name="部長 花子", email="boss@example.com",
                        language="ja")  # fmt: skip
    old = make_user(team=team, name="営業 一郎", email="ichiro@example.com", language="ja")
    new = make_user(team=team, name="営業 二郎", email="jiro@example.com", language="ja")
    near = [
        make_customer(team=team, name=name, assigned_rep_id=old.id, lat=lat, lon=lon)
        for name, lat, lon in (
            ("居酒屋 さくら", 35.700, 139.700),
            ("そば処 まつや", 35.702, 139.703),
        )
    ]
    far = make_customer(team=team, name="遠くの店", assigned_rep_id=old.id, lat=35.600, lon=139.900)
    followup = make_followup(actor=old, customer=near[0], title="見積書を送る", owner_id=old.id)
    start = datetime.now(UTC) + timedelta(days=1)
    appointment = saved(
        db,
        Visit(customer_id=near[1].id, rep_id=old.id, status="planned", is_appointment=True,
              scheduled_start=start),
    )  # fmt: skip
    return {"manager": manager, "old": old, "new": new, "near": near, "far": far,
            "followup": followup, "appointment": appointment}  # fmt: skip


def _drag_over(page, points):
    """Drag a rectangle around the given (lat, lon) points on the team map."""
    box = page.locator("#team-map").bounding_box()
    xy = page.evaluate(
        """(points) => {
            const map = document.getElementById('team-map').leafletMap;
            return points.map(p => { const c = map.latLngToContainerPoint(p); return [c.x, c.y]; });
        }""",
        points,
    )
    xs, ys = [x for x, _ in xy], [y for _, y in xy]
    page.mouse.move(box["x"] + min(xs) - 15, box["y"] + min(ys) - 15)
    page.mouse.down()
    page.mouse.move(box["x"] + (min(xs) + max(xs)) / 2, box["y"] + (min(ys) + max(ys)) / 2, steps=3)
    page.mouse.move(box["x"] + max(xs) + 15, box["y"] + max(ys) + 15, steps=3)
    page.mouse.up()


def _check_moved(db, office, ids):
    db.expire_all()
    new_id = office["new"].id
    for customer_id in ids:
        assert db.get(Customer, customer_id).assigned_rep_id == new_id
    assert db.get(FollowUp, office["followup"].id).owner_id == new_id
    assert db.get(Visit, office["appointment"].id).rep_id == new_id
    assert db.get(Customer, office["far"].id).assigned_rep_id == office["old"].id
    events = db.exec(select(AuditEvent).where(AuditEvent.action == "handover")).all()
    assert sorted(e.entity_id for e in events) == sorted(ids)


def test_bulk_handover_from_a_map_selection_at_desktop_width(browser, live_server, office, db):
    context = browser.new_context(viewport=DESKTOP, locale="ja-JP", timezone_id="Asia/Tokyo")
    page = context.new_page()
    try:
        sign_in(page, live_server, "boss@example.com", PASSWORD)
        page.goto(f"{live_server}/handover/map")
        assert "営業 一郎" in page.locator(".map-legend").inner_text()
        page.click("#select-area")
        _drag_over(page, [[c.lat, c.lon] for c in office["near"]])
        page.wait_for_selector("#selected-count >> text=2件選択中")
        page.click("#handover-selected")
        page.wait_for_selector("#handover-count >> text=2件を選択")
        page.select_option("select[name=to_rep]", str(office["new"].id))
        page.fill("textarea[name=note]", "店長は午前中が話しやすい")
        page.click("#handover-form button[type=submit]")
        preview = page.locator("#handover-preview").inner_text()
        assert "2件を営業 二郎さんへ" in preview
        assert page.locator("#moving-followups").inner_text() == "1"
        assert page.locator("#moving-visits").inner_text() == "1"
        page.click("#confirm-form button[type=submit]")
        page.wait_for_selector(".flash >> text=2件を営業 二郎さんへ引き継ぎました")
        listed = page.locator("#customer-list").inner_text()
        assert "居酒屋 さくら" in listed and "遠くの店" not in listed
        _check_moved(db, office, [c.id for c in office["near"]])
    finally:
        context.close()


def test_bulk_handover_of_the_filtered_list_on_a_phone(page, live_server, office, db):
    # Only the two near customers are overdue: the filter picks them.
    for customer in office["near"]:
        customer.next_due_on = clock.local_today("Asia/Tokyo") - timedelta(days=3)
        saved(db, customer)
    sign_in(page, live_server, "boss@example.com", PASSWORD)
    page.goto(f"{live_server}/customers/?mine=0&overdue=1&rep={office['old'].id}")
    page.click("#handover-filtered")
    page.wait_for_selector("#handover-count >> text=2件を選択")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.select_option("select[name=to_rep]", str(office["new"].id))
    page.click("#handover-form button[type=submit]")
    page.wait_for_selector("#handover-preview")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    page.click("#confirm-form button[type=submit]")
    page.wait_for_selector(".flash >> text=引き継ぎました")
    _check_moved(db, office, [c.id for c in office["near"]])
    # the map at phone width: no sideways scrolling, the selection tools in reach
    page.goto(f"{live_server}/handover/map")
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    assert page.locator("#select-area").bounding_box()["height"] >= 44
