"""The database schema (SQLAlchemy Core). Money is integer minor units beside a currency code;
rates and percentages are canonical decimal strings; nothing is a float."""

from __future__ import annotations

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
    false,
    text,
    true,
)

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

UTC_TS = DateTime(timezone=True)

legal_entities = Table(
    "legal_entities",
    metadata,
    Column("id", String(20), primary_key=True),
    Column("name", String(200), nullable=False),
    Column("accounting_currency", String(3), nullable=False),
    Column("credit_management", Boolean, nullable=False),
    Column("credit_limit_type", String(40), nullable=False),
    Column("check_group_limits", Boolean, nullable=False),
    Column("allow_manual_limit_edit", Boolean, nullable=False),
    Column("check_credit_limit_on_sales_order", Boolean, nullable=False),
    Column("check_payment_terms_increase", Boolean, nullable=False),
    Column("check_settlement_discount_increase", Boolean, nullable=False),
    Column("skip_rules_after_release", Boolean, nullable=False),
    Column("ignore_blank_expiry", Boolean, nullable=False),
    Column("auto_release_with_posting", Boolean, nullable=False),
    Column("release_reason_ready", String(40)),
    Column("release_reason_cancel", String(40)),
    Column("release_reason_modified", String(40)),
    Column("exclude_intercompany_orders", Boolean, nullable=False, server_default=true()),
    Column("checkpoints", JSON, nullable=False),
    Column("setup_version", Integer, nullable=False, server_default=text("1")),
    Column("created_at", UTC_TS, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
)

exchange_rates = Table(
    "exchange_rates",
    metadata,
    Column("from_currency", String(3), primary_key=True),
    Column("to_currency", String(3), primary_key=True),
    Column("valid_from", Date, primary_key=True),
    Column("rate", String(40), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
)

credit_groups = Table(
    "credit_groups",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("description", String(200), nullable=False),
    Column("limit_minor", BigInteger, nullable=False),
    Column("limit_currency", String(3), nullable=False),
    Column("limit_expires_on", Date, nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
)

customers = Table(
    "customers",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), nullable=False),
    Column("account", String(40), nullable=False),
    Column("name", String(200), nullable=False),
    Column("currency", String(3), nullable=False),
    Column("payment_terms", String(40)),
    Column("settlement_discount", String(40)),
    Column("limit_minor", BigInteger),
    Column("limit_currency", String(3)),
    Column("limit_expires_on", Date),
    Column("limit_date", Date),
    Column("mandatory_limit", Boolean, nullable=False),
    Column("unlimited_limit", Boolean, nullable=False),
    Column("exclude", Boolean, nullable=False),
    Column("account_status", String(40)),
    Column("status_reason", String(40)),
    Column("credit_management_group", String(40)),
    Column("risk_group", String(40)),
    Column("last_review_on", Date),
    Column("next_review_on", Date),
    Column("eligible_limit_minor", BigInteger),
    Column("eligible_limit_currency", String(3)),
    Column("business_started_on", Date),
    Column("customer_since", Date),
    Column("country", String(2)),
    Column("revenue_minor", BigInteger),
    Column("revenue_currency", String(3)),
    Column("notes", Text),
    Column("credit_group", String(40), ForeignKey("credit_groups.id")),
    Column("version", Integer, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
    UniqueConstraint("legal_entity", "account", name="uq_customers_legal_entity_account"),
    Index("ix_customers_account", "account"),
    Index("ix_customers_credit_group", "credit_group"),
)

customer_exposure = Table(
    "customer_exposure",
    metadata,
    Column("customer_id", Integer, ForeignKey("customers.id"), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("balance_minor", BigInteger, nullable=False),
    Column("packing_slips_minor", BigInteger, nullable=False),
    Column("open_orders_minor", BigInteger, nullable=False),
)

group_exposure = Table(
    "group_exposure",
    metadata,
    Column("credit_group", String(40), ForeignKey("credit_groups.id"), primary_key=True),
    Column("legal_entity", String(20), primary_key=True),
    Column("currency", String(3), primary_key=True),
    Column("balance_minor", BigInteger, nullable=False),
    Column("packing_slips_minor", BigInteger, nullable=False),
    Column("open_orders_minor", BigInteger, nullable=False),
)

invoices = Table(
    "invoices",
    metadata,
    Column("legal_entity", String(20), primary_key=True),
    Column("id", String(80), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("open_minor", BigInteger, nullable=False),
    Column("invoice_date", Date, nullable=False),
    Column("due_date", Date, nullable=False),
    Column("sales_order", String(80)),
    Column("body_hash", String(64), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    # covering for the credit check's overdue query: the customer's open, past-due invoices
    # summed per currency from the index alone (no table row per invoice)
    Index(
        "ix_invoices_open_by_due",
        "customer_id",
        "due_date",
        "currency",
        "open_minor",
        sqlite_where=text("open_minor <> 0"),
        postgresql_where=text("open_minor <> 0"),
    ),
    Index("ix_invoices_customer_date", "customer_id", "invoice_date"),
)

payments = Table(
    "payments",
    metadata,
    Column("legal_entity", String(20), primary_key=True),
    Column("id", String(80), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("date", Date, nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_payments_customer_date", "customer_id", "date"),
)

payment_applications = Table(
    "payment_applications",
    metadata,
    Column("legal_entity", String(20), primary_key=True),
    Column("payment_id", String(80), primary_key=True),
    Column("invoice_id", String(80), primary_key=True),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("date", Date, nullable=False),
    ForeignKeyConstraint(["legal_entity", "payment_id"], ["payments.legal_entity", "payments.id"]),
    ForeignKeyConstraint(["legal_entity", "invoice_id"], ["invoices.legal_entity", "invoices.id"]),
    Index("ix_payment_applications_invoice", "legal_entity", "invoice_id"),
)

sales_orders = Table(
    "sales_orders",
    metadata,
    Column("legal_entity", String(20), primary_key=True),
    Column("id", String(80), primary_key=True),
    Column("customer_id", Integer, ForeignKey("customers.id"), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("packed_minor", BigInteger, nullable=False),
    Column("payment_terms", String(40)),
    Column("settlement_discount", String(40)),
    Column("status", String(20), nullable=False),
    Column("exclude", Boolean, nullable=False),
    Column("intercompany", Boolean, nullable=False, server_default=false()),
    Column("released_at", Date),
    Column("released_amount_minor", BigInteger),
    Column("released_checkpoint", String(20)),
    Column("released_with_posting", Boolean),
    Column("grace_until", Date),
    Column("rejected_at", UTC_TS),
    Column("body_hash", String(64), nullable=False),
    Column("version", Integer, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Column("updated_at", UTC_TS, nullable=False),
    Index("ix_sales_orders_customer", "customer_id"),
)

packing_slips = Table(
    "packing_slips",
    metadata,
    Column("legal_entity", String(20), primary_key=True),
    Column("id", String(80), primary_key=True),
    Column("sales_order", String(80), nullable=False),
    Column("amount_minor", BigInteger, nullable=False),
    Column("currency", String(3), nullable=False),
    Column("date", Date, nullable=False),
    Column("body_hash", String(64), nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    ForeignKeyConstraint(
        ["legal_entity", "sales_order"], ["sales_orders.legal_entity", "sales_orders.id"]
    ),
)

blocking_rules = Table(
    "blocking_rules",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), nullable=False),
    Column("rule", String(40), nullable=False),
    Column("kind", String(20), nullable=False),
    Column("valid_for", String(10), nullable=False),
    Column("account_or_group", String(40)),
    Column("risk_group", String(40)),
    Column("value_type", String(10)),
    Column("value", String(40)),
    Column("credit_limit_threshold", String(40)),
    Column("account_status", String(40)),
    Column("terms_of_payment", String(40)),
    Column("release_sales_order", Boolean, nullable=False),
    Column("created_at", UTC_TS, nullable=False),
    Index("ix_blocking_rules_legal_entity", "legal_entity"),
)

reasons = Table(
    "reasons",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("type", String(10), nullable=False),
    Column("description", String(200), nullable=False),
)

credit_management_groups = Table(
    "credit_management_groups",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("description", String(200), nullable=False),
)

account_statuses = Table(
    "account_statuses",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("id", String(40), primary_key=True),
    Column("description", String(200), nullable=False),
    Column("on_hold", String(20), nullable=False),
)

ranks = Table(
    "ranks",
    metadata,
    Column("legal_entity", String(20), ForeignKey("legal_entities.id"), primary_key=True),
    Column("kind", String(30), primary_key=True),
    Column("code", String(40), primary_key=True),
    Column("rank", Integer, nullable=False),
)

credit_checks = Table(
    "credit_checks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("legal_entity", String(20), nullable=False),
    Column("sales_order", String(80), nullable=False),
    Column("customer", String(40), nullable=False),
    Column("checkpoint", String(20), nullable=False),
    Column("posting", Boolean, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("decision", String(20), nullable=False),
    Column("hold_id", String(40)),
    Column("body", JSON, nullable=False),
    Column("checked_at", UTC_TS, nullable=False),
    Index("ix_credit_checks_order", "legal_entity", "sales_order"),
    Index("ix_credit_checks_customer", "legal_entity", "customer", "checked_at"),
)

credit_holds = Table(
    "credit_holds",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("legal_entity", String(20), nullable=False),
    Column("sales_order", String(80), nullable=False),
    Column("customer", String(40), nullable=False),
    Column("checkpoint", String(20), nullable=False),
    Column("posting", Boolean, nullable=False),
    Column("check_id", String(40)),
    Column("status", String(20), nullable=False),
    Column("reasons", JSON, nullable=False),
    Column("reason_codes", String(400), nullable=False, server_default=text("''")),
    Column("ready_to_release", Boolean, nullable=False, server_default=text("false")),
    Column("evaluated_at", UTC_TS),
    Column("created_at", UTC_TS, nullable=False),
    Column("closed_at", UTC_TS),
    Column("closed_by", String(120)),
    Column("release_reason", String(40)),
    Column("review_date", Date),
    Column("with_posting", Boolean),
    Column("reject_reason", String(40)),
    Column("note", Text),
    Index("ix_credit_holds_status", "status", "id"),
    Index("ix_credit_holds_order", "legal_entity", "sales_order"),
    Index("ix_credit_holds_customer", "legal_entity", "customer"),
)

hold_history = Table(
    "hold_history",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("hold_id", String(40), ForeignKey("credit_holds.id"), nullable=False),
    Column("at", UTC_TS, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(40), nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_hold_history_hold", "hold_id"),
)

api_tokens = Table(
    "api_tokens",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("name", String(120), nullable=False),
    Column("role", String(30), nullable=False),
    Column("legal_entities", JSON),
    Column("secret_hash", String(64), nullable=False, unique=True),
    Column("created_at", UTC_TS, nullable=False),
    Column("revoked_at", UTC_TS),
    Column("expires_at", UTC_TS),
    Column("last_used_at", UTC_TS),
)

audit_events = Table(
    "audit_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTC_TS, nullable=False),
    Column("actor", String(120), nullable=False),
    Column("action", String(60), nullable=False),
    Column("entity", String(40), nullable=False),
    Column("key", String(200), nullable=False),
    Column("before", JSON),
    Column("after", JSON),
    Index("ix_audit_events_entity_key", "entity", "key", "id"),
)

outbox_events = Table(
    "outbox_events",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", UTC_TS, nullable=False),
    Column("type", String(40), nullable=False),
    Column("legal_entity", String(20), nullable=False),
    Column("key", String(200), nullable=False),
    Column("data", JSON, nullable=False),
    Index("ix_outbox_events_legal_entity", "legal_entity", "id"),
)

webhooks = Table(
    "webhooks",
    metadata,
    Column("id", String(40), primary_key=True),
    Column("url", String(2000), nullable=False),
    Column("secret", String(100), nullable=False),
    Column("legal_entities", JSON),
    Column("event_types", JSON),
    Column("active", Boolean, nullable=False),
    Column("cursor", Integer, nullable=False),
    Column("failures", Integer, nullable=False),
    Column("next_attempt_at", UTC_TS),
    Column("last_error", Text),
    Column("created_at", UTC_TS, nullable=False),
)

# Tables of later capabilities live in their own modules on this same metadata.
from creditdesk.adapters import (  # noqa: E402, F401
    tables_lifecycle,
    tables_ops,
    tables_web,
    tables_workflow,
)
