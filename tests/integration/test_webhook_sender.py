"""The httpx webhook sender on its own: it signs per Standard Webhooks, connects only to the
addresses it is given (in order, moving on only when one does not connect), and names what went
wrong as a category. Everything listens on the loopback interface."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from standardwebhooks import Webhook

from creditdesk.adapters.webhook_sender import HttpxWebhookSender, resolve_host
from creditdesk.domain.events import DeliveryError
from creditdesk.service_layer.events import new_secret
from creditdesk.service_layer.ports import DeliveryFailedError, WebhookMessage


class Recorder(BaseHTTPRequestHandler):
    seen: list[tuple[str, dict[str, str], bytes]]

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.seen.append((self.client_address[0], dict(self.headers.items()), body))
        self.send_response(204)
        self.end_headers()

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def server() -> Iterator[tuple[int, list[tuple[str, dict[str, str], bytes]]]]:
    seen: list[tuple[str, dict[str, str], bytes]] = []
    handler = type("Handler", (Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield httpd.server_address[1], seen
    finally:
        httpd.shutdown()
        httpd.server_close()
        thread.join(timeout=5)


@pytest.fixture
def sender() -> Iterator[HttpxWebhookSender]:
    sender = HttpxWebhookSender(timeout_seconds=0.5)
    yield sender
    sender.close()


def message(secret: str) -> WebhookMessage:
    return WebhookMessage(
        id="evt_7",
        at=datetime.now(UTC),
        body=b'{"id":7}',
        secret=secret,
        headers={"Content-Type": "application/json"},
    )


def test_the_sender_moves_to_the_next_checked_address_when_one_refuses(
    server: tuple[int, list[tuple[str, dict[str, str], bytes]]], sender: HttpxWebhookSender
) -> None:
    port, seen = server
    secret = new_secret()

    # 127.0.0.2 is loopback too, but nothing listens there on this port
    status = sender.post(
        f"http://hooks.example.test:{port}/x", ["127.0.0.2", "127.0.0.1"], message(secret)
    )

    assert status == 204
    [(client, headers, body)] = seen
    assert headers["Host"] == f"hooks.example.test:{port}"
    assert Webhook(secret).verify(body, headers) == {"id": 7}
    assert client == "127.0.0.1"


def test_a_receiver_that_never_answers_is_a_timeout(sender: HttpxWebhookSender) -> None:
    with socket.socket() as listener:  # accepts connections (the backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        port = listener.getsockname()[1]

        with pytest.raises(DeliveryFailedError) as failed:
            sender.post(f"http://127.0.0.1:{port}/", ["127.0.0.1"], message(new_secret()))

    assert failed.value.category is DeliveryError.TIMEOUT
    assert str(failed.value) == "timeout"


def test_no_address_that_connects_is_connection_refused(sender: HttpxWebhookSender) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]  # closed when the block ends: nothing listens

    with pytest.raises(DeliveryFailedError) as failed:
        sender.post(f"http://127.0.0.1:{port}/", ["127.0.0.1", "127.0.0.3"], message(new_secret()))

    assert failed.value.category is DeliveryError.CONNECTION_REFUSED


def test_the_system_resolver_gives_each_address_once() -> None:
    assert resolve_host("127.0.0.1", 80) == ["127.0.0.1"]
