"""Use cases for customer credit groups: one shared limit over members of any legal entity."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from typing import Any

from creditdesk.domain.errors import AlreadyInGroupError
from creditdesk.domain.exposure import ExposureDelta
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.identifiers import ACCOUNT_LENGTH, check_id
from creditdesk.domain.money import Money
from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import (
    Permission,
    Principal,
    authorize,
    authorize_all_entities,
)
from creditdesk.service_layer.customers import lock_stored, require_customer
from creditdesk.service_layer.errors import (
    CreditGroupNotFoundError,
    MemberNotFoundError,
    PermissionDeniedError,
)
from creditdesk.service_layer.ports import UnitOfWork, run_with_retries
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity


def require_group(uow: UnitOfWork, group_id: str, *, lock: bool = False) -> CreditGroup:
    group = uow.groups.get(group_id, lock=lock)
    if group is None:
        raise CreditGroupNotFoundError(
            f"customer credit group {group_id} does not exist", group=group_id
        )
    return group


def _member_entities(uow: UnitOfWork, group_id: str) -> set[str]:
    return {m.customer.legal_entity for m in uow.customers.members(group_id)}


def require_visible_group(
    uow: UnitOfWork, actor: Principal, group_id: str, *, lock: bool = False
) -> CreditGroup:
    """A group as a caller may see it: a scoped caller sees a group only through a member in
    its legal entities; any other group answers as if it did not exist."""
    group = require_group(uow, group_id, lock=lock)
    if actor.is_unscoped:
        return group
    if not any(actor.sees(le) for le in _member_entities(uow, group_id)):
        raise CreditGroupNotFoundError(
            f"customer credit group {group_id} does not exist", group=group_id
        )
    return group


def require_changeable_group(
    uow: UnitOfWork, actor: Principal, group_id: str, *, lock: bool = False
) -> CreditGroup:
    """A group a caller may change (its limit, its members): only a caller who may act in the
    legal entity of every member. A group the caller sees no member of answers 404, one with
    members elsewhere 403; a group without members may be changed by any caller with the
    right, so a scoped caller can form a group of its own customers."""
    group = require_group(uow, group_id, lock=lock)
    if actor.is_unscoped:
        return group
    entities = _member_entities(uow, group_id)
    if not entities:
        return group
    outside = sorted(le for le in entities if not actor.sees(le))
    if not outside:
        return group
    if len(outside) == len(entities):
        raise CreditGroupNotFoundError(
            f"customer credit group {group_id} does not exist", group=group_id
        )
    raise PermissionDeniedError(
        f"customer credit group {group_id} has members in legal entities this caller may not "
        f"act in: {', '.join(outside)}",
        group=group_id,
    )


def group_body(uow: UnitOfWork, group: CreditGroup) -> dict[str, Any]:
    body = serialize.group(group)
    body["members"] = [
        {
            "legal_entity": m.customer.legal_entity,
            "account": m.customer.account,
            "name": m.customer.name,
        }
        for m in uow.customers.members(group.id)
    ]
    return body


def _free(uow: UnitOfWork, legal_entity: str, account: str) -> bool:
    """Not in any credit group yet, so it can be offered for this one (A-15)."""
    found = uow.customers.get(legal_entity, account)
    return found is not None and found.customer.credit_group is None


def _carry_expiry_to_members(uow: UnitOfWork, group: CreditGroup, now: datetime) -> None:
    """A member's credit-limit expiration date follows its group's (reference §1.6)."""
    for member in uow.customers.members(group.id):
        locked = uow.customers.get_by_id(member.id, lock=True)
        if locked is None or locked.customer.credit.limit_expires_on == group.limit_expires_on:
            continue
        customer = locked.customer
        uow.customers.update(
            locked.id,
            replace(
                customer, credit=replace(customer.credit, limit_expires_on=group.limit_expires_on)
            ),
            now,
        )


def put_group(
    rt: Runtime,
    actor: Principal,
    group_id: str,
    description: str,
    limit: Money,
    limit_expires_on: date | None,
) -> tuple[dict[str, Any], bool]:
    authorize(actor, Permission.MANAGE_LIMITS)
    check_id(group_id, "the credit group id", ACCOUNT_LENGTH)
    group = CreditGroup.create(group_id, description, limit, limit_expires_on)
    if limit.is_negative:
        from creditdesk.domain.errors import NegativeAmountError

        raise NegativeAmountError("a credit limit cannot be negative")

    def work() -> tuple[dict[str, Any], bool]:
        with rt.uow() as uow:
            now = rt.clock.now()
            before = uow.groups.get(group_id, lock=True)
            if before is None:  # a new group may span legal entities: an unscoped caller's
                authorize_all_entities(actor, Permission.MANAGE_LIMITS)
            else:
                require_changeable_group(uow, actor, group_id)
            if before is None:
                uow.groups.add(group, now)
            elif before != group:
                uow.groups.update(group, now)
                if before.limit_expires_on != group.limit_expires_on:
                    _carry_expiry_to_members(uow, group, now)
            if before != group:
                uow.audit.add(
                    now,
                    actor.name,
                    "create" if before is None else "update",
                    "credit_group",
                    group_id,
                    None if before is None else serialize.group(before),
                    serialize.group(group),
                )
            body = group_body(uow, group)
            uow.commit()
            return body, before is None

    return run_with_retries(work)


def get_group(rt: Runtime, actor: Principal, group_id: str) -> dict[str, Any]:
    authorize(actor, Permission.READ)
    with rt.uow(read_only=True) as uow:
        body = group_body(uow, require_visible_group(uow, actor, group_id))
    body["members"] = [m for m in body["members"] if actor.sees(m["legal_entity"])]
    return body


def may_change(rt: Runtime, actor: Principal, group_id: str) -> bool:
    """Whether the caller may change the group's limit and members (the web shows the forms
    only then; the use cases check it again)."""
    if not actor.can(Permission.MANAGE_LIMITS):
        return False
    with rt.uow(read_only=True) as uow:
        try:
            require_changeable_group(uow, actor, group_id)
        except (CreditGroupNotFoundError, PermissionDeniedError):
            return False
    return True


def add_member(
    rt: Runtime, actor: Principal, group_id: str, legal_entity: str, account: str
) -> dict[str, Any]:
    """Add a customer to a group: its credit-limit expiry becomes the group's, its exposure
    joins the group's, and the same account number in other legal entities is offered."""
    authorize(actor, Permission.MANAGE_LIMITS, legal_entity)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            group = require_changeable_group(uow, actor, group_id, lock=True)
            found = require_customer(uow, legal_entity, account)
            current = found.customer.credit_group
            if current is not None and current != group_id:
                raise AlreadyInGroupError(
                    f"customer {legal_entity}/{account} is already in credit group {current}",
                    group=current,
                )
            stored = lock_stored(uow, found)
            customer = stored.customer
            if current is None:
                joined = replace(
                    customer,
                    credit_group=group_id,
                    credit=replace(customer.credit, limit_expires_on=group.limit_expires_on),
                )
                now = rt.clock.now()
                uow.customers.update(stored.id, joined, now)
                for bucket in uow.customers.exposure(stored.id):
                    uow.groups.apply_exposure(
                        group_id,
                        legal_entity,
                        ExposureDelta(
                            bucket.currency,
                            bucket.balance,
                            bucket.packing_slips,
                            bucket.open_orders,
                        ),
                    )
                uow.audit.add(
                    now,
                    actor.name,
                    "add_member",
                    "credit_group",
                    group_id,
                    {
                        "member": customer.key,
                        "limit_expires_on": serialize.plain(customer.credit.limit_expires_on),
                    },
                    {
                        "member": customer.key,
                        "limit_expires_on": group.limit_expires_on.isoformat(),
                    },
                )
                customer = joined
            members = {
                (m.customer.legal_entity, m.customer.account)
                for m in uow.customers.members(group_id)
            }
            offers = [
                {"legal_entity": le, "account": acc}
                for le, acc in uow.customers.same_account_elsewhere(account, legal_entity)
                if (le, acc) not in members and actor.sees(le) and _free(uow, le, acc)
            ]
            uow.commit()
            return {
                "group": group_id,
                "legal_entity": legal_entity,
                "account": account,
                "limit_expires_on": serialize.plain(customer.credit.limit_expires_on),
                "same_account_in_other_legal_entities": offers,
            }

    return run_with_retries(work)


def remove_member(
    rt: Runtime, actor: Principal, group_id: str, legal_entity: str, account: str
) -> None:
    authorize(actor, Permission.MANAGE_LIMITS, legal_entity)

    def work() -> None:
        with rt.uow() as uow:
            require_changeable_group(uow, actor, group_id, lock=True)
            found = require_customer(uow, legal_entity, account)
            if found.customer.credit_group != group_id:
                raise MemberNotFoundError(
                    f"customer {legal_entity}/{account} is not a member of {group_id}"
                )
            stored = lock_stored(uow, found)
            for bucket in uow.customers.exposure(stored.id):
                uow.groups.apply_exposure(
                    group_id,
                    legal_entity,
                    -ExposureDelta(
                        bucket.currency, bucket.balance, bucket.packing_slips, bucket.open_orders
                    ),
                )
            now = rt.clock.now()
            uow.customers.update(stored.id, replace(stored.customer, credit_group=None), now)
            uow.audit.add(
                now,
                actor.name,
                "remove_member",
                "credit_group",
                group_id,
                {"member": stored.customer.key},
                None,
            )
            uow.commit()

    run_with_retries(work)
