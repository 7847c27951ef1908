"""prompt feedback: what the rep did with each prompt at a visit; an order-history index for the prompts

Revision ID: 0007_prompt_feedback
Revises: 0006_week_plans
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

import fieldapp.models

revision: str = "0007_prompt_feedback"
down_revision: str | None = "0006_week_plans"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "promptfeedback",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("visit_id", sa.Integer(), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("rep_id", sa.Integer(), nullable=False),
        sa.Column("kind", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("code", sqlmodel.sql.sqltypes.AutoString(length=32), nullable=False),
        sa.Column("product_id", sa.Integer(), nullable=True),
        sa.Column("response", sqlmodel.sql.sqltypes.AutoString(length=16), nullable=False),
        sa.Column("value_yen", sa.Integer(), nullable=False),
        sa.Column("answered_on", sa.Date(), nullable=False),
        sa.Column("created_at", fieldapp.models.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["customer_id"], ["customer.id"]),
        sa.ForeignKeyConstraint(["product_id"], ["product.id"]),
        sa.ForeignKeyConstraint(["rep_id"], ["app_user.id"]),
        sa.ForeignKeyConstraint(["visit_id"], ["visit.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("visit_id", "kind", "product_id", "code"),
    )
    op.create_index("ix_promptfeedback_visit_id", "promptfeedback", ["visit_id"])
    op.create_index("ix_promptfeedback_customer_id", "promptfeedback", ["customer_id"])
    op.create_index("ix_promptfeedback_rep_id", "promptfeedback", ["rep_id"])
    # the prompt engine reads a customer's order days per product from this index alone
    op.create_index(
        "ix_orderline_customer_product_day",
        "orderline",
        ["customer_id", "product_id", "ordered_on", "quantity", "unit_price"],
    )


def downgrade() -> None:
    op.drop_index("ix_orderline_customer_product_day", table_name="orderline")
    op.drop_index("ix_promptfeedback_rep_id", table_name="promptfeedback")
    op.drop_index("ix_promptfeedback_customer_id", table_name="promptfeedback")
    op.drop_index("ix_promptfeedback_visit_id", table_name="promptfeedback")
    op.drop_table("promptfeedback")
