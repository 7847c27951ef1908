"""Cross-sell prompts: products that customers like this one buy together with what it buys.

Association rules within the customer's segment: for a product `a` the customer buys and a product `b` it
does not, confidence = share of the segment's buyers of `a` who also buy `b`, lift = that confidence
against `b`'s share of the whole segment. Only rules lifted above chance and carried by enough customers
count; the best rule for `b` is its evidence (「同じ業種で○○を買う店の62%が一緒に購入」).
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import permutations

from .model import Catalog, Kind, Prompt

MIN_PAIR_CUSTOMERS = 3  # a rule seen at fewer customers is anecdote
MIN_LIFT = 1.0  # not below chance; the basket-wide score below does the weighing
MIN_CONFIDENCE = 0.15
WINDOW_DAYS = 90
SMOOTHING = 5  # customers' worth of the segment average mixed into each item's vote


@dataclass
class BasketStats:
    """Per segment: its customers, each product's buyers and each ordered pair's common buyers."""

    customers: Counter[str] = field(default_factory=Counter)
    buyers: dict[str, Counter[int]] = field(default_factory=lambda: defaultdict(Counter))
    pairs: dict[str, Counter[tuple[int, int]]] = field(default_factory=lambda: defaultdict(Counter))
    # median quantity per order of each product across the segment, for the expected value
    usual_quantity: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, baskets: Mapping[int, Iterable[int]], segments: Mapping[int, str]) -> BasketStats:
        """From each customer's set of products (the loader may instead fill the counts from SQL)."""
        stats = cls()
        for customer_id, products in baskets.items():
            segment = segments.get(customer_id, "")
            items = sorted(set(products))
            stats.customers[segment] += 1
            stats.buyers[segment].update(items)
            stats.pairs[segment].update(permutations(items, 2))
        return stats

    def best_sellers(self, segment: str) -> list[int]:
        """The segment's products by number of buyers (ties by id), for the baseline and fallbacks."""
        return [p for p, _n in sorted(self.buyers[segment].items(), key=lambda kv: (-kv[1], kv[0]))]


def cross_sell_prompts(
    customer_id: int,
    segment: str,
    bought: Iterable[int],
    stats: BasketStats,
    catalog: Catalog,
    *,
    today: date,
    limit: int = 3,
) -> list[Prompt]:
    """New products for this customer, best supported first; never one it buys (or buys an older version of)."""
    basket = set(bought)
    # what it buys, with superseded products counted as their successors too
    owned = basket | {catalog.current(p) for p in basket} - {None}
    n = stats.customers[segment]
    buyers, pairs = stats.buyers[segment], stats.pairs[segment]
    if n == 0:
        return []
    # offer → [best rule's confidence, its lift, its antecedent, its customers, rules over MIN_LIFT]
    best: dict[int, list] = {}
    for (a, b), together in pairs.items():
        if a not in basket or together < MIN_PAIR_CUSTOMERS:
            continue
        offer = catalog.current(b)
        if offer is None or offer in owned or b in owned:
            continue
        if not catalog.in_season(offer, today) and not catalog.in_season(
            offer, today + timedelta(days=30)
        ):
            continue
        confidence = together / buyers[a]
        lift = confidence / (buyers[b] / n)
        if confidence < MIN_CONFIDENCE or lift < MIN_LIFT:
            continue
        entry = best.get(offer)
        if entry is None:
            best[offer] = [confidence, lift, a, together, 1]
        else:
            entry[4] += 1
            if confidence > entry[0]:
                entry[0:4] = [confidence, lift, a, together]
    # The chance it buys the offer given its whole basket (naive Bayes over the rules): the offer's share
    # of the segment times the lift of every item it buys, each lift smoothed towards 1 (a rare item
    # says little). Items that never go with the offer lower it; those that do raise it.
    scores = {}
    for offer in best:
        share = max(buyers[offer] / n, 1e-3)
        logit = math.log(share)
        for a in basket:
            if buyers[a]:
                p_given_a = (pairs[(a, offer)] + SMOOTHING * share) / (buyers[a] + SMOOTHING)
                logit += math.log(p_given_a / share)
        scores[offer] = math.exp(min(logit, 0.0))
    prompts = []
    for offer, (lead, lift, because, together, rules) in best.items():
        score = scores[offer]
        product = catalog.get(offer)
        quantity = stats.usual_quantity.get(offer, 1)
        prompts.append(
            Prompt(
                kind=Kind.CROSS_SELL,
                code="cross_sell",
                facts={
                    "product": offer,
                    "because": because,
                    "pct": round(100 * lead),
                    "lift": round(lift, 1),
                    "customers": together,
                    "rules": rules,
                },
                customer_id=customer_id,
                product_ids=(offer,),
                value_yen=round(quantity * product.unit_price * score),
                confidence=round(min(score, 0.95), 3),
                expires_on=today + timedelta(days=WINDOW_DAYS),
                quantity=1,
            )
        )
    prompts.sort(key=lambda p: (-p.confidence, -p.facts["lift"], p.product_ids))
    return prompts[:limit]
