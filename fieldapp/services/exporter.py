"""CSV export of the catalogue, the team's customers and visit history (UTF-8 with BOM so Excel opens it).

Every text cell goes through csv_cells.neutralise: a value a rep typed cannot run as a formula on the PC
that opens the file.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator

from sqlmodel import Session, select

from ..models import Customer, Product, Team, User, Visit
from .csv_cells import neutralise
from .teams import zone

CUSTOMER_COLUMNS = ("external_code", "name", "kana", "postal_code", "address", "phone", "segment", "rank",
                    "cadence_days", "visit_minutes", "status", "tags", "assigned_rep_email", "lat", "lon",
                    "notes", "last_visit_on", "next_due_on")  # fmt: skip
VISIT_COLUMNS = ("customer_code", "customer", "rep_email", "rep", "status", "check_in", "check_out", "outcome",
                 "heard", "needs", "changes", "proposals", "proposal_reception", "next_action",
                 "next_action_due")  # fmt: skip
PRODUCT_COLUMNS = ("product_code", "name", "name_en", "kana", "category", "unit", "unit_price", "pack_of",
                   "reorder_days", "tags", "replaces", "active")  # fmt: skip
BOM = "\ufeff"


def _csv_lines(header: tuple[str, ...], rows: Iterator[list[object]]) -> Iterator[str]:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    yield BOM + buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow(["" if value is None else neutralise(value) for value in row])
        yield buffer.getvalue()


def customers_csv(session: Session, *, team_id: int) -> Iterator[str]:
    """The team's customers in the import's own columns, so an export can be edited and re-imported."""
    emails = {u.id: u.email for u in session.exec(select(User).where(User.team_id == team_id))}

    def rows() -> Iterator[list[object]]:
        stmt = (
            select(Customer)
            .where(Customer.team_id == team_id)
            .order_by(Customer.external_code, Customer.id)
        )
        for c in session.exec(stmt):
            yield [c.external_code, c.name, c.kana, c.postal_code, c.address, c.phone, c.segment, c.rank,
                   c.cadence_days, c.visit_minutes, c.status, c.tags, emails.get(c.assigned_rep_id), c.lat,
                   c.lon, c.notes, c.last_visit_on, c.next_due_on]  # fmt: skip

    return _csv_lines(CUSTOMER_COLUMNS, rows())


def visits_csv(session: Session, *, team_id: int) -> Iterator[str]:
    """Every visit of the team's customers, oldest first, times in the team's timezone."""
    team = session.get(Team, team_id)
    tz = zone(team.timezone)
    users = {u.id: u for u in session.exec(select(User).where(User.team_id == team_id))}

    def local(value):
        return value.astimezone(tz).strftime("%Y-%m-%d %H:%M") if value else None

    def rows() -> Iterator[list[object]]:
        stmt = (
            select(Visit, Customer)
            .join(Customer, Customer.id == Visit.customer_id)
            .where(Customer.team_id == team_id)
            .order_by(Visit.check_in_at, Visit.scheduled_start, Visit.id)
        )
        for visit, customer in session.exec(stmt):
            rep = users.get(visit.rep_id)
            yield [customer.external_code, customer.name, rep.email if rep else None, rep.name if rep else None,
                   visit.status, local(visit.check_in_at or visit.scheduled_start), local(visit.check_out_at),
                   visit.outcome, visit.heard, visit.needs, visit.changes, visit.proposals,
                   visit.proposal_reception, visit.next_action, visit.next_action_due]  # fmt: skip

    return _csv_lines(VISIT_COLUMNS, rows())


def products_csv(session: Session) -> Iterator[str]:
    """The whole catalogue in the import's own columns (the catalogue is shared by every team)."""
    products = session.exec(select(Product).order_by(Product.code)).all()
    codes = {p.id: p.code for p in products}

    def rows() -> Iterator[list[object]]:
        for p in products:
            yield [p.code, p.name, p.name_en, p.kana, p.category, p.unit, p.unit_price, p.pack_of,
                   p.reorder_cycle_days, p.tags, codes.get(p.replaces_id), 1 if p.active else 0]  # fmt: skip

    return _csv_lines(PRODUCT_COLUMNS, rows())
