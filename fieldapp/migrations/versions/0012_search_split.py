"""search split: on PostgreSQL the customer's search document keeps each word once, two-character words apart

Revision ID: 0012_search_split
Revises: 0011_api_tokens

`searchdoc` gets a `pairs` column. On PostgreSQL the triggers now write `body` as the document's distinct
words but the two-character ones and `pairs` as its distinct two-character words, each with its own
pg_trgm GIN index that also holds the team (btree_gin, created if missing: a trusted extension) in place
of the team btree and the old body index; every document is rebuilt. The text a common word is checked against is then about
five times shorter (see fieldapp/search_index.py). SQLite keeps its FTS5 index over the whole `body` and
leaves `pairs` empty.
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

from fieldapp import search_index

revision: str = "0012_search_split"
down_revision: str | None = "0011_api_tokens"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no batch copy of the table, which would lose SQLite's FTS triggers on it).
    op.add_column(
        "searchdoc", sa.Column("pairs", sqlmodel.sql.sqltypes.AutoString(), nullable=True)
    )
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        search_index.create(connection)


def downgrade() -> None:
    connection = op.get_bind()
    if connection.dialect.name == "postgresql":
        op.execute(f"DROP INDEX IF EXISTS {search_index.PAIRS_INDEX}")
        op.execute(f"DROP INDEX IF EXISTS {search_index.TEAM_BODY_INDEX}")
        search_index.create(connection, fill=False, split=False)
        op.execute("DROP FUNCTION IF EXISTS searchdoc_split(text)")
    op.drop_column("searchdoc", "pairs")
    if connection.dialect.name == "postgresql":
        search_index.rebuild(connection, split=False)
