"""Every template global, filter and context processor, registered in one place by `init_app`.

None of these query the database, but for one count per request: the unread report comments on the bottom
navigation's Me tab, shown on every page (context.unread_report_comments, cached on g). What a page shows per
row comes in its page model (built in batch by a service or the route), so a helper here only formats values
it is given.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from babel.dates import get_timezone_name
from babel.support import NullTranslations
from flask import Flask, g, has_app_context, url_for
from flask_babel import get_locale, get_translations

from .context import unread_report_comments
from .customers.history_display import display_value, field_label
from .i18n import (
    WEEKDAYS,
    choice_label,
    local_date,
    local_datetime,
    local_time,
    minutes_hhmm,
    skip_label,
    ui_language,
)
from .models import User
from .services import reports
from .services.day.candidates import exclusion_text
from .urls import navigate_url
from .visits.forms import product_label


def calendar_subscription_url(user: User) -> str | None:
    """The user's feed URL for the Me page (None while no secret exists)."""
    if not user.calendar_token:
        return None
    return url_for("me.ical_feed", token=user.calendar_token, _external=True)


def report_time(value: str | None) -> str:
    """An ISO time stored in a report's figures, as HH:MM in the team's timezone."""
    return local_time(reports.parse_instant(value)) or "--:--"


def report_date(value: str | None) -> str:
    """An ISO date stored in a report's figures, in the UI language."""
    try:
        return local_date(date.fromisoformat(value or ""))
    except ValueError:
        return value or ""


def report_yen(amount: int | None) -> str:
    """An amount stored in a report's figures, as yen."""
    return reports.yen(int(amount or 0))


def report_product(line: dict) -> str:
    """A product of a report's order line in the UI language."""
    return line.get("product_en") if ui_language() == "en" else line.get("product", "")


def timezone_name(zone: str) -> str:
    """A timezone in the UI language (「日本時間」, "Japan Time"), not its database name "Asia/Tokyo"."""
    try:
        return get_timezone_name(zone, locale=str(get_locale() or "ja"))
    except LookupError:
        return zone


FILTERS: dict[str, Callable[..., Any]] = {
    "local_time": local_time,
    "local_datetime": local_datetime,
    "local_date": local_date,
    "hhmm": minutes_hhmm,
    "report_time": report_time,
    "report_date": report_date,
    "report_yen": report_yen,
    "timezone_name": timezone_name,
}

GLOBALS: dict[str, Any] = {
    "choice_label": choice_label,
    "weekday_names": WEEKDAYS,
    "skip_label": skip_label,
    "exclusion_text": exclusion_text,
    "navigate_url": navigate_url,
    "visit_product_name": product_label,
    "report_product": report_product,
    "calendar_subscription_url": calendar_subscription_url,
    "field_label": field_label,
    "display_value": display_value,
}


def _page_values() -> dict[str, object]:
    """What every page's shell needs: the locale, and the bottom navigation's Me tab badge (unread
    comments on the rep's daily reports; one count per request)."""
    return {
        "current_locale": str(get_locale() or "ja"),
        "nav_unread_comments": unread_report_comments(),
    }


def page_translations() -> NullTranslations:
    """The catalogue of the request's locale, looked up once per request and locale.

    Flask-Babel's own template callables look it up for every string (the request context, the domain,
    the locale's name: about ten microseconds), and a page like Today translates a few hundred strings.
    Keyed by the locale object, so `force_locale` inside a request still gets its own catalogue."""
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    cached = g.get("_page_translations")
    if cached is None or cached[0] is not locale:
        cached = g._page_translations = (locale, get_translations())
    return cached[1]


def init_app(app: Flask) -> None:
    """Register the filters, globals and the context processors on the app's Jinja environment."""
    app.jinja_env.filters.update(FILTERS)
    app.jinja_env.globals.update(GLOBALS)
    app.context_processor(_page_values)
    # Replaces the callables Flask-Babel installed (same strings, same newstyle formatting by Jinja).
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: page_translations().ugettext(s),
        ngettext=lambda s, p, n: page_translations().ungettext(s, p, n),
        pgettext=lambda c, s: page_translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: page_translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
