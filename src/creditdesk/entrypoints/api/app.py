"""The FastAPI application factory (nothing is built at import time)."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditdesk import __version__
from creditdesk.bootstrap import build_runtime, dispose, start_webhook_dispatcher
from creditdesk.config import Settings
from creditdesk.entrypoints.api import errors
from creditdesk.entrypoints.api.routers import (
    batch,
    credit,
    customers,
    documents,
    events,
    lifecycle,
    setup,
    workflows,
)
from creditdesk.entrypoints.web import app as web
from creditdesk.service_layer.runtime import Runtime

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


class BodyLimit:
    """Refuse a body without Content-Length (chunked) that grows past the limit: read it
    up to the limit before the app sees it (the middleware in ``create_app`` refuses a
    declared Content-Length that is too large without reading anything)."""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        if scope["type"] != "http" or b"content-length" in headers:
            await self.app(scope, receive, send)
            return
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > self.limit:
                response = errors.problem(
                    413, "body_too_large", f"the request body is larger than {self.limit} bytes"
                )
                await response(scope, receive, send)
                return
            chunks.append(chunk)
            more = bool(message.get("more_body", False))
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


DESCRIPTION = """Customer credit management across legal entities: credit limits, shared
group limits, exposure from pushed documents, the credit check at each posting step and the
hold list. Money is `{"amount": "12.50", "currency": "EUR"}`; errors are RFC 9457 problem
documents with a stable `code`."""


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    owned = runtime is None
    rt = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        dispatcher = start_webhook_dispatcher(rt, settings) if settings.deliver_webhooks else None
        yield
        if dispatcher is not None:
            dispatcher.stop()
        if owned:
            dispose(rt)

    app = FastAPI(
        title="creditdesk",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url="/api/docs",
        redoc_url=None,
        lifespan=lifespan,
    )
    app.state.runtime = rt
    app.state.settings = settings
    errors.install(app)

    @app.middleware("http")
    async def limit_body_size(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        length = request.headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > settings.max_body_bytes):
            return errors.problem(
                413,
                "body_too_large",
                f"the request body is larger than {settings.max_body_bytes} bytes",
            )
        return await call_next(request)

    @app.middleware("http")
    async def refuse_control_characters(
        request: Request, call_next: Callable[[Request], Awaitable[Response]]
    ) -> Response:
        # NUL and other control characters in a path or query are never data (PostgreSQL
        # cannot even store NUL): refuse them before they reach a use case
        query = request.query_params
        texts = [str(request.scope.get("path", "")), *query.keys(), *query.values()]
        if any(_CONTROL.search(text) for text in texts):
            return errors.problem(
                422, "invalid_characters", "the path or query contains control characters"
            )
        return await call_next(request)

    app.add_middleware(BodyLimit, limit=settings.max_body_bytes)

    for router in (
        setup.router,
        customers.router,
        documents.router,
        credit.router,
        events.router,
        workflows.router,
        lifecycle.router,
        batch.router,
    ):
        app.include_router(router, prefix="/api/v1")
    errors.document_problems(app)  # every error response is a documented problem document

    web.install(app, rt, secret=settings.session_secret)  # the web app at /, files at /static

    return app
