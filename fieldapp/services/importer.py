"""CSV import of products, customers, contacts, busy periods and orders: all or nothing, with a per-row report.

Files may be UTF-8, UTF-8 with a BOM, or Shift_JIS/CP932 (what Excel writes in Japan). Headers are accepted
in English or Japanese. Every row is checked first (reads only); only when no row has an error are the
changes written, in the caller's transaction. Re-importing the same file updates instead of duplicating.
"""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from flask_babel import gettext as _
from sqlmodel import Session, select

from ..errors import DomainError
from ..models import (
    BusyKind,
    BusyPeriod,
    Contact,
    Customer,
    LocationSource,
    OrderLine,
    Product,
    Rank,
    User,
)
from . import audit, busy, geocoding
from .contacts import clean_contact_fields
from .csv_cells import restore
from .customers import clean_customer_fields, search_text_for

# In the order a fresh install loads them: orders name products and customers.
KINDS = ("products", "customers", "contacts", "busy-periods", "orders")
MAX_ROWS = 50_000
CADENCE_BY_RANK = {Rank.A: 7, Rank.B: 14, Rank.C: 30}

# Column name → accepted header spellings (compared after NFKC, lower case, no spaces).
COLUMNS: dict[str, dict[str, tuple[str, ...]]] = {
    "products": {
        "product_code": ("product_code", "code", "商品コード", "品番"),
        "name": ("name", "product_name", "商品名", "品名"),
        "name_en": ("name_en", "english_name", "英語名", "商品名(英語)"),
        "kana": ("kana", "reading", "フリガナ", "ふりがな", "よみ", "カナ"),
        "category": ("category", "カテゴリ", "カテゴリー", "分類"),
        "unit": ("unit", "単位"),
        "unit_price": ("unit_price", "price", "単価", "価格"),
        "pack_of": ("pack_of", "pack_size", "入数", "ケース入数"),
        "reorder_days": ("reorder_days", "reorder_cycle_days", "発注周期", "発注周期(日)"),
        "tags": ("tags", "keywords", "タグ", "キーワード"),
        "replaces": ("replaces", "replaces_code", "後継元", "旧商品コード"),
        "active": ("active", "販売中", "状態"),
    },
    "customers": {
        "external_code": ("external_code", "code", "customer_code", "顧客コード", "得意先コード"),
        "name": ("name", "顧客名", "得意先名", "会社名", "店名"),
        "kana": ("kana", "reading", "フリガナ", "ふりがな", "よみ", "カナ"),
        "postal_code": ("postal_code", "zip", "郵便番号", "〒"),
        "address": ("address", "住所", "所在地"),
        "phone": ("phone", "tel", "電話番号", "電話"),
        "segment": ("segment", "業種", "業態"),
        "rank": ("rank", "ランク"),
        "cadence_days": ("cadence_days", "cadence", "訪問周期", "訪問周期(日)"),
        "visit_minutes": ("visit_minutes", "訪問時間", "訪問時間(分)"),
        "status": ("status", "状態", "ステータス"),
        "tags": ("tags", "タグ"),
        "assigned_rep_email": (
            "assigned_rep_email",
            "rep_email",
            "担当者メール",
            "担当者メールアドレス",
        ),
        "lat": ("lat", "latitude", "緯度"),
        "lon": ("lon", "lng", "longitude", "経度"),
        "notes": ("notes", "メモ", "備考"),
    },
    "contacts": {
        "customer_code": ("customer_code", "external_code", "顧客コード", "得意先コード"),
        "name": ("name", "氏名", "担当者名", "名前"),
        "kana": ("kana", "フリガナ", "ふりがな", "よみ"),
        "role": ("role", "役職", "役割"),
        "phone": ("phone", "電話番号", "電話", "携帯"),
        "email": ("email", "メール", "メールアドレス"),
        "birthday": ("birthday", "誕生日", "生年月日"),
        "hobbies": ("hobbies", "趣味"),
        "personal_notes": ("personal_notes", "notes", "メモ", "備考"),
        "is_primary": ("is_primary", "primary", "主担当"),
    },
    "busy-periods": {
        "customer_code": ("customer_code", "external_code", "顧客コード", "得意先コード"),
        "kind": ("kind", "種類"),
        "weekdays": ("weekdays", "曜日"),
        "start_date": ("start_date", "開始日"),
        "end_date": ("end_date", "終了日"),
        "start": ("start", "start_time", "開始時刻", "開始"),
        "end": ("end", "end_time", "終了時刻", "終了"),
        "label": ("label", "理由", "ラベル", "内容"),
    },
    "orders": {
        "customer_code": ("customer_code", "external_code", "顧客コード", "得意先コード"),
        "product_code": ("product_code", "商品コード"),
        "ordered_on": ("ordered_on", "date", "受注日", "注文日"),
        "quantity": ("quantity", "qty", "数量"),
        "unit_price": ("unit_price", "price", "単価"),
        "external_ref": ("external_ref", "order_ref", "伝票番号", "明細番号"),
    },
}
REQUIRED = {
    "products": ("product_code", "name"),
    "customers": ("external_code", "name"),
    "contacts": ("customer_code", "name"),
    "busy-periods": ("customer_code", "kind"),
    "orders": ("customer_code", "product_code", "ordered_on", "quantity"),
}
SEGMENT_WORDS = {
    "飲食店": "restaurant", "飲食": "restaurant", "レストラン": "restaurant",
    "クリニック": "clinic", "医院": "clinic", "病院": "clinic", "診療所": "clinic",
    "小売店": "shop", "小売": "shop", "店舗": "shop", "商店": "shop",
    "オフィス": "office", "事務所": "office", "企業": "office",
    "工場": "factory", "製造": "factory",
}  # fmt: skip
STATUS_WORDS = {"取引中": "active", "離反リスク": "at_risk", "休眠": "dormant", "失注": "lost"}
KIND_WORDS = {"毎週": "weekly", "週": "weekly", "定休": "weekly", "期間": "dates", "日付": "dates"}
WEEKDAY_WORDS = {"月": 0, "火": 1, "水": 2, "木": 3, "金": 4, "土": 5, "日": 6,
                 "mon": 0, "tue": 1, "wed": 2, "thu": 3, "fri": 4, "sat": 5, "sun": 6}  # fmt: skip
TRUE_WORDS = {"1", "true", "yes", "y", "はい", "○", "◯", "主"}
FALSE_WORDS = {"0", "false", "no", "n", "いいえ", "×", "✕", "販売終了", "終売", "廃番", "停止"}


@dataclass(frozen=True)
class RowError:
    row: int  # as Excel numbers it: the header is row 1
    message: str


@dataclass
class ImportReport:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deleted: int = 0
    errors: list[RowError] = field(default_factory=list)
    encoding: str = ""
    customer_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def writes(self) -> bool:
        """Every row passed and this was not a dry run: the import is to be committed."""
        return self.ok and not self.dry_run


class ImportFileError(DomainError):
    """The file as a whole cannot be read (encoding, no header, missing columns)."""


# --- reading the file ----------------------------------------------------------------------------


def decode(data: bytes) -> tuple[str, str]:
    """Text and the encoding found: a UTF-8 BOM, else strict UTF-8, else CP932 (Shift_JIS)."""
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    if b"\x00" in data[:4096]:
        raise ImportFileError(_("The file is not a CSV text file."))
    for encoding in ("utf-8", "cp932"):
        try:
            return data.decode(encoding), encoding
        except UnicodeDecodeError:
            continue
    raise ImportFileError(_("The file is neither UTF-8 nor Shift_JIS text."))


def _header_key(text: str) -> str:
    return re.sub(r"\s+", "", unicodedata.normalize("NFKC", text or "")).lower()


def read_rows(kind: str, data: bytes) -> tuple[list[tuple[int, dict[str, str]]], str]:
    """(Excel row number, {column: text}) for every non-blank data row, and the encoding."""
    if kind not in COLUMNS:
        raise ImportFileError(_("Unknown import type: %(kind)s", kind=kind))
    text, encoding = decode(data)
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as error:
        raise ImportFileError(
            _("The CSV file could not be read: %(error)s", error=str(error))
        ) from error
    if not records or not any(cell.strip() for cell in records[0]):
        raise ImportFileError(_("The file is empty: the first row must name the columns."))
    aliases = {
        _header_key(alias): column for column, names in COLUMNS[kind].items() for alias in names
    }
    positions: dict[str, int] = {}
    for index, name in enumerate(records[0]):
        column = aliases.get(_header_key(name))
        if column and column not in positions:
            positions[column] = index
    missing = [c for c in REQUIRED[kind] if c not in positions]
    if missing:
        raise ImportFileError(
            _(
                "Missing columns: %(columns)s. See the README for the columns of each file.",
                columns=", ".join(missing),
            )
        )
    if len(records) - 1 > MAX_ROWS:
        raise ImportFileError(_("At most %(n)d rows per file.", n=MAX_ROWS))
    rows = []
    for number, record in enumerate(records[1:], start=2):
        if not any(cell.strip() for cell in record):
            continue
        # restore: the apostrophe our own export put before a formula-like value comes off again.
        values = {
            col: (restore(record[i].strip()) if i < len(record) else "")
            for col, i in positions.items()
        }
        rows.append((number, values))
    return rows, encoding


# --- field parsing ----------------------------------------------------------------------------------


class RowProblem(Exception):
    """One row's error, with the message already in the user's language."""


def _nfkc(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip()


def parse_date(text: str, column: str) -> date | None:
    text = _nfkc(text)
    if not text:
        return None
    match = re.fullmatch(r"(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?", text)
    if match:
        try:
            return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
        except ValueError:
            pass
    raise RowProblem(
        _("%(column)s: not a date (use YYYY-MM-DD): %(value)s", column=column, value=text)
    )


def parse_number(text: str, column: str, *, integer: bool = True) -> Any:
    text = _nfkc(text).replace(",", "").replace("¥", "").replace("円", "")
    if not text:
        return None
    try:
        return int(text) if integer else float(text)
    except ValueError:
        raise RowProblem(
            _("%(column)s: not a number: %(value)s", column=column, value=text)
        ) from None


def parse_weekdays(text: str) -> str:
    """'月火水木金', '0-4', 'Mon,Tue', '土日' → digits Monday=0."""
    text = _nfkc(text).lower().replace("曜日", "").replace("曜", "")
    days: set[int] = set()
    for part in re.split(r"[,、/ ・]+", text):
        if not part:
            continue
        if re.fullmatch(r"\d-\d", part):
            low, high = int(part[0]), int(part[2])
            days.update(range(low, high + 1))
        elif part.isdigit():
            days.update(int(ch) for ch in part)
        elif part[:3] in WEEKDAY_WORDS:
            days.add(WEEKDAY_WORDS[part[:3]])
        elif all(ch in WEEKDAY_WORDS for ch in part):
            days.update(WEEKDAY_WORDS[ch] for ch in part)
        else:
            raise RowProblem(
                _("weekdays: cannot read %(value)s (e.g. 月火水木金 or Mon,Tue)", value=part)
            )
    if any(d > 6 for d in days):
        raise RowProblem(_("weekdays: use 0 (Monday) to 6 (Sunday)"))
    return "".join(str(d) for d in sorted(days))


def _field_errors(error: DomainError) -> str:
    errors = error.details.get("errors")
    return " / ".join(errors.values()) if errors else error.message


# --- the import ----------------------------------------------------------------------------------


def import_and_locate(
    session: Session,
    *,
    kind: str,
    data: bytes,
    team_id: int,
    actor: User | None,
    dry_run: bool,
    config: Mapping[str, Any],
    geocode_limit: int,
) -> ImportReport:
    """import_csv, then locate imported customers (geocoder permitting); the caller commits if `writes`."""
    report = import_csv(
        session, kind=kind, data=data, team_id=team_id, actor=actor, dry_run=dry_run
    )
    if report.writes and kind == "customers":
        geocoding.geocode_pending(session, team_id=team_id, config=config, limit=geocode_limit)
    return report


def import_csv(
    session: Session,
    *,
    kind: str,
    data: bytes,
    team_id: int,
    actor: User | None,
    dry_run: bool = False,
    now: datetime | None = None,
) -> ImportReport:
    """Check every row, then (unless dry_run or any error) write all of them; flushes, never commits."""
    rows, encoding = read_rows(kind, data)
    report = ImportReport(kind=kind, dry_run=dry_run, rows=len(rows), encoding=encoding)
    planner = _PLANNERS[kind]
    operations: list[Callable[[], None]] = []
    context = _Context(session=session, team_id=team_id, actor=actor, now=now or datetime.now(UTC))
    if kind == "products":
        # A product may name as its predecessor one that is further down the same file.
        context.file_product_codes = {_nfkc(values["product_code"]) for _, values in rows}
    for number, values in rows:
        try:
            operation = planner(context, values)
        except RowProblem as problem:
            report.errors.append(RowError(number, str(problem)))
        except DomainError as error:
            report.errors.append(RowError(number, _field_errors(error)))
        else:
            if operation is None:
                report.unchanged += 1
            else:
                action, apply = operation
                if action == "create":
                    report.created += 1
                else:
                    report.updated += 1
                operations.append(apply)
    if report.errors or dry_run:
        return report
    for apply in operations:
        apply()
    context.finish(report)
    session.flush()
    report.customer_ids = sorted(context.touched_customers)
    return report


@dataclass
class _Context:
    session: Session
    team_id: int
    actor: User | None
    now: datetime
    seen_keys: set[Any] = field(default_factory=set)
    touched_customers: set[int] = field(default_factory=set)
    replaced_busy: set[int] = field(default_factory=set)
    file_product_codes: set[str] = field(default_factory=set)
    # (product, predecessor code): linked once every product of the file exists.
    successors: list[tuple[Product, str | None]] = field(default_factory=list)
    _customers: dict[str, Customer] | None = None
    _reps: dict[str, User] | None = None
    _products: dict[str, Product] | None = None

    def customers(self) -> dict[str, Customer]:
        if self._customers is None:
            stmt = select(Customer).where(
                Customer.team_id == self.team_id, Customer.external_code.is_not(None)
            )
            self._customers = {c.external_code: c for c in self.session.exec(stmt)}
        return self._customers

    def customer(self, code: str) -> Customer:
        customer = self.customers().get(_nfkc(code))
        if customer is None:
            raise RowProblem(_("Unknown customer code: %(code)s", code=code))
        return customer

    def reps(self) -> dict[str, User]:
        if self._reps is None:
            stmt = select(User).where(User.team_id == self.team_id)
            self._reps = {u.email.lower(): u for u in self.session.exec(stmt)}
        return self._reps

    def products(self) -> dict[str, Product]:
        if self._products is None:
            self._products = {p.code: p for p in self.session.exec(select(Product))}
        return self._products

    def once(self, key: Any, message: str) -> None:
        """Refuse the same key twice in one file."""
        if key in self.seen_keys:
            raise RowProblem(message)
        self.seen_keys.add(key)

    def finish(self, report: ImportReport) -> None:
        if self.successors:
            self.session.flush()
            for product, code in self.successors:
                product.replaces_id = self.products()[code].id if code else None
                self.session.add(product)
        if self.actor is not None and report.kind in (
            "products",
            "orders",
            "busy-periods",
            "contacts",
        ):
            audit.record(
                self.session,
                actor=self.actor,
                team_id=self.team_id,
                entity="import",
                entity_id=0,
                action=report.kind,
                after={"created": report.created, "updated": report.updated, "rows": report.rows},
            )


CUSTOMER_FIELDS = ("name", "kana", "postal_code", "address", "phone", "segment", "rank", "cadence_days",
                   "visit_minutes", "status", "tags", "notes")  # fmt: skip


def _plan_customer(ctx: _Context, values: dict[str, str]) -> tuple[str, Callable[[], None]] | None:
    code = _nfkc(values["external_code"])
    if not code:
        raise RowProblem(_("external_code is required"))
    if len(code) > 64:
        raise RowProblem(_("external_code: at most %(n)d characters", n=64))
    ctx.once(
        ("customer", code), _("The customer code %(code)s appears twice in the file", code=code)
    )
    existing = ctx.customers().get(code)
    data: dict[str, Any] = {k: values[k] for k in CUSTOMER_FIELDS if k in values}
    if data.get("segment"):
        data["segment"] = SEGMENT_WORDS.get(_nfkc(data["segment"]), _nfkc(data["segment"]).lower())
    if data.get("status"):
        data["status"] = STATUS_WORDS.get(_nfkc(data["status"]), _nfkc(data["status"]).lower())
    if data.get("rank"):
        data["rank"] = _nfkc(data["rank"]).upper()
    for key in ("cadence_days", "visit_minutes"):
        if key in data:
            data[key] = _nfkc(data[key])
    # Blank optional cells keep what is stored (or the defaults for a new customer).
    data = {k: v for k, v in data.items() if v != "" or k == "name"}
    if existing is None:
        data.setdefault("rank", Rank.B)
        data.setdefault("cadence_days", CADENCE_BY_RANK.get(data["rank"], 14))
    email = _nfkc(values.get("assigned_rep_email", "")).lower()
    if email:
        rep = ctx.reps().get(email)
        if rep is None:
            raise RowProblem(_("No member of your team has the email %(email)s", email=email))
        data["assigned_rep_id"] = rep.id
    cleaned = clean_customer_fields(ctx.session, team_id=ctx.team_id, data=data)
    lat = parse_number(values.get("lat", ""), "lat", integer=False)
    lon = parse_number(values.get("lon", ""), "lon", integer=False)
    if (lat is None) != (lon is None):
        raise RowProblem(_("Give both lat and lon, or neither"))
    if lat is not None and not (-90 <= lat <= 90 and -180 <= lon <= 180):
        raise RowProblem(_("lat/lon out of range"))
    if existing is None:
        customer = Customer(team_id=ctx.team_id, external_code=code, **cleaned)

        def create() -> None:
            _set_location(customer, lat, lon, address_changed=True)
            customer.search_text = search_text_for(customer)
            ctx.session.add(customer)
            ctx.session.flush()
            ctx.touched_customers.add(customer.id)
            ctx.customers()[code] = customer
            audit.record(ctx.session, actor=ctx.actor, team_id=ctx.team_id, entity="customer",
                         entity_id=customer.id, action="create", after=audit.snapshot(customer))  # fmt: skip

        return "create", create
    changes = {k: v for k, v in cleaned.items() if getattr(existing, k) != v}
    moved = lat is not None and (existing.lat, existing.lon) != (lat, lon)
    if not changes and not moved:
        return None

    def update() -> None:
        before = audit.snapshot(existing)
        for key, value in changes.items():
            setattr(existing, key, value)
        _set_location(existing, lat, lon, address_changed="address" in changes)
        existing.search_text = search_text_for(existing)
        existing.version += 1
        existing.updated_at = ctx.now
        ctx.session.add(existing)
        ctx.touched_customers.add(existing.id)
        audit.record(ctx.session, actor=ctx.actor, team_id=ctx.team_id, entity="customer",
                     entity_id=existing.id, action="update", before=before, after=audit.snapshot(existing))  # fmt: skip

    return "update", update


def _set_location(
    customer: Customer, lat: float | None, lon: float | None, *, address_changed: bool
) -> None:
    """Coordinates from the file win; a new address without them needs geocoding (unless pinned by hand)."""
    if lat is not None:
        customer.lat, customer.lon = lat, lon
        customer.location_source = LocationSource.IMPORTED
        customer.needs_location = False
    elif (
        customer.lat is None
        or address_changed
        and customer.location_source not in (LocationSource.PINNED, LocationSource.DEVICE)
    ):
        customer.needs_location = True


def _plan_contact(ctx: _Context, values: dict[str, str]) -> tuple[str, Callable[[], None]] | None:
    customer = ctx.customer(values["customer_code"])
    name = _nfkc(values["name"])
    ctx.once(
        ("contact", customer.id, name),
        _("The contact %(name)s appears twice for this customer", name=name),
    )
    data = {
        k: values.get(k, "")
        for k in ("name", "kana", "role", "phone", "email", "hobbies", "personal_notes")
    }
    data["birthday"] = parse_date(values.get("birthday", ""), "birthday")
    data["is_primary"] = _nfkc(values.get("is_primary", "")).lower() in TRUE_WORDS
    cleaned = clean_contact_fields(data)
    stmt = select(Contact).where(
        Contact.customer_id == customer.id, Contact.name == cleaned["name"]
    )
    existing = ctx.session.exec(stmt).first()
    if existing is None:

        def create() -> None:
            contact = Contact(customer_id=customer.id, **cleaned)
            ctx.session.add(contact)
            ctx.touched_customers.add(customer.id)

        return "create", create
    changes = {k: v for k, v in cleaned.items() if getattr(existing, k) != v}
    if not changes:
        return None

    def update() -> None:
        for key, value in changes.items():
            setattr(existing, key, value)
        ctx.session.add(existing)
        ctx.touched_customers.add(customer.id)

    return "update", update


def _plan_busy(ctx: _Context, values: dict[str, str]) -> tuple[str, Callable[[], None]] | None:
    customer = ctx.customer(values["customer_code"])
    kind_text = _nfkc(values["kind"]).lower()
    kind = KIND_WORDS.get(kind_text, kind_text)
    weekdays = parse_weekdays(values.get("weekdays", "")) if kind == BusyKind.WEEKLY else None
    spec = busy.validate(
        kind=kind,
        weekdays=weekdays,
        start_date=parse_date(values.get("start_date", ""), "start_date"),
        end_date=parse_date(values.get("end_date", ""), "end_date"),
        start_min=busy.parse_hhmm(_nfkc(values.get("start", "")), field="start"),
        end_min=busy.parse_hhmm(_nfkc(values.get("end", "")), field="end"),
        label=values.get("label"),
    )

    # The file replaces each named customer's busy periods, so a re-import gives the same result.
    def create() -> None:
        if customer.id not in ctx.replaced_busy:
            for old in ctx.session.exec(
                select(BusyPeriod).where(BusyPeriod.customer_id == customer.id)
            ):
                ctx.session.delete(old)
            ctx.session.flush()
            ctx.replaced_busy.add(customer.id)
        ctx.session.add(
            BusyPeriod(customer_id=customer.id, kind=spec.kind, weekdays=spec.weekdays, start_date=spec.start_date,
                       end_date=spec.end_date, start_min=spec.start_min, end_min=spec.end_min, label=spec.label)
        )  # fmt: skip
        ctx.touched_customers.add(customer.id)

    return "create", create


def _plan_order(ctx: _Context, values: dict[str, str]) -> tuple[str, Callable[[], None]] | None:
    customer = ctx.customer(values["customer_code"])
    product = ctx.products().get(_nfkc(values["product_code"]))
    if product is None:
        raise RowProblem(_("Unknown product code: %(code)s", code=values["product_code"]))
    ordered_on = parse_date(values["ordered_on"], "ordered_on")
    if ordered_on is None:
        raise RowProblem(_("ordered_on is required"))
    quantity = parse_number(values["quantity"], "quantity")
    if quantity is None or quantity <= 0:
        raise RowProblem(_("quantity must be a whole number above 0"))
    price = parse_number(values.get("unit_price", ""), "unit_price")
    price = product.unit_price if price is None else price
    if price < 0:
        raise RowProblem(_("unit_price must not be negative"))
    ref = _nfkc(values.get("external_ref", "")) or None
    key = ("order", ref) if ref else ("order", customer.id, product.id, ordered_on)
    ctx.once(key, _("The same order line appears twice in the file"))
    # Re-import: the same reference (or, without one, the same customer, product and day) updates.
    stmt = select(OrderLine).where(OrderLine.customer_id == customer.id)
    if ref:
        stmt = stmt.where(OrderLine.external_ref == ref)
    else:
        stmt = stmt.where(
            OrderLine.product_id == product.id,
            OrderLine.ordered_on == ordered_on,
            OrderLine.source == "imported",
        )
    existing = ctx.session.exec(stmt).first()
    if existing is None:

        def create() -> None:
            ctx.session.add(OrderLine(customer_id=customer.id, product_id=product.id, ordered_on=ordered_on,
                                      quantity=quantity, unit_price=price, source="imported", external_ref=ref))  # fmt: skip
            ctx.touched_customers.add(customer.id)

        return "create", create
    if (existing.product_id, existing.ordered_on, existing.quantity, existing.unit_price) == (
        product.id, ordered_on, quantity, price,
    ):  # fmt: skip
        return None

    def update() -> None:
        existing.product_id, existing.ordered_on = product.id, ordered_on
        existing.quantity, existing.unit_price = quantity, price
        ctx.session.add(existing)

    return "update", update


PRODUCT_TEXT_LIMITS = {
    "name": 200,
    "name_en": 200,
    "kana": 200,
    "category": 64,
    "unit": 16,
    "tags": 200,
}


def _parse_flag(text: str, column: str) -> bool | None:
    word = _nfkc(text).lower()
    if not word:
        return None
    if word in TRUE_WORDS or word == "販売中":
        return True
    if word in FALSE_WORDS:
        return False
    raise RowProblem(_("%(column)s: use 1 (yes) or 0 (no): %(value)s", column=column, value=word))


def _plan_product(ctx: _Context, values: dict[str, str]) -> tuple[str, Callable[[], None]] | None:
    """One catalogue row. The catalogue is the company's: every team orders from the same products."""
    code = _nfkc(values["product_code"])
    if not code:
        raise RowProblem(_("product_code is required"))
    if len(code) > 64:
        raise RowProblem(_("product_code: at most %(n)d characters", n=64))
    ctx.once(("product", code), _("The product code %(code)s appears twice in the file", code=code))
    data: dict[str, Any] = {}
    for key, limit in PRODUCT_TEXT_LIMITS.items():
        if key not in values:
            continue
        text = _nfkc(values[key]) if key in ("kana", "unit", "category") else values[key].strip()
        if len(text) > limit:
            raise RowProblem(_("%(column)s: at most %(n)d characters", column=key, n=limit))
        data[key] = text or None
    if not data.get("name"):
        raise RowProblem(_("name is required"))
    for key, attribute in (("unit_price", "unit_price"), ("pack_of", "pack_of"),
                           ("reorder_days", "reorder_cycle_days")):  # fmt: skip
        if key in values:
            number = parse_number(values[key], key)
            if number is not None and number < (0 if key == "unit_price" else 1):
                raise RowProblem(
                    _(
                        "%(column)s must be a whole number of at least %(n)d",
                        column=key,
                        n=0 if key == "unit_price" else 1,
                    )  # fmt: skip
                )
            data[attribute] = number
    active = _parse_flag(values.get("active", ""), "active")
    replaces = _nfkc(values.get("replaces", "")) or None
    if replaces == code:
        raise RowProblem(_("replaces: a product cannot replace itself"))
    if replaces and replaces not in ctx.products() and replaces not in ctx.file_product_codes:
        raise RowProblem(_("replaces: unknown product code %(code)s", code=replaces))
    # Blank optional cells keep what is stored (or the defaults for a new product).
    data = {k: v for k, v in data.items() if v is not None}
    if active is not None:
        data["active"] = active
    existing = ctx.products().get(code)
    if existing is None:
        product = Product(code=code, category=data.pop("category", ""), **data)

        def create() -> None:
            ctx.session.add(product)
            ctx.products()[code] = product
            ctx.successors.append((product, replaces))

        return "create", create
    changes = {k: v for k, v in data.items() if getattr(existing, k) != v}
    codes_by_id = {p.id: c for c, p in ctx.products().items()}
    old_replaces = codes_by_id.get(existing.replaces_id)
    relinks = "replaces" in values and values["replaces"].strip() != "" and replaces != old_replaces
    if not changes and not relinks:
        return None

    def update() -> None:
        for key, value in changes.items():
            setattr(existing, key, value)
        ctx.session.add(existing)
        if relinks:
            ctx.successors.append((existing, replaces))

    return "update", update


_PLANNERS = {
    "products": _plan_product,
    "customers": _plan_customer,
    "contacts": _plan_contact,
    "busy-periods": _plan_busy,
    "orders": _plan_order,
}
