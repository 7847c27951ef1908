"""The rep's phone screens at 390×844, in Japanese and in English (issue 15).

A script over each page measures every tap target (≥ 44×44 CSS px; underlined text links aside) and the
contrast of every text (≥ 4.5:1); the visit is logged as taps and thumb scrolls counted step by step;
the customer page's first screen and Today's height are checked by element positions.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

import pytest
from sqlmodel import select

from fieldapp.models import (
    BusyPeriod,
    Contact,
    DayPlanStop,
    FollowUp,
    OrderLine,
    Product,
    Visit,
)
from fieldapp.services import clock
from fieldapp.services.teams import zone
from tests.browser.conftest import HOME, PHONE, sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

SCREEN = PHONE["height"]
# One flick of the thumb moves the page about 60 % of the screen (the issue counted 6 on 3.6 screens).
THUMB_SCROLL = int(SCREEN * 0.6)

# Every tap target and every text of the page; returns what fails. A radio or checkbox counts as its
# label (the input itself is hidden); an underlined link inside text is an inline text link, left aside.
AUDIT_JS = """
() => {
  const parse = (c) => { const m = c.match(/[\\d.]+/g).map(Number); return [m[0], m[1], m[2], m.length > 3 ? m[3] : 1]; };
  const lum = ([r, g, b]) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b); };
  const over = (top, under) => { const a = top[3]; return [0, 1, 2].map((i) => top[i] * a + under[i] * (1 - a)).concat([1]); };
  const background = (el) => {
    const layers = [];
    for (let node = el; node && node.nodeType === 1; node = node.parentElement) {
      const c = parse(getComputedStyle(node).backgroundColor);
      if (c[3] > 0) { layers.push(c); if (c[3] >= 1) break; }
    }
    let colour = [255, 255, 255, 1];
    for (let i = layers.length - 1; i >= 0; i--) colour = over(layers[i], colour);
    return colour;
  };
  const opacity = (el) => { let o = 1; for (let n = el; n && n.nodeType === 1; n = n.parentElement) o *= Number(getComputedStyle(n).opacity); return o; };
  const shown = (el) => { const r = el.getBoundingClientRect(); const s = getComputedStyle(el);
    return r.width > 0 && r.height > 0 && s.visibility !== 'hidden' && s.display !== 'none'; };
  const name = (el) => (el.id ? '#' + el.id : el.tagName.toLowerCase() + '.' + [...el.classList].join('.')) + ' "' + (el.innerText || el.value || el.title || '').trim().slice(0, 30) + '"';
  const small = [], faint = [];
  let targets = 0, texts = 0;
  const selector = 'a[href], button, input:not([type=hidden]), select, textarea, summary, [role=button], .leaflet-marker-icon';
  for (const el of document.querySelectorAll(selector)) {
    let target = el;
    if (el.matches('input[type=radio], input[type=checkbox]')) target = el.closest('label') || el;
    if (!shown(target)) continue;
    const s = getComputedStyle(el);
    const button = /button|chip|list-link|step/.test(el.className) || el.tagName !== 'A';
    if (!button && s.textDecorationLine.includes('underline')) continue;  // an inline text link
    targets++;
    const r = target.getBoundingClientRect();
    if (r.width < 43.5 || r.height < 43.5) small.push(name(el) + ' ' + Math.round(r.width) + 'x' + Math.round(r.height));
  }
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  const seen = new Set();
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (!node.textContent.trim() || seen.has(el) || !shown(el) || el.closest('script, style, noscript')) continue;
    seen.add(el);
    texts++;
    const bg = background(el);
    const fg = parse(getComputedStyle(el).color);
    fg[3] *= opacity(el);
    const text = over(fg, bg);
    const [hi, lo] = [lum(text), lum(bg)].sort((a, b) => b - a);
    const ratio = (hi + 0.05) / (lo + 0.05);
    if (ratio < 4.5) faint.push(name(el) + ' ' + ratio.toFixed(2));
  }
  return { small, faint, targets, texts };
}
"""

OPEN_ALL_JS = "() => document.querySelectorAll('details').forEach((d) => { d.open = true; })"

# Visible text in the other language: English words in the Japanese UI, Japanese in the English UI.
# (Customer data is in the page's language in these tests; digits, ranks and units are not words.)
OTHER_LANGUAGE_JS = """
(lang) => {
  const pattern = lang === 'ja' ? /[A-Za-z]{3,}/ : /[\\u3040-\\u30ff\\u4e00-\\u9faf]/;
  const out = [];
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    const el = node.parentElement;
    if (el.closest('script, style, [lang]:not(html)') || node.textContent.includes('@')) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (pattern.test(node.textContent)) out.push(node.textContent.trim().slice(0, 40));
  }
  for (const el of document.querySelectorAll('[title], [aria-label], [placeholder]')) {
    for (const attr of ['title', 'aria-label', 'placeholder']) {
      const v = el.getAttribute(attr);
      if (v && pattern.test(v)) out.push(attr + ': ' + v);
    }
  }
  return out;
}
"""

WORDS = {
    "ja": {
        "customers": [
            "居酒屋 さくら",
            "山田商店",
            "北斗会計",
            "カフェ 福助",
            "中華 龍門",
            "そば処 松",
            "パン工房 麦",
            "焼肉 大和",
            "寿司 海",
            "洋食 ひかり",
            "喫茶 木漏れ日",
            "酒店 一福",
            "定食 たけ",
            "ラーメン 虎",
            "和菓子 月",
            "弁当 まる",
            "バー 灯",
        ],
        "extra": "割烹 新井",
        "contact": "佐藤 花子",
        "busy": "ランチ営業",
        "heard": "新メニューを検討中",
        "product": "業務用醤油",
        "met": "面談",
        "positive": "好感触",
        "in3": "3日後",
        "save": "訪問を保存",
        "start": "出発",
        "moved": "移動しました",
        "removed": "予定から外しました",
        "later": "後へ",
        "remove": "外す",
        "checked_in": "チェックイン",
        "zoom_in": "拡大",
        "zoom_out": "縮小",
        "timezone": "日本時間",
        "phrase": "在庫確認、来週発注予定",
        "title": "見積書を送る",
        "move_up": "繰り上げ",
        "fu": ("今日の自分の件", "他の人の件", "昨日の自分の件"),
        "other_rep": "営業 次郎",
        "disable": "無効にする",
    },
    "en": {
        "customers": [
            "Sakura Tavern",
            "Yamada Store",
            "Hokuto Office",
            "Fukusuke Cafe",
            "Ryumon Grill",
            "Matsu Soba",
            "Mugi Bakery",
            "Yamato Grill",
            "Umi Sushi",
            "Hikari Diner",
            "Komorebi Coffee",
            "Ippuku Liquor",
            "Take Kitchen",
            "Tora Ramen",
            "Tsuki Sweets",
            "Maru Bento",
            "Akari Bar",
        ],
        "extra": "Arai Kappo",
        "contact": "Hanako Sato",
        "busy": "Lunch service",
        "heard": "Considering a new menu",
        "product": "Soy sauce",
        "met": "Met",
        "positive": "Positive",
        "in3": "In 3 days",
        "save": "Save visit",
        "start": "Start the day",
        "moved": "Moved",
        "removed": "Removed from the plan",
        "later": "Later",
        "remove": "Remove",
        "checked_in": "Checked in",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "timezone": "Japan Time",
        "phrase": "Checked stock; will order next week",
        "title": "Send the quote",
        "move_up": "Move up",
        "fu": ("mine today", "someone else's", "mine yesterday"),
        "other_rep": "Jiro Sales",
        "disable": "Disable",
    },
}


def _local(day: date, minutes: int) -> datetime:
    return datetime.combine(day, time(0), tzinfo=zone("Asia/Tokyo")).astimezone(UTC) + timedelta(
        minutes=minutes
    )


@pytest.fixture(params=["ja", "en"])
def lang(request):
    return request.param


@pytest.fixture
def day17(lang, db, make_team, make_user, make_customer, make_plan, make_visit, make_followup,
          make_order_line):  # fmt: skip
    """A rep (in `lang`) with 17 overdue customers around HOME planned for a day, one more due customer
    not on the plan; the first customer has a contact's birthday in 4 days, a lunch rush every day, a
    last visit with a note, an open follow-up and a product due for a reorder."""
    words = WORDS[lang]
    team = make_team(name="東京東営業所" if lang == "ja" else "Tokyo East")
    rep = make_user(team=team, name="営業 一郎" if lang == "ja" else "Ichiro Sales",
                    email="ichiro@example.com", language=lang, start_lat=HOME[0], start_lon=HOME[1])  # fmt: skip
    today = clock.local_today("Asia/Tokyo")
    customers = [
        make_customer(
            team_id=team.id,
            name=name,
            rank="ABC"[i % 3],
            assigned_rep_id=rep.id,
            next_due_on=today - timedelta(days=2 + i % 5),
            phone=f"03-1234-{5600 + i}",
            lat=HOME[0] + 0.002 * (i % 6),
            lon=HOME[1] + 0.002 * (i // 6),
            visit_minutes=20,
            cadence_days=14,
            kana=None,
            address=("東京都千代田区丸の内1-" if lang == "ja" else "1-") + str(i + 1),
        )  # fmt: skip
        for i, name in enumerate(words["customers"])
    ]
    extra = make_customer(team_id=team.id, name=words["extra"], rank="A", assigned_rep_id=rep.id,
                          next_due_on=today - timedelta(days=9), lat=HOME[0] + 0.001,
                          lon=HOME[1] + 0.001, visit_minutes=15, kana=None)  # fmt: skip
    first = customers[0]
    in4 = today + timedelta(days=4)
    db.add(Contact(customer_id=first.id, name=words["contact"], role="店長" if lang == "ja" else "Owner",
                   birthday=date(1980, in4.month, min(in4.day, 28)), is_primary=True))  # fmt: skip
    db.add(BusyPeriod(customer_id=first.id, kind="weekly", weekdays="0123456", start_min=690,
                      end_min=810, label=words["busy"]))  # fmt: skip
    soy = Product(code="SOY", name="業務用醤油 18L", name_en="Soy sauce 18 L", category="food",
                  unit_price=4200, reorder_cycle_days=30)  # fmt: skip
    db.add(soy)
    db.commit()
    for back in (95, 65, 35):
        make_order_line(
            customer=first, product=soy, ordered_on=today - timedelta(days=back), quantity=2
        )
    last_week = datetime.combine(today - timedelta(days=7), time(2), tzinfo=UTC)
    make_visit(
        rep=rep, customer=first, now=last_week, heard=words["heard"], next_action=words["title"]
    )
    make_followup(
        actor=rep, customer=first, title=words["title"], due_date=today + timedelta(days=2)
    )
    return {"team": team, "rep": rep, "customers": customers, "extra": extra, "today": today, "words": words,
            "soy": soy, "make_plan": make_plan}  # fmt: skip


def _plan(data, day: date, *, timed: bool = True):
    """The 17 customers as the day's plan: every 25 minutes from 9:00 (or untimed)."""
    plan, stops = data["make_plan"](
        rep=data["rep"], customers=data["customers"], day=day, first_hour=None
    )
    if timed:
        db = data["db"]
        for i, stop in enumerate(stops):
            stop.start = _local(day, 540 + 25 * i)
            stop.arrival = stop.start - timedelta(minutes=5)
            stop.end = stop.start + timedelta(minutes=20)
            db.add(stop)
        db.commit()
    return plan, stops


class Thumb:
    """Taps and thumb scrolls as a rep makes them: a target out of reach costs thumb scrolls first."""

    def __init__(self, page):
        self.page = page
        self.taps = 0
        self.scrolls = 0

    def reach(self, locator) -> None:
        locator.wait_for(state="visible")
        for _ in range(20):
            # the visible area: below the sticky top bar, above the sticky bars at the bottom (the
            # bottom navigation, the visit form's save bar, the report's buttons) unless the target is in one
            view = locator.evaluate(
                """(el) => { const r = el.getBoundingClientRect();
                const top = document.querySelector('.topbar').getBoundingClientRect().bottom;
                const bars = [...document.querySelectorAll('.bottom-nav, .vf-save, .report-actions')]
                  .filter((bar) => !bar.contains(el)).map((bar) => bar.getBoundingClientRect().top)
                  .filter((t) => t > innerHeight / 2);
                return {y: r.top, bottom: r.bottom, top: top, limit: Math.min(innerHeight, ...bars)}; }"""
            )
            if view["y"] >= view["top"] and view["bottom"] <= view["limit"]:
                return
            step = -THUMB_SCROLL if view["y"] < view["top"] else THUMB_SCROLL
            self.page.evaluate(f"window.scrollBy(0, {step})")
            self.scrolls += 1
        raise AssertionError(f"could not reach the target: {view}")

    def tap(self, locator) -> None:
        self.reach(locator)
        locator.click()
        self.taps += 1

    def type(self, locator, text: str) -> None:
        self.reach(locator)
        locator.fill(text)

    def new_page(self) -> None:
        """A new page opened: it starts at its top (or at its anchor)."""
        self.page.wait_for_load_state("load")


def audit(page, label: str) -> None:
    """Tap targets ≥ 44×44 and text contrast ≥ 4.5:1 on what the page shows, and with every fold open."""
    for state in ("as shown", "folds open"):
        if state == "folds open":
            page.evaluate(OPEN_ALL_JS)
        result = page.evaluate(AUDIT_JS)
        assert result["targets"] > 0 and result["texts"] > 0
        assert result["small"] == [], f"{label} ({state}): small tap targets {result['small']}"
        assert result["faint"] == [], f"{label} ({state}): low contrast {result['faint']}"


def one_language(page, lang: str, label: str) -> None:
    found = page.evaluate(OTHER_LANGUAGE_JS, lang)
    assert found == [], f"{label}: text in the other language {found}"


def in_view(page, selector: str) -> dict:
    """The element's box against the visible area (below the sticky top bar, above the bottom nav)."""
    return page.evaluate(
        """(sel) => { const r = document.querySelector(sel).getBoundingClientRect();
        const top = document.querySelector('.topbar').getBoundingClientRect().bottom;
        const bottom = document.querySelector('.bottom-nav').getBoundingClientRect().top;
        return {top: r.top, bottom: r.bottom, visibleTop: top, visibleBottom: bottom,
                inside: r.top >= top - 0.5 && r.bottom <= bottom + 0.5}; }""",
        selector,
    )


@pytest.fixture
def data(day17, db):
    day17["db"] = db
    return day17


def test_today_with_17_stops_fits_in_three_screens(page, live_server, data, lang):
    words = data["words"]
    tomorrow = data["today"] + timedelta(days=1)
    _plan(data, tomorrow)
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.goto(f"{live_server}/day/{tomorrow.isoformat()}")
    page.wait_for_selector("li.stop")
    assert page.locator("li.stop").count() == 17
    height = page.evaluate("document.documentElement.scrollHeight")
    print(f"[{lang}] Today with 17 stops: {height} px = {height / SCREEN:.2f} screens")
    assert height <= 3 * SCREEN, f"Today is {height / SCREEN:.2f} screens long"
    # the next stop is open, the other 16 are one line each
    assert page.locator("li.stop details[open]").count() == 1
    assert page.locator("li.stop").first.locator("details[open]").count() == 1
    # nothing has begun: the main button starts the day at the first stop
    main = page.locator("#main-action")
    assert main.get_attribute("data-moment") == "start"
    assert words["start"] in main.inner_text() and words["customers"][0] in main.inner_text()
    # the birthday of the first customer's contact shows on its card
    assert page.locator("li.stop").first.locator(".stop-birthday").count() == 1
    one_language(page, lang, "Today")
    audit(page, "Today")


def test_typical_visit_takes_five_taps_and_chips_only_four(page, live_server, data, lang, db):
    words = data["words"]
    today = data["today"]
    _plan(data, today, timed=False)
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    thumb = Thumb(page)

    # check in, outcome, reception, one product, a follow-up due in 3 days, check out (the save)
    card = page.locator("li.stop").first
    thumb.tap(card.locator("button.check-in"))  # 1
    page.wait_for_selector("form.visit-form")
    assert page.locator("#before-visit").count() == 1
    thumb.tap(page.locator("#outcome label", has_text=words["met"]))  # 2
    thumb.tap(page.locator(".vf-reception label", has_text=words["positive"]))  # 3
    thumb.type(page.locator(".usual-line .qty").first, "1")
    followup = page.locator("[data-followup]").first
    thumb.type(followup.locator("input[name='followups-0-title']"), words["title"])
    thumb.tap(followup.locator(".due-chips button", has_text=words["in3"]))  # 4
    thumb.tap(page.locator("button[type=submit]", has_text=words["save"]))  # 5
    page.wait_for_selector("li.stop.stop-done")
    print(f"[{lang}] typical visit: {thumb.taps} taps, {thumb.scrolls} thumb scrolls")
    assert thumb.taps == 5
    assert thumb.scrolls <= 2, f"{thumb.scrolls} thumb scrolls"
    # no date picker was opened: the chip set the date
    visit = db.exec(select(Visit).where(Visit.status == "done", Visit.heard.is_(None))).one()
    assert visit.check_in_at is not None and visit.check_out_at is not None
    assert visit.outcome == "met" and visit.proposal_reception == "positive"
    line = db.exec(select(OrderLine).where(OrderLine.visit_id == visit.id)).one()
    assert line.quantity == 1 and line.product_id == data["soy"].id
    created = db.exec(select(FollowUp).where(FollowUp.visit_id == visit.id)).one()
    assert created.due_date == today + timedelta(days=3)
    # back on Today: the card acted on is fully in view with its confirmation inside it
    done_card = (
        f"#stop-{db.exec(select(DayPlanStop).where(DayPlanStop.visit_id == visit.id)).one().id}"
    )
    assert page.locator(f"{done_card} .stop-flash").count() == 1
    assert in_view(page, done_card)["inside"], in_view(page, done_card)

    # a visit with phrase chips only: check in, outcome, a phrase, save
    thumb = Thumb(page)
    page.goto(f"{live_server}/")
    nxt = page.locator("li.stop.stop-next")
    thumb.tap(nxt.locator("button.check-in"))  # 1
    page.wait_for_selector("form.visit-form")
    thumb.tap(page.locator("#outcome label", has_text=words["met"]))  # 2
    thumb.tap(page.locator("[data-phrases-for=heard] button", has_text=words["phrase"]))  # 3
    thumb.tap(page.locator("button[type=submit]", has_text=words["save"]))  # 4
    page.wait_for_selector("li.stop.stop-done >> nth=1")
    print(f"[{lang}] chips-only visit: {thumb.taps} taps, {thumb.scrolls} thumb scrolls")
    assert thumb.taps == 4 and thumb.scrolls == 0
    assert db.exec(select(Visit).where(Visit.heard == words["phrase"])).one().status == "done"


def test_after_each_action_the_card_is_in_view_with_its_confirmation(
    page, live_server, data, lang, db
):
    words = data["words"]
    _plan(data, data["today"], timed=False)
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    # move stop 9 later: its card, open, with the message, fully below the top bar
    ninth = page.locator("li.stop").nth(8)
    stop_id = ninth.get_attribute("data-stop-id")
    ninth.locator(".stop-toggle").click()
    ninth.locator("button.move-down").click()
    page.wait_for_selector(f"#stop-{stop_id} .stop-flash")
    assert words["moved"] in page.locator(f"#stop-{stop_id} .stop-flash").inner_text()
    assert in_view(page, f"#stop-{stop_id}")["inside"], in_view(page, f"#stop-{stop_id}")

    # Remove asks first: the first tap only opens the question
    twelfth = page.locator("li.stop").nth(11)
    gone = twelfth.get_attribute("data-stop-id")
    before = page.locator("li.stop").nth(10).get_attribute("data-stop-id")
    twelfth.locator(".stop-toggle").click()
    twelfth.locator("summary", has_text=words["remove"]).click()
    question = twelfth.locator(".confirm-box")
    assert question.is_visible()
    assert db.exec(select(DayPlanStop).where(DayPlanStop.id == int(gone))).first() is not None
    question.locator("button.confirm-yes").click()
    page.wait_for_selector(f"#stop-{before} .stop-flash")
    assert page.locator(f"#stop-{gone}").count() == 0
    assert words["removed"] in page.locator(f"#stop-{before} .stop-flash").inner_text()
    assert in_view(page, f"#stop-{before}")["inside"], in_view(page, f"#stop-{before}")

    # check in from Today without opening the form (the plain check-in): the card and its message
    first_id = page.locator("li.stop").first.get_attribute("data-stop-id")
    page.evaluate("id => document.querySelector(`#stop-${id} input[name=then]`).remove()", first_id)
    page.locator(f"#stop-{first_id} button.check-in").click()
    page.wait_for_selector(f"#stop-{first_id}.stop-in_progress .stop-flash")
    assert words["checked_in"] in page.locator(f"#stop-{first_id} .stop-flash").inner_text()
    assert in_view(page, f"#stop-{first_id}")["inside"]


def test_customer_page_first_screen(page, live_server, data, lang):
    words = data["words"]
    first = data["customers"][0]
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.goto(f"{live_server}/customers/{first.id}")
    page.wait_for_selector("#who")
    fold = page.evaluate("document.querySelector('.bottom-nav').getBoundingClientRect().top")
    shown = {
        "rank": "#first-rank",
        "cadence": "#first-cadence",
        "last visit": "#first-last-visit",
        "today's busy periods": "#first-busy",
        "key contact": "#first-contact",
        "birthday": "#first-birthday",
        "last note": "#first-note",
        "open follow-ups": "#first-followups",
        "top prompt": "#first-prompt",
    }
    for what, selector in shown.items():
        box = page.locator(selector).bounding_box()
        assert box is not None, what
        assert box["y"] + box["height"] <= fold, f"{what} is below the first screen ({box})"
    assert words["busy"] in page.locator("#first-busy").inner_text()
    assert words["contact"] in page.locator("#first-contact").inner_text()
    assert words["heard"] in page.locator("#first-note").inner_text()
    assert words["title"] in page.locator("#first-followups").inner_text()
    assert words["product"] in page.locator("#first-prompt").inner_text()
    # the actions fold away under one button; the log-a-visit button stays
    assert page.locator("#customer-actions").get_attribute("open") is None
    assert page.locator("#log-visit").is_visible()
    one_language(page, lang, "customer page")
    audit(page, "customer page")


def test_nearby_offers_other_customers_and_moves_later_stops_up(page, live_server, data, lang, db):
    words = data["words"]
    _plan(data, data["today"], timed=False)
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)
    page.goto(
        f"{live_server}/day/{data['today'].isoformat()}/nearby?minutes=60&lat={HOME[0]}&lon={HOME[1]}"
    )
    page.wait_for_selector("#nearby")
    fresh = page.locator("#nearby").inner_text()
    assert words["extra"] in fresh
    assert not any(name in fresh for name in words["customers"])
    later = page.locator("#nearby-later .nearby-later-item")
    assert later.count() >= 1
    name = later.first.locator(".list-title").inner_text()
    assert name != words["customers"][0]  # the next stop is not "later"
    one_language(page, lang, "nearby")
    audit(page, "nearby")
    later.first.locator("button.move-next").click()
    page.wait_for_selector(".stop-flash")
    first_planned = page.locator("li.stop").first
    assert name in first_planned.locator(".stop-name").inner_text()
    assert words["moved"] in first_planned.locator(".stop-flash").inner_text()


def test_map_report_and_me_in_the_ui_language(
    page, live_server, data, lang, db, make_followup, make_user
):
    words = data["words"]
    today = data["today"]
    _plan(data, today, timed=False)
    sign_in(page, live_server, "ichiro@example.com", PASSWORD)

    page.goto(f"{live_server}/day/{today.isoformat()}/map")
    page.wait_for_selector(".leaflet-control-zoom-in")
    assert page.locator(".leaflet-control-zoom-in").get_attribute("title") == words["zoom_in"]
    assert page.locator(".leaflet-control-zoom-out").get_attribute("title") == words["zoom_out"]
    one_language(page, lang, "map")
    audit(page, "map")

    # 日報: "follow-ups created today" counts only those this rep created today
    rep, first = data["rep"], data["customers"][0]
    other = make_user(team=data["team"], email="jiro@example.com", name=words["other_rep"])
    mine, others, yesterday = words["fu"]
    make_followup(actor=rep, customer=first, title=mine)
    make_followup(actor=other, customer=first, title=others)
    make_followup(actor=rep, customer=first, title=yesterday,
                  now=clock.now_utc() - timedelta(days=1))  # fmt: skip
    page.goto(f"{live_server}/reports/day/{today.isoformat()}")
    page.wait_for_selector("#report-form")
    submit = page.locator("#report-submit").bounding_box()
    assert submit["y"] + submit["height"] <= page.evaluate(
        "document.querySelector('.bottom-nav').getBoundingClientRect().top"
    ), "the submit button needs a scroll"
    created = page.locator("#report-followups").inner_text()
    assert mine in created and others not in created and yesterday not in created
    audit(page, "daily report")

    page.goto(f"{live_server}/me")
    assert page.locator("#me-timezone").inner_text().strip() == words["timezone"]
    one_language(page, lang, "Me")
    audit(page, "Me")

    # the visit form
    page.goto(f"{live_server}/customers/{first.id}/visits/new")
    page.wait_for_selector("form.visit-form")
    one_language(page, lang, "visit form")
    audit(page, "visit form")


def test_disabling_a_rep_asks_first(page, live_server, data, lang, make_user, db):
    words = data["words"]
    rep = data["rep"]
    make_user(
        team=data["team"], email="boss@example.com", name="Boss", role="manager", language=lang
    )
    sign_in(page, live_server, "boss@example.com", PASSWORD)
    page.goto(f"{live_server}/team")
    row = page.locator("li.list-item", has_text=rep.name)
    row.locator("summary", has_text=words["disable"]).click()
    assert row.locator(".confirm-box").is_visible()
    db.refresh(rep)
    assert rep.active
    row.locator("button.confirm-yes").click()
    page.wait_for_load_state("load")
    db.refresh(rep)
    assert not rep.active
