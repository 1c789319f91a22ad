"""Blocking and exclusion rules through the HTTP API, with the reference's numbers and dates
(reference §3.2, §3.10, §3.11, behaviours B06–B30 and B67): each rule type, exclusions and their
levels, "release sales order", the payment-terms and settlement-discount rankings, several
reasons on one hold, excluded customers and orders, and the validation of rules on save."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import update

from creditdesk.adapters import tables as t
from creditdesk.adapters.unit_of_work import SqlAlchemyUnitOfWorkFactory
from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, m


@pytest.fixture
def fi(api: Api) -> Api:
    """FI01 (EUR) with its default setup: confirmation checked at posting, one rule
    "credit limit used 100 %, all"."""
    api.legal_entity("FI01", "EUR")
    return api


def customer(api: Api, account: str, limit: str | None = None, **fields: Any) -> None:
    """A customer of FI01; ``payment_terms`` and ``settlement_discount`` are its defaults, the
    other fields go to its credit profile."""
    body: dict[str, Any] = {"name": f"Customer {account}"}
    for name in ("payment_terms", "settlement_discount"):
        if name in fields:
            body[name] = fields.pop(name)
    body["credit"] = {"limit": m(limit) if limit is not None else None, **fields}
    r = api.put(f"/legal-entities/FI01/customers/{account}", body)
    assert r.status_code == 200, r.text


def decide(api: Api, order_id: str, as_of: str = "2026-11-23") -> dict[str, Any]:
    return api.check("FI01", order_id, as_of=as_of)


def codes(decision: dict[str, Any]) -> list[str]:
    return [r["code"] for r in decision["reasons"]]


def overdue_invoice(
    api: Api, invoice_id: str, account: str, amount: str, due: str = "2025-01-01"
) -> None:
    api.invoice(
        "FI01", invoice_id, account, f"{amount} EUR", invoice_date="2024-12-01", due_date=due
    )


def days_overdue_rule(api: Api, days: str = "61", **scope: Any) -> dict[str, Any]:
    return api.rule("FI01", rule="days_overdue", value_type="days", value=days, **scope)


# --- credit limit expired (B06–B08) -------------------------------------------------------------


@pytest.mark.parametrize(("ignore_blank", "decision"), [(True, "passed"), (False, "on_hold")])
def test_a_blank_expiration_date_blocks_only_when_the_ignore_blank_parameter_is_off(
    fi: Api, ignore_blank: bool, decision: str
) -> None:
    """B06, B07."""
    fi.credit_parameters("FI01", ignore_blank_expiry=ignore_blank)
    fi.rule("FI01", rule="credit_limit_expired", value="0")
    customer(fi, "C100", "10000.00 EUR", limit_expires_on=None)
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")

    result = decide(fi, "SO-1", as_of="2025-04-10")

    assert result["decision"] == decision
    if decision == "on_hold":
        assert codes(result) == ["credit_limit_expired"]
        assert result["reasons"][0]["scope"] == "individual"


def test_an_expired_limit_holds_only_after_the_rules_extra_days(fi: Api) -> None:
    """B08: expiry 2025-03-31, rule 10 days: 2025-04-10 passes, 2025-04-11 holds."""
    fi.rule("FI01", rule="credit_limit_expired", value_type="days", value="10")
    customer(fi, "C100", "10000.00 EUR", limit_expires_on="2025-03-31")
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")

    assert decide(fi, "SO-1", as_of="2025-04-10")["decision"] == "passed"
    held = decide(fi, "SO-1", as_of="2025-04-11")

    assert held["decision"] == "on_hold"
    assert codes(held) == ["credit_limit_expired"]


# --- days overdue and its exclusions (B09–B15) --------------------------------------------------


def test_days_overdue_holds_only_beyond_the_allowed_days(fi: Api) -> None:
    """B09: rule 61 days, invoice due 2025-01-01: 2025-03-03 (61 days) passes, 2025-03-04
    (62 days) holds."""
    days_overdue_rule(fi)
    customer(fi, "C100")
    overdue_invoice(fi, "INV-1", "C100", "500.00")
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")

    assert decide(fi, "SO-1", as_of="2025-03-03")["decision"] == "passed"
    held = decide(fi, "SO-1", as_of="2025-03-04")

    assert held["decision"] == "on_hold"
    assert codes(held) == ["days_overdue"]
    assert held["reasons"][0]["details"]["days"] == 62


@pytest.fixture
def table_exclusion(fi: Api) -> Api:
    """B10: the All rule (61 days) and a Table exclusion (days, 100) for C; C and D each have
    an invoice due 2025-01-01 and an order."""
    days_overdue_rule(fi)
    days_overdue_rule(fi, "100", kind="exclusion", valid_for="table", account_or_group="C")
    for account in ("C", "D"):
        customer(fi, account)
        overdue_invoice(fi, f"INV-{account}", account, "500.00")
        fi.order("FI01", f"SO-{account}", account, "100.00 EUR")
    return fi


def test_a_table_exclusion_keeps_its_customer_off_hold_but_not_the_others(
    table_exclusion: Api,
) -> None:
    """B10: at 80 days C is excluded, D is held."""
    assert decide(table_exclusion, "SO-C", as_of="2025-03-22")["decision"] == "passed"
    held = decide(table_exclusion, "SO-D", as_of="2025-03-22")
    assert held["decision"] == "on_hold"
    assert codes(held) == ["days_overdue"]


def test_a_table_exclusion_no_longer_applies_beyond_its_own_days(table_exclusion: Api) -> None:
    """B11: at 120 days C's order is held."""
    held = decide(table_exclusion, "SO-C", as_of="2025-05-01")

    assert held["decision"] == "on_hold"
    assert codes(held) == ["days_overdue"]


@pytest.fixture
def amount_exclusion(fi: Api) -> Api:
    """B12–B14: the All rule (61 days); US-001 has an invoice due 2025-01-01 of 900.00."""
    days_overdue_rule(fi)
    customer(fi, "US-001")
    overdue_invoice(fi, "INV-1", "US-001", "900.00")
    fi.order("FI01", "SO-1", "US-001", "100.00 EUR")
    return fi


def test_an_amount_exclusion_without_release_does_not_switch_off_a_days_rule(
    amount_exclusion: Api,
) -> None:
    """B12: the value types differ, so the order IS held."""
    amount_exclusion.rule(
        "FI01",
        rule="days_overdue",
        kind="exclusion",
        valid_for="table",
        account_or_group="US-001",
        value_type="amount",
        value="1000",
    )

    held = decide(amount_exclusion, "SO-1", as_of="2025-03-22")

    assert held["decision"] == "on_hold"
    assert codes(held) == ["days_overdue"]


def release_exclusion(api: Api) -> dict[str, Any]:
    return api.rule(
        "FI01",
        rule="days_overdue",
        kind="exclusion",
        valid_for="table",
        account_or_group="US-001",
        value_type="amount",
        value="1000",
        release_sales_order=True,
    )


def test_an_amount_exclusion_with_release_sales_order_releases_the_order_without_reasons(
    amount_exclusion: Api,
) -> None:
    """B13."""
    exclusion = release_exclusion(amount_exclusion)

    result = decide(amount_exclusion, "SO-1", as_of="2025-03-22")

    assert result["decision"] == "passed"
    assert result["reasons"] == []
    assert result["hold"] is None
    assert "release sales order" in exclusion["description"]
    assert amount_exclusion.holds() == []


def test_an_amount_exclusion_does_not_apply_when_the_overdue_total_reaches_its_amount(
    amount_exclusion: Api,
) -> None:
    """B14: total overdue 1,200 → the exclusion does not apply and the order is held."""
    release_exclusion(amount_exclusion)
    overdue_invoice(amount_exclusion, "INV-2", "US-001", "300.00")

    held = decide(amount_exclusion, "SO-1", as_of="2025-03-22")

    assert held["decision"] == "on_hold"
    assert codes(held) == ["days_overdue"]


def test_an_exclusion_does_not_cancel_a_blocking_rule_of_the_same_level(fi: Api) -> None:
    """B15: Group blocking (30 days) and Group exclusion (days, 100) for the same credit
    management group; a member 45 days overdue is held."""
    fi.cm_group("FI01", "RETAIL")
    days_overdue_rule(fi, "30", valid_for="group", account_or_group="RETAIL")
    days_overdue_rule(fi, "100", kind="exclusion", valid_for="group", account_or_group="RETAIL")
    customer(fi, "C100", credit_management_group="RETAIL")
    overdue_invoice(fi, "INV-1", "C100", "500.00")
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")

    held = decide(fi, "SO-1", as_of="2025-02-15")

    assert held["decision"] == "on_hold"
    assert codes(held) == ["days_overdue"]


def test_a_group_rule_applies_only_to_customers_of_its_credit_management_group(fi: Api) -> None:
    fi.cm_group("FI01", "RETAIL")
    fi.cm_group("FI01", "WHOLESALE")
    days_overdue_rule(fi, "30", valid_for="group", account_or_group="RETAIL")
    for account, group in (("C100", "RETAIL"), ("C200", "WHOLESALE")):
        customer(fi, account, credit_management_group=group)
        overdue_invoice(fi, f"INV-{account}", account, "500.00")
        fi.order("FI01", f"SO-{account}", account, "100.00 EUR")

    assert decide(fi, "SO-C100", as_of="2025-02-15")["decision"] == "on_hold"
    assert decide(fi, "SO-C200", as_of="2025-02-15")["decision"] == "passed"


# --- account status, terms of payment, sales order amount (B16–B18) -----------------------------


@pytest.mark.parametrize(("status", "decision"), [("REVIEW", "on_hold"), ("NORMAL", "passed")])
def test_an_account_status_rule_holds_customers_with_that_status(
    fi: Api, status: str, decision: str
) -> None:
    """B16."""
    fi.account_status("FI01", "REVIEW")
    fi.account_status("FI01", "NORMAL")
    fi.rule("FI01", rule="account_status", account_status="REVIEW")
    customer(fi, "C100", account_status=status)
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")

    result = decide(fi, "SO-1")

    assert result["decision"] == decision
    assert codes(result) == (["account_status"] if decision == "on_hold" else [])


@pytest.mark.parametrize(("terms", "decision"), [("Net90", "on_hold"), ("Net30", "passed")])
def test_a_terms_of_payment_rule_holds_orders_with_those_terms(
    fi: Api, terms: str, decision: str
) -> None:
    """B17."""
    fi.rule("FI01", rule="terms_of_payment", terms_of_payment="Net90")
    customer(fi, "C100", payment_terms="Net30")
    fi.order("FI01", "SO-1", "C100", "100.00 EUR", payment_terms=terms)

    result = decide(fi, "SO-1")

    assert result["decision"] == decision
    assert codes(result) == (["terms_of_payment"] if decision == "on_hold" else [])


@pytest.mark.parametrize(
    ("amount", "decision"),
    [("50000.01", "on_hold"), ("50000.00", "passed"), ("49999.99", "passed")],
)
def test_a_sales_order_rule_holds_orders_above_its_amount(
    fi: Api, amount: str, decision: str
) -> None:
    """B18 (A-08: an order of exactly the amount passes)."""
    fi.rule("FI01", rule="sales_order_amount", value="50000")
    customer(fi, "C100")
    fi.order("FI01", "SO-1", "C100", f"{amount} EUR")

    result = decide(fi, "SO-1")

    assert result["decision"] == decision
    assert codes(result) == (["sales_order_amount"] if decision == "on_hold" else [])


# --- credit limit used and overdue amount (B19–B24) ---------------------------------------------


@pytest.fixture
def ninety_percent(fi: Api) -> Api:
    """B19: limit 10,000, open balance 5,000 (not yet due), only a "credit limit used 90 %"
    rule."""
    fi.without_rules("FI01")
    fi.rule("FI01", rule="credit_limit_used", value_type="percent", value="90")
    customer(fi, "C100", "10000.00 EUR")
    fi.invoice("FI01", "INV-1", "C100", "5000.00 EUR", "2026-11-01", "2026-12-31")
    return fi


def test_credit_limit_used_holds_an_order_that_takes_usage_above_its_percentage(
    ninety_percent: Api,
) -> None:
    """B19: 3,500 (85 %) passes, 4,500 (95 %) is held."""
    ninety_percent.order("FI01", "SO-1", "C100", "3500.00 EUR")
    assert decide(ninety_percent, "SO-1")["decision"] == "passed"

    ninety_percent.order("FI01", "SO-1", "C100", "4500.00 EUR")
    held = decide(ninety_percent, "SO-1")

    assert held["decision"] == "on_hold"
    assert codes(held) == ["credit_limit_exceeded"]
    assert held["reasons"][0]["details"]["threshold_percent"] == "90"


def test_credit_limit_used_does_not_run_when_the_sales_order_limit_check_is_off(
    ninety_percent: Api,
) -> None:
    """B20."""
    ninety_percent.credit_parameters("FI01", check_credit_limit_on_sales_order=False)
    ninety_percent.order("FI01", "SO-1", "C100", "4500.00 EUR")

    assert decide(ninety_percent, "SO-1")["decision"] == "passed"


def test_without_any_blocking_rule_an_order_far_above_the_limit_is_not_held(fi: Api) -> None:
    """B21: deleting the default rule leaves no rule, and no hold."""
    customer(fi, "C100", "1000.00 EUR")
    fi.order("FI01", "SO-1", "C100", "900000.00 EUR")

    fi.without_rules("FI01")

    assert fi.rules("FI01") == []
    assert decide(fi, "SO-1")["decision"] != "on_hold"
    assert fi.holds() == []


def test_rules_do_not_hold_when_no_checkpoint_is_enabled_for_the_posting(fi: Api) -> None:
    """B22."""
    fi.rule("FI01", rule="sales_order_amount", value="10")
    fi.credit_parameters(
        "FI01", checkpoints=[{"checkpoint": "confirmation", "posting": False, "pro_forma": False}]
    )
    customer(fi, "C100")
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")

    assert decide(fi, "SO-1")["decision"] == "not_checked"
    assert fi.holds() == []


@pytest.fixture
def overdue_amount(fi: Api) -> Api:
    """B23: rule overdue amount 3,000 with threshold 70 %, limit 10,000."""
    fi.rule(
        "FI01",
        rule="overdue_amount",
        value_type="percent",
        value="3000",
        credit_limit_threshold="70",
    )
    customer(fi, "C100", "10000.00 EUR")
    return fi


@pytest.mark.parametrize(("order", "decision"), [("2000.00", "passed"), ("4000.00", "on_hold")])
def test_overdue_amount_holds_only_when_usage_is_above_the_threshold_too(
    overdue_amount: Api, order: str, decision: str
) -> None:
    """B23: overdue 4,000: an order of 2,000 (60 %) passes, 4,000 (80 %) is held."""
    overdue_invoice(overdue_amount, "INV-1", "C100", "4000.00", due="2026-10-01")
    overdue_amount.order("FI01", "SO-1", "C100", f"{order} EUR")

    result = decide(overdue_amount, "SO-1")

    assert result["decision"] == decision
    assert codes(result) == (["overdue_amount"] if decision == "on_hold" else [])


def test_overdue_amount_does_not_hold_while_the_overdue_amount_is_under_the_rules(
    overdue_amount: Api,
) -> None:
    """B24: overdue 2,500 and an order taking usage to 90 % → not held by this rule."""
    overdue_invoice(overdue_amount, "INV-1", "C100", "2500.00", due="2026-10-01")
    overdue_amount.order("FI01", "SO-1", "C100", "6500.00 EUR")

    assert decide(overdue_amount, "SO-1")["decision"] == "passed"


# --- rankings (B25–B27) -------------------------------------------------------------------------


@pytest.fixture
def ranked_terms(fi: Api) -> Api:
    """B25: Net30 = 10, Net45 = 10, Net60 = 20; customer default Net30."""
    for terms, rank in (("Net30", 10), ("Net45", 10), ("Net60", 20)):
        r = fi.put(f"/legal-entities/FI01/payment-terms-ranks/{terms}", {"rank": rank})
        assert r.status_code == 200, r.text
    customer(fi, "C100", payment_terms="Net30")
    return fi


@pytest.mark.parametrize(("terms", "decision"), [("Net45", "passed"), ("Net60", "on_hold")])
def test_payment_terms_ranked_higher_than_the_customers_default_hold_the_order(
    ranked_terms: Api, terms: str, decision: str
) -> None:
    """B25."""
    ranked_terms.credit_parameters("FI01", check_payment_terms_increase=True)
    ranked_terms.order("FI01", "SO-1", "C100", "100.00 EUR", payment_terms=terms)

    result = decide(ranked_terms, "SO-1")

    assert result["decision"] == decision
    assert codes(result) == (["payment_terms_increased"] if decision == "on_hold" else [])


def test_payment_terms_ranking_does_not_hold_when_its_parameter_is_off(
    ranked_terms: Api,
) -> None:
    """B26."""
    ranked_terms.order("FI01", "SO-1", "C100", "100.00 EUR", payment_terms="Net60")

    assert decide(ranked_terms, "SO-1")["decision"] == "passed"


@pytest.mark.parametrize(("discount", "decision"), [("D2", "on_hold"), ("D1", "passed")])
def test_a_settlement_discount_ranked_higher_than_the_customers_default_holds_the_order(
    fi: Api, discount: str, decision: str
) -> None:
    """B27."""
    for code, rank in (("D1", 1), ("D2", 2)):
        r = fi.put(f"/legal-entities/FI01/settlement-discount-ranks/{code}", {"rank": rank})
        assert r.status_code == 200, r.text
    fi.credit_parameters("FI01", check_settlement_discount_increase=True)
    customer(fi, "C100", settlement_discount="D1")
    fi.order("FI01", "SO-1", "C100", "100.00 EUR", settlement_discount=discount)

    result = decide(fi, "SO-1")

    assert result["decision"] == decision
    assert codes(result) == (["settlement_discount_increased"] if decision == "on_hold" else [])


# --- several reasons, excluded customers and orders (B28–B30) -----------------------------------


def test_an_order_breaking_two_rules_gets_one_hold_with_reason_multiple_and_both_reasons(
    fi: Api,
) -> None:
    """B28 (and B32: the decision says the order was sent to credit management, and it is on
    both the whole and the open hold list)."""
    fi.rule("FI01", rule="sales_order_amount", value="50000")
    fi.rule("FI01", rule="terms_of_payment", terms_of_payment="Net90")
    customer(fi, "C100")
    fi.order("FI01", "SO-1", "C100", "60000.00 EUR", payment_terms="Net90")

    result = decide(fi, "SO-1")

    assert result["decision"] == "on_hold"
    assert sorted(codes(result)) == ["sales_order_amount", "terms_of_payment"]
    assert "Order has been sent to credit management." in result["explanation"]
    assert fi.holds(status="on_hold") == fi.holds()
    listed = fi.holds()
    assert len(listed) == 1
    assert listed[0]["reason"] == "multiple"
    assert sorted(r["code"] for r in listed[0]["reasons"]) == [
        "sales_order_amount",
        "terms_of_payment",
    ]


def test_every_reason_that_fires_is_listed(fi: Api) -> None:
    fi.account_status("FI01", "REVIEW")
    fi.rule("FI01", rule="days_overdue", value="61")
    fi.rule("FI01", rule="account_status", account_status="REVIEW")
    fi.rule("FI01", rule="terms_of_payment", terms_of_payment="Net90")
    fi.rule("FI01", rule="credit_limit_expired", value="0")
    fi.rule("FI01", rule="sales_order_amount", value="50000")
    customer(fi, "C100", "10000.00 EUR", limit_expires_on="2025-01-31", account_status="REVIEW")
    overdue_invoice(fi, "INV-1", "C100", "500.00")
    fi.order("FI01", "SO-1", "C100", "60000.00 EUR", payment_terms="Net90")

    result = decide(fi, "SO-1", as_of="2025-04-01")

    assert codes(result) == [
        "days_overdue",
        "account_status",
        "terms_of_payment",
        "credit_limit_expired",
        "sales_order_amount",
        "credit_limit_exceeded",
    ]
    hold = fi.hold(result["hold"]["id"])
    assert [r["code"] for r in hold["reasons"]] == codes(result)
    assert all(r["valid"] for r in hold["reasons"])


@pytest.mark.parametrize("excluded", ["customer", "order"])
def test_an_excluded_customer_or_order_is_not_held_by_rules_that_would_fire(
    fi: Api, excluded: str
) -> None:
    """B29, B30."""
    fi.rule("FI01", rule="sales_order_amount", value="50000")
    fi.rule("FI01", rule="terms_of_payment", terms_of_payment="Net90")
    customer(fi, "C100", "1000.00 EUR", exclude=excluded == "customer")
    fi.order(
        "FI01",
        "SO-1",
        "C100",
        "60000.00 EUR",
        payment_terms="Net90",
        exclude=excluded == "order",
    )

    result = decide(fi, "SO-1")

    assert result["decision"] == "not_checked"
    assert result["reasons"] == []
    assert "excluded" in result["explanation"]
    assert fi.holds() == []


# --- risk group filter (B67) --------------------------------------------------------------------


def set_risk_group(runtime: Runtime, account: str, risk_group: str) -> None:
    """Risk scoring has no API yet: put the customer into a risk group in the database."""
    factory = runtime.uow
    assert isinstance(factory, SqlAlchemyUnitOfWorkFactory)
    with factory.engine.begin() as conn:
        conn.execute(
            update(t.customers)
            .where(t.customers.c.legal_entity == "FI01", t.customers.c.account == account)
            .values(risk_group=risk_group)
        )


def test_a_rule_scoped_to_a_risk_group_ignores_customers_of_other_risk_groups(
    fi: Api, runtime: Runtime
) -> None:
    """B67: a days-overdue rule for risk group HIGH; LOW at 90 days is not held, HIGH is."""
    days_overdue_rule(fi, "30", risk_group="HIGH")
    for account, risk in (("C-LOW", "LOW"), ("C-HIGH", "HIGH")):
        customer(fi, account)
        set_risk_group(runtime, account, risk)
        overdue_invoice(fi, f"INV-{account}", account, "500.00")
        fi.order("FI01", f"SO-{account}", account, "100.00 EUR")

    assert decide(fi, "SO-C-LOW", as_of="2025-04-01")["decision"] == "passed"
    assert codes(decide(fi, "SO-C-HIGH", as_of="2025-04-01")) == ["days_overdue"]


# --- the rule list and rule validation ----------------------------------------------------------


def test_a_new_rule_is_listed_with_its_id_and_deleting_it_removes_it(fi: Api) -> None:
    default = fi.rules("FI01")
    assert [(r["rule"], r["kind"], r["valid_for"], r["value"]) for r in default] == [
        ("credit_limit_used", "blocking", "all", "100")
    ]

    added = fi.rule("FI01", rule="days_overdue", value="61")

    assert added["id"]
    assert added["value_type"] == "days"
    assert added["account_or_group"] is None
    assert [r["id"] for r in fi.rules("FI01")] == [default[0]["id"], added["id"]]
    assert fi.delete(f"/legal-entities/FI01/blocking-rules/{added['id']}").status_code == 204
    assert fi.rules("FI01") == default
    Api.problem(
        fi.delete(f"/legal-entities/FI01/blocking-rules/{added['id']}"), 404, "rule_not_found"
    )


@pytest.mark.parametrize(
    "body",
    [
        {"rule": "credit_limit_used", "value_type": "days", "value": "90"},
        {"rule": "days_overdue", "value_type": "percent", "value": "61"},
        {"rule": "days_overdue", "value_type": "amount", "value": "1000"},
        {"rule": "days_overdue", "value": "1.5"},
        {"rule": "days_overdue"},
        {"rule": "sales_order_amount", "value": "-1"},
        {"rule": "overdue_amount", "value": "3000"},
        {"rule": "sales_order_amount", "value": "100", "credit_limit_threshold": "70"},
        {"rule": "terms_of_payment"},
        {"rule": "terms_of_payment", "terms_of_payment": "Net90", "value": "3"},
        {"rule": "account_status", "account_status": "X", "valid_for": "table"},
        {"rule": "days_overdue", "value": "61", "valid_for": "table"},
        {"rule": "days_overdue", "value": "61", "account_or_group": "C100"},
        {"rule": "sales_order_amount", "value": "100", "release_sales_order": True},
        {"rule": "sales_order_amount", "value": "100", "account_status": "X"},
    ],
)
def test_a_rule_that_does_not_fit_its_type_is_refused(fi: Api, body: dict[str, Any]) -> None:
    before = fi.rules("FI01")

    Api.problem(fi.post("/legal-entities/FI01/blocking-rules", body), 422, "invalid_rule")

    assert fi.rules("FI01") == before


def test_a_group_rule_naming_an_unknown_credit_management_group_is_refused(fi: Api) -> None:
    r = fi.post(
        "/legal-entities/FI01/blocking-rules",
        {"rule": "days_overdue", "value": "30", "valid_for": "group", "account_or_group": "NOPE"},
    )

    Api.problem(r, 422, "unknown_credit_management_group")
    assert len(fi.rules("FI01")) == 1


def test_an_account_status_rule_naming_an_unknown_status_is_refused(fi: Api) -> None:
    r = fi.post(
        "/legal-entities/FI01/blocking-rules", {"rule": "account_status", "account_status": "NOPE"}
    )

    Api.problem(r, 422, "unknown_account_status")
    assert len(fi.rules("FI01")) == 1


def test_a_credit_management_group_of_another_legal_entity_is_unknown(fi: Api) -> None:
    fi.legal_entity("NO01", "NOK")
    fi.cm_group("NO01", "RETAIL")

    r = fi.post(
        "/legal-entities/FI01/blocking-rules",
        {"rule": "days_overdue", "value": "30", "valid_for": "group", "account_or_group": "RETAIL"},
    )

    Api.problem(r, 422, "unknown_credit_management_group")
