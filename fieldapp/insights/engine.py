"""All prompts of a customer: every rule over the customer's plain data, answered prompts kept quiet.

The loader (services/prompts.py) fills `CustomerData` and `TeamData` from SQL aggregates; the backtest fills
them from an order history cut at each date. Neither the rules nor this module know which.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta

from .cross_sell import BasketStats, cross_sell_prompts
from .model import Catalog, ContactInfo, Feedback, Kind, Note, Order, Prompt, Response
from .needs import Offer, needs_prompts, offers_on, product_terms
from .relationship import relationship_prompts
from .reorder import reorder_prompts
from .risk import OrderPace, risk_prompt
from .upsell import upsell_prompts

# How long an answered prompt stays quiet, per response and kind (days). An order ends a reorder prompt by
# itself (the new order resets the rhythm), so "ordered" silences only what the order does not show.
QUIET_DAYS: dict[str, dict[str, int]] = {
    Response.DECLINED: {
        Kind.REORDER: 14,
        Kind.CROSS_SELL: 120,
        Kind.UPSELL: 90,
        Kind.NEEDS: 60,
        Kind.RISK: 30,
        Kind.RELATIONSHIP: 30,
    },
    Response.NOT_NOW: {kind: 14 for kind in Kind.ALL} | {Kind.REORDER: 5},
    Response.PROPOSED: {kind: 21 for kind in Kind.ALL} | {Kind.REORDER: 0, Kind.RISK: 14},
    Response.ORDERED: {kind: 30 for kind in Kind.ALL} | {Kind.REORDER: 0},
}
# Products bought within this many days count as "bought" for cross-sell (older ones were given up).
BASKET_DAYS = 365
NEEDS_BOUGHT_DAYS = 90


@dataclass
class CustomerData:
    customer_id: int
    segment: str
    orders: list[Order] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    contacts: list[ContactInfo] = field(default_factory=list)
    open_complaints: int = 0
    feedback: list[Feedback] = field(default_factory=list)
    first_order_on: date | None = None
    # counted by the database when only the latest orders are loaded (see services/prompts.py)
    pace: OrderPace | None = None


@dataclass
class TeamData:
    catalog: Catalog
    baskets: BasketStats
    # superseded product → share of its buyers who already buy the successor
    adoption: dict[int, float] = field(default_factory=dict)
    words: dict[int, list[str]] | None = None
    # the needs' offers of a day: one list for every customer of a page
    offers: dict[date, list[Offer]] = field(default_factory=dict)

    def product_words(self) -> dict[int, list[str]]:
        if self.words is None:
            self.words = product_terms(self.catalog)
        return self.words

    def offers_on(self, today: date) -> list[Offer]:
        if today not in self.offers:
            self.offers[today] = offers_on(self.catalog, self.product_words(), today)
        return self.offers[today]


def is_quiet(prompt: Prompt, feedback: Iterable[Feedback], today: date) -> bool:
    """True when the rep answered this prompt (same kind and product) recently enough to keep it quiet."""
    for answer in feedback:
        if answer.kind != prompt.kind or answer.product_id != prompt.product_id:
            continue
        days = QUIET_DAYS.get(answer.response, {}).get(prompt.kind, 0)
        if answer.on <= today < answer.on + timedelta(days=days):
            return True
    return False


def customer_prompts(
    data: CustomerData,
    team: TeamData,
    *,
    today: date,
    k: int = 3,
    kinds: Iterable[str] = Kind.ALL,
) -> list[Prompt]:
    """Every kind's prompts (at most `k` each) that are not quiet, best first."""
    wanted = set(kinds)
    catalog = team.catalog
    cid = data.customer_id
    out: list[Prompt] = []
    if Kind.REORDER in wanted:
        out += reorder_prompts(cid, data.orders, catalog, today=today, limit=k + 3)
    # everything it has bought (in the history given) is not "new" to it
    basket = {o.product_id for o in data.orders if o.ordered_on < today}
    if Kind.CROSS_SELL in wanted:
        out += cross_sell_prompts(
            cid, data.segment, basket, team.baskets, catalog, today=today, limit=k + 3
        )
    if Kind.UPSELL in wanted:
        out += upsell_prompts(
            cid, data.orders, catalog, today=today, adoption=team.adoption, limit=k + 3
        )
    if Kind.NEEDS in wanted:
        since = today - timedelta(days=NEEDS_BOUGHT_DAYS)
        bought = {o.product_id for o in data.orders if since <= o.ordered_on < today}
        out += needs_prompts(
            cid,
            data.notes,
            bought,
            catalog,
            team.product_words(),
            today=today,
            limit=k + 3,
            offers=team.offers_on(today),
        )
    if Kind.RISK in wanted:
        found = risk_prompt(
            cid,
            data.orders,
            data.notes,
            open_complaints=data.open_complaints,
            today=today,
            pace=data.pace,
        )
        out += [found] if found else []
    if Kind.RELATIONSHIP in wanted:
        out += relationship_prompts(cid, data.contacts, data.first_order_on, today=today)
    out = [p for p in out if not is_quiet(p, data.feedback, today)]
    # one product is one prompt: the first kind that names it (reorder before cross-sell …) keeps it
    seen: set[tuple[str, int]] = set()
    per_kind: Counter[str] = Counter()
    kept = []
    for prompt in out:
        key = ("product", prompt.product_id) if prompt.product_id else (prompt.code, id(prompt))
        if key in seen or per_kind[prompt.kind] >= k:
            continue
        seen.add(key)
        per_kind[prompt.kind] += 1
        kept.append(prompt)
    kept.sort(key=lambda p: -p.score)
    return kept


def adoption_rates(buyers_by_product: Mapping[int, set[int]], catalog: Catalog) -> dict[int, float]:
    """For each superseded product, the share of its buyers who also buy its successor."""
    rates = {}
    for old, new in catalog.successor_of.items():
        old_buyers = buyers_by_product.get(old, set())
        if old_buyers:
            rates[old] = len(old_buyers & buyers_by_product.get(new, set())) / len(old_buyers)
    return rates


def team_data(
    orders: Iterable[Order], segments: Mapping[int, str], catalog: Catalog, *, today: date
) -> TeamData:
    """The team-wide statistics from an order history (used by the backtest and small teams)."""
    start = today - timedelta(days=BASKET_DAYS)
    baskets: dict[int, set[int]] = defaultdict(set)
    buyers: dict[int, set[int]] = defaultdict(set)
    quantities: dict[int, list[int]] = defaultdict(list)
    for o in orders:
        if o.ordered_on >= today:
            continue
        buyers[o.product_id].add(o.customer_id)
        if o.ordered_on >= start:
            baskets[o.customer_id].add(o.product_id)
            quantities[o.product_id].append(o.quantity)
    stats = BasketStats.of(baskets, segments)
    stats.usual_quantity = {p: sorted(q)[len(q) // 2] for p, q in quantities.items()}
    return TeamData(catalog=catalog, baskets=stats, adoption=adoption_rates(buyers, catalog))
