"""Japanese and English: complete catalogs, language choice, timezone-aware times."""

from __future__ import annotations

import io
from datetime import UTC, datetime

from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po

from fieldapp import translations_tool
from fieldapp.i18n import local_time
from tests.conftest import csrf_token


def test_every_string_shown_has_a_japanese_translation():
    assert translations_tool.untranslated("ja") == []


def _plain(value: object) -> object:
    """A plural message's forms (a tuple in the .po, a list in the .mo) as a tuple."""
    return tuple(value) if isinstance(value, list | tuple) else value


def test_compiled_catalog_matches_the_po_file():
    po_path = translations_tool.po_path("ja")
    with po_path.open("rb") as f:
        po = {_plain(m.id): _plain(m.string) for m in read_po(f, locale="ja") if m.id}
    with po_path.with_suffix(".mo").open("rb") as f:
        mo = {_plain(m.id): _plain(m.string) for m in read_mo(io.BytesIO(f.read())) if m.id}
    assert mo == po, "run `fieldapp i18n compile` after editing the .po file"


def test_user_setting_wins_over_browser(client, make_user, login_as):
    login_as(make_user(language="en"))
    html = client.get("/", headers={"Accept-Language": "ja"}).get_data(as_text=True)
    assert "Who is worth a visit" in html


def test_browser_language_when_no_setting(client, make_user, login_as):
    login_as(make_user(language=None))
    assert "訪問候補" in client.get("/", headers={"Accept-Language": "ja,en;q=0.5"}).get_data(
        as_text=True
    )
    assert "Who is worth a visit" in client.get("/", headers={"Accept-Language": "en"}).get_data(
        as_text=True
    )


def test_change_language_on_me_page(client, make_user, login_as, db):
    user = make_user(language="ja")
    login_as(user)
    token = csrf_token(client.get("/me").get_data(as_text=True))
    assert client.post("/me", data={"csrf_token": token, "language": "en"}).status_code == 302
    db.refresh(user)
    assert user.language == "en"
    assert "Settings" in client.get("/me").get_data(as_text=True)


def test_times_shown_in_team_timezone(app, make_user, make_team):
    team = make_team(timezone="Asia/Tokyo")
    user = make_user(team=team)
    with app.test_request_context():
        from flask_login import login_user

        login_user(user)
        assert local_time(datetime(2026, 11, 20, 0, 30, tzinfo=UTC)) == "09:30"


def test_stored_datetimes_come_back_aware_utc(db, make_user):
    user = make_user()
    db.expire_all()
    from fieldapp.models import User

    loaded = db.get(User, user.id)
    assert loaded.created_at.tzinfo is not None
    assert loaded.created_at.utcoffset().total_seconds() == 0


def test_error_pages_in_both_languages(client, make_user, login_as):
    login_as(make_user(role="rep"))
    ja = client.get("/no-such-page", headers={"Accept-Language": "ja"})
    assert ja.status_code == 404 and "見つかりません" in ja.get_data(as_text=True)
    forbidden = client.get("/team/", headers={"Accept-Language": "ja"})
    assert forbidden.status_code == 403 and "アクセスできません" in forbidden.get_data(as_text=True)


def test_error_page_english(client):
    response = client.get("/no-such-page", headers={"Accept-Language": "en"})
    assert response.status_code == 404 and "Not found" in response.get_data(as_text=True)


def test_500_page_rolls_back_and_renders(app, client, make_user, login_as):
    @app.route("/boom")
    def boom():
        raise RuntimeError("boom")

    app.config["PROPAGATE_EXCEPTIONS"] = False
    response = client.get("/boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Something went wrong" in response.get_data(as_text=True)


def test_every_skip_reason_has_a_label():
    from fieldapp.i18n import CHOICES
    from fieldapp.models import SkipReason

    assert list(CHOICES["skip_reason"]) == [r.value for r in SkipReason]
