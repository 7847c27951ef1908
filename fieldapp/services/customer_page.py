"""The one-screen customer page: the record, contacts, busy periods, recent visits, open follow-ups and
the order history in figures."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlmodel import Session, col, select

from ..models import (
    BusyPeriod,
    Contact,
    Customer,
    FollowUp,
    OrderLine,
    Product,
    User,
    Visit,
)
from . import busy
from .busy_periods import list_busy
from .contacts import birthday_soon, list_contacts
from .followups import open_followups_for_customer
from .prompts import PromptView, views_for
from .visits import recent_visits


@dataclass
class ContactView:
    contact: Contact
    birthday_in: int | None


@dataclass
class ProductLast:
    product_name: str
    ordered_on: date
    quantity: int
    amount: int


@dataclass
class MonthBar:
    month: date  # first day of the month
    amount: int
    percent: int  # of the largest month, for the bar width


@dataclass
class OrderSummary:
    last_per_product: list[ProductLast]
    last_12: int
    previous_12: int
    months: list[MonthBar]

    @property
    def change_percent(self) -> int | None:
        if not self.previous_12:
            return None
        return round((self.last_12 - self.previous_12) * 100 / self.previous_12)


@dataclass
class CustomerPage:
    customer: Customer
    assigned_rep: User | None
    contacts: list[ContactView]
    busy: list[tuple[BusyPeriod, str]]
    visits: list[Visit]
    followups: list[FollowUp]
    orders: OrderSummary
    overdue_days: int | None
    extra: dict[str, Any] = field(default_factory=dict)
    # the first screen: what a rep reads before going in
    busy_today: list[str] = field(
        default_factory=list
    )  # the busy periods that apply today, in words
    key_contact: ContactView | None = None  # a contact with a birthday coming up, else the main one
    # Every prompt of the customer, best first; the first screen shows the top one.
    prompts: list[PromptView] = field(default_factory=list)
    top_prompt: PromptView | None = None


def _month_start(day: date, back: int = 0) -> date:
    index = day.year * 12 + day.month - 1 - back
    return date(index // 12, index % 12 + 1, 1)


def order_summary(
    session: Session, *, customer_id: int, today: date, lang: str = "ja"
) -> OrderSummary:
    """Last order per product, the last 12 months' amount against the 12 before, per-month amounts."""
    # plain columns, not ORM objects: a regular customer has hundreds of order lines
    lines = session.exec(
        select(
            OrderLine.product_id,
            OrderLine.ordered_on,
            OrderLine.quantity,
            OrderLine.unit_price,
            Product.name,
            Product.name_en,
        )
        .join(Product, col(Product.id) == OrderLine.product_id)
        .where(OrderLine.customer_id == customer_id)
        .order_by(col(OrderLine.ordered_on).desc(), col(OrderLine.id).desc())
    ).all()
    last: dict[int, ProductLast] = {}
    this_month = _month_start(today)
    start_12, start_24 = _month_start(today, 11), _month_start(today, 23)
    per_month = {_month_start(today, back): 0 for back in range(12)}
    last_12 = previous_12 = 0
    for product_id, ordered_on, quantity, unit_price, name_ja, name_en in lines:
        amount = quantity * unit_price
        if product_id not in last:
            name = name_en if lang == "en" and name_en else name_ja
            last[product_id] = ProductLast(name, ordered_on, quantity, amount)
        if ordered_on > today:
            continue
        month = _month_start(ordered_on)
        if start_12 <= month <= this_month:
            last_12 += amount
            per_month[month] += amount
        elif start_24 <= month < start_12:
            previous_12 += amount
    biggest = max(per_month.values(), default=0) or 1
    months = [
        MonthBar(month, amount, round(amount * 100 / biggest))
        for month, amount in sorted(per_month.items())
    ]
    products = sorted(last.values(), key=lambda p: (-p.ordered_on.toordinal(), p.product_name))
    return OrderSummary(products, last_12, previous_12, months)


def customer_page(
    session: Session, *, customer: Customer, today: date, lang: str = "ja"
) -> CustomerPage:
    """Everything the one-screen customer page shows."""
    contacts = [
        ContactView(c, birthday_soon(c.birthday, today))
        for c in list_contacts(session, customer_id=customer.id)
    ]
    periods = list_busy(session, customer_id=customer.id)
    overdue = (
        (today - customer.next_due_on).days
        if customer.next_due_on is not None and customer.next_due_on < today
        else None
    )
    rep = session.get(User, customer.assigned_rep_id) if customer.assigned_rep_id else None
    described = [(p, busy.describe(p, lang)) for p in periods]
    birthdays = sorted(
        (c for c in contacts if c.birthday_in is not None), key=lambda c: c.birthday_in
    )
    prompts = views_for(session, customer_ids=[customer.id], today=today).get(customer.id, [])
    return CustomerPage(
        customer=customer,
        assigned_rep=rep,
        contacts=contacts,
        busy=described,
        visits=recent_visits(session, customer_id=customer.id),
        followups=open_followups_for_customer(session, customer_id=customer.id),
        orders=order_summary(session, customer_id=customer.id, today=today, lang=lang),
        overdue_days=overdue,
        busy_today=[words for p, words in described if busy.applies_on(p, today)],
        key_contact=(birthdays or contacts or [None])[0],
        prompts=prompts,
        top_prompt=prompts[0] if prompts else None,
    )
