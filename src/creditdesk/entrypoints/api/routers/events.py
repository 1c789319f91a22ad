"""The event feed and webhooks."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Query, Response
from pydantic import Field, StrictBool, StrictStr

from creditdesk.domain.errors import DomainError
from creditdesk.entrypoints.api.contract import ContractRoute, page_of
from creditdesk.entrypoints.api.dependencies import (
    MAX_ID_NUMBER,
    LimitQuery,
    PrincipalDep,
    RuntimeDep,
    decode_cursor,
    encode_cursor,
)
from creditdesk.entrypoints.api.read_models import (
    EventPage,
    WebhookPage,
    WebhookRead,
)
from creditdesk.entrypoints.api.schemas import Input
from creditdesk.service_layer import events

router = APIRouter(tags=["events"], route_class=ContractRoute)


class WebhookIn(Input):
    url: StrictStr = Field(min_length=1, max_length=2000)
    legal_entities: list[StrictStr] | None = Field(default=None, max_length=200)
    event_types: list[StrictStr] | None = Field(default=None, max_length=20)
    from_start: StrictBool = False


@router.get("/events", response_model=EventPage)
def list_events(
    rt: RuntimeDep,
    actor: PrincipalDep,
    after: int = Query(
        default=0, ge=0, le=MAX_ID_NUMBER, description="the last event id already seen"
    ),
    limit: LimitQuery = 100,
    cursor: str | None = Query(default=None, description="a next_cursor (wins over after)"),
) -> dict[str, Any]:
    """Hold events (placed, released, rejected, cancelled) after an id, oldest first.
    ``next_after`` is the id to ask after next time; ``next_cursor`` says the same as a cursor.
    A page may hold fewer than ``limit`` items (events of legal entities the caller does not
    see are passed over), so ``has_more`` comes from looking one event further."""
    if cursor is not None:
        raw = decode_cursor(cursor) or ""
        if not (raw.isascii() and raw.isdigit()) or int(raw) > MAX_ID_NUMBER:
            raise DomainError("the cursor is not valid")
        after = int(raw)
    items, last = events.list_events(rt, actor, after_id=after, limit=limit)
    _, beyond = events.list_events(rt, actor, after_id=last, limit=1)
    has_more = beyond != last
    return {
        "items": items,
        "next_after": last,
        "next_cursor": encode_cursor(str(last)) if has_more else None,
        "has_more": has_more,
    }


@router.post("/webhooks", status_code=201, response_model=WebhookRead)
def create_webhook(body: WebhookIn, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    """Register a webhook; the answer carries its Standard Webhooks signing secret once. A URL
    whose host is or resolves to a loopback, private, link-local or metadata address is refused
    (422 ``webhook_url_not_allowed``) unless ``CREDITDESK_WEBHOOK_ALLOW_PRIVATE=true``."""
    return events.create_webhook(
        rt,
        actor,
        body.url,
        legal_entities=body.legal_entities,
        event_types=body.event_types,
        from_start=body.from_start,
    )


@router.get("/webhooks", response_model=WebhookPage)
def list_webhooks(
    rt: RuntimeDep, actor: PrincipalDep, limit: LimitQuery = 100, cursor: str | None = None
) -> dict[str, Any]:
    return page_of(events.list_webhooks(rt, actor), limit, cursor, lambda row: str(row["id"]))


@router.delete("/webhooks/{hook_id}", status_code=204)
def delete_webhook(hook_id: str, rt: RuntimeDep, actor: PrincipalDep) -> Response:
    events.delete_webhook(rt, actor, hook_id)
    return Response(status_code=204)
