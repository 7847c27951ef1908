"""search and handover: searchable text of notes, follow-ups and contacts, the full-text index, handover notes

Revision ID: 0008_search_handover
Revises: 0007_prompt_feedback

Visits, follow-ups and contacts get a `search_text` column (their words normalised as the customer's
already are), filled here for existing rows. `searchdoc` holds one document per customer, kept by
triggers; its full-text index is dialect-specific (see fieldapp/search_index.py): SQLite FTS5 with the
trigram tokenizer, PostgreSQL pg_trgm GIN (the extension is created if missing, which needs the right
to create it). `handovernote` keeps the note a handover carries to the new rep.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import fieldapp.models
from fieldapp import search_index
from fieldapp.services.text import customer_search_text

revision: str = "0008_search_handover"
down_revision: str | None = "0007_prompt_feedback"  # one head on this branch; the lead re-chains
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The fields each table's search text is made of, as they are at this revision.
FIELDS = {
    "visit": ("heard", "needs", "changes", "proposals", "next_action"),
    "followup": ("title", "result"),
    "contact": ("name", "kana", "role", "phone", "email", "hobbies", "personal_notes"),
}
BATCH = 2000


def _backfill(connection: sa.Connection, table_name: str, fields: tuple[str, ...]) -> None:
    table = sa.table(table_name, sa.column("id"), sa.column("search_text"), *map(sa.column, fields))
    rows = connection.execute(sa.select(table.c.id, *(table.c[f] for f in fields))).all()
    updates = []
    for row in rows:
        text = customer_search_text(*row[1:])
        if text:
            updates.append({"b_id": row[0], "b_text": text})
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values(search_text=sa.bindparam("b_text"))
    )
    for start in range(0, len(updates), BATCH):
        connection.execute(stmt, updates[start : start + BATCH])


def _customers(connection: sa.Connection) -> None:
    """Customers' search text gains its two-character words (what customers.search_text_for writes now)."""
    fields = ("name", "kana", "phone", "address", "postal_code", "tags")
    table = sa.table("customer", sa.column("id"), sa.column("search_text"), *map(sa.column, fields))
    updates = []
    for row in connection.execute(sa.select(table.c.id, *(table.c[f] for f in fields))):
        tags = (row.tags or "").replace(",", " ").replace("、", " ")
        text = customer_search_text(
            row.name, row.kana, row.phone, row.address, row.postal_code, tags
        )
        updates.append({"b_id": row.id, "b_text": text})
    stmt = (
        sa.update(table)
        .where(table.c.id == sa.bindparam("b_id"))
        .values(search_text=sa.bindparam("b_text"))
    )
    for start in range(0, len(updates), BATCH):
        connection.execute(stmt, updates[start : start + BATCH])


def upgrade() -> None:
    for table_name in FIELDS:
        with op.batch_alter_table(table_name) as batch:
            batch.add_column(
                sa.Column("search_text", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
            )
    op.create_table(
        "handovernote",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("from_rep_id", sa.Integer(), nullable=True),
        sa.Column("to_rep_id", sa.Integer(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", fieldapp.models.UTCDateTime(), nullable=False),
        sa.Column("dismissed_at", fieldapp.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["from_rep_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["to_rep_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_handovernote_customer_id", "handovernote", ["customer_id"])
    op.create_index("ix_handovernote_to_rep_id", "handovernote", ["to_rep_id"])
    op.create_table(
        "searchdoc",
        sa.Column("customer_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("team_id", sa.Integer(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.PrimaryKeyConstraint("customer_id"),
    )
    op.create_index("ix_searchdoc_team_id", "searchdoc", ["team_id"])
    op.create_index("ix_customer_team_kana", "customer", ["team_id", "kana", "name", "id"])
    op.create_index("ix_customer_team_lat", "customer", ["team_id", "lat", "lon"])
    connection = op.get_bind()
    _customers(connection)
    for table_name, fields in FIELDS.items():
        _backfill(connection, table_name, fields)
    # After the backfill: every document is then built once, not row by row by the triggers.
    search_index.create(connection, split=False)  # as it was then (0012 splits the document)


def downgrade() -> None:
    connection = op.get_bind()
    for statement in search_index.drop_statements(connection.dialect.name):
        op.execute(statement)
    op.drop_index("ix_customer_team_lat", table_name="customer")
    op.drop_index("ix_customer_team_kana", table_name="customer")
    op.drop_index("ix_searchdoc_team_id", table_name="searchdoc")
    op.drop_table("searchdoc")
    op.drop_index("ix_handovernote_to_rep_id", table_name="handovernote")
    op.drop_index("ix_handovernote_customer_id", table_name="handovernote")
    op.drop_table("handovernote")
    for table_name in FIELDS:
        with op.batch_alter_table(table_name) as batch:
            batch.drop_column("search_text")
