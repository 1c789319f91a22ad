"""intercompany orders (B31): a flag on each order and a legal-entity parameter

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("legal_entities") as batch:
        batch.add_column(
            sa.Column(
                "exclude_intercompany_orders",
                sa.Boolean(),
                nullable=False,
                server_default=sa.true(),
            )
        )
    with op.batch_alter_table("sales_orders") as batch:
        batch.add_column(
            sa.Column("intercompany", sa.Boolean(), nullable=False, server_default=sa.false())
        )


def downgrade() -> None:
    with op.batch_alter_table("sales_orders") as batch:
        batch.drop_column("intercompany")
    with op.batch_alter_table("legal_entities") as batch:
        batch.drop_column("exclude_intercompany_orders")
