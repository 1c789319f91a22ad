"""Use cases for the credit setup: legal entities, credit parameters, exchange rates,
reasons, account statuses, rankings and blocking/exclusion rules."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from creditdesk.domain.errors import (
    ConflictError,
    DomainError,
    InvalidCheckpointSetupError,
    InvalidNameError,
    InvalidRateError,
    UnknownAccountStatusError,
    UnknownCreditManagementGroupError,
)
from creditdesk.domain.identifiers import LEGAL_ENTITY_ID_LENGTH, check_id
from creditdesk.domain.money import currency
from creditdesk.domain.rules import (
    AccountStatusHold,
    BlockingRule,
    RuleKind,
    RuleType,
    ValidFor,
    ValueType,
    default_rules,
    make_rule,
)
from creditdesk.domain.setup import (
    Checkpoint,
    CheckpointSetup,
    CreditLimitType,
    CreditParameters,
    validate_checkpoints,
)
from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import (
    Permission,
    Principal,
    authorize,
    authorize_all_entities,
)
from creditdesk.service_layer.errors import (
    LegalEntityNotFoundError,
    NotFoundError,
    RuleNotFoundError,
)
from creditdesk.service_layer.ports import LegalEntity, UnitOfWork, run_with_retries
from creditdesk.service_layer.runtime import Runtime

DEFAULT_RELEASE_REASONS = (
    ("AUTO", "release", "Released automatically: no blocking reason applies any more"),
    ("CANCELED", "release", "The sales order was cancelled"),
    ("MODIFIED", "release", "Released after the order was modified"),
)


def require_entity(uow: UnitOfWork, legal_entity: str) -> LegalEntity:
    entity = uow.legal_entities.get(legal_entity)
    if entity is None:
        raise LegalEntityNotFoundError(
            f"legal entity {legal_entity} does not exist", legal_entity=legal_entity
        )
    return entity


def entity_body(entity: LegalEntity) -> dict[str, Any]:
    return {
        "id": entity.id,
        "name": entity.name,
        "accounting_currency": entity.accounting_currency.code,
        "credit_parameters": serialize.parameters(entity.parameters),
    }


def put_legal_entity(
    rt: Runtime, actor: Principal, legal_entity: str, name: str, accounting_currency: str
) -> tuple[dict[str, Any], bool]:
    """Create a legal entity with the default credit setup, or rename it. Returns the body and
    whether it was created."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    check_id(legal_entity, "the legal entity id", LEGAL_ENTITY_ID_LENGTH)
    if not name.strip():
        raise InvalidNameError("a legal entity needs a name that is not blank")
    cur = currency(accounting_currency)

    def work() -> tuple[dict[str, Any], bool]:
        with rt.uow() as uow:
            now = rt.clock.now()
            existing = uow.legal_entities.get(legal_entity)
            if existing is not None:
                if existing.accounting_currency != cur:
                    raise DomainError(
                        "the accounting currency of a legal entity cannot change",
                        legal_entity=legal_entity,
                    )
                updated = replace(existing, name=name)
                uow.legal_entities.update(updated, now)
                uow.audit.add(
                    now,
                    actor.name,
                    "update",
                    "legal_entity",
                    legal_entity,
                    {"name": existing.name},
                    {"name": name},
                )
                uow.commit()
                return entity_body(updated), False
            entity = LegalEntity(
                legal_entity,
                name,
                cur,
                CreditParameters(
                    release_reason_ready="AUTO",
                    release_reason_cancel="CANCELED",
                    release_reason_modified="MODIFIED",
                ),
            )
            uow.legal_entities.add(entity, now)
            for rule in default_rules(rt.new_id("rule")):
                uow.setup.add_rule(legal_entity, rule, now)
            for reason_id, kind, description in DEFAULT_RELEASE_REASONS:
                uow.setup.put_reason(legal_entity, reason_id, kind, description)
            uow.audit.add(
                now, actor.name, "create", "legal_entity", legal_entity, None, entity_body(entity)
            )
            uow.commit()
            return entity_body(entity), True

    return run_with_retries(work)


def get_legal_entity(rt: Runtime, actor: Principal, legal_entity: str) -> dict[str, Any]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        return entity_body(require_entity(uow, legal_entity))


def list_legal_entities(rt: Runtime, actor: Principal) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ)
    with rt.uow(read_only=True) as uow:
        result = []
        for le in uow.legal_entities.all_ids():
            if actor.sees(le):
                entity = uow.legal_entities.get(le)
                if entity is not None:
                    result.append(entity_body(entity))
        return result


@dataclass(frozen=True, slots=True)
class CheckpointInput:
    checkpoint: str
    posting: bool = False
    pro_forma: bool = False
    grace_days: int | None = None


_BOOL_PARAMETERS = (
    "credit_management",
    "check_group_limits",
    "allow_manual_limit_edit",
    "check_credit_limit_on_sales_order",
    "check_payment_terms_increase",
    "check_settlement_discount_increase",
    "skip_rules_after_release",
    "ignore_blank_expiry",
    "auto_release_with_posting",
    "exclude_intercompany_orders",
)
_REASON_PARAMETERS = ("release_reason_ready", "release_reason_cancel", "release_reason_modified")


def update_credit_parameters(
    rt: Runtime, actor: Principal, legal_entity: str, changes: dict[str, Any]
) -> dict[str, Any]:
    """Apply the given parameter changes (absent keys stay as they are)."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            params = entity.parameters
            fields: dict[str, Any] = {}
            for name in _BOOL_PARAMETERS:
                if name in changes and changes[name] is not None:
                    fields[name] = bool(changes[name])
            if changes.get("credit_limit_type") is not None:
                try:
                    fields["credit_limit_type"] = CreditLimitType(changes["credit_limit_type"])
                except ValueError:
                    raise DomainError(
                        f"unknown credit limit type {changes['credit_limit_type']!r}"
                    ) from None
            for name in _REASON_PARAMETERS:
                if name in changes:
                    value = changes[name]
                    if value is not None:
                        found = uow.setup.reason(legal_entity, value)
                        if found is None or found[0] != "release":
                            from creditdesk.domain.errors import UnknownReasonError

                            raise UnknownReasonError(
                                f"{value} is not a release reason of {legal_entity}",
                                reason=value,
                            )
                    fields[name] = value
            if changes.get("checkpoints") is not None:
                rows = []
                for row in changes["checkpoints"]:
                    try:
                        checkpoint = Checkpoint(row.checkpoint)
                    except ValueError:
                        raise DomainError(f"unknown checkpoint {row.checkpoint!r}") from None
                    rows.append(
                        CheckpointSetup(checkpoint, row.posting, row.pro_forma, row.grace_days)
                    )
                listed = [r.checkpoint for r in rows]
                twice = sorted({cp.value for cp in listed if listed.count(cp) > 1})
                if twice:
                    raise InvalidCheckpointSetupError(
                        f"checkpoint {', '.join(twice)} is listed twice", checkpoint=twice[0]
                    )
                merged = {r.checkpoint: r for r in params.checkpoints}
                merged.update({r.checkpoint: r for r in rows})
                fields["checkpoints"] = validate_checkpoints(tuple(merged.values()))
            new_params = replace(params, **fields)
            updated = replace(entity, parameters=new_params, setup_version=entity.setup_version + 1)
            now = rt.clock.now()
            uow.legal_entities.update(updated, now)
            uow.audit.add(
                now,
                actor.name,
                "update",
                "credit_parameters",
                legal_entity,
                serialize.parameters(params),
                serialize.parameters(new_params),
            )
            uow.commit()
            return serialize.parameters(new_params)

    return run_with_retries(work)


def get_credit_parameters(rt: Runtime, actor: Principal, legal_entity: str) -> dict[str, Any]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        return serialize.parameters(require_entity(uow, legal_entity).parameters)


def put_exchange_rate(
    rt: Runtime,
    actor: Principal,
    from_currency: str,
    to_currency: str,
    rate: Decimal,
    valid_from: date,
) -> dict[str, Any]:
    authorize_all_entities(actor, Permission.MANAGE_RATES)
    source, target = currency(from_currency), currency(to_currency)
    if source == target:
        raise InvalidRateError("an exchange rate needs two different currencies")
    if not rate.is_finite() or rate <= 0:
        raise InvalidRateError("an exchange rate must be a positive number", rate=str(rate))
    exponent = rate.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -12:
        raise InvalidRateError("an exchange rate may have at most 12 decimals", rate=str(rate))
    body = {
        "from_currency": source.code,
        "to_currency": target.code,
        "rate": str(rate),
        "valid_from": valid_from.isoformat(),
    }

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            now = rt.clock.now()
            uow.rates.put(source.code, target.code, rate, valid_from, now)
            uow.audit.add(
                now,
                actor.name,
                "put",
                "exchange_rate",
                f"{source.code}/{target.code}/{valid_from.isoformat()}",
                None,
                body,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def list_exchange_rates(
    rt: Runtime, actor: Principal, from_currency: str | None, to_currency: str | None
) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ)
    with rt.uow(read_only=True) as uow:
        return [
            {"from_currency": f, "to_currency": t, "rate": str(r), "valid_from": v.isoformat()}
            for f, t, r, v in uow.rates.all(from_currency, to_currency)
        ]


def _bump_setup(uow: UnitOfWork, entity: LegalEntity, rt: Runtime) -> None:
    uow.legal_entities.update(
        replace(entity, setup_version=entity.setup_version + 1), rt.clock.now()
    )


REASON_TYPES = ("hold", "release", "status")
HOLD_SETTINGS = tuple(setting.value for setting in AccountStatusHold)


def put_reason(
    rt: Runtime, actor: Principal, legal_entity: str, reason_id: str, type: str, description: str
) -> dict[str, Any]:
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    if type not in REASON_TYPES:
        raise DomainError(f"reason type must be one of {', '.join(REASON_TYPES)}", type=type)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            before = uow.setup.reason(legal_entity, reason_id)
            uow.setup.put_reason(legal_entity, reason_id, type, description)
            body = {"id": reason_id, "type": type, "description": description}
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "put",
                "reason",
                f"{legal_entity}/{reason_id}",
                None if before is None else {"type": before[0], "description": before[1]},
                body,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def list_reasons(rt: Runtime, actor: Principal, legal_entity: str) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return [
            {"id": rid, "type": kind, "description": description}
            for rid, kind, description in uow.setup.reasons(legal_entity)
        ]


def put_account_status(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    status_id: str,
    description: str,
    on_hold: str,
) -> dict[str, Any]:
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    if on_hold not in HOLD_SETTINGS:
        raise DomainError(f"on_hold must be one of {', '.join(HOLD_SETTINGS)}", on_hold=on_hold)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            before = uow.setup.account_status(legal_entity, status_id)
            uow.setup.put_account_status(legal_entity, status_id, description, on_hold)
            _bump_setup(uow, entity, rt)
            body = {"id": status_id, "description": description, "on_hold": on_hold}
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "put",
                "account_status",
                f"{legal_entity}/{status_id}",
                None if before is None else {"description": before[0], "on_hold": before[1]},
                body,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def list_account_statuses(rt: Runtime, actor: Principal, legal_entity: str) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return [
            {"id": sid, "description": d, "on_hold": h}
            for sid, d, h in uow.setup.account_statuses(legal_entity)
        ]


RANK_KINDS = ("payment_terms", "settlement_discount")


def put_rank(
    rt: Runtime, actor: Principal, legal_entity: str, kind: str, code: str, rank: int
) -> dict[str, Any]:
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    if kind not in RANK_KINDS:
        raise DomainError(f"unknown ranking {kind!r}")
    if rank < 0:
        raise DomainError("a rank must be 0 or more", rank=rank)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            before = uow.setup.ranks(legal_entity, kind).get(code)
            uow.setup.put_rank(legal_entity, kind, code, rank)
            _bump_setup(uow, entity, rt)
            body = {"code": code, "rank": rank}
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "put",
                f"{kind}_rank",
                f"{legal_entity}/{code}",
                None if before is None else {"code": code, "rank": before},
                body,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def list_ranks(rt: Runtime, actor: Principal, legal_entity: str, kind: str) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        ranks = uow.setup.ranks(legal_entity, kind)
        return [{"code": code, "rank": rank} for code, rank in sorted(ranks.items())]


@dataclass(frozen=True, slots=True)
class RuleInput:
    rule: str
    kind: str = "blocking"
    valid_for: str = "all"
    account_or_group: str | None = None
    risk_group: str | None = None
    value_type: str | None = None
    value: Decimal | None = None
    credit_limit_threshold: Decimal | None = None
    account_status: str | None = None
    terms_of_payment: str | None = None
    release_sales_order: bool = False


def _enum(kind: type[Any], value: str | None, field: str) -> Any:
    if value is None:
        return None
    try:
        return kind(value)
    except ValueError:
        choices = ", ".join(member.value for member in kind)
        raise DomainError(f"{field} must be one of {choices}", field=field) from None


def build_rule(rule_id: str, data: RuleInput) -> BlockingRule:
    from creditdesk.domain.errors import InvalidRuleError

    try:
        return make_rule(
            id=rule_id,
            rule=_enum(RuleType, data.rule, "rule"),
            kind=_enum(RuleKind, data.kind, "kind"),
            valid_for=_enum(ValidFor, data.valid_for, "valid_for"),
            account_or_group=data.account_or_group,
            risk_group=data.risk_group,
            value_type=_enum(ValueType, data.value_type, "value_type"),
            value=data.value,
            credit_limit_threshold=data.credit_limit_threshold,
            account_status=data.account_status,
            terms_of_payment=data.terms_of_payment,
            release_sales_order=data.release_sales_order,
        )
    except InvalidRuleError:
        raise
    except DomainError as error:
        raise InvalidRuleError(str(error)) from None


def list_rules(rt: Runtime, actor: Principal, legal_entity: str) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return [serialize.rule(rule) for rule in uow.setup.rules(legal_entity)]


def add_rule(rt: Runtime, actor: Principal, legal_entity: str, data: RuleInput) -> dict[str, Any]:
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    rule = build_rule(rt.new_id("rule"), data)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            if (
                rule.rule == RuleType.ACCOUNT_STATUS
                and rule.account_status is not None
                and uow.setup.account_status(legal_entity, rule.account_status) is None
            ):
                raise UnknownAccountStatusError(
                    f"account status {rule.account_status} does not exist in {legal_entity}",
                    account_status=rule.account_status,
                )
            if rule.valid_for == ValidFor.GROUP and rule.account_or_group is not None:
                require_credit_management_group(uow, legal_entity, rule.account_or_group)
            now = rt.clock.now()
            uow.setup.add_rule(legal_entity, rule, now)
            _bump_setup(uow, entity, rt)
            body = serialize.rule(rule)
            uow.audit.add(
                now, actor.name, "create", "blocking_rule", f"{legal_entity}/{rule.id}", None, body
            )
            uow.commit()
            return body

    return run_with_retries(work)


def delete_rule(rt: Runtime, actor: Principal, legal_entity: str, rule_id: str) -> None:
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)

    def work() -> None:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            before = next((r for r in uow.setup.rules(legal_entity) if r.id == rule_id), None)
            if before is None or not uow.setup.delete_rule(legal_entity, rule_id):
                raise RuleNotFoundError(f"rule {rule_id} does not exist in {legal_entity}")
            _bump_setup(uow, entity, rt)
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "delete",
                "blocking_rule",
                f"{legal_entity}/{rule_id}",
                serialize.rule(before),
                None,
            )
            uow.commit()

    run_with_retries(work)


def put_credit_management_group(
    rt: Runtime, actor: Principal, legal_entity: str, group_id: str, description: str
) -> dict[str, Any]:
    """A credit management group classifies customers for the "group" scope of rules
    (reference §3.4): id up to 10 characters, description up to 60."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    if not group_id or len(group_id) > 10 or len(description) > 60:
        raise DomainError(
            "a credit management group has an id of 1 to 10 characters and a description of "
            "at most 60"
        )

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            before = uow.cm_groups.get(legal_entity, group_id)
            uow.cm_groups.put(legal_entity, group_id, description)
            _bump_setup(uow, entity, rt)
            body = {"id": group_id, "description": description}
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "put",
                "credit_management_group",
                f"{legal_entity}/{group_id}",
                None if before is None else {"id": group_id, "description": before},
                body,
            )
            uow.commit()
            return body

    return run_with_retries(work)


def list_credit_management_groups(
    rt: Runtime, actor: Principal, legal_entity: str
) -> list[dict[str, Any]]:
    authorize(actor, Permission.READ, legal_entity)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        return [{"id": g, "description": d} for g, d in uow.cm_groups.all(legal_entity)]


def delete_credit_management_group(
    rt: Runtime, actor: Principal, legal_entity: str, group_id: str
) -> None:
    """Remove a credit management group no customer and no rule uses."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)

    def work() -> None:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            description = uow.cm_groups.get(legal_entity, group_id)
            if description is None:
                raise NotFoundError(
                    f"credit management group {group_id} does not exist in {legal_entity}"
                )
            if uow.cm_groups.in_use(legal_entity, group_id):
                raise ConflictError(
                    f"credit management group {group_id} is used by customers or rules",
                    group=group_id,
                )
            uow.cm_groups.delete(legal_entity, group_id)
            _bump_setup(uow, entity, rt)
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "delete",
                "credit_management_group",
                f"{legal_entity}/{group_id}",
                {"id": group_id, "description": description},
                None,
            )
            uow.commit()

    run_with_retries(work)


def require_credit_management_group(uow: UnitOfWork, legal_entity: str, group_id: str) -> None:
    if uow.cm_groups.get(legal_entity, group_id) is None:
        raise UnknownCreditManagementGroupError(
            f"credit management group {group_id} does not exist in {legal_entity}",
            group=group_id,
        )


def delete_reason(rt: Runtime, actor: Principal, legal_entity: str, reason_id: str) -> None:
    """Remove a reason that no parameter and no customer uses (holds keep their history)."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)

    def work() -> None:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            before = uow.setup.reason(legal_entity, reason_id)
            if before is None:
                raise NotFoundError(f"reason {reason_id} does not exist in {legal_entity}")
            if uow.setup_removals.reason_in_use(legal_entity, reason_id):
                raise ConflictError(
                    f"reason {reason_id} is used by the credit parameters or a customer",
                    reason=reason_id,
                )
            uow.setup_removals.delete_reason(legal_entity, reason_id)
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "delete",
                "reason",
                f"{legal_entity}/{reason_id}",
                {"type": before[0], "description": before[1]},
                None,
            )
            uow.commit()

    run_with_retries(work)


def delete_account_status(rt: Runtime, actor: Principal, legal_entity: str, status_id: str) -> None:
    """Remove an account status that no customer and no rule uses."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)

    def work() -> None:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            before = uow.setup.account_status(legal_entity, status_id)
            if before is None:
                raise NotFoundError(f"account status {status_id} does not exist in {legal_entity}")
            if uow.setup_removals.account_status_in_use(legal_entity, status_id):
                raise ConflictError(
                    f"account status {status_id} is used by customers or rules", status=status_id
                )
            uow.setup_removals.delete_account_status(legal_entity, status_id)
            _bump_setup(uow, entity, rt)
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "delete",
                "account_status",
                f"{legal_entity}/{status_id}",
                {"description": before[0], "on_hold": before[1]},
                None,
            )
            uow.commit()

    run_with_retries(work)


def delete_rank(rt: Runtime, actor: Principal, legal_entity: str, kind: str, code: str) -> None:
    """Unrank a payment-terms or settlement-discount code (unranked codes never hold)."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    if kind not in RANK_KINDS:
        raise DomainError(f"unknown ranking {kind!r}")

    def work() -> None:
        with rt.uow() as uow:
            entity = require_entity(uow, legal_entity)
            if not uow.setup_removals.delete_rank(legal_entity, kind, code):
                raise NotFoundError(f"{code} is not ranked in {legal_entity}")
            _bump_setup(uow, entity, rt)
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "delete",
                f"{kind}_rank",
                f"{legal_entity}/{code}",
                {"code": code},
                None,
            )
            uow.commit()

    run_with_retries(work)
