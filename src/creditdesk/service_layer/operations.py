"""Figures an operations team watches that live in the database (read at scrape time)."""

from __future__ import annotations

from dataclasses import dataclass

from creditdesk.service_layer.runtime import Runtime


@dataclass(frozen=True, slots=True)
class Gauges:
    open_holds: dict[str, int]
    outbox_pending: int


def gauges(rt: Runtime) -> Gauges:
    with rt.uow(read_only=True) as uow:
        return Gauges(
            uow.operations.open_holds_by_legal_entity(), uow.operations.pending_outbox_events()
        )
