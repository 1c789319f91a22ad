"""The FastAPI application factory (nothing is built at import time)."""

from __future__ import annotations

import importlib
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Response
from starlette.datastructures import QueryParams
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditdesk import __version__
from creditdesk.bootstrap import (
    build_runtime,
    dispose,
    process_name,
    schema_head,
    start_scheduler,
    start_wal_checkpointer,
    start_webhook_dispatcher,
)
from creditdesk.config import Settings
from creditdesk.domain.identifiers import id_problem
from creditdesk.entrypoints.api import docs, errors
from creditdesk.entrypoints.api.contract import TAGS, operation_id
from creditdesk.entrypoints.api.routers import (
    aging,
    batch,
    credit,
    customers,
    documents,
    events,
    lifecycle,
    operations,
    setup,
    workflows,
    worklists,
)
from creditdesk.entrypoints.api.security import SecurityHeaders
from creditdesk.entrypoints.observability import Metrics, RequestContext
from creditdesk.entrypoints.web import app as web
from creditdesk.service_layer.runtime import Runtime

_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


BATCH_SUFFIX = "/documents:batch"


def body_limit(scope: Scope, limit: int, batch_limit: int) -> int:
    """The body limit of a request: ``documents:batch`` takes 10,000 documents, far more
    than any other request needs (``Settings.max_batch_body_bytes``)."""
    return batch_limit if str(scope.get("path", "")).endswith(BATCH_SUFFIX) else limit


class RequestGuard:
    """Refuse, before any route runs, a declared Content-Length over the limit (413, nothing
    read) and control characters in the path or query (422: NUL and the like are never data,
    and PostgreSQL cannot even store NUL). Plain ASGI: Starlette's ``@app.middleware("http")``
    costs a task group and a streamed response per request, a third of a credit check's."""

    def __init__(self, app: ASGIApp, limit: int, batch_limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.batch_limit = batch_limit if batch_limit is not None else limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            refused = self._refusal(scope)
            if refused is not None:
                await refused(scope, receive, send)
                return
        await self.app(scope, receive, send)

    def _refusal(self, scope: Scope) -> Response | None:
        limit = body_limit(scope, self.limit, self.batch_limit)
        for name, value in scope.get("headers") or ():
            if name == b"content-length":
                length = value.decode("latin-1")
                if not length.isdigit() or int(length) > limit:
                    return errors.problem(
                        413,
                        "body_too_large",
                        f"the request body is larger than {limit} bytes",
                    )
        query = QueryParams(scope.get("query_string", b""))
        path = str(scope.get("path", ""))
        texts = [path, *query.keys(), *query.values()]
        if any(_CONTROL.search(text) for text in texts):
            return errors.problem(
                422, "invalid_characters", "the path or query contains control characters"
            )
        for segment in path.split("/"):
            problem = id_problem(segment) if segment else None
            if problem is not None:  # every id in a path follows the one id rule
                return errors.problem(422, "invalid_id", f"the path is not valid: {problem}")
        return None


class BodyLimit:
    """Refuse a body without Content-Length (chunked) that grows past the limit: read it
    up to the limit before the app sees it (the middleware in ``create_app`` refuses a
    declared Content-Length that is too large without reading anything)."""

    def __init__(self, app: ASGIApp, limit: int, batch_limit: int | None = None) -> None:
        self.app = app
        self.limit = limit
        self.batch_limit = batch_limit if batch_limit is not None else limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        headers = dict(scope.get("headers") or [])
        if scope["type"] != "http" or b"content-length" in headers:
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope, self.limit, self.batch_limit)
        chunks: list[bytes] = []
        size = 0
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":  # the client went away
                return
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                response = errors.problem(
                    413, "body_too_large", f"the request body is larger than {limit} bytes"
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


def _instrument(app: FastAPI) -> None:
    """OpenTelemetry tracing of every request, when the ``otel`` extra is installed (its
    exporter is set with the standard ``OTEL_*`` environment variables)."""
    try:
        module = importlib.import_module("opentelemetry.instrumentation.fastapi")
    except ImportError as error:
        raise RuntimeError(
            "CREDITDESK_OTEL=true needs the otel extra: pip install 'creditdesk[otel]'"
        ) from error
    module.FastAPIInstrumentor.instrument_app(app, excluded_urls="api/v1/health,api/v1/ready")


def create_app(settings: Settings, runtime: Runtime | None = None) -> FastAPI:
    owned = runtime is None
    rt = runtime or build_runtime(settings)

    @asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        dispatcher = start_webhook_dispatcher(rt, settings) if settings.deliver_webhooks else None
        scheduler = start_scheduler(rt, settings) if settings.scheduler else None
        checkpointer = start_wal_checkpointer(settings)
        yield
        if checkpointer is not None:
            checkpointer.stop()
        if scheduler is not None:
            scheduler.stop()
        if dispatcher is not None:
            dispatcher.stop()
        if owned:
            dispose(rt)

    app = FastAPI(
        title="creditdesk",
        version=__version__,
        description=DESCRIPTION,
        openapi_url="/api/v1/openapi.json",
        docs_url=None,  # served by `docs` from the package's files, not a CDN
        redoc_url=None,
        lifespan=lifespan,
        openapi_tags=TAGS,
        generate_unique_id_function=operation_id,
    )
    metrics = Metrics(rt)
    rt.check_observer = metrics.record_check
    app.state.runtime = rt
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.schema_head = schema_head()
    app.state.process_name = process_name()
    errors.install(app)

    batch_bytes = max(settings.max_body_bytes, settings.max_batch_body_bytes)
    app.add_middleware(BodyLimit, limit=settings.max_body_bytes, batch_limit=batch_bytes)
    app.add_middleware(RequestGuard, limit=settings.max_body_bytes, batch_limit=batch_bytes)
    # every answer, refusals included, carries the request id and is logged
    app.add_middleware(RequestContext, metrics=metrics)
    if settings.otel:
        _instrument(app)
    app.add_middleware(SecurityHeaders)  # outermost: on every response, refusals too

    for router in (
        setup.router,
        customers.router,
        documents.router,
        credit.router,
        events.router,
        workflows.router,
        lifecycle.router,
        batch.router,
        aging.router,
        operations.router,
        worklists.router,
    ):
        app.include_router(router, prefix="/api/v1")
    app.include_router(operations.metrics_router)
    errors.document_problems(app)  # every error response is a documented problem document
    docs.install(app)  # Swagger UI at /api/docs

    web.install(  # the web app at /, files at /static
        app,
        rt,
        secret=settings.session_secret,
        idle_minutes=settings.session_idle_minutes,
        lifetime_hours=settings.session_hours,
        secure_cookie=settings.session_cookie_secure,
    )

    return app
