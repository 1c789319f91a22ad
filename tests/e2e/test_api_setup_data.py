"""The credit setup data through the HTTP API (reference §3.2–§3.5): reasons, account statuses,
credit management groups and the payment-terms and settlement-discount ranks — create, change,
list, delete, the checks that keep them consistent, and the audit trail of every change."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api

LE = "/legal-entities/FI01"


@pytest.fixture
def fi(api: Api) -> Api:
    api.legal_entity("FI01", "EUR")
    api.legal_entity("NO01", "NOK")
    return api


def items(api: Api, path: str) -> list[dict[str, Any]]:
    r = api.get(path)
    assert r.status_code == 200, r.text
    return list(r.json()["items"])


def audit(api: Api, entity: str, key: str) -> list[tuple[str, Any, Any]]:
    r = api.get("/audit-events", entity=entity, key=key)
    assert r.status_code == 200, r.text
    return [(e["action"], e["before"], e["after"]) for e in r.json()["items"]]


def customer_body(**credit: Any) -> dict[str, Any]:
    return {"name": "Customer C100", "credit": {"limit": None, **credit}}


# --- reasons ------------------------------------------------------------------------------------


def test_a_reason_is_created_changed_listed_and_deleted_with_an_audit_trail(fi: Api) -> None:
    first = fi.put(f"{LE}/reasons/H1", {"type": "hold", "description": "Management decision"})
    changed = fi.put(f"{LE}/reasons/H1", {"type": "hold", "description": "Board decision"})

    assert first.status_code == changed.status_code == 200
    assert changed.json() == {"id": "H1", "type": "hold", "description": "Board decision"}
    assert {"id": "H1", "type": "hold", "description": "Board decision"} in items(
        fi, f"{LE}/reasons"
    )
    assert "H1" not in {r["id"] for r in items(fi, "/legal-entities/NO01/reasons")}

    assert fi.delete(f"{LE}/reasons/H1").status_code == 204

    assert "H1" not in {r["id"] for r in items(fi, f"{LE}/reasons")}
    assert audit(fi, "reason", "FI01/H1") == [
        ("put", None, {"id": "H1", "type": "hold", "description": "Management decision"}),
        (
            "put",
            {"type": "hold", "description": "Management decision"},
            {"id": "H1", "type": "hold", "description": "Board decision"},
        ),
        ("delete", {"type": "hold", "description": "Board decision"}, None),
    ]
    assert fi.delete(f"{LE}/reasons/H1").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"type": "other", "description": "x"},
        {"description": "no type"},
        {"type": "hold", "description": "x" * 201},
    ],
)
def test_a_reason_with_a_bad_type_or_description_is_refused(fi: Api, body: dict[str, Any]) -> None:
    assert fi.put(f"{LE}/reasons/H1", body).status_code == 422
    assert "H1" not in {r["id"] for r in items(fi, f"{LE}/reasons")}


def test_a_reason_used_by_the_credit_parameters_cannot_be_deleted(fi: Api) -> None:
    r = fi.delete(f"{LE}/reasons/AUTO")

    assert r.status_code == 409, r.text
    assert "AUTO" in {x["id"] for x in items(fi, f"{LE}/reasons")}


# --- account statuses ---------------------------------------------------------------------------


def test_an_account_status_is_created_changed_listed_and_deleted_with_an_audit_trail(
    fi: Api,
) -> None:
    r = fi.put(f"{LE}/account-statuses/REVIEW", {"description": "Under review"})
    assert r.status_code == 200, r.text
    assert r.json() == {"id": "REVIEW", "description": "Under review", "on_hold": "none"}
    fi.put(f"{LE}/account-statuses/REVIEW", {"description": "Stopped", "on_hold": "all"})

    assert items(fi, f"{LE}/account-statuses") == [
        {"id": "REVIEW", "description": "Stopped", "on_hold": "all"}
    ]
    assert fi.delete(f"{LE}/account-statuses/REVIEW").status_code == 204
    assert items(fi, f"{LE}/account-statuses") == []
    assert audit(fi, "account_status", "FI01/REVIEW") == [
        ("put", None, {"id": "REVIEW", "description": "Under review", "on_hold": "none"}),
        (
            "put",
            {"description": "Under review", "on_hold": "none"},
            {"id": "REVIEW", "description": "Stopped", "on_hold": "all"},
        ),
        ("delete", {"description": "Stopped", "on_hold": "all"}, None),
    ]
    assert fi.delete(f"{LE}/account-statuses/REVIEW").status_code == 404


def test_an_account_status_with_an_unknown_hold_setting_is_refused(fi: Api) -> None:
    r = fi.put(f"{LE}/account-statuses/REVIEW", {"description": "x", "on_hold": "sometimes"})

    assert r.status_code == 422
    assert items(fi, f"{LE}/account-statuses") == []


def test_a_customer_must_name_an_account_status_of_its_legal_entity(fi: Api) -> None:
    fi.account_status("NO01", "REVIEW")

    r = fi.put(f"{LE}/customers/C100", customer_body(account_status="REVIEW"))

    Api.problem(r, 422, "unknown_account_status")
    assert fi.get(f"{LE}/customers/C100").status_code == 404
    fi.account_status("FI01", "REVIEW")
    ok = fi.put(f"{LE}/customers/C100", customer_body(account_status="REVIEW"))
    assert ok.status_code == 200, ok.text
    assert ok.json()["credit"]["account_status"] == "REVIEW"


@pytest.mark.parametrize("user", ["customer", "rule"])
def test_an_account_status_in_use_cannot_be_deleted(fi: Api, user: str) -> None:
    fi.account_status("FI01", "REVIEW")
    if user == "customer":
        fi.put(f"{LE}/customers/C100", customer_body(account_status="REVIEW"))
    else:
        fi.rule("FI01", rule="account_status", account_status="REVIEW")

    Api.problem(fi.delete(f"{LE}/account-statuses/REVIEW"), 409, "conflict")

    assert [s["id"] for s in items(fi, f"{LE}/account-statuses")] == ["REVIEW"]


# --- credit management groups -------------------------------------------------------------------


def test_a_credit_management_group_is_created_changed_listed_and_deleted_with_an_audit_trail(
    fi: Api,
) -> None:
    r = fi.put(f"{LE}/credit-management-groups/RETAIL", {"description": "Retail chains"})
    assert r.status_code == 200, r.text
    fi.put(f"{LE}/credit-management-groups/RETAIL", {"description": "Retail"})

    assert items(fi, f"{LE}/credit-management-groups") == [
        {"id": "RETAIL", "description": "Retail"}
    ]
    assert items(fi, "/legal-entities/NO01/credit-management-groups") == []
    assert fi.delete(f"{LE}/credit-management-groups/RETAIL").status_code == 204
    assert items(fi, f"{LE}/credit-management-groups") == []
    assert audit(fi, "credit_management_group", "FI01/RETAIL") == [
        ("put", None, {"id": "RETAIL", "description": "Retail chains"}),
        (
            "put",
            {"id": "RETAIL", "description": "Retail chains"},
            {"id": "RETAIL", "description": "Retail"},
        ),
        ("delete", {"id": "RETAIL", "description": "Retail"}, None),
    ]
    assert fi.delete(f"{LE}/credit-management-groups/RETAIL").status_code == 404


@pytest.mark.parametrize(
    ("group_id", "description"), [("ELEVENCHARS", "too long an id"), ("RETAIL", "x" * 61)]
)
def test_a_credit_management_group_id_or_description_that_is_too_long_is_refused(
    fi: Api, group_id: str, description: str
) -> None:
    r = fi.put(f"{LE}/credit-management-groups/{group_id}", {"description": description})

    assert r.status_code == 422
    assert items(fi, f"{LE}/credit-management-groups") == []


def test_a_customer_must_name_a_credit_management_group_of_its_legal_entity(fi: Api) -> None:
    fi.cm_group("NO01", "RETAIL")

    r = fi.put(f"{LE}/customers/C100", customer_body(credit_management_group="RETAIL"))

    Api.problem(r, 422, "unknown_credit_management_group")


@pytest.mark.parametrize("user", ["customer", "rule"])
def test_a_credit_management_group_in_use_cannot_be_deleted(fi: Api, user: str) -> None:
    fi.cm_group("FI01", "RETAIL")
    if user == "customer":
        r = fi.put(f"{LE}/customers/C100", customer_body(credit_management_group="RETAIL"))
        assert r.status_code == 200, r.text
    else:
        fi.rule(
            "FI01", rule="days_overdue", value="30", valid_for="group", account_or_group="RETAIL"
        )

    Api.problem(fi.delete(f"{LE}/credit-management-groups/RETAIL"), 409, "conflict")

    assert [g["id"] for g in items(fi, f"{LE}/credit-management-groups")] == ["RETAIL"]
    assert [a for a, _, _ in audit(fi, "credit_management_group", "FI01/RETAIL")] == ["put"]


# --- ranks --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "entity"),
    [
        ("payment-terms-ranks", "payment_terms_rank"),
        ("settlement-discount-ranks", "settlement_discount_rank"),
    ],
)
def test_a_rank_is_set_changed_listed_and_removed_with_an_audit_trail(
    fi: Api, path: str, entity: str
) -> None:
    assert fi.put(f"{LE}/{path}/B", {"rank": 20}).status_code == 200
    assert fi.put(f"{LE}/{path}/A", {"rank": 10}).status_code == 200
    assert fi.put(f"{LE}/{path}/B", {"rank": 10}).status_code == 200  # equal ranks are allowed

    assert items(fi, f"{LE}/{path}") == [{"code": "A", "rank": 10}, {"code": "B", "rank": 10}]
    assert items(fi, f"/legal-entities/NO01/{path}") == []
    assert fi.delete(f"{LE}/{path}/B").status_code == 204
    assert items(fi, f"{LE}/{path}") == [{"code": "A", "rank": 10}]
    assert audit(fi, entity, "FI01/B") == [
        ("put", None, {"code": "B", "rank": 20}),
        ("put", {"code": "B", "rank": 20}, {"code": "B", "rank": 10}),
        ("delete", {"code": "B"}, None),
    ]
    assert fi.delete(f"{LE}/{path}/B").status_code == 404


@pytest.mark.parametrize("rank", [-1, "10", 1.5, None])
def test_a_rank_that_is_not_a_whole_number_of_zero_or_more_is_refused(fi: Api, rank: Any) -> None:
    assert fi.put(f"{LE}/payment-terms-ranks/Net30", {"rank": rank}).status_code == 422
    assert items(fi, f"{LE}/payment-terms-ranks") == []


# --- who may change the setup -------------------------------------------------------------------


def test_setup_data_is_read_by_a_viewer_and_changed_only_with_the_setup_permission(
    fi: Api,
) -> None:
    viewer = fi.as_token(fi.new_token("viewer"))
    clerk = fi.as_token(fi.new_token("credit_clerk"))
    scoped = fi.as_token(fi.new_token("credit_manager", ["NO01"]))

    for caller in (viewer, clerk, scoped):
        assert caller.put(f"{LE}/reasons/H1", {"type": "hold", "description": "x"}).status_code == (
            403
        )
        assert caller.put(f"{LE}/credit-management-groups/G", {}).status_code == 403
        assert caller.put(f"{LE}/payment-terms-ranks/Net30", {"rank": 1}).status_code == 403
    assert viewer.get(f"{LE}/reasons").status_code == 200
    assert scoped.get(f"{LE}/reasons").status_code == 403
    assert fi.get("/audit-events", entity="reason", key="FI01/H1").json()["items"] == []
