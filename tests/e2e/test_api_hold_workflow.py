"""The hold workflow through the HTTP API (reference §2.1, §2.2, §7; behaviours B44–B55): grace
days and re-checks after a release (SPEC A-01, A-28), pro forma checks, release with and without
posting, reject, evaluate for release, forced holds, cancelled orders, the history of every state
change, and the hold list's filters. The service runs on a clock the tests set, so releases and
evaluations happen on the reference's days."""

from __future__ import annotations

from typing import Any

import pytest

from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, FixedClock

DAY_1 = "2025-03-01"


@pytest.fixture
def clock(runtime: Runtime) -> FixedClock:
    fixed = FixedClock(DAY_1)
    runtime.clock = fixed
    return fixed


@pytest.fixture
def fi(api: Api, clock: FixedClock) -> Api:
    """FI01 with a days-overdue rule (30 days); C100 (no limit) owes INV-1, 500.00 EUR due
    2025-01-01, so its order SO-1 of 100.00 EUR is held for days overdue; C200 owes nothing.
    Hold reason F1 and release reason R1 exist."""
    api.legal_entity("FI01", "EUR")
    api.rule("FI01", rule="days_overdue", value="30")
    api.reason("FI01", "F1", "hold", "Forced hold: management decision")
    api.reason("FI01", "R1", "release", "Released by the credit manager")
    api.customer("FI01", "C100")
    api.customer("FI01", "C200")
    api.invoice("FI01", "INV-1", "C100", "500.00 EUR", "2024-12-01", "2025-01-01")
    api.order("FI01", "SO-1", "C100", "100.00 EUR")
    return api


def check(
    api: Api, clock: FixedClock, order_id: str = "SO-1", checkpoint: str = "confirmation", **kw: Any
) -> dict[str, Any]:
    """A check posted on the clock's day."""
    return api.check("FI01", order_id, checkpoint, as_of=clock.today().isoformat(), **kw)


def held(api: Api, clock: FixedClock, order_id: str = "SO-1", **kw: Any) -> str:
    decision = check(api, clock, order_id, **kw)
    assert decision["decision"] == "on_hold", decision
    return str(decision["hold"]["id"])


def actions(api: Api, hold_id: str) -> list[str]:
    return [h["action"] for h in api.hold(hold_id)["history"]]


def pay_invoice(api: Api, clock: FixedClock) -> None:
    api.payment(
        "FI01", "PAY-1", "C100", "500.00 EUR", clock.today().isoformat(), {"INV-1": "500.00 EUR"}
    )


def evaluate(api: Api, *hold_ids: str) -> list[dict[str, Any]]:
    r = api.post("/credit-holds/evaluate", {"hold_ids": list(hold_ids)})
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def force(api: Api, order_id: str, reason: str = "F1", **body: Any) -> Any:
    return api.post(
        f"/legal-entities/FI01/sales-orders/{order_id}/force-hold", {"reason": reason, **body}
    )


# --- grace days and re-checks after a release (B44, B45, A-01) ----------------------------------


def test_grace_days_skip_later_checkpoints_until_the_window_after_the_release_ends(
    fi: Api, clock: FixedClock
) -> None:
    """B44: confirmation grace days 2, released on day 1: the packing slip posted on day 3 is
    not checked, on day 4 it is checked and held again (the order grew after the release, so
    SPEC A-01 re-runs the rules once the grace window is over)."""
    fi.credit_parameters(
        "FI01",
        checkpoints=[
            {"checkpoint": "confirmation", "posting": True, "grace_days": 2},
            {"checkpoint": "packing_slip", "posting": True, "grace_days": 1},
        ],
    )
    first = held(fi, clock)
    fi.release(first, reason="R1", with_posting=True)
    order = fi.get("/legal-entities/FI01/sales-orders/SO-1").json()
    assert (order["released_on"], order["grace_until"]) == (DAY_1, "2025-03-03")
    fi.order("FI01", "SO-1", "C100", "150.00 EUR")

    clock.set_day("2025-03-03")
    day_3 = check(fi, clock, checkpoint="packing_slip")
    clock.set_day("2025-03-04")
    day_4 = check(fi, clock, checkpoint="packing_slip")

    assert day_3["decision"] == "not_checked"
    assert "grace days until 2025-03-03" in day_3["explanation"]
    assert day_4["decision"] == "on_hold"
    assert day_4["hold"]["id"] != first
    assert [r["code"] for r in day_4["reasons"]] == ["days_overdue"]
    assert fi.hold(day_4["hold"]["id"])["checkpoint"] == "packing_slip"


def test_without_grace_days_an_order_released_without_posting_is_held_again_when_confirmed(
    fi: Api, clock: FixedClock
) -> None:
    """B45: the cause (the overdue invoice) is unchanged; the confirmation posted again the
    next day holds the order again."""
    first = held(fi, clock)
    fi.release(first, reason="R1", with_posting=False)

    clock.advance(days=1)
    again = check(fi, clock)

    assert again["decision"] == "on_hold"
    assert again["hold"]["id"] != first
    assert [r["code"] for r in again["reasons"]] == ["days_overdue"]
    assert [h["status"] for h in fi.holds(sales_order="SO-1")] == ["released", "on_hold"]


@pytest.mark.parametrize(
    ("skip_rules", "new_amount", "decision"),
    [
        (False, None, "not_checked"),
        (False, "100.01", "on_hold"),
        (True, None, "not_checked"),
        (True, "100.01", "not_checked"),
    ],
)
def test_after_a_release_with_posting_the_next_checkpoint_reruns_the_rules_only_for_a_grown_order(
    fi: Api, clock: FixedClock, skip_rules: bool, new_amount: str | None, decision: str
) -> None:
    """SPEC A-01: with ``skip_rules_after_release`` false the rules run again only when the
    amount increased since the release; with true never for a released order."""
    fi.credit_parameters(
        "FI01",
        skip_rules_after_release=skip_rules,
        checkpoints=[{"checkpoint": "picking_list", "posting": True}],
    )
    fi.release(held(fi, clock), reason="R1", with_posting=True)
    if new_amount is not None:
        fi.order("FI01", "SO-1", "C100", f"{new_amount} EUR")

    clock.advance(days=5)
    result = check(fi, clock, checkpoint="picking_list")

    assert result["decision"] == decision
    if decision == "not_checked":
        assert "released on 2025-03-01" in result["explanation"]


def test_a_pro_forma_only_checkpoint_checks_a_pro_forma_and_not_the_real_posting(
    fi: Api, clock: FixedClock
) -> None:
    """B46: only Pro forma ticked on confirmation."""
    fi.credit_parameters(
        "FI01", checkpoints=[{"checkpoint": "confirmation", "posting": False, "pro_forma": True}]
    )

    real = check(fi, clock, posting=True)
    pro_forma = check(fi, clock, posting=False)

    assert real["decision"] == "not_checked"
    assert pro_forma["decision"] == "on_hold"
    hold = fi.hold(pro_forma["hold"]["id"])
    assert hold["posting"] is False
    assert hold["checkpoint"] == "confirmation"


# --- release and reject (B47–B49) ---------------------------------------------------------------


@pytest.mark.parametrize("with_posting", [True, False])
def test_a_release_closes_the_hold_with_its_reason_and_review_date_and_leaves_the_open_list(
    fi: Api, clock: FixedClock, with_posting: bool
) -> None:
    """B47 (with posting: the stopped confirmation counts as posted, so confirming again does
    not check) and B48 (without posting: the order is still unconfirmed and is checked when it
    is confirmed)."""
    hold_id = held(fi, clock)
    clock.advance(days=1)

    released = fi.release(hold_id, reason="R1", review_date="2025-05-01", with_posting=with_posting)

    assert released["status"] == "released"
    assert released["release_reason"] == "R1"
    assert released["review_date"] == "2025-05-01"
    assert released["with_posting"] is with_posting
    assert released["closed_at"].startswith("2025-03-02")
    assert fi.holds(status="on_hold") == []
    assert [h["status"] for h in fi.holds()] == ["released"]
    history = fi.hold(hold_id)["history"]
    assert [h["action"] for h in history] == ["placed", "released"]
    assert history[1]["data"] == {
        "reason": "R1",
        "review_date": "2025-05-01",
        "with_posting": with_posting,
    }
    assert fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["released_on"] == "2025-03-02"
    again = check(fi, clock)
    assert again["decision"] == ("not_checked" if with_posting else "on_hold")


def test_a_rejected_order_leaves_the_hold_list_and_cannot_be_checked_until_it_changes(
    fi: Api, clock: FixedClock
) -> None:
    """B49, SPEC A-25."""
    hold_id = held(fi, clock)

    r = fi.post(f"/credit-holds/{hold_id}/reject", {"reason": "R1", "note": "no more credit"})

    assert r.status_code == 200, r.text
    assert r.json()["status"] == "rejected"
    assert fi.holds(status="on_hold") == []
    assert actions(fi, hold_id) == ["placed", "rejected"]
    assert fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["status"] == "rejected"
    check_again = {"checkpoint": "confirmation", "posting": True, "as_of": DAY_1}
    path = "/legal-entities/FI01/sales-orders/SO-1/credit-checks"
    Api.problem(fi.post(path, check_again), 409, "order_rejected")
    fi.order("FI01", "SO-1", "C100", "90.00 EUR")
    assert check(fi, clock)["decision"] == "on_hold"


# --- evaluate for release (B50–B52) -------------------------------------------------------------


def test_evaluating_a_hold_whose_reason_still_applies_keeps_it(fi: Api, clock: FixedClock) -> None:
    hold_id = held(fi, clock)

    [item] = evaluate(fi, hold_id)

    assert item["ready_to_release"] is False
    assert item["released"] is False
    assert item["reasons"] == [{"code": "days_overdue", "scope": None, "valid": True}]
    hold = fi.hold(hold_id)
    assert hold["status"] == "on_hold"
    assert actions(fi, hold_id) == ["placed", "evaluated"]


@pytest.mark.parametrize("auto_with_posting", [False, True])
def test_a_hold_whose_reason_no_longer_applies_is_released_automatically(
    fi: Api, clock: FixedClock, auto_with_posting: bool
) -> None:
    """B50 (automatically release without posting) and B51 (with posting): the invoice is
    paid, the reason loses its check mark, the hold is ready to release and is released with
    the "reason to release automatically" (AUTO)."""
    fi.credit_parameters("FI01", auto_release_with_posting=auto_with_posting)
    hold_id = held(fi, clock)
    clock.advance(days=2)
    pay_invoice(fi, clock)

    [item] = evaluate(fi, hold_id)

    assert item["ready_to_release"] is True
    assert item["released"] is True
    assert item["reasons"] == [{"code": "days_overdue", "scope": None, "valid": False}]
    hold = fi.hold(hold_id)
    assert hold["status"] == "released"
    assert hold["release_reason"] == "AUTO"
    assert hold["with_posting"] is auto_with_posting
    assert hold["ready_to_release"] is True
    assert hold["reasons"][0]["valid"] is False
    assert [h["action"] for h in hold["history"]] == ["placed", "evaluated", "released"]
    assert hold["history"][2]["data"]["automatic"] is True
    assert fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["released_on"] == "2025-03-03"
    Api.problem(fi.post(f"/credit-holds/{hold_id}/release", {}), 409, "hold_not_open")
    Api.problem(fi.post(f"/credit-holds/{hold_id}/reject", {}), 409, "hold_not_open")


def test_a_forced_hold_is_ready_to_release_but_never_released_automatically(
    fi: Api, clock: FixedClock
) -> None:
    """B52: no rule fires for C200; evaluate marks the forced hold ready to release and leaves
    it on the list; a manual release closes it."""
    fi.order("FI01", "SO-2", "C200", "100.00 EUR")
    r = force(fi, "SO-2")
    assert r.status_code == 201, r.text
    hold_id = r.json()["id"]

    [item] = evaluate(fi, hold_id)

    assert item["ready_to_release"] is True
    assert item["released"] is False
    assert [(x["code"], x["valid"]) for x in item["reasons"]] == [("forced", True)]
    assert [h["id"] for h in fi.holds(status="on_hold", ready_to_release=True)] == [hold_id]
    evaluate(fi, hold_id)
    assert fi.hold(hold_id)["status"] == "on_hold"
    released = fi.release(hold_id, reason="R1")
    assert released["status"] == "released"
    assert actions(fi, hold_id) == ["placed", "evaluated", "evaluated", "released"]


# --- forced holds (B54) -------------------------------------------------------------------------


def test_a_forced_hold_puts_an_order_on_hold_with_the_forced_reason(
    fi: Api, clock: FixedClock
) -> None:
    fi.order("FI01", "SO-2", "C200", "100.00 EUR")

    r = force(fi, "SO-2")

    assert r.status_code == 201, r.text
    hold = r.json()
    assert hold["status"] == "on_hold"
    assert [x["code"] for x in hold["reasons"]] == ["forced"]
    assert hold["reasons"][0]["details"] == {"reason": "F1"}
    assert actions(fi, hold["id"]) == ["placed"]
    assert check(fi, clock, "SO-2")["hold"]["id"] == hold["id"]


def test_forcing_an_order_already_on_hold_adds_the_forced_reason_to_that_hold(
    fi: Api, clock: FixedClock
) -> None:
    hold_id = held(fi, clock)

    r = force(fi, "SO-1")

    assert r.status_code == 200, r.text
    assert r.json()["id"] == hold_id
    assert [x["code"] for x in r.json()["reasons"]] == ["days_overdue", "forced"]
    assert r.json()["reason"] == "multiple"
    assert actions(fi, hold_id) == ["placed", "forced"]
    assert len(fi.holds()) == 1
    pay_invoice(fi, clock)
    [item] = evaluate(fi, hold_id)
    assert (item["ready_to_release"], item["released"]) == (True, False)


@pytest.mark.parametrize("reason", ["NOPE", "R1"])
def test_a_forced_hold_needs_a_hold_reason_of_the_legal_entity(
    fi: Api, clock: FixedClock, reason: str
) -> None:
    fi.order("FI01", "SO-2", "C200", "100.00 EUR")

    body = Api.problem(force(fi, "SO-2", reason), 422, "unknown_reason")

    assert body["details"]["reason"] == reason
    assert fi.holds() == []


def test_force_credit_hold_for_a_customer_holds_each_of_its_open_orders(
    fi: Api, clock: FixedClock
) -> None:
    """B54: customer C with 3 open orders → 3 holds with reason F1; others untouched."""
    fi.customer("FI01", "C")
    for order_id in ("SO-C1", "SO-C2", "SO-C3"):
        fi.order("FI01", order_id, "C", "100.00 EUR")
    fi.order("FI01", "SO-C4", "C", "100.00 EUR", status="cancelled")
    fi.order("FI01", "SO-2", "C200", "100.00 EUR")

    r = fi.post("/legal-entities/FI01/force-holds", {"reason": "F1", "customers": ["C"]})

    assert r.status_code == 200, r.text
    items = r.json()["items"]
    assert sorted(i["sales_order"] for i in items) == ["SO-C1", "SO-C2", "SO-C3"]
    assert all(i["created"] for i in items)
    listed = fi.holds(customer="C")
    assert len(listed) == 3
    assert all(h["status"] == "on_hold" for h in listed)
    assert all([x["details"]["reason"] for x in h["reasons"]] == ["F1"] for h in listed)
    assert fi.holds(customer="C200") == []


# --- cancel (B55) -------------------------------------------------------------------------------


def test_cancelling_a_held_order_closes_its_hold_with_the_configured_cancel_reason(
    fi: Api, clock: FixedClock
) -> None:
    """B55, with a "reasons for canceled orders" parameter of our own."""
    fi.reason("FI01", "CXL", "release", "Order cancelled by the customer")
    fi.credit_parameters("FI01", release_reason_cancel="CXL")
    hold_id = held(fi, clock)

    fi.order("FI01", "SO-1", "C100", "100.00 EUR", status="cancelled")

    hold = fi.hold(hold_id)
    assert hold["status"] == "cancelled"
    assert hold["release_reason"] == "CXL"
    assert [h["action"] for h in hold["history"]] == ["placed", "cancelled"]
    assert hold["history"][1]["data"]["release_reason"] == "CXL"
    assert fi.holds(status="on_hold") == []
    Api.problem(fi.post(f"/credit-holds/{hold_id}/reject", {}), 409, "hold_not_open")


# --- the hold list's filters --------------------------------------------------------------------


@pytest.fixture
def listed(fi: Api, clock: FixedClock) -> dict[str, str]:
    """SO-1 held for days overdue at confirmation on 03-01; SO-2 (C200) forced at the packing
    slip on 03-05 and evaluated (ready to release); SO-3 (C100) held on 03-10 and released."""
    holds = {"SO-1": held(fi, clock)}
    clock.set_day("2025-03-05")
    fi.order("FI01", "SO-2", "C200", "100.00 EUR")
    r = force(fi, "SO-2", checkpoint="packing_slip")
    assert r.status_code == 201, r.text
    holds["SO-2"] = r.json()["id"]
    evaluate(fi, holds["SO-2"])
    clock.set_day("2025-03-10")
    fi.order("FI01", "SO-3", "C100", "100.00 EUR")
    holds["SO-3"] = held(fi, clock, "SO-3")
    fi.release(holds["SO-3"], reason="R1")
    return holds


def orders(api: Api, **filters: Any) -> list[str]:
    return [h["sales_order"] for h in api.holds(**filters)]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"reason": "days_overdue"}, ["SO-1", "SO-3"]),
        ({"reason": "forced"}, ["SO-2"]),
        ({"checkpoint": "packing_slip"}, ["SO-2"]),
        ({"checkpoint": "confirmation"}, ["SO-1", "SO-3"]),
        ({"created_from": "2025-03-02"}, ["SO-2", "SO-3"]),
        ({"created_to": "2025-03-05"}, ["SO-1", "SO-2"]),
        ({"created_from": "2025-03-05", "created_to": "2025-03-05"}, ["SO-2"]),
        ({"ready_to_release": "true"}, ["SO-2"]),
        ({"ready_to_release": "false"}, ["SO-1", "SO-3"]),
        ({"status": "released"}, ["SO-3"]),
        ({"status": "on_hold", "reason": "days_overdue"}, ["SO-1"]),
    ],
)
def test_the_hold_list_filters_by_reason_checkpoint_creation_date_and_readiness(
    fi: Api, listed: dict[str, str], filters: dict[str, str], expected: list[str]
) -> None:
    assert orders(fi, **filters) == expected


@pytest.mark.parametrize(
    "filters",
    [
        {"status": "bogus"},
        {"checkpoint": "bogus"},
        {"created_from": "yesterday"},
        {"ready_to_release": "maybe"},
    ],
)
def test_a_bogus_hold_list_filter_is_refused(fi: Api, filters: dict[str, str]) -> None:
    r = fi.get("/credit-holds", **filters)

    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
