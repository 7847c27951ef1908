"""rep settings: each rep's planning settings (places, weekdays, lunch window, usual visits) and the team office

Revision ID: 0005_rep_settings
Revises: 0004_catalog
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0005_rep_settings"
down_revision: str | None = "0004_catalog"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_TEXT = sqlmodel.sql.sqltypes.AutoString


def upgrade() -> None:
    with op.batch_alter_table("team") as batch:
        batch.add_column(sa.Column("office_label", _TEXT(length=200), nullable=True))
        batch.add_column(sa.Column("office_lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("office_lon", sa.Float(), nullable=True))
    with op.batch_alter_table("app_user") as batch:
        batch.add_column(sa.Column("start_kind", _TEXT(length=8), nullable=True))
        batch.add_column(sa.Column("end_kind", _TEXT(length=8), nullable=True))
        batch.add_column(sa.Column("home_label", _TEXT(length=200), nullable=True))
        batch.add_column(sa.Column("home_lat", sa.Float(), nullable=True))
        batch.add_column(sa.Column("home_lon", sa.Float(), nullable=True))
        batch.add_column(sa.Column("working_weekdays", _TEXT(length=7), nullable=True))
        batch.add_column(sa.Column("lunch_earliest_min", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("lunch_latest_min", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("visits_per_day", sa.Integer(), nullable=True))
        batch.add_column(
            sa.Column("settings_version", sa.Integer(), nullable=False, server_default="0")
        )


def downgrade() -> None:
    with op.batch_alter_table("app_user") as batch:
        for name in (
            "settings_version",
            "visits_per_day",
            "lunch_latest_min",
            "lunch_earliest_min",
            "working_weekdays",
            "home_lon",
            "home_lat",
            "home_label",
            "end_kind",
            "start_kind",
        ):
            batch.drop_column(name)
    with op.batch_alter_table("team") as batch:
        batch.drop_column("office_lon")
        batch.drop_column("office_lat")
        batch.drop_column("office_label")
