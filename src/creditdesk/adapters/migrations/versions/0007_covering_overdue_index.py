"""the open-invoices-by-due-date index covers the credit check's overdue query

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_OPEN = sa.text("open_minor <> 0")


def _index(columns: list[str]) -> None:
    op.create_index(
        "ix_invoices_open_by_due",
        "invoices",
        columns,
        unique=False,
        sqlite_where=_OPEN,
        postgresql_where=_OPEN,
    )


def upgrade() -> None:
    op.drop_index("ix_invoices_open_by_due", table_name="invoices")
    _index(["customer_id", "due_date", "currency", "open_minor"])


def downgrade() -> None:
    op.drop_index("ix_invoices_open_by_due", table_name="invoices")
    _index(["customer_id", "due_date"])
