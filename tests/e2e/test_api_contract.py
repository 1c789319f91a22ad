"""The contract is typed (API.md, additions of v1.1): every operation of
``/api/v1/openapi.json`` has a readable unique ``operationId`` and one described tag, every 2xx
answer is a named schema with its properties, every 4xx a problem document, the closed sets are
enums; every list pages with ``items``/``next_cursor``/``has_more`` and following the cursor
reaches each item once; a customer, a credit group and credit parameters answer an ``ETag`` and
refuse a stale ``If-Match`` with 412."""

from __future__ import annotations

import gc
import re
from collections.abc import Iterator
from enum import StrEnum
from typing import Any

import pytest
from pydantic import BaseModel

from creditdesk.config import Settings
from creditdesk.domain.decisions import Outcome
from creditdesk.domain.errors import CreditDeskError, DomainError
from creditdesk.domain.holds import HoldStatus
from creditdesk.domain.rules import ReasonCode, RuleKind, RuleType, ValidFor, ValueType
from creditdesk.domain.setup import Checkpoint
from creditdesk.entrypoints.api import read_models
from creditdesk.entrypoints.api.app import create_app
from creditdesk.service_layer.auth import Role
from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, m

METHODS = {"get", "put", "post", "delete", "patch"}
PROBLEM = "application/problem+json"
OPERATION_ID = re.compile(r"^[a-z]+(_[a-z0-9]+)+$")


@pytest.fixture
def document(api: Api) -> dict[str, Any]:
    r = api.client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    return dict(r.json())


def operations(document: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for path, item in document["paths"].items():
        for method, operation in item.items():
            if method in METHODS:
                yield path, method, operation


def resolve(document: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in schema:
        schema = document["components"]["schemas"][schema["$ref"].rsplit("/", 1)[1]]
    return schema


def free_form_objects(
    document: dict[str, Any], schema: dict[str, Any], where: str, seen: set[str]
) -> list[str]:
    """Where a schema (followed through $ref, anyOf, items) has an object without declared
    properties, other than the documented free-form snapshots (``x-free-form``)."""
    if "$ref" in schema:
        name = schema["$ref"].rsplit("/", 1)[1]
        if name in seen:
            return []
        seen.add(name)
        return free_form_objects(document, resolve(document, schema), f"{where}>{name}", seen)
    if schema.get("x-free-form"):
        return []
    found: list[str] = []
    if schema.get("type") == "object" or "properties" in schema:
        if not schema.get("properties") or schema.get("additionalProperties") is True:
            found.append(where)
        for name, sub in schema.get("properties", {}).items():
            found += free_form_objects(document, sub, f"{where}.{name}", seen)
    for key in ("anyOf", "oneOf", "allOf"):
        for sub in schema.get(key, []):
            found += free_form_objects(document, sub, where, seen)
    if "items" in schema:
        found += free_form_objects(document, schema["items"], f"{where}[]", seen)
    return found


# --- the document -------------------------------------------------------------------------------


def test_every_operation_has_a_unique_readable_verb_noun_operation_id(
    document: dict[str, Any],
) -> None:
    ids = [operation["operationId"] for _, _, operation in operations(document)]

    assert len(ids) > 80
    assert len(ids) == len(set(ids))
    assert [i for i in ids if not OPERATION_ID.fullmatch(i) or len(i) > 40] == []
    assert {"create_credit_check", "list_credit_holds", "release_credit_hold"} <= set(ids)


def test_every_operation_has_exactly_one_tag_and_every_tag_is_described(
    document: dict[str, Any],
) -> None:
    described = {tag["name"] for tag in document["tags"] if tag.get("description")}

    untagged = [
        (path, method)
        for path, method, operation in operations(document)
        if len(operation.get("tags", [])) != 1 or operation["tags"][0] not in described
    ]

    assert untagged == []


def test_every_success_answer_is_a_named_schema_with_its_properties(
    document: dict[str, Any],
) -> None:
    untyped: list[str] = []
    for path, method, operation in operations(document):
        for status, answer in operation["responses"].items():
            if not status.startswith("2") or status == "204":
                continue
            if set(answer.get("content", {})) == {"text/plain"}:  # /metrics: Prometheus text
                continue
            schema = answer.get("content", {}).get("application/json", {}).get("schema", {})
            where = f"{method.upper()} {path} {status}"
            if "$ref" not in schema or not resolve(document, schema).get("properties"):
                untyped.append(where)
                continue
            untyped += free_form_objects(document, schema, where, set())

    assert untyped == []


def test_every_schema_of_the_document_has_a_readable_name(document: dict[str, Any]) -> None:
    names = list(document["components"]["schemas"])

    assert [name for name in names if not re.fullmatch(r"[A-Z][A-Za-z0-9]*", name)] == []


def test_every_operation_declares_its_problem_answers(document: dict[str, Any]) -> None:
    missing: list[str] = []
    for path, method, operation in operations(document):
        headers = {p["name"] for p in operation.get("parameters", []) if p["in"] == "header"}
        expected = {"400", "401", "403", "404", "409", "422"}
        if "If-Match" in headers:
            expected.add("412")
        for status in sorted(expected):
            schema = operation["responses"].get(status, {}).get("content", {}).get(PROBLEM, {})
            if schema.get("schema") != {"$ref": "#/components/schemas/ProblemDocument"}:
                missing.append(f"{method.upper()} {path} {status}")

    assert missing == []


@pytest.mark.parametrize(
    "closed",
    [ReasonCode, Outcome, Checkpoint, Role, HoldStatus, RuleType, RuleKind, ValidFor, ValueType],
)
def test_the_closed_sets_are_enums_of_the_document(
    document: dict[str, Any], closed: type[StrEnum]
) -> None:
    schema = document["components"]["schemas"][closed.__name__]

    assert schema["type"] == "string"
    assert schema["enum"] == [member.value for member in closed]


def every_error_code() -> set[str]:
    codes: set[str] = set()
    pending: list[type[CreditDeskError]] = [CreditDeskError]
    while pending:
        kind = pending.pop()
        codes.add(kind.code)
        pending.extend(kind.__subclasses__())
    return codes


def test_the_problem_code_is_an_enum_of_every_error_code(document: dict[str, Any]) -> None:
    problem = document["components"]["schemas"]["ProblemDocument"]
    codes = set(document["components"]["schemas"]["ErrorCode"]["enum"])

    assert problem["properties"]["code"] == {"$ref": "#/components/schemas/ErrorCode"}
    assert every_error_code() <= codes
    assert {
        "precondition_failed",
        "validation_error",
        "invalid_json",
        "customer_not_found",
        "hold_not_open",
        "forbidden",
        "unauthenticated",
        "body_too_large",
    } <= codes


def test_an_error_class_added_later_is_in_the_error_code_enum_without_other_changes(
    settings: Settings, runtime: Runtime
) -> None:
    class LateError(DomainError):
        code = "late_error_of_another_branch"

    try:
        document = create_app(settings, runtime).openapi()
        assert (
            "late_error_of_another_branch" in document["components"]["schemas"]["ErrorCode"]["enum"]
        )
    finally:
        del LateError
        gc.collect()


# --- what is answered is what is declared -------------------------------------------------------


def undeclared(value: Any, where: str = "") -> list[str]:
    """Keys an answer carried that its model does not declare (passed through at run time)."""
    found: list[str] = []
    if isinstance(value, BaseModel):
        found += [f"{where}.{key}" for key in (value.__pydantic_extra__ or {})]
        for name in type(value).model_fields:
            found += undeclared(getattr(value, name), f"{where}.{name}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += undeclared(item, f"{where}[{index}]")
    return found


def declared(model: type[BaseModel], body: Any) -> list[str]:
    return undeclared(model.model_validate(body))


@pytest.fixture
def held(api: Api) -> Api:
    """FI01 with C100 (limit 100.00 EUR) and five orders of 500.00 EUR, each checked and held."""
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "100.00 EUR")
    for n in range(1, 6):
        api.order("FI01", f"SO-{n}", "C100", "500.00 EUR")
        assert api.check("FI01", f"SO-{n}")["decision"] == "on_hold"
    return api


def test_the_answers_carry_only_declared_fields(held: Api) -> None:
    hold_id = held.get("/credit-holds").json()["items"][0]["id"]
    answers: list[tuple[type[BaseModel], Any]] = [
        (read_models.HoldPage, held.get("/credit-holds").json()),
        (read_models.HoldRead, held.get(f"/credit-holds/{hold_id}").json()),
        (read_models.CustomerRead, held.get("/legal-entities/FI01/customers/C100").json()),
        (read_models.CreditSummaryRead, held.credit("FI01", "C100")),
        (read_models.CreditDecisionRead, held.check("FI01", "SO-1")),
        (read_models.EventPage, held.get("/events").json()),
        (read_models.AuditEventPage, held.get("/audit-events").json()),
        (read_models.LegalEntityRead, held.get("/legal-entities/FI01").json()),
        (read_models.SalesOrderRead, held.get("/legal-entities/FI01/sales-orders/SO-1").json()),
        (
            read_models.CreditDecisionPage,
            held.get("/legal-entities/FI01/customers/C100/credit-checks").json(),
        ),
        (read_models.TokenPage, held.get("/tokens").json()),
    ]

    assert [where for model, body in answers for where in declared(model, body)] == []


# --- lists --------------------------------------------------------------------------------------


def test_every_list_takes_limit_and_cursor_and_answers_a_page(document: dict[str, Any]) -> None:
    wrong: list[str] = []
    for path, method, operation in operations(document):
        if not operation["operationId"].startswith("list_"):
            continue
        names = {p["name"] for p in operation.get("parameters", [])}
        schema = resolve(
            document, operation["responses"]["200"]["content"]["application/json"]["schema"]
        )
        if not {"limit", "cursor"} <= names or not {"items", "next_cursor", "has_more"} <= set(
            schema["properties"]
        ):
            wrong.append(f"{method.upper()} {path}")

    assert wrong == []


def walk(api: Api, path: str, key: str = "id", **params: Any) -> list[Any]:
    """Every item of a list, two at a time, following ``next_cursor``."""
    seen: list[Any] = []
    cursor: str | None = None
    pages = 0
    while True:
        query = {**params, "limit": 2, **({"cursor": cursor} if cursor else {})}
        r = api.get(path, **query)
        assert r.status_code == 200, r.text
        page = r.json()
        assert len(page["items"]) <= 2
        seen += [item[key] for item in page["items"]]
        pages += 1
        assert page["has_more"] is (page["next_cursor"] is not None)
        if not page["has_more"]:
            return seen
        cursor = page["next_cursor"]
        assert pages < 50


def test_following_next_cursor_reaches_every_hold_once(held: Api) -> None:
    everything = held.get("/credit-holds", limit=1000).json()

    seen = walk(held, "/credit-holds")

    assert len(seen) == 5
    assert sorted(seen) == sorted(item["id"] for item in everything["items"])
    assert everything["has_more"] is False
    assert everything["next_cursor"] is None


def test_following_next_cursor_reaches_every_credit_check_of_a_customer_once(held: Api) -> None:
    checks = "/legal-entities/FI01/customers/C100/credit-checks"
    everything = [item["id"] for item in held.get(checks, limit=1000).json()["items"]]

    seen = walk(held, checks)

    assert len(everything) == 5
    assert seen == everything  # newest first, each once


def test_a_credit_check_made_between_two_pages_does_not_repeat_or_skip_one(held: Api) -> None:
    checks = "/legal-entities/FI01/customers/C100/credit-checks"
    before = [item["id"] for item in held.get(checks, limit=1000).json()["items"]]
    first = held.get(checks, limit=2).json()

    held.check("FI01", "SO-1")  # a newer decision pushes the others down
    rest = walk(held, checks, cursor=first["next_cursor"]) if first["next_cursor"] else []

    assert [item["id"] for item in first["items"]] + rest[-3:] == before
    assert len(rest) == 3


def test_following_next_cursor_reaches_every_event_once_and_after_still_works(held: Api) -> None:
    everything = held.get("/events", limit=1000).json()

    seen = walk(held, "/events")
    old_style = held.get("/events", after=everything["items"][1]["id"], limit=1000).json()

    assert len(seen) == 5
    assert seen == [item["id"] for item in everything["items"]]
    assert [item["id"] for item in old_style["items"]] == seen[2:]
    assert old_style["next_after"] == seen[-1]
    assert old_style["has_more"] is False


def test_following_next_cursor_reaches_every_audit_event_once(held: Api) -> None:
    for code in ("R1", "R2", "R3"):
        r = held.put(
            f"/legal-entities/FI01/reasons/{code}", {"type": "release", "description": code}
        )
        assert r.status_code == 200, r.text
    everything = [item["id"] for item in held.get("/audit-events", limit=1000).json()["items"]]

    seen = walk(held, "/audit-events")

    assert len(everything) > 3
    assert seen == everything


def test_following_next_cursor_reaches_every_journal_once(held: Api) -> None:
    for n in range(5):
        r = held.post(
            "/legal-entities/FI01/credit-limit-journals",
            {"type": "credit_limit", "description": f"review {n}"},
        )
        assert r.status_code == 201, r.text

    seen = walk(held, "/legal-entities/FI01/credit-limit-journals")

    assert len(seen) == 5
    assert len(set(seen)) == 5


def test_following_next_cursor_reaches_every_row_of_a_setup_list_once(held: Api) -> None:
    for code in ("R1", "R2", "R3", "R4", "R5"):
        r = held.put(
            f"/legal-entities/FI01/reasons/{code}", {"type": "release", "description": code}
        )
        assert r.status_code == 200, r.text
    everything = [item["id"] for item in held.get("/legal-entities/FI01/reasons").json()["items"]]

    seen = walk(held, "/legal-entities/FI01/reasons")

    assert seen == everything
    assert {"R1", "R2", "R3", "R4", "R5"} <= set(seen)


def test_a_row_deleted_between_two_pages_leaves_the_rest_of_a_setup_list_in_place(
    held: Api,
) -> None:
    ranks = "/legal-entities/FI01/payment-terms-ranks"
    for rank, code in enumerate(("Net10", "Net14", "Net30", "Net45", "Net60")):
        assert held.put(f"{ranks}/{code}", {"rank": rank}).status_code == 200
    everything = [item["code"] for item in held.get(ranks).json()["items"]]
    first = held.get(ranks, limit=2).json()
    last_seen = first["items"][-1]["code"]

    assert held.delete(f"{ranks}/{last_seen}").status_code == 204
    rest = walk(held, ranks, key="code", cursor=first["next_cursor"])

    assert len(everything) == 5
    assert rest == everything[2:]


def test_a_cursor_that_is_not_one_is_refused(held: Api) -> None:
    Api.problem(held.get("/events", cursor="!!"), 422, "invalid_input")


# --- ETag and If-Match --------------------------------------------------------------------------

RESOURCES = {
    "customer": (
        "/legal-entities/FI01/customers/C100",
        {"name": "Customer C100", "credit": {"limit": m("200.00 EUR")}},
        {"name": "Renamed C100", "credit": {"limit": m("300.00 EUR")}},
    ),
    "credit group": (
        "/credit-groups/G1",
        {"description": "G1", "limit": m("5000.00 EUR"), "limit_expires_on": "2027-12-31"},
        {"description": "G1 bis", "limit": m("6000.00 EUR"), "limit_expires_on": "2027-12-31"},
    ),
    "credit parameters": (
        "/legal-entities/FI01/credit-parameters",
        {"check_group_limits": False},
        {"check_group_limits": True},
    ),
}


@pytest.fixture
def resources(api: Api) -> Api:
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "100.00 EUR")
    api.group("G1", "5000.00 EUR")
    return api


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_a_read_answers_a_strong_etag_that_changes_with_the_resource(
    resources: Api, resource: str
) -> None:
    path, first, second = RESOURCES[resource]
    assert resources.put(path, first).status_code == 200
    tag = resources.get(path).headers["ETag"]

    again = resources.get(path).headers["ETag"]
    changed = resources.put(path, second)

    assert re.fullmatch(r'"[0-9a-f]{32}"', tag)
    assert again == tag
    assert changed.headers["ETag"] != tag
    assert resources.get(path).headers["ETag"] == changed.headers["ETag"]


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_a_put_with_a_stale_if_match_answers_412_and_changes_nothing(
    resources: Api, resource: str
) -> None:
    path, first, second = RESOURCES[resource]
    assert resources.put(path, first).status_code == 200
    stale = resources.get(path).headers["ETag"]
    assert resources.put(path, second).status_code == 200  # someone else's change
    current = resources.get(path)

    refused = resources.client.put(
        f"/api/v1{path}", json=first, headers={**resources._headers(), "If-Match": stale}
    )

    Api.problem(refused, 412, "precondition_failed")
    after = resources.get(path)
    assert after.json() == current.json()
    assert after.headers["ETag"] == current.headers["ETag"]


@pytest.mark.parametrize("resource", sorted(RESOURCES))
def test_a_put_with_the_current_if_match_or_none_changes_the_resource(
    resources: Api, resource: str
) -> None:
    path, first, second = RESOURCES[resource]
    assert resources.put(path, first).status_code == 200
    current = resources.get(path).headers["ETag"]

    matched = resources.client.put(
        f"/api/v1{path}", json=second, headers={**resources._headers(), "If-Match": current}
    )
    unconditional = resources.put(path, first)

    assert matched.status_code == 200, matched.text
    assert matched.headers["ETag"] != current
    assert unconditional.status_code == 200, unconditional.text
    assert unconditional.headers["ETag"] == current


def test_if_match_on_a_customer_that_does_not_exist_answers_412_and_creates_nothing(
    resources: Api,
) -> None:
    path = "/legal-entities/FI01/customers/C999"

    refused = resources.client.put(
        f"/api/v1{path}",
        json={"name": "Nobody"},
        headers={**resources._headers(), "If-Match": '"0123"'},
    )

    Api.problem(refused, 412, "precondition_failed")
    Api.problem(resources.get(path), 404, "customer_not_found")
