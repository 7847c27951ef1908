"""week drafts: a rep's planned week between "Plan my week" and "Accept the week"

Revision ID: 0006_week_plans
Revises: 0010_sessions_passwords
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import fieldapp.models

revision: str = "0006_week_plans"
# 0004_catalog is already on this branch; the lead re-chains this when the branches are merged.
down_revision: str | None = "0010_sessions_passwords"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "weekdraft",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("start_date", sa.Date(), nullable=False),
        sa.Column("body", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("generated_at", fieldapp.models.UTCDateTime(), nullable=True),
        sa.Column("accepted_at", fieldapp.models.UTCDateTime(), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["rep_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rep_id", "start_date"),
    )
    op.create_index(op.f("ix_weekdraft_rep_id"), "weekdraft", ["rep_id"], unique=False)


def downgrade() -> None:
    op.drop_index(op.f("ix_weekdraft_rep_id"), table_name="weekdraft")
    op.drop_table("weekdraft")
