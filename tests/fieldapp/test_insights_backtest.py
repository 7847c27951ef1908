"""The rolling-origin backtest on a small synthetic history, and the CLI around it."""

from __future__ import annotations

import json
import random
from datetime import date, timedelta

from fieldapp.insights.backtest import run_backtest
from fieldapp.insights.model import Catalog, Order, ProductInfo
from fieldapp.models import OrderLine

END = date(2026, 6, 30)


def synthetic() -> tuple[list[Order], dict[int, str], Catalog]:
    """40 shops over a year and a half, each buying three products every four or six weeks at its own
    offsets (so the most ordered product is not the one due); half the shops gave up oil in the last
    months. Timing, not frequency, says what comes next."""
    rng = random.Random(3)
    cat = Catalog.of(
        [ProductInfo(1, "醤油", unit_price=4000), ProductInfo(2, "食用油", unit_price=5000),
         ProductInfo(3, "手袋", unit_price=900), ProductInfo(4, "割り箸", unit_price=500)]
    )  # fmt: skip
    orders = []
    start = END - timedelta(days=540)
    for cid in range(1, 41):
        rhythms = {1: 28, 2: 28, 3: 42} if cid % 4 else {3: 28, 4: 42, 1: 28}
        for pid, gap in rhythms.items():
            stop = END - timedelta(days=120) if (pid == 2 and cid % 2) else END
            day = start + timedelta(days=rng.randint(0, gap))
            while day <= stop:
                orders.append(Order(cid, pid, day, rng.randint(1, 3), 1000))
                day += timedelta(days=gap + rng.randint(-2, 2))
    return orders, {cid: "shop" for cid in range(1, 41)}, cat


def test_rolling_origin_cutoffs_and_equal_volume_baselines():
    orders, segments, cat = synthetic()
    steps = []
    result = run_backtest(
        orders, segments, cat, holdout_days=90, k=1, progress=lambda d, t: steps.append((d, t))
    ).as_json()
    assert result["holdout_days"] == 90 and result["k"] == 1
    assert result["cutoffs"] == 13 and steps[-1] == (13, 13)  # every 7th day of 90
    assert result["customers"] == 40
    assert set(result["kinds"]) == {"reorder", "cross_sell", "upsell"}
    reorder = result["kinds"]["reorder"]
    assert set(reorder["baselines"]) == {"frequent", "last_order", "random"}
    engine = reorder["engine"]
    assert engine["prompts"] > 0
    # the same number of prompts per customer and cutoff as the engine (fewer only when a baseline
    # has nothing more to offer: a last order holds one or two products)
    assert reorder["baselines"]["frequent"]["prompts"] == engine["prompts"]
    assert reorder["baselines"]["random"]["prompts"] == engine["prompts"]
    assert reorder["baselines"]["last_order"]["prompts"] <= engine["prompts"]
    # the engine knows which product is due (and that oil has lapsed at half the shops)
    best = max(b["precision"] for b in reorder["baselines"].values())
    assert engine["precision"] >= 1.2 * best
    assert 0 <= engine["recall"] <= 1


def test_cutoffs_see_only_the_past():
    orders, segments, cat = synthetic()
    late = [Order(99, 1, END - timedelta(days=d), 1, 1000) for d in (5, 15, 25)]
    result = run_backtest(orders + late, segments, cat, holdout_days=90, k=3).as_json()
    # customer 99 starts inside the holdout: counted only from the cutoffs after its first order
    assert result["customers"] == 41


def test_no_orders_no_cutoffs():
    result = run_backtest([], {}, Catalog.of([]), holdout_days=90, k=3).as_json()
    assert result["cutoffs"] == 0 and result["kinds"]["reorder"]["engine"]["prompts"] == 0


def test_cli_prints_a_table_and_the_json_last_line(
    runner, db, make_team, make_customer, make_product
):
    soy = make_product(name="醤油", unit_price=4000)
    team = make_team()
    for n in range(4):
        customer = make_customer(team=team)
        day = END - timedelta(days=300)
        while day <= END:
            db.add(OrderLine(customer_id=customer.id, product_id=soy.id, ordered_on=day,
                             quantity=2, unit_price=4000, source="imported"))  # fmt: skip
            day += timedelta(days=10 + n)
    db.commit()
    result = runner.invoke(
        args=["insights", "backtest", "--holdout-days", "28", "--k", "2", "--json"]
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.output.strip().splitlines()[-1])
    assert list(data) == ["holdout_days", "k", "cutoffs", "customers", "kinds"]
    assert (data["holdout_days"], data["k"], data["cutoffs"], data["customers"]) == (28, 2, 4, 4)
    assert list(data["kinds"]["reorder"]) == ["engine", "baselines"]
    assert list(data["kinds"]["reorder"]["engine"]) == ["precision", "recall", "prompts"]
    table = runner.invoke(args=["insights", "backtest", "--holdout-days", "28"])
    assert table.exit_code == 0 and "precision" in table.output and "frequent" in table.output


def test_cli_refuses_an_unknown_team_and_no_orders(runner):
    assert "no orders" in runner.invoke(args=["insights", "backtest"]).output.lower()
    assert "No team" in runner.invoke(args=["insights", "backtest", "--team", "x"]).output
