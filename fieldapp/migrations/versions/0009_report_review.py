"""report review and absences: reviewed reports, comment edits and reads, a rep's days away; a
customer's order days as one index (the dashboard's "at risk" rule)

Revision ID: 0009_report_review
Revises: 0005_rep_settings
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import fieldapp.models

revision: str = "0009_report_review"
# The lead re-chains migrations at merge; this branch already carries 0004_catalog on 0003_plan_runs.
down_revision: str | None = "0005_rep_settings"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("dailyreport") as batch:
        batch.add_column(sa.Column("reviewed_at", fieldapp.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("reviewed_by_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            "fk_dailyreport_reviewed_by_id", "app_user", ["reviewed_by_id"], ["id"]
        )
    with op.batch_alter_table("reportcomment") as batch:
        batch.add_column(sa.Column("updated_at", fieldapp.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("read_at", fieldapp.models.UTCDateTime(), nullable=True))
        batch.add_column(sa.Column("version", sa.Integer(), nullable=False, server_default="1"))
    op.create_table(
        "repabsence",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("absent_on", sa.Date(), nullable=False),
        sa.Column("note", sqlmodel.sql.sqltypes.AutoString(length=300), nullable=True),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", fieldapp.models.UTCDateTime(), nullable=False),
        sa.Column("covered_at", fieldapp.models.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(["created_by_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["rep_id"], ["app_user.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("rep_id", "absent_on"),
    )
    op.create_index(op.f("ix_repabsence_rep_id"), "repabsence", ["rep_id"], unique=False)
    op.create_index(
        "ix_orderline_customer_ordered", "orderline", ["customer_id", "ordered_on"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_orderline_customer_ordered", table_name="orderline")
    op.drop_index(op.f("ix_repabsence_rep_id"), table_name="repabsence")
    op.drop_table("repabsence")
    with op.batch_alter_table("reportcomment") as batch:
        batch.drop_column("version")
        batch.drop_column("read_at")
        batch.drop_column("updated_at")
    with op.batch_alter_table("dailyreport") as batch:
        batch.drop_constraint("fk_dailyreport_reviewed_by_id", type_="foreignkey")
        batch.drop_column("reviewed_by_id")
        batch.drop_column("reviewed_at")
