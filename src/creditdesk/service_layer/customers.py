"""Use cases for customers and their credit profiles."""

from __future__ import annotations

from dataclasses import fields, replace
from typing import Any

from creditdesk.domain.customers import CreditProfile, Customer
from creditdesk.domain.errors import (
    DomainError,
    InvalidNameError,
    ManualLimitEditDisabledError,
    UnknownAccountStatusError,
)
from creditdesk.domain.exposure import ExposureDelta
from creditdesk.domain.identifiers import ACCOUNT_LENGTH, check_id
from creditdesk.domain.money import Currency, currency
from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.errors import CustomerNotFoundError, RetryableError
from creditdesk.service_layer.ports import StoredCustomer, UnitOfWork, run_with_retries
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_credit_management_group, require_entity

CREDIT_FIELDS = frozenset(f.name for f in fields(CreditProfile))
LIMIT_FIELDS = frozenset({"limit", "mandatory_limit", "unlimited_limit"})
_SYSTEM_FIELDS = frozenset({"limit_date", "risk_group"})


def require_customer(uow: UnitOfWork, legal_entity: str, account: str) -> StoredCustomer:
    found = uow.customers.get(legal_entity, account)
    if found is None:
        raise CustomerNotFoundError(
            f"customer {account} does not exist in legal entity {legal_entity}",
            legal_entity=legal_entity,
            account=account,
        )
    return found


def lock_customer(uow: UnitOfWork, legal_entity: str, account: str) -> StoredCustomer:
    """Lock the customer's credit group row (if any), then the customer row: the one lock
    order every writer of exposure follows, so concurrent writers cannot deadlock."""
    found = require_customer(uow, legal_entity, account)
    return lock_stored(uow, found)


def lock_stored(uow: UnitOfWork, found: StoredCustomer) -> StoredCustomer:
    group = found.customer.credit_group
    if group is not None:
        uow.groups.get(group, lock=True)
    locked = uow.customers.get_by_id(found.id, lock=True)
    if locked is None or locked.customer.credit_group != group:
        raise RetryableError("the customer's credit group changed meanwhile")
    return locked


def apply_exposure(uow: UnitOfWork, stored: StoredCustomer, delta: ExposureDelta) -> None:
    """Change the running totals of a customer and of its credit group together."""
    if delta.is_zero:
        return
    uow.customers.apply_exposure(stored.id, delta)
    group = stored.customer.credit_group
    if group is not None:
        uow.groups.apply_exposure(group, stored.customer.legal_entity, delta)


def customer_body(customer: Customer) -> dict[str, Any]:
    return serialize.customer(customer)


def put_customer(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    account: str,
    *,
    name: str,
    currency_code: str | None,
    payment_terms: str | None,
    settlement_discount: str | None,
    credit: dict[str, Any] | None,
) -> tuple[dict[str, Any], bool]:
    """Create or update a customer. ``credit`` holds only the credit fields the caller sent;
    the others keep their stored values (or defaults for a new customer)."""
    authorize(actor, Permission.MANAGE_CUSTOMERS, legal_entity)
    credit = dict(credit or {})
    unknown = set(credit) - CREDIT_FIELDS or set(credit) & _SYSTEM_FIELDS
    if unknown:
        raise DomainError(f"unknown credit fields: {', '.join(sorted(unknown))}")
    check_id(account, "the customer account", ACCOUNT_LENGTH)
    if not name.strip():
        raise InvalidNameError("a customer needs a name that is not blank")

    def work() -> tuple[dict[str, Any], bool]:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            cur: Currency = currency(currency_code) if currency_code else entity.accounting_currency
            found = uow.customers.get(legal_entity, account)
            if found is not None:
                found = lock_stored(uow, found)
            before = found.customer if found is not None else None
            profile = before.credit if before is not None else CreditProfile()
            new_profile = replace(profile, **credit)
            limit_changed = (
                new_profile.limit != profile.limit
                or new_profile.mandatory_limit != profile.mandatory_limit
                or new_profile.unlimited_limit != profile.unlimited_limit
            )
            if limit_changed:
                authorize(actor, Permission.MANAGE_LIMITS, legal_entity)
                if (
                    new_profile.limit != profile.limit
                    and not entity.parameters.allow_manual_limit_edit
                ):
                    raise ManualLimitEditDisabledError(
                        f"manual editing of credit limits is off in {legal_entity}: "
                        "change the limit with a credit limit adjustment journal",
                        legal_entity=legal_entity,
                    )
            if new_profile.limit is not None and new_profile.limit.is_negative:
                from creditdesk.domain.errors import NegativeAmountError

                raise NegativeAmountError("a credit limit cannot be negative")
            if new_profile.limit != profile.limit:
                new_profile = replace(new_profile, limit_date=rt.clock.today())
            status = new_profile.account_status
            if (
                status is not None
                and status != profile.account_status
                and uow.setup.account_status(legal_entity, status) is None
            ):
                raise UnknownAccountStatusError(
                    f"account status {status} does not exist in {legal_entity}",
                    account_status=status,
                )
            cm_group = new_profile.credit_management_group
            if cm_group is not None and cm_group != profile.credit_management_group:
                require_credit_management_group(uow, legal_entity, cm_group)
            customer = Customer(
                legal_entity=legal_entity,
                account=account,
                name=name,
                currency=cur,
                payment_terms=payment_terms,
                settlement_discount=settlement_discount,
                credit=new_profile,
                credit_group=before.credit_group if before is not None else None,
            )
            now = rt.clock.now()
            if found is None:
                uow.customers.add(customer, now)
            else:
                if customer == before:
                    return customer_body(customer), False
                uow.customers.update(found.id, customer, now)
            uow.audit.add(
                now,
                actor.name,
                "create" if before is None else "update",
                "customer",
                customer.key,
                None if before is None else customer_body(before),
                customer_body(customer),
            )
            uow.commit()
            return customer_body(customer), found is None

    return run_with_retries(work)


def get_customer(rt: Runtime, actor: Principal, legal_entity: str, account: str) -> Customer:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return require_customer(uow, legal_entity, account).customer
