"""Customers, their credit summary and aged balances; customer credit groups."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Response

from creditdesk.entrypoints.api.dependencies import LimitQuery, PrincipalDep, RuntimeDep
from creditdesk.entrypoints.api.schemas import CreditGroupIn, CustomerIn
from creditdesk.service_layer import customers, groups, queries, serialize

router = APIRouter()


@router.put("/legal-entities/{le}/customers/{account}", tags=["customers"])
def put_customer(
    le: str, account: str, body: CustomerIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    customers.put_customer(
        rt,
        actor,
        le,
        account,
        name=body.name,
        currency_code=body.currency,
        payment_terms=body.payment_terms,
        settlement_discount=body.settlement_discount,
        credit=body.credit.provided() if body.credit is not None else None,
    )
    return get_customer(le, account, rt, actor)


@router.get("/legal-entities/{le}/customers/{account}", tags=["customers"])
def get_customer(le: str, account: str, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    customer = customers.get_customer(rt, actor, le, account)
    body = serialize.customer(customer)
    body["derived"] = queries.derived_figures(rt, customer)
    return body


@router.get("/legal-entities/{le}/customers/{account}/credit", tags=["customers"])
def get_credit_summary(
    le: str, account: str, rt: RuntimeDep, actor: PrincipalDep, as_of: date | None = None
) -> dict[str, Any]:
    return queries.credit_summary(rt, actor, le, account, as_of)


@router.get("/legal-entities/{le}/customers/{account}/aged-balances", tags=["customers"])
def get_customer_aged_balances(
    le: str, account: str, rt: RuntimeDep, actor: PrincipalDep, as_of: date | None = None
) -> dict[str, Any]:
    return queries.customer_aged_balances(rt, actor, le, account, as_of)


@router.get("/legal-entities/{le}/customers/{account}/credit-checks", tags=["customers"])
def list_customer_checks(
    le: str, account: str, rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100
) -> dict[str, Any]:
    return {"items": queries.customer_checks(rt, actor, le, account, limit), "next_cursor": None}


@router.put("/credit-groups/{group_id}", tags=["credit groups"])
def put_group(
    group_id: str, body: CreditGroupIn, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    result, _ = groups.put_group(
        rt, actor, group_id, body.description, body.limit.money, body.limit_expires_on
    )
    return result


@router.get("/credit-groups/{group_id}", tags=["credit groups"])
def get_group(group_id: str, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return groups.get_group(rt, actor, group_id)


@router.put("/credit-groups/{group_id}/members/{le}/{account}", tags=["credit groups"])
def put_member(
    group_id: str, le: str, account: str, rt: RuntimeDep, actor: PrincipalDep
) -> dict[str, Any]:
    return groups.add_member(rt, actor, group_id, le, account)


@router.delete(
    "/credit-groups/{group_id}/members/{le}/{account}", status_code=204, tags=["credit groups"]
)
def delete_member(
    group_id: str, le: str, account: str, rt: RuntimeDep, actor: PrincipalDep
) -> Response:
    groups.remove_member(rt, actor, group_id, le, account)
    return Response(status_code=204)


@router.get("/credit-groups/{group_id}/aged-balances", tags=["credit groups"])
def get_group_aged_balances(
    group_id: str, rt: RuntimeDep, actor: PrincipalDep, as_of: date | None = None
) -> dict[str, Any]:
    return queries.group_aged_balances(rt, actor, group_id, as_of)
