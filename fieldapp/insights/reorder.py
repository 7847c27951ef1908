"""Reorder prompts: products a customer buys regularly whose usual interval is about to run out.

The interval is the customer's own median gap between order days of the product, only with at least
`MIN_ORDERS` orders (fewer cannot tell a rhythm from chance); gaps far beyond it (a holiday closure, an
out-of-season pause) are dropped before the median is taken again, so one long break does not stretch it.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import date, timedelta
from statistics import NormalDist, median

from .model import Catalog, Kind, Order, Prompt

MIN_ORDERS = 3
# Prompt when the product falls due within this many days: the rep may not pass by again before it does.
HORIZON_DAYS = 7
# The prompt holds for two weeks: an order in that window proves it right.
WINDOW_DAYS = 14
# Far beyond its rhythm a product has stopped selling there: that is a risk signal, not a reorder.
LAPSED_FACTOR = 1.5
LAPSED_MIN_EXTRA_DAYS = 7
# A gap longer than this many intervals is a pause, not the rhythm.
PAUSE_FACTOR = 2.5
RECENT_GAPS = 6
# Below this the rhythm is too irregular (or too short) to be worth the rep's attention.
MIN_CONFIDENCE = 0.3


def order_days(orders: Iterable[Order], today: date) -> dict[int, dict[date, tuple[int, int]]]:
    """Per product: order day → (quantity, unit price) before `today`."""
    days: dict[int, dict[date, tuple[int, int]]] = defaultdict(dict)
    for order in orders:
        if order.ordered_on < today:
            qty, price = days[order.product_id].get(order.ordered_on, (0, 0))
            days[order.product_id][order.ordered_on] = (
                qty + order.quantity,
                order.unit_price or price,
            )
    return days


def rhythm(days: list[date]) -> tuple[int, float] | None:
    """The usual interval in days and its spread (median absolute deviation), or None without enough orders."""
    if len(days) < MIN_ORDERS:
        return None
    gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
    first = median(gaps)
    kept = [g for g in gaps if g <= PAUSE_FACTOR * first] or gaps
    # the latest gaps: a customer's rhythm changes (busier, slowing down) and the recent one counts
    kept = kept[-RECENT_GAPS:]
    cycle = median(kept)
    if cycle <= 0:
        return None
    spread = median(abs(g - cycle) for g in kept)
    return round(cycle), spread


def window_chance(due_in: int, cycle: int, spread: float, window: int = WINDOW_DAYS) -> float:
    """The chance the next order falls within the window, given it has not come yet.

    The next order day is taken as normal around the due day, its width from the customer's own spread
    (MAD scaled to a standard deviation) plus a tenth of the interval for what the history cannot show.
    """
    sigma = max(1.5, 1.4826 * spread + 0.1 * cycle)
    dist = NormalDist(due_in, sigma)
    not_yet = 1 - dist.cdf(0)
    return (dist.cdf(window) - dist.cdf(0)) / not_yet if not_yet > 1e-6 else 0.0


def reorder_prompts(
    customer_id: int,
    orders: Iterable[Order],
    catalog: Catalog,
    *,
    today: date,
    limit: int = 3,
    horizon_days: int = HORIZON_DAYS,
) -> list[Prompt]:
    """Products due for a reorder within `horizon_days` of `today`, the surest first."""
    prompts = []
    for product_id, by_day in order_days(orders, today).items():
        product = catalog.get(product_id)
        if product is None or not product.active or not catalog.in_season(product_id, today):
            continue  # superseded or withdrawn products are the upsell's business; seasonal only in season
        days = sorted(by_day)
        found = rhythm(days)
        if found is None:
            continue
        cycle, spread = found
        since = (today - days[-1]).days
        due_in = cycle - since
        if due_in > horizon_days:
            continue
        if since > LAPSED_FACTOR * cycle + LAPSED_MIN_EXTRA_DAYS:
            continue
        recent = [by_day[d] for d in days[-5:]]
        quantity = max(1, round(median(q for q, _p in recent)))
        price = recent[-1][1] or product.unit_price
        confidence = window_chance(due_in, cycle, spread) * min(1.0, len(days) / 6)
        # long overdue is less sure than just due: the customer may have bought elsewhere
        confidence /= 1 + max(0.0, -due_in) / cycle
        if confidence < MIN_CONFIDENCE:
            continue
        prompts.append(
            Prompt(
                kind=Kind.REORDER,
                code="reorder_due",
                facts={
                    "product": product_id,
                    "cycle": cycle,
                    "since": since,
                    "orders": len(days),
                    "qty": quantity,
                },
                customer_id=customer_id,
                product_ids=(product_id,),
                value_yen=quantity * price,
                confidence=round(min(confidence, 0.95), 3),
                expires_on=today + timedelta(days=WINDOW_DAYS),
                quantity=quantity,
            )
        )
    prompts.sort(key=lambda p: (-p.confidence, -p.value_yen, p.product_ids))
    return prompts[:limit]
