"""Needs heard: a recent visit note mentions something a product's tags or name answer.

Notes and product words are compared in one normalised form (width, kana, case), Japanese terms anywhere
in the text, English words as whole words. A product the customer already buys is a reorder, not a need.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from .model import Catalog, Kind, Note, Prompt
from .text import matcher, normalise, terms

RECENT_DAYS = 60
WINDOW_DAYS = 60


def product_terms(catalog: Catalog) -> dict[int, list[str]]:
    """The words each active product answers to: its tags, then the first word of each name."""
    out = {}
    for product in catalog.products.values():
        if not product.active:
            continue
        names = [(product.name or "").split()[0] if product.name else None]
        if product.name_en:
            names.append(product.name_en.split()[0])
        found = terms(",".join(product.tags), *names, product.kana)
        if found:
            out[product.id] = found
    return out


@dataclass(frozen=True, slots=True)
class Offer:
    """A product the notes are searched for: the one to offer (itself or its successor) and its words."""

    product_id: int
    offer: int
    words: tuple[tuple[str, Callable[[str], bool]], ...]


def offers_on(catalog: Catalog, words: dict[int, list[str]], today: date) -> list[Offer]:
    """The products worth hearing a need for on `today` (sold, in season or about to be), with their
    words' matchers: the same for every customer, so worked out once per page, not per customer."""
    out = []
    for product_id, product_words in words.items():
        offer = catalog.current(product_id)
        if offer is None:
            continue
        if not catalog.in_season(offer, today) and not catalog.in_season(
            offer, today + timedelta(days=30)
        ):
            continue  # a summer product heard of in December waits for its season
        out.append(Offer(product_id, offer, tuple((w, matcher(w)) for w in product_words)))
    return out


def needs_prompts(
    customer_id: int,
    notes: Iterable[Note],
    bought_recently: Iterable[int],
    catalog: Catalog,
    words: dict[int, list[str]],
    *,
    today: date,
    limit: int = 3,
    offers: list[Offer] | None = None,
) -> list[Prompt]:
    recent = sorted(
        (
            n
            for n in notes
            if today - timedelta(days=RECENT_DAYS) <= n.visited_on <= today and n.text
        ),
        key=lambda n: n.visited_on,
        reverse=True,
    )
    if not recent:
        return []
    owned = set(bought_recently)
    texts = [(n, normalise(n.text)) for n in recent]
    found: dict[int, tuple[Note, str, int]] = {}
    for candidate in offers if offers is not None else offers_on(catalog, words, today):
        offer = candidate.offer
        if offer in owned or candidate.product_id in owned:
            continue
        for note, text in texts:
            hit = None
            for word, said in candidate.words:
                if said(text):
                    hit = word
                    break
            if hit is None:
                continue
            if offer in found:
                note0, word0, times = found[offer]
                found[offer] = (note0, word0, times + 1)
            else:
                found[offer] = (note, hit, 1)
    prompts = []
    for offer, (note, word, times) in found.items():
        product = catalog.get(offer)
        prompts.append(
            Prompt(
                kind=Kind.NEEDS,
                code="needs_heard",
                facts={"product": offer, "word": word, "on": note.visited_on.isoformat(),
                       "note": note.text[:60], "times": times},
                customer_id=customer_id,
                product_ids=(offer,),
                value_yen=product.unit_price,
                confidence=round(min(0.8, 0.4 + 0.1 * times), 3),
                expires_on=today + timedelta(days=WINDOW_DAYS),
            )
        )  # fmt: skip
    # the newest note first, then the surest
    prompts.sort(key=lambda p: (p.facts["on"], p.confidence, -p.product_ids[0]), reverse=True)
    return prompts[:limit]
