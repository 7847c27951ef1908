"""Finding customers: text search over name, kana, phone, address, tags, visit notes, follow-ups and
contacts; filters; "near me"; pages; the snippet of a note that matched.

The text search runs over the `search_text` columns, normalised once when a row is saved (kana folded
to hiragana, widths unified, phone digits also without hyphens), so a query only needs the same folding.
Each word must be found somewhere in the customer's record or in one of its notes, follow-ups or
contacts; the database's full-text index (fieldapp/search_index.py) finds the rows: an FTS5 trigram
MATCH on SQLite, LIKE over a pg_trgm GIN index on PostgreSQL. Trigrams need three characters: a shorter
word (「浅草」) is looked up by a scan of the same columns.
"Near me" first keeps the customers inside a bounding box around the point (plain indexed-column
comparisons that any database does), then sorts those few by great-circle distance in Python; with words,
the database orders every match by a flat-earth distance and only the page comes back.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date, timedelta

import sqlalchemy as sa
from sqlalchemy import func
from sqlmodel import Session, col, select

from ..models import Contact, Customer, CustomerStatus, FollowUp, Rank, Segment, Visit
from ..search_index import DOC_TABLE, FTS_TABLE, TEXT_FIELDS
from .geo import EARTH_RADIUS_KM, haversine_km
from .text import normalise_search, pair_term

PAGE_SIZE = 25
# The list's order: by reading, as the team's (team, kana, name, id) index holds it.
READING_ORDER = (Customer.kana, Customer.name, Customer.id)
# Radii tried in turn for "near me" until a page is full; None means anywhere.
NEAR_RADII_KM: tuple[float | None, ...] = (1, 2, 5, 10, 20, 50, 100, 300, None)
MAX_KM = 500.0
MAX_IDLE_DAYS = 3650


def _int(value: str | None, low: int, high: int) -> int | None:
    try:
        number = int(value) if value not in (None, "") else None
    except ValueError:
        return None
    return number if number is not None and low <= number <= high else None


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
    rep: int | None = None  # the assigned rep's id (0 = nobody assigned)
    idle_days: int | None = None  # "no visit in N days" (never visited counts too)

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
        rep = _int(args.get("rep"), 0, 2**31 - 1)
        return cls(
            text=(args.get("q") or "").strip()[:100],
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
            rep=rep,
            mine=mine and rep is None,
            idle_days=_int(args.get("idle"), 1, MAX_IDLE_DAYS),
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
        if query.rep is not None:
            out["rep"] = query.rep
        if query.idle_days:
            out["idle"] = query.idle_days
        if query.near and query.lat is not None and query.lon is not None:
            out.update(near="1", lat=f"{query.lat:.6f}", lon=f"{query.lon:.6f}")
            if query.km:
                out["km"] = f"{query.km:g}"
        if query.page > 1:
            out["page"] = query.page
        return out

    @property
    def has_filters(self) -> bool:
        return bool(
            self.rank
            or self.segment
            or self.status
            or self.overdue
            or self.tag
            or self.rep is not None
            or self.idle_days
        )


@dataclass
class SearchPage:
    customers: list[Customer]
    total: int
    page: int
    page_size: int = PAGE_SIZE
    extra: dict[str, object] = field(default_factory=dict)
    # Customer id → km from the "near" point.
    distances: dict[int, float] = field(default_factory=dict)
    # Customer id → where a searched word was found outside the customer's own record.
    snippets: dict[int, Snippet] = field(default_factory=dict)
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


def _box(lat: float, lon: float, km: float) -> sa.ColumnElement:
    """The customer's position is inside the bounding box of `km` around (lat, lon)."""
    min_lat, max_lat, min_lon, max_lon = bounding_box(lat, lon, km)
    inside = col(Customer.lat).between(min_lat, max_lat)
    if max_lon - min_lon < 360:
        inside = inside & col(Customer.lon).between(min_lon, max_lon)
    return inside


def _placed(rows, point: tuple[float, float], km: float | None) -> list[tuple[float, int]]:
    """(distance, id) of (id, lat, lon) rows within `km` of the point (None = anywhere), nearest first."""
    placed = ((haversine_km(point, (lat, lon)), customer_id) for customer_id, lat, lon, *_ in rows)
    return sorted(found for found in placed if km is None or found[0] <= km)


def _count(session: Session, conditions: list) -> int:
    return session.exec(select(func.count()).select_from(Customer).where(*conditions)).one()


def _page_ids(session: Session, conditions: list, page: int) -> list[int]:
    """One page of the matching customers' ids in reading order."""
    return list(
        session.exec(
            select(Customer.id)
            .where(*conditions)
            .order_by(*READING_ORDER)
            .offset((page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
    )


def text_terms(text: str) -> list[str]:
    """Query words in the search_text form; a phone typed with hyphens also matches without them."""
    terms = []
    for term in normalise_search(text).split():
        stripped = re.sub(r"[-()]", "", term)
        terms.append(stripped if stripped.isdigit() else term)
    return terms


def _contains(column: sa.ColumnElement, term: str, dialect: str) -> sa.ColumnElement:
    """The column holds `term` (a scan; used below the trigram length)."""
    if dialect == "sqlite":
        return func.instr(column, term) > 0  # no LIKE escaping needed, and no case folding to undo
    return column.contains(term, autoescape=True)


def matching_customer_ids(team_id: int, terms: list[str], dialect: str) -> sa.Select:
    """Ids of the team's customers whose document (record, notes, follow-ups, contacts) holds every term.

    Terms of three characters or more go through the trigram index as they are; two-character ones as
    their pair word (" xy ", see text.pair_term), which the index finds too; a single character is
    checked on the team's documents only.
    """
    doc = sa.table(
        DOC_TABLE,
        sa.column("customer_id"),
        sa.column("team_id"),
        sa.column("body"),
        sa.column("pairs"),
    )
    if dialect == "postgresql":
        # The document in two columns (search_index): two-character words in `pairs`, the rest in `body`.
        stmt = select(doc.c.customer_id).where(doc.c.team_id == team_id)
        for term in terms:
            if len(term) >= 3:
                stmt = stmt.where(_contains(doc.c.body, term, dialect))
            elif len(term) == 2:
                stmt = stmt.where(_contains(doc.c.pairs, pair_term(term), dialect))
            else:
                stmt = stmt.where(
                    _contains(doc.c.body, term, dialect) | _contains(doc.c.pairs, term, dialect)
                )
        return stmt
    indexed = [pair_term(t) if len(t) == 2 else t for t in terms if len(t) >= 2]
    scanned = [t for t in terms if len(t) < 2]
    stmt = select(doc.c.customer_id).where(doc.c.team_id == team_id)
    if dialect == "sqlite" and indexed:
        phrases = " AND ".join('"' + t.replace('"', '""') + '"' for t in indexed)
        fts = sa.table(FTS_TABLE, sa.column("rowid"))
        matched = sa.select(fts.c.rowid.label("customer_id")).where(
            sa.literal_column(FTS_TABLE).op("MATCH")(phrases)
        )
        if not scanned:  # the FTS rowids are the customer ids; the caller keeps its team's
            return matched
        stmt = stmt.where(doc.c.customer_id.in_(matched))
        indexed = []
    for term in indexed + scanned:
        stmt = stmt.where(_contains(doc.c.body, term, dialect))
    return stmt


def _id_in(ids: sa.Select, dialect: str) -> sa.ColumnElement:
    """The customer is in the index's answer.

    On PostgreSQL the answer is asked first, as a MATERIALIZED CTE joined on the customer's id (its ids
    are unique: searchdoc's key): the planner then knows how many customers it holds (the document's
    columns are short enough for ANALYZE to tell a rare word from a common one) and joins a few by their
    key, thousands by a hash over the team's (kana) index. Left inside the query, the LIKE would be
    tested customer by customer in page order, a plan made for a page, not for the total it counts."""
    if dialect == "postgresql":
        matched = ids.cte("matched_text").prefix_with("MATERIALIZED")
        return col(Customer.id) == matched.c.customer_id
    return col(Customer.id).in_(ids)


def _conditions(
    *,
    team_id: int,
    user_id: int,
    query: SearchQuery,
    today: date | None,
    dialect: str,
    text_as_cte: bool = True,
) -> list:
    """The query's conditions on Customer. `text_as_cte=False` leaves the words' index question a plain
    IN, for a query planned for one page (PostgreSQL then weighs walking the reading order)."""
    conditions = [Customer.team_id == team_id]
    if query.mine:
        conditions.append(Customer.assigned_rep_id == user_id)
    if query.rep is not None:
        conditions.append(
            col(Customer.assigned_rep_id).is_(None)
            if query.rep == 0
            else Customer.assigned_rep_id == query.rep
        )
    terms = text_terms(query.text)
    if terms:
        answer = matching_customer_ids(team_id, terms, dialect)
        conditions.append(_id_in(answer, dialect) if text_as_cte else col(Customer.id).in_(answer))
    if query.tag:
        # The index narrows to customers whose document has the word; the tag must be the customer's
        # own (not a word in a note), which the exact check on those few rows decides. On PostgreSQL the
        # planner chooses between the two (the index for a rare tag, the exact check for a common one):
        # the customer's own text is in its document, so the narrowing never changes the answer.
        tag_terms = text_terms(query.tag)
        tag_ids = matching_customer_ids(team_id, tag_terms, dialect)
        conditions.append(col(Customer.id).in_(tag_ids))
        for term in tag_terms:
            conditions.append(_contains(col(Customer.search_text), term, dialect))
    if query.idle_days and today is not None:
        since = today - timedelta(days=query.idle_days)
        conditions.append(
            col(Customer.last_visit_on).is_(None) | (col(Customer.last_visit_on) < since)
        )
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
    """One page of the team's customers matching the query: by reading, or nearest first for "near";
    with the snippet of a note, follow-up or contact where a searched word was found."""
    dialect = session.get_bind().dialect.name
    conditions = _conditions(
        team_id=team_id, user_id=user_id, query=query, today=today, dialect=dialect
    )
    terms = text_terms(query.text)
    indexed = bool(terms or query.tag)
    # The search box alone: the index's answer is the whole question, asked the cheapest way.
    words_alone = bool(terms) and not query.has_filters and not query.mine
    if query.near and query.lat is not None and query.lon is not None:
        if words_alone and query.km is None:
            page = _search_near_words(session, team_id=team_id, terms=terms, query=query)
        elif indexed:
            page = _search_near_matches(session, conditions=conditions, query=query)
        else:
            page = _search_near(session, conditions=conditions, query=query)
    elif words_alone:
        page = _search_words(session, team_id=team_id, terms=terms, query=query, dialect=dialect)
    elif indexed:
        page_conditions = (
            _conditions(
                team_id=team_id,
                user_id=user_id,
                query=query,
                today=today,
                dialect=dialect,
                text_as_cte=False,
            )
            if dialect == "postgresql"  # SQLite asks once, with `conditions`
            else conditions
        )
        page = _search_matches(
            session, conditions=conditions, page_conditions=page_conditions, query=query
        )
    else:
        # No words: the count is an index count and the page is read from the (team, kana) index.
        total = _count(session, conditions)
        stmt = (
            select(Customer)
            .where(*conditions)
            .order_by(*READING_ORDER)
            .offset((query.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        )
        page = SearchPage(customers=list(session.exec(stmt)), total=total, page=query.page)
    if terms and page.customers:
        page.snippets = snippets(session, customers=page.customers, terms=terms, dialect=dialect)
    return page


def _load(session: Session, ids: list[int]) -> list[Customer]:
    by_id = {c.id: c for c in session.exec(select(Customer).where(col(Customer.id).in_(ids)))}
    return [by_id[i] for i in ids if i in by_id]


def _search_words(
    session: Session, *, team_id: int, terms: list[str], query: SearchQuery, dialect: str
) -> SearchPage:
    """Words alone (the search box, no filters): the page walks the team's reading order (its kana
    index) and asks about each customer until the page is full — a word found in most of the team's
    records fills it within a few dozen customers, where sorting all its matches would take longer than
    finding them.

    PostgreSQL is asked twice, each question planned for itself: the page (from the document's
    statistics it pages a rare word by finding its few customers first), and the total as the index's
    answer counted — one document per customer, kept in the customer's team by the triggers, so no join
    to the customers is needed (a third of the time for a word in most records). SQLite is asked once:
    its answer holds every team's documents, kept as a MATERIALIZED CTE that serves the page and the
    count in the team (a long phrase costs the index more than the rest); `id + 0` is not the key, so it
    walks the kana index instead of looking every match up by its key and sorting them all — at worst
    the team's whole index, a few milliseconds."""
    answer = matching_customer_ids(team_id, terms, dialect)
    in_team = Customer.team_id == team_id
    if dialect == "sqlite":
        matched = answer.cte("matched_text").prefix_with("MATERIALIZED")
        matched_ids = select(*matched.c)
        count = (
            select(func.count())
            .select_from(Customer)
            .where(in_team, col(Customer.id).in_(matched_ids))
            .scalar_subquery()
        )
        rows = session.exec(
            select(Customer.id, count)
            .where(in_team, (col(Customer.id) + 0).in_(matched_ids))
            .order_by(*READING_ORDER)
            .offset((query.page - 1) * PAGE_SIZE)
            .limit(PAGE_SIZE)
        ).all()
        ids = [row[0] for row in rows]
        total = rows[0][1] if rows else _count(session, [in_team, _id_in(answer, dialect)])
    else:
        ids = _page_ids(session, [in_team, col(Customer.id).in_(answer)], query.page)
        total = session.exec(select(func.count()).select_from(answer.subquery())).one()
    return SearchPage(customers=_load(session, ids), total=total, page=query.page)


def _search_matches(
    session: Session, *, conditions: list, page_conditions: list, query: SearchQuery
) -> SearchPage:
    """Words or a tag with filters: the page's ids and the total, and only the page's customers loaded.

    SQLite is asked once, the total as a window count beside the page. PostgreSQL is asked twice: it
    plans a LIMIT over a window count as if the page could stop early (walking the reading order
    through 20,000 customers to count 1,000), so the page is planned for the page (`page_conditions`:
    the index question as a plain IN) and the count for the count."""
    if session.get_bind().dialect.name == "postgresql":
        ids = _page_ids(session, page_conditions, query.page)
        return SearchPage(
            customers=_load(session, ids), total=_count(session, conditions), page=query.page
        )
    stmt = (
        select(Customer.id, func.count().over())
        .where(*conditions)
        .order_by(*READING_ORDER)
        .offset((query.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = session.exec(stmt).all()
    if rows:
        total = rows[0][1]
    elif query.page > 1:  # past the last page: count on its own
        total = _count(session, conditions)
    else:
        total = 0
    return SearchPage(
        customers=_load(session, [row[0] for row in rows]), total=total, page=query.page
    )


def _search_near_words(
    session: Session, *, team_id: int, terms: list[str], query: SearchQuery
) -> SearchPage:
    """Words alone and "near me": the page from widening boxes around the point, as without words —
    each box's few customers (the team's locations index) asked about one by one — and the total as
    the index's answer counted, less the matches without a location. A word in most records made
    sorting every match by distance cost twice what finding them does; a box of a few hundred
    customers is asked in a millisecond.

    PostgreSQL counts the answer itself (one document per customer, see `_search_words`) and asks
    about each box's customers by key. SQLite's answer holds every team's documents and would be found
    again for each box: it is kept as a MATERIALIZED CTE in each box's question, which also carries
    the counts (asked once, in the first box)."""
    assert query.lat is not None and query.lon is not None
    dialect = session.get_bind().dialect.name
    answer = matching_customer_ids(team_id, terms, dialect)
    in_team = Customer.team_id == team_id
    lat, lon = col(Customer.lat), col(Customer.lon)
    unlocated = lat.is_(None) | lon.is_(None)
    if dialect == "sqlite":
        matched = answer.cte("matched_text").prefix_with("MATERIALIZED")
        matched_ids = select(*matched.c)
        # `id + 0` (see _search_words): the box walks the team's locations index, and so do both
        # counts, in one pass (id, lat and lon are all in that index) joined to the first box's
        # question — by key, every match's whole row would be read.
        in_box_answer = (col(Customer.id) + 0).in_(matched_ids)
        counted = (
            select(
                func.count().label("matches"),
                func.coalesce(func.sum(sa.case((unlocated, 1), else_=0)), 0).label("without"),
            )
            .where(in_team, in_box_answer)
            .subquery("match_counts")
        )
        count_columns = [counted.c.matches, counted.c.without]
    else:
        in_box_answer = col(Customer.id).in_(answer)

        def matches_where(where: sa.ColumnElement) -> sa.ScalarSelect:
            return (
                select(func.count())
                .select_from(Customer)
                .where(in_team, col(Customer.id).in_(answer), where)
                .scalar_subquery()
            )

        count_columns = [
            select(func.count()).select_from(answer.subquery()).scalar_subquery(),
            # two index ranges, not one OR that would read the team's whole index
            matches_where(lat.is_(None)) + matches_where(lat.is_not(None) & lon.is_(None)),
        ]
    counts: tuple[int, int] | None = None
    point = (query.lat, query.lon)
    wanted = query.page * PAGE_SIZE
    found: list[tuple[float, int]] = []
    for radius in NEAR_RADII_KM:
        box = lat.is_not(None) & lon.is_not(None)
        if radius is not None:
            box = box & _box(query.lat, query.lon, radius)
        stmt = select(Customer.id, Customer.lat, Customer.lon).where(in_team, in_box_answer, box)
        if counts is None and dialect == "sqlite":
            stmt = stmt.add_columns(*count_columns).join(counted, sa.true())
        rows = session.execute(stmt).all()
        if counts is None and dialect == "sqlite" and rows:
            counts = (rows[0][3], rows[0][4])
        found = _placed(rows, point, radius)
        if len(found) >= wanted:
            break
    if counts is None:
        counts = tuple(session.execute(select(*count_columns)).one())
    matches, without_location = counts
    page_rows = found[(query.page - 1) * PAGE_SIZE : query.page * PAGE_SIZE]
    return SearchPage(
        customers=_load(session, [customer_id for _, customer_id in page_rows]),
        total=matches - without_location,
        page=query.page,
        distances={customer_id: distance for distance, customer_id in page_rows},
        without_location=without_location,
    )


def _search_near_matches(session: Session, *, conditions: list, query: SearchQuery) -> SearchPage:
    """Words and "near me": one question to the index, nearest first, the whole order made by the
    database (thousands of matches are sorted there and only the page comes back)."""
    assert query.lat is not None and query.lon is not None
    if query.km is not None:
        return _search_near_matches_within(session, conditions=conditions, query=query)
    point = (query.lat, query.lon)
    located = col(Customer.lat).is_not(None) & col(Customer.lon).is_not(None)
    # Ordered by a flat-earth distance (the same order at these scales; exactly the same arithmetic as
    # in Python, so the same ties), great-circle distances computed only for the page. The customers
    # without a location sort after the others and are counted, not shown.
    cos_lat = math.cos(math.radians(query.lat))
    # Grouped as Python groups them: ((lon - lon0) * cos) * ((lon - lon0) * cos), not left to right.
    d_lat = sa.sql.expression.Grouping(col(Customer.lat) - query.lat)
    d_lon = sa.sql.expression.Grouping((col(Customer.lon) - query.lon) * cos_lat)
    flat = d_lat.op("*")(d_lat) + d_lon.op("*")(d_lon)
    unlocated = sa.case((located, 0), else_=1)
    stmt = (
        select(
            Customer.id,
            Customer.lat,
            Customer.lon,
            func.count().over(),
            func.sum(unlocated).over(),
        )
        .where(*conditions)
        .order_by(unlocated, flat, Customer.id)
        .offset((query.page - 1) * PAGE_SIZE)
        .limit(PAGE_SIZE)
    )
    rows = session.execute(stmt).all()
    if rows:
        matches, without = rows[0][3], int(rows[0][4] or 0)
    else:  # past the last page: count on its own
        matches, without = session.execute(
            select(func.count(), func.coalesce(func.sum(unlocated), 0)).where(*conditions)
        ).one()
    page_rows = sorted(
        (haversine_km(point, (lat, lon)), customer_id)
        for customer_id, lat, lon, _n, _w in rows
        if lat is not None and lon is not None
    )
    return SearchPage(
        customers=_load(session, [customer_id for _, customer_id in page_rows]),
        total=matches - without,
        page=query.page,
        distances={customer_id: distance for distance, customer_id in page_rows},
        radius_km=query.km,
        without_location=without,
    )


def _search_near_matches_within(
    session: Session, *, conditions: list, query: SearchQuery
) -> SearchPage:
    """Words and "near me" within a strict radius: the located matches inside the radius's bounding box
    (and the count of those without a location), placed in Python, nearest first."""
    assert query.lat is not None and query.lon is not None and query.km is not None
    point = (query.lat, query.lon)
    box = _box(query.lat, query.lon, query.km)
    unlocated = col(Customer.lat).is_(None) | col(Customer.lon).is_(None)
    # Ordered first by a flat-earth distance (cheap; the same order at these scales), great-circle
    # distances computed only for the page and for the radius's edge.
    cos_lat = math.cos(math.radians(query.lat))
    flat: list[tuple[float, int, float, float]] = []
    without = 0
    rows = session.execute(
        select(Customer.id, Customer.lat, Customer.lon).where(*conditions, box | unlocated)
    )
    for customer_id, lat, lon in rows:
        if lat is None or lon is None:
            without += 1
            continue
        d_lat, d_lon = lat - query.lat, (lon - query.lon) * cos_lat
        flat.append((d_lat * d_lat + d_lon * d_lon, customer_id, lat, lon))
    flat.sort()
    # Exact distances near the edge decide; the flat bound is loosened by 2 % to keep them all.
    bound = (math.degrees(query.km / EARTH_RADIUS_KM) * 1.02) ** 2
    flat = [row for row in flat if row[0] <= bound]
    flat = [row for row in flat if haversine_km(point, (row[2], row[3])) <= query.km]
    page_slice = flat[(query.page - 1) * PAGE_SIZE : query.page * PAGE_SIZE]
    page_rows = sorted((haversine_km(point, (lat, lon)), cid) for _f, cid, lat, lon in page_slice)
    return SearchPage(
        customers=_load(session, [customer_id for _, customer_id in page_rows]),
        total=len(flat),
        page=query.page,
        distances={customer_id: distance for distance, customer_id in page_rows},
        radius_km=query.km,
        without_location=without,
    )


def matching_ids(
    session: Session, *, team_id: int, user_id: int, query: SearchQuery, today: date | None
) -> list[int]:
    """Every matching customer's id (no paging, no distance order): the "whole filtered set"."""
    dialect = session.get_bind().dialect.name
    conditions = _conditions(
        team_id=team_id, user_id=user_id, query=query, today=today, dialect=dialect
    )
    return list(session.exec(select(Customer.id).where(*conditions).order_by(Customer.id)))


# --- snippets ------------------------------------------------------------------------------------

SNIPPET_BEFORE, SNIPPET_AFTER = 20, 40
# The models a snippet can come from, by source table.
SNIPPET_MODELS: dict[str, type] = {"visit": Visit, "followup": FollowUp, "contact": Contact}


@dataclass(frozen=True)
class Snippet:
    """A few words around a match, in the text as it was written: before, the match, after."""

    source: str  # visit / followup / contact
    source_id: int
    before: str
    match: str
    after: str


def _normalised_map(text: str) -> tuple[str, list[int]]:
    """The text in search form, and for each of its characters the index of the original character."""
    out: list[str] = []
    index: list[int] = []
    for i, char in enumerate(text):
        folded = normalise_search(char)
        out.append(folded)
        index.extend([i] * len(folded))
    return "".join(out), index


def snippet_of(source: str, source_id: int, texts: list[str], terms: list[str]) -> Snippet | None:
    """The first field that holds a term, cut around it; None when no field holds one literally
    (a phone typed without hyphens, say)."""
    for text in texts:
        folded, index = _normalised_map(text)
        for term in terms:
            at = folded.find(term)
            if at < 0 or not index:
                continue
            start, end = index[at], index[min(at + len(term), len(index)) - 1] + 1
            lead = max(0, start - SNIPPET_BEFORE)
            tail = min(len(text), end + SNIPPET_AFTER)
            return Snippet(
                source=source,
                source_id=source_id,
                before=("…" if lead else "") + text[lead:start],
                match=text[start:end],
                after=text[end:tail] + ("…" if tail < len(text) else ""),
            )
    return None


def snippets(
    session: Session, *, customers: list[Customer], terms: list[str], dialect: str
) -> dict[int, Snippet]:
    """For customers whose own record does not hold every word: the note, follow-up or contact holding
    the most words (the newest first among equals), cut around a word."""
    wanted = [
        c.id for c in customers if not all(t in (c.search_text or "") for t in terms) and c.id
    ]
    if not wanted:
        return {}
    best: dict[int, tuple[int, int, int, Snippet]] = {}
    for order, (source, model) in enumerate(SNIPPET_MODELS.items()):
        fields = TEXT_FIELDS[model]
        any_term = sa.or_(*(_contains(col(model.search_text), t, dialect) for t in terms))
        # Only these customers' rows (their customer_id index), however many: no ORDER BY that would
        # tempt the database into walking the whole table in id order. Plain columns, not objects:
        # only the text is needed, and building ORM objects costs more than the query.
        stmt = select(
            model.id, model.customer_id, model.search_text, *(getattr(model, f) for f in fields)
        ).where(col(model.customer_id).in_(wanted), any_term)
        for row_id, customer_id, search_text, *values in session.execute(stmt):
            found = sum(t in (search_text or "") for t in terms)
            # More words first, then visits (notes) before follow-ups and contacts, newest first.
            rank = (found, -order, row_id)
            current = best.get(customer_id)
            if current is not None and rank <= current[:3]:
                continue
            cut = snippet_of(source, row_id, [str(v) for v in values if v], terms)
            if cut is not None:
                best[customer_id] = (*rank, cut)
    return {customer_id: entry[3] for customer_id, entry in best.items()}


def _within(
    session: Session, *, conditions: list, lat: float, lon: float, km: float | None
) -> list[tuple[float, int]]:
    """(distance, id) of located matches within `km` (None = anywhere), nearest first."""
    stmt = select(Customer.id, Customer.lat, Customer.lon).where(
        *conditions, col(Customer.lat).is_not(None), col(Customer.lon).is_not(None)
    )
    if km is not None:
        stmt = stmt.where(_box(lat, lon, km))
    return _placed(session.exec(stmt), (lat, lon), km)


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


# --- the team map --------------------------------------------------------------------------------

MAP_LIMIT = 20_000


def map_points(
    session: Session, *, team_id: int, user_id: int, query: SearchQuery, today: date
) -> list[dict[str, object]]:
    """The matching customers that have a location, as plain points for the map (no paging)."""
    dialect = session.get_bind().dialect.name
    conditions = _conditions(
        team_id=team_id, user_id=user_id, query=query, today=today, dialect=dialect
    )
    stmt = (
        select(
            Customer.id,
            Customer.name,
            Customer.lat,
            Customer.lon,
            Customer.assigned_rep_id,
            Customer.next_due_on,
            Customer.status,
        )
        .where(*conditions, col(Customer.lat).is_not(None), col(Customer.lon).is_not(None))
        .order_by(Customer.id)
        .limit(MAP_LIMIT)
    )
    return [
        {
            "id": customer_id,
            "name": name,
            "lat": round(lat, 6),
            "lon": round(lon, 6),
            "rep": rep_id,
            "overdue": bool(due is not None and due < today and status != CustomerStatus.LOST),
            "never": due is None,
        }
        for customer_id, name, lat, lon, rep_id, due, status in session.exec(stmt)
    ]
