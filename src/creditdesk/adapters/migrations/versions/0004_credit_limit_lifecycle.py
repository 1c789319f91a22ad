"""credit limit lifecycle: journals, temporary limits, insurance, scoring

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "automatic_credit_limits",
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("risk_group", sa.String(length=40), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("revenue_cap_minor", sa.BigInteger(), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["legal_entity"],
            ["legal_entities.id"],
            name=op.f("fk_automatic_credit_limits_legal_entity_legal_entities"),
        ),
        sa.PrimaryKeyConstraint(
            "legal_entity", "risk_group", "currency", name=op.f("pk_automatic_credit_limits")
        ),
    )
    op.create_table(
        "credit_limit_journals",
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("type", sa.String(length=30), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("posted", sa.Boolean(), nullable=False),
        sa.Column("posted_on", sa.Date(), nullable=True),
        sa.Column("posted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("posted_by", sa.String(length=120), nullable=True),
        sa.Column("created_by", sa.String(length=120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["legal_entity"],
            ["legal_entities.id"],
            name=op.f("fk_credit_limit_journals_legal_entity_legal_entities"),
        ),
        sa.PrimaryKeyConstraint("legal_entity", "id", name=op.f("pk_credit_limit_journals")),
    )
    op.create_table(
        "journal_sequences",
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("next_number", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["legal_entity"],
            ["legal_entities.id"],
            name=op.f("fk_journal_sequences_legal_entity_legal_entities"),
        ),
        sa.PrimaryKeyConstraint("legal_entity", name=op.f("pk_journal_sequences")),
    )
    op.create_table(
        "risk_groups",
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("score_from", sa.Integer(), nullable=False),
        sa.Column("score_to", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["legal_entity"],
            ["legal_entities.id"],
            name=op.f("fk_risk_groups_legal_entity_legal_entities"),
        ),
        sa.PrimaryKeyConstraint("legal_entity", "id", name=op.f("pk_risk_groups")),
    )
    op.create_table(
        "scoring_groups",
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("measure", sa.String(length=40), nullable=False),
        sa.Column("score_type", sa.String(length=10), nullable=False),
        sa.Column("lines", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["legal_entity"],
            ["legal_entities.id"],
            name=op.f("fk_scoring_groups_legal_entity_legal_entities"),
        ),
        sa.PrimaryKeyConstraint("legal_entity", "id", name=op.f("pk_scoring_groups")),
    )
    op.create_table(
        "statistics_parameters",
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("dso1_months", sa.Integer(), nullable=False),
        sa.Column("dso2_months", sa.Integer(), nullable=False),
        sa.Column("average_balance_months", sa.Integer(), nullable=False),
        sa.Column("payment_days_months", sa.Integer(), nullable=False),
        sa.Column("balance_statistics_months", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["legal_entity"],
            ["legal_entities.id"],
            name=op.f("fk_statistics_parameters_legal_entity_legal_entities"),
        ),
        sa.PrimaryKeyConstraint("legal_entity", name=op.f("pk_statistics_parameters")),
    )
    op.create_table(
        "balance_statistics",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("dso1", sa.String(length=40), nullable=True),
        sa.Column("dso2", sa.String(length=40), nullable=True),
        sa.Column("average_payment_days", sa.String(length=40), nullable=True),
        sa.Column("average_balance_minor", sa.BigInteger(), nullable=True),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("calculated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_balance_statistics_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("customer_id", "as_of", name=op.f("pk_balance_statistics")),
    )
    with op.batch_alter_table("balance_statistics", schema=None) as batch_op:
        batch_op.create_index(
            "ix_balance_statistics_legal_entity_as_of", ["legal_entity", "as_of"], unique=False
        )

    op.create_table(
        "credit_limit_journal_lines",
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("journal_id", sa.String(length=40), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("customer", sa.String(length=40), nullable=True),
        sa.Column("credit_group", sa.String(length=40), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("current_limit_minor", sa.BigInteger(), nullable=True),
        sa.Column("current_limit_currency", sa.String(length=3), nullable=True),
        sa.Column("new_limit_minor", sa.BigInteger(), nullable=False),
        sa.Column("new_limit_currency", sa.String(length=3), nullable=False),
        sa.Column("new_expires_on", sa.Date(), nullable=True),
        sa.Column("from_date", sa.Date(), nullable=True),
        sa.Column("to_date", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(
            ["legal_entity", "journal_id"],
            ["credit_limit_journals.legal_entity", "credit_limit_journals.id"],
            name=op.f("fk_credit_limit_journal_lines_legal_entity_credit_limit_journals"),
        ),
        sa.PrimaryKeyConstraint(
            "legal_entity", "journal_id", "line_no", name=op.f("pk_credit_limit_journal_lines")
        ),
    )
    op.create_table(
        "customer_score_values",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("scoring_group", sa.String(length=40), nullable=False),
        sa.Column("value", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_customer_score_values_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint(
            "customer_id", "scoring_group", name=op.f("pk_customer_score_values")
        ),
    )
    op.create_table(
        "insurance_policies",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("identifier", sa.String(length=20), nullable=False),
        sa.Column("type", sa.String(length=40), nullable=True),
        sa.Column("insurer", sa.String(length=200), nullable=True),
        sa.Column("coverage_type", sa.String(length=40), nullable=True),
        sa.Column("policy_number", sa.String(length=80), nullable=True),
        sa.Column("effective", sa.Date(), nullable=True),
        sa.Column("expires", sa.Date(), nullable=True),
        sa.Column("value_minor", sa.BigInteger(), nullable=False),
        sa.Column("value_currency", sa.String(length=3), nullable=False),
        sa.Column("update_credit_limit_percent", sa.String(length=40), nullable=False),
        sa.Column("included_in_exposure", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_insurance_policies_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_insurance_policies")),
    )
    with op.batch_alter_table("insurance_policies", schema=None) as batch_op:
        batch_op.create_index("ix_insurance_policies_customer", ["customer_id"], unique=False)

    op.create_table(
        "risk_scores",
        sa.Column("customer_id", sa.Integer(), nullable=False),
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("score", sa.Integer(), nullable=False),
        sa.Column("risk_group", sa.String(length=40), nullable=True),
        sa.Column("factors", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["customer_id"], ["customers.id"], name=op.f("fk_risk_scores_customer_id_customers")
        ),
        sa.PrimaryKeyConstraint("customer_id", name=op.f("pk_risk_scores")),
    )
    op.create_table(
        "temporary_limits",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("customer_id", sa.Integer(), nullable=True),
        sa.Column("credit_group", sa.String(length=40), nullable=True),
        sa.Column("amount_minor", sa.BigInteger(), nullable=False),
        sa.Column("currency", sa.String(length=3), nullable=False),
        sa.Column("from_date", sa.Date(), nullable=False),
        sa.Column("to_date", sa.Date(), nullable=False),
        sa.Column("legal_entity", sa.String(length=20), nullable=False),
        sa.Column("journal_id", sa.String(length=40), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["credit_group"],
            ["credit_groups.id"],
            name=op.f("fk_temporary_limits_credit_group_credit_groups"),
        ),
        sa.ForeignKeyConstraint(
            ["customer_id"],
            ["customers.id"],
            name=op.f("fk_temporary_limits_customer_id_customers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_temporary_limits")),
    )
    with op.batch_alter_table("temporary_limits", schema=None) as batch_op:
        batch_op.create_index(
            "ix_temporary_limits_customer", ["customer_id", "to_date"], unique=False
        )
        batch_op.create_index(
            "ix_temporary_limits_group", ["credit_group", "to_date"], unique=False
        )

    # ### end Alembic commands ###


def downgrade() -> None:
    # ### commands auto generated by Alembic - please adjust! ###
    with op.batch_alter_table("temporary_limits", schema=None) as batch_op:
        batch_op.drop_index("ix_temporary_limits_group")
        batch_op.drop_index("ix_temporary_limits_customer")

    op.drop_table("temporary_limits")
    op.drop_table("risk_scores")
    with op.batch_alter_table("insurance_policies", schema=None) as batch_op:
        batch_op.drop_index("ix_insurance_policies_customer")

    op.drop_table("insurance_policies")
    op.drop_table("customer_score_values")
    op.drop_table("credit_limit_journal_lines")
    with op.batch_alter_table("balance_statistics", schema=None) as batch_op:
        batch_op.drop_index("ix_balance_statistics_legal_entity_as_of")

    op.drop_table("balance_statistics")
    op.drop_table("statistics_parameters")
    op.drop_table("scoring_groups")
    op.drop_table("risk_groups")
    op.drop_table("journal_sequences")
    op.drop_table("credit_limit_journals")
    op.drop_table("automatic_credit_limits")
    # ### end Alembic commands ###
