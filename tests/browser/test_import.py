"""A manager uploads a messy Shift_JIS CSV on the phone: a bad row is reported and nothing imported; fixed, it imports."""

from __future__ import annotations

import pytest
from sqlalchemy import func
from sqlmodel import select

from fieldapp.models import Customer
from tests.browser.conftest import sign_in
from tests.conftest import PASSWORD

pytestmark = pytest.mark.browser

GOOD = "顧客コード,顧客名,フリガナ,電話番号,業種,ランク\r\nC001,居酒屋 さくら,イザカヤサクラ,０３－１２３４－５６７８,飲食店,A\r\n"
BAD_ROW = "C002,ランク違い,ランクチガイ,03-1111-2222,飲食店,Z\r\n"


def test_manager_uploads_shift_jis_csv(page, live_server, make_team, make_user, db, tmp_path):
    team = make_team(name="東京東営業所")
    make_user(team=team, role="manager", email="boss@example.com")
    bad = tmp_path / "bad.csv"
    bad.write_bytes((GOOD + BAD_ROW).encode("cp932"))
    good = tmp_path / "good.csv"
    good.write_bytes(GOOD.encode("cp932"))

    sign_in(page, live_server, "boss@example.com", PASSWORD)
    page.click("nav.bottom-nav >> text=チーム")
    page.click("text=インポート・エクスポート")
    page.set_input_files("input[name=file]", str(bad))
    page.click("button[type=submit]")
    report = page.locator("#import-report")
    assert "何も取り込んでいません" in report.inner_text()
    assert page.locator("tr.row-error td").first.inner_text() == "3"
    assert db.exec(select(func.count()).select_from(Customer)).one() == 0

    page.set_input_files("input[name=file]", str(good))
    page.click("button[type=submit]")
    assert "取り込みました" in page.locator("#import-report").inner_text()
    customer = db.exec(select(Customer)).one()
    assert customer.phone == "03-1234-5678"
