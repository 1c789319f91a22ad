"""approval workflows; the audit trail made append-only in the database

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

_PG_FUNCTION = """
CREATE OR REPLACE FUNCTION creditdesk_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is append-only: rows are never changed or removed', TG_TABLE_NAME
        USING ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql
"""


def upgrade() -> None:
    op.create_table(
        "workflow_definitions",
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("completion", sa.String(length=40), nullable=True),
        sa.Column("criteria", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("legal_entity", "kind", name=op.f("pk_workflow_definitions")),
    )
    op.create_table(
        "workflow_items",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("details", sa.JSON(), nullable=False),
        sa.Column("submitted_by", sa.String(length=120), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("steps", sa.JSON(), nullable=False),
        sa.Column("completion", sa.String(length=40), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=True),
        sa.Column("amount_currency", sa.String(length=3), nullable=True),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("approvals", sa.JSON(), nullable=False),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.String(length=120), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_workflow_items")),
    )
    with op.batch_alter_table("workflow_items", schema=None) as batch_op:
        batch_op.create_index(
            "ix_workflow_items_status", ["status", "legal_entity", "id"], unique=False
        )
        batch_op.create_index("ix_workflow_items_subject", ["kind", "subject"], unique=False)

    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for event in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_events_append_only_{event.lower()} "
                f"BEFORE {event} ON audit_events BEGIN "
                "SELECT RAISE(ABORT, 'audit_events is append-only: rows are never changed "
                "or removed'); END"
            )
    elif dialect == "postgresql":
        op.execute(_PG_FUNCTION)
        op.execute(
            "CREATE TRIGGER audit_events_append_only BEFORE UPDATE OR DELETE ON audit_events "
            "FOR EACH ROW EXECUTE FUNCTION creditdesk_append_only()"
        )


def downgrade() -> None:
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only_update")
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only_delete")
    elif dialect == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_events_append_only ON audit_events")
        op.execute("DROP FUNCTION IF EXISTS creditdesk_append_only()")
    with op.batch_alter_table("workflow_items", schema=None) as batch_op:
        batch_op.drop_index("ix_workflow_items_subject")
        batch_op.drop_index("ix_workflow_items_status")
    op.drop_table("workflow_items")
    op.drop_table("workflow_definitions")
