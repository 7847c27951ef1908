"""catalog: the product fields a company's own catalog file carries (reading, unit, pack size, successor)

Revision ID: 0004_catalog
Revises: 0003_plan_runs
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0004_catalog"
down_revision: str | None = "0003_plan_runs"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("product") as batch:
        batch.add_column(sa.Column("kana", sqlmodel.sql.sqltypes.AutoString(length=200), nullable=True))
        batch.add_column(sa.Column("unit", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=True))
        batch.add_column(sa.Column("pack_of", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("replaces_id", sa.Integer(), nullable=True))
        batch.create_foreign_key("fk_product_replaces_id", "product", ["replaces_id"], ["id"])


def downgrade() -> None:
    with op.batch_alter_table("product") as batch:
        batch.drop_constraint("fk_product_replaces_id", type_="foreignkey")
        batch.drop_column("replaces_id")
        batch.drop_column("pack_of")
        batch.drop_column("unit")
        batch.drop_column("kana")
