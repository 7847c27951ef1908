"""The product catalogue: import (all or nothing, Japanese or English headers, successors), export round trip,
the products page (kana-aware search, buyers of the reader's team only, trend) and a fresh install loading
products, then customers, then orders."""

from __future__ import annotations

from datetime import date

from sqlmodel import select

from fieldapp.models import OrderLine, Product
from fieldapp.services import exporter
from tests.fieldapp.test_import import _upload, count, run

PRODUCTS_JA = (
    "商品コード,商品名,フリガナ,カテゴリ,単位,単価,入数,発注周期,タグ,後継元,販売中\r\n"
    'P-NEW,ペーパータオル エコ,ペーパータオルエコ,消耗品,箱,"1,980",20,30,紙 タオル エコ,P-OLD,はい\r\n'
    "P-OLD,ペーパータオル,ペーパータオル,消耗品,箱,1800,20,30,紙 タオル,,販売終了\r\n"
    "B-001,生ビール樽 10L,ナマビールタル,酒類,樽,8800,,14,ビール 樽,,1\r\n"
)


def test_products_import_with_japanese_headers_links_the_successor(app, db, make_team):
    team = make_team()
    report = run(app, db, "products", PRODUCTS_JA.encode("cp932"), team)
    assert report.ok, report.errors
    assert report.created == 3
    new, old = (db.exec(select(Product).where(Product.code == c)).one() for c in ("P-NEW", "P-OLD"))
    assert new.replaces_id == old.id and new.unit_price == 1980 and new.pack_of == 20
    assert new.unit == "箱" and new.kana == "ペーパータオルエコ" and new.reorder_cycle_days == 30
    assert old.active is False and new.active is True and new.tags == "紙 タオル エコ"


def test_products_import_is_all_or_nothing_with_a_report_per_row(app, db, make_team):
    team = make_team()
    bad = (
        b"product_code,name,unit_price,pack_of,replaces,active\r\n"
        b"A1,Good one,100,,,\r\n"
        b"A2,,100,,,\r\n"  # no name
        b"A3,Price,-5,,,\r\n"
        b"A4,Pack,100,0,,\r\n"
        b"A5,Ghost successor,100,,NOPE,\r\n"
        b"A6,Self,100,,A6,\r\n"
        b"A7,Flag,100,,,maybe\r\n"
        b"A1,Twice,100,,,\r\n"
    )
    report = run(app, db, "products", bad, make_team(name="other"))
    assert [e.row for e in report.errors] == [3, 4, 5, 6, 7, 8, 9]
    assert count(db, Product) == 0
    assert team  # the first team exists; nothing was written for either


def test_products_reimport_updates_and_export_round_trips(app, db, make_team):
    team = make_team()
    run(app, db, "products", PRODUCTS_JA.encode(), team)
    again = run(app, db, "products", PRODUCTS_JA.encode(), team)
    assert again.ok and again.unchanged == 3 and count(db, Product) == 3
    with app.test_request_context():
        text = "".join(exporter.products_csv(db))
    assert text.startswith("\ufeffproduct_code,name,name_en,kana")
    assert (
        "P-NEW,ペーパータオル エコ,,ペーパータオルエコ,消耗品,箱,1980,20,30,紙 タオル エコ,P-OLD,1"
        in text
    )
    # Editing the export (price up, the old one back on sale) and importing it changes just that.
    edited = text.replace("1980,20,30", "2100,20,30").replace(
        "P-OLD,ペーパータオル,,ペーパータオル,消耗品,箱,1800,20,30,紙 タオル,,0",
        "P-OLD,ペーパータオル,,ペーパータオル,消耗品,箱,1800,20,30,紙 タオル,,1",
    )
    report = run(app, db, "products", edited.encode("utf-8"), team)
    assert report.ok and report.updated == 2 and report.unchanged == 1
    assert db.exec(select(Product).where(Product.code == "P-OLD")).one().active is True


def test_fresh_install_loads_products_then_customers_then_orders(app, db, make_team, make_user):
    team = make_team()
    rep = make_user(team=team, email="rep@example.com")
    assert run(app, db, "products", PRODUCTS_JA.encode(), team).ok
    customers = "顧客コード,顧客名,担当者メール,緯度,経度\r\nC1,居酒屋 さくら,rep@example.com,35.7,139.7\r\n"
    assert run(app, db, "customers", customers.encode(), team).ok
    orders = (
        "顧客コード,商品コード,受注日,数量\r\nC1,B-001,2026-11-01,2\r\nC1,P-NEW,2026-11-03,1\r\n"
    )
    report = run(app, db, "orders", orders.encode(), team)
    assert report.ok, report.errors
    lines = db.exec(select(OrderLine)).all()
    assert {line.unit_price for line in lines} == {8800, 1980}
    assert rep.id


def test_upload_page_and_export_download(client, db, login_as, make_team, make_user):
    team = make_team()
    manager = make_user(team=team, role="manager")
    login_as(manager)
    html = _upload(client, "products", PRODUCTS_JA.encode()).get_data(as_text=True)
    assert count(db, Product) == 3, html
    download = client.get("/manage/export/products.csv")
    assert download.status_code == 200 and "P-NEW" in download.get_data(as_text=True)


def test_reps_may_not_import_or_export_products(client, db, login_as, make_team, make_user):
    rep = make_user(team=make_team())
    login_as(rep)
    assert client.get("/manage/export/products.csv").status_code == 403
    assert client.get("/manage/import").status_code == 403


def test_cli_import_and_export_products(runner, db, tmp_path, make_team):
    team = make_team(name="本社")
    path = tmp_path / "products.csv"
    path.write_bytes(PRODUCTS_JA.encode("cp932"))
    result = runner.invoke(args=["import", "products", str(path), "--team", team.name])
    assert result.exit_code == 0, result.output
    assert "3 new" in result.output
    out = tmp_path / "out.csv"
    result = runner.invoke(args=["export", "products", "-o", str(out)])
    assert result.exit_code == 0 and "B-001" in out.read_text(encoding="utf-8")


def test_products_page_search_is_kana_and_width_aware(
    client, login_as, make_team, make_user, make_product
):
    rep = make_user(team=make_team())
    make_product(code="P-1", name="ペーパータオル", kana="ペーパータオル", category="消耗品")
    make_product(code="B-1", name="生ビール樽", kana="ナマビールタル", tags="ビール")
    login_as(rep)
    html = client.get("/products/?q=ぺーぱー").get_data(as_text=True)
    assert "ペーパータオル" in html and "生ビール樽" not in html
    html = client.get("/products/?q=ｂ－１").get_data(as_text=True)  # full-width code
    assert "生ビール樽" in html and "ペーパータオル" not in html
    assert 'id="product-count">2件の商品' in client.get("/products/").get_data(as_text=True)


def test_product_page_shows_only_own_team_buyers_and_the_trend(
    client, db, login_as, make_team, make_user, make_customer, make_product, make_order_line
):
    team, other = make_team(), make_team(name="other")
    rep = make_user(team=team)
    beer = make_product(name="生ビール樽", unit_price=8800)
    mine = make_customer(team=team, name="居酒屋 さくら", assigned_rep_id=rep.id)
    theirs = make_customer(team=other, name="よその店")
    make_order_line(customer=mine, product=beer, quantity=3, ordered_on=date(2026, 11, 2))
    make_order_line(customer=mine, product=beer, quantity=2, ordered_on=date(2026, 11, 20))
    make_order_line(customer=theirs, product=beer, quantity=9, ordered_on=date(2026, 11, 5))
    login_as(rep)
    html = client.get(f"/products/{beer.id}").get_data(as_text=True)
    assert "居酒屋 さくら" in html and "よその店" not in html
    assert "2026-11: 5 · ¥44,000" in html  # the November bar's tooltip: this team's orders only
    assert client.get("/products/999999").status_code == 404


def test_prompts_come_from_imported_data_alone(app, db, make_team, make_user):
    """A fresh install: catalogue, customers, then orders from files; the engine prompts from them."""
    from fieldapp.insights.model import Kind
    from fieldapp.services import prompts

    team = make_team()
    make_user(team=team, email="rep@example.com")
    assert run(app, db, "products", PRODUCTS_JA.encode(), team).ok
    customers = "顧客コード,顧客名,業種,担当者メール,緯度,経度\r\nC1,居酒屋 さくら,飲食店,rep@example.com,35.7,139.7\r\n"
    assert run(app, db, "customers", customers.encode(), team).ok
    # A keg every 14 days for four months; the last one 14 days before "today".
    today = date(2026, 12, 1)
    days = [date.fromordinal(today.toordinal() - 14 * n) for n in range(1, 9)]
    orders = "顧客コード,商品コード,受注日,数量\r\n" + "".join(
        f"C1,B-001,{d.isoformat()},2\r\n" for d in days
    )
    assert run(app, db, "orders", orders.encode(), team).ok
    (customer_id,) = db.exec(select(OrderLine.customer_id)).unique().all()
    with app.test_request_context(headers={"Accept-Language": "ja"}):
        found = prompts.prompts_for(db, customer_ids=[customer_id], today=today)[customer_id]
        reorder = [p for p in found if p.kind == Kind.REORDER]
        assert reorder, found
        (view,) = prompts.prompt_views(db, reorder[:1])
    assert "14日" in view.evidence
