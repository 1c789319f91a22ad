"""Security headers on every response: a Content-Security-Policy that allows no inline script
and nothing from another origin (so an injected ``<script>`` or a hostile CDN runs nothing),
no framing by other sites (clickjacking), no content sniffing, and no full URLs in the
Referer sent elsewhere. Plain ASGI, like the request guards in ``app``."""

from __future__ import annotations

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

_COMMON = (
    "default-src 'self'; script-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'; connect-src 'self'; font-src 'self'"
)
PAGES_POLICY = f"{_COMMON}; style-src 'self'; img-src 'self'"
"""The web app: its own files only (the credit meter is sized by class, not inline style)."""
DOCS_POLICY = f"{_COMMON}; style-src 'self' 'unsafe-inline'; img-src 'self' data:"
"""Swagger UI at /api/docs: still no inline script, but its React sets inline styles and its
icons are data: images."""
DOCS_PREFIX = "/api/docs"


class SecurityHeaders:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = str(scope.get("path", "")).startswith(DOCS_PREFIX)

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers["Content-Security-Policy"] = DOCS_POLICY if docs else PAGES_POLICY
                headers["X-Frame-Options"] = "DENY"
                headers["X-Content-Type-Options"] = "nosniff"
                headers["Referrer-Policy"] = "same-origin"
            await send(message)

        await self.app(scope, receive, with_headers)
