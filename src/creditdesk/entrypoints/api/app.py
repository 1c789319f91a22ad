"""The FastAPI application factory (nothing is built at import time)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request, Response
from fastapi.responses import RedirectResponse

from creditdesk import __version__
from creditdesk.bootstrap import build_runtime, dispose, start_webhook_dispatcher
from creditdesk.config import Settings
from creditdesk.entrypoints.api import errors
from creditdesk.entrypoints.api.routers import credit, customers, documents, events, setup
from creditdesk.service_layer.runtime import Runtime

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

    for router in (setup.router, customers.router, documents.router, credit.router, events.router):
        app.include_router(router, prefix="/api/v1")

    @app.get("/", include_in_schema=False)
    def root() -> RedirectResponse:
        return RedirectResponse("/api/docs")

    return app
