"""Use cases for risk scoring: scoring groups, risk groups, automatic credit limits, customers'
user-defined values and the periodic task "update risk scores" (reference §3.6–3.9, §8.3).

Update risk scores runs over the customers in chunks, each in its own transaction: one query
for the customers' fields, the statistics aggregates when a scoring group needs them, the
scores computed in the domain, the results written with one ``executemany`` per table. Running
it again recomputes and replaces the same rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from creditdesk.domain.errors import DomainError
from creditdesk.domain.money import Money
from creditdesk.domain.scoring import (
    STATISTICS_MEASURES,
    AutomaticLimit,
    AutomaticLimitLine,
    CustomerFacts,
    Measure,
    Operator,
    RiskGroup,
    RiskScore,
    ScoreLine,
    ScoreType,
    ScoringGroup,
    check_risk_groups,
    number,
    score_customer,
)
from creditdesk.service_layer import audit, statistics
from creditdesk.service_layer.auth import Permission, Principal, authorize
from creditdesk.service_layer.customers import require_customer
from creditdesk.service_layer.errors import NotFoundError
from creditdesk.service_layer.ports import run_with_retries
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity


class ScoringGroupNotFoundError(NotFoundError):
    code = "scoring_group_not_found"


class RiskGroupNotFoundError(NotFoundError):
    code = "risk_group_not_found"


class UnknownRiskGroupError(DomainError):
    code = "unknown_risk_group"


class UnknownScoringGroupError(DomainError):
    code = "unknown_scoring_group"


def scoring_group_body(group: ScoringGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "description": group.description,
        "measure": group.measure.value,
        "score_type": group.score_type.value,
        "lines": [
            {"from": str(line.low), "to": str(line.high), "score": line.score}
            if group.score_type is ScoreType.RANGE
            else {"value": line.value, "score": line.score}
            for line in group.lines
        ],
    }


def risk_group_body(group: RiskGroup) -> dict[str, Any]:
    return {
        "id": group.id,
        "description": group.description,
        "score_from": group.score_from,
        "score_to": group.score_to,
    }


def automatic_limit_body(setup: AutomaticLimit) -> dict[str, Any]:
    return {
        "risk_group": setup.risk_group,
        "currency": setup.revenue_cap.currency.code,
        "revenue_cap": {
            "amount": str(setup.revenue_cap.amount),
            "currency": setup.revenue_cap.currency.code,
        },
        "lines": [
            {
                "scoring_group": line.scoring_group,
                "operator": line.operator.value,
                "value": line.value,
                "limit": {"amount": str(line.limit.amount), "currency": line.limit.currency.code},
            }
            for line in setup.lines
        ],
    }


def put_scoring_group(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    group_id: str,
    *,
    measure: str,
    score_type: str,
    lines: Sequence[dict[str, Any]],
    description: str = "",
) -> dict[str, Any]:
    """Create or replace a scoring group; ``lines`` are ``{"from", "to", "score"}`` (range) or
    ``{"value", "score"}`` (value) with numbers as strings."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    parsed = []
    for line in lines:
        low = line.get("from")
        high = line.get("to")
        low_value = number(low) if isinstance(low, str) else None
        high_value = number(high) if isinstance(high, str) else None
        if (low is not None and low_value is None) or (high is not None and high_value is None):
            raise DomainError("scoring line ranges are decimal numbers written as strings")
        parsed.append(ScoreLine(int(line["score"]), low_value, high_value, line.get("value")))
    group = ScoringGroup.create(
        group_id, Measure(measure), ScoreType(score_type), parsed, description
    )

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            before = next(
                (g for g in uow.scoring.scoring_groups(legal_entity) if g.id == group_id), None
            )
            body = scoring_group_body(group)
            if before != group:
                uow.scoring.put_scoring_group(legal_entity, group)
                uow.audit.add(
                    rt.clock.now(),
                    actor.name,
                    "create" if before is None else "update",
                    "scoring_group",
                    f"{legal_entity}/{group_id}",
                    scoring_group_body(before) if before is not None else None,
                    body,
                )
            uow.commit()
            return body

    return run_with_retries(work)


def list_scoring_groups(rt: Runtime, actor: Principal, legal_entity: str) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return [scoring_group_body(g) for g in uow.scoring.scoring_groups(legal_entity)]


def get_scoring_group(
    rt: Runtime, actor: Principal, legal_entity: str, group_id: str
) -> dict[str, Any]:
    for body in list_scoring_groups(rt, actor, legal_entity):
        if body["id"] == group_id:
            return body
    raise ScoringGroupNotFoundError(f"scoring group {group_id} does not exist in {legal_entity}")


def put_risk_group(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    group_id: str,
    *,
    description: str,
    score_from: int,
    score_to: int,
) -> dict[str, Any]:
    """Create or replace a risk group; its score range may not overlap another (A-18)."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    group = RiskGroup.create(group_id, description, score_from, score_to)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            existing = uow.scoring.risk_groups(legal_entity)
            check_risk_groups(group, existing)
            before = next((g for g in existing if g.id == group_id), None)
            body = risk_group_body(group)
            if before != group:
                uow.scoring.put_risk_group(legal_entity, group)
                uow.audit.add(
                    rt.clock.now(),
                    actor.name,
                    "create" if before is None else "update",
                    "risk_group",
                    f"{legal_entity}/{group_id}",
                    risk_group_body(before) if before is not None else None,
                    body,
                )
            uow.commit()
            return body

    return run_with_retries(work)


def list_risk_groups(rt: Runtime, actor: Principal, legal_entity: str) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return [risk_group_body(g) for g in uow.scoring.risk_groups(legal_entity)]


def put_automatic_limit(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    risk_group: str,
    *,
    revenue_cap: Money,
    lines: Sequence[tuple[str, str, str, Money]],
) -> dict[str, Any]:
    """Automatic credit limits of a risk group in the revenue cap's currency; ``lines`` are
    (scoring group, operator, value, limit)."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    setup = AutomaticLimit.create(
        risk_group,
        revenue_cap,
        (AutomaticLimitLine(g, Operator(op), value, limit) for g, op, value, limit in lines),
    )

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            if all(g.id != risk_group for g in uow.scoring.risk_groups(legal_entity)):
                raise UnknownRiskGroupError(
                    f"risk group {risk_group} does not exist in {legal_entity}"
                )
            known = {g.id for g in uow.scoring.scoring_groups(legal_entity)}
            unknown = sorted({line.scoring_group for line in setup.lines} - known)
            if unknown:
                raise UnknownScoringGroupError(
                    f"scoring groups {', '.join(unknown)} do not exist in {legal_entity}"
                )
            before = next(
                (
                    a
                    for a in uow.scoring.automatic_limits(legal_entity)
                    if a.risk_group == risk_group
                    and a.revenue_cap.currency == setup.revenue_cap.currency
                ),
                None,
            )
            body = automatic_limit_body(setup)
            if before != setup:
                uow.scoring.put_automatic_limit(legal_entity, setup)
                uow.audit.add(
                    rt.clock.now(),
                    actor.name,
                    "create" if before is None else "update",
                    "automatic_credit_limit",
                    f"{legal_entity}/{risk_group}/{setup.revenue_cap.currency.code}",
                    automatic_limit_body(before) if before is not None else None,
                    body,
                )
            uow.commit()
            return body

    return run_with_retries(work)


def list_automatic_limits(rt: Runtime, actor: Principal, legal_entity: str) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return [automatic_limit_body(a) for a in uow.scoring.automatic_limits(legal_entity)]


def put_customer_score_value(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    account: str,
    scoring_group: str,
    value: str | None,
) -> dict[str, Any]:
    """A customer's value for a user-defined scoring group (None removes it)."""
    authorize(actor, Permission.MANAGE_CUSTOMERS, legal_entity)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            stored = require_customer(uow, legal_entity, account)
            if all(g.id != scoring_group for g in uow.scoring.scoring_groups(legal_entity)):
                raise UnknownScoringGroupError(
                    f"scoring group {scoring_group} does not exist in {legal_entity}"
                )
            uow.scoring.put_user_value(stored.id, scoring_group, value)
            body = {"scoring_group": scoring_group, "value": value}
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "set_score_value",
                "customer",
                stored.customer.key,
                None,
                body,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def update_risk_scores(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    *,
    accounts: Sequence[str] | None = None,
    as_of: date | None = None,
    progress: statistics.Progress | None = None,
    chunk_size: int = statistics.CHUNK,
) -> dict[str, Any]:
    """Score every customer of the legal entity (or the listed ones) on ``as_of`` and set
    their risk groups (B65)."""
    authorize(actor, Permission.MANAGE_LIMITS, legal_entity)
    day = as_of or rt.clock.today()
    with rt.uow(read_only=True) as uow:
        entity = require_entity(uow, legal_entity)
        groups = uow.scoring.scoring_groups(legal_entity)
        risk_groups = uow.scoring.risk_groups(legal_entity)
        params = uow.statistics.parameters(legal_entity)
        ids = uow.statistics.customer_ids(legal_entity, accounts)
    needs_statistics = any(g.measure in STATISTICS_MEASURES for g in groups)
    done = 0
    for part in statistics.chunks(ids, chunk_size):

        def work(part: Sequence[int] = part) -> int:
            # read in a read-only transaction, then write briefly (see statistics)
            with rt.uow(read_only=True) as uow:
                stats = (
                    statistics.compute(
                        uow, legal_entity, part, params, day, entity.accounting_currency
                    )
                    if needs_statistics
                    else {}
                )
                scores: list[tuple[int, RiskScore]] = []
                changed: list[tuple[int, str | None]] = []
                for item in uow.scoring.inputs(legal_entity, part):
                    figures = stats.get(item.customer_id)
                    facts = CustomerFacts(
                        as_of=day,
                        business_started_on=item.business_started_on,
                        customer_since=item.customer_since,
                        average_payment_days=figures.average_payment_days if figures else None,
                        days_sales_outstanding=figures.dso1 if figures else None,
                        average_balance=figures.average_balance.amount
                        if figures and figures.average_balance is not None
                        else None,
                        credit_management_group=item.credit_management_group,
                        account_status=item.account_status,
                        country=item.country,
                        user_values=item.user_values,
                    )
                    score = score_customer(groups, risk_groups, facts)
                    scores.append((item.customer_id, score))
                    if score.risk_group != item.risk_group:
                        changed.append((item.customer_id, score.risk_group))
            with rt.uow() as uow:
                uow.scoring.save_scores(legal_entity, day, scores, changed, rt.clock.now())
                uow.commit()
            return len(scores)

        done += run_with_retries(work)
        if progress is not None:
            progress(done, len(ids))
    result = {"legal_entity": legal_entity, "as_of": day.isoformat(), "updated": done}

    audit.record_run(rt, actor, "update_risk_scores", legal_entity, result)
    return result
