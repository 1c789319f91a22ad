"""Use cases for a customer's insurance policies and guarantees (reference §1.5, B01–B04)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from creditdesk.domain.insurance import Identifier, InsurancePolicy
from creditdesk.domain.money import Money
from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.customers import lock_stored, require_customer
from creditdesk.service_layer.errors import NotFoundError
from creditdesk.service_layer.ports import run_with_retries
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity


class PolicyNotFoundError(NotFoundError):
    code = "insurance_policy_not_found"


def policy_body(policy: InsurancePolicy) -> dict[str, Any]:
    return {
        "id": policy.id,
        "identifier": policy.identifier.value,
        "type": policy.type,
        "insurer": policy.insurer,
        "coverage_type": policy.coverage_type,
        "policy_number": policy.policy_number,
        "effective": serialize.plain(policy.effective),
        "expires": serialize.plain(policy.expires),
        "value": serialize.money(policy.value),
        "update_credit_limit_percent": str(policy.update_credit_limit_percent),
        "included_in_exposure": policy.included_in_exposure,
        "contribution": serialize.money(policy.contribution),
    }


def add_policy(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    account: str,
    *,
    identifier: str,
    type: str | None,
    insurer: str | None,
    coverage_type: str | None,
    policy_number: str | None,
    effective: date | None,
    expires: date | None,
    value: Money,
    update_credit_limit_percent: Decimal,
    included_in_exposure: bool,
) -> dict[str, Any]:
    """Record a policy; it raises the customer's total limit while it is in force."""
    authorize(actor, Permission.MANAGE_LIMITS, legal_entity)
    policy = InsurancePolicy.create(
        rt.new_id("ins"),
        Identifier(identifier),
        type,
        insurer,
        coverage_type,
        policy_number,
        effective,
        expires,
        value,
        update_credit_limit_percent,
        included_in_exposure,
    )

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            stored = lock_stored(uow, require_customer(uow, legal_entity, account))
            now = rt.clock.now()
            uow.limit_sources.add_policy(stored.id, policy, now)
            body = policy_body(policy)
            uow.audit.add(
                now,
                actor.name,
                "add_insurance_policy",
                "customer",
                stored.customer.key,
                None,
                body,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def list_policies(
    rt: Runtime, actor: Principal, legal_entity: str, account: str
) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        stored = require_customer(uow, legal_entity, account)
        return [policy_body(p) for p in uow.limit_sources.policies(stored.id)]


def delete_policy(
    rt: Runtime, actor: Principal, legal_entity: str, account: str, policy_id: str
) -> None:
    authorize(actor, Permission.MANAGE_LIMITS, legal_entity)

    def work() -> None:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            stored = lock_stored(uow, require_customer(uow, legal_entity, account))
            before = next(
                (p for p in uow.limit_sources.policies(stored.id) if p.id == policy_id), None
            )
            if before is None or not uow.limit_sources.delete_policy(stored.id, policy_id):
                raise PolicyNotFoundError(
                    f"customer {legal_entity}/{account} has no insurance policy {policy_id}"
                )
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "delete_insurance_policy",
                "customer",
                stored.customer.key,
                policy_body(before),
                None,
            )
            uow.commit()

    run_with_retries(work)
