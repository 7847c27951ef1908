"""plan runs: one row per `fieldapp plans generate`

Revision ID: 0003_plan_runs
Revises: 0001
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import fieldapp.models

revision: str = "0003_plan_runs"
# The lead re-chains this after 0002_reason_codes when the branches are merged.
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "planrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", fieldapp.models.UTCDateTime(), nullable=False),
        sa.Column("finished_at", fieldapp.models.UTCDateTime(), nullable=True),
        sa.Column("started_by", sqlmodel.sql.sqltypes.AutoString(length=120), nullable=False),
        sa.Column("plan_date", sa.Date(), nullable=False),
        sa.Column("mode", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("workers", sa.Integer(), nullable=False),
        sa.Column("team_ids", sqlmodel.sql.sqltypes.AutoString(), nullable=False),
        sa.Column("reps", sa.Integer(), nullable=False),
        sa.Column("planned", sa.Integer(), nullable=False),
        sa.Column("kept", sa.Integer(), nullable=False),
        sa.Column("failed", sa.Integer(), nullable=False),
        sa.Column("visits", sa.Integer(), nullable=False),
        sa.Column("dropped", sa.Integer(), nullable=False),
        sa.Column("wall_seconds", sa.Float(), nullable=True),
        sa.Column("rep_seconds_median", sa.Float(), nullable=True),
        sa.Column("rep_seconds_p95", sa.Float(), nullable=True),
        sa.Column("rep_seconds_max", sa.Float(), nullable=True),
        sa.Column("kept_reasons", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.Column("failures", sqlmodel.sql.sqltypes.AutoString(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("planrun")
