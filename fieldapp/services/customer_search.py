"""Finding customers: text search over name, kana, phone, address and tags; filters; "near me"; pages.

The text search runs over Customer.search_text, normalised once when the customer is saved (kana folded
to hiragana, widths unified, phone digits also without hyphens), so a query only needs the same folding.
"Near me" first keeps the customers inside a bounding box around the point (plain indexed-column
comparisons that any database does), then sorts those few by great-circle distance in Python.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date

from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import Customer, CustomerStatus, Rank, Segment
from .geo import EARTH_RADIUS_KM, haversine_km
from .text import normalise_search

PAGE_SIZE = 25
# Radii tried in turn for "near me" until a page is full; None means anywhere.
NEAR_RADII_KM: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 300, None)
MAX_KM = 500.0


def _float(value: str | None, low: float, high: float) -> float | None:
    try:
        number = float(value) if value not in (None, "") else None
    except ValueError:
        return None
    if number is None or not low <= number <= high:  # also rejects NaN
        return None
    return number


@dataclass(frozen=True)
class SearchQuery:
    text: str = ""
    mine: bool = False
    page: int = 1
    rank: str | None = None
    segment: str | None = None
    status: str | None = None
    overdue: bool = False
    tag: str | None = None
    near: bool = False
    lat: float | None = None
    lon: float | None = None
    km: float | None = None  # strict radius for "near"; None = widen until a page is full

    @classmethod
    def from_args(cls, args: Mapping[str, str], *, default_mine: bool = False) -> SearchQuery:
        """Parse query-string arguments leniently: unknown values and bad numbers are ignored."""
        try:
            page = max(1, min(10_000, int(args.get("page", "1"))))
        except ValueError:
            page = 1
        mine_arg = args.get("mine")
        mine = default_mine if mine_arg is None else mine_arg == "1"
        rank = args.get("rank") if args.get("rank") in {r.value for r in Rank} else None
        segment = args.get("segment") if args.get("segment") in {s.value for s in Segment} else None
        status = (
            args.get("status") if args.get("status") in {s.value for s in CustomerStatus} else None
        )
        lat = _float(args.get("lat"), -90, 90)
        lon = _float(args.get("lon"), -180, 180)
        km = _float(args.get("km"), 0.05, MAX_KM)
        near = args.get("near") == "1" and lat is not None and lon is not None
        return cls(
            text=(args.get("q") or "").strip()[:100],
            mine=mine,
            page=page,
            rank=rank,
            segment=segment,
            status=status,
            overdue=args.get("overdue") == "1",
            tag=(args.get("tag") or "").strip()[:50] or None,
            near=near,
            lat=lat if near else None,
            lon=lon if near else None,
            km=km if near else None,
        )

    def args(self, **overrides: object) -> dict[str, object]:
        """Query-string arguments that reproduce this search (for links), with changes applied."""
        query = replace(self, **overrides)  # type: ignore[arg-type]
        out: dict[str, object] = {"mine": "1" if query.mine else "0"}
        if query.text:
            out["q"] = query.text
        for name in ("rank", "segment", "status", "tag"):
            if getattr(query, name):
                out[name] = getattr(query, name)
        if query.overdue:
            out["overdue"] = "1"
        if query.near and query.lat is not None and query.lon is not None:
            out.update(near="1", lat=f"{query.lat:.6f}", lon=f"{query.lon:.6f}")
            if query.km:
                out["km"] = f"{query.km:g}"
        if query.page > 1:
            out["page"] = query.page
        return out

    @property
    def has_filters(self) -> bool:
        return bool(self.rank or self.segment or self.status or self.overdue or self.tag)


@dataclass
class SearchPage:
    customers: list[Customer]
    total: int
    page: int
    page_size: int = PAGE_SIZE
    extra: dict[str, object] = field(default_factory=dict)
    # Customer id → km from the "near" point.
    distances: dict[int, float] = field(default_factory=dict)
    radius_km: float | None = None
    without_location: int = 0

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.page_size))


def bounding_box(lat: float, lon: float, km: float) -> tuple[float, float, float, float]:
    """(min_lat, max_lat, min_lon, max_lon) that contains every point within `km` of (lat, lon)."""
    dlat = math.degrees(km / EARTH_RADIUS_KM)
    cos_lat = math.cos(math.radians(lat))
    dlon = 180.0 if cos_lat < 1e-6 else min(180.0, math.degrees(km / (EARTH_RADIUS_KM * cos_lat)))
    return lat - dlat, lat + dlat, lon - dlon, lon + dlon


def text_terms(text: str) -> list[str]:
    """Query words in the search_text form; a phone typed with hyphens also matches without them."""
    terms = []
    for term in normalise_search(text).split():
        stripped = re.sub(r"[-()]", "", term)
        terms.append(stripped if stripped.isdigit() else term)
    return terms


def _conditions(*, team_id: int, user_id: int, query: SearchQuery, today: date | None) -> list:
    conditions = [Customer.team_id == team_id]
    if query.mine:
        conditions.append(Customer.assigned_rep_id == user_id)
    words = query.text + (" " + query.tag if query.tag else "")
    for term in text_terms(words):
        conditions.append(col(Customer.search_text).contains(term, autoescape=True))
    if query.rank:
        conditions.append(Customer.rank == query.rank)
    if query.segment:
        conditions.append(Customer.segment == query.segment)
    if query.status:
        conditions.append(Customer.status == query.status)
    if query.overdue and today is not None:
        conditions.append(col(Customer.next_due_on) < today)
        conditions.append(Customer.status != CustomerStatus.LOST)
    return conditions


def search(
    session: Session,
    *,
    team_id: int,
    user_id: int,
    query: SearchQuery,
    today: date | None = None,
) -> SearchPage:
    """One page of the team's customers matching the query: by reading, or nearest first for "near"."""
    conditions = _conditions(team_id=team_id, user_id=user_id, query=query, today=today)
    if query.near and query.lat is not None and query.lon is not None:
        return _search_near(session, conditions=conditions, query=query)
    total = session.exec(select(func.count()).select_from(Customer).where(*conditions)).one()
    stmt = (
        select(Customer)
        .where(*conditions)
        .order_by(Customer.kana, Customer.name, Customer.id)
        .offset((query.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    return SearchPage(customers=list(session.exec(stmt)), total=total, page=query.page)


def _within(
    session: Session, *, conditions: list, lat: float, lon: float, km: float | None
) -> list[tuple[float, int]]:
    """(distance, id) of located matches within `km` (None = anywhere), nearest first."""
    stmt = select(Customer.id, Customer.lat, Customer.lon).where(
        *conditions, col(Customer.lat).is_not(None), col(Customer.lon).is_not(None)
    )
    if km is not None:
        min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)
        stmt = stmt.where(col(Customer.lat).between(min_lat, max_lat))
        if max_lon - min_lon < 360:
            stmt = stmt.where(col(Customer.lon).between(min_lon, max_lon))
    found = []
    for customer_id, c_lat, c_lon in session.exec(stmt):
        distance = haversine_km((lat, lon), (c_lat, c_lon))
        if km is None or distance <= km:
            found.append((distance, customer_id))
    found.sort()
    return found


def _search_near(session: Session, *, conditions: list, query: SearchQuery) -> SearchPage:
    assert query.lat is not None and query.lon is not None
    wanted = query.page * PAGE_SIZE
    radii = (query.km,) if query.km else NEAR_RADII_KM
    found: list[tuple[float, int]] = []
    radius: float | None = None
    for radius in radii:
        found = _within(session, conditions=conditions, lat=query.lat, lon=query.lon, km=radius)
        if len(found) >= wanted:
            break
    without = session.exec(
        select(func.count())
        .select_from(Customer)
        .where(*conditions, col(Customer.lat).is_(None) | col(Customer.lon).is_(None))
    ).one()
    if query.km:
        total = len(found)
    else:
        # Widening stops once the page is full; the total counts every located match.
        total = session.exec(
            select(func.count())
            .select_from(Customer)
            .where(*conditions, col(Customer.lat).is_not(None), col(Customer.lon).is_not(None))
        ).one()
    page_rows = found[(query.page - 1) * PAGE_SIZE : query.page * PAGE_SIZE]
    ids = [customer_id for _, customer_id in page_rows]
    by_id = {c.id: c for c in session.exec(select(Customer).where(col(Customer.id).in_(ids)))}
    return SearchPage(
        customers=[by_id[i] for i in ids if i in by_id],
        total=total,
        page=query.page,
        distances={customer_id: distance for distance, customer_id in page_rows},
        radius_km=radius if query.km or len(found) < total else None,
        without_location=without,
    )
