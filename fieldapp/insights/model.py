"""The plain data the prompt rules read and the prompt they write (no database, no Flask).

A prompt's title is a code with facts, turned into words when a page is drawn (like the day's reasons), so
the stored or cached prompt reads in whichever language the rep uses.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from typing import Any


class Kind:
    REORDER = "reorder"
    CROSS_SELL = "cross_sell"
    UPSELL = "upsell"
    NEEDS = "needs"
    RISK = "risk"
    RELATIONSHIP = "relationship"

    ALL = (REORDER, CROSS_SELL, UPSELL, NEEDS, RISK, RELATIONSHIP)


class Response:
    PROPOSED = "proposed"
    ORDERED = "ordered"
    DECLINED = "declined"
    NOT_NOW = "not_now"

    ALL = (PROPOSED, ORDERED, DECLINED, NOT_NOW)


@dataclass(frozen=True)
class Order:
    """One order line (or one day's quantity of one product) of a customer."""

    customer_id: int
    product_id: int
    ordered_on: date
    quantity: int
    unit_price: int = 0


@dataclass(frozen=True)
class ProductInfo:
    id: int
    name: str
    category: str = ""
    unit_price: int = 0
    pack_of: int | None = None
    reorder_cycle_days: int | None = None
    replaces_id: int | None = None
    # months (1–12) a seasonal product sells in; empty for all year
    season_months: tuple[int, ...] = ()
    tags: tuple[str, ...] = ()
    active: bool = True
    name_en: str | None = None
    kana: str | None = None


@dataclass(frozen=True)
class Note:
    """What a visit left behind that the rules read: its day, the needs/heard text, outcome, reception."""

    visited_on: date
    text: str = ""
    outcome: str | None = None
    reception: str | None = None


@dataclass(frozen=True)
class ContactInfo:
    contact_id: int
    name: str
    birthday: date | None


@dataclass(frozen=True)
class Feedback:
    """What a rep answered to an earlier prompt at this customer."""

    kind: str
    product_id: int | None
    response: str
    on: date


@dataclass
class Prompt:
    kind: str
    # what the title says, e.g. "reorder_due", with the facts it needs (numbers, product ids, names)
    code: str
    facts: dict[str, Any]
    customer_id: int
    product_ids: tuple[int, ...]
    value_yen: int
    confidence: float
    expires_on: date
    # the quantity suggested (upsell), for the backtest's "did they order that much"
    quantity: int = 1

    @property
    def product_id(self) -> int | None:
        return self.product_ids[0] if self.product_ids else None

    @property
    def score(self) -> float:
        """Order of prompts on a card: expected yen times confidence; yen-less prompts count as ¥3,000."""
        return max(self.value_yen, 3000) * self.confidence


@dataclass
class Catalog:
    """The products by id, with the successor of a superseded product resolved once."""

    products: dict[int, ProductInfo]
    successor_of: dict[int, int] = field(default_factory=dict)

    @classmethod
    def of(cls, products: Iterable[ProductInfo]) -> Catalog:
        by_id = {p.id: p for p in products}
        direct = {p.replaces_id: p.id for p in by_id.values() if p.replaces_id in by_id}
        successor: dict[int, int] = {}
        for old in direct:
            seen, current = {old}, direct[old]
            # follow the chain (A → B → C) to its newest product, stopping at a loop
            while current in direct and direct[current] not in seen:
                seen.add(current)
                current = direct[current]
            successor[old] = current
        return cls(by_id, successor)

    def get(self, product_id: int) -> ProductInfo | None:
        return self.products.get(product_id)

    def current(self, product_id: int) -> int | None:
        """The product to offer in place of this one: itself when sold, its active successor, or None."""
        product = self.products.get(product_id)
        if product is None:
            return None
        if product_id in self.successor_of:
            newer = self.products[self.successor_of[product_id]]
            if newer.active:
                return newer.id
        return product_id if product.active else None

    def in_season(self, product_id: int, day: date) -> bool:
        product = self.products.get(product_id)
        return product is None or not product.season_months or day.month in product.season_months
