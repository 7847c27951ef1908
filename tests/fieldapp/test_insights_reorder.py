"""Reorder prompts from a customer's own order rhythm (pure function, no database)."""

from __future__ import annotations

from datetime import date, timedelta

from fieldapp.insights.reorder import OrderFact, reorder_prompts

TODAY = date(2026, 11, 24)


def orders(product_id: int, name: str, last: date, gap: int, n: int, cycle=None, qty=2):
    return [
        OrderFact(product_id, name, last - timedelta(days=gap * i), qty, cycle) for i in range(n)
    ]


def test_own_rhythm_wins_over_the_catalogue():
    facts = orders(1, "醤油 18L", TODAY - timedelta(days=29), gap=30, n=4, cycle=90)
    (prompt,) = reorder_prompts(facts, today=TODAY)
    assert (prompt.cycle_days, prompt.days_since, prompt.usual_quantity) == (30, 29, 2)


def test_not_yet_due_and_one_offs_give_no_prompt():
    fresh = orders(1, "醤油", TODAY - timedelta(days=5), gap=30, n=4)
    one_off = orders(2, "記念品", TODAY - timedelta(days=400), gap=1, n=1, cycle=None)
    assert reorder_prompts(fresh + one_off, today=TODAY) == []


def test_catalogue_cycle_for_few_orders_and_most_overdue_first():
    few = orders(3, "割り箸", TODAY - timedelta(days=70), gap=60, n=2, cycle=60)
    late = orders(4, "サラダ油", TODAY - timedelta(days=80), gap=30, n=3)
    prompts = reorder_prompts(few + late, today=TODAY)
    assert [p.product_name for p in prompts] == ["サラダ油", "割り箸"]
    assert prompts[0].overdue_days == 50


def test_future_orders_are_ignored_and_limit_applies():
    future = orders(5, "未来", TODAY + timedelta(days=10), gap=30, n=4)
    many = [
        f
        for i in range(6)
        for f in orders(10 + i, f"P{i}", TODAY - timedelta(days=60), gap=30, n=3)
    ]
    assert len(reorder_prompts(future + many, today=TODAY)) == 3
    assert all(
        p.product_name != "未来" for p in reorder_prompts(future + many, today=TODAY, limit=10)
    )


def test_seasonal_products_prompt_only_in_season_and_lapsed_products_not_at_all():
    masks = [
        OrderFact(6, "マスク", TODAY - timedelta(days=240 + 20 * i), 3, 21, (11, 12, 1, 2, 3))
        for i in range(4)
    ]
    tea = [
        OrderFact(7, "麦茶", TODAY - timedelta(days=70 + 21 * i), 2, 21, (5, 6, 7, 8, 9))
        for i in range(4)
    ]
    lapsed = orders(8, "やめた商品", TODAY - timedelta(days=300), gap=20, n=4)
    assert [p.product_name for p in reorder_prompts(masks + tea + lapsed, today=TODAY)] == [
        "マスク"
    ]
