"""Credit parameters through the HTTP API: the default setup of a new legal entity, the
checkpoint rows and their grace days (B42, B43), posting and pro forma (B46), and every way an
order is left unchecked: checkpoint off, credit management off, order or customer excluded, no
blocking rule."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api


@pytest.fixture
def fi(api: Api) -> Api:
    """FI01 (EUR) with C100, limit 1,000.00 EUR, and SO-1 of 5,000.00 EUR: over the limit."""
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "1000.00 EUR")
    api.order("FI01", "SO-1", "C100", "5000.00 EUR")
    return api


def row(
    checkpoint: str, posting: bool = False, pro_forma: bool = False, grace: int | None = None
) -> dict[str, Any]:
    return {
        "checkpoint": checkpoint,
        "posting": posting,
        "pro_forma": pro_forma,
        "grace_days": grace,
    }


def checkpoints(api: Api) -> dict[str, dict[str, Any]]:
    params = api.get("/legal-entities/FI01/credit-parameters").json()
    return {r["checkpoint"]: r for r in params["checkpoints"]}


def assert_not_checked(api: Api, decision: dict[str, Any], why: str) -> None:
    assert decision["decision"] == "not_checked", decision
    assert decision["hold"] is None
    assert decision["reasons"] == []
    assert decision["limits"] == []
    assert why in decision["explanation"], decision["explanation"]
    assert api.holds() == []
    assert api.get(f"/credit-checks/{decision['id']}").json() == decision


# --- defaults -----------------------------------------------------------------------------------


def test_a_new_legal_entity_gets_the_default_credit_setup(fi: Api) -> None:
    params = fi.get("/legal-entities/FI01/credit-parameters").json()

    assert params["credit_management"] is True
    assert params["credit_limit_type"] == "balance_and_all"
    assert params["check_group_limits"] is True
    assert params["allow_manual_limit_edit"] is True
    assert params["checkpoints"] == [
        row("confirmation", posting=True),
        row("picking_list"),
        row("packing_slip"),
        row("invoice"),
    ]
    rules = fi.get("/legal-entities/FI01/blocking-rules").json()["items"]
    assert len(rules) == 1
    assert rules[0]["rule"] == "credit_limit_used"
    assert rules[0]["kind"] == "blocking"
    assert rules[0]["valid_for"] == "all"
    assert rules[0]["value_type"] == "percent"
    assert rules[0]["value"] == "100"
    assert fi.get("/legal-entities/FI01").json()["credit_parameters"] == params


def test_a_partial_put_changes_only_the_fields_it_names(fi: Api) -> None:
    before = fi.get("/legal-entities/FI01/credit-parameters").json()

    after = fi.credit_parameters("FI01", credit_limit_type="balance")

    assert after == before | {"credit_limit_type": "balance"}
    assert fi.get("/legal-entities/FI01/credit-parameters").json() == after


def test_a_checkpoint_row_put_alone_keeps_the_other_rows(fi: Api) -> None:
    fi.credit_parameters("FI01", checkpoints=[row("invoice", posting=True)])

    rows = checkpoints(fi)

    assert rows["confirmation"] == row("confirmation", posting=True)
    assert rows["invoice"] == row("invoice", posting=True)


@pytest.mark.parametrize(
    "body",
    [
        {"credit_limit_type": "everything"},
        {"credit_management": "yes"},
        {"checkpoints": [{"checkpoint": "shipping", "posting": True}]},
        {"checkpoints": [row("confirmation", posting=True, grace=-1)]},
        {"release_reason_ready": "NO-SUCH"},
        {"colour": "blue"},
    ],
)
def test_invalid_parameters_are_refused_and_change_nothing(fi: Api, body: dict[str, Any]) -> None:
    before = fi.get("/legal-entities/FI01/credit-parameters").json()

    r = fi.put("/legal-entities/FI01/credit-parameters", body)

    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert fi.get("/legal-entities/FI01/credit-parameters").json() == before


def test_a_release_reason_parameter_must_name_a_release_reason(fi: Api) -> None:
    fi.put("/legal-entities/FI01/reasons/H1", {"type": "hold", "description": "a hold reason"})

    r = fi.put("/legal-entities/FI01/credit-parameters", {"release_reason_ready": "H1"})

    Api.problem(r, 422, "unknown_reason")
    params = fi.credit_parameters("FI01", release_reason_ready="MODIFIED")
    assert params["release_reason_ready"] == "MODIFIED"


# --- B42, B43: grace days -----------------------------------------------------------------------


def test_grace_days_on_some_posting_rows_but_not_all_are_refused(fi: Api) -> None:
    before = checkpoints(fi)

    r = fi.put(
        "/legal-entities/FI01/credit-parameters",
        {
            "checkpoints": [
                row("confirmation", posting=True, grace=2),
                row("packing_slip", posting=True),
            ]
        },
    )

    body = Api.problem(r, 422, "invalid_checkpoints")
    assert "packing_slip" in body["detail"]
    assert checkpoints(fi) == before


def test_grace_days_are_checked_against_the_stored_posting_rows_too(fi: Api) -> None:
    # confirmation is already enabled for posting without grace days
    r = fi.put(
        "/legal-entities/FI01/credit-parameters",
        {"checkpoints": [row("packing_slip", posting=True, grace=2)]},
    )

    body = Api.problem(r, 422, "invalid_checkpoints")
    assert "confirmation" in body["detail"]
    assert checkpoints(fi)["packing_slip"] == row("packing_slip")


def test_grace_days_on_every_posting_row_are_accepted(fi: Api) -> None:
    params = fi.credit_parameters(
        "FI01",
        checkpoints=[
            row("confirmation", posting=True, grace=2),
            row("packing_slip", posting=True, grace=0),
        ],
    )

    rows = {r["checkpoint"]: r for r in params["checkpoints"]}
    assert rows["confirmation"]["grace_days"] == 2
    assert rows["packing_slip"]["grace_days"] == 0
    assert rows["invoice"]["grace_days"] is None


@pytest.mark.parametrize(
    "bad_row",
    [
        row("invoice", posting=False, grace=3),
        row("invoice", posting=False, pro_forma=True, grace=3),
        row("confirmation", posting=False, pro_forma=True, grace=0),
    ],
)
def test_grace_days_on_a_row_without_posting_are_refused(fi: Api, bad_row: Any) -> None:
    before = checkpoints(fi)

    r = fi.put("/legal-entities/FI01/credit-parameters", {"checkpoints": [bad_row]})

    Api.problem(r, 422, "invalid_checkpoints")
    assert checkpoints(fi) == before


def test_the_same_checkpoint_twice_in_one_put_is_refused(fi: Api) -> None:
    r = fi.put(
        "/legal-entities/FI01/credit-parameters",
        {"checkpoints": [row("invoice", posting=True), row("invoice", pro_forma=True)]},
    )

    Api.problem(r, 422, "invalid_checkpoints")


# --- when the rules do not run ------------------------------------------------------------------


def test_an_enabled_checkpoint_holds_an_order_over_the_limit(fi: Api) -> None:
    decision = fi.check("FI01", "SO-1")

    assert decision["decision"] == "on_hold"
    assert [r["code"] for r in decision["reasons"]] == ["credit_limit_exceeded"]


@pytest.mark.parametrize("checkpoint", ["picking_list", "packing_slip", "invoice"])
def test_a_checkpoint_that_is_not_enabled_does_not_check(fi: Api, checkpoint: str) -> None:
    decision = fi.check("FI01", "SO-1", checkpoint=checkpoint)

    assert decision["checkpoint"] == checkpoint
    assert_not_checked(fi, decision, f"checkpoint {checkpoint} is not enabled for posting")


def test_a_checkpoint_enabled_later_checks(fi: Api) -> None:
    fi.credit_parameters("FI01", checkpoints=[row("invoice", posting=True)])

    assert fi.check("FI01", "SO-1", checkpoint="invoice")["decision"] == "on_hold"


def test_a_checkpoint_switched_off_no_longer_checks(fi: Api) -> None:
    fi.credit_parameters("FI01", checkpoints=[row("confirmation")])

    assert_not_checked(fi, fi.check("FI01", "SO-1"), "not enabled for posting")


def test_posting_only_leaves_a_pro_forma_unchecked(fi: Api) -> None:
    decision = fi.check("FI01", "SO-1", posting=False)

    assert decision["posting"] is False
    assert_not_checked(fi, decision, "not enabled for pro forma")


def test_pro_forma_only_checks_a_pro_forma_and_not_a_real_posting(fi: Api) -> None:
    fi.credit_parameters("FI01", checkpoints=[row("confirmation", posting=False, pro_forma=True)])

    real = fi.check("FI01", "SO-1", posting=True)
    assert_not_checked(fi, real, "not enabled for posting")

    pro_forma = fi.check("FI01", "SO-1", posting=False)
    assert pro_forma["decision"] == "on_hold"
    assert pro_forma["posting"] is False
    hold = fi.get(f"/credit-holds/{pro_forma['hold']['id']}").json()
    assert hold["posting"] is False


def test_credit_management_off_leaves_every_order_unchecked(fi: Api) -> None:
    fi.credit_parameters("FI01", credit_management=False)

    assert_not_checked(fi, fi.check("FI01", "SO-1"), "credit management is off in FI01")

    fi.credit_parameters("FI01", credit_management=True)
    assert fi.check("FI01", "SO-1")["decision"] == "on_hold"


def test_an_excluded_order_is_not_checked(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "5000.00 EUR", exclude=True)

    assert_not_checked(fi, fi.check("FI01", "SO-1"), "sales order SO-1 is excluded")

    fi.order("FI01", "SO-1", "C100", "5000.00 EUR", exclude=False)
    assert fi.check("FI01", "SO-1")["decision"] == "on_hold"


def test_an_excluded_order_still_counts_in_exposure(fi: Api) -> None:
    fi.order("FI01", "SO-1", "C100", "5000.00 EUR", exclude=True)

    assert fi.exposure("FI01", "C100")["open_orders"] == "5000.00 EUR"


def test_an_excluded_customer_is_not_checked(fi: Api) -> None:
    fi.customer("FI01", "C100", "1000.00 EUR", exclude=True)

    assert_not_checked(fi, fi.check("FI01", "SO-1"), "customer FI01/C100 is excluded")


def test_without_any_blocking_rule_orders_are_not_checked(fi: Api) -> None:
    rules = fi.get("/legal-entities/FI01/blocking-rules").json()["items"]
    assert fi.delete(f"/legal-entities/FI01/blocking-rules/{rules[0]['id']}").status_code == 204
    assert fi.get("/legal-entities/FI01/blocking-rules").json()["items"] == []

    assert_not_checked(fi, fi.check("FI01", "SO-1"), "no blocking rule is set up in FI01")


def test_a_blocking_rule_added_back_checks_again(fi: Api) -> None:
    rules = fi.get("/legal-entities/FI01/blocking-rules").json()["items"]
    fi.delete(f"/legal-entities/FI01/blocking-rules/{rules[0]['id']}")
    assert fi.check("FI01", "SO-1")["decision"] == "not_checked"

    r = fi.post(
        "/legal-entities/FI01/blocking-rules",
        {"rule": "credit_limit_used", "value_type": "percent", "value": "100"},
    )
    assert r.status_code == 201, r.text

    assert fi.check("FI01", "SO-1")["decision"] == "on_hold"


def test_deleting_an_unknown_blocking_rule_answers_404(fi: Api) -> None:
    Api.problem(fi.delete("/legal-entities/FI01/blocking-rules/rule_nope"), 404, "rule_not_found")
    assert len(fi.get("/legal-entities/FI01/blocking-rules").json()["items"]) == 1


def test_an_order_within_the_limit_passes_the_default_setup(fi: Api) -> None:
    fi.order("FI01", "SO-2", "C100", "1000.00 EUR")
    fi.order("FI01", "SO-1", "C100", "5000.00 EUR", status="cancelled")

    decision = fi.check("FI01", "SO-2")

    assert decision["decision"] == "passed"
    assert decision["limits"][0]["exposure_before"] == {"amount": "0.00", "currency": "EUR"}


def test_the_group_limit_is_not_tested_when_group_checks_are_off(fi: Api) -> None:
    fi.group("G1", "100.00 EUR")
    fi.customer("FI01", "C100", "10000.00 EUR")
    fi.join("G1", "FI01", "C100")
    assert fi.check("FI01", "SO-1")["decision"] == "on_hold"
    fi.order("FI01", "SO-2", "C100", "10.00 EUR")
    hold = fi.holds()[0]
    fi.post(f"/credit-holds/{hold['id']}/reject", {})

    fi.credit_parameters("FI01", check_group_limits=False)
    decision = fi.check("FI01", "SO-2")

    assert decision["decision"] == "passed"
    assert [line["scope"] for line in decision["limits"]] == ["individual"]


def test_parameters_are_kept_per_legal_entity(fi: Api) -> None:
    fi.legal_entity("NO01", "NOK")
    fi.customer("NO01", "C100", "1000.00 NOK")
    fi.order("NO01", "SO-1", "C100", "5000.00 NOK")

    fi.credit_parameters("FI01", credit_management=False)

    assert fi.check("FI01", "SO-1")["decision"] == "not_checked"
    assert fi.check("NO01", "SO-1")["decision"] == "on_hold"
