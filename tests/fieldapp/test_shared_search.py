"""Team-wide search (issue 11): words in visit notes, follow-ups and contacts find the customer, with the
snippet where they were found; Japanese normalised; the filters (rep, idle days); the full-text index is
made by the migrations and kept by triggers on both databases."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta

from sqlalchemy import text
from sqlmodel import col, select

from fieldapp import search_index
from fieldapp.models import Contact, Customer, Visit
from fieldapp.services.customer_search import SearchQuery, matching_ids, search
from tests.conftest import saved


def _names(page) -> list[str]:
    return [c.name for c in page.customers]


def test_note_words_find_the_customer_with_a_snippet(db, team, rep, add_customer, make_visit):
    """「担当者が交代」 in a visit note finds the customer; the snippet shows the note as written."""
    changed = add_customer(name="そば処 まつや")
    add_customer(name="喫茶 ひまわり")
    make_visit(rep=rep, customer=changed, heard="先方の担当者が交代しました。後任は佐藤さん。")
    page = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text="担当者が交代"))
    assert _names(page) == ["そば処 まつや"]
    cut = page.snippets[changed.id]
    assert cut.source == "visit" and cut.match == "担当者が交代"
    assert cut.before.endswith("先方の") and cut.after.startswith("しました")


def test_two_character_words_and_kana_forms(db, team, rep, add_customer, make_visit, make_followup):
    """Two-character words use the pair index; katakana, half-width kana and hiragana are one form."""
    a = add_customer(name="居酒屋 さくら")
    b = add_customer(name="内科 たなか")
    make_visit(rep=rep, customer=a, needs="サンプルを希望")
    make_followup(actor=rep, customer=b, title="交代の挨拶に行く")
    for query in ("さんぷる", "ｻﾝﾌﾟﾙ", "サンプル"):
        page = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text=query))
        assert _names(page) == ["居酒屋 さくら"], query
        assert page.snippets[a.id].match == "サンプル"
    page = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text="交代"))
    assert _names(page) == ["内科 たなか"]
    assert page.snippets[b.id].source == "followup" and page.snippets[b.id].match == "交代"
    # one word in the name, another in a note: still the customer
    page = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text="さくら 希望"))
    assert _names(page) == ["居酒屋 さくら"]


def test_contacts_are_searched_and_edits_reindex(db, team, rep, add_customer):
    customer = add_customer(name="B商店")
    contact = saved(db, Contact(customer_id=customer.id, name="山田 花子", hobbies="釣り"))
    page = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text="山田"))
    assert _names(page) == ["B商店"] and page.snippets[customer.id].source == "contact"
    contact.hobbies = "ゴルフ"
    saved(db, contact)
    assert not search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text="釣り")).total
    assert search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text="ゴルフ")).total == 1
    db.delete(contact)
    db.commit()
    assert not search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text="ゴルフ")).total


def test_another_teams_notes_are_never_found(db, team, rep, add_customer, make_team, make_customer):
    other = make_team()
    theirs = make_customer(team=other, name="よその店")
    saved(db, Visit(customer_id=theirs.id, rep_id=rep.id, heard="担当者が交代"))
    page = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text="担当者が交代"))
    assert page.total == 0


def test_filters_rep_and_no_visit_in_n_days(db, team, rep, make_user, add_customer):
    other_rep = make_user(team=team, name="営業 二郎")
    today = date(2026, 11, 20)
    recent = add_customer(name="最近", last_visit_on=today - timedelta(days=3))
    idle = add_customer(name="ご無沙汰", last_visit_on=today - timedelta(days=70))
    add_customer(name="未訪問", last_visit_on=None)
    theirs = add_customer(name="二郎の客", assigned_rep_id=other_rep.id)
    nobody = add_customer(name="担当なし", assigned_rep_id=None)
    query = SearchQuery.from_args({"rep": str(other_rep.id), "mine": "1"})
    assert query.rep == other_rep.id and not query.mine  # a chosen rep wins over "mine"
    assert _names(search(db, team_id=team.id, user_id=rep.id, query=query)) == [theirs.name]
    assert _names(
        search(db, team_id=team.id, user_id=rep.id, query=SearchQuery.from_args({"rep": "0"}))
    ) == [nobody.name]
    idle_query = SearchQuery.from_args({"idle": "30", "mine": "0"}, default_mine=False)
    found = set(_names(search(db, team_id=team.id, user_id=rep.id, query=idle_query, today=today)))
    assert idle.name in found and "未訪問" in found and recent.name not in found
    assert SearchQuery.from_args({"idle": "-3"}).idle_days is None
    assert SearchQuery.from_args({"rep": "x"}).rep is None
    ids = matching_ids(db, team_id=team.id, user_id=rep.id, query=idle_query, today=today)
    assert idle.id in ids and recent.id not in ids


def test_the_index_is_made_by_the_migrations_on_this_database(engine):
    """Triggers and index exist at head (a later migration that rebuilds a table must keep them)."""
    with engine.connect() as connection:
        if engine.dialect.name == "sqlite":
            names = set(
                connection.execute(
                    text("SELECT name FROM sqlite_master WHERE type IN ('table', 'trigger')")
                ).scalars()
            )
            assert search_index.FTS_TABLE in names
            for source in ("customer", "visit", "followup", "contact"):
                assert {f"{source}_searchdoc_{s}" for s in ("ai", "au", "ad")} <= names
        else:
            for name, column in (
                (search_index.TEAM_BODY_INDEX, "body"),
                (search_index.PAIRS_INDEX, "pairs"),
            ):
                index = connection.execute(
                    text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": name}
                ).scalar_one()
                assert f"(team_id, {column} gin_trgm_ops)" in index
            # The old index over every word, and the team btree, are gone (0012_search_split).
            assert not connection.execute(
                text("SELECT 1 FROM pg_indexes WHERE indexname IN (:a, :b)"),
                {"a": search_index.TRGM_INDEX, "b": search_index.TEAM_INDEX},
            ).all()
            triggers = set(connection.execute(text("SELECT tgname FROM pg_trigger")).scalars())
            assert {
                f"{s}_searchdoc" for s in ("customer", "visit", "followup", "contact")
            } <= triggers


def test_metadata_create_all_gets_the_index_too(tmp_path):
    """A schema made from the models (not the migrations) searches notes as well."""
    from sqlmodel import Session, SQLModel

    from fieldapp.db import make_engine
    from fieldapp.models import Customer, Team, User

    engine = make_engine(f"sqlite:///{tmp_path / 'meta.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    with Session(engine) as session:
        team = saved(session, Team(name="T"))
        user = saved(session, User(team_id=team.id, email="a@b.c", name="A", password_hash="x"))
        customer = saved(session, Customer(team_id=team.id, name="X", search_text="x"))
        saved(session, Visit(customer_id=customer.id, rep_id=user.id, heard="冷蔵庫の入れ替え"))
        page = search(session, team_id=team.id, user_id=user.id, query=SearchQuery(text="冷蔵庫"))
        assert [c.id for c in page.customers] == [customer.id]
    engine.dispose()


def test_a_rebuild_gives_every_customer_its_own_document(db, team, rep, add_customer, make_visit):
    """The bulk path (triggers off, documents built once) finds the same customers as the triggers."""
    a = add_customer(name="居酒屋 さくら")
    b = add_customer(name="内科 たなか")
    make_visit(rep=rep, customer=b, heard="冷蔵庫の入れ替え")
    before = db.exec(text("SELECT customer_id, body FROM searchdoc ORDER BY customer_id")).all()
    with search_index.suspended(db.connection()):
        db.add(Visit(customer_id=a.id, rep_id=rep.id, heard="新メニューの相談"))
        db.flush()
    db.commit()
    after = dict(db.exec(text("SELECT customer_id, body FROM searchdoc")).all())
    assert after[b.id] == dict(before)[b.id]
    assert "さくら" in after[a.id] and "たなか" not in after[a.id]
    for word, name in (("新メニュー", a.name), ("冷蔵庫", b.name), ("さくら", a.name)):
        page = search(db, team_id=team.id, user_id=rep.id, query=SearchQuery(text=word))
        assert _names(page) == [name], word


def test_the_list_shows_where_a_word_was_found(client, login_as, rep, add_customer, make_visit):
    customer = add_customer(name="そば処 まつや")
    make_visit(rep=rep, customer=customer, heard="担当者が交代しました")
    login_as(rep)
    html = client.get("/customers/?q=交代&mine=0").get_data(as_text=True)
    assert "そば処 まつや" in html
    assert "担当者が<mark>交代</mark>しました" in html and "訪問メモ" in html


def test_the_demo_data_is_searchable(db):
    """The demo loads in bulk with the triggers paused; its documents are built once at the end."""
    from fieldapp import demo

    demo.generate(db, customers=40, reps=2, managers=1, teams=1, seed=3, today=date(2026, 11, 20))
    db.commit()
    visit = db.exec(select(Visit).where(col(Visit.heard).is_not(None))).first()
    word = visit.heard.split("。")[0][:4]
    customer = db.get(Customer, visit.customer_id)
    ids = matching_ids(
        db,
        team_id=customer.team_id,
        user_id=visit.rep_id,
        query=SearchQuery(text=word),
        today=date(2026, 11, 20),
    )
    assert customer.id in ids


def test_near_me_with_words_is_nearest_first(db, team, rep, add_customer, make_visit):
    point = (35.68, 139.76)
    far = add_customer(name="遠い店", lat=35.70, lon=139.80)
    near = add_customer(name="近い店", lat=35.681, lon=139.761)
    nowhere = add_customer(name="場所なし", lat=None, lon=None, notes=None)
    add_customer(name="記録なし", lat=35.6801, lon=139.7601)
    for customer in (far, near, nowhere):
        make_visit(rep=rep, customer=customer, heard="値下げ提案あり")
    query = SearchQuery(text="値下げ提案", near=True, lat=point[0], lon=point[1])
    page = search(db, team_id=team.id, user_id=rep.id, query=query)
    assert _names(page) == ["近い店", "遠い店"] and page.total == 2
    assert page.without_location == 1  # a match without a position is counted, not shown
    # the same answer through the one ordered question that filters take
    filtered = search(db, team_id=team.id, user_id=rep.id, query=replace(query, rep=rep.id))
    assert _names(filtered) == _names(page) and filtered.total == page.total
    assert filtered.without_location == 1
    assert page.distances[near.id] < 0.2 < page.distances[far.id]
    strict = search(db, team_id=team.id, user_id=rep.id, query=replace(query, km=1.0))
    assert _names(strict) == ["近い店"] and strict.total == 1


def test_words_alone_page_in_reading_order_with_the_whole_total(
    db, team, rep, add_customer, make_visit, make_team, make_customer
):
    """The search box alone asks for the page and the total apart: every page in kana order, no
    customer twice or missed, the total counting every match of the team (not the other team's)."""
    kana = "あいうえおかきくけこさしすせそたちつてとなにぬねのはひふへほまみむめもやゆよらりるれろ"
    matching = []
    for i in range(60):
        customer = add_customer(name=f"店{i:02d}", kana=kana[i // 10] + kana[i % 10])
        if i % 3:  # two in three have the note
            make_visit(rep=rep, customer=customer, heard="新商品のサンプルをお渡し")
            matching.append(customer.name)
    stranger = make_customer(team=make_team(), name="他社の店", kana="ああ")
    saved(db, Visit(customer_id=stranger.id, rep_id=rep.id, heard="新商品のサンプル"))
    query = SearchQuery(text="サンプル")
    first = search(db, team_id=team.id, user_id=rep.id, query=query)
    second = search(db, team_id=team.id, user_id=rep.id, query=replace(query, page=2))
    assert first.total == second.total == len(matching) == 40
    assert len(first.customers) == 25
    assert _names(first) + _names(second) == matching  # the names follow the kana order
    # the same answer as with a filter that keeps everyone (the combined, windowed query)
    filtered = search(db, team_id=team.id, user_id=rep.id, query=replace(query, rep=rep.id))
    assert _names(filtered) == _names(first) and filtered.total == first.total
    past = search(db, team_id=team.id, user_id=rep.id, query=replace(query, page=3))
    assert past.customers == [] and past.total == 40
