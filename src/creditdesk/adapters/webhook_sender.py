"""Sends webhook POSTs with httpx."""

from __future__ import annotations

import httpx


class HttpxWebhookSender:
    def __init__(self, timeout_seconds: float = 10.0) -> None:
        self._client = httpx.Client(timeout=timeout_seconds, follow_redirects=False)

    def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            return self._client.post(url, content=body, headers=headers).status_code
        except httpx.HTTPError as error:
            raise OSError(str(error)) from error

    def close(self) -> None:
        self._client.close()
