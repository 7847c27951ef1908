"""Text normalisation for Japanese input: width, kana and phone-number forms."""

from __future__ import annotations

import re
import unicodedata

_HYPHENS = "‐‑‒–—―−ｰー－"
_HYPHEN_RE = re.compile(f"[{_HYPHENS}]")


def to_hiragana(text: str) -> str:
    """Katakana (full-width, after NFKC) to hiragana; other characters unchanged."""
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text)


def normalise_search(text: str) -> str:
    """One comparable form: NFKC (half-width kana → full-width, full-width digits → ASCII), hiragana, lower case."""
    text = unicodedata.normalize("NFKC", text or "")
    return to_hiragana(text).lower()


def normalise_digits(text: str | None) -> str | None:
    """Phone numbers and postal codes: half-width digits and plain hyphens, no spaces."""
    if text is None:
        return None
    text = unicodedata.normalize("NFKC", text).strip()
    text = _HYPHEN_RE.sub("-", text)
    text = re.sub(r"\s+", "", text)
    return text or None


def customer_search_text(*parts: str | None) -> str:
    """The text the customer search runs over: every part normalised, digits also without hyphens,
    then every two-character window as a word of its own (see `pair_term`); "" when there is no text."""
    pieces: list[str] = []
    for part in parts:
        if not part:
            continue
        normal = normalise_search(part)
        pieces.append(normal)
        stripped = re.sub(r"[-\s]", "", normal)
        if stripped != normal and stripped.isdigit():
            pieces.append(stripped)
    if not pieces:
        return ""
    pairs = dict.fromkeys(
        word[i : i + 2] for word in " ".join(pieces).split() for i in range(len(word) - 1)
    )
    return " ".join(pieces) + " " + "".join(f" {pair} " for pair in pairs)


def pair_term(term: str) -> str:
    """How a two-character search word is found by a trigram index: as the word " xy " that
    customer_search_text writes for every two-character window (a trigram index cannot find "xy")."""
    return f" {term} "


# A free-text note on a customer or a contact: as long as a visit note may be (services.visits.NOTE_MAX).
NOTES_MAX = 4000
# user@host.tld, no spaces: "x@" or "x@y" are typing mistakes, not addresses.
EMAIL_RE = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s.]+$")


def email_ok(email: str) -> bool:
    return len(email) <= 254 and EMAIL_RE.match(email) is not None
