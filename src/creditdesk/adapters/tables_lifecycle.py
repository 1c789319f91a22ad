"""Tables of the credit limit lifecycle: adjustment journals, temporary limits, insurance and
guarantees, risk scoring and balance statistics (on the metadata of ``tables``)."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    String,
    Table,
)

from creditdesk.adapters.tables import UTC_TS, metadata

__all__ = ["metadata"]

journal_sequences = Table(
    "journal_sequences",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("next_number", Integer, nullable=False),
)

credit_limit_journals = Table(
    "credit_limit_journals",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("type", String(30), nullable=False),
    Column("description", String(200), nullable=False),
    Column("status", String(20), nullable=False),
    Column("posted", Boolean, nullable=False),
    Column("posted_on", Date),
    Column("posted_at", UTC_TS),
    Column("posted_by", String(120)),
    Column("created_by", String(120), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
)

credit_limit_journal_lines = Table(
    "credit_limit_journal_lines",
    metadata,
    Column("legal_entity", String(20), primary_key=True),
    Column("journal_id", String(40), primary_key=True),
    Column("line_no", Integer, primary_key=True),
    Column("customer", String(40)),
    Column("credit_group", String(40)),
    Column("name", String(200), nullable=False),
    Column("current_limit_minor", BigInteger),
    Column("current_limit_currency", String(3)),
    Column("new_limit_minor", BigInteger, nullable=False),
    Column("new_limit_currency", String(3), nullable=False),
    Column("new_expires_on", Date),
    Column("from_date", Date),
    Column("to_date", Date),
    ForeignKeyConstraint(
        ["legal_entity", "journal_id"],
        ["credit_limit_journals.legal_entity", "credit_limit_journals.id"],
    ),
)

temporary_limits = Table(
    "temporary_limits",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("customer_id", Integer, ForeignKey("customers.id")),
    Column("credit_group", String(40), ForeignKey("credit_groups.id")),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("from_date", Date, nullable=False),
    Column("to_date", Date, nullable=False),
    Column("legal_entity", String(20), nullable=False),
    Column("journal_id", String(40), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_temporary_limits_customer", "customer_id", "to_date"),
    Index("ix_temporary_limits_group", "credit_group", "to_date"),
)

insurance_policies = Table(
    "insurance_policies",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("identifier", String(20), nullable=False),
    Column("type", String(40)),
    Column("insurer", String(200)),
    Column("coverage_type", String(40)),
    Column("policy_number", String(80)),
    Column("effective", Date),
    Column("expires", Date),
    Column("value_minor", BigInteger, nullable=False),
    Column("value_currency", String(3), nullable=False),
    Column("update_credit_limit_percent", String(40), nullable=False),
    Column("included_in_exposure", Boolean, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_insurance_policies_customer", "customer_id"),
)

scoring_groups = Table(
    "scoring_groups",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("description", String(200), nullable=False),
    Column("measure", String(40), nullable=False),
    Column("score_type", String(10), nullable=False),
    Column("lines", JSON, nullable=False),
)

risk_groups = Table(
    "risk_groups",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("description", String(200), nullable=False),
    Column("score_from", Integer, nullable=False),
    Column("score_to", Integer, nullable=False),
)

automatic_credit_limits = Table(
    "automatic_credit_limits",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("risk_group", String(40), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("revenue_cap_minor", BigInteger, nullable=False),
    Column("lines", JSON, nullable=False),
)

customer_score_values = Table(
    "customer_score_values",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("scoring_group", String(40), primary_key=True),
    Column("value", String(200), nullable=False),
)

risk_scores = Table(
    "risk_scores",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("legal_entity", String(20), nullable=False),
    Column("as_of", Date, nullable=False),
    Column("score", Integer, nullable=False),
    Column("risk_group", String(40)),
    Column("factors", JSON, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
)

statistics_parameters = Table(
    "statistics_parameters",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("dso1_months", Integer, nullable=False),
    Column("dso2_months", Integer, nullable=False),
    Column("average_balance_months", Integer, nullable=False),
    Column("payment_days_months", Integer, nullable=False),
    Column("balance_statistics_months", Integer, nullable=False),
)

balance_statistics = Table(
    "balance_statistics",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("as_of", Date, primary_key=True),
    Column("legal_entity", String(20), nullable=False),
    Column("dso1", String(40)),
    Column("dso2", String(40)),
    Column("average_payment_days", String(40)),
    Column("average_balance_minor", BigInteger),
    Column("currency", String(3), nullable=False),
    Column("calculated_at", UTC_TS, nullable=False),
    Index("ix_balance_statistics_legal_entity_as_of", "legal_entity", "as_of"),
)
