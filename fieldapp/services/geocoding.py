"""Geocoding addresses with geopy (Nominatim at a configurable domain), rate-limited and cached.

A failure never blocks saving a customer: it only marks the customer "needs location", and managers see
those customers listed to pin them by hand.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from geopy.exc import GeopyError
from geopy.extra.rate_limiter import RateLimiter
from geopy.geocoders import Nominatim
from sqlmodel import Session, select

from ..models import Customer, GeocodeCache, LocationSource

# One rate limiter per geocoder address and process, so the provider's limit holds across calls.
_LIMITERS: dict[tuple[str, str, float, float], Callable[..., Any]] = {}


@dataclass(frozen=True)
class GeocodeSummary:
    located: int
    failed: int


def normalise_address(address: str) -> str:
    """The cache key: NFKC (full-width digits → ASCII), single spaces, no surrounding blanks."""
    text = unicodedata.normalize("NFKC", address or "")
    return re.sub(r"\s+", " ", text).strip()[:300]


def _geocoder(config: Mapping[str, Any]) -> Callable[..., Any] | None:
    domain = config.get("NOMINATIM_DOMAIN")
    if not domain:
        return None
    scheme = config.get("NOMINATIM_SCHEME") or "https"
    delay = float(config.get("NOMINATIM_MIN_DELAY", 1.0))
    timeout = float(config.get("NOMINATIM_TIMEOUT", 5.0))
    key = (domain, scheme, delay, timeout)
    if key not in _LIMITERS:
        geocoder = Nominatim(
            domain=domain,
            scheme=scheme,
            user_agent=config.get("NOMINATIM_USER_AGENT") or "field-companion",
            timeout=timeout,
        )
        # Nominatim's usage policy: at most one request a second (configurable for self-hosted servers).
        _LIMITERS[key] = RateLimiter(
            geocoder.geocode, min_delay_seconds=delay, max_retries=0, swallow_exceptions=False
        )
    return _LIMITERS[key]


def lookup(
    session: Session, *, address: str, config: Mapping[str, Any]
) -> tuple[float, float] | None:
    """Coordinates of an address from the cache or the geocoder; None when unknown or unavailable."""
    query = normalise_address(address)
    if not query:
        return None
    cached = session.get(GeocodeCache, query)
    if cached is not None:
        return (cached.lat, cached.lon) if cached.found else None
    geocode = _geocoder(config)
    if geocode is None:
        return None
    try:
        location = geocode(query)
    except (GeopyError, OSError, ValueError):
        return None  # a passing failure: not cached, so a later try may succeed
    entry = GeocodeCache(
        query=query,
        found=location is not None,
        lat=location.latitude if location else None,
        lon=location.longitude if location else None,
    )
    session.add(entry)
    session.flush()
    return (entry.lat, entry.lon) if entry.found else None


def locate_customer(session: Session, *, customer: Customer, config: Mapping[str, Any]) -> bool:
    """Geocode the customer's address; on failure mark it "needs location". Never raises."""
    try:
        point = lookup(session, address=customer.address or "", config=config)
    except Exception:  # noqa: BLE001 - saving a customer must never fail because of geocoding
        point = None
    if point is None:
        customer.needs_location = True
        session.add(customer)
        return False
    customer.lat, customer.lon = point
    customer.location_source = LocationSource.GEOCODED
    customer.needs_location = False
    session.add(customer)
    return True


def pending(session: Session, *, team_id: int, limit: int | None = None) -> list[Customer]:
    """The team's customers still without a usable location, for managers to fix."""
    stmt = (
        select(Customer)
        .where(Customer.team_id == team_id, Customer.needs_location == True)  # noqa: E712
        .order_by(Customer.external_code, Customer.id)
    )
    if limit:
        stmt = stmt.limit(limit)
    return list(session.exec(stmt))


def geocode_pending(
    session: Session, *, team_id: int, config: Mapping[str, Any], limit: int = 200
) -> GeocodeSummary:
    """Try to geocode every customer that needs a location and has an address."""
    located = failed = 0
    for customer in pending(session, team_id=team_id, limit=limit):
        if not customer.address:
            failed += 1
            continue
        if locate_customer(session, customer=customer, config=config):
            located += 1
        else:
            failed += 1
    session.flush()
    return GeocodeSummary(located=located, failed=failed)
