"""api tokens: personal tokens for the JSON API (/api/v1), stored hashed

Revision ID: 0011_api_tokens
Revises: 0008_search_handover
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import fieldapp.models

revision: str = "0011_api_tokens"
# The lead re-chains this at merge (0004_catalog is already on this branch after 0003_plan_runs).
down_revision: str | None = "0008_search_handover"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    def string(name: str, length: int) -> sa.Column:
        return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=False)

    op.create_table(
        "api_token",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        string("name", 80),
        string("prefix", 16),
        string("token_hash", 64),
        string("scope", 16),
        sa.Column("created_at", fieldapp.models.UTCDateTime(), nullable=False),
        sa.Column("last_used_at", fieldapp.models.UTCDateTime(), nullable=True),
        sa.Column("revoked_at", fieldapp.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index(op.f("ix_api_token_user_id"), "api_token", ["user_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_api_token_user_id"), table_name="api_token")
    op.drop_table("api_token")
