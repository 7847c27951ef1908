"""Reads the order history the insights need and turns prompts into words for the stop cards."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta

from flask_babel import get_locale
from flask_babel import gettext as _
from sqlmodel import Session, col, select

from ..insights.reorder import OrderFact, ReorderPrompt, reorder_prompts
from ..models import OrderLine, Product

# Two years of history is enough to know a customer's rhythm.
HISTORY_DAYS = 730


def reorder_prompts_for(
    session: Session, *, customer_ids: list[int], today: date
) -> dict[int, list[ReorderPrompt]]:
    """Reorder prompts per customer, from one query over their recent order lines."""
    if not customer_ids:
        return {}
    english = (loc := get_locale()) is not None and loc.language == "en"
    facts: dict[int, list[OrderFact]] = defaultdict(list)
    for start in range(0, len(customer_ids), 500):
        chunk = customer_ids[start : start + 500]
        rows = session.exec(
            select(OrderLine, Product)
            .join(Product, col(Product.id) == OrderLine.product_id)
            .where(
                col(OrderLine.customer_id).in_(chunk),
                OrderLine.ordered_on >= today - timedelta(days=HISTORY_DAYS),
            )
        )
        for line, product in rows:
            name = product.name_en if english and product.name_en else product.name
            facts[line.customer_id].append(
                OrderFact(
                    product.id,
                    name,
                    line.ordered_on,
                    line.quantity,
                    product.reorder_cycle_days,
                    season_months(product.season_months),
                )
            )
    return {cid: reorder_prompts(f, today=today) for cid, f in facts.items()}


def season_months(text: str | None) -> tuple[int, ...]:
    """ "11,12,1" → (11, 12, 1); anything unreadable counts as all year."""
    months = []
    for part in (text or "").replace("、", ",").split(","):
        part = part.strip()
        if part.isdigit() and 1 <= int(part) <= 12:
            months.append(int(part))
    return tuple(months)


def prompt_text(prompt: ReorderPrompt) -> str:
    """「業務用醤油 18L：前回の注文から35日（いつもは30日ごと・2個）」"""
    return _(
        "Reorder %(product)s: %(days)d days since the last order (usually every %(cycle)d days, %(qty)d pcs)",
        product=prompt.product_name,
        days=prompt.days_since,
        cycle=prompt.cycle_days,
        qty=prompt.usual_quantity,
    )
