"""The event outbox and webhook delivery.

``record`` writes an event in the caller's transaction. ``deliver_due`` sends undelivered
events to each active webhook in id order, one POST per event, signed per the Standard Webhooks
specification (``webhook-id``, ``webhook-timestamp``, ``webhook-signature``), so receivers
verify them with a stock library. A webhook that fails waits with exponential backoff and is
retried from the same event, so delivery is in order and at least once; receivers deduplicate
by ``webhook-id`` (the event ``id``).

A webhook URL is checked when the webhook is created and again before every delivery round
(its name may resolve elsewhere by then: DNS rebinding), and the sender connects only to the
addresses that passed the check.
"""

from __future__ import annotations

import base64
import json
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from ipaddress import ip_address
from typing import Any
from urllib.parse import urlsplit

from creditdesk.domain.addresses import is_metadata_address, is_public_address
from creditdesk.domain.errors import DomainError
from creditdesk.domain.events import DeliveryError, EventType, backoff_seconds, status_error
from creditdesk.service_layer import serialize
from creditdesk.service_layer.auth import (
    Permission,
    Principal,
    authorize,
    authorize_all_entities,
)
from creditdesk.service_layer.errors import NotFoundError, WebhookUrlNotAllowedError
from creditdesk.service_layer.ports import (
    DeliveryFailedError,
    StoredEvent,
    UnitOfWork,
    Webhook,
    WebhookMessage,
    WebhookSender,
    run_with_retries,
)
from creditdesk.service_layer.runtime import Runtime

SECRET_BYTES = 32
"""A new signing secret is ``whsec_`` and the standard base64 of this many random bytes (the
Standard Webhooks form; the spec asks for 24 to 64)."""
GAP_SETTLE_SECONDS = 10
"""An id gap (an event committed later than one with a higher id, or a rolled-back insert on
PostgreSQL) holds readers back until the event after it is this old."""


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


def new_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(SECRET_BYTES)).decode("ascii")


def url_target(url: str) -> tuple[str, int]:
    """The host name and port of an absolute http(s) URL; DomainError for anything else."""
    try:
        parsed = urlsplit(url)
        port = parsed.port
    except ValueError:  # "http://[::1", "http://host:99999"
        raise DomainError("a webhook url must be an absolute http(s) URL", url=url[:200]) from None
    if parsed.scheme not in ("http", "https") or not parsed.hostname or len(url) > 2000:
        raise DomainError("a webhook url must be an absolute http(s) URL", url=url[:200])
    return parsed.hostname, port or (443 if parsed.scheme == "https" else 80)


def checked_addresses(rt: Runtime, url: str) -> list[str]:
    """The addresses the URL's host resolves to, all of them allowed; raises
    DeliveryFailedError (``dns_error``, ``address_not_allowed``). One refused address refuses
    the URL: a name that also resolves inside the network is not a public receiver."""
    if rt.resolve_host is None:
        raise RuntimeError("the runtime has no host resolver (bootstrap binds one)")
    host, port = url_target(url)
    try:
        addresses = [str(ip_address(host))]  # a literal address needs no resolution
    except ValueError:
        try:
            addresses = rt.resolve_host(host, port)
        except (OSError, ValueError):  # ValueError: not encodable as a host name
            raise DeliveryFailedError(DeliveryError.DNS_ERROR) from None
    if not addresses:
        raise DeliveryFailedError(DeliveryError.DNS_ERROR)
    if not all(_allowed(rt, a) for a in addresses):
        raise DeliveryFailedError(DeliveryError.ADDRESS_NOT_ALLOWED)
    return addresses


def _allowed(rt: Runtime, address: str) -> bool:
    if rt.webhook_allow_private:
        return not is_metadata_address(address)
    return is_public_address(address)


def check_webhook_url(rt: Runtime, url: str) -> None:
    """Refuse a URL the server may not deliver to (422 ``webhook_url_not_allowed``). Where
    private addresses are allowed, a name that does not resolve yet passes (the receiver may
    still be being set up); every delivery checks the addresses again anyway."""
    try:
        checked_addresses(rt, url)
    except DeliveryFailedError as failure:
        if failure.category is DeliveryError.DNS_ERROR:
            if rt.webhook_allow_private:
                return
            reason = "does not resolve"
        else:
            reason = "resolves to a loopback, private, link-local or metadata address"
        raise WebhookUrlNotAllowedError(
            f"the webhook url's host {reason}; set CREDITDESK_WEBHOOK_ALLOW_PRIVATE=true "
            "to deliver to receivers inside the network",
            url=url[:200],
        ) from None


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
    url_target(url)
    known = {t.value for t in EventType}
    for kind in event_types or []:
        if kind not in known:
            raise DomainError(f"unknown event type {kind!r}; known: {', '.join(sorted(known))}")
    check_webhook_url(rt, url)
    secret = new_secret()

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
        cursor, sent, error = _deliver_to(rt, sender, hook, pending[hook.id])
        delivered += sent
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
                    error.value,
                )
                failed += 1
            uow.commit()
    return DeliveryReport(delivered, failed)


def _deliver_to(
    rt: Runtime, sender: WebhookSender, hook: Webhook, events: list[StoredEvent]
) -> tuple[int, int, DeliveryError | None]:
    """Send the events a webhook wants, in order, until one fails: the cursor reached, the
    number delivered and why it stopped. The URL is resolved and checked once per round,
    before the first POST, and every POST of the round connects to those addresses."""
    cursor = hook.cursor
    delivered = 0
    addresses: list[str] | None = None
    for event in events:
        if hook.wants(event):
            try:
                if addresses is None:
                    addresses = checked_addresses(rt, hook.url)
                status = sender.post(hook.url, addresses, _message(rt, hook, event))
            except DeliveryFailedError as failure:
                return cursor, delivered, failure.category
            except DomainError:  # a URL stored before today's checks
                return cursor, delivered, DeliveryError.INVALID_URL
            error = status_error(status)
            if error is not None:
                return cursor, delivered, error
            delivered += 1
        cursor = event.id
    return cursor, delivered, None


def _message(rt: Runtime, hook: Webhook, event: StoredEvent) -> WebhookMessage:
    return WebhookMessage(
        id=f"evt_{event.id}",
        at=rt.clock.now(),
        body=json.dumps(event.body(), separators=(",", ":")).encode(),
        secret=hook.secret,
        headers={
            "Content-Type": "application/json",
            "X-Creditdesk-Event": event.type,
            "X-Creditdesk-Event-Id": str(event.id),
        },
    )
