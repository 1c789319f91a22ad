"""The event outbox and webhook delivery.

``record`` writes an event in the caller's transaction. ``deliver_due`` sends undelivered
events to each active webhook in id order, one POST per event, signed with HMAC-SHA256 over
``"<timestamp>.<body>"`` (header ``X-Creditdesk-Signature: t=<timestamp>,v1=<hex>``). A webhook
that fails waits with exponential backoff and is retried from the same event, so delivery is
in order and at least once; receivers deduplicate by the event ``id``.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol
from urllib.parse import urlparse

from creditdesk.domain.errors import DomainError
from creditdesk.domain.events import EventType, backoff_seconds
from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import (
    Permission,
    Principal,
    authorize,
    authorize_all_entities,
)
from creditdesk.service_layer.errors import NotFoundError
from creditdesk.service_layer.ports import (
    StoredEvent,
    UnitOfWork,
    Webhook,
    run_with_retries,
)
from creditdesk.service_layer.runtime import Runtime

SIGNATURE_HEADER = "X-Creditdesk-Signature"
GAP_SETTLE_SECONDS = 10
"""An id gap (an event committed later than one with a higher id, or a rolled-back insert on
PostgreSQL) holds readers back until the event after it is this old."""


class WebhookSender(Protocol):
    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST and return the HTTP status; raise OSError (or a subclass) when unreachable."""
        ...


def record(
    uow: UnitOfWork,
    at: datetime,
    type: EventType,
    legal_entity: str,
    key: str,
    data: dict[str, Any],
) -> None:
    """Write an event in the caller's transaction (it exists iff the change commits)."""
    uow.events.add(at, type.value, legal_entity, key, data)


def settled(events: list[StoredEvent], after_id: int, now: datetime) -> list[StoredEvent]:
    """The events up to the first id gap that may still fill (see ``GAP_SETTLE_SECONDS``),
    so a reader that remembers the last id it saw never skips an event."""
    result = []
    expected = after_id + 1
    for event in events:
        if event.id != expected and event.at > now - timedelta(seconds=GAP_SETTLE_SECONDS):
            break
        result.append(event)
        expected = event.id + 1
    return result


def list_events(
    rt: Runtime, actor: Principal, *, after_id: int, limit: int
) -> tuple[list[dict[str, Any]], int]:
    """Events after an id, oldest first, in the legal entities the caller may see, and the id
    to continue after (events of other legal entities are passed over, not returned)."""
    authorize(actor, Permission.READ)
    scope = actor.legal_entities
    now = rt.clock.now()
    with rt.uow(read_only=True) as uow:
        found = settled(uow.events.after(after_id, None, limit), after_id, now)
    last = found[-1].id if found else after_id
    return [e.body() for e in found if scope is None or e.legal_entity in scope], last


def sign(secret: str, timestamp: int, body: bytes) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(secret: str, header: str, body: bytes) -> bool:
    """Check a signature header (for receivers and tests)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        expected = sign(secret, int(parts["t"]), body)
    except (KeyError, ValueError):
        return False
    return hmac.compare_digest(expected, header)


def hook_body(hook: Webhook) -> dict[str, Any]:
    return {
        "id": hook.id,
        "url": hook.url,
        "legal_entities": list(hook.legal_entities) if hook.legal_entities is not None else None,
        "event_types": list(hook.event_types) if hook.event_types is not None else None,
        "active": hook.active,
        "delivered_up_to": hook.cursor,
        "failures": hook.failures,
        "next_attempt_at": serialize.plain(hook.next_attempt_at),
        "last_error": hook.last_error,
        "created_at": serialize.plain(hook.created_at),
    }


def create_webhook(
    rt: Runtime,
    actor: Principal,
    url: str,
    *,
    legal_entities: list[str] | None,
    event_types: list[str] | None,
    from_start: bool = False,
) -> dict[str, Any]:
    """Register a webhook; its signing secret is in the answer once. It receives the events
    written from now on (or all stored ones with ``from_start``). Like a token, a webhook is an
    integration credential that sees every legal entity: admins only."""
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)
    parsed = urlparse(url)
    if parsed.scheme not in ("http", "https") or not parsed.netloc or len(url) > 2000:
        raise DomainError("a webhook url must be an absolute http(s) URL", url=url[:200])
    known = {t.value for t in EventType}
    for kind in event_types or []:
        if kind not in known:
            raise DomainError(f"unknown event type {kind!r}; known: {', '.join(sorted(known))}")
    secret = f"whsec_{secrets.token_urlsafe(24)}"

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            store = uow
            cursor = 0 if from_start else store.events.latest_id()
            now = rt.clock.now()
            hook = Webhook(
                rt.new_id("whk"),
                url,
                secret,
                tuple(legal_entities) if legal_entities is not None else None,
                tuple(event_types) if event_types is not None else None,
                True,
                cursor,
                0,
                None,
                None,
                now,
            )
            store.webhooks.add(hook)
            uow.audit.add(now, actor.name, "create", "webhook", hook.id, None, hook_body(hook))
            uow.commit()
            return hook_body(hook) | {"secret": secret}

    return run_with_retries(work)


def list_webhooks(rt: Runtime, actor: Principal) -> list[dict[str, Any]]:
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)
    with rt.uow(read_only=True) as uow:
        store = uow
        return [hook_body(h) for h in store.webhooks.all()]


def delete_webhook(rt: Runtime, actor: Principal, hook_id: str) -> None:
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)

    def work() -> None:
        with rt.uow() as uow:
            store = uow
            if not store.webhooks.delete(hook_id):
                raise NotFoundError(f"webhook {hook_id} does not exist")
            uow.audit.add(rt.clock.now(), actor.name, "delete", "webhook", hook_id, None, None)
            uow.commit()

    run_with_retries(work)


@dataclass(frozen=True, slots=True)
class DeliveryReport:
    delivered: int
    failed_webhooks: int


def deliver_due(rt: Runtime, sender: WebhookSender, *, batch: int = 100) -> DeliveryReport:
    """One delivery round: every due webhook gets its next events in order. HTTP happens
    outside any transaction; the cursor moves only if nobody else moved it meanwhile."""
    now = rt.clock.now()
    with rt.uow(read_only=True) as uow:
        store = uow
        hooks = [
            h
            for h in store.webhooks.all()
            if h.active and (h.next_attempt_at is None or h.next_attempt_at <= now)
        ]
        pending = {
            h.id: settled(store.events.after(h.cursor, None, batch), h.cursor, now) for h in hooks
        }
    delivered = 0
    failed = 0
    for hook in hooks:
        cursor = hook.cursor
        error: str | None = None
        for event in pending[hook.id]:
            if hook.wants(event):
                body = json.dumps(event.body(), separators=(",", ":")).encode()
                stamp = int(rt.clock.now().timestamp())
                headers = {
                    "Content-Type": "application/json",
                    SIGNATURE_HEADER: sign(hook.secret, stamp, body),
                    "X-Creditdesk-Event": event.type,
                    "X-Creditdesk-Event-Id": str(event.id),
                }
                try:
                    status = sender.post(hook.url, body, headers)
                except OSError as exc:
                    error = f"{type(exc).__name__}: {exc}"[:500]
                    break
                if not 200 <= status < 300:
                    error = f"HTTP {status}"
                    break
                delivered += 1
            cursor = event.id
        with rt.uow() as uow:
            store = uow
            if cursor != hook.cursor:
                store.webhooks.advance(hook.id, hook.cursor, cursor)
            if error is not None:
                failures = hook.failures + 1 if cursor == hook.cursor else 1
                store.webhooks.failed(
                    hook.id,
                    cursor,
                    failures,
                    rt.clock.now() + timedelta(seconds=backoff_seconds(failures)),
                    error,
                )
                failed += 1
            uow.commit()
    return DeliveryReport(delivered, failed)
