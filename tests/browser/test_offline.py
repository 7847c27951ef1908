"""Offline in real Chromium at a phone viewport: the plan stays usable without a connection, visits logged
offline wait in the outbox, and are stored exactly once when the connection returns (also when replayed)."""

from __future__ import annotations

import pytest
from sqlmodel import func, select

from fieldapp.models import AuditEvent, DayPlanStop, FollowUp, OrderLine, Product, Visit
from tests.browser.conftest import HOME, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

NOTES = ["在庫確認、来週発注予定", "新メニューを検討中", "担当者が交代"]


@pytest.fixture
def phone(browser, browser_context_args):
    context = browser.new_context(
        **browser_context_args,
        geolocation={"latitude": HOME[0] + 0.003, "longitude": HOME[1]},
        permissions=["geolocation"],
    )
    yield context, context.new_page()
    context.close()


def count(db, model) -> int:
    db.expire_all()
    return db.exec(select(func.count()).select_from(model)).one()


def wait_until_kept(page) -> None:
    """Wait until the service worker controls the page and has kept the plan's pages."""
    page.wait_for_function("() => navigator.serviceWorker.ready.then(() => true)", timeout=30000)
    if not page.evaluate("navigator.serviceWorker.controller !== null"):
        # The page loaded while the worker was installing, too early to be claimed: the next one is.
        page.reload()
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=30000)
    page.wait_for_function("() => document.documentElement.dataset.offlineReady", timeout=30000)


def test_three_visits_logged_offline_are_stored_once(phone, live_server, rep_day, db):
    context, page = phone
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.locator("#plan-my-day").click()
    page.wait_for_selector("li.stop")
    assert page.locator("li.stop").count() == 4

    # Installable: manifest and icons are linked from every page.
    assert page.locator("link[rel=manifest]").count() == 1
    manifest = page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json())"
    )
    assert manifest["display"] == "standalone" and manifest["start_url"] == "/"
    assert {icon["sizes"] for icon in manifest["icons"]} >= {"192x192", "512x512"}

    # The service worker controls the page and has kept the plan's pages: today's plan (at `/`, the
    # installed app's start address), the 4 customers and their 4 visit forms.
    wait_until_kept(page)
    kept = page.evaluate(
        "caches.open('fc-pages').then(c => c.keys())"
        ".then(keys => keys.map(r => new URL(r.url).pathname + new URL(r.url).search))"
    )
    assert "/" in kept and len([u for u in kept if "/visits/new?stop=" in u]) == 4
    assert len(set(kept)) == 9, kept

    context.set_offline(True)
    stop_ids = [page.locator("li.stop").nth(i).get_attribute("data-stop-id") for i in range(3)]
    for stop_id, note in zip(stop_ids, NOTES, strict=True):
        card = page.locator(f"#stop-{stop_id}")
        card.locator("button.check-in").click()
        page.locator(f"#stop-{stop_id} .stop-pending").wait_for()
        assert "同期待ち" in page.locator(f"#stop-{stop_id} .stop-pending").inner_text()
        page.locator(f"#stop-{stop_id} a.log-visit-offline").click()
        page.wait_for_selector("form.visit-form")
        page.locator("#outcome label", has_text="面談").click()
        page.locator("textarea[name=heard]").fill(note)
        page.locator("button[type=submit]", has_text="訪問を保存").click()
        page.wait_for_selector(f"#stop-{stop_id}.stop-waiting-done")
        # What was done on the phone cannot be done again from the old copy of the page.
        assert not page.locator(f"#stop-{stop_id} button.check-in").is_visible()

    # Nothing reached the server; the banner says what waits: three check-ins and three visit logs.
    assert count(db, Visit) == 0
    assert page.locator("#outbox").get_attribute("data-pending") == "6"
    assert "6" in page.locator("#outbox-count").inner_text()

    # Reload while still offline: the plan and the pending work are still there.
    page.reload()
    page.wait_for_selector("li.stop")
    assert page.locator("li.stop").count() == 4
    page.wait_for_function("() => document.querySelector('#outbox').dataset.pending === '6'")
    assert page.locator(".stop-waiting-done").count() == 3
    assert "オフライン" in page.locator("#outbox").inner_text()
    # The customers on the plan open offline too (their page holds the recent visits).
    last = page.locator("li.stop").nth(3).locator("a.stop-name")
    name = last.inner_text().strip()
    last.click()
    page.wait_for_url("**/customers/*")
    assert name in page.locator("body").inner_text() and page.locator("#offline-page").count() == 0
    page.go_back()
    page.wait_for_selector("li.stop")
    entries = page.evaluate("FieldOutbox.all()")
    # The installed app opens at Today, which is there offline too.
    page.goto(f"{live_server}/")
    page.wait_for_selector("li.stop")
    assert page.locator(".stop-waiting-done").count() == 3
    assert [e["kind"] for e in entries] == ["check_in", "visit"] * 3
    assert len({e["key"] for e in entries}) == 6

    # Back online: the outbox is sent, the page reloads from the server with the three stops done.
    context.set_offline(False)
    page.wait_for_function(
        "() => document.querySelectorAll('li.stop.stop-done').length === 3", timeout=20000
    )
    assert page.locator("#outbox").get_attribute("data-pending") == "0"
    visits = list(db.exec(select(Visit).order_by(Visit.id)))
    assert len(visits) == 3
    assert sorted(v.heard for v in visits) == sorted(NOTES)
    assert all(v.status == "done" and v.check_in_at is not None for v in visits)
    # The check-in kept the phone's time and position from when it happened offline.
    assert all(v.check_in_lat is not None for v in visits)
    stops = {str(s.id): s for s in db.exec(select(DayPlanStop))}
    assert all(stops[s].state == "done" and stops[s].visit_id for s in stop_ids)

    # Replaying the same outbox entries stores nothing more, and every replay is accepted.
    audit_events = count(db, AuditEvent)
    page.evaluate(
        """entries => Promise.all(entries.map(e => { delete e.id; return FieldOutbox.add(e); }))""",
        entries,
    )
    page.evaluate("window.dispatchEvent(new Event('online'))")
    page.wait_for_function("() => document.querySelector('#outbox').dataset.pending === '0'")
    page.wait_for_function("() => FieldOutbox.all().then(all => all.length === 0)")
    assert count(db, Visit) == 3
    assert count(db, OrderLine) == 0
    assert count(db, AuditEvent) == audit_events
    assert [v.check_in_at for v in db.exec(select(Visit).order_by(Visit.id))] == [
        v.check_in_at for v in visits
    ]

    # Offline, a button that needs the server (re-plan) explains itself instead of a browser error.
    context.set_offline(True)
    if not page.locator("#replan").is_visible():  # on time: re-plan is under "More"
        page.locator(".more-actions > summary").click()
    page.locator("#replan").click()
    page.wait_for_selector("#offline-page")
    context.set_offline(False)

    # Signing out forgets the kept pages (customer data); signing in again works through the worker.
    page.goto(f"{live_server}/me")
    page.locator("form[action$='/logout'] button").click()
    page.wait_for_url(f"{live_server}/login*")
    assert page.evaluate("caches.has('fc-pages')") is False
    page.fill("input[name=email]", "ichiro@example.com")
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#outbox", state="attached")
    # The offline page kept in the shell was fetched without the session: nobody's data in it.
    shell_page = page.evaluate("caches.match('/offline').then(r => r.text())")
    assert 'id="offline-page"' in shell_page and 'id="outbox"' not in shell_page


def test_check_out_offline_completes_the_visit_checked_in_online(phone, live_server, rep_day, db):
    context, page = phone
    oil = Product(code="OIL", name="サラダ油 16.5kg", category="調味料", unit_price=5200)
    db.add(oil)
    db.commit()
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.locator("#plan-my-day").click()
    page.wait_for_selector("li.stop")
    wait_until_kept(page)
    stop_id = page.locator("li.stop").first.get_attribute("data-stop-id")
    page.locator(f"#stop-{stop_id} button.check-in").click()
    # online, the check-in opens the visit form; the rep goes back to the day
    page.wait_for_selector("form.visit-form")
    page.goto(f"{live_server}/")
    page.wait_for_selector(f"#stop-{stop_id}.stop-in_progress")
    checked_in = db.exec(select(Visit)).one()

    context.set_offline(True)
    page.locator(f"#stop-{stop_id} button.check-out").click()
    page.locator(f"#stop-{stop_id} .stop-pending").wait_for()
    assert "チェックアウト" in page.locator(f"#stop-{stop_id} .stop-pending").inner_text()
    page.locator(f"#stop-{stop_id} a.log-visit-offline").click()
    page.wait_for_selector("form.visit-form")
    # Offline nothing checks the form on the server: the missing outcome is asked for right here.
    page.locator("button[type=submit]", has_text="訪問を保存").click()
    assert "訪問の結果を選んでください" in page.locator(".outbox-required").inner_text()
    page.locator("#outcome label", has_text="面談").click()
    page.locator("textarea[name=heard]").fill(NOTES[0])
    # A product line and a follow-up: the outbox keeps the form's fields as they are posted.
    line = page.locator("[data-line]").nth(0)
    line.locator(".product-select").select_option(str(oil.id))
    line.locator(".qty").fill("2")
    followup = page.locator("[data-followup]").nth(0)
    followup.locator("label", has_text="見積").click()
    followup.locator("input[name='followups-0-title']").fill("見積書を送る")
    page.locator("button[type=submit]", has_text="訪問を保存").click()
    page.wait_for_selector(f"#stop-{stop_id}.stop-waiting-done")
    assert page.locator("#outbox").get_attribute("data-pending") == "2"
    kept = page.evaluate("FieldOutbox.all()")[-1]
    assert kept["kind"] == "visit" and ["followups-0-title", "見積書を送る"] in kept["form"]

    context.set_offline(False)
    page.wait_for_selector(f"#stop-{stop_id}.stop-done", timeout=20000)
    db.expire_all()
    visit = db.exec(select(Visit)).one()  # the visit checked in online, completed from the outbox
    assert visit.id == checked_in.id and visit.status == "done" and visit.heard == NOTES[0]
    assert visit.check_in_at == checked_in.check_in_at
    assert visit.check_out_at is not None and visit.check_out_at >= visit.check_in_at
    # The form's fields arrived as the online form reads them: the order line and the follow-up.
    line = db.exec(select(OrderLine)).one()
    assert (line.visit_id, line.product_id, line.quantity, line.unit_price) == (
        visit.id,
        oil.id,
        2,
        5200,
    )
    followup = db.exec(select(FollowUp)).one()
    assert (followup.kind, followup.title, followup.owner_id) == (
        "quote",
        "見積書を送る",
        rep_day["rep"].id,
    )
