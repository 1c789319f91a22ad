"""Authentication and authorisation through the HTTP API: bearer tokens with a role and a
legal-entity scope, created and revoked by an admin; 401 without a valid token, 403 without the
right role or legal entity."""

from __future__ import annotations

from typing import Any

import pytest

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.service_layer import tokens
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.errors import AuthenticationError
from creditdesk.service_layer.runtime import Runtime, TokenCache
from tests.support import ADMIN_TOKEN, Api, FixedClock, m


@pytest.fixture
def two(api: Api) -> Api:
    """FI01 (EUR) and NO01 (NOK), each with C100 (limit 1,000.00) and SO-1 held over it."""
    api.legal_entity("FI01", "EUR")
    api.legal_entity("NO01", "NOK")
    api.customer("FI01", "C100", "1000.00 EUR")
    api.customer("NO01", "C100", "1000.00 NOK")
    api.order("FI01", "SO-1", "C100", "5000.00 EUR")
    api.order("NO01", "SO-1", "C100", "5000.00 NOK")
    assert api.check("FI01", "SO-1")["decision"] == "on_hold"
    assert api.check("NO01", "SO-1")["decision"] == "on_hold"
    return api


def as_role(api: Api, role: str, legal_entities: list[str] | None = None) -> Api:
    return api.as_token(api.new_token(role, legal_entities))


CUSTOMER = {"name": "Changed name", "credit": {"limit": m("99999.00 EUR")}}
CHECK = {"checkpoint": "confirmation", "posting": True, "as_of": "2026-11-23"}


# --- 401 ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("get", "/legal-entities/FI01", None),
        ("get", "/legal-entities/FI01/customers/C100/credit", None),
        ("put", "/legal-entities/FI01/customers/C100", CUSTOMER),
        ("post", "/legal-entities/FI01/sales-orders/SO-1/credit-checks", CHECK),
        ("get", "/credit-holds", None),
        ("post", "/tokens", {"name": "x", "role": "admin", "legal_entities": None}),
        ("get", "/audit-events", None),
    ],
)
@pytest.mark.parametrize("token", ["", "cd_not-a-token"])
def test_a_call_without_a_valid_token_answers_401_and_changes_nothing(
    two: Api, method: str, path: str, body: Any, token: str
) -> None:
    caller = two.as_token(token)

    r = getattr(caller, method)(path, body) if body is not None else getattr(caller, method)(path)

    Api.problem(r, 401, "unauthenticated")
    assert r.headers["www-authenticate"] == "Bearer"
    customer = two.get("/legal-entities/FI01/customers/C100").json()
    assert customer["name"] == "Customer C100"
    assert len(two.get("/legal-entities/FI01/customers/C100/credit-checks").json()["items"]) == 1


def test_a_token_sent_with_another_scheme_is_not_accepted(two: Api) -> None:
    r = two.client.get(
        "/api/v1/legal-entities/FI01", headers={"Authorization": f"Basic {ADMIN_TOKEN}"}
    )

    Api.problem(r, 401, "unauthenticated")


def test_the_health_check_needs_no_token(two: Api) -> None:
    r = two.client.get("/api/v1/health")

    assert r.status_code == 200
    assert r.json() == {"status": "ok"}


def test_the_openapi_document_and_the_docs_are_served(two: Api) -> None:
    r = two.client.get("/api/v1/openapi.json")

    assert r.status_code == 200
    paths = r.json()["paths"]
    assert "/api/v1/legal-entities/{le}/customers/{account}/credit" in paths
    assert "/api/v1/legal-entities/{le}/sales-orders/{order_id}/credit-checks" in paths
    assert "/api/v1/credit-holds/{hold_id}/release" in paths
    assert two.client.get("/api/docs").status_code == 200


# --- tokens -------------------------------------------------------------------------------------


def test_an_admin_creates_a_token_that_is_shown_once_and_listed_without_its_secret(
    two: Api,
) -> None:
    r = two.post("/tokens", {"name": "erp-fi", "role": "integration", "legal_entities": ["FI01"]})

    assert r.status_code == 201, r.text
    created = r.json()
    assert created["name"] == "erp-fi"
    assert created["role"] == "integration"
    assert created["legal_entities"] == ["FI01"]
    assert created["token"]
    listed = [t for t in two.get("/tokens").json()["items"] if t["id"] == created["id"]]
    assert len(listed) == 1
    assert "token" not in listed[0]
    assert created["token"] not in two.get("/tokens").text
    assert listed[0]["revoked"] is False
    assert two.as_token(created["token"]).get("/legal-entities/FI01").status_code == 200


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"name": "x", "role": "superuser", "legal_entities": None}, 422, "validation_error"),
        ({"name": "x", "role": "viewer", "legal_entities": []}, 422, "invalid_input"),
        ({"name": "", "role": "viewer", "legal_entities": None}, 422, "validation_error"),
        (
            {"name": "x", "role": "viewer", "legal_entities": ["XX01"]},
            404,
            "legal_entity_not_found",
        ),
    ],
)
def test_a_token_with_a_bad_role_or_scope_is_not_created(
    two: Api, body: dict[str, Any], status: int, code: str
) -> None:
    before = two.get("/tokens").json()["items"]

    Api.problem(two.post("/tokens", body), status, code)

    assert two.get("/tokens").json()["items"] == before


@pytest.mark.parametrize(
    ("role", "scope"),
    [
        ("integration", None),
        ("credit_manager", None),
        ("viewer", None),
        ("admin", ["FI01"]),
    ],
)
def test_only_an_unscoped_admin_manages_tokens(
    two: Api, role: str, scope: list[str] | None
) -> None:
    caller = as_role(two, role, scope)
    other = two.post("/tokens", {"name": "victim", "role": "viewer", "legal_entities": None})
    victim_id = other.json()["id"]

    Api.problem(
        caller.post("/tokens", {"name": "x", "role": "admin", "legal_entities": None}),
        403,
        "forbidden",
    )
    Api.problem(caller.get("/tokens"), 403, "forbidden")
    Api.problem(caller.delete(f"/tokens/{victim_id}"), 403, "forbidden")
    assert two.as_token(other.json()["token"]).get("/legal-entities/FI01").status_code == 200


def test_a_revoked_token_is_refused_from_then_on(two: Api) -> None:
    created = two.post("/tokens", {"name": "temp", "role": "viewer", "legal_entities": None})
    token, token_id = created.json()["token"], created.json()["id"]
    assert two.as_token(token).get("/legal-entities/FI01").status_code == 200

    assert two.delete(f"/tokens/{token_id}").status_code == 204

    Api.problem(two.as_token(token).get("/legal-entities/FI01"), 401, "unauthenticated")
    listed = [t for t in two.get("/tokens").json()["items"] if t["id"] == token_id]
    assert listed[0]["revoked"] is True
    Api.problem(two.delete("/tokens/tok_nope"), 404, "token_not_found")


# --- roles --------------------------------------------------------------------------------------


def test_a_viewer_reads_but_cannot_change_anything(two: Api) -> None:
    viewer = as_role(two, "viewer")
    hold_id = two.holds(legal_entity="FI01")[0]["id"]

    assert viewer.get("/legal-entities/FI01/customers/C100").status_code == 200
    assert viewer.get("/legal-entities/FI01/customers/C100/credit").status_code == 200
    assert viewer.get(f"/credit-holds/{hold_id}").status_code == 200
    for r in (
        viewer.put("/legal-entities/FI01/customers/C100", CUSTOMER),
        viewer.put(
            "/legal-entities/FI01/sales-orders/SO-1", {"customer": "C100", "amount": m("1 EUR")}
        ),
        viewer.post("/legal-entities/FI01/sales-orders/SO-1/credit-checks", CHECK),
        viewer.post(f"/credit-holds/{hold_id}/release", {"reason": "AUTO"}),
        viewer.post(f"/credit-holds/{hold_id}/reject", {}),
        viewer.put("/legal-entities/FI01/credit-parameters", {"credit_management": False}),
        viewer.put("/legal-entities/FI02", {"name": "x", "accounting_currency": "EUR"}),
        viewer.put("/credit-groups/G1", {"limit": m("1 EUR"), "limit_expires_on": "2026-12-31"}),
        viewer.post(
            "/exchange-rates",
            {"from_currency": "NOK", "to_currency": "EUR", "rate": "1", "valid_from": "2026-01-01"},
        ),
    ):
        Api.problem(r, 403, "forbidden")

    customer = two.get("/legal-entities/FI01/customers/C100").json()
    assert customer["name"] == "Customer C100"
    assert customer["credit"]["limit"] == m("1000.00 EUR")
    assert two.get(f"/credit-holds/{hold_id}").json()["status"] == "on_hold"
    assert two.get("/legal-entities/FI01/sales-orders/SO-1").json()["amount"] == m("5000.00 EUR")
    assert two.get("/legal-entities/FI01/credit-parameters").json()["credit_management"] is True
    Api.problem(two.get("/legal-entities/FI02"), 404, "legal_entity_not_found")
    Api.problem(two.get("/credit-groups/G1"), 404, "credit_group_not_found")
    assert two.get("/exchange-rates").json()["items"] == []


def test_an_integration_token_pushes_documents_and_runs_checks(two: Api) -> None:
    erp = as_role(two, "integration", ["FI01"])

    erp.customer("FI01", "C200", "500.00 EUR")
    erp.invoice("FI01", "INV-1", "C200", "100.00 EUR")
    erp.order("FI01", "SO-2", "C200", "450.00 EUR")
    erp.payment("FI01", "PAY-1", "C200", "100.00 EUR", applies_to={"INV-1": "100.00 EUR"})
    erp.packing_slip("FI01", "PS-1", "SO-2", "50.00 EUR")

    assert erp.check("FI01", "SO-2")["decision"] == "passed"
    assert erp.exposure("FI01", "C200")["total"] == "450.00 EUR"


def test_an_integration_token_cannot_work_holds_or_change_the_setup(two: Api) -> None:
    erp = as_role(two, "integration")
    hold_id = two.holds(legal_entity="FI01")[0]["id"]

    Api.problem(erp.post(f"/credit-holds/{hold_id}/release", {}), 403, "forbidden")
    Api.problem(erp.post(f"/credit-holds/{hold_id}/reject", {}), 403, "forbidden")
    Api.problem(
        erp.put("/legal-entities/FI01/credit-parameters", {"credit_management": False}),
        403,
        "forbidden",
    )
    Api.problem(
        erp.post("/tokens", {"name": "x", "role": "viewer", "legal_entities": None}),
        403,
        "forbidden",
    )
    assert two.get(f"/credit-holds/{hold_id}").json()["status"] == "on_hold"


def test_a_credit_clerk_works_holds_but_cannot_change_customers(two: Api) -> None:
    clerk = as_role(two, "credit_clerk", ["FI01"])
    hold_id = two.holds(legal_entity="FI01")[0]["id"]

    Api.problem(clerk.put("/legal-entities/FI01/customers/C100", CUSTOMER), 403, "forbidden")
    r = clerk.post(f"/credit-holds/{hold_id}/release", {"reason": "AUTO"})

    assert r.status_code == 200, r.text
    assert r.json()["closed_by"] == "token:credit_clerk-token"


# --- legal-entity scope -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path",
    [
        "/legal-entities/NO01",
        "/legal-entities/NO01/credit-parameters",
        "/legal-entities/NO01/customers/C100",
        "/legal-entities/NO01/customers/C100/credit",
        "/legal-entities/NO01/customers/C100/aged-balances",
        "/legal-entities/NO01/customers/C100/credit-checks",
        "/legal-entities/NO01/sales-orders/SO-1",
        "/legal-entities/NO01/blocking-rules",
        "/legal-entities/NO01/reasons",
    ],
)
def test_a_token_scoped_to_fi01_cannot_read_no01(two: Api, path: str) -> None:
    fi_token = as_role(two, "credit_manager", ["FI01"])

    Api.problem(fi_token.get(path), 403, "forbidden")
    assert fi_token.get(path.replace("NO01", "FI01")).status_code == 200


def test_a_token_scoped_to_fi01_cannot_change_no01(two: Api) -> None:
    fi_token = as_role(two, "admin", ["FI01"])
    no_hold = two.holds(legal_entity="NO01")[0]["id"]

    for r in (
        fi_token.put("/legal-entities/NO01/customers/C100", CUSTOMER),
        fi_token.put("/legal-entities/NO01/customers/C999", {"name": "new"}),
        fi_token.put(
            "/legal-entities/NO01/sales-orders/SO-1", {"customer": "C100", "amount": m("1 NOK")}
        ),
        fi_token.post("/legal-entities/NO01/sales-orders/SO-1/credit-checks", CHECK),
        fi_token.put("/legal-entities/NO01/credit-parameters", {"credit_management": False}),
        fi_token.post(
            "/legal-entities/NO01/invoices",
            {
                "id": "INV-9",
                "customer": "C100",
                "amount": m("1.00 NOK"),
                "invoice_date": "2026-10-01",
                "due_date": "2026-10-31",
            },
        ),
        fi_token.put("/legal-entities/NO01", {"name": "renamed", "accounting_currency": "NOK"}),
    ):
        Api.problem(r, 403, "forbidden")
    # holds of NO01 are invisible to the FI01 token: as if they did not exist
    Api.problem(fi_token.post(f"/credit-holds/{no_hold}/release", {}), 404, "hold_not_found")
    Api.problem(fi_token.get(f"/credit-holds/{no_hold}"), 404, "hold_not_found")

    assert two.get("/legal-entities/NO01/customers/C100").json()["name"] == "Customer C100"
    Api.problem(two.get("/legal-entities/NO01/customers/C999"), 404, "customer_not_found")
    assert two.get("/legal-entities/NO01").json()["name"] == "NO01 Oy"
    assert two.get(f"/credit-holds/{no_hold}").json()["status"] == "on_hold"
    assert two.exposure("NO01", "C100")["balance"] == "0.00 NOK"
    assert len(two.get("/legal-entities/NO01/customers/C100/credit-checks").json()["items"]) == 1


def test_a_token_scoped_to_fi01_sees_only_fi01_holds_and_legal_entities(two: Api) -> None:
    fi_token = as_role(two, "viewer", ["FI01"])

    holds = fi_token.holds()

    assert {h["legal_entity"] for h in holds} == {"FI01"}
    assert len(holds) == 1
    assert fi_token.holds(status="on_hold", customer="C100") == holds
    Api.problem(fi_token.get("/credit-holds", legal_entity="NO01"), 403, "forbidden")
    ids = [le["id"] for le in fi_token.get("/legal-entities").json()["items"]]
    assert ids == ["FI01"]
    no_check = two.get("/legal-entities/NO01/customers/C100/credit-checks").json()["items"][0]
    Api.problem(fi_token.get(f"/credit-checks/{no_check['id']}"), 404, "credit_check_not_found")


def test_a_scoped_token_sees_only_the_group_members_of_its_legal_entities(two: Api) -> None:
    two.group("G1", "15000.00 EUR")
    two.rate("NOK", "EUR", "0.0850")
    two.join("G1", "FI01", "C100")
    two.join("G1", "NO01", "C100")
    fi_token = as_role(two, "viewer", ["FI01"])

    group = fi_token.get("/credit-groups/G1").json()

    assert [(x["legal_entity"], x["account"]) for x in group["members"]] == [("FI01", "C100")]
    assert len(two.get("/credit-groups/G1").json()["members"]) == 2


def test_data_that_spans_legal_entities_needs_an_unscoped_caller(two: Api) -> None:
    fi_manager = as_role(two, "credit_manager", ["FI01"])

    Api.problem(
        fi_manager.put(
            "/credit-groups/G1", {"limit": m("1.00 EUR"), "limit_expires_on": "2026-12-31"}
        ),
        403,
        "forbidden",
    )
    Api.problem(
        fi_manager.post(
            "/exchange-rates",
            {"from_currency": "NOK", "to_currency": "EUR", "rate": "9", "valid_from": "2026-01-01"},
        ),
        403,
        "forbidden",
    )
    Api.problem(fi_manager.get("/audit-events"), 403, "forbidden")
    Api.problem(two.get("/credit-groups/G1"), 404, "credit_group_not_found")
    assert two.get("/exchange-rates").json()["items"] == []


def test_the_audit_trail_names_the_token_that_made_a_change(two: Api) -> None:
    erp = as_role(two, "integration", ["FI01"])

    erp.customer("FI01", "C300", "10.00 EUR")

    events = two.get("/audit-events", entity="customer", key="FI01/C300").json()["items"]
    assert [(e["action"], e["actor"]) for e in events] == [("create", "token:integration-token")]


# --- token expiry, last use and the admin token's rotation ------------------------------------


def test_a_token_with_an_expiry_works_until_then_and_is_refused_after(
    two: Api, runtime: Runtime
) -> None:
    runtime.clock = FixedClock("2026-11-23")
    r = two.post(
        "/tokens",
        {"name": "week", "role": "viewer", "expires_at": "2026-11-30T09:00:00Z"},
    )
    assert r.status_code == 201, r.text
    assert r.json()["expires_at"] == "2026-11-30T09:00:00Z"
    week = two.as_token(r.json()["token"])
    assert week.get("/legal-entities/FI01").status_code == 200
    runtime.clock.set_day("2026-11-30", hour=9)
    runtime.tokens.clear()  # other processes: within TOKEN_CACHE_SECONDS
    Api.problem(week.get("/legal-entities/FI01"), 401, "unauthenticated")


@pytest.mark.parametrize("expires_at", ["2020-01-01T00:00:00Z", "2099-01-01T00:00:00", "soon"])
def test_a_token_that_would_be_born_expired_or_has_no_utc_offset_is_not_created(
    two: Api, expires_at: str
) -> None:
    before = len(two.get("/tokens").json()["items"])
    r = two.post("/tokens", {"name": "x", "role": "viewer", "expires_at": expires_at})
    assert r.status_code == 422, r.text
    assert len(two.get("/tokens").json()["items"]) == before


def test_a_cached_token_is_never_trusted_past_its_expiry() -> None:
    cache = TokenCache()
    cache.put("digest", SYSTEM, at_most=0.0)
    assert cache.get("digest") is None
    cache.put("digest", SYSTEM, at_most=60.0)
    assert cache.get("digest") == SYSTEM


def test_a_tokens_last_use_is_recorded(two: Api) -> None:
    created = two.post("/tokens", {"name": "erp", "role": "viewer"}).json()
    listed = {t["id"]: t for t in two.get("/tokens").json()["items"]}
    assert listed[created["id"]]["last_used_at"] is None
    assert two.as_token(created["token"]).get("/legal-entities/FI01").status_code == 200
    listed = {t["id"]: t for t in two.get("/tokens").json()["items"]}
    assert listed[created["id"]]["last_used_at"] is not None
    assert listed[created["id"]]["expires_at"] is None


def test_a_new_admin_token_in_the_environment_replaces_the_previous_one(
    settings: Settings,
) -> None:
    first = build_runtime(settings.model_copy(update={"admin_token": "old-admin-secret"}))
    dispose(first)
    rotated = build_runtime(settings.model_copy(update={"admin_token": "new-admin-secret"}))
    try:
        with pytest.raises(AuthenticationError):
            tokens.authenticate(rotated, "old-admin-secret")
        assert tokens.authenticate(rotated, "new-admin-secret").role.value == "admin"
        named = [
            t
            for t in tokens.list_tokens(rotated, SYSTEM)
            if t["name"] == tokens.ADMIN_TOKEN_NAME and not t["revoked"]
        ]
        assert len(named) == 1
        with rotated.uow(read_only=True) as uow:
            trail = uow.audit.find("api_token", None, None, 100)
        assert [e.action for e in trail].count("revoke") >= 1
    finally:
        dispose(rotated)
