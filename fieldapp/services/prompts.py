"""Feeds the prompt engine (fieldapp/insights) from the database and turns its prompts into words.

Reads are SQL aggregates returning plain tuples (one row per customer, product and order day; per-segment
buyer and pair counts), never ORM rows, so the candidates of a day stay fast. Titles and evidence are
rendered at read time from each prompt's code and facts, in the rep's language.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from time import monotonic

from flask_babel import get_locale
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import Engine, and_, event, func
from sqlalchemy.orm import aliased
from sqlalchemy.sql.dml import UpdateBase
from sqlmodel import Session, col, select, update

from ..insights.cross_sell import BasketStats
from ..insights.engine import (
    BASKET_DAYS,
    CustomerData,
    TeamData,
    adoption_rates,
    customer_prompts,
)
from ..insights.model import (
    Catalog,
    ContactInfo,
    Feedback,
    Kind,
    Note,
    Order,
    ProductInfo,
    Prompt,
    Response,
)
from ..insights.risk import BASELINE_DAYS as RISK_BASELINE_DAYS
from ..insights.risk import RECENT_DAYS as RISK_RECENT_DAYS
from ..insights.risk import OrderPace
from ..models import (
    Contact,
    Customer,
    FollowUp,
    FollowUpState,
    OrderLine,
    Product,
    PromptFeedback,
    User,
    Visit,
    VisitStatus,
    new_insights_token,
)

# Two years of history is enough to know a customer's rhythm.
HISTORY_DAYS = 730
# A day's candidates need reorders and risk only: the rhythm reads the latest gaps (reorder.RECENT_GAPS)
# and risk the last year, so a little over a year of orders is enough there.
FAST_HISTORY_DAYS = 400
# The order pace (risk) is counted from the same rows: its windows must lie inside them.
assert FAST_HISTORY_DAYS >= RISK_RECENT_DAYS + RISK_BASELINE_DAYS
NOTES_DAYS = 90
FEEDBACK_DAYS = 180
CHUNK = 500  # databases cap the number of bound parameters

KIND_LABELS = {
    Kind.REORDER: _l("Reorder"),
    Kind.CROSS_SELL: _l("Cross-sell"),
    Kind.UPSELL: _l("Upsell"),
    Kind.NEEDS: _l("Need heard"),
    Kind.RISK: _l("At risk"),
    Kind.RELATIONSHIP: _l("Relationship"),
}
RESPONSE_LABELS = {
    Response.PROPOSED: _l("Proposed"),
    Response.ORDERED: _l("Ordered"),
    Response.DECLINED: _l("Declined"),
    Response.NOT_NOW: _l("Not now"),
}


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for start in range(0, len(ids), CHUNK):
        yield ids[start : start + CHUNK]


# --- loading ---------------------------------------------------------------------------------------


def season_months(text: str | None) -> tuple[int, ...]:
    """ "11,12,1" → (11, 12, 1); anything unreadable counts as all year."""
    months = []
    for part in (text or "").replace("、", ",").split(","):
        part = part.strip()
        if part.isdigit() and 1 <= int(part) <= 12:
            months.append(int(part))
    return tuple(months)


def load_catalog(session: Session) -> Catalog:
    """Every product (inactive ones too: a customer's history names them) as plain data."""
    rows = session.exec(
        select(
            Product.id, Product.name, Product.category, Product.unit_price, Product.pack_of,
            Product.reorder_cycle_days, Product.replaces_id, Product.season_months, Product.tags,
            Product.active, Product.name_en, Product.kana,
        )
    ).all()  # fmt: skip
    return Catalog.of(
        ProductInfo(
            id=r[0], name=r[1], category=r[2], unit_price=r[3], pack_of=r[4],
            reorder_cycle_days=r[5], replaces_id=r[6], season_months=season_months(r[7]),
            tags=tuple(t.strip() for t in (r[8] or "").replace("、", ",").split(",") if t.strip()),
            active=bool(r[9]), name_en=r[10], kana=r[11],
        )
        for r in rows
    )  # fmt: skip


# Team statistics change only when orders do: kept per process, keyed by what would change them.
_TEAM_CACHE: dict[tuple, TeamData] = {}
_TEAM_CACHE_SIZE = 32


def team_data(session: Session, *, team_id: int, today: date, catalog: Catalog) -> TeamData:
    """The team's basket statistics, cached until the team's orders or the day change."""
    return _team_entry(session, team_id=team_id, today=today, catalog=catalog)[1]


def _team_entry(
    session: Session, *, team_id: int, today: date, catalog: Catalog
) -> tuple[tuple, TeamData]:
    """The team's statistics and the key they are cached under (what would change them)."""
    where = (str(session.get_bind().url), team_id, today)
    checked = _TEAM_CHECKED.get(where)
    if checked is not None and monotonic() - checked[0] < TEAM_RECHECK_SECONDS:
        fingerprint = checked[1]
    else:
        fingerprint = tuple(
            _rows(
                session,
                select(
                    func.count(),
                    func.min(OrderLine.id),
                    func.max(OrderLine.id),
                    func.sum(OrderLine.quantity),
                )
                .select_from(OrderLine)
                .join(Customer, col(Customer.id) == OrderLine.customer_id)
                .where(Customer.team_id == team_id),
            )[0]
        )
        _TEAM_CHECKED[where] = (monotonic(), fingerprint)
    key = (*where, fingerprint, tuple(catalog.products),
           tuple(sorted(catalog.successor_of.items())))  # fmt: skip
    found = _TEAM_CACHE.get(key)
    if found is None:
        if len(_TEAM_CACHE) >= _TEAM_CACHE_SIZE:
            _TEAM_CACHE.clear()
        found = _TEAM_CACHE[key] = _count_team(
            session, team_id=team_id, today=today, catalog=catalog
        )
    # the catalogue (active flags, names) is read fresh every time
    return key, TeamData(catalog=catalog, baskets=found.baskets, adoption=found.adoption)


# The fingerprint above counts every order line of the team (about 5 ms of database work for 20,000
# lines, on every page with prompts): it is checked again after this many seconds. An order written
# in this process forgets the check at once (below); another worker's order counts within this time —
# the statistics are over a year of the team's orders, which one order barely moves.
TEAM_RECHECK_SECONDS = 30.0
_TEAM_CHECKED: dict[tuple, tuple[float, tuple]] = {}


@event.listens_for(Engine, "after_execute")
def _forget_team_checks(_conn, statement, *_args) -> None:
    """Any insert, update or delete of order lines in this process (a visit's orders, an import, the
    demo's bulk rows) makes the next page count them again."""
    if isinstance(statement, UpdateBase) and getattr(statement.table, "name", None) == "orderline":
        _TEAM_CHECKED.clear()


def _count_team(session: Session, *, team_id: int, today: date, catalog: Catalog) -> TeamData:
    """The team's basket statistics per segment, counted in SQL over the last year's orders."""
    start = today - timedelta(days=BASKET_DAYS)
    pairs_of = (
        select(OrderLine.customer_id, OrderLine.product_id, Customer.segment)
        .join(Customer, col(Customer.id) == OrderLine.customer_id)
        .where(Customer.team_id == team_id, OrderLine.ordered_on >= start, OrderLine.ordered_on < today)
        .distinct()
        .subquery()
    )  # fmt: skip
    other = aliased(pairs_of)
    stats = BasketStats()
    for segment, customers in session.exec(
        select(pairs_of.c.segment, func.count(func.distinct(pairs_of.c.customer_id))).group_by(
            pairs_of.c.segment
        )
    ).all():
        stats.customers[segment] = customers
    for segment, product_id, buyers in session.exec(
        select(pairs_of.c.segment, pairs_of.c.product_id, func.count()).group_by(
            pairs_of.c.segment, pairs_of.c.product_id
        )
    ).all():
        stats.buyers[segment][product_id] = buyers
    pair_rows = session.exec(
        select(pairs_of.c.segment, pairs_of.c.product_id, other.c.product_id, func.count())
        .join(
            other,
            and_(
                other.c.customer_id == pairs_of.c.customer_id,
                other.c.product_id != pairs_of.c.product_id,
            ),
        )
        .group_by(pairs_of.c.segment, pairs_of.c.product_id, other.c.product_id)
    ).all()
    for segment, a, b, together in pair_rows:
        stats.pairs[segment][(a, b)] = together
    stats.usual_quantity = {
        product_id: max(1, round(avg or 1))
        for product_id, avg in session.exec(
            select(OrderLine.product_id, func.avg(OrderLine.quantity))
            .join(Customer, col(Customer.id) == OrderLine.customer_id)
            .where(Customer.team_id == team_id, OrderLine.ordered_on >= start)
            .group_by(OrderLine.product_id)
        ).all()
    }
    involved = set(catalog.successor_of) | set(catalog.successor_of.values())
    buyers: dict[int, set[int]] = defaultdict(set)
    if involved:
        for product_id, customer_id in session.exec(
            select(OrderLine.product_id, OrderLine.customer_id)
            .join(Customer, col(Customer.id) == OrderLine.customer_id)
            .where(
                Customer.team_id == team_id,
                col(OrderLine.product_id).in_(involved),
                OrderLine.ordered_on >= today - timedelta(days=HISTORY_DAYS),
            )
            .distinct()
        ).all():
            buyers[product_id].add(customer_id)
    return TeamData(catalog=catalog, baskets=stats, adoption=adoption_rates(buyers, catalog))


def _rows(session: Session, stmt) -> list:
    """Plain tuples through Core: no ORM row processing for thousands of small rows."""
    return session.connection().execute(stmt).all()


def _order_days(chunk: list[int], *, today: date, latest_only: bool):
    """One row per customer, product and order day (quantity and yen summed), read from the covering
    index ix_orderline_customer_product_day; `latest_only` reads the last FAST_HISTORY_DAYS only."""
    since = today - timedelta(days=FAST_HISTORY_DAYS if latest_only else HISTORY_DAYS)
    return (
        select(
            OrderLine.customer_id,
            OrderLine.product_id,
            OrderLine.ordered_on,
            func.sum(OrderLine.quantity),
            func.max(OrderLine.unit_price),
            func.sum(OrderLine.quantity * OrderLine.unit_price),
        )
        .where(
            col(OrderLine.customer_id).in_(chunk),
            OrderLine.ordered_on >= since,
            OrderLine.ordered_on < today + timedelta(days=1),
        )
        .group_by(OrderLine.customer_id, OrderLine.product_id, OrderLine.ordered_on)
    )


class _PaceCounter:
    """A customer's order days and yen in the risk windows (risk.OrderPace), counted from the order-day
    rows already read for the reorders: one question to the database instead of two over the same
    order lines."""

    def __init__(self, today: date) -> None:
        self.today = today
        self.start = today - timedelta(days=RISK_RECENT_DAYS)
        self.base_start = self.start - timedelta(days=RISK_BASELINE_DAYS)
        self.days: dict[int, tuple[set[date], set[date]]] = defaultdict(lambda: (set(), set()))
        self.yen: dict[int, list[int]] = defaultdict(lambda: [0, 0])

    def add(self, customer_id: int, day: date, yen: int) -> None:
        if self.start <= day < self.today:
            self.days[customer_id][0].add(day)
            self.yen[customer_id][0] += yen
        elif self.base_start <= day < self.start:
            self.days[customer_id][1].add(day)
            self.yen[customer_id][1] += yen

    def pace(self, customer_id: int) -> OrderPace:
        recent, base = self.days.get(customer_id, (set(), set()))
        recent_yen, base_yen = self.yen.get(customer_id, (0, 0))
        return OrderPace(len(recent), recent_yen, len(base), base_yen)


def customer_data(
    session: Session, *, customer_ids: list[int], today: date, kinds: Iterable[str] = Kind.ALL
) -> dict[int, CustomerData]:
    """Each customer's order days (summed per product and day), notes, contacts, complaints, answers."""
    wanted = set(kinds)
    # Reorders and risk need only the last year and the order pace (counted in SQL); the other kinds
    # read the whole history of the few customers on a page.
    latest_only = not wanted & {Kind.CROSS_SELL, Kind.UPSELL, Kind.NEEDS}
    out: dict[int, CustomerData] = {}
    for chunk in _chunks(list(customer_ids)):
        for cid, segment in session.exec(
            select(Customer.id, Customer.segment).where(col(Customer.id).in_(chunk))
        ).all():
            out[cid] = CustomerData(customer_id=cid, segment=segment)
        # Only the latest orders are read: the risk's pace cannot be counted from what is loaded
        # (a day's lines are summed), so it is counted here, exactly, from the same rows.
        pace = _PaceCounter(today) if latest_only and Kind.RISK in wanted else None
        for cid, product_id, day, quantity, price, yen in _rows(
            session, _order_days(chunk, today=today, latest_only=latest_only)
        ):
            out[cid].orders.append(Order(cid, product_id, day, int(quantity), int(price or 0)))
            if pace is not None:
                pace.add(cid, day, int(yen or 0))
        if pace is not None:
            for cid in chunk:
                if cid in out:
                    out[cid].pace = pace.pace(cid)
        if wanted & {Kind.NEEDS, Kind.RISK}:
            since = datetime.combine(today - timedelta(days=NOTES_DAYS), time(0)).astimezone()
            when = func.coalesce(Visit.check_in_at, Visit.check_out_at, Visit.created_at)
            for cid, at, needs, heard, outcome, reception in session.exec(
                select(Visit.customer_id, when, Visit.needs, Visit.heard, Visit.outcome,
                       Visit.proposal_reception)
                .where(col(Visit.customer_id).in_(chunk), Visit.status == VisitStatus.DONE, when >= since)
            ).all():  # fmt: skip
                text = "\n".join(t for t in (needs, heard) if t)
                day = at.date() if isinstance(at, datetime) else today
                out[cid].notes.append(Note(day, text, outcome, reception))
            for cid, n in session.exec(
                select(FollowUp.customer_id, func.count())
                .where(
                    col(FollowUp.customer_id).in_(chunk),
                    FollowUp.state == FollowUpState.OPEN,
                    FollowUp.kind == "trouble",
                )
                .group_by(FollowUp.customer_id)
            ).all():
                out[cid].open_complaints = n
        if Kind.RELATIONSHIP in wanted:
            for cid, contact_id, name, birthday in session.exec(
                select(Contact.customer_id, Contact.id, Contact.name, Contact.birthday).where(
                    col(Contact.customer_id).in_(chunk), col(Contact.birthday).is_not(None)
                )
            ).all():
                out[cid].contacts.append(ContactInfo(contact_id, name, birthday))
            for cid, first in session.exec(
                select(OrderLine.customer_id, func.min(OrderLine.ordered_on))
                .where(col(OrderLine.customer_id).in_(chunk))
                .group_by(OrderLine.customer_id)
            ).all():
                out[cid].first_order_on = first
        for cid, kind, product_id, response, on in session.exec(
            select(PromptFeedback.customer_id, PromptFeedback.kind, PromptFeedback.product_id,
                   PromptFeedback.response, PromptFeedback.answered_on)
            .where(col(PromptFeedback.customer_id).in_(chunk),
                   PromptFeedback.answered_on >= today - timedelta(days=FEEDBACK_DAYS))
        ).all():  # fmt: skip
            out[cid].feedback.append(Feedback(kind, product_id, response, on))
    return out


def prompts_for(
    session: Session,
    *,
    customer_ids: list[int],
    today: date,
    kinds: Iterable[str] = Kind.ALL,
    k: int = 3,
    catalog: Catalog | None = None,
) -> dict[int, list[Prompt]]:
    """Every customer's prompts, best first (the caller has checked the customers' team). `catalog`:
    the caller's, read this request (it names the prompts' products from it too), else read here.

    A customer's prompts are kept (per process) under its `insights_token`, which changes whenever
    anything they are drawn from changes (below), with the day, the catalogue and the team's statistics:
    a page shown again (Today, the customer, the visit form) reads one column instead of the history.
    """
    if not customer_ids:
        return {}
    kinds = tuple(kinds)
    if catalog is None:
        catalog = load_catalog(session)
    url = str(session.get_bind().url)
    tokens: dict[int, tuple[int, str]] = {}
    for chunk in _chunks(list(dict.fromkeys(customer_ids))):
        for cid, team_id, token in session.exec(
            select(Customer.id, Customer.team_id, Customer.insights_token).where(
                col(Customer.id).in_(chunk)
            )
        ).all():
            tokens[cid] = (team_id, token)
    teams: dict[int, tuple[tuple, TeamData]] = {}
    if {Kind.CROSS_SELL, Kind.UPSELL} & set(kinds):
        for team_id in {team for team, _token in tokens.values()}:
            teams[team_id] = _team_entry(session, team_id=team_id, today=today, catalog=catalog)
    empty = ((), TeamData(catalog=catalog, baskets=BasketStats()))
    base = (url, today, kinds, k, _catalog_key(catalog))
    out: dict[int, list[Prompt]] = {}
    missing: list[int] = []
    keys = {}
    with _PROMPT_CACHE_LOCK:  # a worker's threads share the cache
        for cid, (team_id, token) in tokens.items():
            keys[cid] = (*base, cid, token, teams.get(team_id, empty)[0])
            found = _PROMPT_CACHE.get(keys[cid])
            if found is None:
                missing.append(cid)
            else:
                _PROMPT_CACHE.move_to_end(keys[cid])
                out[cid] = list(found)
    if missing:
        data = customer_data(session, customer_ids=missing, today=today, kinds=kinds)
        computed = {
            cid: customer_prompts(
                d, teams.get(tokens[cid][0], empty)[1], today=today, k=k, kinds=kinds
            )
            for cid, d in data.items()
        }
        out.update(computed)
        with _PROMPT_CACHE_LOCK:
            for cid, prompts in computed.items():
                _PROMPT_CACHE[keys[cid]] = tuple(prompts)
            while len(_PROMPT_CACHE) > PROMPT_CACHE_SIZE:
                _PROMPT_CACHE.popitem(last=False)
    return {cid: out[cid] for cid in tokens if cid in out}


# Customers' prompts by what they were drawn from (the least recently used go first).
PROMPT_CACHE_SIZE = 20_000
_PROMPT_CACHE: OrderedDict[tuple, tuple[Prompt, ...]] = OrderedDict()
_PROMPT_CACHE_LOCK = threading.Lock()


def _catalog_key(catalog: Catalog) -> _Interned:
    """The catalogue as part of a cache key, hashed once: a tuple re-hashes its dozens of products on
    every lookup, which was a tenth of a cold candidate selection."""
    value = (tuple(catalog.products.values()), tuple(sorted(catalog.successor_of.items())))
    if len(_CATALOG_KEYS) > 16:
        _CATALOG_KEYS.clear()
    return _CATALOG_KEYS.setdefault(value, _Interned(value))


class _Interned:
    """A value with its hash worked out once; equal values share one instance (`_CATALOG_KEYS`)."""

    __slots__ = ("value", "_hash")

    def __init__(self, value: tuple) -> None:
        self.value = value
        self._hash = hash(value)

    def __hash__(self) -> int:
        return self._hash

    def __eq__(self, other: object) -> bool:
        return self is other or (isinstance(other, _Interned) and self.value == other.value)


_CATALOG_KEYS: dict[tuple, _Interned] = {}


# What the prompts of a customer are drawn from: its orders, visit notes, follow-ups (complaints),
# contacts (birthdays), answers to prompts, and the customer itself (segment). Writing any of them
# through the ORM gives the customer a new token in the same transaction, so every worker process
# sees the change with the commit. (Rows written without the ORM — the demo's bulk load — belong to
# customers created with them, whose tokens are new.)
_DRAWN_FROM = (OrderLine, Visit, FollowUp, Contact, PromptFeedback)


@event.listens_for(Session, "after_flush")
def _new_insights_tokens(session: Session, _context) -> None:
    changed = {
        row.customer_id
        for row in (*session.new, *session.dirty, *session.deleted)
        if isinstance(row, _DRAWN_FROM) and row.customer_id is not None
    }
    changed |= {row.id for row in session.dirty if isinstance(row, Customer) and row.id is not None}
    changed -= {row.id for row in session.deleted if isinstance(row, Customer)}
    if changed:
        session.connection().execute(
            update(Customer)
            .where(col(Customer.id).in_(sorted(changed)))
            .values(insights_token=new_insights_token())
        )


# --- words -----------------------------------------------------------------------------------------


@dataclass
class PromptView:
    """One prompt as a card or the visit form shows it."""

    prompt: Prompt
    kind_label: str
    title: str
    evidence: str
    value_yen: int
    confidence_pct: int
    key: str  # kind:code:product, posted back with the rep's answer


def response_choices() -> list[tuple[str, str]]:
    """The answers a rep can give a prompt, in the UI language."""
    return [(value, str(RESPONSE_LABELS[value])) for value in Response.ALL]


def product_names(
    session: Session, ids: Iterable[int], *, catalog: Catalog | None = None
) -> dict[int, str]:
    """Products' names in the UI language; from `catalog` when the caller has it (no question asked)."""
    english = (loc := get_locale()) is not None and loc.language == "en"
    ids = sorted(set(ids))
    if not ids:
        return {}
    if catalog is not None:
        known = (catalog.products.get(pid) for pid in ids)
        rows = [(p.id, p.name, p.name_en) for p in known if p is not None]
    else:
        rows = session.exec(
            select(Product.id, Product.name, Product.name_en).where(col(Product.id).in_(ids))
        ).all()
    return {pid: (en if english and en else name) for pid, name, en in rows}


def prompt_key(prompt: Prompt) -> str:
    return f"{prompt.kind}:{prompt.code}:{prompt.product_id or 0}"


def _risk_reason(reason: dict) -> str:
    code = reason.get("code")
    if code == "fewer_orders":
        return _(
            "%(now)d orders in 90 days (usually %(usual)d)",
            now=reason["now"],
            usual=reason["usual"],
        )
    if code == "less_spend":
        return _("spending down %(pct)d%% on its usual", pct=reason["pct"])
    if code == "negative_visits":
        return _("%(n)d negative visits in 90 days", n=reason["n"])
    if code == "open_complaints":
        return _("%(n)d open complaints", n=reason["n"])
    return str(code)


def _days_text(days: int) -> str:
    if days == 0:
        return _("today")
    if days == 1:
        return _("tomorrow")
    return _("in %(n)d days", n=days)


def prompt_words(prompt: Prompt, names: dict[int, str]) -> tuple[str, str]:
    """(title, evidence) in the UI language, from the prompt's code and facts."""
    f = prompt.facts
    product = names.get(f.get("product", 0), "")
    if prompt.code == "reorder_due":
        return (
            _("Reorder %(product)s", product=product),
            _(
                "Usually every %(cycle)d days, %(since)d days since the last order (%(orders)d orders; usually %(qty)d)",
                cycle=f["cycle"], since=f["since"], orders=f["orders"], qty=f["qty"],
            ),
        )  # fmt: skip
    if prompt.code == "cross_sell":
        return (
            _("Suggest %(product)s", product=product),
            _(
                "%(pct)d%% of customers in the same line of business who buy %(other)s also buy it (%(lift).1f× the usual rate, %(n)d customers)",
                pct=f["pct"], other=names.get(f["because"], ""), lift=f["lift"], n=f["customers"],
            ),
        )  # fmt: skip
    if prompt.code == "upsell_successor":
        return (
            _("Move to %(product)s", product=product),
            _(
                "Successor of %(old)s, which they buy; %(pct)d%% of its buyers have moved",
                old=names.get(f["old"], ""), pct=f["pct"],
            ),
        )  # fmt: skip
    if prompt.code == "upsell_pack":
        return (
            _("Offer %(product)s by the case (%(pack)d)", product=product, pack=f["pack"]),
            _(
                "%(times)d of the last %(of)d orders nearly filled a case of %(pack)d",
                times=f["times"], of=f["of"], pack=f["pack"],
            ),
        )  # fmt: skip
    if prompt.code == "upsell_growth":
        return (
            _("Offer more %(product)s (%(target)d instead of %(qty)d)", product=product,
              target=f["target"], qty=f["qty"]),
            _("Volume up %(pct)d%%: %(now)d in the last 90 days against %(then)d before",
              pct=f["pct"], now=f["now"], then=f["then"]),
        )  # fmt: skip
    if prompt.code == "needs_heard":
        on = date.fromisoformat(f["on"])
        return (
            _("Need heard: %(product)s", product=product),
            _("Visit note of %(month)d/%(day)d mentions “%(word)s”: %(note)s",
              month=on.month, day=on.day, word=f["word"], note=f["note"]),
        )  # fmt: skip
    if prompt.code == "at_risk":
        return (
            _("At risk"),
            _(" · ").join(_risk_reason(r) for r in f.get("reasons", [])),
        )
    if prompt.code == "birthday":
        return (
            _("Birthday of %(name)s %(when)s", name=f["name"], when=_days_text(f["days"])),
            _("A word of congratulation keeps the relationship warm"),
        )
    if prompt.code == "anniversary":
        return (
            _(
                "%(years)d years as a customer %(when)s",
                years=f["years"],
                when=_days_text(f["days"]),
            ),
            _("First order on %(since)s", since=f["since"]),
        )
    return prompt.code, ""


def prompt_views(
    session: Session, prompts: list[Prompt], *, catalog: Catalog | None = None
) -> list[PromptView]:
    ids: set[int] = set()
    for p in prompts:
        ids.update(v for k, v in p.facts.items() if k in ("product", "because", "old"))
    names = product_names(session, ids, catalog=catalog)
    views = []
    for p in prompts:
        title, evidence = prompt_words(p, names)
        views.append(
            PromptView(p, str(KIND_LABELS.get(p.kind, p.kind)), title, evidence, p.value_yen,
                       round(100 * p.confidence), prompt_key(p))
        )  # fmt: skip
    return views


def views_for(
    session: Session, *, customer_ids: list[int], today: date, limit: int | None = None
) -> dict[int, list[PromptView]]:
    """Prompt views per customer (the first `limit` of each); the products named from the catalogue
    the prompts were drawn with."""
    catalog = load_catalog(session)
    found = prompts_for(session, customer_ids=customer_ids, today=today, catalog=catalog)
    flat = [p for ps in found.values() for p in (ps[:limit] if limit else ps)]
    views = prompt_views(session, flat, catalog=catalog)
    out: dict[int, list[PromptView]] = defaultdict(list)
    for view in views:
        out[view.prompt.customer_id].append(view)
    return out


# --- answers ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class PromptAnswer:
    """The rep's answer to one prompt, as the visit form and the offline outbox post it."""

    kind: str
    code: str
    product_id: int | None
    response: str
    value_yen: int = 0

    @classmethod
    def parse(cls, key: str, response: str, value: str | None = None) -> PromptAnswer | None:
        """From "kind:code:product" and a response; None when there is no answer or it is unreadable."""
        response = (response or "").strip()
        if not response:
            return None
        parts = (key or "").split(":")
        if len(parts) != 3 or parts[0] not in Kind.ALL or response not in Response.ALL:
            return None
        if not parts[1].replace("_", "").isalnum() or len(parts[1]) > 32:
            return None
        if not parts[2].isdigit():
            return None
        yen = int(value) if value and value.strip().isdigit() else 0
        product = int(parts[2]) or None
        return cls(parts[0], parts[1], product, response, min(yen, 10**9))


def save_answers(
    session: Session, *, visit: Visit, answers: Iterable[PromptAnswer], day: date
) -> list[PromptFeedback]:
    """One row per prompt answered at this visit (a later answer to the same prompt replaces it)."""
    rows: dict[tuple[str, str, int | None], PromptAnswer] = {}
    for answer in answers:
        rows[(answer.kind, answer.code, answer.product_id)] = answer
    if not rows:
        return []
    existing = {
        (r.kind, r.code, r.product_id): r
        for r in session.exec(select(PromptFeedback).where(PromptFeedback.visit_id == visit.id))
    }
    saved = []
    valid_products = set(
        session.exec(
            select(Product.id).where(
                col(Product.id).in_([a.product_id for a in rows.values() if a.product_id])
            )
        ).all()
    )
    for answer in rows.values():
        product_id = answer.product_id if answer.product_id in valid_products else None
        row = existing.get((answer.kind, answer.code, product_id))
        if row is None:
            row = PromptFeedback(
                visit_id=visit.id, customer_id=visit.customer_id, rep_id=visit.rep_id,
                kind=answer.kind, code=answer.code, product_id=product_id,
                response=answer.response, value_yen=answer.value_yen, answered_on=day,
            )  # fmt: skip
            session.add(row)
        else:
            row.response = answer.response
        saved.append(row)
    visit.prompts_acted = ",".join(f"{a.kind}:{a.response}" for a in rows.values())[:300]
    session.flush()
    return saved


@dataclass
class AcceptanceRow:
    label: str
    answered: int
    ordered: int
    proposed: int
    declined: int
    not_now: int

    @property
    def accepted_pct(self) -> int:
        return round(100 * self.ordered / self.answered) if self.answered else 0


@dataclass
class Acceptance:
    by_kind: list[AcceptanceRow]
    by_rep: list[AcceptanceRow]
    since: date


def acceptance(session: Session, *, team_id: int, today: date, days: int = 90) -> Acceptance:
    """How the team's reps answered prompts in the last `days`: per kind and per rep, in one query each."""
    since = today - timedelta(days=days)

    def counts(group):
        stmt = (
            select(group, PromptFeedback.response, func.count())
            .join(User, col(User.id) == PromptFeedback.rep_id)
            .where(
                User.team_id == team_id,
                PromptFeedback.answered_on >= since,
                PromptFeedback.answered_on <= today,  # a past period stops at its own end
            )
            .group_by(group, PromptFeedback.response)
        )
        table: dict = defaultdict(lambda: defaultdict(int))
        for key, response, n in session.exec(stmt).all():
            table[key][response] += n
        return table

    def row(label: str, c: dict) -> AcceptanceRow:
        return AcceptanceRow(label, sum(c.values()), c[Response.ORDERED], c[Response.PROPOSED],
                             c[Response.DECLINED], c[Response.NOT_NOW])  # fmt: skip

    kinds = counts(PromptFeedback.kind)
    by_kind = [row(str(KIND_LABELS[k]), kinds[k]) for k in Kind.ALL if k in kinds]
    reps = counts(User.id)
    names = dict(
        session.exec(select(User.id, User.name).where(col(User.id).in_(list(reps) or [0]))).all()
    )
    by_rep = [row(names[rep], reps[rep]) for rep in sorted(reps, key=lambda r: (names[r], r))]
    return Acceptance(by_kind=by_kind, by_rep=by_rep, since=since)


def order_history(
    session: Session, *, team_id: int | None = None
) -> tuple[list[Order], dict[int, str]]:
    """The whole order history (per customer, product and day) and each customer's segment, for the backtest."""
    stmt = (
        select(
            OrderLine.customer_id, OrderLine.product_id, OrderLine.ordered_on,
            func.sum(OrderLine.quantity), func.max(OrderLine.unit_price),
        )
        .join(Customer, col(Customer.id) == OrderLine.customer_id)
        .group_by(OrderLine.customer_id, OrderLine.product_id, OrderLine.ordered_on)
    )  # fmt: skip
    customers = select(Customer.id, Customer.segment)
    if team_id is not None:
        stmt = stmt.where(Customer.team_id == team_id)
        customers = customers.where(Customer.team_id == team_id)
    orders = [Order(c, p, d, int(q), int(price or 0)) for c, p, d, q, price in session.exec(stmt)]
    return orders, dict(session.exec(customers).all())
