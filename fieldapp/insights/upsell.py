"""Upsell prompts: the successor of a product the customer buys, a pack size it keeps nearly reaching,
and a product whose volume keeps growing."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, timedelta
from math import ceil
from statistics import median

from .model import Catalog, Kind, Order, Prompt
from .reorder import order_days

RECENT_DAYS = 180  # a product bought within this is one the customer "buys"
WINDOW_DAYS = 90
# An order within this share of the pack size "nearly reaches" it; three of the last five make a habit.
PACK_NEAR = 0.7
PACK_HABIT = 3
# Growth: the last 90 days' quantity against the 90 before, with enough orders in both.
GROWTH_DAYS = 90
GROWTH_MIN = 1.3
GROWTH_MIN_ORDERS = 3


def upsell_prompts(
    customer_id: int,
    orders: Iterable[Order],
    catalog: Catalog,
    *,
    today: date,
    adoption: Mapping[int, float] | None = None,
    limit: int = 3,
) -> list[Prompt]:
    """`adoption`: for a superseded product, the share of its buyers who already moved to the successor."""
    days = order_days(orders, today)
    bought = set(days)
    prompts: list[Prompt] = []
    for product_id, by_day in days.items():
        product = catalog.get(product_id)
        if product is None:
            continue
        ordered = sorted(by_day)
        last = ordered[-1]
        recent = [by_day[d] for d in ordered[-5:]]
        usual = max(1, round(median(q for q, _p in recent)))
        newer = catalog.current(product_id)
        if (
            newer is not None
            and newer != product_id
            and newer not in bought
            and (today - last).days <= RECENT_DAYS
        ):
            successor = catalog.get(newer)
            share = (adoption or {}).get(product_id, 0.0)
            prompts.append(
                Prompt(
                    kind=Kind.UPSELL,
                    code="upsell_successor",
                    facts={"product": newer, "old": product_id, "pct": round(100 * share)},
                    customer_id=customer_id,
                    product_ids=(newer,),
                    value_yen=usual * successor.unit_price,
                    confidence=round(min(0.9, 0.35 + share), 3),
                    expires_on=today + timedelta(days=WINDOW_DAYS),
                    quantity=1,
                )
            )
            continue
        if not product.active or (today - last).days > RECENT_DAYS:
            continue
        price = recent[-1][1] or product.unit_price
        pack = product.pack_of
        if pack and pack > 1:
            near = [q for q, _p in recent if q % pack >= PACK_NEAR * pack]
            if len(near) >= PACK_HABIT:
                target = ceil(median(near) / pack) * pack
                prompts.append(
                    Prompt(
                        kind=Kind.UPSELL,
                        code="upsell_pack",
                        facts={"product": product_id, "pack": pack, "times": len(near),
                               "of": len(recent), "qty": usual, "target": target},
                        customer_id=customer_id,
                        product_ids=(product_id,),
                        value_yen=max(0, target - usual) * price,
                        confidence=round(0.3 + 0.1 * len(near), 3),
                        expires_on=today + timedelta(days=WINDOW_DAYS),
                        quantity=target,
                    )
                )  # fmt: skip
                continue
        start = today - timedelta(days=GROWTH_DAYS)
        before = today - timedelta(days=2 * GROWTH_DAYS)
        now_q = [by_day[d][0] for d in ordered if d >= start]
        then_q = [by_day[d][0] for d in ordered if before <= d < start]
        if len(now_q) >= GROWTH_MIN_ORDERS and len(then_q) >= GROWTH_MIN_ORDERS:
            growth = sum(now_q) / max(1, sum(then_q))
            if growth >= GROWTH_MIN:
                target = max(usual + 1, round(median(now_q) * min(growth, 2.0) ** 0.5))
                prompts.append(
                    Prompt(
                        kind=Kind.UPSELL,
                        code="upsell_growth",
                        facts={"product": product_id, "pct": round(100 * (growth - 1)),
                               "now": sum(now_q), "then": sum(then_q), "qty": usual, "target": target},
                        customer_id=customer_id,
                        product_ids=(product_id,),
                        value_yen=(target - usual) * price * len(now_q),
                        confidence=round(min(0.8, 0.3 + (growth - 1) / 2), 3),
                        expires_on=today + timedelta(days=WINDOW_DAYS),
                        quantity=target,
                    )
                )  # fmt: skip
    prompts.sort(key=lambda p: (-p.confidence, -p.value_yen, p.product_ids))
    return prompts[:limit]
