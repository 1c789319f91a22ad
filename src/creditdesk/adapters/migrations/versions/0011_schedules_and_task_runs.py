"""periodic task schedules per legal entity, their recorded runs, and process leases

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

_TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "schedules",
        sa.Column("legal_entity", sa.String(20), nullable=False),
        sa.Column("task", sa.String(40), nullable=False),
        sa.Column("interval_seconds", sa.Integer()),
        sa.Column("cron", sa.String(120)),
        sa.Column("parameters", sa.JSON(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["legal_entity"],
            ["legal_entities.id"],
            name="fk_schedules_legal_entity_legal_entities",
        ),
        sa.PrimaryKeyConstraint("legal_entity", "task", name="pk_schedules"),
    )
    op.create_table(
        "task_runs",
        sa.Column("id", sa.String(40), nullable=False),
        sa.Column("task", sa.String(40), nullable=False),
        sa.Column("legal_entity", sa.String(20), nullable=False),
        sa.Column("period", sa.String(40), nullable=False),
        sa.Column("started_at", _TS, nullable=False),
        sa.Column("finished_at", _TS),
        sa.Column("outcome", sa.String(20), nullable=False),
        sa.Column("figures", sa.JSON()),
        sa.Column("error", sa.Text()),
        sa.Column("host", sa.String(200), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_task_runs"),
        sa.UniqueConstraint("task", "legal_entity", "period", name="uq_task_runs_period"),
    )
    op.create_index("ix_task_runs_started", "task_runs", ["started_at"])
    op.create_table(
        "leases",
        sa.Column("name", sa.String(40), nullable=False),
        sa.Column("holder", sa.String(200), nullable=False),
        sa.Column("expires_at", _TS, nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_leases"),
    )


def downgrade() -> None:
    op.drop_table("leases")
    op.drop_index("ix_task_runs_started", table_name="task_runs")
    op.drop_table("task_runs")
    op.drop_table("schedules")
