"""insights token: each customer's prompts are cached under a token its changes renew

Revision ID: 0013_insights_token
Revises: 0012_search_split
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0013_insights_token"
down_revision: str | None = "0012_search_split"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # A plain ADD COLUMN (no table rebuild on SQLite: the search triggers on customer stay). Existing
    # customers start with "", which no new customer gets: their first change gives them a token.
    op.add_column(
        "customer",
        sa.Column(
            "insights_token",
            sqlmodel.sql.sqltypes.AutoString(length=16),
            nullable=False,
            server_default="",
        ),
    )


def downgrade() -> None:
    # SQLite drops a column in place since 3.35 (a batch rebuild would lose the search triggers).
    op.execute("ALTER TABLE customer DROP COLUMN insights_token")
