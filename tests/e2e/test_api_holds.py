"""The hold list in its simple form through the HTTP API: list with filters and pages, read one
with its history, release with a reason of the hold's legal entity, reject, and what a check
answers for an order that is on hold or was rejected."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, m


@pytest.fixture
def fi(api: Api) -> Api:
    """FI01 (EUR) with C100, limit 1,000.00 EUR, and SO-1 of 5,000.00 EUR held at confirmation."""
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "1000.00 EUR")
    api.order("FI01", "SO-1", "C100", "5000.00 EUR")
    return api


def hold_of(api: Api, le: str, order_id: str, **check: Any) -> str:
    decision = api.check(le, order_id, **check)
    assert decision["decision"] == "on_hold", decision
    return str(decision["hold"]["id"])


def release(api: Api, hold_id: str, **body: Any) -> Any:
    return api.post(f"/credit-holds/{hold_id}/release", body)


def reject(api: Api, hold_id: str, **body: Any) -> Any:
    return api.post(f"/credit-holds/{hold_id}/reject", body)


def check_response(api: Api, le: str, order_id: str) -> Any:
    return api.post(
        f"/legal-entities/{le}/sales-orders/{order_id}/credit-checks",
        {"checkpoint": "confirmation", "posting": True, "as_of": "2026-11-23"},
    )


# --- reading ------------------------------------------------------------------------------------


def test_a_held_order_is_on_the_hold_list_with_its_reasons_and_history(fi: Api) -> None:
    decision = fi.check("FI01", "SO-1")
    hold_id = decision["hold"]["id"]

    hold = fi.get(f"/credit-holds/{hold_id}").json()

    assert decision["hold"] == {"id": hold_id, "status": "on_hold"}
    assert hold["id"] == hold_id
    assert hold["legal_entity"] == "FI01"
    assert hold["sales_order"] == "SO-1"
    assert hold["customer"] == "C100"
    assert hold["checkpoint"] == "confirmation"
    assert hold["posting"] is True
    assert hold["check_id"] == decision["id"]
    assert hold["status"] == "on_hold"
    assert hold["reason"] == "credit_limit_exceeded"
    assert [r["code"] for r in hold["reasons"]] == ["credit_limit_exceeded"]
    assert hold["reasons"][0]["scope"] == "individual"
    assert hold["reasons"][0]["valid"] is True
    assert [h["action"] for h in hold["history"]] == ["placed"]
    assert hold["history"][0]["data"]["check_id"] == decision["id"]
    listed = fi.holds()
    assert [h["id"] for h in listed] == [hold_id]
    assert "history" not in listed[0]


def test_an_unknown_hold_answers_404(fi: Api) -> None:
    Api.problem(fi.get("/credit-holds/hold_nope"), 404, "hold_not_found")
    Api.problem(release(fi, "hold_nope"), 404, "hold_not_found")
    Api.problem(reject(fi, "hold_nope"), 404, "hold_not_found")


def test_checking_an_order_already_on_hold_answers_on_hold_with_the_same_hold(fi: Api) -> None:
    first = fi.check("FI01", "SO-1")

    second = fi.check("FI01", "SO-1")
    third = fi.check("FI01", "SO-1", checkpoint="picking_list")

    assert second["decision"] == third["decision"] == "on_hold"
    assert second["hold"] == third["hold"] == first["hold"]
    assert second["id"] != first["id"]
    assert [r["code"] for r in second["reasons"]] == ["credit_limit_exceeded"]
    assert "already on hold" in second["explanation"]
    assert len(fi.holds()) == 1
    checks = fi.get("/legal-entities/FI01/customers/C100/credit-checks").json()["items"]
    assert len(checks) == 3


def test_an_order_on_hold_stays_on_hold_even_when_it_would_now_pass(fi: Api) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")
    fi.customer("FI01", "C100", "100000.00 EUR")  # the customer changes, not the order

    decision = fi.check("FI01", "SO-1")

    assert decision["decision"] == "on_hold"
    assert decision["hold"]["id"] == hold_id


def test_a_held_order_changed_to_fit_its_limit_is_released_at_once_as_modified(fi: Api) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")

    fi.order("FI01", "SO-1", "C100", "10.00 EUR")

    hold = fi.get(f"/credit-holds/{hold_id}").json()
    assert hold["status"] == "released"
    assert hold["release_reason"] == "MODIFIED"
    assert [h["action"] for h in hold["history"]] == ["placed", "evaluated", "released"]
    assert hold["history"][1]["data"]["cause"] == "sales order modified"
    assert fi.check("FI01", "SO-1")["decision"] != "on_hold"


def test_a_held_order_changed_but_still_over_its_limit_stays_held_with_todays_figures(
    fi: Api,
) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")

    fi.order("FI01", "SO-1", "C100", "7000.00 EUR")

    hold = fi.get(f"/credit-holds/{hold_id}").json()
    assert hold["status"] == "on_hold"
    [reason] = hold["reasons"]
    assert reason["code"] == "credit_limit_exceeded"
    assert reason["valid"] is True
    assert reason["details"]["order"] == m("7000.00 EUR")


# --- list filters and pages ---------------------------------------------------------------------


@pytest.fixture
def many(fi: Api) -> dict[str, str]:
    """Holds: FI01 SO-1 (C100), SO-2 (C100), SO-3 (C200, released); NO01 SO-1 (C100)."""
    fi.legal_entity("NO01", "NOK")
    fi.customer("FI01", "C200", "1000.00 EUR")
    fi.customer("NO01", "C100", "1000.00 NOK")
    fi.order("FI01", "SO-2", "C100", "2000.00 EUR")
    fi.order("FI01", "SO-3", "C200", "3000.00 EUR")
    fi.order("NO01", "SO-1", "C100", "9000.00 NOK")
    holds = {
        "FI01/SO-1": hold_of(fi, "FI01", "SO-1"),
        "FI01/SO-2": hold_of(fi, "FI01", "SO-2"),
        "FI01/SO-3": hold_of(fi, "FI01", "SO-3"),
        "NO01/SO-1": hold_of(fi, "NO01", "SO-1"),
    }
    assert release(fi, holds["FI01/SO-3"], reason="AUTO").status_code == 200
    return holds


def listed(api: Api, **filters: Any) -> set[str]:
    return {f"{h['legal_entity']}/{h['sales_order']}" for h in api.holds(**filters)}


def test_the_hold_list_spans_legal_entities(many: dict[str, str], fi: Api) -> None:
    assert listed(fi) == set(many)


def test_the_hold_list_filters_by_status(many: dict[str, str], fi: Api) -> None:
    assert listed(fi, status="on_hold") == {"FI01/SO-1", "FI01/SO-2", "NO01/SO-1"}
    assert listed(fi, status="released") == {"FI01/SO-3"}
    assert listed(fi, status="rejected") == set()


def test_the_hold_list_filters_by_legal_entity_and_customer(many: dict[str, str], fi: Api) -> None:
    assert listed(fi, legal_entity="NO01") == {"NO01/SO-1"}
    assert listed(fi, customer="C100") == {"FI01/SO-1", "FI01/SO-2", "NO01/SO-1"}
    assert listed(fi, legal_entity="FI01", customer="C100") == {"FI01/SO-1", "FI01/SO-2"}
    assert listed(fi, legal_entity="FI01", customer="C200", status="on_hold") == set()
    assert listed(fi, legal_entity="FI01", customer="C200", status="released") == {"FI01/SO-3"}


def test_the_hold_list_comes_in_pages_that_add_up_to_the_whole_list(
    many: dict[str, str], fi: Api
) -> None:
    seen: list[str] = []
    cursor: str | None = None
    pages = 0
    while True:
        params: dict[str, Any] = {"limit": 3}
        if cursor is not None:
            params["cursor"] = cursor
        r = fi.get("/credit-holds", **params)
        assert r.status_code == 200, r.text
        page = r.json()
        pages += 1
        assert len(page["items"]) <= 3
        seen.extend(h["id"] for h in page["items"])
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert pages == 2
    assert sorted(seen) == sorted(many.values())
    assert seen == sorted(seen)


def test_pages_of_a_filtered_list_keep_the_filter(many: dict[str, str], fi: Api) -> None:
    first = fi.get("/credit-holds", status="on_hold", limit=2).json()
    second = fi.get("/credit-holds", status="on_hold", limit=2, cursor=first["next_cursor"]).json()

    ids = [h["id"] for h in first["items"] + second["items"]]
    assert len(first["items"]) == 2
    assert second["next_cursor"] is None
    assert sorted(ids) == sorted(many[k] for k in ("FI01/SO-1", "FI01/SO-2", "NO01/SO-1"))


def test_a_page_exactly_as_long_as_the_rest_has_no_next_cursor(
    many: dict[str, str], fi: Api
) -> None:
    page = fi.get("/credit-holds", limit=4).json()

    assert len(page["items"]) == 4
    assert page["next_cursor"] is None


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 1001}, {"limit": "many"}])
def test_a_page_size_out_of_range_is_refused(fi: Api, params: dict[str, Any]) -> None:
    r = fi.get("/credit-holds", **params)

    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


def test_a_broken_cursor_is_refused(fi: Api) -> None:
    r = fi.get("/credit-holds", cursor="%%%not-base64%%%")

    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")


# --- release ------------------------------------------------------------------------------------


def test_a_new_legal_entity_has_the_release_reasons_auto_canceled_and_modified(fi: Api) -> None:
    reasons = fi.get("/legal-entities/FI01/reasons").json()["items"]

    assert {(r["id"], r["type"]) for r in reasons} == {
        ("AUTO", "release"),
        ("CANCELED", "release"),
        ("MODIFIED", "release"),
    }


def test_releasing_a_hold_closes_it_with_the_reason_and_review_date(fi: Api) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")

    r = release(fi, hold_id, reason="MODIFIED", review_date="2027-01-15", with_posting=True)

    assert r.status_code == 200, r.text
    released = r.json()
    assert released["status"] == "released"
    assert released["release_reason"] == "MODIFIED"
    assert released["review_date"] == "2027-01-15"
    assert released["with_posting"] is True
    assert released["closed_at"] is not None
    hold = fi.get(f"/credit-holds/{hold_id}").json()
    assert [h["action"] for h in hold["history"]] == ["placed", "released"]
    assert hold["history"][1]["data"]["reason"] == "MODIFIED"
    assert fi.holds(status="on_hold") == []
    # a released order keeps counting in exposure
    assert fi.exposure("FI01", "C100")["open_orders"] == "5000.00 EUR"


def test_a_release_reason_defined_for_the_legal_entity_is_accepted(fi: Api) -> None:
    fi.put("/legal-entities/FI01/reasons/REL-OK", {"type": "release", "description": "ok"})
    hold_id = hold_of(fi, "FI01", "SO-1")

    r = release(fi, hold_id, reason="REL-OK")

    assert r.status_code == 200, r.text
    assert r.json()["release_reason"] == "REL-OK"


@pytest.mark.parametrize("reason", ["NO-SUCH", "H1", "REL-NO"])
def test_releasing_with_a_reason_that_is_not_a_release_reason_of_the_holds_legal_entity_is_refused(
    fi: Api, reason: str
) -> None:
    fi.legal_entity("NO01", "NOK")
    fi.put("/legal-entities/NO01/reasons/REL-NO", {"type": "release", "description": "NO01 only"})
    fi.put("/legal-entities/FI01/reasons/H1", {"type": "hold", "description": "a hold reason"})
    hold_id = hold_of(fi, "FI01", "SO-1")

    r = release(fi, hold_id, reason=reason, with_posting=True)

    body = Api.problem(r, 422, "unknown_reason")
    assert body["details"]["reason"] == reason
    hold = fi.get(f"/credit-holds/{hold_id}").json()
    assert hold["status"] == "on_hold"
    assert [h["action"] for h in hold["history"]] == ["placed"]
    assert fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["released_on"] is None


def test_a_released_order_is_not_checked_again_unless_its_amount_grows(fi: Api) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")
    release(fi, hold_id, reason="AUTO", with_posting=True)

    same = fi.check("FI01", "SO-1")
    assert same["decision"] == "not_checked"
    assert "has not increased" in same["explanation"]

    fi.order("FI01", "SO-1", "C100", "4000.00 EUR")
    assert fi.check("FI01", "SO-1")["decision"] == "not_checked"

    fi.order("FI01", "SO-1", "C100", "5000.01 EUR")
    grown = fi.check("FI01", "SO-1")
    assert grown["decision"] == "on_hold"
    assert grown["hold"]["id"] != hold_id


def test_an_order_released_without_posting_is_checked_again_at_the_same_checkpoint(
    fi: Api,
) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")
    release(fi, hold_id, reason="AUTO", with_posting=False)

    again = fi.check("FI01", "SO-1")

    assert again["decision"] == "on_hold"
    assert again["hold"]["id"] != hold_id


# --- reject -------------------------------------------------------------------------------------


def test_rejecting_a_hold_rejects_the_order_and_takes_it_out_of_exposure(fi: Api) -> None:
    fi.order("FI01", "SO-2", "C100", "100.00 EUR")
    hold_id = hold_of(fi, "FI01", "SO-1")

    r = reject(fi, hold_id, reason="AUTO", note="customer in administration")

    assert r.status_code == 200, r.text
    rejected = r.json()
    assert rejected["status"] == "rejected"
    assert rejected["reject_reason"] == "AUTO"
    assert rejected["note"] == "customer in administration"
    assert fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["status"] == "rejected"
    assert fi.exposure("FI01", "C100")["open_orders"] == "100.00 EUR"
    assert fi.holds(status="on_hold") == []
    assert [h["action"] for h in fi.get(f"/credit-holds/{hold_id}").json()["history"]] == [
        "placed",
        "rejected",
    ]


def test_rejecting_with_an_unknown_reason_is_refused_and_changes_nothing(fi: Api) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")

    Api.problem(reject(fi, hold_id, reason="NO-SUCH"), 422, "unknown_reason")

    assert fi.get(f"/credit-holds/{hold_id}").json()["status"] == "on_hold"
    assert fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["status"] == "open"
    assert fi.exposure("FI01", "C100")["open_orders"] == "5000.00 EUR"


def test_a_rejected_order_is_not_checked_again_until_it_is_changed(fi: Api) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")
    reject(fi, hold_id)

    Api.problem(check_response(fi, "FI01", "SO-1"), 409, "order_rejected")
    fi.order("FI01", "SO-1", "C100", "5000.00 EUR")  # the same body again is no change
    Api.problem(check_response(fi, "FI01", "SO-1"), 409, "order_rejected")
    assert fi.exposure("FI01", "C100")["open_orders"] == "0.00 EUR"
    assert len(fi.get("/legal-entities/FI01/customers/C100/credit-checks").json()["items"]) == 1

    fi.order("FI01", "SO-1", "C100", "900.00 EUR")

    assert fi.get("/legal-entities/FI01/sales-orders/SO-1").json()["status"] == "open"
    assert fi.exposure("FI01", "C100")["open_orders"] == "900.00 EUR"
    assert fi.check("FI01", "SO-1")["decision"] == "passed"


def test_a_rejected_order_changed_but_still_over_the_limit_is_held_again(fi: Api) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")
    reject(fi, hold_id)
    fi.order("FI01", "SO-1", "C100", "5000.00 EUR", payment_terms="Net14")

    again = fi.check("FI01", "SO-1")

    assert again["decision"] == "on_hold"
    assert again["hold"]["id"] != hold_id


# --- holds that are no longer open --------------------------------------------------------------


@pytest.mark.parametrize("first", ["release", "reject"])
@pytest.mark.parametrize("then", ["release", "reject"])
def test_a_hold_that_is_no_longer_open_cannot_be_released_or_rejected(
    fi: Api, first: str, then: str
) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")
    assert fi.post(f"/credit-holds/{hold_id}/{first}", {}).status_code == 200
    closed = fi.get(f"/credit-holds/{hold_id}").json()

    r = fi.post(f"/credit-holds/{hold_id}/{then}", {"reason": "AUTO"})

    body = Api.problem(r, 409, "hold_not_open")
    assert body["details"]["status"] == closed["status"]
    assert fi.get(f"/credit-holds/{hold_id}").json() == closed


def test_cancelling_a_held_order_closes_its_hold_with_the_cancel_reason(fi: Api) -> None:
    hold_id = hold_of(fi, "FI01", "SO-1")

    fi.order("FI01", "SO-1", "C100", "5000.00 EUR", status="cancelled")

    hold = fi.get(f"/credit-holds/{hold_id}").json()
    assert hold["status"] == "cancelled"
    assert hold["release_reason"] == "CANCELED"
    assert [h["action"] for h in hold["history"]] == ["placed", "cancelled"]
    Api.problem(release(fi, hold_id), 409, "hold_not_open")
    Api.problem(check_response(fi, "FI01", "SO-1"), 409, "order_closed")
    assert fi.exposure("FI01", "C100")["open_orders"] == "0.00 EUR"


def test_the_stored_decision_of_a_hold_is_unchanged_after_release(fi: Api) -> None:
    decision = fi.check("FI01", "SO-1")
    release(fi, decision["hold"]["id"], reason="AUTO")

    assert fi.get(f"/credit-checks/{decision['id']}").json() == decision
    assert decision["hold"]["status"] == "on_hold"


def test_released_and_rejected_holds_keep_their_place_in_the_list(fi: Api) -> None:
    fi.order("FI01", "SO-2", "C100", "5000.00 EUR")
    first = hold_of(fi, "FI01", "SO-1")
    second = hold_of(fi, "FI01", "SO-2")
    release(fi, first, reason="AUTO")
    reject(fi, second)

    statuses = {h["id"]: h["status"] for h in fi.holds()}

    assert statuses == {first: "released", second: "rejected"}
    assert fi.credit("FI01", "C100")["exposure"]["open_orders"] == m("5000.00 EUR")
