"""The credit check at a checkpoint (API "Credit check"; reference §2.2, §3.11, §5, §7).

One transaction: lock the credit group row, then the customer row; read the running
exposure; decide; store the decision (and the hold, if any). A check reads a bounded number of
rows whatever the customer's history: exposure totals, at most one group's totals, the
overdue invoices of the customer (only when an overdue rule is set up), the rule set
(cached per legal entity) and the rates in force.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from creditdesk.domain.decisions import CreditDecision, LimitResult, Outcome
from creditdesk.domain.errors import OrderClosedError, OrderRejectedError
from creditdesk.domain.events import EventType
from creditdesk.domain.exposure import ExposureBucket, exposure_in
from creditdesk.domain.holds import Hold, HoldReason, HoldStatus
from creditdesk.domain.limits import (
    GroupFigures,
    LimitLine,
    failing_lines,
    limit_lines,
)
from creditdesk.domain.money import Currency, Money
from creditdesk.domain.rules import (
    BlockingRule,
    CheckFacts,
    RuleOutcome,
    RuleType,
    ValueType,
    account_status_holds,
    applicable,
    evaluate_rules,
    has_blocking_rule,
)
from creditdesk.domain.setup import Checkpoint
from creditdesk.service_layer import events, limit_sources, serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.customers import lock_stored
from creditdesk.service_layer.errors import CreditCheckNotFoundError, SalesOrderNotFoundError
from creditdesk.service_layer.ports import (
    LegalEntity,
    SalesOrder,
    StoredCustomer,
    UnitOfWork,
    run_with_retries,
)
from creditdesk.service_layer.rates import RateBook
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity


def _needs_overdue_amount(rules: list[BlockingRule]) -> bool:
    """The overdue amount is a fact only for overdue-amount rules and for days-overdue
    exclusions measured as an amount; the days-overdue rules need the oldest due date."""
    return any(
        rule.rule == RuleType.OVERDUE_AMOUNT
        or (rule.rule == RuleType.DAYS_OVERDUE and rule.value_type == ValueType.AMOUNT)
        for rule in rules
    )


@dataclass(frozen=True, slots=True)
class CheckRequest:
    legal_entity: str
    sales_order: str
    checkpoint: Checkpoint
    posting: bool = True
    as_of: date | None = None


def rules_for(uow: UnitOfWork, rt: Runtime, entity: LegalEntity) -> tuple[BlockingRule, ...]:
    cached = rt.rules.get(entity.id, entity.setup_version)
    if cached is not None:
        return cached
    rules = tuple(uow.setup.rules(entity.id))
    rt.rules.put(entity.id, entity.setup_version, rules)
    return rules


def without_order(buckets: list[ExposureBucket], order: SalesOrder) -> list[ExposureBucket]:
    """The buckets as they would be without this order's open amount (``exposure_before``)."""
    open_minor = order.counted_open.minor
    if not open_minor:
        return buckets
    result = []
    for bucket in buckets:
        if bucket.currency == order.amount.currency:
            bucket = replace(bucket, open_orders=bucket.open_orders - open_minor)
        result.append(bucket)
    return result


@dataclass
class Gathered:
    lines: tuple[LimitLine, ...]
    facts: CheckFacts
    rates: RateBook


def gather(
    uow: UnitOfWork,
    entity: LegalEntity,
    stored: StoredCustomer,
    order: SalesOrder,
    rules: list[BlockingRule],
    as_of: date,
    checkpoint: Checkpoint,
    *,
    every_limit: bool = False,
) -> Gathered:
    """The facts the rules look at. ``every_limit`` tests the individual limit even when the
    group limit fails (evaluate for release must see every reason that still blocks)."""
    params = entity.parameters
    customer = stored.customer
    credit = customer.credit
    book = RateBook(uow.rates, as_of)
    acc = entity.accounting_currency

    limit = limit_sources.total_limit_on(uow, stored, as_of, book)
    limit_cur: Currency = limit.currency if limit is not None else customer.currency
    buckets = uow.customers.exposure(stored.id, params.credit_limit_type)
    before = exposure_in(without_order(buckets, order), limit_cur, book.convert)
    order_in_limit = book.convert(order.amount, limit_cur)

    group_figures: GroupFigures | None = None
    group = None
    if customer.credit_group is not None and params.check_group_limits:
        group = limit_sources.group_on(uow, uow.groups.get(customer.credit_group), as_of)
    if group is not None and not credit.unlimited_limit:
        group_buckets: list[ExposureBucket] = []
        for le, bucket in uow.groups.exposure(group.id):
            if le == order.legal_entity:
                bucket = without_order([bucket], order)[0]
            group_buckets.append(bucket)
        group_cur = group.limit.currency
        group_figures = GroupFigures(
            group.id,
            group.limit,
            group.limit_expires_on,
            exposure_in(group_buckets, group_cur, book.convert).total,
            book.convert(order.amount, group_cur),
        )

    lines = limit_lines(
        unlimited=credit.unlimited_limit,
        mandatory=credit.mandatory_limit,
        individual_limit=limit,
        individual_exposure_before=before.total,
        individual_order=order_in_limit,
        group=group_figures,
    )

    types = {rule.rule for rule in rules}
    overdue = Money.zero(acc)
    oldest_days: int | None = None
    oldest_due: date | None = None
    if _needs_overdue_amount(rules):
        amounts, oldest_due = uow.documents.overdue(stored.id, as_of)
        for amount in amounts:
            overdue = overdue + book.convert(amount, acc)
    elif RuleType.DAYS_OVERDUE in types:
        # only the age of the oldest open item counts: one index entry, not a sum over all
        oldest_due = uow.documents.oldest_overdue(stored.id, as_of)
    if oldest_due is not None:
        oldest_days = (as_of - oldest_due).days
    exposure_after: Money | None = None
    if RuleType.OVERDUE_AMOUNT in types:
        exposure_after = book.convert(before.total, acc) + book.convert(order.amount, acc)
    order_acc = (
        book.convert(order.amount, acc) if RuleType.SALES_ORDER_AMOUNT in types else Money.zero(acc)
    )
    pt_ranks: dict[str, int] = {}
    sd_ranks: dict[str, int] = {}
    if params.check_payment_terms_increase:
        pt_ranks = uow.setup.ranks(entity.id, "payment_terms")
    if params.check_settlement_discount_increase:
        sd_ranks = uow.setup.ranks(entity.id, "settlement_discount")

    facts = CheckFacts(
        as_of=as_of,
        account=customer.account,
        credit_management_group=credit.credit_management_group,
        risk_group=credit.risk_group,
        account_status=credit.account_status,
        order_payment_terms=order.payment_terms,
        order_settlement_discount=order.settlement_discount,
        customer_payment_terms=customer.payment_terms,
        customer_settlement_discount=customer.settlement_discount,
        order_amount=order_acc,
        overdue_amount=overdue,
        oldest_overdue_days=oldest_days,
        exposure_after=exposure_after,
        unlimited=credit.unlimited_limit,
        limit_lines=lines,
        limit_expires_on=credit.limit_expires_on,
        group_id=group.id if group is not None else None,
        group_limit_expires_on=group.limit_expires_on if group is not None else None,
        ignore_blank_expiry=params.ignore_blank_expiry,
        check_credit_limit_used=params.check_credit_limit_on_sales_order,
        check_payment_terms_increase=params.check_payment_terms_increase,
        check_settlement_discount_increase=params.check_settlement_discount_increase,
        payment_terms_ranks=pt_ranks,
        settlement_discount_ranks=sd_ranks,
        account_status_holds=account_status_hold(uow, entity, stored, checkpoint),
        every_limit=every_limit,
    )
    return Gathered(lines, facts, book)


def account_status_hold(
    uow: UnitOfWork, entity: LegalEntity, stored: StoredCustomer, checkpoint: Checkpoint
) -> bool:
    """Whether the customer's account status holds its orders at this checkpoint by its own
    hold setting (SPEC §3.5); read only for a customer that has a status."""
    status = stored.customer.credit.account_status
    if status is None:
        return False
    found = uow.setup.account_status(entity.id, status)
    return found is not None and account_status_holds(found[1], checkpoint.value)


def _limit_results(lines: tuple[LimitLine, ...], threshold: Decimal) -> tuple[LimitResult, ...]:
    failed = failing_lines(lines, threshold)
    results = []
    checked = True
    for line in lines:
        results.append(LimitResult(line, threshold, checked))
        if failed and line is failed[0]:
            checked = False  # the individual limit is not tested once the group limit fails
    return tuple(results)


def not_checked_reason(
    uow: UnitOfWork,
    entity: LegalEntity,
    stored: StoredCustomer,
    order: SalesOrder,
    checkpoint: Checkpoint,
    posting: bool,
    rules: tuple[BlockingRule, ...],
) -> str | None:
    """Why no rule runs for this order at this checkpoint, whatever its release history
    (credit management off, checkpoint off, exclusions, intercompany, no rule); None when the
    rules run. Evaluate for release asks the same question a new check would."""
    params = entity.parameters
    if not params.credit_management:
        return f"credit management is off in {entity.id}"
    row = params.checkpoint(checkpoint)
    if not row.enabled_for(posting=posting):
        kind = "posting" if posting else "pro forma"
        return f"checkpoint {checkpoint.value} is not enabled for {kind} in {entity.id}"
    if stored.customer.credit.exclude:
        return f"customer {stored.customer.key} is excluded from credit management"
    if order.exclude:
        return f"sales order {order.id} is excluded from credit management"
    if order.intercompany and params.exclude_intercompany_orders:
        return f"sales order {order.id} is an intercompany order, excluded in {entity.id}"
    if not has_blocking_rule(rules) and not account_status_hold(uow, entity, stored, checkpoint):
        return f"no blocking rule is set up in {entity.id}"
    return None


def _skip_reason(
    uow: UnitOfWork,
    entity: LegalEntity,
    stored: StoredCustomer,
    order: SalesOrder,
    request: CheckRequest,
    as_of: date,
    rules: tuple[BlockingRule, ...],
) -> str | None:
    """Why the rules do not run for this posting, or None when they do."""
    params = entity.parameters
    skip = not_checked_reason(
        uow, entity, stored, order, request.checkpoint, request.posting, rules
    )
    if skip is not None:
        return skip
    if order.released_at is not None:
        if order.grace_until is not None and as_of <= order.grace_until:
            return (
                f"the order was released on {order.released_at} and is inside its grace days "
                f"until {order.grace_until}"
            )
        again_at_same_step = (
            not order.released_with_posting
            and order.released_checkpoint == request.checkpoint.value
        )
        if not again_at_same_step:
            if params.skip_rules_after_release:
                return (
                    f"the order was released on {order.released_at} and the rules are skipped "
                    "for released orders"
                )
            released = order.released_amount
            if released is not None and order.amount <= released:
                return (
                    f"the order was released on {order.released_at} and its amount has not "
                    f"increased since ({released})"
                )
    return None


def _explain_limits(results: tuple[LimitResult, ...]) -> list[str]:
    text = []
    for result in results:
        line = result.line
        who = "Credit group limit" if line.scope.value == "group" else "Individual limit"
        if line.mandatory_zero:
            who = "Mandatory individual limit"
        share = "" if result.threshold_percent == 100 else f" ({result.threshold_percent} %)"
        if not result.checked:
            text.append(f"{who} {line.limit}: not tested, the group limit already failed.")
            continue
        verdict = "within" if result.ok else "over"
        text.append(
            f"{who} {line.limit}{share}: exposure {line.exposure_before} + order {line.order} "
            f"= {line.exposure_after}, {verdict} the limit."
        )
    return text


def _explain(
    request: CheckRequest,
    stored: StoredCustomer,
    order: SalesOrder,
    as_of: date,
    outcome: Outcome,
    skip: str | None,
    gathered: Gathered | None,
    rule_outcome: RuleOutcome | None,
    results: tuple[LimitResult, ...],
    hold_note: str | None,
) -> str:
    kind = "posting" if request.posting else "pro forma"
    parts = [
        f"Sales order {order.id} of customer {stored.customer.key} ({stored.customer.name}), "
        f"checkpoint {request.checkpoint.value} ({kind}) on {as_of}: order amount {order.amount}."
    ]
    if skip is not None:
        parts.append(f"Not checked: {skip}.")
    if gathered is not None:
        for rate in gathered.rates.used.values():
            how = " (inverse of the reverse rate)" if rate.inverse else ""
            parts.append(
                f"Rate {rate.from_currency}→{rate.to_currency} {rate.rate}, valid from "
                f"{rate.valid_from}{how}."
            )
        if not gathered.lines and stored.customer.credit.unlimited_limit:
            parts.append("The customer has an unlimited credit limit: no credit-limit test.")
        elif not gathered.lines:
            parts.append("No credit limit applies (no individual limit above 0.00 and no group).")
        parts.extend(_explain_limits(results))
    if rule_outcome is not None:
        parts.extend(f"{line[0].upper()}{line[1:]}." for line in rule_outcome.trace)
    if hold_note is not None:
        parts.append(hold_note)
    verdict = {
        Outcome.PASSED: "Decision: passed.",
        Outcome.ON_HOLD: "Decision: on hold — the order is sent to credit management.",
        Outcome.NOT_CHECKED: "Decision: not checked.",
    }[outcome]
    parts.append(verdict)
    return " ".join(parts)


def run_credit_check(rt: Runtime, actor: Principal, request: CheckRequest) -> dict[str, Any]:
    """Check an order at a checkpoint; store and return the decision (a plain dict)."""
    observer = rt.check_observer
    if observer is None:
        return _run_credit_check(rt, actor, request)
    started = time.perf_counter()
    body = _run_credit_check(rt, actor, request)
    observer(str(body["decision"]), time.perf_counter() - started)
    return body


def _run_credit_check(rt: Runtime, actor: Principal, request: CheckRequest) -> dict[str, Any]:
    authorize(actor, Permission.CHECK, request.legal_entity)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            entity = require_entity(uow, request.legal_entity)
            order = uow.orders.get(request.legal_entity, request.sales_order)
            if order is None:
                raise SalesOrderNotFoundError(
                    f"sales order {request.sales_order} does not exist in {request.legal_entity}",
                    sales_order=request.sales_order,
                )
            found = uow.customers.get_by_id(order.customer_id)
            assert found is not None
            stored = lock_stored(uow, found)
            order = uow.orders.get(request.legal_entity, request.sales_order)  # under the lock
            assert order is not None
            if order.status == "rejected":
                raise OrderRejectedError(
                    f"sales order {order.id} was rejected by credit management; change the "
                    "order before checking it again",
                    sales_order=order.id,
                )
            if order.status == "cancelled":
                raise OrderClosedError(f"sales order {order.id} is cancelled", sales_order=order.id)
            as_of = request.as_of or rt.clock.today()
            now = rt.clock.now()
            check_id = rt.new_id("chk")
            all_rules = rules_for(uow, rt, entity)
            open_hold = uow.holds.open_for_order(entity.id, order.id)

            skip = (
                None
                if open_hold is not None
                else _skip_reason(uow, entity, stored, order, request, as_of, all_rules)
            )
            gathered: Gathered | None = None
            rule_outcome: RuleOutcome | None = None
            results: tuple[LimitResult, ...] = ()
            hold_note: str | None = None
            hold: Hold | None = None
            reasons: tuple[Any, ...] = ()
            if skip is not None:
                outcome = Outcome.NOT_CHECKED
            elif open_hold is not None:
                outcome = Outcome.ON_HOLD
                hold = open_hold
                reasons = tuple(r.reason for r in open_hold.reasons)
                hold_note = (
                    f"The order is already on hold ({open_hold.id}, since "
                    f"{open_hold.created_at.date()}); it stays there until the credit team "
                    "releases or rejects it."
                )
            else:
                rules = applicable(all_rules, scope_facts(stored))
                gathered = gather(uow, entity, stored, order, rules, as_of, request.checkpoint)
                rule_outcome = evaluate_rules(rules, gathered.facts)
                results = _limit_results(gathered.lines, rule_outcome.threshold_percent)
                reasons = rule_outcome.reasons
                if reasons:
                    outcome = Outcome.ON_HOLD
                    hold = Hold(
                        id=rt.new_id("hold"),
                        legal_entity=entity.id,
                        sales_order=order.id,
                        customer=stored.customer.account,
                        checkpoint=request.checkpoint,
                        posting=request.posting,
                        check_id=check_id,
                        reasons=tuple(HoldReason(r) for r in reasons),
                        created_at=now,
                    )
                    uow.holds.add(hold)
                    uow.holds.add_history(
                        hold.id,
                        now,
                        actor.name,
                        "placed",
                        {"check_id": check_id, "reasons": [r.code.value for r in reasons]},
                    )
                    events.record(
                        uow, now, EventType.HOLD_PLACED, entity.id, hold.id, serialize.hold(hold)
                    )
                    hold_note = "Order has been sent to credit management."
                else:
                    outcome = Outcome.PASSED
            decision = CreditDecision(
                id=check_id,
                legal_entity=entity.id,
                sales_order=order.id,
                customer=stored.customer.account,
                checkpoint=request.checkpoint,
                posting=request.posting,
                as_of=as_of,
                outcome=outcome,
                reasons=reasons,
                limits=results,
                rates=tuple(gathered.rates.used.values()) if gathered is not None else (),
                explanation=_explain(
                    request,
                    stored,
                    order,
                    as_of,
                    outcome,
                    skip,
                    gathered,
                    rule_outcome,
                    results,
                    hold_note,
                ),
                checked_at=now,
                hold_id=hold.id if hold is not None else None,
                hold_status=HoldStatus.ON_HOLD.value if hold is not None else None,
            )
            body = serialize.decision(decision)
            uow.decisions.add(
                check_id,
                entity.id,
                order.id,
                stored.customer.account,
                request.checkpoint.value,
                request.posting,
                as_of,
                outcome.value,
                decision.hold_id,
                body,
                now,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def scope_facts(stored: StoredCustomer) -> CheckFacts:
    """Just enough facts to pick the rules that apply to the customer."""
    credit = stored.customer.credit
    zero = Money.zero(stored.customer.currency)
    return CheckFacts(
        as_of=date.min,
        account=stored.customer.account,
        credit_management_group=credit.credit_management_group,
        risk_group=credit.risk_group,
        account_status=None,
        order_payment_terms=None,
        order_settlement_discount=None,
        customer_payment_terms=None,
        customer_settlement_discount=None,
        order_amount=zero,
        overdue_amount=zero,
        oldest_overdue_days=None,
        exposure_after=None,
        unlimited=False,
        limit_lines=(),
        limit_expires_on=None,
    )


def get_credit_check(rt: Runtime, actor: Principal, check_id: str) -> dict[str, Any]:
    authorize(actor, Permission.READ)
    with rt.uow(read_only=True) as uow:
        body = uow.decisions.get(check_id)
        if body is None or not actor.sees(body["legal_entity"]):
            raise CreditCheckNotFoundError(f"credit check {check_id} does not exist")
        return body


def grace_until(entity: LegalEntity, checkpoint: Checkpoint, released_on: date) -> date | None:
    """The last day of the grace window after a release at ``checkpoint`` (A-28)."""
    days = entity.parameters.checkpoint(checkpoint).grace_days
    return released_on + timedelta(days=days) if days else None
