"""Evaluate for release never lets an over-limit order through, and the last reference
behaviours (SPEC decisions of v1.1: B50–B53, A-09, §3.5, A-08 exclusions, B31, roles, credit
group scope), through the HTTP API on both engines. The service runs on a clock the tests set,
so checks and evaluations happen on the same day."""

from __future__ import annotations

from typing import Any

import pytest

from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, FixedClock, m

TODAY = "2026-11-23"


@pytest.fixture
def clock(runtime: Runtime) -> FixedClock:
    fixed = FixedClock(TODAY)
    runtime.clock = fixed
    return fixed


@pytest.fixture
def fi(api: Api, clock: FixedClock) -> Api:
    api.legal_entity("FI01", "EUR")
    api.reason("FI01", "F1", "hold", "Forced by management")
    api.reason("FI01", "REL-OK", "release", "Released by the credit manager")
    return api


def held(api: Api, order_id: str, le: str = "FI01", **check: Any) -> str:
    decision = api.check(le, order_id, as_of=TODAY, **check)
    assert decision["decision"] == "on_hold", decision
    return str(decision["hold"]["id"])


def evaluate(api: Api, body: dict[str, Any]) -> list[dict[str, Any]]:
    r = api.post("/credit-holds/evaluate", body)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def blocking(item: dict[str, Any]) -> list[tuple[str, str | None]]:
    return [(r["code"], r["scope"]) for r in item["still_blocking"]]


# --- the reproductions --------------------------------------------------------------------------


def test_evaluate_keeps_both_holds_when_the_group_and_the_individual_limit_both_fail(
    fi: Api,
) -> None:
    """R1 (limit 100) in a group (limit 150); R-1 (120) held on the individual limit, R-2 (50)
    on the group limit; exposure 170. Both stay held: R-1's individual limit still fails even
    though the group limit fails first."""
    fi.customer("FI01", "R1", "100.00 EUR")
    fi.group("G-R", "150.00 EUR")
    fi.join("G-R", "FI01", "R1")
    fi.order("FI01", "R-1", "R1", "120.00 EUR")
    first = held(fi, "R-1")
    fi.order("FI01", "R-2", "R1", "50.00 EUR")
    second = held(fi, "R-2")
    assert [r["scope"] for r in fi.hold(first)["reasons"]] == ["individual"]
    assert [r["scope"] for r in fi.hold(second)["reasons"]] == ["group"]

    items = {item["id"]: item for item in evaluate(fi, {"legal_entity": "FI01"})}

    assert {i: items[i]["released"] for i in (first, second)} == {first: False, second: False}
    assert blocking(items[first]) == [
        ("credit_limit_exceeded", "individual"),
        ("credit_limit_exceeded", "group"),
    ]
    assert blocking(items[second]) == [
        ("credit_limit_exceeded", "group"),
        ("credit_limit_exceeded", "individual"),
    ]
    assert [h["status"] for h in fi.holds(legal_entity="FI01")] == ["on_hold", "on_hold"]
    assert fi.check("FI01", "R-1", as_of=TODAY)["decision"] == "on_hold"


def test_an_order_that_grew_over_its_limit_on_hold_is_not_released_when_its_old_reason_clears(
    fi: Api, clock: FixedClock
) -> None:
    fi.rule("FI01", rule="days_overdue", value="30")
    fi.customer("FI01", "C100", "1000.00 EUR")
    fi.invoice("FI01", "INV-1", "C100", "100.00 EUR", "2026-08-01", "2026-09-01")
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")
    hold_id = held(fi, "SO-1")
    assert [r["code"] for r in fi.hold(hold_id)["reasons"]] == ["days_overdue"]

    fi.order("FI01", "SO-1", "C100", "5000.00 EUR")  # 500 % of the limit, while on hold
    fi.payment("FI01", "PAY-1", "C100", "100.00 EUR", TODAY, {"INV-1": "100.00 EUR"})
    [item] = evaluate(fi, {"hold_ids": [hold_id]})

    assert item["released"] is False
    assert item["ready_to_release"] is False
    assert item["reasons"] == [
        {"code": "days_overdue", "scope": None, "valid": False},
        {"code": "credit_limit_exceeded", "scope": "individual", "valid": True},
    ]
    assert blocking(item) == [("credit_limit_exceeded", "individual")]
    assert fi.hold(hold_id)["status"] == "on_hold"


def test_a_reason_that_starts_firing_after_the_hold_is_placed_keeps_the_hold(fi: Api) -> None:
    """No change to the held order: another order of the customer takes exposure over the
    limit while the hold waits; the old reason clears, the new one keeps it."""
    fi.rule("FI01", rule="days_overdue", value="30")
    fi.customer("FI01", "C100", "1000.00 EUR")
    fi.invoice("FI01", "INV-1", "C100", "100.00 EUR", "2026-08-01", "2026-09-01")
    fi.order("FI01", "SO-1", "C100", "100.00 EUR")
    hold_id = held(fi, "SO-1")
    fi.order("FI01", "SO-2", "C100", "950.00 EUR")
    fi.payment("FI01", "PAY-1", "C100", "100.00 EUR", TODAY, {"INV-1": "100.00 EUR"})

    [item] = evaluate(fi, {"hold_ids": [hold_id]})

    assert item["released"] is False
    assert blocking(item) == [("credit_limit_exceeded", "individual")]


def test_a_hold_whose_every_reason_cleared_is_released_and_says_nothing_blocks(
    fi: Api,
) -> None:
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "SO-1", "C100", "150.00 EUR")
    hold_id = held(fi, "SO-1")
    fi.customer("FI01", "C100", "200.00 EUR")

    [item] = evaluate(fi, {"legal_entity": "FI01", "customer": "C100"})

    assert (item["id"], item["released"], item["still_blocking"]) == (hold_id, True, [])
    assert fi.hold(hold_id)["release_reason"] == "AUTO"


# --- a scope is required --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [{}, {"hold_ids": None}, {"customer": "C100"}, {"legal_entity": None, "customer": None}],
)
def test_evaluate_without_a_scope_answers_422_and_evaluates_nothing(
    fi: Api, body: dict[str, Any]
) -> None:
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "SO-1", "C100", "150.00 EUR")
    hold_id = held(fi, "SO-1")
    fi.customer("FI01", "C100", "200.00 EUR")

    Api.problem(fi.post("/credit-holds/evaluate", body), 422, "scope_required")

    assert fi.hold(hold_id)["status"] == "on_hold"
    assert [h["action"] for h in fi.hold(hold_id)["history"]] == ["placed"]


def test_evaluate_of_one_legal_entity_leaves_the_holds_of_the_others(fi: Api) -> None:
    fi.legal_entity("SE01", "SEK")
    for le, cur in (("FI01", "EUR"), ("SE01", "SEK")):
        fi.customer(le, "C100", f"100.00 {cur}")
        fi.order(le, "SO-1", "C100", f"150.00 {cur}")
    fi_hold, se_hold = held(fi, "SO-1"), held(fi, "SO-1", le="SE01")
    fi.customer("FI01", "C100", "200.00 EUR")
    fi.customer("SE01", "C100", "200.00 SEK")

    items = evaluate(fi, {"legal_entity": "FI01"})

    assert [item["id"] for item in items] == [fi_hold]
    assert fi.hold(se_hold)["status"] == "on_hold"


# --- forced holds (B52, B53) ----------------------------------------------------------------------


def _hold_release_workflow(api: Api) -> None:
    r = api.put(
        "/legal-entities/FI01/workflows/credit_hold_release",
        {"enabled": True, "steps": [{"approver_role": "approver"}], "completion": None},
    )
    assert r.status_code == 200, r.text


def _forced(api: Api, order_id: str) -> str:
    r = api.post(f"/legal-entities/FI01/sales-orders/{order_id}/force-hold", {"reason": "F1"})
    assert r.status_code in (200, 201), r.text
    return str(r.json()["id"])


@pytest.mark.parametrize("action", ["release", "reject"])
def test_a_forced_hold_is_released_or_rejected_directly_while_a_release_workflow_is_on(
    fi: Api, action: str
) -> None:
    _hold_release_workflow(fi)
    fi.customer("FI01", "C100", "1000.00 EUR")
    fi.order("FI01", "SO-1", "C100", "10.00 EUR")
    hold_id = _forced(fi, "SO-1")
    clerk = fi.as_token(fi.new_token("credit_clerk", ["FI01"]))

    r = clerk.post(f"/credit-holds/{hold_id}/{action}", {"reason": "REL-OK"})

    assert r.status_code == 200, r.text
    assert fi.hold(hold_id)["status"] == {"release": "released", "reject": "rejected"}[action]


def test_a_rule_hold_still_needs_the_workflow_while_it_is_on(fi: Api) -> None:
    _hold_release_workflow(fi)
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "SO-1", "C100", "150.00 EUR")
    hold_id = held(fi, "SO-1")

    Api.problem(fi.post(f"/credit-holds/{hold_id}/release", {}), 409, "workflow_required")


def test_a_forced_hold_is_never_released_by_evaluation_even_with_nothing_else_blocking(
    fi: Api,
) -> None:
    fi.customer("FI01", "C100", "1000.00 EUR")
    fi.order("FI01", "SO-1", "C100", "10.00 EUR")
    hold_id = _forced(fi, "SO-1")

    [item] = evaluate(fi, {"hold_ids": [hold_id]})

    assert item["released"] is False
    assert blocking(item) == [("forced", None)]


# --- a held order that is changed is re-evaluated at once -----------------------------------


def test_a_changed_held_order_that_no_longer_breaks_a_rule_is_released_as_modified(
    fi: Api,
) -> None:
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "SO-1", "C100", "150.00 EUR")
    hold_id = held(fi, "SO-1")

    fi.order("FI01", "SO-1", "C100", "90.00 EUR")

    hold = fi.hold(hold_id)
    assert (hold["status"], hold["release_reason"]) == ("released", "MODIFIED")
    released = hold["history"][-1]
    assert released["action"] == "released"
    assert released["data"]["cause"] == "sales order modified"


def test_a_changed_forced_hold_is_not_released_by_the_change(fi: Api) -> None:
    fi.customer("FI01", "C100", "1000.00 EUR")
    fi.order("FI01", "SO-1", "C100", "10.00 EUR")
    hold_id = _forced(fi, "SO-1")

    fi.order("FI01", "SO-1", "C100", "5.00 EUR")

    assert fi.hold(hold_id)["status"] == "on_hold"


def test_a_changed_held_order_whose_rate_is_missing_is_stored_and_stays_held(fi: Api) -> None:
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "SO-1", "C100", "150.00 EUR")
    hold_id = held(fi, "SO-1")
    fi.customer("FI01", "C100", "100.00 USD", currency="USD")  # no USD rate: cannot convert

    fi.order("FI01", "SO-1", "C100", "90.00 EUR")

    assert fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["amount"] == m("90.00 EUR")
    hold = fi.hold(hold_id)
    assert hold["status"] == "on_hold"
    assert hold["history"][-1]["action"] == "evaluation_failed"


# --- §3.5: an account status's own hold setting ---------------------------------------------------


@pytest.mark.parametrize(
    ("on_hold", "checkpoint", "decision"),
    [
        ("all", "confirmation", "on_hold"),
        ("all", "invoice", "on_hold"),
        ("invoicing", "invoice", "on_hold"),
        ("invoicing", "confirmation", "passed"),
        ("none", "invoice", "passed"),
    ],
)
def test_an_account_status_holds_orders_by_its_own_setting(
    fi: Api, on_hold: str, checkpoint: str, decision: str
) -> None:
    fi.credit_parameters(
        "FI01",
        checkpoints=[
            {"checkpoint": "confirmation", "posting": True},
            {"checkpoint": "invoice", "posting": True},
        ],
    )
    fi.account_status("FI01", "STOP", on_hold)
    fi.customer("FI01", "C100", "1000.00 EUR", account_status="STOP")
    fi.order("FI01", "SO-1", "C100", "10.00 EUR")

    result = fi.check("FI01", "SO-1", checkpoint=checkpoint, as_of=TODAY)

    assert result["decision"] == decision
    if decision == "on_hold":
        assert [r["code"] for r in result["reasons"]] == ["account_status"]


def test_an_account_status_set_to_hold_all_holds_even_without_any_blocking_rule(fi: Api) -> None:
    fi.without_rules("FI01")
    fi.account_status("FI01", "STOP", "all")
    fi.customer("FI01", "C100", "1000.00 EUR", account_status="STOP")
    fi.customer("FI01", "C200", "1000.00 EUR")
    fi.order("FI01", "SO-1", "C100", "10.00 EUR")
    fi.order("FI01", "SO-2", "C200", "10.00 EUR")

    assert fi.check("FI01", "SO-1", as_of=TODAY)["decision"] == "on_hold"
    assert fi.check("FI01", "SO-2", as_of=TODAY)["decision"] == "not_checked"


# --- an amount exclusion applies at its amount ----------------------------------------------


def test_an_amount_exclusion_releases_an_order_whose_overdue_total_equals_its_amount(
    fi: Api,
) -> None:
    fi.rule("FI01", rule="days_overdue", value="30")
    fi.rule(
        "FI01",
        rule="days_overdue",
        kind="exclusion",
        value_type="amount",
        value="100.00",
        release_sales_order=True,
    )
    fi.customer("FI01", "C100", "1000.00 EUR")
    fi.invoice("FI01", "INV-1", "C100", "100.00 EUR", "2026-08-01", "2026-09-01")
    fi.invoice("FI01", "INV-2", "C100", "0.01 EUR", "2026-08-01", "2026-09-01")
    fi.order("FI01", "SO-1", "C100", "10.00 EUR")

    over = fi.check("FI01", "SO-1", as_of=TODAY)
    fi.post(
        "/legal-entities/FI01/invoices",
        {
            "id": "CN-1",
            "customer": "C100",
            "amount": m("0.01 EUR"),
            "invoice_date": "2026-08-01",
            "due_date": "2026-09-01",
            "kind": "credit_note",
        },
    )
    fi.payment("FI01", "PAY-1", "C100", "0.01 EUR", TODAY, {"INV-2": "0.01 EUR"})
    fi.order("FI01", "SO-2", "C100", "10.00 EUR")
    equal = fi.check("FI01", "SO-2", as_of=TODAY)

    assert over["decision"] == "on_hold"
    assert equal["decision"] == "passed"


# --- B31: intercompany orders ---------------------------------------------------------------------


def test_an_intercompany_order_is_not_checked_while_the_legal_entity_excludes_them(
    fi: Api,
) -> None:
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "IC-1", "C100", "150.00 EUR", intercompany=True)

    result = fi.check("FI01", "IC-1", as_of=TODAY)

    assert result["decision"] == "not_checked"
    assert "intercompany" in result["explanation"]
    assert fi.get("/legal-entities/FI01/sales-orders/IC-1").json()["intercompany"] is True
    assert (
        fi.get("/legal-entities/FI01/credit-parameters").json()["exclude_intercompany_orders"]
        is True
    )


def test_an_intercompany_order_is_checked_once_the_parameter_is_off(fi: Api) -> None:
    fi.credit_parameters("FI01", exclude_intercompany_orders=False)
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "IC-1", "C100", "150.00 EUR", intercompany=True)

    assert fi.check("FI01", "IC-1", as_of=TODAY)["decision"] == "on_hold"


# --- roles: a credit clerk prepares adjustment journals -------------------------------------------


def test_a_credit_clerk_prepares_and_submits_a_journal_but_cannot_post_it(fi: Api) -> None:
    fi.customer("FI01", "C100", "100.00 EUR")
    r = fi.put(
        "/legal-entities/FI01/workflows/credit_limit_journal",
        {"enabled": True, "steps": [{"approver_role": "approver"}], "completion": None},
    )
    assert r.status_code == 200, r.text
    clerk = fi.as_token(fi.new_token("credit_clerk", ["FI01"]))

    created = clerk.post("/legal-entities/FI01/credit-limit-journals", {"type": "credit_limit"})
    assert created.status_code == 201, created.text
    journal = created.json()["id"]
    line = clerk.journal_line(
        "FI01", journal, customer="C100", new_limit=m("500.00 EUR"), new_expires_on="2027-06-30"
    )
    assert line.status_code in (200, 201), line.text
    submitted = clerk.post(f"/legal-entities/FI01/credit-limit-journals/{journal}/submit")

    assert submitted.status_code in (200, 201), submitted.text
    Api.problem(clerk.post_journal("FI01", journal), 403, "forbidden")


def test_a_viewer_cannot_prepare_a_journal(fi: Api) -> None:
    viewer = fi.as_token(fi.new_token("viewer", ["FI01"]))

    r = viewer.post("/legal-entities/FI01/credit-limit-journals", {"type": "credit_limit"})

    Api.problem(r, 403, "forbidden")


# --- credit groups: a scoped caller sees and changes only its own ---------------------------------


@pytest.fixture
def nordic(fi: Api) -> Api:
    """G-NO has members in NO01 only; G-MIX in FI01 and NO01; G-FI in FI01 only."""
    fi.legal_entity("NO01", "NOK")
    fi.rate("NOK", "EUR", "0.0850")
    for le, cur in (("FI01", "EUR"), ("NO01", "NOK")):
        for account in ("C100", "C200", "C300"):
            fi.customer(le, account, f"1000.00 {cur}")
    fi.group("G-NO", "15000.00 EUR")
    fi.join("G-NO", "NO01", "C100")
    fi.group("G-MIX", "15000.00 EUR")
    fi.join("G-MIX", "FI01", "C200")
    fi.join("G-MIX", "NO01", "C200")
    fi.group("G-FI", "15000.00 EUR")
    fi.join("G-FI", "FI01", "C300")
    return fi


def test_a_scoped_caller_cannot_read_a_group_it_sees_no_member_of(nordic: Api) -> None:
    manager = nordic.as_token(nordic.new_token("credit_manager", ["FI01"]))

    Api.problem(manager.get("/credit-groups/G-NO"), 404, "credit_group_not_found")
    Api.problem(manager.get("/credit-groups/G-NO/aged-balances"), 404, "credit_group_not_found")
    assert manager.get("/credit-groups/G-MIX").status_code == 200
    assert manager.get("/credit-groups/G-FI").status_code == 200


def test_a_scoped_caller_cannot_join_its_customer_to_a_group_of_other_legal_entities(
    nordic: Api,
) -> None:
    manager = nordic.as_token(nordic.new_token("credit_manager", ["FI01"]))

    r = manager.put("/credit-groups/G-NO/members/FI01/C100")

    Api.problem(r, 404, "credit_group_not_found")
    assert [x["account"] for x in nordic.get("/credit-groups/G-NO").json()["members"]] == ["C100"]
    assert nordic.get("/legal-entities/FI01/customers/C100").json()["credit_group"] is None


def test_a_scoped_caller_cannot_change_a_group_with_members_elsewhere(nordic: Api) -> None:
    manager = nordic.as_token(nordic.new_token("credit_manager", ["FI01"]))
    before = nordic.get("/credit-groups/G-MIX").json()

    changed = manager.put(
        "/credit-groups/G-MIX",
        {"description": "x", "limit": m("1.00 EUR"), "limit_expires_on": "2027-12-31"},
    )
    joined = manager.put("/credit-groups/G-MIX/members/FI01/C100")
    left = manager.delete("/credit-groups/G-MIX/members/FI01/C200")

    for r in (changed, joined, left):
        Api.problem(r, 403, "forbidden")
    assert nordic.get("/credit-groups/G-MIX").json() == before


def test_a_scoped_caller_changes_a_group_whose_members_are_all_its_own(nordic: Api) -> None:
    manager = nordic.as_token(nordic.new_token("credit_manager", ["FI01"]))

    changed = manager.put(
        "/credit-groups/G-FI",
        {"description": "Finland", "limit": m("9000.00 EUR"), "limit_expires_on": "2027-12-31"},
    )
    joined = manager.put("/credit-groups/G-FI/members/FI01/C100")

    assert changed.status_code == 200, changed.text
    assert joined.status_code == 200, joined.text
    assert nordic.get("/credit-groups/G-FI").json()["limit"] == m("9000.00 EUR")
