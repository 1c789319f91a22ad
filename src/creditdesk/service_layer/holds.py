"""Use cases for the hold list: list and read holds, release and reject them."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from typing import Any

from creditdesk.domain.errors import (
    CreditDeskError,
    DomainError,
    OrderClosedError,
    ScopeRequiredError,
    UnknownReasonError,
)
from creditdesk.domain.events import EventType
from creditdesk.domain.exposure import ExposureDelta
from creditdesk.domain.holds import Hold, HoldReason, HoldStatus
from creditdesk.domain.rules import Reason, ReasonCode, applicable, evaluate_rules
from creditdesk.domain.setup import Checkpoint
from creditdesk.domain.workflows import Completion, WorkflowItem
from creditdesk.service_layer import events, serialize, workflows
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.checks import (
    gather,
    grace_until,
    not_checked_reason,
    rules_for,
    scope_facts,
)
from creditdesk.service_layer.customers import apply_exposure, lock_customer, lock_stored
from creditdesk.service_layer.errors import HoldNotFoundError, SalesOrderNotFoundError
from creditdesk.service_layer.ports import (
    HoldFilter,
    LegalEntity,
    SalesOrder,
    StoredCustomer,
    UnitOfWork,
    run_with_retries,
)
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
    checkpoint checks again when the order is posted again (B45). With a release workflow
    active, only an approved submission permits it (409 ``workflow_required``)."""

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            hold = _require_hold(uow, actor, hold_id)
            authorize(actor, Permission.WORK_HOLDS, hold.legal_entity)
            if hold.is_open:
                workflows.require_hold_approval(uow, hold, "release")
            body = apply_release(
                uow,
                rt,
                actor.name,
                hold_id,
                reason=reason,
                review_date=review_date,
                with_posting=with_posting,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def apply_release(
    uow: UnitOfWork,
    rt: Runtime,
    by: str,
    hold_id: str,
    *,
    reason: str | None,
    review_date: date | None,
    with_posting: bool,
) -> dict[str, Any]:
    """The release itself, in the caller's transaction (the caller has authorised it: a
    person with the right, or an approved workflow item)."""
    hold = uow.holds.get(hold_id)
    if hold is None:
        raise HoldNotFoundError(f"credit hold {hold_id} does not exist", hold=hold_id)
    entity = require_entity(uow, hold.legal_entity)
    _check_reason(uow, hold.legal_entity, reason, ("release",))
    lock_customer(uow, hold.legal_entity, hold.customer)
    hold = uow.holds.get(hold_id)
    assert hold is not None
    now = rt.clock.now()
    released = hold.release(
        reason=reason, review_date=review_date, with_posting=with_posting, at=now, by=by
    )
    uow.holds.update(released)
    uow.holds.add_history(
        hold.id,
        now,
        by,
        "released",
        {
            "reason": reason,
            "review_date": serialize.plain(review_date),
            "with_posting": with_posting,
        },
    )
    order = uow.orders.get(hold.legal_entity, hold.sales_order)
    if order is not None:
        _mark_order_released(uow, rt, entity, released, order)
    events.record(
        uow, now, EventType.HOLD_RELEASED, hold.legal_entity, hold.id, serialize.hold(released)
    )
    uow.audit.add(
        now, by, "release", "credit_hold", hold.id, serialize.hold(hold), serialize.hold(released)
    )
    return serialize.hold(released)


def reject_hold(
    rt: Runtime, actor: Principal, hold_id: str, *, reason: str | None, note: str | None
) -> dict[str, Any]:
    """Reject a held order: it stays rejected (and out of exposure) until it is changed."""

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            hold = _require_hold(uow, actor, hold_id)
            authorize(actor, Permission.WORK_HOLDS, hold.legal_entity)
            if hold.is_open:
                workflows.require_hold_approval(uow, hold, "reject")
            body = apply_reject(uow, rt, actor.name, hold_id, reason=reason, note=note)
            uow.commit()
            return body

    return run_with_retries(work)


def complete_release_item(uow: UnitOfWork, rt: Runtime, by: str, item: WorkflowItem) -> None:
    """The completion task of an approved hold release workflow item: reject, or release with
    or without posting as the workflow's completion says."""
    if item.action == "reject":
        apply_reject(
            uow,
            rt,
            by,
            item.subject,
            reason=item.details.get("reason"),
            note=item.details.get("note"),
        )
        return
    review = item.details.get("review_date")
    apply_release(
        uow,
        rt,
        by,
        item.subject,
        reason=item.details.get("reason"),
        review_date=date.fromisoformat(review) if review else None,
        with_posting=item.completion == Completion.RELEASE_WITH_POSTING,
    )


def apply_reject(
    uow: UnitOfWork,
    rt: Runtime,
    by: str,
    hold_id: str,
    *,
    reason: str | None,
    note: str | None,
) -> dict[str, Any]:
    """The rejection itself, in the caller's transaction (see ``apply_release``)."""
    hold = uow.holds.get(hold_id)
    if hold is None:
        raise HoldNotFoundError(f"credit hold {hold_id} does not exist", hold=hold_id)
    _check_reason(uow, hold.legal_entity, reason, ("release", "hold"))
    stored = lock_customer(uow, hold.legal_entity, hold.customer)
    hold = uow.holds.get(hold_id)
    assert hold is not None
    now = rt.clock.now()
    rejected = hold.reject(reason=reason, note=note, at=now, by=by)
    uow.holds.update(rejected)
    uow.holds.add_history(hold.id, now, by, "rejected", {"reason": reason, "note": note})
    order = uow.orders.get(hold.legal_entity, hold.sales_order)
    if order is not None and order.status == "open":
        updated = replace(order, status="rejected", rejected_at=now, version=order.version + 1)
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
        uow, now, EventType.HOLD_REJECTED, hold.legal_entity, hold.id, serialize.hold(rejected)
    )
    uow.audit.add(
        now, by, "reject", "credit_hold", hold.id, serialize.hold(hold), serialize.hold(rejected)
    )
    return serialize.hold(rejected)


def reevaluate_hold(
    uow: UnitOfWork,
    rt: Runtime,
    by: str,
    entity: LegalEntity,
    stored: StoredCustomer,
    hold: Hold,
    order: SalesOrder,
    *,
    release_reason: str | None,
    cause: str,
) -> dict[str, Any]:
    """Re-evaluate one open hold exactly as a new check at its checkpoint would, today, in
    the caller's transaction (the customer is locked): every rule, and the group and the
    individual limit both tested (B50–B53, A-09).

    Reasons that still fire stay valid with today's figures, reasons that no longer fire are
    marked invalid, and reasons that started firing since the hold was placed are added and
    keep it. With no blocking reason left the hold is ready to release and is released with
    ``release_reason`` — unless a forced reason keeps it: forced holds are only ever released
    by a person (B52)."""
    today = rt.clock.today()
    now = rt.clock.now()
    all_rules = rules_for(uow, rt, entity)
    skip = not_checked_reason(uow, entity, stored, order, hold.checkpoint, hold.posting, all_rules)
    firing: tuple[Reason, ...] = ()
    if skip is None:
        rules = applicable(all_rules, scope_facts(stored))
        gathered = gather(
            uow, entity, stored, order, rules, today, hold.checkpoint, every_limit=True
        )
        firing = evaluate_rules(rules, gathered.facts).reasons
    evaluated = hold.evaluate(firing, at=now)
    params = entity.parameters
    released = evaluated.ready_to_release and not evaluated.is_forced
    final = (
        evaluated.release(
            reason=release_reason,
            review_date=None,
            with_posting=params.auto_release_with_posting,
            at=now,
            by=by,
        )
        if released
        else evaluated
    )
    uow.holds.update(final)
    uow.holds.add_history(
        hold.id,
        now,
        by,
        "evaluated",
        {
            "cause": cause,
            "not_checked": skip,
            "ready_to_release": evaluated.ready_to_release,
            "reasons": [
                {
                    "code": r.reason.code.value,
                    "scope": r.reason.scope.value if r.reason.scope else None,
                    "valid": r.valid,
                }
                for r in evaluated.reasons
            ],
        },
    )
    if released:
        uow.holds.add_history(
            hold.id,
            now,
            by,
            "released",
            {
                "reason": release_reason,
                "automatic": True,
                "cause": cause,
                "with_posting": params.auto_release_with_posting,
            },
        )
        _mark_order_released(uow, rt, entity, final, order)
        events.record(
            uow, now, EventType.HOLD_RELEASED, hold.legal_entity, hold.id, serialize.hold(final)
        )
        uow.audit.add(
            now, by, "release", "credit_hold", hold.id, serialize.hold(hold), serialize.hold(final)
        )
    elif evaluated.reasons != hold.reasons or evaluated.ready_to_release:
        events.record(
            uow, now, EventType.HOLD_UPDATED, hold.legal_entity, hold.id, serialize.hold(final)
        )
    return {
        "id": hold.id,
        "legal_entity": hold.legal_entity,
        "sales_order": hold.sales_order,
        "ready_to_release": evaluated.ready_to_release,
        "released": released,
        "reasons": [
            {
                "code": r.reason.code.value,
                "scope": r.reason.scope.value if r.reason.scope else None,
                "valid": r.valid,
            }
            for r in evaluated.reasons
        ],
        "still_blocking": [serialize.reason(r) for r in final.blocking_reasons]
        if not released
        else [],
    }


def _evaluate_one(rt: Runtime, actor: Principal, hold_id: str) -> dict[str, Any] | None:
    """Evaluate one open hold for release in its own transaction (reference §7.5)."""

    def work() -> dict[str, Any] | None:
        with rt.uow() as uow:
            hold = uow.holds.get(hold_id)
            if hold is None or not hold.is_open or not actor.sees(hold.legal_entity):
                return None
            authorize(actor, Permission.WORK_HOLDS, hold.legal_entity)
            entity = require_entity(uow, hold.legal_entity)
            stored = lock_customer(uow, hold.legal_entity, hold.customer)
            hold = uow.holds.get(hold_id)
            order = uow.orders.get(hold.legal_entity, hold.sales_order) if hold else None
            if hold is None or not hold.is_open or order is None:
                return None
            item = reevaluate_hold(
                uow,
                rt,
                actor.name,
                entity,
                stored,
                hold,
                order,
                release_reason=entity.parameters.release_reason_ready,
                cause="evaluate for release",
            )
            uow.commit()
            return item

    return run_with_retries(work)


def evaluate_for_release(
    rt: Runtime,
    actor: Principal,
    *,
    hold_ids: list[str] | None = None,
    legal_entity: str | None = None,
    customer: str | None = None,
) -> list[dict[str, Any]]:
    """Evaluate the selected open holds, or the open holds of one legal entity (optionally of
    one customer); each hold in its own transaction. A scope is required: an action on every
    hold the caller sees, from one click with nothing selected, is refused (422
    ``scope_required``). A hold whose evaluation cannot run (e.g. an exchange rate is
    missing) is reported with the error's code and left as it was."""
    if hold_ids is None and legal_entity is None:
        raise ScopeRequiredError(
            "name the holds (hold_ids) or the legal entity (legal_entity, optionally with "
            "customer) to evaluate"
        )
    if hold_ids is not None and (legal_entity is not None or customer is not None):
        raise DomainError("give either hold_ids or legal_entity/customer, not both")
    if customer is not None and legal_entity is None:
        raise ScopeRequiredError("a customer is named within its legal entity: add legal_entity")
    authorize(actor, Permission.WORK_HOLDS, legal_entity)
    ids: list[str]
    if hold_ids is not None:
        ids = list(dict.fromkeys(hold_ids))
    else:
        ids = open_hold_ids(rt, legal_entity, customer)
    items = []
    for hold_id in ids:
        try:
            item = _evaluate_one(rt, actor, hold_id)
        except CreditDeskError as error:
            items.append(
                {
                    "id": hold_id,
                    "ready_to_release": False,
                    "released": False,
                    "reasons": [],
                    "still_blocking": [],
                    "error": {"code": error.code, "detail": str(error)},
                }
            )
            continue
        if item is not None:
            items.append(item)
        elif hold_ids is not None:
            items.append(
                {
                    "id": hold_id,
                    "ready_to_release": False,
                    "released": False,
                    "reasons": [],
                    "still_blocking": [],
                    "error": {"code": "hold_not_open", "detail": "not an open hold of yours"},
                }
            )
    return items


def open_hold_ids(rt: Runtime, legal_entity: str | None, customer: str | None) -> list[str]:
    """The ids of the open holds of a legal entity (optionally of one customer)."""
    scope = (legal_entity,) if legal_entity is not None else None
    ids: list[str] = []
    with rt.uow(read_only=True) as uow:
        after: str | None = None
        while True:
            page = uow.worklist.open_hold_ids(scope, customer, after, 1000)
            ids.extend(page)
            if len(page) < 1000:
                break
            after = page[-1]
    return ids


def count_open_holds(
    rt: Runtime, actor: Principal, legal_entity: str, customer: str | None = None
) -> int:
    """How many open holds evaluate-for-release of this scope would act on (the web asks
    for confirmation naming the number)."""
    authorize(actor, Permission.WORK_HOLDS, legal_entity)
    return len(open_hold_ids(rt, legal_entity, customer))


def _forced_reason(uow: UnitOfWork, legal_entity: str, reason: str) -> Reason:
    found = uow.setup.reason(legal_entity, reason)
    if found is None or found[0] != "hold":
        raise UnknownReasonError(
            f"{reason} is not a hold reason of legal entity {legal_entity}", reason=reason
        )
    return Reason(
        ReasonCode.FORCED,
        f"forced credit hold: {found[1]}",
        details={"reason": reason},
    )


def _force(
    uow: UnitOfWork,
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    order_id: str,
    reason: Reason,
    checkpoint: Checkpoint,
) -> tuple[Hold, bool]:
    order = uow.orders.get(legal_entity, order_id)
    if order is None:
        raise SalesOrderNotFoundError(
            f"sales order {order_id} does not exist in {legal_entity}", sales_order=order_id
        )
    if order.status != "open":
        raise OrderClosedError(
            f"sales order {order_id} is {order.status}; only open orders can be held",
            sales_order=order_id,
        )
    found = uow.customers.get_by_id(order.customer_id)
    assert found is not None
    lock_stored(uow, found)
    now = rt.clock.now()
    existing = uow.holds.open_for_order(legal_entity, order_id)
    if existing is not None:
        if existing.is_forced:
            return existing, False
        forced = existing.force(reason)
        uow.holds.update(forced)
        uow.holds.add_history(
            forced.id, now, actor.name, "forced", {"reason": reason.details["reason"]}
        )
        events.record(
            uow, now, EventType.HOLD_UPDATED, legal_entity, forced.id, serialize.hold(forced)
        )
        return forced, False
    hold = Hold(
        id=rt.new_id("hold"),
        legal_entity=legal_entity,
        sales_order=order_id,
        customer=found.customer.account,
        checkpoint=checkpoint,
        posting=True,
        check_id=None,
        reasons=(HoldReason(reason),),
        created_at=now,
    )
    uow.holds.add(hold)
    uow.holds.add_history(
        hold.id, now, actor.name, "placed", {"forced": True, "reason": reason.details["reason"]}
    )
    events.record(uow, now, EventType.HOLD_PLACED, legal_entity, hold.id, serialize.hold(hold))
    return hold, True


def force_hold(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    order_id: str,
    reason: str,
    checkpoint: Checkpoint = Checkpoint.CONFIRMATION,
) -> tuple[dict[str, Any], bool]:
    """Put an order on the hold list with a forced reason (type hold) even though no rule
    fires (reference §7.8). An order already on hold gets the forced reason added. Forced
    holds are never released automatically."""
    authorize(actor, Permission.WORK_HOLDS, legal_entity)

    def work() -> tuple[dict[str, Any], bool]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            forced = _forced_reason(uow, legal_entity, reason)
            hold, created = _force(uow, rt, actor, legal_entity, order_id, forced, checkpoint)
            uow.commit()
            return serialize.hold(hold), created

    return run_with_retries(work)


def force_holds(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    reason: str,
    *,
    customers: list[str] | None = None,
    sales_orders: list[str] | None = None,
) -> list[dict[str, Any]]:
    """The periodic "force credit hold": every open order of the legal entity matching the
    filters (customer accounts, order ids; none = all) goes on hold with the reason (B54)."""
    authorize(actor, Permission.WORK_HOLDS, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        _forced_reason(uow, legal_entity, reason)
        targets: list[str] = []
        after: str | None = None
        while True:
            page = uow.worklist.open_orders(
                legal_entity,
                tuple(customers) if customers is not None else None,
                tuple(sales_orders) if sales_orders is not None else None,
                after,
                1000,
            )
            targets.extend(order_id for order_id, _ in page)
            if len(page) < 1000:
                break
            after = page[-1][0]
    results = []
    for order_id in targets:
        body, created = force_hold(rt, actor, legal_entity, order_id, reason)
        results.append(body | {"created": created})
    return results


def _mark_order_released(
    uow: UnitOfWork, rt: Runtime, entity: LegalEntity, hold: Hold, order: SalesOrder
) -> None:
    today = rt.clock.today()
    uow.orders.update(
        replace(
            order,
            released_at=today,
            released_amount=order.amount,
            released_checkpoint=hold.checkpoint.value,
            released_with_posting=hold.with_posting,
            grace_until=grace_until(entity, hold.checkpoint, today),
            version=order.version + 1,
        ),
        rt.clock.now(),
    )
