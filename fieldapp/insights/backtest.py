"""Rolling-origin backtest of the reorder, cross-sell and upsell prompts against simple baselines.

The holdout is the last `holdout_days` of the order data; every 7th day in it is a cutoff. At a cutoff the
engine sees only the orders before it and makes each customer's prompts (at most k per kind). A reorder
prompt is right when the customer orders the product within the prompt's own window; a cross-sell prompt
when a product new to the customer is ordered in the rest of the holdout; an upsell prompt when the
product is ordered in the rest of the holdout in at least the suggested quantity.

The baselines get, per customer, cutoff and kind, exactly as many prompts as the engine made:
- frequent: reorder → the customer's most ordered products; cross-sell → the segment's best sellers it
  does not buy; upsell → its most ordered products at one more than its usual quantity;
- last_order: reorder → the products of its last order; cross-sell → the products its segment ordered
  most recently that it does not buy; upsell → its last order's products at one more than then;
- random: reorder and upsell → products from its own history; cross-sell → the catalogue's active products
  it does not buy.
"""

from __future__ import annotations

import random
from bisect import bisect_left
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from statistics import median
from typing import Any

from .engine import CustomerData, customer_prompts, team_data
from .model import Catalog, Kind, Order, Prompt
from .reorder import WINDOW_DAYS as REORDER_WINDOW

KINDS = (Kind.REORDER, Kind.CROSS_SELL, Kind.UPSELL)
BASELINES = ("frequent", "last_order", "random")
CUTOFF_STEP = 7


@dataclass
class Score:
    prompts: int = 0
    hits: int = 0
    relevant: int = 0

    def as_json(self) -> dict[str, Any]:
        return {
            "precision": round(self.hits / self.prompts, 4) if self.prompts else 0.0,
            "recall": round(self.hits / self.relevant, 4) if self.relevant else 0.0,
            "prompts": self.prompts,
        }


@dataclass
class Guess:
    """One prompt reduced to what is checked: the product, the least quantity, the window's end."""

    product_id: int
    quantity: int
    until: date


@dataclass
class Result:
    holdout_days: int
    k: int
    cutoffs: int = 0
    customers: int = 0
    scores: dict[str, dict[str, Score]] = field(
        default_factory=lambda: {k: {n: Score() for n in ("engine", *BASELINES)} for k in KINDS}
    )

    def as_json(self) -> dict[str, Any]:
        return {
            "holdout_days": self.holdout_days,
            "k": self.k,
            "cutoffs": self.cutoffs,
            "customers": self.customers,
            "kinds": {
                kind: {
                    "engine": by[("engine")].as_json(),
                    "baselines": {name: by[name].as_json() for name in BASELINES},
                }
                for kind, by in self.scores.items()
            },
        }


def cutoffs_for(orders: list[Order], holdout_days: int) -> tuple[list[date], date]:
    """Every 7th day of the holdout (the last `holdout_days` of the data) and the day after the data ends."""
    end = max(o.ordered_on for o in orders) + timedelta(days=1)
    start = end - timedelta(days=holdout_days)
    days = []
    day = start
    while day < end:
        days.append(day)
        day += timedelta(days=CUTOFF_STEP)
    return days, end


def run_backtest(
    orders: Iterable[Order],
    segments: Mapping[int, str],
    catalog: Catalog,
    *,
    holdout_days: int = 90,
    k: int = 3,
    seed: int = 7,
    progress: Callable[[int, int], None] | None = None,
) -> Result:
    rows = sorted(orders, key=lambda o: (o.ordered_on, o.customer_id, o.product_id))
    result = Result(holdout_days=holdout_days, k=k)
    if not rows:
        return result
    cutoffs, end = cutoffs_for(rows, holdout_days)
    result.cutoffs = len(cutoffs)
    by_customer: dict[int, list[Order]] = defaultdict(list)
    for o in rows:
        by_customer[o.customer_id].append(o)
    dates = {cid: [o.ordered_on for o in lines] for cid, lines in by_customer.items()}
    rng = random.Random(seed)
    seen_customers: set[int] = set()
    for step, cutoff in enumerate(cutoffs):
        team = team_data(rows[: bisect_left([o.ordered_on for o in rows], cutoff)], segments,
                         catalog, today=cutoff)  # fmt: skip
        active = [p.id for p in catalog.products.values() if p.active]
        latest_in_segment = _latest_by_segment(rows, segments, cutoff)
        for cid, lines in by_customer.items():
            cut = bisect_left(dates[cid], cutoff)
            past, future = lines[:cut], lines[cut:]
            if not past:
                continue
            seen_customers.add(cid)
            segment = segments.get(cid, "")
            data = CustomerData(customer_id=cid, segment=segment, orders=past)
            prompts = customer_prompts(data, team, today=cutoff, k=k, kinds=KINDS)
            history = _History(past)
            for kind in KINDS:
                mine = [p for p in prompts if p.kind == kind]
                truth = _Truth(kind, future, history, cutoff, catalog)
                result.scores[kind]["engine"].prompts += len(mine)
                for name in ("engine", *BASELINES):
                    result.scores[kind][name].relevant += truth.relevant
                result.scores[kind]["engine"].hits += sum(truth.hit(_guess(p)) for p in mine)
                if not mine:
                    continue
                n = len(mine)
                guesses = {
                    "frequent": _frequent(kind, history, team.baskets.best_sellers(segment), n, cutoff),
                    "last_order": _last_order(kind, history, latest_in_segment.get(segment, []), n, cutoff),
                    "random": _random(kind, history, active, n, cutoff, rng),
                }  # fmt: skip
                for name, chosen in guesses.items():
                    result.scores[kind][name].prompts += len(chosen)
                    result.scores[kind][name].hits += sum(truth.hit(g) for g in chosen)
        if progress:
            progress(step + 1, len(cutoffs))
    result.customers = len(seen_customers)
    return result


class _History:
    """A customer's orders before the cutoff, summarised for the baselines."""

    def __init__(self, past: list[Order]) -> None:
        self.counts: dict[int, int] = defaultdict(int)
        quantities: dict[int, list[int]] = defaultdict(list)
        for o in past:
            self.counts[o.product_id] += 1
            quantities[o.product_id].append(o.quantity)
        self.usual = {p: max(1, round(median(q))) for p, q in quantities.items()}
        last_day = past[-1].ordered_on
        self.last_order = [(o.product_id, o.quantity) for o in past if o.ordered_on == last_day]
        self.products = set(self.counts)

    def most_ordered(self) -> list[int]:
        return sorted(self.counts, key=lambda p: (-self.counts[p], p))


class _Truth:
    """What the customer really ordered after the cutoff, and how many prompts could have been right."""

    def __init__(
        self, kind: str, future: list[Order], history: _History, cutoff: date, catalog: Catalog
    ):
        self.kind = kind
        self.successors = {
            catalog.successor_of[p] for p in history.products if p in catalog.successor_of
        }
        self.history = history
        self.cutoff = cutoff
        self.orders: dict[int, list[tuple[date, int]]] = defaultdict(list)
        for o in future:
            self.orders[o.product_id].append((o.ordered_on, o.quantity))
        if kind == Kind.REORDER:
            limit = cutoff + timedelta(days=REORDER_WINDOW)
            self.relevant = sum(
                1 for p, got in self.orders.items()
                if p in history.products and any(d < limit for d, _q in got)
            )  # fmt: skip
        elif kind == Kind.CROSS_SELL:
            self.relevant = sum(1 for p in self.orders if self._new(p))
        else:
            self.relevant = sum(
                1 for p, got in self.orders.items()
                if p not in history.products or max(q for _d, q in got) > history.usual.get(p, 0)
            )  # fmt: skip

    def _new(self, product_id: int) -> bool:
        """New to the customer and not the successor of something it buys (that is an upsell)."""
        return product_id not in self.history.products and product_id not in self.successors

    def hit(self, guess: Guess) -> bool:
        got = self.orders.get(guess.product_id, ())
        if self.kind == Kind.CROSS_SELL and not self._new(guess.product_id):
            return False
        return any(d < guess.until and q >= guess.quantity for d, q in got)


def _guess(prompt: Prompt) -> Guess:
    quantity = prompt.quantity if prompt.kind == Kind.UPSELL else 1
    return Guess(prompt.product_ids[0], quantity, prompt.expires_on)


def _window(kind: str, cutoff: date) -> date:
    return cutoff + timedelta(days=REORDER_WINDOW) if kind == Kind.REORDER else date.max


def _frequent(kind: str, h: _History, best_sellers: list[int], n: int, cutoff: date) -> list[Guess]:
    until = _window(kind, cutoff)
    if kind == Kind.CROSS_SELL:
        return [Guess(p, 1, until) for p in best_sellers if p not in h.products][:n]
    top = h.most_ordered()[:n]
    extra = 1 if kind == Kind.UPSELL else 0
    return [Guess(p, 1 if not extra else h.usual[p] + 1, until) for p in top]


def _last_order(kind: str, h: _History, latest: list[int], n: int, cutoff: date) -> list[Guess]:
    until = _window(kind, cutoff)
    if kind == Kind.CROSS_SELL:
        return [Guess(p, 1, until) for p in latest if p not in h.products][:n]
    extra = 1 if kind == Kind.UPSELL else 0
    return [Guess(p, (q + 1) if extra else 1, until) for p, q in h.last_order[:n]]


def _random(kind: str, h: _History, active: list[int], n: int, cutoff: date, rng: random.Random) -> list[Guess]:  # fmt: skip
    until = _window(kind, cutoff)
    if kind == Kind.CROSS_SELL:
        pool = [p for p in active if p not in h.products]
        return [Guess(p, 1, until) for p in rng.sample(pool, min(n, len(pool)))]
    pool = sorted(h.products)
    chosen = rng.sample(pool, min(n, len(pool)))
    return [Guess(p, h.usual[p] + 1 if kind == Kind.UPSELL else 1, until) for p in chosen]


def _latest_by_segment(rows: list[Order], segments: Mapping[int, str], cutoff: date) -> dict[str, list[int]]:  # fmt: skip
    """Per segment, products in order of their latest order before the cutoff (newest first)."""
    latest: dict[str, dict[int, date]] = defaultdict(dict)
    for o in rows:
        if o.ordered_on >= cutoff:
            break
        latest[segments.get(o.customer_id, "")][o.product_id] = o.ordered_on
    return {
        seg: sorted(days, key=lambda p: (days[p], p), reverse=True) for seg, days in latest.items()
    }
