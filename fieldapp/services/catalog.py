"""The product catalogue: kana-aware search, and a product's page (its buyers in the team and its trend).

The catalogue is the company's, shared by every team; who bought what is read only within the reader's team.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, select

from ..models import Customer, OrderLine, Product, User
from .text import normalise_search

PAGE_SIZE = 50
TREND_MONTHS = 12
MAX_BUYERS = 100


@dataclass(frozen=True)
class ProductPage:
    products: list[Product]
    total: int
    page: int
    pages: int
    query: str
    successors: dict[int, Product]  # id of a superseded product → its successor


def _search_text(product: Product) -> str:
    parts = (
        product.code,
        product.name,
        product.name_en,
        product.kana,
        product.category,
        product.tags,
    )
    return normalise_search(" ".join(part for part in parts if part))


def search(
    session: Session, *, query: str = "", page: int = 1, active_only: bool = False
) -> ProductPage:
    """Products whose code, names, reading, category or tags contain every word of the query.

    Both sides are normalised the same way (width, katakana → hiragana, case), so 「ぺーぱー」 finds
    「ペーパータオル」 and 「ＡＢＣ」 finds "abc". A catalogue is thousands of rows, not millions: it is
    filtered here rather than through an index.
    """
    stmt = select(Product).order_by(Product.code)
    if active_only:
        stmt = stmt.where(Product.active.is_(True))
    everything = session.exec(stmt).all()
    words = normalise_search(query).split()
    found = (
        [p for p in everything if all(w in _search_text(p) for w in words)] if words else everything
    )
    pages = max(1, -(-len(found) // PAGE_SIZE))
    page = min(max(page, 1), pages)
    by_predecessor = {p.replaces_id: p for p in everything if p.replaces_id}
    shown = found[(page - 1) * PAGE_SIZE : page * PAGE_SIZE]
    successors = {p.id: by_predecessor[p.id] for p in shown if p.id in by_predecessor}
    return ProductPage(shown, len(found), page, pages, query, successors)


@dataclass(frozen=True)
class Buyer:
    customer_id: int
    customer_name: str
    rep_name: str | None
    orders: int
    quantity: int
    last_ordered_on: date


@dataclass(frozen=True)
class MonthFigure:
    month: date  # the first of the month
    quantity: int
    sales: int  # yen


@dataclass(frozen=True)
class ProductDetail:
    product: Product
    predecessor: Product | None
    successor: Product | None
    buyers: list[Buyer]
    buyer_count: int
    months: list[MonthFigure]

    @property
    def max_quantity(self) -> int:
        return max((m.quantity for m in self.months), default=0)


def _month_starts(today: date, count: int) -> list[date]:
    months = []
    year, month = today.year, today.month
    for _ in range(count):
        months.append(date(year, month, 1))
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return months[::-1]


def detail(session: Session, *, product: Product, team_id: int, today: date) -> ProductDetail:
    """The product, who in the team buys it (most recent first) and the team's last 12 months of it."""
    team_lines = (
        select(OrderLine.customer_id)
        .join(Customer, Customer.id == OrderLine.customer_id)
        .where(OrderLine.product_id == product.id, Customer.team_id == team_id)
    )
    # execute, not exec: the statement starts as one column and becomes several.
    buyer_rows = session.execute(
        team_lines.with_only_columns(
            OrderLine.customer_id,
            Customer.name,
            User.name,
            func.count(OrderLine.id),
            func.sum(OrderLine.quantity),
            func.max(OrderLine.ordered_on),
        )
        .outerjoin(User, User.id == Customer.assigned_rep_id)
        .group_by(OrderLine.customer_id, Customer.name, User.name)
        .order_by(func.max(OrderLine.ordered_on).desc(), OrderLine.customer_id)
    ).all()
    buyers = [
        Buyer(cid, name, rep, int(orders), int(qty or 0), last)
        for cid, name, rep, orders, qty, last in buyer_rows[:MAX_BUYERS]
    ]
    months = _month_starts(today, TREND_MONTHS)
    per_day = session.execute(
        team_lines.with_only_columns(
            OrderLine.ordered_on,
            func.sum(OrderLine.quantity),
            func.sum(OrderLine.quantity * OrderLine.unit_price),
        )
        .where(OrderLine.ordered_on >= months[0], OrderLine.ordered_on <= today)
        .group_by(OrderLine.ordered_on)
    ).all()
    totals = {m: [0, 0] for m in months}
    for day, quantity, sales in per_day:
        bucket = totals[date(day.year, day.month, 1)]
        bucket[0] += int(quantity or 0)
        bucket[1] += int(sales or 0)
    predecessor = session.get(Product, product.replaces_id) if product.replaces_id else None
    successor = session.exec(select(Product).where(Product.replaces_id == product.id)).first()
    return ProductDetail(
        product=product,
        predecessor=predecessor,
        successor=successor,
        buyers=buyers,
        buyer_count=len(buyer_rows),
        months=[MonthFigure(m, *totals[m]) for m in months],
    )
