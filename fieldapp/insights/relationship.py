"""Relationship: a contact's birthday in the coming days, the anniversary of the first order."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, timedelta

from .model import ContactInfo, Kind, Prompt

SOON_DAYS = 7


def next_anniversary(day: date, today: date) -> date:
    """The next time `day`'s month and day come round on or after `today` (29 February → 28th)."""
    for year in (today.year, today.year + 1):
        try:
            candidate = day.replace(year=year)
        except ValueError:
            candidate = date(year, 2, 28)
        if candidate >= today:
            return candidate
    raise AssertionError("unreachable")


def relationship_prompts(
    customer_id: int,
    contacts: Iterable[ContactInfo],
    first_order_on: date | None,
    *,
    today: date,
    soon_days: int = SOON_DAYS,
) -> list[Prompt]:
    prompts = []
    for contact in contacts:
        if contact.birthday is None:
            continue
        when = next_anniversary(contact.birthday, today)
        days = (when - today).days
        if days <= soon_days:
            prompts.append(
                Prompt(
                    kind=Kind.RELATIONSHIP,
                    code="birthday",
                    facts={"name": contact.name, "days": days, "contact": contact.contact_id},
                    customer_id=customer_id,
                    product_ids=(),
                    value_yen=0,
                    confidence=0.9,
                    expires_on=when + timedelta(days=1),
                )
            )
    if first_order_on is not None and first_order_on <= today - timedelta(days=360):
        when = next_anniversary(first_order_on, today)
        years = when.year - first_order_on.year
        days = (when - today).days
        if days <= soon_days and years >= 1:
            prompts.append(
                Prompt(
                    kind=Kind.RELATIONSHIP,
                    code="anniversary",
                    facts={"years": years, "days": days, "since": first_order_on.isoformat()},
                    customer_id=customer_id,
                    product_ids=(),
                    value_yen=0,
                    confidence=0.7,
                    expires_on=when + timedelta(days=1),
                )
            )
    prompts.sort(key=lambda p: p.facts["days"])
    return prompts
