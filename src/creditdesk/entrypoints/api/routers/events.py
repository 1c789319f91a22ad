"""The event feed and webhooks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import Field, StrictBool, StrictStr

from creditdesk.entrypoints.api.dependencies import (
    MAX_ID_NUMBER,
    LimitQuery,
    PrincipalDep,
    RuntimeDep,
)
from creditdesk.entrypoints.api.schemas import Input
from creditdesk.service_layer import events

router = APIRouter(tags=["events"])


class WebhookIn(Input):
    url: StrictStr = Field(min_length=1, max_length=2000)
    legal_entities: list[StrictStr] | None = Field(default=None, max_length=200)
    event_types: list[StrictStr] | None = Field(default=None, max_length=20)
    from_start: StrictBool = False


@router.get("/events")
def list_events(
    rt: RuntimeDep,
    actor: PrincipalDep,
    after: int = Query(
        default=0, ge=0, le=MAX_ID_NUMBER, description="the last event id already seen"
    ),
    limit: LimitQuery = 100,
) -> dict[str, Any]:
    """Hold events (placed, released, rejected, cancelled) after an id, oldest first.
    ``next_after`` is the id to ask after next time."""
    items, last = events.list_events(rt, actor, after_id=after, limit=limit)
    return {"items": items, "next_after": last}


@router.post("/webhooks", status_code=201)
def post_webhook(body: WebhookIn, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    """Register a webhook; the answer carries its signing secret once."""
    return events.create_webhook(
        rt,
        actor,
        body.url,
        legal_entities=body.legal_entities,
        event_types=body.event_types,
        from_start=body.from_start,
    )


@router.get("/webhooks")
def list_webhooks(rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return {"items": events.list_webhooks(rt, actor), "next_cursor": None}


@router.delete("/webhooks/{hook_id}", status_code=204)
def delete_webhook(hook_id: str, rt: RuntimeDep, actor: PrincipalDep) -> Response:
    events.delete_webhook(rt, actor, hook_id)
    return Response(status_code=204)
