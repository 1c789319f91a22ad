"""The event feed and webhooks through the HTTP API: every hold placed, released, rejected or
cancelled writes an event, read with ``GET /api/v1/events?after=``; webhooks get the events in
order, signed per Standard Webhooks, retried with backoff while the receiver fails, filtered by
event type and legal entity, and only from their creation on unless ``from_start``. A tiny HTTP
receiver on 127.0.0.1 stands in for the order system, so these tests allow private webhook
addresses (``CREDITDESK_WEBHOOK_ALLOW_PRIVATE``; test_api_webhook_urls.py covers the default,
which refuses them); ``deliver_webhooks_once`` runs one delivery round."""

from __future__ import annotations

import json
import socket
import threading
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook, WebhookVerificationError

from creditdesk.bootstrap import deliver_webhooks_once
from creditdesk.config import Settings
from creditdesk.service_layer.runtime import Runtime
from tests.support import ADMIN_TOKEN, Api, FixedClock


class Receiver:
    """An HTTP server on 127.0.0.1 that records every POST and answers ``status``."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[tuple[str, dict[str, str], bytes]] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                receiver.received.append((self.path, dict(self.headers.items()), body))
                self.send_response(receiver.status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, format: str, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def url(self, path: str = "/hook") -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host!s}:{port}{path}"

    def events(self, path: str = "/hook") -> list[dict[str, Any]]:
        return [json.loads(body) for p, _, body in self.received if p == path]


OTHER_SECRET = "whsec_" + "A" * 43 + "="


@pytest.fixture
def settings(database_url: str) -> Settings:
    """The receivers listen on 127.0.0.1: private webhook addresses are allowed here."""
    return Settings(
        database_url=database_url,
        admin_token=ADMIN_TOKEN,
        deliver_webhooks=False,
        webhook_allow_private=True,
    )


class FakeResolver:
    """Name resolution from a table the test sets (no DNS query ever leaves the machine)."""

    def __init__(self, names: dict[str, list[str]]) -> None:
        self.names = names
        self.asked: list[str] = []

    def __call__(self, host: str, _port: int, /) -> list[str]:
        self.asked.append(host)
        if host not in self.names:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
        return self.names[host]


class NowClock:
    """The real time shifted by a fixed offset (Standard Webhooks verification checks the
    timestamp against the real clock)."""

    def __init__(self, offset: timedelta) -> None:
        self.offset = offset

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def today(self) -> date:
        return self.now().date()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    server.thread.start()
    try:
        yield server
    finally:
        server.server.shutdown()
        server.server.server_close()
        server.thread.join(timeout=5)


@pytest.fixture
def two(api: Api) -> Api:
    """FI01 (EUR) and NO01 (NOK), each with C100 (limit 1,000) and orders SO-1..SO-3 over it."""
    for le, cur in (("FI01", "EUR"), ("NO01", "NOK")):
        api.legal_entity(le, cur)
        api.customer(le, "C100", f"1000.00 {cur}")
        for n in (1, 2, 3):
            api.order(le, f"SO-{n}", "C100", f"5000.00 {cur}")
    return api


def hold_of(api: Api, le: str, order_id: str) -> str:
    decision = api.check(le, order_id)
    assert decision["decision"] == "on_hold", decision
    return str(decision["hold"]["id"])


def feed(api: Api, after: int = 0, **params: Any) -> dict[str, Any]:
    r = api.get("/events", after=after, **params)
    assert r.status_code == 200, r.text
    return dict(r.json())


def webhook(api: Api, url: str, **body: Any) -> dict[str, Any]:
    r = api.post("/webhooks", {"url": url, **body})
    assert r.status_code == 201, r.text
    return dict(r.json())


def the_webhook(api: Api, hook_id: str) -> dict[str, Any]:
    r = api.get("/webhooks")
    assert r.status_code == 200, r.text
    [hook] = [h for h in r.json()["items"] if h["id"] == hook_id]
    return dict(hook)


def lifecycle(api: Api, le: str = "FI01") -> list[str]:
    """Place four holds in ``le`` and release, reject and cancel three of them: the hold ids."""
    ids = [hold_of(api, le, f"SO-{n}") for n in (1, 2, 3)]
    assert api.post(f"/credit-holds/{ids[0]}/release", {"reason": "AUTO"}).status_code == 200
    assert api.post(f"/credit-holds/{ids[1]}/reject", {}).status_code == 200
    cur = "EUR" if le == "FI01" else "NOK"
    api.order(le, "SO-3", "C100", f"5000.00 {cur}", status="cancelled")
    return ids


# --- the feed -----------------------------------------------------------------------------------


def test_placing_releasing_rejecting_and_cancelling_holds_each_writes_an_event(two: Api) -> None:
    first, second, third = lifecycle(two)

    page = feed(two)

    assert [(e["type"], e["key"]) for e in page["items"]] == [
        ("hold.placed", first),
        ("hold.placed", second),
        ("hold.placed", third),
        ("hold.released", first),
        ("hold.rejected", second),
        ("hold.cancelled", third),
    ]
    ids = [e["id"] for e in page["items"]]
    assert ids == sorted(ids)
    assert page["next_after"] == ids[-1]
    assert all(e["legal_entity"] == "FI01" for e in page["items"])
    released = page["items"][3]["data"]
    assert (released["id"], released["status"], released["release_reason"]) == (
        first,
        "released",
        "AUTO",
    )
    assert page["items"][5]["data"]["release_reason"] == "CANCELED"
    assert feed(two, after=page["next_after"]) == {
        "items": [],
        "next_after": ids[-1],
        "next_cursor": None,
        "has_more": False,
    }


def test_the_feed_comes_in_pages_that_continue_after_next_after(two: Api) -> None:
    lifecycle(two)
    everything = feed(two)["items"]

    first = feed(two, limit=4)
    rest = feed(two, after=first["next_after"], limit=4)

    assert first["items"] + rest["items"] == everything
    assert first["next_after"] == everything[3]["id"]
    assert rest["next_after"] == everything[-1]["id"]


def test_a_token_scoped_to_a_legal_entity_sees_only_its_events(two: Api) -> None:
    lifecycle(two, "FI01")
    lifecycle(two, "NO01")
    everything = feed(two)
    scoped = two.as_token(two.new_token("viewer", ["NO01"]))

    page = feed(scoped)

    assert [e["legal_entity"] for e in everything["items"]].count("FI01") == 6
    assert [e["id"] for e in page["items"]] == [
        e["id"] for e in everything["items"] if e["legal_entity"] == "NO01"
    ]
    assert page["next_after"] == everything["next_after"]


def test_the_feed_needs_a_token_and_a_valid_after(two: Api) -> None:
    assert two.as_token("").get("/events").status_code == 401
    assert two.get("/events", after=-1).status_code == 422


# --- webhooks -----------------------------------------------------------------------------------


def test_a_webhook_is_created_by_an_admin_and_its_secret_is_shown_once(
    two: Api, receiver: Receiver
) -> None:
    created = webhook(two, receiver.url())

    assert created["secret"].startswith("whsec_")
    Webhook(created["secret"])  # a Standard Webhooks secret: whsec_ + base64
    assert created["url"] == receiver.url()
    assert created["active"] is True
    listed = the_webhook(two, created["id"])
    assert "secret" not in listed
    assert created["secret"] not in json.dumps(two.get("/webhooks").json())
    manager = two.as_token(two.new_token("credit_manager"))
    assert manager.post("/webhooks", {"url": receiver.url()}).status_code == 403
    assert manager.get("/webhooks").status_code == 403
    assert manager.delete(f"/webhooks/{created['id']}").status_code == 403
    assert two.post("/webhooks", {"url": "ftp://example.org/x"}).status_code == 422
    assert two.post("/webhooks", {"url": receiver.url(), "event_types": ["nope"]}).status_code == (
        422
    )


def test_webhook_events_arrive_in_order_and_signed_per_standard_webhooks(
    two: Api, runtime: Runtime, receiver: Receiver
) -> None:
    hook = webhook(two, receiver.url())
    lifecycle(two)

    report = deliver_webhooks_once(runtime)

    assert (report.delivered, report.failed_webhooks) == (6, 0)
    assert receiver.events() == feed(two)["items"]
    verifier = Webhook(hook["secret"])
    for _, headers, body in receiver.received:
        event = json.loads(body)
        assert verifier.verify(body, headers) == event
        assert headers["webhook-id"] == f"evt_{event['id']}"
        assert headers["X-Creditdesk-Event"] == event["type"]
        with pytest.raises(WebhookVerificationError):
            Webhook(OTHER_SECRET).verify(body, headers)
    with pytest.raises(WebhookVerificationError):
        verifier.verify(b"{}", receiver.received[0][1])
    assert the_webhook(two, hook["id"])["delivered_up_to"] == feed(two)["next_after"]
    assert deliver_webhooks_once(runtime).delivered == 0
    assert len(receiver.received) == 6


def test_a_delivery_signed_longer_ago_than_the_tolerance_is_refused_by_the_receiver(
    two: Api, runtime: Runtime, receiver: Receiver
) -> None:
    hook = webhook(two, receiver.url())
    hold_of(two, "FI01", "SO-1")
    runtime.clock = NowClock(-timedelta(minutes=6))  # a delivery replayed six minutes later

    assert deliver_webhooks_once(runtime).delivered == 1

    [(_, headers, body)] = receiver.received
    with pytest.raises(WebhookVerificationError, match="too old"):
        Webhook(hook["secret"]).verify(body, headers)
    runtime.clock = NowClock(-timedelta(minutes=4))  # within the five minutes
    hold_of(two, "FI01", "SO-2")
    deliver_webhooks_once(runtime)
    _, headers, body = receiver.received[1]
    assert Webhook(hook["secret"]).verify(body, headers)["key"]


def test_a_failing_receiver_is_retried_with_backoff_and_gets_every_event_once_it_recovers(
    two: Api, runtime: Runtime, receiver: Receiver
) -> None:
    clock = FixedClock("2026-11-23", hour=12)
    runtime.clock = clock
    hook = webhook(two, receiver.url())
    lifecycle(two)
    receiver.status = 500

    first = deliver_webhooks_once(runtime)

    assert (first.delivered, first.failed_webhooks) == (0, 1)
    failing = the_webhook(two, hook["id"])
    assert failing["failures"] == 1
    assert failing["last_error"] == "http_status_5xx"
    assert failing["next_attempt_at"] == (clock.now() + timedelta(seconds=5)).isoformat().replace(
        "+00:00", "Z"
    )
    assert failing["delivered_up_to"] == hook["delivered_up_to"]
    assert deliver_webhooks_once(runtime).failed_webhooks == 0  # not due yet: no attempt
    assert len(receiver.received) == 1

    clock.advance(seconds=5)
    assert deliver_webhooks_once(runtime).failed_webhooks == 1
    again = the_webhook(two, hook["id"])
    assert again["failures"] == 2
    assert again["next_attempt_at"] == (clock.now() + timedelta(seconds=10)).isoformat().replace(
        "+00:00", "Z"
    )

    receiver.status = 200
    clock.advance(seconds=10)
    recovered = deliver_webhooks_once(runtime)

    assert (recovered.delivered, recovered.failed_webhooks) == (6, 0)
    assert [e["id"] for e in receiver.events()][2:] == [e["id"] for e in feed(two)["items"]]
    healthy = the_webhook(two, hook["id"])
    assert (healthy["failures"], healthy["next_attempt_at"], healthy["last_error"]) == (
        0,
        None,
        None,
    )


def test_an_unreachable_receiver_counts_as_a_failure(two: Api, runtime: Runtime) -> None:
    server = Receiver()  # bound but never served: then closed, so the port refuses
    url = server.url()
    server.server.server_close()
    hook = webhook(two, url)
    lifecycle(two)

    report = deliver_webhooks_once(runtime)

    assert report.failed_webhooks == 1
    failing = the_webhook(two, hook["id"])
    assert failing["failures"] == 1
    assert failing["last_error"] == "connection_refused"  # a category, not the socket's text


def test_a_webhook_gets_only_the_event_types_and_legal_entities_it_asked_for(
    two: Api, runtime: Runtime, receiver: Receiver
) -> None:
    webhook(two, receiver.url("/released"), event_types=["hold.released"])
    webhook(two, receiver.url("/no01"), legal_entities=["NO01"])
    lifecycle(two, "FI01")
    lifecycle(two, "NO01")

    deliver_webhooks_once(runtime)

    assert [(e["type"], e["legal_entity"]) for e in receiver.events("/released")] == [
        ("hold.released", "FI01"),
        ("hold.released", "NO01"),
    ]
    no01 = receiver.events("/no01")
    assert len(no01) == 6
    assert {e["legal_entity"] for e in no01} == {"NO01"}


def test_a_webhook_created_later_gets_only_later_events_unless_from_start(
    two: Api, runtime: Runtime, receiver: Receiver
) -> None:
    hold_id = hold_of(two, "FI01", "SO-1")
    webhook(two, receiver.url("/later"))
    webhook(two, receiver.url("/all"), from_start=True)
    assert two.post(f"/credit-holds/{hold_id}/release", {"reason": "AUTO"}).status_code == 200

    deliver_webhooks_once(runtime)

    assert [e["type"] for e in receiver.events("/later")] == ["hold.released"]
    assert [e["type"] for e in receiver.events("/all")] == ["hold.placed", "hold.released"]


def test_a_deleted_webhook_gets_nothing_more(
    two: Api, runtime: Runtime, receiver: Receiver
) -> None:
    hook = webhook(two, receiver.url())

    assert two.delete(f"/webhooks/{hook['id']}").status_code == 204
    lifecycle(two)
    deliver_webhooks_once(runtime)

    assert receiver.received == []
    assert two.get("/webhooks").json()["items"] == []
    assert two.delete(f"/webhooks/{hook['id']}").status_code == 404


# --- where deliveries go ------------------------------------------------------------------------


def test_a_delivery_connects_to_the_checked_address_and_names_the_host(
    two: Api, runtime: Runtime, receiver: Receiver
) -> None:
    port = receiver.server.server_address[1]
    runtime.resolve_host = FakeResolver({"erp.example.test": ["127.0.0.1"]})
    hook = webhook(two, f"http://erp.example.test:{port}/hook")
    hold_of(two, "FI01", "SO-1")

    assert deliver_webhooks_once(runtime).delivered == 1

    [(path, headers, body)] = receiver.received
    assert (path, headers["Host"]) == ("/hook", f"erp.example.test:{port}")
    assert Webhook(hook["secret"]).verify(body, headers)["type"] == "hold.placed"


def test_a_name_that_resolves_to_a_refused_address_at_delivery_is_not_delivered_to(
    two: Api, runtime: Runtime, receiver: Receiver
) -> None:
    port = receiver.server.server_address[1]
    resolver = FakeResolver({"erp.example.test": ["93.184.216.34"]})  # public at creation
    runtime.resolve_host = resolver
    runtime.webhook_allow_private = False
    hook = webhook(two, f"http://erp.example.test:{port}/hook")
    resolver.names["erp.example.test"] = ["127.0.0.1"]  # DNS rebinding: now the loopback
    hold_of(two, "FI01", "SO-1")

    report = deliver_webhooks_once(runtime)

    assert (report.delivered, report.failed_webhooks) == (0, 1)
    assert receiver.received == []
    failing = the_webhook(two, hook["id"])
    assert (failing["last_error"], failing["delivered_up_to"]) == (
        "address_not_allowed",
        hook["delivered_up_to"],
    )
    assert resolver.asked == ["erp.example.test", "erp.example.test"]


def test_a_name_that_stops_resolving_fails_delivery_as_a_dns_error(
    two: Api, runtime: Runtime
) -> None:
    resolver = FakeResolver({"erp.example.test": ["127.0.0.1"]})
    runtime.resolve_host = resolver
    hook = webhook(two, "http://erp.example.test/hook")
    del resolver.names["erp.example.test"]
    hold_of(two, "FI01", "SO-1")

    assert deliver_webhooks_once(runtime).failed_webhooks == 1
    assert the_webhook(two, hook["id"])["last_error"] == "dns_error"


def test_metadata_addresses_stay_refused_even_where_private_addresses_are_allowed(
    two: Api, runtime: Runtime
) -> None:
    runtime.resolve_host = FakeResolver({"meta.example.test": ["169.254.169.254"]})

    for url in (
        "http://169.254.169.254/latest/meta-data/",
        "http://[fd00:ec2::254]/",
        "http://[::ffff:169.254.169.254]/",
        "http://meta.example.test/",
    ):
        Api.problem(two.post("/webhooks", {"url": url}), 422, "webhook_url_not_allowed")
    assert two.get("/webhooks").json()["items"] == []


def test_a_tls_handshake_that_fails_is_reported_as_a_tls_error(
    two: Api, runtime: Runtime, receiver: Receiver
) -> None:
    hook = webhook(two, receiver.url().replace("http://", "https://"))  # it speaks plain HTTP
    hold_of(two, "FI01", "SO-1")

    assert deliver_webhooks_once(runtime).failed_webhooks == 1
    assert the_webhook(two, hook["id"])["last_error"] == "tls_error"
