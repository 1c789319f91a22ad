"""Sends webhook POSTs with httpx, signed per Standard Webhooks with ``standardwebhooks``.

The sender connects to an address the service layer has checked, never to a fresh resolution
of the host name: the URL's host is replaced by the address, the ``Host`` header keeps the
name, and for https the TLS handshake (SNI and certificate check) uses the name too.
"""

from __future__ import annotations

import logging
import socket
import ssl
from collections.abc import Sequence

import httpx
from standardwebhooks import Webhook

from creditdesk.domain.events import DeliveryError
from creditdesk.service_layer.ports import DeliveryFailedError, WebhookMessage

logger = logging.getLogger("creditdesk.webhooks")


def resolve_host(host: str, port: int) -> list[str]:
    """The addresses of a host name, in the system resolver's order, without repeats."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return list(dict.fromkeys(str(info[4][0]) for info in infos))


def signed_headers(message: WebhookMessage) -> dict[str, str]:
    """The message's headers plus ``webhook-id``, ``webhook-timestamp`` and
    ``webhook-signature`` (``v1,<base64 HMAC-SHA256 of "id.timestamp.body">``)."""
    signature = Webhook(message.secret).sign(message.id, message.at, message.body.decode())
    return message.headers | {
        "webhook-id": message.id,
        "webhook-timestamp": str(int(message.at.timestamp())),
        "webhook-signature": signature,
    }


def _category(error: httpx.HTTPError) -> DeliveryError:
    """What went wrong, from the exception and its causes (httpx wraps the socket's error)."""
    if isinstance(error, httpx.TimeoutException):
        return DeliveryError.TIMEOUT
    if isinstance(error, httpx.ProtocolError):
        return DeliveryError.PROTOCOL_ERROR
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return DeliveryError.TLS_ERROR
        if isinstance(cause, ConnectionRefusedError):
            return DeliveryError.CONNECTION_REFUSED
        if isinstance(cause, TimeoutError):
            return DeliveryError.TIMEOUT
        cause = cause.__cause__ or cause.__context__
    return DeliveryError.CONNECTION_FAILED


class HttpxWebhookSender:
    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self._client = httpx.Client(timeout=timeout_seconds, follow_redirects=False)

    def post(self, url: str, addresses: Sequence[str], message: WebhookMessage) -> int:
        """Try the checked addresses in order until one connects; the answer's body is not
        read (a receiver cannot make the server download anything)."""
        try:
            target = httpx.URL(url)
            pinned_urls = [target.copy_with(host=address) for address in addresses]
        except httpx.InvalidURL:
            raise DeliveryFailedError(DeliveryError.INVALID_URL) from None
        headers = signed_headers(message) | {"Host": target.netloc.decode("ascii")}
        sni = target.raw_host.decode("ascii")
        extensions = {"sni_hostname": sni} if target.scheme == "https" else {}
        failure = DeliveryError.DNS_ERROR
        for address, pinned in zip(addresses, pinned_urls, strict=True):
            try:
                with self._client.stream(
                    "POST", pinned, content=message.body, headers=headers, extensions=extensions
                ) as response:
                    return response.status_code
            except httpx.HTTPError as error:
                failure = _category(error)
                logger.info("webhook delivery to %s (%s) failed: %r", target.host, address, error)
                if not isinstance(error, httpx.ConnectError | httpx.ConnectTimeout):
                    break  # connected, then failed: another address would get a duplicate
        raise DeliveryFailedError(failure)

    def close(self) -> None:
        self._client.close()
