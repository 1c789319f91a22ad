"""Reading the append-only audit trail."""

from __future__ import annotations

from typing import Any

from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import Permission, Principal, authorize_all_entities
from creditdesk.service_layer.ports import run_with_retries
from creditdesk.service_layer.runtime import Runtime


def list_audit_events(
    rt: Runtime,
    actor: Principal,
    *,
    entity: str | None,
    key: str | None,
    after_id: int | None,
    limit: int,
) -> list[dict[str, Any]]:
    authorize_all_entities(actor, Permission.READ)
    with rt.uow(read_only=True) as uow:
        return [
            {
                "id": event.id,
                "at": serialize.plain(event.at),
                "actor": event.actor,
                "action": event.action,
                "entity": event.entity,
                "key": event.key,
                "before": event.before,
                "after": event.after,
            }
            for event in uow.audit.find(entity, key, after_id, limit)
        ]


def record_run(
    rt: Runtime, actor: Principal, action: str, legal_entity: str, result: dict[str, Any]
) -> None:
    """One audit event for a periodic task's run over a legal entity (not one per customer)."""

    def work() -> None:
        with rt.uow() as uow:
            uow.audit.add(
                rt.clock.now(), actor.name, action, "legal_entity", legal_entity, None, result
            )
            uow.commit()

    run_with_retries(work)
