"""Nordic demo data: three legal entities (FI01 EUR, NO01 NOK, SE01 SEK), customers, a
credit group across all three, invoices (some overdue), payments, orders and a few holds.

Everything goes through the same use cases as the API, so the demo is also a smoke test of
them. Dates are relative to today, so overdue invoices look overdue whenever it is run.
"""

from __future__ import annotations

from datetime import date, timedelta

from rich.console import Console

from creditdesk.domain.money import Money
from creditdesk.domain.setup import Checkpoint
from creditdesk.service_layer import (
    checks,
    customers,
    documents,
    groups,
    journals,
    setup,
    users,
    workflows,
)
from creditdesk.service_layer.auth import SYSTEM, Principal, Role
from creditdesk.service_layer.documents import InvoiceInput, PaymentInput, SalesOrderInput
from creditdesk.service_layer.runtime import Runtime

ENTITIES = (
    ("FI01", "Contoso Suomi Oy", "EUR"),
    ("NO01", "Contoso Norge AS", "NOK"),
    ("SE01", "Contoso Sverige AB", "SEK"),
)
RATES = (
    ("NOK", "EUR", "0.0850"),
    ("SEK", "EUR", "0.0870"),
    ("SEK", "NOK", "1.0235"),
    ("DKK", "EUR", "0.1341"),
    ("USD", "EUR", "0.9200"),
)
REASONS = (
    ("REL-OK", "release", "Approved by the credit manager"),
    ("REL-PAID", "release", "Customer paid the overdue invoices"),
    ("REJ-RISK", "release", "Rejected: credit risk too high"),
    ("F1", "hold", "Forced hold: management decision"),
    ("ST-REVIEW", "status", "Account under review"),
)
STATUSES = (
    ("NORMAL", "Good standing", "none"),
    ("REVIEW", "Under review by the credit team", "none"),
    ("STOPPED", "Stopped for all transactions", "all"),
)
# (legal entity, account, name, limit, expires in days, mandatory, unlimited, terms)
CUSTOMERS = (
    ("FI01", "C100", "Nordwind Oy", "10000.00", 365, False, False, "Net30"),
    ("FI01", "C200", "Pohjolan Tekniikka Oy", "50000.00", 400, False, False, "Net30"),
    ("FI01", "C300", "Lapin Logistiikka Oy", "0.00", None, False, True, "Net14"),
    ("FI01", "C400", "Saimaan Puu Oy", "20000.00", 200, False, False, "Net45"),
    ("NO01", "C100", "Nordwind AS", "100000.00", 365, False, False, "Net30"),
    ("NO01", "N200", "Fjordfisk AS", "250000.00", 300, False, False, "Net30"),
    ("NO01", "N300", "Bergen Bygg AS", "80000.00", 90, False, False, "Net60"),
    ("SE01", "C100", "Nordwind AB", "120000.00", 365, False, False, "Net30"),
    ("SE01", "S200", "Skåne Bygg AB", "0.00", None, True, False, "Net30"),
    ("SE01", "S300", "Norrlands Trä AB", "300000.00", 500, False, False, "Net30"),
)


def load_demo(rt: Runtime, console: Console) -> bool:
    """Load the demo once; returns False when it is already there."""
    with rt.uow(read_only=True) as uow:
        if uow.legal_entities.get("FI01") is not None:
            return False
    today = rt.clock.today()
    currency_of = {le: cur for le, _, cur in ENTITIES}
    for le, name, cur in ENTITIES:
        setup.put_legal_entity(rt, SYSTEM, le, name, cur)
        for reason_id, kind, description in REASONS:
            setup.put_reason(rt, SYSTEM, le, reason_id, kind, description)
        for status_id, description, on_hold in STATUSES:
            setup.put_account_status(rt, SYSTEM, le, status_id, description, on_hold)
    for source, target, rate in RATES:
        from decimal import Decimal

        setup.put_exchange_rate(
            rt, SYSTEM, source, target, Decimal(rate), today - timedelta(days=365)
        )
    for le, account, name, limit, days, mandatory, unlimited, terms in CUSTOMERS:
        cur = currency_of[le]
        credit: dict[str, object] = {
            "limit": Money.of(limit, cur),
            "limit_expires_on": today + timedelta(days=days) if days else None,
            "mandatory_limit": mandatory,
            "unlimited_limit": unlimited,
            "account_status": "NORMAL",
            "customer_since": date(2015, 3, 1),
            "business_started_on": date(2004, 6, 1),
            "country": le[:2],
        }
        customers.put_customer(
            rt,
            SYSTEM,
            le,
            account,
            name=name,
            currency_code=cur,
            payment_terms=terms,
            settlement_discount=None,
            credit=credit,
        )
    groups.put_group(
        rt,
        SYSTEM,
        "NORDWIND",
        "Nordwind group (FI, NO, SE)",
        Money.of("30000.00", "EUR"),
        today + timedelta(days=365),
    )
    for le in ("FI01", "NO01", "SE01"):
        groups.add_member(rt, SYSTEM, "NORDWIND", le, "C100")

    def invoice(le: str, doc: str, account: str, amount: str, age_days: int, terms: int) -> None:
        issued = today - timedelta(days=age_days)
        documents.post_invoice(
            rt,
            SYSTEM,
            le,
            InvoiceInput(
                doc,
                account,
                Money.of(amount, currency_of[le]),
                issued,
                issued + timedelta(days=terms),
            ),
        )

    invoice("FI01", "FI-INV-1001", "C100", "3200.00", 20, 30)
    invoice("FI01", "FI-INV-1002", "C200", "12500.00", 75, 30)
    invoice("FI01", "FI-INV-1003", "C200", "4100.00", 10, 30)
    invoice("FI01", "FI-INV-1004", "C400", "8800.00", 130, 45)
    invoice("NO01", "NO-INV-2001", "C100", "42000.00", 40, 30)
    invoice("NO01", "NO-INV-2002", "N200", "95000.00", 15, 30)
    invoice("NO01", "NO-INV-2003", "N300", "61000.00", 100, 30)
    invoice("SE01", "SE-INV-3001", "C100", "38000.00", 5, 30)
    invoice("SE01", "SE-INV-3002", "S300", "150000.00", 50, 30)
    documents.post_payment(
        rt,
        SYSTEM,
        "FI01",
        PaymentInput(
            "FI-PAY-1",
            "C200",
            Money.of("5000.00", "EUR"),
            today - timedelta(days=3),
            (("FI-INV-1002", Money.of("5000.00", "EUR")),),
        ),
    )
    documents.post_payment(
        rt,
        SYSTEM,
        "SE01",
        PaymentInput(
            "SE-PAY-1",
            "S300",
            Money.of("150000.00", "SEK"),
            today - timedelta(days=8),
            (("SE-INV-3002", Money.of("150000.00", "SEK")),),
        ),
    )

    orders = (
        ("FI01", "SO-FI-5001", "C100", "4000.00"),
        ("FI01", "SO-FI-5002", "C200", "9000.00"),
        ("FI01", "SO-FI-5003", "C100", "2900.00"),
        ("FI01", "SO-FI-5004", "C300", "250000.00"),
        ("NO01", "SO-NO-6001", "N200", "40000.00"),
        ("NO01", "SO-NO-6002", "N300", "30000.00"),
        ("SE01", "SO-SE-7001", "S200", "1200.00"),
        ("SE01", "SO-SE-7002", "S300", "90000.00"),
        ("SE01", "SO-SE-7003", "C100", "60000.00"),
    )
    held = 0
    for le, order_id, account, amount in orders:
        documents.put_sales_order(
            rt,
            SYSTEM,
            le,
            SalesOrderInput(order_id, account, Money.of(amount, currency_of[le]), "Net30"),
        )
        decision = checks.run_credit_check(
            rt, SYSTEM, checks.CheckRequest(le, order_id, Checkpoint.CONFIRMATION, True, today)
        )
        held += decision["decision"] == "on_hold"
    for username, name, role, scope, language in DEMO_USERS:
        users.create_user(
            rt,
            SYSTEM,
            username,
            DEMO_PASSWORD,
            role,
            list(scope) if scope else None,
            display_name=name,
            language=language,
        )
    journal = _demo_journal_through_workflow(rt, today)
    console.print(
        f"demo data loaded: {len(ENTITIES)} legal entities, {len(CUSTOMERS)} customers, "
        f"1 credit group, {len(orders)} orders checked ({held} on hold), "
        f"{len(DEMO_USERS)} web users (password {DEMO_PASSWORD}), credit limit journal "
        f"{journal} approved in two steps and posted"
    )
    return True


DEMO_PASSWORD = "creditdesk-demo"
# (username, name, role, legal entities or () for all, language or None for the browser's)
DEMO_USERS: tuple[tuple[str, str, str, tuple[str, ...], str | None], ...] = (
    ("admin", "Aino Admin", "admin", (), None),
    ("manager", "Mikko Manager", "credit_manager", (), None),
    ("clerk", "Kari Clerk", "credit_clerk", (), None),
    ("viewer", "Vera Viewer", "viewer", (), None),
    ("approver", "Anna Approver", "approver", (), None),
    ("approver2", "Pekka Hyväksyjä", "approver", (), None),
    ("clerk.fi", "Liisa Virtanen", "credit_clerk", ("FI01",), "fi"),
)


def _demo_journal_through_workflow(rt: Runtime, today: date) -> str:
    """FI01 approves credit limit journals in two steps above 15,000 EUR and posts them
    automatically: the manager raises Pohjolan Tekniikka's limit, two approvers approve, and
    the audit trail shows the submission, both approvals and the posting (before and after)."""
    manager = Principal("user:manager", Role.CREDIT_MANAGER)
    approvers = (
        Principal("user:approver", Role.APPROVER),
        Principal("user:approver2", Role.APPROVER),
    )
    workflows.put_workflow(
        rt,
        SYSTEM,
        "FI01",
        "credit_limit_journal",
        enabled=True,
        steps=[
            workflows.StepInput("approver"),
            workflows.StepInput("approver", above_amount=Money.of("15000.00", "EUR")),
        ],
        completion="post_automatically",
    )
    journal = journals.create_journal(
        rt, manager, "FI01", "credit_limit", "Annual review: Pohjolan Tekniikka"
    )
    journals.add_line(
        rt,
        manager,
        "FI01",
        journal["id"],
        customer="C200",
        credit_group=None,
        new_limit=Money.of("65000.00", "EUR"),
        new_expires_on=today + timedelta(days=365),
        start=None,
        end=None,
    )
    (item,) = workflows.submit_journal(rt, manager, "FI01", journal["id"])
    for approver in approvers:
        workflows.approve(rt, approver, item["id"], "reviewed the annual figures")
    return str(journal["id"])
