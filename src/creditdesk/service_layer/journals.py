"""Use cases for credit limit adjustment journals (reference §6; SPEC A-07, A-19; B59–B64, B66).

A journal gets its number from the legal entity's sequence. Lines target a customer of the
journal's legal entity or a credit group; they are entered by hand or generated from existing
limits or from the automatic credit limits of risk groups. Posting applies every line in one
transaction (group rows locked first, then customer rows, the order every limit writer keeps),
refreshes the customers' credit-limit date and marks the journal posted; a posted journal
never changes again.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from creditdesk.domain.adjustments import (
    DateMethod,
    EmptyJournalError,
    Journal,
    JournalLine,
    JournalType,
    Period,
    RoundingForm,
    Target,
    TemporaryLimit,
    ValueType,
    adjusted_limit,
    check_no_overlap,
    make_line,
    relative_expiry,
    relative_period,
)
from creditdesk.domain.errors import DomainError, ExpirationDateRequiredError
from creditdesk.domain.groups import CreditGroup
from creditdesk.domain.money import Money
from creditdesk.domain.workflows import ItemStatus, WorkflowItem, WorkflowKind
from creditdesk.service_layer import serialize, workflows
from creditdesk.service_layer.auth import (
    Permission,
    Principal,
    authorize,
    authorize_all_entities,
)
from creditdesk.service_layer.customers import require_customer
from creditdesk.service_layer.errors import JournalNotFoundError, RetryableError
from creditdesk.service_layer.groups import require_group
from creditdesk.service_layer.ports import StoredCustomer, UnitOfWork, run_with_retries
from creditdesk.service_layer.rates import RateBook
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity

GENERATE_SOURCES = ("customers", "credit_groups", "automatic")


def journal_number(number: int) -> str:
    return f"CLA{number:06d}"


def line_body(line: JournalLine) -> dict[str, Any]:
    return {
        "line_no": line.line_no,
        "customer": line.target.customer,
        "credit_group": line.target.credit_group,
        "name": line.name,
        "current_limit": serialize.money(line.current_limit),
        "new_limit": serialize.money(line.new_limit),
        "new_expires_on": serialize.plain(line.new_expires_on),
        "from": serialize.plain(line.period.start if line.period else None),
        "to": serialize.plain(line.period.end if line.period else None),
    }


def journal_body(journal: Journal) -> dict[str, Any]:
    return {
        "id": journal.id,
        "legal_entity": journal.legal_entity,
        "type": journal.type.value,
        "description": journal.description,
        "status": "posted" if journal.posted else "draft",
        "posted": journal.posted,
        "posted_on": serialize.plain(journal.posted_on),
        "lines": [line_body(line) for line in journal.lines],
    }


def require_journal(
    uow: UnitOfWork, legal_entity: str, journal_id: str, *, lock: bool = False
) -> Journal:
    journal = uow.journals.get(legal_entity, journal_id, lock=lock)
    if journal is None:
        raise JournalNotFoundError(
            f"credit limit journal {journal_id} does not exist in {legal_entity}",
            journal=journal_id,
        )
    return journal


def create_journal(
    rt: Runtime, actor: Principal, legal_entity: str, type: str, description: str
) -> dict[str, Any]:
    authorize(actor, Permission.PREPARE_JOURNALS, legal_entity)
    kind = JournalType(type)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            number = uow.journals.next_number(legal_entity)
            journal = Journal(legal_entity, journal_number(number), kind, description)
            now = rt.clock.now()
            uow.journals.add(journal, actor.name, now)
            body = journal_body(journal)
            uow.audit.add(
                now,
                actor.name,
                "create",
                "credit_limit_journal",
                f"{legal_entity}/{journal.id}",
                None,
                body,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def get_journal(
    rt: Runtime, actor: Principal, legal_entity: str, journal_id: str
) -> dict[str, Any]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return journal_body(require_journal(uow, legal_entity, journal_id))


def list_journals(
    rt: Runtime, actor: Principal, legal_entity: str, after_id: str | None, limit: int
) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return [journal_body(j) for j in uow.journals.find(legal_entity, after_id, limit)]


@dataclass(frozen=True, slots=True)
class _Resolved:
    target: Target
    name: str
    current: Money | None
    expires_on: date | None
    customer: StoredCustomer | None = None
    group: CreditGroup | None = None


def _resolve(uow: UnitOfWork, legal_entity: str, target: Target) -> _Resolved:
    if target.customer is not None:
        stored = require_customer(uow, legal_entity, target.customer)
        credit = stored.customer.credit
        return _Resolved(
            target, stored.customer.name, credit.limit, credit.limit_expires_on, customer=stored
        )
    group = require_group(uow, target.id)
    return _Resolved(
        target, group.description or group.id, group.limit, group.limit_expires_on, group=group
    )


def _existing_temporary(uow: UnitOfWork, resolved: _Resolved) -> list[TemporaryLimit]:
    if resolved.customer is not None:
        return uow.limit_sources.temporary_limits(customer_id=resolved.customer.id)
    return uow.limit_sources.temporary_limits(group_id=resolved.target.id)


def _check_overlaps(
    uow: UnitOfWork, journal: Journal, new_lines: list[tuple[_Resolved, Period]]
) -> None:
    """New temporary lines may overlap neither a posted temporary limit of their target nor
    another line of the journal (A-07)."""
    if not new_lines:
        return
    replaced = {resolved.target for resolved, _ in new_lines}
    existing: list[TemporaryLimit] = []
    seen: set[Target] = set()
    for resolved, _ in new_lines:
        if resolved.target not in seen:
            seen.add(resolved.target)
            existing.extend(_existing_temporary(uow, resolved))
    for line in journal.lines:
        if line.period is not None and line.target not in replaced:
            existing.append(TemporaryLimit(line.target, line.new_limit, line.period, journal.id))
    check_no_overlap(((r.target, p) for r, p in new_lines), existing)


def _authorize_target(
    actor: Principal, target: Target, permission: Permission = Permission.MANAGE_LIMITS
) -> None:
    if target.credit_group is not None:
        authorize_all_entities(actor, permission)


def add_line(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    journal_id: str,
    *,
    customer: str | None,
    credit_group: str | None,
    new_limit: Money,
    new_expires_on: date | None,
    start: date | None,
    end: date | None,
) -> dict[str, Any]:
    """Add one line by hand (B60: a customer or a group; B61: the dates of the type)."""
    authorize(actor, Permission.PREPARE_JOURNALS, legal_entity)
    target = Target.of(customer, credit_group)
    _authorize_target(actor, target, Permission.PREPARE_JOURNALS)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            journal = require_journal(uow, legal_entity, journal_id, lock=True)
            journal.ensure_open()
            resolved = _resolve(uow, legal_entity, target)
            line = make_line(
                journal.type,
                journal.next_line_no,
                target,
                resolved.name,
                new_limit,
                resolved.current,
                new_expires_on,
                start,
                end,
            )
            if line.period is not None:
                _check_overlaps_keep(uow, journal, resolved, line.period)
            now = rt.clock.now()
            uow.journals.add_lines(legal_entity, journal_id, [line], now)
            body = line_body(line)
            body["journal"] = journal_id
            if journal.type is JournalType.TEMPORARY_CREDIT_LIMIT:
                body["existing_temporary_limits"] = [
                    {
                        "limit": serialize.money(item.amount),
                        "from": item.period.start.isoformat(),
                        "to": item.period.end.isoformat(),
                    }
                    for item in _existing_temporary(uow, resolved)
                    if item.period.end >= rt.clock.today()
                ]
            uow.audit.add(
                now,
                actor.name,
                "add_line",
                "credit_limit_journal",
                f"{legal_entity}/{journal_id}",
                None,
                line_body(line),
            )
            uow.commit()
            return body

    return run_with_retries(work)


def _check_overlaps_keep(
    uow: UnitOfWork, journal: Journal, resolved: _Resolved, period: Period
) -> None:
    """Like ``_check_overlaps`` for one added line, keeping the target's other lines."""
    existing = list(_existing_temporary(uow, resolved))
    existing.extend(
        TemporaryLimit(line.target, line.new_limit, line.period, journal.id)
        for line in journal.lines
        if line.period is not None
    )
    check_no_overlap([(resolved.target, period)], existing)


@dataclass(frozen=True, slots=True)
class GenerateRequest:
    source: str
    value: Decimal | None = None
    value_type: ValueType = ValueType.FIXED
    round_off: Decimal | None = None
    rounding: RoundingForm = RoundingForm.DOWN
    date_method: DateMethod = DateMethod.ABSOLUTE
    new_expires_on: date | None = None
    start: date | None = None
    end: date | None = None
    from_offset_days: int = 0
    to_offset_days: int = 0
    customers: tuple[str, ...] | None = None
    credit_groups: tuple[str, ...] | None = None


def _dates(
    kind: JournalType, request: GenerateRequest, resolved: _Resolved, today: date
) -> tuple[date | None, date | None, date | None]:
    """(new_expires_on, from, to) of a generated line."""
    if request.date_method is DateMethod.RELATIVE:
        if kind is JournalType.CREDIT_LIMIT:
            return relative_expiry(resolved.expires_on, today, request.to_offset_days), None, None
        period = relative_period(today, request.from_offset_days, request.to_offset_days)
        return None, period.start, period.end
    if kind is JournalType.CREDIT_LIMIT:
        if request.new_expires_on is None:
            raise ExpirationDateRequiredError(
                "generating credit limit lines with absolute dates needs new_expires_on"
            )
        return request.new_expires_on, None, None
    return None, request.start, request.end


def _targets(uow: UnitOfWork, legal_entity: str, request: GenerateRequest) -> list[_Resolved]:
    if request.source == "credit_groups":
        ids = list(request.credit_groups) if request.credit_groups is not None else None
        if ids is None:
            ids = uow.journals.group_ids()
        return [_resolve(uow, legal_entity, Target(credit_group=g)) for g in ids]
    accounts = list(request.customers) if request.customers is not None else None
    if accounts is not None:
        return [_resolve(uow, legal_entity, Target(customer=a)) for a in accounts]
    result = []
    for customer_id in uow.statistics.customer_ids(legal_entity, None):
        stored = uow.customers.get_by_id(customer_id)
        if stored is not None:
            credit = stored.customer.credit
            result.append(
                _Resolved(
                    Target(customer=stored.customer.account),
                    stored.customer.name,
                    credit.limit,
                    credit.limit_expires_on,
                    customer=stored,
                )
            )
    return result


def _automatic(
    uow: UnitOfWork, legal_entity: str, request: GenerateRequest, today: date
) -> list[tuple[_Resolved, Money]]:
    """Customers whose risk group has an automatic credit limit they match (B66, A-19)."""
    entity = require_entity(uow, legal_entity)
    setups: dict[str, dict[str, Any]] = {}
    for setup in uow.scoring.automatic_limits(legal_entity):
        setups.setdefault(setup.risk_group, {})[setup.revenue_cap.currency.code] = setup
    if not setups:
        return []
    values = uow.scoring.stored_factor_values(legal_entity)
    book = RateBook(uow.rates, today)
    wanted = set(request.customers) if request.customers is not None else None
    result = []
    for customer_id in uow.statistics.customer_ids(legal_entity, None):
        stored = uow.customers.get_by_id(customer_id)
        if stored is None:
            continue
        customer = stored.customer
        if wanted is not None and customer.account not in wanted:
            continue
        by_currency = setups.get(customer.credit.risk_group or "")
        if not by_currency:
            continue
        preferred = [
            customer.credit.limit.currency.code if customer.credit.limit else None,
            customer.currency.code,
            entity.accounting_currency.code,
            *sorted(by_currency),
        ]
        setup = next(by_currency[code] for code in preferred if code in by_currency)
        revenue = customer.credit.revenue
        if revenue is not None:
            revenue = book.convert(revenue, setup.revenue_cap.currency)
        proposed = setup.propose(values.get(customer_id, {}), revenue)
        if proposed is None:
            continue
        credit = customer.credit
        resolved = _Resolved(
            Target(customer=customer.account),
            customer.name,
            credit.limit,
            credit.limit_expires_on,
            customer=stored,
        )
        result.append((resolved, proposed))
    return result


def generate_lines(
    rt: Runtime, actor: Principal, legal_entity: str, journal_id: str, request: GenerateRequest
) -> dict[str, Any]:
    """Generate lines from existing customers or groups, or from automatic credit limits; a
    target that already has a line gets the new one in its place (safe to run again)."""
    authorize(actor, Permission.PREPARE_JOURNALS, legal_entity)
    if request.source not in GENERATE_SOURCES:
        raise DomainError(f"source must be one of {', '.join(GENERATE_SOURCES)}")
    if request.source == "credit_groups":
        authorize_all_entities(actor, Permission.PREPARE_JOURNALS)
    if request.source != "automatic" and request.value is None:
        raise DomainError("generating from existing limits needs an adjustment value")

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            journal = require_journal(uow, legal_entity, journal_id, lock=True)
            journal.ensure_open()
            today = rt.clock.today()
            proposals: list[tuple[_Resolved, Money]] = []
            if request.source == "automatic":
                proposals = _automatic(uow, legal_entity, request, today)
            else:
                assert request.value is not None
                for resolved in _targets(uow, legal_entity, request):
                    if resolved.current is None:
                        continue  # no limit to adjust
                    round_off = request.round_off or resolved.current.currency.quantum
                    proposals.append(
                        (
                            resolved,
                            adjusted_limit(
                                resolved.current,
                                request.value,
                                request.value_type,
                                round_off,
                                request.rounding,
                            ),
                        )
                    )
            replaced = {resolved.target for resolved, _ in proposals}
            kept = tuple(line for line in journal.lines if line.target not in replaced)
            next_no = journal.next_line_no
            lines = []
            for offset, (resolved, new_limit) in enumerate(proposals):
                expires, start, end = _dates(journal.type, request, resolved, today)
                lines.append(
                    make_line(
                        journal.type,
                        next_no + offset,
                        resolved.target,
                        resolved.name,
                        new_limit,
                        resolved.current,
                        expires,
                        start,
                        end,
                    )
                )
            periods = [
                (resolved, line.period)
                for (resolved, _), line in zip(proposals, lines, strict=True)
                if line.period is not None
            ]
            _check_overlaps(uow, replace(journal, lines=kept), periods)
            now = rt.clock.now()
            uow.journals.delete_lines(
                legal_entity,
                journal_id,
                [line.line_no for line in journal.lines if line.target in replaced],
            )
            uow.journals.add_lines(legal_entity, journal_id, lines, now)
            result = replace(journal, lines=kept + tuple(lines))
            uow.audit.add(
                now,
                actor.name,
                "generate_lines",
                "credit_limit_journal",
                f"{legal_entity}/{journal_id}",
                None,
                {"source": request.source, "lines": len(lines)},
            )
            uow.commit()
            return journal_body(result)

    return run_with_retries(work)


def post_journal(
    rt: Runtime, actor: Principal, legal_entity: str, journal_id: str
) -> dict[str, Any]:
    """Apply every line (B63) and mark the journal posted; a posted journal answers 409
    ``journal_posted``, an active journal workflow without approval 409 ``workflow_required``."""
    authorize(actor, Permission.MANAGE_LIMITS, legal_entity)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            journal = require_journal(uow, legal_entity, journal_id, lock=True)
            journal.ensure_open()
            for line in journal.lines:
                _authorize_target(actor, line.target)
            workflows.require_journal_approval(uow, legal_entity, journal)
            result = post_in(uow, rt, actor.name, legal_entity, journal_id)
            uow.commit()
            return journal_body(result)

    return run_with_retries(work)


def complete_journal_item(uow: UnitOfWork, rt: Runtime, by: str, item: WorkflowItem) -> None:
    """The completion task of an approved journal (or journal line) workflow item: post the
    journal, once every line that needs approval is approved."""
    journal_id = str(item.details["journal"])
    if item.kind == WorkflowKind.CREDIT_LIMIT_JOURNAL_LINE:
        journal = require_journal(uow, item.legal_entity, journal_id)
        for other in journal.lines:
            subject = f"{item.legal_entity}/{journal_id}/{other.line_no}"
            pending = [
                i
                for i in uow.workflows.items_for(item.kind, subject)
                if i.status == ItemStatus.PENDING
            ]
            if pending:
                return
    post_in(uow, rt, by, item.legal_entity, journal_id)


def post_in(uow: UnitOfWork, rt: Runtime, by: str, legal_entity: str, journal_id: str) -> Journal:
    """Post a journal inside the caller's transaction (also the completion task of an approved
    journal workflow); the caller commits."""
    journal = require_journal(uow, legal_entity, journal_id, lock=True)
    journal.ensure_open()
    if not journal.lines:
        raise EmptyJournalError(f"credit limit journal {journal_id} has no lines")
    today = rt.clock.today()
    now = rt.clock.now()
    stored: dict[str, StoredCustomer] = {}
    group_ids: set[str] = set()
    for line in journal.lines:
        if line.target.customer is not None:
            found = require_customer(uow, legal_entity, line.target.customer)
            stored[found.customer.account] = found
            if found.customer.credit_group is not None:
                group_ids.add(found.customer.credit_group)
        else:
            group_ids.add(line.target.id)
    # the lock order of every limit writer: group rows first, then customer rows
    groups = {g: require_group(uow, g, lock=True) for g in sorted(group_ids)}
    for account, found in sorted(stored.items(), key=lambda item: item[1].id):
        locked = uow.customers.get_by_id(found.id, lock=True)
        if locked is None or locked.customer.credit_group != found.customer.credit_group:
            raise RetryableError("a customer's credit group changed meanwhile")
        stored[account] = locked
    if journal.type is JournalType.TEMPORARY_CREDIT_LIMIT:
        new_periods: list[tuple[_Resolved, Period]] = []
        for line in journal.lines:
            assert line.period is not None
            resolved = _Resolved(
                line.target,
                line.name,
                None,
                None,
                customer=stored.get(line.target.customer or ""),
                group=groups.get(line.target.credit_group or ""),
            )
            new_periods.append((resolved, line.period))
        _check_overlaps(uow, replace(journal, lines=()), new_periods)
    for line in journal.lines:
        _apply(uow, by, journal, line, stored, groups, today, now)
    uow.journals.set_posted(legal_entity, journal_id, today, by, now)
    result = replace(journal, posted=True, posted_on=today)
    uow.audit.add(
        now,
        by,
        "post",
        "credit_limit_journal",
        f"{legal_entity}/{journal_id}",
        journal_body(journal),
        journal_body(result),
    )
    return result


def _apply(
    uow: UnitOfWork,
    by: str,
    journal: Journal,
    line: JournalLine,
    stored: dict[str, StoredCustomer],
    groups: dict[str, CreditGroup],
    today: date,
    now: datetime,
) -> None:
    if line.target.customer is not None:
        found = stored[line.target.customer]
        before = found.customer
        if line.period is not None:
            uow.limit_sources.add_temporary(
                journal.legal_entity,
                journal.id,
                line.new_limit,
                line.period,
                now,
                customer_id=found.id,
            )
            credit = replace(before.credit, limit_date=today)
        else:
            credit = replace(
                before.credit,
                limit=line.new_limit,
                limit_expires_on=line.new_expires_on,
                limit_date=today,
            )
        after = replace(before, credit=credit)
        uow.customers.update(found.id, after, now)
        stored[line.target.customer] = replace(found, customer=after)
        audit_before: Any = serialize.customer(before)
        audit_after: Any = {**serialize.customer(after), "journal": journal.id}
        if line.period is not None:
            audit_after["temporary_limit"] = line_body(line)
        uow.audit.add(
            now,
            by,
            "adjust_limit",
            "customer",
            before.key,
            audit_before,
            audit_after,
        )
        return
    group_id = line.target.id
    group = groups[group_id]
    if line.period is not None:
        uow.limit_sources.add_temporary(
            journal.legal_entity, journal.id, line.new_limit, line.period, now, group_id=group_id
        )
        uow.audit.add(
            now,
            by,
            "adjust_limit",
            "credit_group",
            group_id,
            None,
            {"journal": journal.id, "temporary_limit": line_body(line)},
        )
        return
    assert line.new_expires_on is not None
    changed = replace(group, limit=line.new_limit, limit_expires_on=line.new_expires_on)
    uow.groups.update(changed, now)
    groups[group_id] = changed
    uow.audit.add(
        now,
        by,
        "adjust_limit",
        "credit_group",
        group_id,
        serialize.group(group),
        {**serialize.group(changed), "journal": journal.id},
    )
