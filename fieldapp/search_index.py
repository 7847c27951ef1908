"""The full-text index of the team-wide search: customers, visit notes, follow-ups and contacts.

Every searchable table keeps a `search_text` column: its words normalised once in Python (NFKC, kana folded
to hiragana, lower case, phone digits also without hyphens — `services.text`), because no database can
fold Japanese kana in SQL. Mapper events fill the column on every ORM insert and update, so code that
writes visits, follow-ups or contacts needs nothing extra; core INSERTs (the demo's bulk loader) call
`with_search_text`, and core UPDATEs of these columns set it themselves.

Triggers on those four tables keep one document per customer (`searchdoc`: its record's words, then
its notes', follow-ups' and contacts'), so a search asks one indexed question, not one per table, and
a word found in a note and another in the name still find the customer. The index is the database's own:
- SQLite: an FTS5 table with the trigram tokenizer over searchdoc.body (external content: no copy);
- PostgreSQL: pg_trgm GIN indexes; LIKE '%term%' uses them. The document is split in two short columns
  (since migration 0012_search_split): `body` holds each distinct word once, except two-character ones, and
  `pairs` each distinct two-character word (" xy ", the pair words of `services.text.pair_term`). A query
  word has no space, so it is in the document exactly when it is in one of its words: the split and the
  deduplication find the same customers, while the text rechecked for a common word is about five times
  shorter and narrow enough for ANALYZE to sample (it skips values over 1 kB), so the planner can tell a
  common word from a rare one. Both GIN indexes lead with the team (btree_gin): the index answers with
  one team's documents holding the word's trigrams, and only those are checked.

Both are created by migration 0008_search_handover and, for schemas made from the metadata instead
(`SQLModel.metadata.create_all`), by an `after_create` hook on the metadata, from the same statements.

Models must not import services, and services must not need to remember the index: this module sits
between the two and is imported by `fieldapp.db`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlmodel import SQLModel

from .models import Contact, FollowUp, Visit
from .services.text import customer_search_text

# Fields whose words are searchable, per model. Customer's own search_text is built by the customers
# service (name, reading, phone, address, postal code, tags) and is indexed as it is.
TEXT_FIELDS: dict[type, tuple[str, ...]] = {
    Visit: ("heard", "needs", "changes", "proposals", "next_action"),
    FollowUp: ("title", "result"),
    Contact: ("name", "kana", "role", "phone", "email", "hobbies", "personal_notes"),
}


def text_for(model: type, values: Mapping[str, Any] | Any) -> str | None:
    """The normalised search text of a row (an object or a dict of column values); None when empty."""
    get = values.get if isinstance(values, Mapping) else lambda name: getattr(values, name, None)
    return customer_search_text(*(get(name) for name in TEXT_FIELDS[model])) or None


def with_search_text(model: type, rows: Sequence[dict[str, Any]]) -> Sequence[dict[str, Any]]:
    """Rows for a core INSERT with their search_text filled (rows of other models pass unchanged)."""
    if model not in TEXT_FIELDS:
        return rows
    return [{**row, "search_text": text_for(model, row)} for row in rows]


def _fill(_mapper: Any, _connection: Any, target: Any) -> None:
    target.search_text = text_for(type(target), target)


for _model in TEXT_FIELDS:
    event.listen(_model, "before_insert", _fill)
    event.listen(_model, "before_update", _fill)


# --- the index itself (DDL) ---------------------------------------------------------------------------

DOC_TABLE = "searchdoc"
FTS_TABLE = "searchdoc_fts"  # SQLite
TRGM_INDEX = "ix_searchdoc_body_trgm"  # PostgreSQL until 0012_search_split
# PostgreSQL since 0012_search_split: per team (btree_gin), so the index answers for one team's documents.
TEAM_BODY_INDEX = "ix_searchdoc_team_body_trgm"
PAIRS_INDEX = "ix_searchdoc_team_pairs_trgm"
TEAM_INDEX = "ix_searchdoc_team_id"  # btree: SQLite, and PostgreSQL until 0012_search_split
CHILD_SOURCES = ("visit", "followup", "contact")


def _body_sql(customer_id: str, concat: str) -> str:
    """SQL for a customer's document: its own search text, then its notes', follow-ups' and contacts'."""
    parts = [f"(SELECT search_text FROM customer WHERE id = {customer_id})"] + [
        f"(SELECT {concat}(search_text, ' ') FROM {source} WHERE customer_id = {customer_id})"
        for source in CHILD_SOURCES
    ]
    if concat == "group_concat":  # SQLite
        return " || ' ' || ".join(f"coalesce({part}, '')" for part in parts)
    return "concat_ws(' ', " + ", ".join(parts) + ")"


def sqlite_statements() -> list[str]:
    """FTS5 trigram table over searchdoc.body (external content), and the triggers that keep both."""
    add = f"INSERT INTO {FTS_TABLE}(rowid, body) VALUES (new.customer_id, new.body);"
    remove = (
        f"INSERT INTO {FTS_TABLE}({FTS_TABLE}, rowid, body) "
        "VALUES ('delete', old.customer_id, old.body);"
    )

    def refresh(customer_id: str) -> str:
        return (
            f"UPDATE {DOC_TABLE} SET body = {_body_sql(customer_id, 'group_concat')} "
            f"WHERE customer_id = {customer_id};"
        )

    statements = [
        f"CREATE INDEX IF NOT EXISTS {TEAM_INDEX} ON {DOC_TABLE} (team_id)",
        f"CREATE VIRTUAL TABLE IF NOT EXISTS {FTS_TABLE} USING fts5(body, content='{DOC_TABLE}', "
        "content_rowid='customer_id', tokenize='trigram')",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ai AFTER INSERT ON {DOC_TABLE} BEGIN {add} END",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_ad AFTER DELETE ON {DOC_TABLE} BEGIN {remove} END",
        f"CREATE TRIGGER IF NOT EXISTS {FTS_TABLE}_au AFTER UPDATE OF body ON {DOC_TABLE} "
        f"BEGIN {remove} {add} END",
        "CREATE TRIGGER IF NOT EXISTS customer_searchdoc_ai AFTER INSERT ON customer BEGIN "
        f"INSERT INTO {DOC_TABLE}(customer_id, team_id, body) "
        "VALUES (new.id, new.team_id, coalesce(new.search_text, '')); END",
        "CREATE TRIGGER IF NOT EXISTS customer_searchdoc_au AFTER UPDATE OF search_text ON customer "
        f"BEGIN {refresh('new.id')} END",
        "CREATE TRIGGER IF NOT EXISTS customer_searchdoc_ad AFTER DELETE ON customer BEGIN "
        f"DELETE FROM {DOC_TABLE} WHERE customer_id = old.id; END",
    ]
    for source in CHILD_SOURCES:
        statements += [
            f"CREATE TRIGGER IF NOT EXISTS {source}_searchdoc_ai AFTER INSERT ON {source} "
            f"BEGIN {refresh('new.customer_id')} END",
            f"CREATE TRIGGER IF NOT EXISTS {source}_searchdoc_au "
            f"AFTER UPDATE OF search_text, customer_id ON {source} "
            f"BEGIN {refresh('old.customer_id')} {refresh('new.customer_id')} END",
            f"CREATE TRIGGER IF NOT EXISTS {source}_searchdoc_ad AFTER DELETE ON {source} "
            f"BEGIN {refresh('old.customer_id')} END",
        ]
    return statements


# PostgreSQL: a customer's words (split on spaces) → (body: distinct words but two-character ones,
# pairs: the distinct two-character words, between spaces).
SPLIT_FUNCTION = (
    "CREATE OR REPLACE FUNCTION searchdoc_split(doc text, OUT body text, OUT pairs text) AS $$ "
    "SELECT coalesce(string_agg(DISTINCT w, ' ') FILTER (WHERE char_length(w) <> 2), ''), "
    "coalesce(' ' || string_agg(DISTINCT w, ' ') FILTER (WHERE char_length(w) = 2) || ' ', '') "
    "FROM string_to_table(doc, ' ') AS w WHERE w <> '' $$ LANGUAGE sql IMMUTABLE"
)


def postgresql_statements(*, split: bool = True) -> list[str]:
    """pg_trgm GIN indexes over searchdoc, and the trigger functions that keep the documents.

    `split=False` gives the statements as they were at migration 0008 (one `body` with every word)."""
    doc = _body_sql("cid", "string_agg")
    if split:
        refresh = (
            f"UPDATE {DOC_TABLE} SET (body, pairs) = (SELECT s.body, s.pairs FROM searchdoc_split({doc}) s) "
            "WHERE customer_id = cid; "
        )
        insert = (
            f"INSERT INTO {DOC_TABLE}(customer_id, team_id, body, pairs) SELECT NEW.id, NEW.team_id, "
            "s.body, s.pairs FROM searchdoc_split(coalesce(NEW.search_text, '')) s; "
        )
    else:
        refresh = f"UPDATE {DOC_TABLE} SET body = {doc} WHERE customer_id = cid; "
        insert = (
            f"INSERT INTO {DOC_TABLE}(customer_id, team_id, body) "
            "VALUES (NEW.id, NEW.team_id, coalesce(NEW.search_text, '')); "
        )
    if split:
        # The team's key inside the trigram indexes: the index finds one team's documents holding the
        # word's trigrams, and only those are checked. (A btree on team_id beside them tempts the planner
        # into checking every document of the team, which it costs as cheap as a key comparison.)
        indexes = [
            "CREATE EXTENSION IF NOT EXISTS btree_gin",
            f"CREATE INDEX IF NOT EXISTS {TEAM_BODY_INDEX} ON {DOC_TABLE} "
            "USING gin (team_id, body gin_trgm_ops)",
            f"CREATE INDEX IF NOT EXISTS {PAIRS_INDEX} ON {DOC_TABLE} "
            "USING gin (team_id, pairs gin_trgm_ops)",
            f"DROP INDEX IF EXISTS {TRGM_INDEX}",
            f"DROP INDEX IF EXISTS {TEAM_INDEX}",
            SPLIT_FUNCTION,
        ]
    else:
        indexes = [
            f"CREATE INDEX IF NOT EXISTS {TRGM_INDEX} ON {DOC_TABLE} USING gin (body gin_trgm_ops)",
            f"CREATE INDEX IF NOT EXISTS {TEAM_INDEX} ON {DOC_TABLE} (team_id)",
        ]
    return [
        "CREATE EXTENSION IF NOT EXISTS pg_trgm",
        *indexes,
        "CREATE OR REPLACE FUNCTION searchdoc_refresh(cid integer) RETURNS void AS $$ BEGIN "
        f"{refresh}END $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE FUNCTION searchdoc_customer() RETURNS trigger AS $$ BEGIN "
        f"IF TG_OP = 'INSERT' THEN {insert}"
        "ELSIF TG_OP = 'UPDATE' THEN PERFORM searchdoc_refresh(NEW.id); "
        f"ELSE DELETE FROM {DOC_TABLE} WHERE customer_id = OLD.id; END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        "CREATE OR REPLACE FUNCTION searchdoc_child() RETURNS trigger AS $$ BEGIN "
        "IF TG_OP IN ('UPDATE', 'DELETE') THEN PERFORM searchdoc_refresh(OLD.customer_id); END IF; "
        "IF TG_OP IN ('INSERT', 'UPDATE') THEN PERFORM searchdoc_refresh(NEW.customer_id); END IF; "
        "RETURN NULL; END $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS customer_searchdoc ON customer",
        "CREATE TRIGGER customer_searchdoc AFTER INSERT OR UPDATE OF search_text OR DELETE "
        "ON customer FOR EACH ROW EXECUTE FUNCTION searchdoc_customer()",
    ] + [
        statement
        for source in CHILD_SOURCES
        for statement in (
            f"DROP TRIGGER IF EXISTS {source}_searchdoc ON {source}",
            f"CREATE TRIGGER {source}_searchdoc AFTER INSERT OR UPDATE OF search_text, customer_id "
            f"OR DELETE ON {source} FOR EACH ROW EXECUTE FUNCTION searchdoc_child()",
        )
    ]


def fill_statements(dialect: str, *, split: bool = True) -> list[str]:
    """Build every customer's document from scratch (after a migration or a bulk load)."""
    concat = "group_concat" if dialect == "sqlite" else "string_agg"
    # The outer customer is aliased: inside the body's own "FROM customer", `customer.id` would be
    # that inner row, and every document would get the first customer's text.
    doc = _body_sql("outer_c.id", concat)
    if dialect == "postgresql" and split:
        fill = (
            f"INSERT INTO {DOC_TABLE}(customer_id, team_id, body, pairs) "
            "SELECT outer_c.id, outer_c.team_id, s.body, s.pairs "
            f"FROM customer AS outer_c CROSS JOIN LATERAL searchdoc_split({doc}) AS s"
        )
    else:
        fill = (
            f"INSERT INTO {DOC_TABLE}(customer_id, team_id, body) "
            f"SELECT outer_c.id, outer_c.team_id, {doc} FROM customer AS outer_c"
        )
    statements = [f"DELETE FROM {DOC_TABLE}", fill]
    if dialect == "sqlite":
        statements.append(f"INSERT INTO {FTS_TABLE}({FTS_TABLE}) VALUES ('rebuild')")
    if dialect == "postgresql":
        statements.append(f"ANALYZE {DOC_TABLE}")  # the planner's estimates of a word's frequency
    return statements


def statements(dialect: str, *, split: bool = True) -> list[str]:
    if dialect == "sqlite":
        return sqlite_statements()
    if dialect == "postgresql":
        return postgresql_statements(split=split)
    return []


def drop_statements(dialect: str) -> list[str]:
    if dialect == "sqlite":
        names = [f"{FTS_TABLE}_{s}" for s in ("ai", "ad", "au")] + [
            f"{source}_searchdoc_{s}"
            for source in ("customer",) + CHILD_SOURCES
            for s in ("ai", "au", "ad")
        ]
        return [f"DROP TRIGGER IF EXISTS {name}" for name in names] + [
            f"DROP TABLE IF EXISTS {FTS_TABLE}"
        ]
    if dialect == "postgresql":
        return [
            f"DROP TRIGGER IF EXISTS {source}_searchdoc ON {source}"
            for source in ("customer",) + CHILD_SOURCES
        ] + [
            "DROP FUNCTION IF EXISTS searchdoc_child()",
            "DROP FUNCTION IF EXISTS searchdoc_customer()",
            "DROP FUNCTION IF EXISTS searchdoc_refresh(integer)",
            "DROP FUNCTION IF EXISTS searchdoc_split(text)",
            f"DROP INDEX IF EXISTS {PAIRS_INDEX}",
            f"DROP INDEX IF EXISTS {TEAM_BODY_INDEX}",
            f"DROP INDEX IF EXISTS {TRGM_INDEX}",
        ]
    return []


def create(connection: sa.Connection, *, fill: bool = True, split: bool = True) -> None:
    """Create the index and its triggers on this connection's database (idempotent); fill it.
    `split=False`: as at migration 0008, before searchdoc had its `pairs` column."""
    dialect = connection.dialect.name
    for statement in statements(dialect, split=split):
        connection.exec_driver_sql(statement)
    if fill:
        for statement in fill_statements(dialect, split=split):
            connection.exec_driver_sql(statement)


def rebuild(connection: sa.Connection, *, split: bool = True) -> None:
    """Rebuild every document (after rows were written with the triggers bypassed)."""
    for statement in fill_statements(connection.dialect.name, split=split):
        connection.exec_driver_sql(statement)


def _doc_trigger_drops(dialect: str) -> list[str]:
    """The triggers that keep the documents (not the FTS table's own)."""
    sources = ("customer",) + CHILD_SOURCES
    if dialect == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS {source}_searchdoc_{s}"
            for source in sources
            for s in ("ai", "au", "ad")
        ]
    if dialect == "postgresql":
        return [f"DROP TRIGGER IF EXISTS {source}_searchdoc ON {source}" for source in sources]
    return []


def pause(connection: sa.Connection) -> None:
    """Bulk loads: the per-row document triggers off (each would rebuild its customer's document)."""
    for statement in _doc_trigger_drops(connection.dialect.name):
        connection.exec_driver_sql(statement)


def resume(connection: sa.Connection) -> None:
    """After a bulk load: the triggers back, and every document built once."""
    create(connection)


@contextmanager
def suspended(connection: sa.Connection) -> Iterator[None]:
    """pause() … resume() around a bulk load."""
    pause(connection)
    try:
        yield
    finally:
        resume(connection)


def is_index_object(name: str | None, type_: str) -> bool:
    """Objects of this index that the models do not describe (autogenerate and the schema check skip them)."""
    if not name:
        return False
    if type_ == "table":
        return name == FTS_TABLE or name.startswith(FTS_TABLE + "_")
    if type_ == "index":
        # The team btree is the index's too since 0012 (SQLite keeps it, PostgreSQL's GIN indexes hold it).
        return name in (TRGM_INDEX, TEAM_BODY_INDEX, PAIRS_INDEX, TEAM_INDEX)
    return False


def _after_create(metadata: sa.MetaData, connection: sa.Connection, **_kw: Any) -> None:
    if DOC_TABLE in metadata.tables:
        create(connection)


event.listen(SQLModel.metadata, "after_create", _after_create)
