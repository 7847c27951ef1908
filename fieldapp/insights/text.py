"""One comparable form of Japanese and English text for matching notes against product words.

The same rule as `services.text.normalise_search` (NFKC folds width, katakana becomes hiragana, lower case);
repeated here because the insights stay free of services.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from functools import lru_cache

_SPLIT = re.compile(r"[,、，;；/／\s]+")
_LATIN = re.compile(r"^[a-z0-9][a-z0-9 .\-]*$")


def normalise(text: str | None) -> str:
    text = unicodedata.normalize("NFKC", text or "")
    return "".join(chr(ord(c) - 0x60) if "ァ" <= c <= "ヶ" else c for c in text).lower()


def terms(*texts: str | None) -> list[str]:
    """Words worth matching from tags or a name: two characters at least, Latin words three."""
    out: list[str] = []
    for text in texts:
        for part in _SPLIT.split(normalise(text)):
            part = part.strip()
            if len(part) >= (3 if _LATIN.match(part) else 2) and part not in out:
                out.append(part)
    return out


def mentions(note: str, term: str) -> bool:
    """Latin words match whole words ("oil" not in "toilet"); Japanese terms match anywhere."""
    return matcher(term)(note)


@lru_cache(maxsize=4096)
def matcher(term: str) -> Callable[[str], bool]:
    """`mentions` for one term, worked out once: a page of prompts tests thousands of note × term pairs."""
    if _LATIN.match(term):
        search = re.compile(rf"(?<![a-z]){re.escape(term)}s?(?![a-z])").search
        return lambda note: search(note) is not None
    return lambda note: term in note
