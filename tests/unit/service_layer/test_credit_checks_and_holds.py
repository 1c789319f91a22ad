"""The credit check and the hold list as use cases, on in-memory fakes of the ports: what a
check stores, how evaluate for release weighs every limit and every new reason, forced holds
under a release workflow, A-09 for a changed held order, and grace days after a release."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from creditdesk.domain.customers import CreditProfile, Customer
from creditdesk.domain.errors import OrderRejectedError, ScopeRequiredError
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.holds import HoldStatus
from creditdesk.domain.money import Money, currency
from creditdesk.domain.rules import ReasonCode, RuleType, default_rules, make_rule
from creditdesk.domain.setup import Checkpoint, CheckpointSetup, CreditParameters
from creditdesk.domain.workflows import Step, WorkflowDefinition, WorkflowKind
from creditdesk.service_layer import documents, holds
from creditdesk.service_layer.auth import SYSTEM, Principal, Role
from creditdesk.service_layer.checks import CheckRequest, run_credit_check
from creditdesk.service_layer.ports import LegalEntity, SalesOrder, StoredCustomer
from creditdesk.service_layer.runtime import Runtime
from tests.fakes import FakeStore, fake_runtime, with_exposure

EUR = currency("EUR")
TODAY = date(2026, 11, 23)
CLERK = Principal("clerk", Role.CREDIT_CLERK, frozenset({"FI01"}))


def eur(amount: str) -> Money:
    return Money.of(amount, "EUR")


def a_legal_entity(**params: Any) -> LegalEntity:
    parameters = replace(
        CreditParameters(
            release_reason_ready="AUTO",
            release_reason_cancel="CANCELED",
            release_reason_modified="MODIFIED",
        ),
        **params,
    )
    return LegalEntity("FI01", "Contoso Oy", EUR, parameters)


@pytest.fixture
def store() -> FakeStore:
    s = FakeStore()
    s.legal_entities["FI01"] = a_legal_entity()
    s.rules["FI01"] = list(default_rules("rule_1"))
    for reason, kind in (("AUTO", "release"), ("MODIFIED", "release"), ("F1", "hold")):
        s.reasons[("FI01", reason)] = (kind, reason)
    return s


@pytest.fixture
def rt(store: FakeStore) -> Runtime:
    return fake_runtime(store)


def a_customer(
    store: FakeStore, account: str, limit: str | None, group: str | None = None
) -> StoredCustomer:
    customer = Customer(
        "FI01",
        account,
        f"Customer {account}",
        EUR,
        credit=CreditProfile(limit=eur(limit) if limit is not None else None),
        credit_group=group,
    )
    stored = StoredCustomer(len(store.customers) + 1, customer, 1)
    store.customers[stored.id] = stored
    return stored


def an_order(store: FakeStore, stored: StoredCustomer, order_id: str, amount: str) -> None:
    money = eur(amount)
    store.orders[("FI01", order_id)] = SalesOrder(
        "FI01", order_id, stored.id, money, Money.zero(EUR), None, None, "open", False, "h", 1
    )
    with_exposure(store, stored, EUR, money.minor)


def check(
    rt: Runtime, order_id: str, checkpoint: Checkpoint = Checkpoint.CONFIRMATION
) -> dict[str, Any]:
    return run_credit_check(rt, SYSTEM, CheckRequest("FI01", order_id, checkpoint, as_of=TODAY))


def held(rt: Runtime, order_id: str) -> str:
    decision = check(rt, order_id)
    assert decision["decision"] == "on_hold", decision["explanation"]
    return str(decision["hold"]["id"])


# --- the check --------------------------------------------------------------------------------


def test_a_check_over_the_limit_stores_its_decision_its_hold_and_an_event(
    store: FakeStore, rt: Runtime
) -> None:
    c100 = a_customer(store, "C100", "100.00")
    an_order(store, c100, "SO-1", "100.01")

    decision = check(rt, "SO-1")

    assert decision["decision"] == "on_hold"
    assert store.decisions[decision["id"]] == decision
    hold = store.holds[decision["hold"]["id"]]
    assert [r.reason.code for r in hold.reasons] == [ReasonCode.CREDIT_LIMIT_EXCEEDED]
    assert [e.type for e in store.events] == ["hold.placed"]


def test_an_order_landing_exactly_on_its_limit_passes_and_places_no_hold(
    store: FakeStore, rt: Runtime
) -> None:
    c100 = a_customer(store, "C100", "100.00")
    an_order(store, c100, "SO-1", "100.00")

    assert check(rt, "SO-1")["decision"] == "passed"
    assert store.holds == {}


def test_a_refused_check_changes_nothing(store: FakeStore, rt: Runtime) -> None:
    c100 = a_customer(store, "C100", "100.00")
    an_order(store, c100, "SO-1", "50.00")
    store.orders[("FI01", "SO-1")] = replace(store.orders[("FI01", "SO-1")], status="rejected")
    commits = store.commits

    with pytest.raises(OrderRejectedError):
        check(rt, "SO-1")

    assert (store.commits, store.decisions, store.holds) == (commits, {}, {})


# --- evaluate for release ------------------------------------------------------------------------


@pytest.fixture
def both_limits_fail(store: FakeStore) -> tuple[str, str]:
    """R1 (limit 100) in G (limit 150): R-1 (120) held on the individual limit, R-2 (50) on
    the group limit; exposure 170."""
    store.groups["G"] = CreditGroup("G", "G", eur("150.00"), date(2027, 12, 31))
    r1 = a_customer(store, "R1", "100.00", group="G")
    rt = fake_runtime(store)
    an_order(store, r1, "R-1", "120.00")
    first = held(rt, "R-1")
    an_order(store, r1, "R-2", "50.00")
    second = held(rt, "R-2")
    return first, second


def test_evaluate_keeps_a_hold_on_the_individual_limit_while_the_group_limit_fails_too(
    store: FakeStore, rt: Runtime, both_limits_fail: tuple[str, str]
) -> None:
    first, second = both_limits_fail

    items = holds.evaluate_for_release(rt, SYSTEM, legal_entity="FI01")

    assert [(i["id"], i["released"]) for i in items] == [(first, False), (second, False)]
    assert {r["scope"] for r in items[0]["still_blocking"]} == {"group", "individual"}
    assert all(store.holds[h].status == HoldStatus.ON_HOLD for h in (first, second))


def test_evaluate_releases_once_no_limit_blocks_any_more(
    store: FakeStore, rt: Runtime, both_limits_fail: tuple[str, str]
) -> None:
    first, _ = both_limits_fail
    store.groups["G"] = CreditGroup("G", "G", eur("1000.00"), date(2027, 12, 31))
    for stored in store.customers.values():
        credit = CreditProfile(limit=eur("1000.00"))
        store.customers[stored.id] = StoredCustomer(
            stored.id, Customer("FI01", "R1", "R1", EUR, credit=credit, credit_group="G"), 2
        )

    [item] = holds.evaluate_for_release(rt, SYSTEM, hold_ids=[first])

    assert (item["released"], item["still_blocking"]) == (True, [])
    hold = store.holds[first]
    assert (hold.status, hold.release_reason) == (HoldStatus.RELEASED, "AUTO")
    assert store.orders[("FI01", "R-1")].released_at == TODAY


def test_evaluate_needs_a_scope(store: FakeStore, rt: Runtime) -> None:
    with pytest.raises(ScopeRequiredError):
        holds.evaluate_for_release(rt, SYSTEM)


def test_a_reason_that_starts_firing_on_hold_keeps_the_hold(store: FakeStore, rt: Runtime) -> None:
    store.rules["FI01"].append(
        make_rule(id="rule_2", rule=RuleType.SALES_ORDER_AMOUNT, value=Decimal("1000"))
    )
    c100 = a_customer(store, "C100", "100.00")
    an_order(store, c100, "SO-1", "150.00")
    hold_id = held(rt, "SO-1")
    store.orders[("FI01", "SO-1")] = replace(store.orders[("FI01", "SO-1")], amount=eur("5000.00"))
    store.customers[c100.id] = replace(
        c100, customer=replace(c100.customer, credit=CreditProfile(limit=eur("100000.00")))
    )

    [item] = holds.evaluate_for_release(rt, SYSTEM, hold_ids=[hold_id])

    assert item["released"] is False
    assert [r["code"] for r in item["still_blocking"]] == ["sales_order_amount"]


# --- forced holds (B52, B53) ----------------------------------------------------------------------


def test_a_clerk_releases_a_forced_hold_directly_while_a_release_workflow_is_on(
    store: FakeStore, rt: Runtime
) -> None:
    store.definitions[("FI01", WorkflowKind.CREDIT_HOLD_RELEASE.value)] = WorkflowDefinition(
        "FI01", WorkflowKind.CREDIT_HOLD_RELEASE, True, (Step(approver_role="approver"),)
    )
    c100 = a_customer(store, "C100", "1000.00")
    an_order(store, c100, "SO-1", "10.00")
    body, created = holds.force_hold(rt, CLERK, "FI01", "SO-1", "F1")
    assert created

    released = holds.release_hold(
        rt, CLERK, body["id"], reason=None, review_date=None, with_posting=True
    )

    assert released["status"] == "released"


def test_evaluation_never_releases_a_forced_hold(store: FakeStore, rt: Runtime) -> None:
    c100 = a_customer(store, "C100", "1000.00")
    an_order(store, c100, "SO-1", "10.00")
    body, _ = holds.force_hold(rt, CLERK, "FI01", "SO-1", "F1")

    [item] = holds.evaluate_for_release(rt, CLERK, hold_ids=[body["id"]])

    assert (item["ready_to_release"], item["released"]) == (True, False)
    assert store.holds[body["id"]].status == HoldStatus.ON_HOLD


# --- a changed held order ------------------------------------------------------------------


def test_a_held_order_changed_to_fit_is_released_with_the_modified_orders_reason(
    store: FakeStore, rt: Runtime
) -> None:
    c100 = a_customer(store, "C100", "100.00")
    an_order(store, c100, "SO-1", "150.00")
    hold_id = held(rt, "SO-1")

    documents.put_sales_order(
        rt, SYSTEM, "FI01", documents.SalesOrderInput("SO-1", "C100", eur("80.00"))
    )

    hold = store.holds[hold_id]
    assert (hold.status, hold.release_reason) == (HoldStatus.RELEASED, "MODIFIED")
    assert store.exposure[(c100.id, "EUR")][2] == eur("80.00").minor


# --- grace days after a release (A-28) ------------------------------------------------------------


def test_a_later_checkpoint_inside_the_grace_days_after_a_release_is_not_checked(
    store: FakeStore, rt: Runtime
) -> None:
    store.legal_entities["FI01"] = a_legal_entity(
        checkpoints=(
            CheckpointSetup(Checkpoint.CONFIRMATION, posting=True, grace_days=3),
            CheckpointSetup(Checkpoint.PICKING_LIST, posting=True, grace_days=3),
            CheckpointSetup(Checkpoint.PACKING_SLIP),
            CheckpointSetup(Checkpoint.INVOICE),
        )
    )
    c100 = a_customer(store, "C100", "100.00")
    an_order(store, c100, "SO-1", "150.00")
    hold_id = held(rt, "SO-1")
    holds.release_hold(rt, SYSTEM, hold_id, reason=None, review_date=None, with_posting=True)

    decision = check(rt, "SO-1", Checkpoint.PICKING_LIST)

    assert decision["decision"] == "not_checked"
    assert "grace days" in decision["explanation"]
