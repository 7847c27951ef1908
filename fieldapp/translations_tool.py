"""Extract, merge and compile the Japanese/English catalogs with Babel's own API (no babel.cfg needed)."""

from __future__ import annotations

from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

ROOT = Path(__file__).resolve().parent.parent
TRANSLATIONS = Path(__file__).parent / "translations"
LOCALES = ("ja", "en")
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "lazy_gettext": None, "_l": None}
METHOD_MAP = [("**.py", "python"), ("**.html", "jinja2")]
OPTIONS = {"**.html": {"extensions": "jinja2.ext.i18n", "trimmed": "true"}}


def _directory_filter(dirpath: str) -> bool:
    """Babel skips folders starting with "_" by default; templates/_partials and _macros hold shown text."""
    name = Path(dirpath).name
    return not name.startswith(".") and name != "__pycache__"


def extract() -> Catalog:
    """All translatable messages in fieldapp/ and templates/."""
    catalog = Catalog(project="Field Companion", charset="utf-8")
    sources = [
        (ROOT / "fieldapp", [("**.py", "python")], {}),
        (ROOT / "templates", [("**.html", "jinja2")], OPTIONS),
    ]
    for directory, method_map, options in sources:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(directory),
            method_map,
            options_map=options,
            keywords=KEYWORDS,
            directory_filter=_directory_filter,
        ):
            catalog.add(
                message,
                None,
                [(str(directory.name + "/" + filename), lineno)],
                auto_comments=comments,
                context=context,
            )
    return catalog


def po_path(locale: str) -> Path:
    return TRANSLATIONS / locale / "LC_MESSAGES" / "messages.po"


def update_catalogs() -> None:
    """Merge newly extracted messages into each locale's .po (new ones start untranslated)."""
    template = extract()
    for locale in LOCALES:
        path = po_path(locale)
        path.parent.mkdir(parents=True, exist_ok=True)
        if path.exists():
            with path.open("rb") as f:
                catalog = read_po(f, locale=locale)
            catalog.update(template, no_fuzzy_matching=True)
        else:
            catalog = Catalog(locale=locale, project="Field Companion", charset="utf-8")
            catalog.update(template, no_fuzzy_matching=True)
        with path.open("wb") as f:
            write_po(f, catalog, width=0, omit_header=False, ignore_obsolete=True, sort_output=True)


def compile_catalogs() -> None:
    for locale in LOCALES:
        path = po_path(locale)
        with path.open("rb") as f:
            catalog = read_po(f, locale=locale)
        with path.with_suffix(".mo").open("wb") as f:
            write_mo(f, catalog)


def untranslated(locale: str = "ja") -> list[str]:
    """Messages in the code that the locale's catalog does not translate (the completeness test)."""
    with po_path(locale).open("rb") as f:
        catalog = read_po(f, locale=locale)
    missing = []
    for message in extract():
        if not message.id:
            continue
        entry = catalog.get(message.id, context=message.context)
        if (
            entry is None
            or not entry.string
            or (isinstance(entry.string, tuple) and not all(entry.string))
        ):
            missing.append(message.id if isinstance(message.id, str) else message.id[0])
    return missing
