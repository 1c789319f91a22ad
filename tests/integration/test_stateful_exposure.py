"""A Hypothesis state machine over the service layer on a real SQLite database.

Random sequences of pushed invoices, credit notes, payments, sales orders (new, changed,
cancelled), packing slips, limit changes, group limit changes, group joins and leaves and credit
checks run against the use cases (as ``SYSTEM``), beside a plain Python model of what each
customer's exposure must be (the bookkeeping table of docs/architecture.md). After every step:

- each customer's running exposure equals the model;
- every running total (customers and groups) equals the recomputation from the documents;
- every stored decision reads back exactly as it was answered;

and at each check: a passed order fits every limit it was tested against, and the individual
limit line's ``exposure_before`` is the model's exposure without the order.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule, run_state_machine_as_test

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.domain.errors import CreditDeskError
from creditdesk.domain.money import Money
from creditdesk.domain.setup import Checkpoint
from creditdesk.service_layer import checks, customers, documents, groups, maintenance, setup
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.documents import (
    InvoiceInput,
    PackingSlipInput,
    PaymentInput,
    SalesOrderInput,
)
from creditdesk.service_layer.runtime import Runtime
from tests.support import money

AS_OF = date(2026, 11, 23)
DAY = date(2026, 10, 1)
CUSTOMERS: dict[tuple[str, str], str] = {
    ("FI01", "A"): "EUR",
    ("FI01", "B"): "EUR",
    ("SE01", "A"): "SEK",
    ("SE01", "C"): "SEK",
}
GROUPS = {"G1": "EUR", "G2": "SEK"}
Key = tuple[str, str]

minor_amounts = st.integers(min_value=1, max_value=500_000)


def cash(minor: int, code: str) -> Money:
    return money(f"{Decimal(minor).scaleb(-2)} {code}")


def amount(value: dict[str, str]) -> Decimal:
    return Decimal(value["amount"])


@dataclass
class OrderModel:
    key: Key
    open: int
    packed: int = 0
    status: str = "open"


@dataclass
class Model:
    balance: dict[Key, int] = field(default_factory=lambda: dict.fromkeys(CUSTOMERS, 0))
    orders: dict[tuple[str, str], OrderModel] = field(default_factory=dict)
    invoices: dict[tuple[str, str], tuple[Key, int]] = field(default_factory=dict)  # open
    member_of: dict[Key, str | None] = field(default_factory=lambda: dict.fromkeys(CUSTOMERS))

    def exposure(self, key: Key) -> tuple[int, int, int]:
        mine = [o for o in self.orders.values() if o.key == key and o.status == "open"]
        return (
            self.balance[key],
            sum(o.packed for o in mine),
            sum(o.open for o in mine),
        )


def make_template(path: Path) -> None:
    url = f"sqlite:///{path}"
    upgrade_database(url)
    rt = build_runtime(Settings(database_url=url, deliver_webhooks=False))
    try:
        setup.put_legal_entity(rt, SYSTEM, "FI01", "Contoso Suomi Oy", "EUR")
        setup.put_legal_entity(rt, SYSTEM, "SE01", "Contoso Sverige AB", "SEK")
        setup.put_exchange_rate(rt, SYSTEM, "SEK", "EUR", Decimal("0.10"), date(2026, 1, 1))
        for (le, account), code in CUSTOMERS.items():
            customers.put_customer(
                rt,
                SYSTEM,
                le,
                account,
                name=f"Customer {le}/{account}",
                currency_code=code,
                payment_terms=None,
                settlement_discount=None,
                credit={},
            )
        for group_id, code in GROUPS.items():
            groups.put_group(
                rt, SYSTEM, group_id, group_id, cash(1_000_000, code), date(2027, 12, 31)
            )
    finally:
        dispose(rt)


def copy_database(source: Path, target: Path) -> None:
    src = sqlite3.connect(source)
    dst = sqlite3.connect(target)
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


class ExposureMachine(RuleBasedStateMachine):
    template: Path
    workdir: Path
    examples = 0

    def __init__(self) -> None:
        super().__init__()
        cls = type(self)
        cls.examples += 1
        path = cls.workdir / f"example-{cls.examples}.db"
        copy_database(cls.template, path)
        self.rt: Runtime = build_runtime(
            Settings(database_url=f"sqlite:///{path}", deliver_webhooks=False)
        )
        self.model = Model()
        self.decisions: dict[str, dict[str, Any]] = {}
        self.limits: dict[Key, int | None] = dict.fromkeys(CUSTOMERS)
        self.counter = 0

    def teardown(self) -> None:
        dispose(self.rt)

    def next_id(self, prefix: str) -> str:
        self.counter += 1
        return f"{prefix}-{self.counter}"

    @staticmethod
    def pick(items: list[Any], index: int) -> Any:
        return items[index % len(items)]

    # --- documents ------------------------------------------------------------------------

    @rule(key=st.sampled_from(sorted(CUSTOMERS)), minor=minor_amounts)
    def push_order(self, key: Key, minor: int) -> None:
        le, account = key
        order_id = self.next_id("SO")
        documents.put_sales_order(
            self.rt, SYSTEM, le, SalesOrderInput(order_id, account, cash(minor, CUSTOMERS[key]))
        )
        self.model.orders[(le, order_id)] = OrderModel(key, minor)

    @rule(index=st.integers(0, 10_000), minor=st.integers(0, 500_000), cancel=st.booleans())
    def change_order(self, index: int, minor: int, cancel: bool) -> None:
        if not self.model.orders:
            return
        (le, order_id) = self.pick(sorted(self.model.orders), index)
        order = self.model.orders[(le, order_id)]
        data = SalesOrderInput(
            order_id,
            order.key[1],
            cash(minor, CUSTOMERS[order.key]),
            status="cancelled" if cancel else "open",
        )
        if order.status == "cancelled":
            with pytest.raises(CreditDeskError):
                documents.put_sales_order(self.rt, SYSTEM, le, data)
            return
        documents.put_sales_order(self.rt, SYSTEM, le, data)
        order.open = minor
        if cancel:
            order.status = "cancelled"

    @rule(index=st.integers(0, 10_000), minor=minor_amounts)
    def pack(self, index: int, minor: int) -> None:
        if not self.model.orders:
            return
        (le, order_id) = self.pick(sorted(self.model.orders), index)
        order = self.model.orders[(le, order_id)]
        data = PackingSlipInput(
            self.next_id("PS"), order_id, cash(minor, CUSTOMERS[order.key]), DAY
        )
        if order.status == "cancelled":
            with pytest.raises(CreditDeskError):
                documents.post_packing_slip(self.rt, SYSTEM, le, data)
            return
        _, created = documents.post_packing_slip(self.rt, SYSTEM, le, data)
        assert created
        assert documents.post_packing_slip(self.rt, SYSTEM, le, data)[1] is False  # idempotent
        from_open = min(order.open, minor)
        order.open -= from_open
        order.packed += minor

    @rule(
        key=st.sampled_from(sorted(CUSTOMERS)),
        minor=minor_amounts,
        index=st.none() | st.integers(0, 10_000),
        credit_note=st.booleans(),
    )
    def invoice(self, key: Key, minor: int, index: int | None, credit_note: bool) -> None:
        le, account = key
        mine = sorted(o for o, m in self.model.orders.items() if m.key == key)
        sales_order = self.pick(mine, index)[1] if index is not None and mine else None
        if credit_note:
            sales_order = None
        invoice_id = self.next_id("INV")
        data = InvoiceInput(
            invoice_id,
            account,
            cash(minor, CUSTOMERS[key]),
            DAY,
            DAY + timedelta(days=30),
            sales_order,
            "credit_note" if credit_note else "invoice",
        )
        documents.post_invoice(self.rt, SYSTEM, le, data)
        assert documents.post_invoice(self.rt, SYSTEM, le, data)[1] is False  # idempotent
        if credit_note:
            self.model.balance[key] -= minor
            return
        self.model.balance[key] += minor
        self.model.invoices[(le, invoice_id)] = (key, minor)
        if sales_order is not None:
            order = self.model.orders[(le, sales_order)]
            if order.status == "open":
                from_packed = min(order.packed, minor)
                from_open = min(order.open, minor - from_packed)
                order.packed -= from_packed
                order.open -= from_open

    @rule(
        key=st.sampled_from(sorted(CUSTOMERS)),
        minor=minor_amounts,
        apply=st.none() | st.tuples(st.integers(0, 10_000), st.integers(1, 100)),
    )
    def pay(self, key: Key, minor: int, apply: tuple[int, int] | None) -> None:
        le, account = key
        code = CUSTOMERS[key]
        open_invoices = sorted(
            i for i, (k, left) in self.model.invoices.items() if k == key and left > 0
        )
        applies: tuple[tuple[str, Money], ...] = ()
        applied = 0
        if apply is not None and open_invoices:
            index, percent = apply
            target = self.pick(open_invoices, index)
            applied = max(1, min(minor, self.model.invoices[target][1]) * percent // 100)
            applies = ((target[1], cash(applied, code)),)
        data = PaymentInput(self.next_id("PAY"), account, cash(minor, code), DAY, applies)
        documents.post_payment(self.rt, SYSTEM, le, data)
        assert documents.post_payment(self.rt, SYSTEM, le, data)[1] is False  # idempotent
        self.model.balance[key] -= minor
        if applies:
            target_key, left = self.model.invoices[(le, applies[0][0])]
            self.model.invoices[(le, applies[0][0])] = (target_key, left - applied)

    @rule(key=st.sampled_from(sorted(CUSTOMERS)), minor=minor_amounts)
    def overpay_an_invoice_is_refused(self, key: Key, minor: int) -> None:
        le, account = key
        code = CUSTOMERS[key]
        open_invoices = sorted(i for i, (k, _) in self.model.invoices.items() if k == key)
        if not open_invoices:
            return
        target = open_invoices[minor % len(open_invoices)]
        too_much = self.model.invoices[target][1] + minor
        data = PaymentInput(
            self.next_id("PAY"),
            account,
            cash(too_much, code),
            DAY,
            ((target[1], cash(too_much, code)),),
        )
        with pytest.raises(CreditDeskError):
            documents.post_payment(self.rt, SYSTEM, le, data)

    # --- limits and groups ----------------------------------------------------------------

    @rule(key=st.sampled_from(sorted(CUSTOMERS)), minor=st.none() | st.integers(0, 3_000_000))
    def set_limit(self, key: Key, minor: int | None) -> None:
        le, account = key
        limit = None if minor is None else cash(minor, CUSTOMERS[key])
        customers.put_customer(
            self.rt,
            SYSTEM,
            le,
            account,
            name=f"Customer {le}/{account}",
            currency_code=CUSTOMERS[key],
            payment_terms=None,
            settlement_discount=None,
            credit={"limit": limit},
        )
        self.limits[key] = minor

    @rule(group=st.sampled_from(sorted(GROUPS)), minor=st.integers(0, 5_000_000))
    def set_group_limit(self, group: str, minor: int) -> None:
        groups.put_group(
            self.rt, SYSTEM, group, group, cash(minor, GROUPS[group]), date(2027, 12, 31)
        )

    @rule(key=st.sampled_from(sorted(CUSTOMERS)), group=st.sampled_from(sorted(GROUPS)))
    def join(self, key: Key, group: str) -> None:
        current = self.model.member_of[key]
        if current is not None and current != group:
            with pytest.raises(CreditDeskError):
                groups.add_member(self.rt, SYSTEM, group, *key)
            return
        groups.add_member(self.rt, SYSTEM, group, *key)
        self.model.member_of[key] = group

    @rule(key=st.sampled_from(sorted(CUSTOMERS)))
    def leave(self, key: Key) -> None:
        current = self.model.member_of[key]
        if current is None:
            with pytest.raises(CreditDeskError):
                groups.remove_member(self.rt, SYSTEM, "G1", *key)
            return
        groups.remove_member(self.rt, SYSTEM, current, *key)
        self.model.member_of[key] = None

    # --- checks ---------------------------------------------------------------------------

    @rule(index=st.integers(0, 10_000), posting=st.booleans())
    def check(self, index: int, posting: bool) -> None:
        if not self.model.orders:
            return
        (le, order_id) = self.pick(sorted(self.model.orders), index)
        order = self.model.orders[(le, order_id)]
        request = checks.CheckRequest(le, order_id, Checkpoint.CONFIRMATION, posting, AS_OF)
        if order.status == "cancelled":
            with pytest.raises(CreditDeskError):
                checks.run_credit_check(self.rt, SYSTEM, request)
            return
        decision = checks.run_credit_check(self.rt, SYSTEM, request)
        self.decisions[decision["id"]] = decision
        assert decision["decision"] in ("passed", "on_hold", "not_checked")
        for line in decision["limits"]:
            if not line["checked"]:
                continue
            fits = amount(line["exposure_before"]) + amount(line["order"]) <= amount(line["limit"])
            assert line["ok"] == fits, decision
            if decision["decision"] == "passed":
                assert fits, decision["explanation"]
            if line["scope"] == "individual":
                balance, packed, open_ = self.model.exposure(order.key)
                before = Decimal(balance + packed + open_ - order.open).scaleb(-2)
                assert amount(line["exposure_before"]) == before, decision
                assert amount(line["order"]) == Decimal(order.open).scaleb(-2)
                assert line["limit"]["currency"] == CUSTOMERS[order.key]

    # --- invariants -----------------------------------------------------------------------

    @invariant()
    def running_exposure_is_the_model(self) -> None:
        with self.rt.uow(read_only=True) as uow:
            for key, code in CUSTOMERS.items():
                stored = uow.customers.get(*key)
                assert stored is not None
                assert stored.customer.credit_group == self.model.member_of[key]
                buckets = [
                    (b.balance, b.packing_slips, b.open_orders)
                    for b in uow.customers.exposure(stored.id)
                    if b.currency.code == code
                ]
                assert (buckets or [(0, 0, 0)]) == [self.model.exposure(key)], key

    @invariant()
    def every_running_total_equals_the_documents(self) -> None:
        report = maintenance.check_exposure(self.rt, SYSTEM)
        assert report.drifts == []

    @invariant()
    def stored_decisions_never_change(self) -> None:
        for check_id, answered in self.decisions.items():
            assert checks.get_credit_check(self.rt, SYSTEM, check_id) == answered


def test_random_document_limit_group_and_check_sequences_keep_exposure_exact(
    tmp_path: Path,
) -> None:
    template = tmp_path / "template.db"
    make_template(template)

    class Machine(ExposureMachine):
        pass

    Machine.template = template
    Machine.workdir = tmp_path
    run_state_machine_as_test(
        Machine,
        settings=settings(
            max_examples=25,
            stateful_step_count=25,
            deadline=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        ),
    )
    assert Machine.examples >= 25
