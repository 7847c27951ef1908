"""The prompt rules over plain data (no database): each rule's edges."""

from __future__ import annotations

from datetime import date, timedelta

from fieldapp.insights.cross_sell import BasketStats, cross_sell_prompts
from fieldapp.insights.engine import CustomerData, TeamData, customer_prompts, is_quiet
from fieldapp.insights.model import (
    Catalog,
    ContactInfo,
    Feedback,
    Kind,
    Note,
    Order,
    ProductInfo,
    Response,
)
from fieldapp.insights.needs import needs_prompts, product_terms
from fieldapp.insights.relationship import relationship_prompts
from fieldapp.insights.reorder import reorder_prompts, rhythm
from fieldapp.insights.risk import risk_prompt
from fieldapp.insights.text import mentions, normalise
from fieldapp.insights.upsell import upsell_prompts

TODAY = date(2026, 11, 24)


def catalog(*products: ProductInfo) -> Catalog:
    base = [
        ProductInfo(1, "醤油 18L", unit_price=4000),
        ProductInfo(2, "割り箸", unit_price=800),
        ProductInfo(3, "食用油", unit_price=5000, tags=("食用油", "oil")),
    ]
    return Catalog.of([*base, *products])


def every(product_id: int, last: date, gap: int, n: int, qty: int = 2, cid: int = 1):
    return [Order(cid, product_id, last - timedelta(days=gap * i), qty, 1000) for i in range(n)]


# --- reorder ---------------------------------------------------------------------------------------


def test_reorder_from_own_rhythm_with_evidence_and_value():
    (prompt,) = reorder_prompts(
        1, every(1, TODAY - timedelta(days=29), 30, 6), catalog(), today=TODAY
    )
    assert prompt.kind == Kind.REORDER
    assert (prompt.facts["cycle"], prompt.facts["since"], prompt.facts["qty"]) == (30, 29, 2)
    assert prompt.value_yen == 2000 and 0 < prompt.confidence <= 0.95
    assert prompt.expires_on == TODAY + timedelta(days=14)


def test_reorder_needs_enough_orders_and_is_not_due_too_early():
    two = every(1, TODAY - timedelta(days=40), 30, 2)
    fresh = every(2, TODAY - timedelta(days=5), 30, 6)
    assert reorder_prompts(1, two + fresh, catalog(), today=TODAY) == []


def test_reorder_rhythm_ignores_an_outlier_pause():
    days = [TODAY - timedelta(days=d) for d in (300, 270, 240, 120, 90, 60, 30)]
    assert rhythm(sorted(days))[0] == 30  # the 120-day closure is a pause, not the rhythm


def test_reorder_skips_lapsed_inactive_and_out_of_season_products():
    lapsed = every(1, TODAY - timedelta(days=90), 20, 6)
    inactive = every(4, TODAY - timedelta(days=30), 30, 6)
    winter = every(5, TODAY - timedelta(days=30), 30, 6)
    cat = catalog(
        ProductInfo(4, "廃番", active=False), ProductInfo(5, "麦茶", season_months=(6, 7, 8))
    )
    assert reorder_prompts(1, lapsed + inactive + winter, cat, today=TODAY) == []


def test_reorder_ignores_future_orders_and_keeps_the_limit():
    future = every(1, TODAY + timedelta(days=10), 30, 6)
    many = [o for p in range(10, 16) for o in every(p, TODAY - timedelta(days=30), 30, 6)]
    cat = catalog(*(ProductInfo(p, f"P{p}") for p in range(10, 16)))
    prompts = reorder_prompts(1, future + many, cat, today=TODAY, limit=3)
    assert len(prompts) == 3 and all(p.product_id != 1 for p in prompts)


# --- cross-sell ------------------------------------------------------------------------------------


def _stats() -> BasketStats:
    # Restaurants: whoever buys soy sauce (1) mostly buys oil (3) too; chopsticks (2) go with anything.
    baskets = {c: {1, 3} for c in range(10, 20)} | {c: {2} for c in range(20, 30)}
    baskets |= {30: {1}, 31: {1, 2}}
    return BasketStats.of(baskets, {c: "restaurant" for c in baskets})


def test_cross_sell_suggests_what_similar_baskets_buy_with_the_rule():
    (prompt,) = cross_sell_prompts(1, "restaurant", {1}, _stats(), catalog(), today=TODAY)
    assert prompt.product_id == 3
    assert prompt.facts["because"] == 1 and prompt.facts["pct"] == 83 and prompt.facts["lift"] > 1


def test_cross_sell_never_offers_what_it_buys_or_other_segments_rules():
    assert cross_sell_prompts(1, "restaurant", {1, 3}, _stats(), catalog(), today=TODAY) == []
    assert cross_sell_prompts(1, "clinic", {1}, _stats(), catalog(), today=TODAY) == []


def test_cross_sell_offers_the_successor_of_a_superseded_product_and_never_an_inactive_one():
    cat = Catalog.of(
        [
            ProductInfo(1, "醤油"),
            ProductInfo(3, "食用油 旧", active=False),
            ProductInfo(9, "食用油 新", replaces_id=3),
        ]
    )
    (prompt,) = cross_sell_prompts(1, "restaurant", {1}, _stats(), cat, today=TODAY)
    assert prompt.product_id == 9
    gone = Catalog.of([ProductInfo(1, "醤油"), ProductInfo(3, "食用油 旧", active=False)])
    assert cross_sell_prompts(1, "restaurant", {1}, _stats(), gone, today=TODAY) == []


# --- upsell ----------------------------------------------------------------------------------------


def test_upsell_successor_of_a_product_they_buy():
    cat = Catalog.of(
        [ProductInfo(1, "消毒液"), ProductInfo(7, "消毒液 低刺激", unit_price=3900, replaces_id=1)]
    )
    orders = every(1, TODAY - timedelta(days=10), 30, 4)
    (prompt,) = upsell_prompts(1, orders, cat, today=TODAY, adoption={1: 0.4})
    assert (prompt.code, prompt.product_id, prompt.facts["pct"]) == ("upsell_successor", 7, 40)
    # already moved: nothing to suggest
    assert (
        upsell_prompts(1, orders + every(7, TODAY - timedelta(days=3), 30, 1), cat, today=TODAY)
        == []
    )


def test_upsell_pack_size_reached_repeatedly_and_growth():
    cat = catalog(ProductInfo(8, "手袋", unit_price=950, pack_of=10))
    near = every(8, TODAY - timedelta(days=5), 14, 5, qty=9)
    (pack,) = upsell_prompts(1, near, cat, today=TODAY)
    assert (pack.code, pack.quantity, pack.value_yen) == (
        "upsell_pack",
        10,
        1000,
    )  # one more at the price paid
    assert (
        upsell_prompts(1, every(8, TODAY - timedelta(days=5), 14, 5, qty=4), cat, today=TODAY) == []
    )
    growing = every(1, TODAY - timedelta(days=3), 15, 6, qty=6) + every(
        1, TODAY - timedelta(days=100), 15, 6, qty=3
    )
    (grow,) = upsell_prompts(1, growing, cat, today=TODAY)
    assert grow.code == "upsell_growth" and grow.facts["pct"] == 100


# --- needs heard -----------------------------------------------------------------------------------


def test_text_normalisation_width_kana_and_english_words():
    assert normalise("ｼｮｳﾕ") == normalise("ショウユ") == "しょうゆ"
    assert mentions(normalise("We need more OIL for frying"), "oil")
    assert not mentions(normalise("toilet paper"), "oil")


def test_needs_heard_matches_tags_in_japanese_and_english_but_not_what_it_buys():
    cat = catalog()
    words = product_terms(cat)
    ja = [Note(TODAY - timedelta(days=3), "揚げ物が増えて食用油をもっと使う")]
    (prompt,) = needs_prompts(1, ja, set(), cat, words, today=TODAY)
    assert prompt.product_id == 3 and prompt.facts["word"] == "食用油"
    en = [Note(TODAY - timedelta(days=3), "Asked about cheaper OIL")]
    assert [p.product_id for p in needs_prompts(1, en, set(), cat, words, today=TODAY)] == [3]
    assert needs_prompts(1, ja, {3}, cat, words, today=TODAY) == []  # already buys it
    old = [Note(TODAY - timedelta(days=100), "食用油")]
    assert needs_prompts(1, old, set(), cat, words, today=TODAY) == []
    summer = catalog(
        ProductInfo(6, "冷やし中華スープ", tags=("冷たい麺",), season_months=(5, 6, 7, 8))
    )
    cold = [Note(TODAY - timedelta(days=3), "夏メニューで冷たい麺を増やす予定")]
    assert needs_prompts(1, cold, set(), summer, product_terms(summer), today=TODAY) == []


# --- risk ------------------------------------------------------------------------------------------


def test_risk_from_fewer_orders_negative_visits_and_complaints():
    history = every(1, TODAY - timedelta(days=95), 14, 20)  # busy until three months ago
    recent = every(1, TODAY - timedelta(days=10), 60, 1)
    notes = [Note(TODAY - timedelta(days=d), "", "complaint_handled") for d in (5, 30)]
    prompt = risk_prompt(1, history + recent, notes, open_complaints=1, today=TODAY)
    codes = [r["code"] for r in prompt.facts["reasons"]]
    assert codes == ["fewer_orders", "less_spend", "negative_visits", "open_complaints"]
    assert prompt.value_yen > 0


def test_no_risk_for_a_steady_customer_or_too_little_history():
    steady = every(1, TODAY - timedelta(days=3), 14, 30)
    assert risk_prompt(1, steady, [], open_complaints=0, today=TODAY) is None
    short = every(1, TODAY - timedelta(days=200), 14, 2)
    assert risk_prompt(1, short, [], open_complaints=0, today=TODAY) is None


# --- relationship ----------------------------------------------------------------------------------


def test_birthday_soon_and_first_order_anniversary():
    contacts = [
        ContactInfo(1, "山田 太郎", date(1970, 11, 27)),
        ContactInfo(2, "佐藤 花子", date(1980, 6, 1)),
    ]
    prompts = relationship_prompts(1, contacts, date(2023, 11, 30), today=TODAY)
    assert [(p.code, p.facts["days"]) for p in prompts] == [("birthday", 3), ("anniversary", 6)]
    assert prompts[1].facts["years"] == 3
    leap = relationship_prompts(
        1, [ContactInfo(3, "閏", date(1988, 2, 29))], None, today=date(2027, 2, 25)
    )
    assert leap[0].facts["days"] == 3  # celebrated on 28 February in a common year


# --- the engine ------------------------------------------------------------------------------------


def test_declined_prompt_stays_quiet_for_its_kind_then_returns():
    data = CustomerData(1, "restaurant", orders=every(1, TODAY - timedelta(days=29), 30, 6))
    team = TeamData(catalog=catalog(), baskets=BasketStats())
    assert [p.kind for p in customer_prompts(data, team, today=TODAY)] == [Kind.REORDER]
    data.feedback = [Feedback(Kind.REORDER, 1, Response.DECLINED, TODAY - timedelta(days=3))]
    assert customer_prompts(data, team, today=TODAY) == []
    data.feedback = [Feedback(Kind.REORDER, 1, Response.DECLINED, TODAY - timedelta(days=20))]
    assert len(customer_prompts(data, team, today=TODAY)) == 1
    # another kind's answer does not silence it
    data.feedback = [Feedback(Kind.CROSS_SELL, 1, Response.DECLINED, TODAY)]
    assert len(customer_prompts(data, team, today=TODAY)) == 1


def test_quiet_periods_differ_by_kind():
    declined = [Feedback(Kind.CROSS_SELL, 3, Response.DECLINED, TODAY - timedelta(days=60))]
    data = CustomerData(1, "restaurant", orders=every(1, TODAY - timedelta(days=200), 30, 5))
    team = TeamData(catalog=catalog(), baskets=_stats())
    prompt = cross_sell_prompts(1, "restaurant", {1}, team.baskets, team.catalog, today=TODAY)[0]
    assert is_quiet(prompt, declined, TODAY)  # cross-sell stays quiet 120 days
    reorder_declined = [Feedback(Kind.REORDER, 3, Response.DECLINED, TODAY - timedelta(days=60))]
    assert not is_quiet(prompt, reorder_declined, TODAY)
    data.feedback = declined
    assert all(p.kind != Kind.CROSS_SELL for p in customer_prompts(data, team, today=TODAY))


def test_one_product_is_one_prompt_and_k_per_kind():
    orders = [o for p in range(10, 18) for o in every(p, TODAY - timedelta(days=30), 30, 6)]
    cat = catalog(*(ProductInfo(p, f"P{p}", unit_price=100 * p) for p in range(10, 18)))
    data = CustomerData(1, "shop", orders=orders)
    prompts = customer_prompts(data, TeamData(catalog=cat, baskets=BasketStats()), today=TODAY, k=2)
    assert [p.kind for p in prompts] == [Kind.REORDER, Kind.REORDER]
    assert len({p.product_id for p in prompts}) == 2
