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
down_revision: str | None = "0002_reason_codes"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    def string(name: str, length: int | None = None, nullable: bool = False) -> sa.Column:
        return sa.Column(name, sqlmodel.sql.sqltypes.AutoString(length=length), nullable=nullable)

    counts = ("workers", "reps", "planned", "kept", "failed", "visits", "dropped")
    seconds = ("wall_seconds", "rep_seconds_median", "rep_seconds_p95", "rep_seconds_max")
    op.create_table(
        "planrun",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", fieldapp.models.UTCDateTime(), nullable=False),
        sa.Column("finished_at", fieldapp.models.UTCDateTime(), nullable=True),
        string("started_by", 120),
        sa.Column("plan_date", sa.Date(), nullable=False),
        string("mode", 16),
        *(sa.Column(name, sa.Integer(), nullable=False) for name in counts),
        string("team_ids"),
        *(sa.Column(name, sa.Float(), nullable=True) for name in seconds),
        string("kept_reasons", nullable=True),
        string("failures", nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )


def downgrade() -> None:
    op.drop_table("planrun")
