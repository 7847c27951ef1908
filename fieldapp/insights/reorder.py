"""Reorder prompts: products a customer buys regularly whose usual interval has run out.

The interval is the customer's own median gap between orders of the product when there are at least three
orders (their rhythm beats the catalogue's), else the product's catalogue reorder cycle.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from statistics import median

# Prompt a little before the interval runs out: the rep may not pass by again before it does.
LEAD_DAYS = 3
# Far beyond its rhythm a product has stopped selling there: that is a risk signal, not a reorder.
LAPSED_FACTOR = 3
LAPSED_MIN_EXTRA_DAYS = 60


@dataclass(frozen=True)
class OrderFact:
    """One past order line, reduced to what the prompt needs."""

    product_id: int
    product_name: str
    ordered_on: date
    quantity: int
    catalogue_cycle_days: int | None
    # months (1–12) a seasonal product sells in; empty for all year
    season_months: tuple[int, ...] = ()


@dataclass(frozen=True)
class ReorderPrompt:
    product_id: int
    product_name: str
    last_ordered_on: date
    days_since: int
    cycle_days: int
    usual_quantity: int

    @property
    def overdue_days(self) -> int:
        return self.days_since - self.cycle_days


def reorder_prompts(
    orders: Iterable[OrderFact], *, today: date, limit: int = 3
) -> list[ReorderPrompt]:
    """Products due for a reorder by `today`, most overdue first."""
    by_product: dict[int, list[OrderFact]] = {}
    for fact in orders:
        if fact.ordered_on <= today:
            by_product.setdefault(fact.product_id, []).append(fact)
    prompts = []
    for product_id, facts in by_product.items():
        facts.sort(key=lambda f: f.ordered_on)
        days = sorted({f.ordered_on for f in facts})
        gaps = [(b - a).days for a, b in zip(days, days[1:], strict=False)]
        if len(days) >= 3:
            cycle = int(median(gaps))
        elif facts[-1].catalogue_cycle_days:
            cycle = facts[-1].catalogue_cycle_days
        else:
            continue  # one-off purchases without a known cycle are not reorders
        if cycle <= 0:
            continue
        season = facts[-1].season_months
        if season and today.month not in season:
            continue  # out of season: no prompt however long ago
        since = (today - days[-1]).days
        if since + LEAD_DAYS < cycle:
            continue
        if not season and since > max(LAPSED_FACTOR * cycle, cycle + LAPSED_MIN_EXTRA_DAYS):
            continue
        quantities = [f.quantity for f in facts[-5:]]
        prompts.append(
            ReorderPrompt(
                product_id=product_id,
                product_name=facts[-1].product_name,
                last_ordered_on=days[-1],
                days_since=since,
                cycle_days=cycle,
                usual_quantity=int(median(quantities)),
            )
        )
    prompts.sort(key=lambda p: (-p.overdue_days / max(p.cycle_days, 1), p.product_name))
    return prompts[:limit]
