"""sessions and passwords: a per-user session version, a forced password change, the last sign-in

Revision ID: 0010_sessions_passwords
Revises: 0009_report_review
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import fieldapp.models

revision: str = "0010_sessions_passwords"
# The lead re-chains this when the branches are merged (0004_catalog is the head on this branch).
down_revision: str | None = "0009_report_review"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(
            sa.Column("session_version", sa.Integer(), nullable=False, server_default="1")
        )
        batch.add_column(
            sa.Column(
                "must_change_password", sa.Boolean(), nullable=False, server_default=sa.false()
            )
        )
        batch.add_column(
            sa.Column("last_login_at", fieldapp.models.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        batch.drop_column("last_login_at")
        batch.drop_column("must_change_password")
        batch.drop_column("session_version")
