"""CSV import: encodings, messy rows, all or nothing, re-import, dry run, CLI and the manager page."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import func
from sqlmodel import select

from fieldapp.models import AuditEvent, BusyPeriod, Contact, Customer, OrderLine, Product
from fieldapp.services import importer
from tests.conftest import csrf_token

CUSTOMERS_SJIS = (
    "顧客コード,顧客名,フリガナ,郵便番号,住所,電話番号,業種,ランク,担当者メール,緯度,経度\r\n"
    "C001,居酒屋 さくら,イザカヤサクラ,１１０－０００５,東京都台東区上野3-1-1,０３－１２３４－５６７８,飲食店,A,{rep},35.71,139.77\r\n"
    'C002,"山田酒店, 本店",ヤマダサケテン,110-0005,東京都台東区上野3-2-2,03-2222-3333,小売店,B,,35.712,139.772\r\n'
    "C003,ｶﾌｪ ひまわり,ｶﾌｪﾋﾏﾜﾘ,,東京都台東区上野3-3-3,,飲食店,C,,,\r\n"
)


def sjis(text: str) -> bytes:
    return text.encode("cp932")


@pytest.fixture
def team_and_rep(make_team, make_user):
    team = make_team(name="東京東営業所")
    rep = make_user(team=team, email="rep@example.com")
    manager = make_user(team=team, role="manager", email="boss@example.com")
    return team, rep, manager


def run(app, db, kind, data, team, *, dry_run=False):
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        report = importer.import_csv(
            db, kind=kind, data=data, team_id=team.id, actor=None, dry_run=dry_run
        )
        if report.ok and not dry_run:
            db.commit()
        else:
            db.rollback()
        return report


def count(db, model, *where):
    return db.exec(select(func.count()).select_from(model).where(*where)).one()


def test_shift_jis_customers_with_full_width_digits(app, db, team_and_rep):
    team, rep, _ = team_and_rep
    report = run(app, db, "customers", sjis(CUSTOMERS_SJIS.format(rep=rep.email)), team)
    assert report.ok, report.errors
    assert report.encoding == "cp932" and report.created == 3
    sakura = db.exec(select(Customer).where(Customer.external_code == "C001")).one()
    assert sakura.phone == "03-1234-5678" and sakura.postal_code == "110-0005"
    assert sakura.segment == "restaurant" and sakura.rank == "A" and sakura.cadence_days == 7
    assert sakura.assigned_rep_id == rep.id and sakura.location_source == "imported"
    assert "いざかやさくら" in sakura.search_text
    yamada = db.exec(select(Customer).where(Customer.external_code == "C002")).one()
    assert yamada.name == "山田酒店, 本店"  # quoted comma kept
    cafe = db.exec(select(Customer).where(Customer.external_code == "C003")).one()
    assert cafe.needs_location is True and cafe.lat is None
    assert count(db, AuditEvent, AuditEvent.entity == "customer") == 3


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig"])
def test_utf8_with_and_without_bom(app, db, team_and_rep, encoding):
    team, rep, _ = team_and_rep
    data = CUSTOMERS_SJIS.format(rep=rep.email).encode(encoding)
    report = run(app, db, "customers", data, team)
    assert report.ok and report.encoding == encoding


def test_one_bad_row_means_nothing_is_written(app, db, team_and_rep):
    team, rep, _ = team_and_rep
    text = CUSTOMERS_SJIS.format(rep=rep.email) + (
        "C004,,ナナシ,,,,飲食店,A,,,\r\n"  # no name
        "C005,悪いランク,ワルイ,,,,飲食店,Z,,,\r\n"
        "C006,知らない担当,シラナイ,,,,飲食店,A,nobody@example.com,,\r\n"
        "C001,重複,チョウフク,,,,飲食店,A,,,\r\n"
        "C007,緯度だけ,イド,,,,飲食店,A,,35.7,\r\n"
    )
    report = run(app, db, "customers", sjis(text), team)
    assert not report.ok
    assert [e.row for e in report.errors] == [5, 6, 7, 8, 9]
    messages = " ".join(e.message for e in report.errors)
    assert "nobody@example.com" in messages and "C001" in messages
    assert "ランク" in messages or "A, B" in messages
    assert count(db, Customer) == 0


def test_reimport_updates_instead_of_duplicating(app, db, team_and_rep):
    team, rep, _ = team_and_rep
    data = sjis(CUSTOMERS_SJIS.format(rep=rep.email))
    run(app, db, "customers", data, team)
    again = run(app, db, "customers", data, team)
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    changed = sjis(
        CUSTOMERS_SJIS.format(rep=rep.email).replace("居酒屋 さくら", "居酒屋 さくら 本店")
    )
    third = run(app, db, "customers", changed, team)
    assert (third.created, third.updated) == (0, 1)
    assert count(db, Customer) == 3
    sakura = db.exec(select(Customer).where(Customer.external_code == "C001")).one()
    assert sakura.name == "居酒屋 さくら 本店" and sakura.version == 2


def test_dry_run_writes_nothing(app, db, team_and_rep):
    team, rep, _ = team_and_rep
    report = run(
        app, db, "customers", sjis(CUSTOMERS_SJIS.format(rep=rep.email)), team, dry_run=True
    )
    assert report.ok and report.created == 3
    assert count(db, Customer) == 0


@pytest.mark.parametrize(
    "data,fragment",
    [
        (b"", "empty"),
        (b"\x00\x01\x02binary", "CSV"),
        (b"name,foo\r\nx,y\r\n", "external_code"),
    ],
)
def test_unreadable_files_are_refused_clearly(app, db, team_and_rep, data, fragment):
    team, _, _ = team_and_rep
    with (
        app.test_request_context(headers={"Accept-Language": "en"}),
        pytest.raises(importer.ImportFileError) as error,
    ):
        importer.import_csv(db, kind="customers", data=data, team_id=team.id, actor=None)
    assert fragment in error.value.message


def test_contacts_busy_periods_and_orders(app, db, team_and_rep):
    team, rep, _ = team_and_rep
    run(app, db, "customers", sjis(CUSTOMERS_SJIS.format(rep=rep.email)), team)
    db.add(Product(code="F001", name="業務用米", category="食材", unit_price=5800))
    db.commit()
    contacts = "顧客コード,氏名,フリガナ,役職,電話番号,誕生日,趣味,主担当\r\nC001,佐藤 花子,サトウ ハナコ,店長,090-1111-2222,1980/4/5,ゴルフ,はい\r\n"
    assert run(app, db, "contacts", sjis(contacts), team).created == 1
    assert run(app, db, "contacts", sjis(contacts), team).unchanged == 1
    contact = db.exec(select(Contact)).one()
    assert contact.birthday.isoformat() == "1980-04-05" and contact.is_primary
    busy = (
        "customer_code,kind,weekdays,start,end,label\r\n"
        "C001,weekly,月火水木金,11:30,13:30,ランチ営業\r\n"
        "C001,weekly,水,,,定休日\r\n"
    )
    assert run(app, db, "busy-periods", busy.encode(), team).created == 2
    assert run(app, db, "busy-periods", busy.encode(), team).ok
    periods = db.exec(select(BusyPeriod).order_by(BusyPeriod.id)).all()
    assert len(periods) == 2, "the file replaces the customer's periods"
    assert periods[0].weekdays == "01234" and periods[0].start_min == 690
    bad_busy = "customer_code,kind,weekdays,start,end\r\nC001,weekly,月,14:00,13:00\r\nC999,weekly,月,,\r\n"
    report = run(app, db, "busy-periods", bad_busy.encode(), team)
    assert [e.row for e in report.errors] == [2, 3]
    orders = "顧客コード,商品コード,受注日,数量,単価,伝票番号\r\nC001,F001,2026-10-01,２,,R-1\r\nC001,F001,2026-11-01,3,5500,R-2\r\n"
    assert run(app, db, "orders", sjis(orders), team).created == 2
    again = run(app, db, "orders", sjis(orders.replace(",3,5500,", ",4,5500,")), team)
    assert (again.created, again.updated, again.unchanged) == (0, 1, 1)
    lines = db.exec(select(OrderLine).order_by(OrderLine.ordered_on)).all()
    assert [(line.quantity, line.unit_price) for line in lines] == [(2, 5800), (4, 5500)]


def test_other_teams_customers_are_not_touched(app, db, team_and_rep, make_team, make_customer):
    team, rep, _ = team_and_rep
    other = make_team()
    theirs = make_customer(team=other, external_code="C001", name="よそのお店")
    run(app, db, "customers", sjis(CUSTOMERS_SJIS.format(rep=rep.email)), team)
    db.refresh(theirs)
    assert theirs.name == "よそのお店"
    report = run(app, db, "contacts", "customer_code,name\r\nC001,誰か\r\n".encode(), other)
    assert report.ok  # C001 of the other team is its own customer
    contacts = "customer_code,name\r\nC002,誰か\r\n".encode()
    assert not run(app, db, "contacts", contacts, other).ok  # C002 exists only in the first team


def test_cli_import_exit_codes(runner, db, tmp_path, team_and_rep):
    team, rep, _ = team_and_rep
    good = tmp_path / "good.csv"
    good.write_bytes(sjis(CUSTOMERS_SJIS.format(rep=rep.email)))
    bad = tmp_path / "bad.csv"
    bad.write_bytes(sjis(CUSTOMERS_SJIS.format(rep=rep.email) + "C009,,,,,,,,,,\r\n"))
    result = runner.invoke(args=["import", "customers", str(bad), "--team", team.name])
    assert result.exit_code == 1
    assert ":5:" in result.output and count(db, Customer) == 0
    dry = runner.invoke(args=["import", "customers", str(good), "--team", team.name, "--dry-run"])
    assert dry.exit_code == 0 and count(db, Customer) == 0
    result = runner.invoke(args=["import", "customers", str(good), "--team", team.name])
    assert result.exit_code == 0, result.output
    assert count(db, Customer) == 3


def test_cli_export(runner, db, tmp_path, team_and_rep, make_customer):
    team, rep, _ = team_and_rep
    make_customer(team=team, name="居酒屋 さくら", external_code="C001", assigned_rep_id=rep.id)
    out = tmp_path / "customers.csv"
    result = runner.invoke(args=["export", "customers", "--team", team.name, "-o", str(out)])
    assert result.exit_code == 0
    text = out.read_bytes().decode("utf-8")
    assert text.startswith("\ufeffexternal_code,name")
    assert "居酒屋 さくら" in text and rep.email in text


def _upload(client, kind: str, data: bytes, dry_run: bool = False):
    token = csrf_token(client.get("/manage/import").get_data(as_text=True))
    form = {"csrf_token": token, "kind": kind, "file": (io.BytesIO(data), "customers.csv")}
    if dry_run:
        form["dry_run"] = "y"
    return client.post("/manage/import", data=form, content_type="multipart/form-data")


def test_upload_page_reports_rows_and_imports(client, db, login_as, team_and_rep):
    team, rep, manager = team_and_rep
    login_as(manager)
    bad = sjis(CUSTOMERS_SJIS.format(rep=rep.email) + "C004,,,,,,,,,,\r\n")
    html = _upload(client, "customers", bad).get_data(as_text=True)
    assert "row-error" in html and count(db, Customer) == 0
    html = _upload(client, "customers", sjis(CUSTOMERS_SJIS.format(rep=rep.email))).get_data(
        as_text=True
    )
    assert count(db, Customer) == 3
    garbage = _upload(client, "customers", b"\x00\xff\x00garbage")
    assert garbage.status_code == 200 and "flash-error" in garbage.get_data(as_text=True)


def test_export_downloads_are_team_scoped(
    client, db, login_as, team_and_rep, make_team, make_customer
):
    team, rep, manager = team_and_rep
    make_customer(team=team, name="うちのお店", external_code="A1")
    make_customer(team=make_team(), name="よそのお店", external_code="B1")
    login_as(manager)
    response = client.get("/manage/export/customers.csv")
    text = response.get_data(as_text=True)
    assert response.mimetype == "text/csv" and "うちのお店" in text and "よそのお店" not in text
    assert "customer_code" in client.get("/manage/export/visits.csv").get_data(as_text=True)


@pytest.mark.parametrize(
    "path",
    [
        "/manage/import",
        "/manage/export/customers.csv",
        "/manage/export/visits.csv",
        "/manage/needs-location",
    ],
)
def test_import_pages_are_for_managers(client, login_as, team_and_rep, path):
    _, rep, _ = team_and_rep
    assert client.get(path).status_code == 302  # anonymous → login
    login_as(rep)
    assert client.get(path).status_code == 403
