"""CSV cells that spreadsheets cannot run (OWASP's CSV-injection rule), and the way back for the importer.

Excel and LibreOffice treat a cell starting with = + - @ (or a tab / carriage return before one) as a
formula. Every exported text cell starting with one of them gets a leading apostrophe, which spreadsheets
show as text; the importer removes exactly that apostrophe, so export → import gives back the same text.
A text that itself starts with an apostrophe before such a character is escaped too, to stay exact.
"""

from __future__ import annotations

FORMULA_STARTS = frozenset("=+-@\t\r")
ESCAPE = "'"


def _escaped(text: str) -> bool:
    """Whether `text` is an escaped cell: an apostrophe, then what needed it (or another apostrophe)."""
    return len(text) > 1 and text[0] == ESCAPE and (text[1] in FORMULA_STARTS or text[1] == ESCAPE)


def neutralise(value: object) -> object:
    """The value to write: text that a spreadsheet would run (or that looks escaped) gets the apostrophe.
    Numbers and dates are written as they are (a negative number is a number, not a formula)."""
    if isinstance(value, str) and value and (value[0] in FORMULA_STARTS or _escaped(value)):
        return ESCAPE + value
    return value


def restore(text: str) -> str:
    """An imported cell as it was before `neutralise` (other cells unchanged)."""
    return text[1:] if _escaped(text) else text
