"""Use cases for the hold list: list and read holds, release and reject them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from creditdesk.domain.errors import DomainError, UnknownReasonError
from creditdesk.domain.events import EventType
from creditdesk.domain.exposure import ExposureDelta
from creditdesk.domain.holds import Hold, HoldStatus
from creditdesk.domain.setup import Checkpoint
from creditdesk.service_layer import events, serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.checks import grace_until
from creditdesk.service_layer.customers import apply_exposure, lock_customer
from creditdesk.service_layer.errors import HoldNotFoundError
from creditdesk.service_layer.ports import HoldFilter, UnitOfWork, run_with_retries
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity


def _require_hold(uow: UnitOfWork, actor: Principal, hold_id: str) -> Hold:
    hold = uow.holds.get(hold_id)
    if hold is None or not actor.sees(hold.legal_entity):
        raise HoldNotFoundError(f"credit hold {hold_id} does not exist", hold=hold_id)
    return hold


def _check_reason(
    uow: UnitOfWork, legal_entity: str, reason: str | None, types: tuple[str, ...]
) -> None:
    if reason is None:
        return
    found = uow.setup.reason(legal_entity, reason)
    if found is None or found[0] not in types:
        raise UnknownReasonError(
            f"{reason} is not a {' or '.join(types)} reason of legal entity {legal_entity}",
            reason=reason,
        )


def list_holds(
    rt: Runtime,
    actor: Principal,
    *,
    status: str | None,
    legal_entity: str | None,
    customer: str | None,
    sales_order: str | None = None,
    reason: str | None = None,
    checkpoint: str | None = None,
    created_from: date | None = None,
    created_to: date | None = None,
    ready_to_release: bool | None = None,
    after_id: str | None = None,
    limit: int = 100,
) -> list[dict[str, Any]]:
    """Holds across the legal entities the caller may see, oldest first."""
    authorize(actor, Permission.READ, legal_entity)
    if status is not None and status not in {s.value for s in HoldStatus}:
        raise DomainError(
            f"status must be one of {', '.join(s.value for s in HoldStatus)}", status=status
        )
    if checkpoint is not None and checkpoint not in {c.value for c in Checkpoint}:
        raise DomainError(
            f"checkpoint must be one of {', '.join(c.value for c in Checkpoint)}",
            checkpoint=checkpoint,
        )
    scope: tuple[str, ...] | None
    if legal_entity is not None:
        scope = (legal_entity,)
    elif actor.legal_entities is not None:
        scope = tuple(sorted(actor.legal_entities))
    else:
        scope = None
    where = HoldFilter(
        status=status,
        legal_entities=scope,
        customer=customer,
        sales_order=sales_order,
        reason=reason,
        checkpoint=checkpoint,
        created_from=created_from,
        created_to=created_to,
        ready_to_release=ready_to_release,
        after_id=after_id,
        limit=limit,
    )
    with rt.uow(read_only=True) as uow:
        return [serialize.hold(h) for h in uow.holds.find(where)]


def get_hold(rt: Runtime, actor: Principal, hold_id: str) -> dict[str, Any]:
    authorize(actor, Permission.READ)
    with rt.uow(read_only=True) as uow:
        hold = _require_hold(uow, actor, hold_id)
        return serialize.hold(hold, uow.holds.history(hold_id))


def release_hold(
    rt: Runtime,
    actor: Principal,
    hold_id: str,
    *,
    reason: str | None,
    review_date: date | None,
    with_posting: bool,
) -> dict[str, Any]:
    """Release a hold. With posting, the stopped posting counts as done: later checkpoints
    follow grace days and ``skip_rules_after_release``; without posting the same
    checkpoint checks again when the order is posted again (B45)."""

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            hold = _require_hold(uow, actor, hold_id)
            authorize(actor, Permission.WORK_HOLDS, hold.legal_entity)
            entity = require_entity(uow, hold.legal_entity)
            _check_reason(uow, hold.legal_entity, reason, ("release",))
            lock_customer(uow, hold.legal_entity, hold.customer)
            hold = _require_hold(uow, actor, hold_id)
            now = rt.clock.now()
            released = hold.release(
                reason=reason,
                review_date=review_date,
                with_posting=with_posting,
                at=now,
                by=actor.name,
            )
            uow.holds.update(released)
            uow.holds.add_history(
                hold.id,
                now,
                actor.name,
                "released",
                {
                    "reason": reason,
                    "review_date": serialize.plain(review_date),
                    "with_posting": with_posting,
                },
            )
            order = uow.orders.get(hold.legal_entity, hold.sales_order)
            if order is not None:
                today = rt.clock.today()
                uow.orders.update(
                    replace(
                        order,
                        released_at=today,
                        released_amount=order.amount,
                        released_checkpoint=hold.checkpoint.value,
                        released_with_posting=with_posting,
                        grace_until=grace_until(entity, hold.checkpoint, today),
                        version=order.version + 1,
                    ),
                    now,
                )
            events.record(
                uow,
                now,
                EventType.HOLD_RELEASED,
                hold.legal_entity,
                hold.id,
                serialize.hold(released),
            )
            uow.audit.add(
                now,
                actor.name,
                "release",
                "credit_hold",
                hold.id,
                serialize.hold(hold),
                serialize.hold(released),
            )
            uow.commit()
            return serialize.hold(released)

    return run_with_retries(work)


def reject_hold(
    rt: Runtime, actor: Principal, hold_id: str, *, reason: str | None, note: str | None
) -> dict[str, Any]:
    """Reject a held order: it stays rejected (and out of exposure) until it is changed."""

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            hold = _require_hold(uow, actor, hold_id)
            authorize(actor, Permission.WORK_HOLDS, hold.legal_entity)
            _check_reason(uow, hold.legal_entity, reason, ("release", "hold"))
            stored = lock_customer(uow, hold.legal_entity, hold.customer)
            hold = _require_hold(uow, actor, hold_id)
            now = rt.clock.now()
            rejected = hold.reject(reason=reason, note=note, at=now, by=actor.name)
            uow.holds.update(rejected)
            uow.holds.add_history(
                hold.id, now, actor.name, "rejected", {"reason": reason, "note": note}
            )
            order = uow.orders.get(hold.legal_entity, hold.sales_order)
            if order is not None and order.status == "open":
                updated = replace(
                    order, status="rejected", rejected_at=now, version=order.version + 1
                )
                uow.orders.update(updated, now)
                apply_exposure(
                    uow,
                    stored,
                    ExposureDelta(
                        order.amount.currency,
                        open_orders=-order.counted_open.minor,
                        packing_slips=-order.counted_packed.minor,
                    ),
                )
            events.record(
                uow,
                now,
                EventType.HOLD_REJECTED,
                hold.legal_entity,
                hold.id,
                serialize.hold(rejected),
            )
            uow.audit.add(
                now,
                actor.name,
                "reject",
                "credit_hold",
                hold.id,
                serialize.hold(hold),
                serialize.hold(rejected),
            )
            uow.commit()
            return serialize.hold(rejected)

    return run_with_retries(work)
