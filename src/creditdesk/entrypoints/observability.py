"""What an operations team watches: structured logs (JSON, or plain text for a terminal)
that carry the request id, one access-log line per request, and Prometheus metrics."""

from __future__ import annotations

import logging
import sys
import time
import uuid
from collections.abc import Iterator
from typing import IO, Any

import structlog
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from creditdesk.config import Settings
from creditdesk.entrypoints.api import errors
from creditdesk.service_layer import operations
from creditdesk.service_layer.runtime import Runtime

_HANDLER = "creditdesk"
_MAX_REQUEST_ID = 128
access_logger = structlog.stdlib.get_logger("creditdesk.access")
_ACCESS = logging.getLogger("creditdesk.access")
logger = logging.getLogger("creditdesk")


def _drop_message(_: Any, __: str, event: dict[str, Any]) -> dict[str, Any]:
    """A stdlib record's formatted ``message`` repeats ``event``."""
    event.pop("message", None)
    return event


class _NoMigrationChatter(logging.Filter):
    """Alembic says which dialect it uses each time a migration context is made, and the
    readiness probe makes one every few seconds: drop those two lines, keep the migrations'."""

    CHATTER = ("Context impl %s.", "Will assume %s DDL.")

    def filter(self, record: logging.LogRecord) -> bool:
        return not (record.name.startswith("alembic") and record.msg in self.CHATTER)


class _Stderr(logging.StreamHandler[IO[str]]):
    """Writes to whatever ``sys.stderr`` is when a record comes (a harness may swap it)."""

    @property
    def stream(self) -> IO[str]:
        return sys.stderr

    @stream.setter
    def stream(self, _: IO[str]) -> None:
        pass


def configure_logging(settings: Settings, stream: IO[str] | None = None) -> None:
    """Route every log record (creditdesk's, uvicorn's, libraries') through one handler that
    writes JSON lines or, with ``CREDITDESK_LOG_FORMAT=text``, readable lines; both carry
    the request id bound for the request being served."""
    shared: list[Any] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.stdlib.ExtraAdder(),
        _drop_message,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    renderer: Any = (
        structlog.processors.JSONRenderer()
        if settings.log_format == "json"
        else structlog.dev.ConsoleRenderer(colors=False)
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            renderer,
        ],
    )
    handler = logging.StreamHandler(stream) if stream is not None else _Stderr()
    handler.setFormatter(formatter)
    handler.addFilter(_NoMigrationChatter())
    handler.set_name(_HANDLER)
    root = logging.getLogger()
    for old in [h for h in root.handlers if h.get_name() == _HANDLER]:
        root.removeHandler(old)  # set up again (a test, a second command): replace ours only
    root.addHandler(handler)
    root.setLevel(settings.log_level)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).handlers = []
        logging.getLogger(name).propagate = True
    structlog.configure(
        processors=[
            structlog.stdlib.filter_by_level,  # an access line below the level costs nothing
            *shared,
            structlog.stdlib.ProcessorFormatter.wrap_for_formatter,
        ],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=False,  # set up again later in the same process (tests)
    )


def valid_request_id(value: str) -> bool:
    """At most 128 visible ASCII characters (API.md v1.1): anything else is replaced."""
    return 0 < len(value) <= _MAX_REQUEST_ID and all("!" <= ch <= "~" for ch in value)


class OperationsCollector(Collector):
    """Gauges read from the database when Prometheus scrapes: open holds per legal entity
    and outbox events some webhook has not had yet."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def describe(self) -> Iterator[Metric]:
        return iter(())  # registering must not read the database (it may not be migrated)

    def collect(self) -> Iterator[Metric]:
        try:
            figures = operations.gauges(self._runtime)
        except Exception:  # a scrape must not fail because the database is down
            logger.warning("metrics: the database gauges could not be read", exc_info=True)
            return
        holds = GaugeMetricFamily(
            "creditdesk_open_holds", "Open credit holds", labels=["legal_entity"]
        )
        for legal_entity, count in sorted(figures.open_holds.items()):
            holds.add_metric([legal_entity], count)
        yield holds
        yield GaugeMetricFamily(
            "creditdesk_outbox_pending_events",
            "Outbox events not yet delivered to every active webhook",
            value=figures.outbox_pending,
        )


class Metrics:
    """The metrics of one application (its own registry: several apps in one process, as in
    the tests, never clash). Counters are per process; Prometheus sums the processes."""

    def __init__(self, runtime: Runtime) -> None:
        self.registry = CollectorRegistry()
        self.credit_checks = Counter(
            "creditdesk_credit_checks",
            "Credit checks by decision",
            ["decision"],
            registry=self.registry,
        )
        self.credit_check_seconds = Histogram(
            "creditdesk_credit_check_seconds",
            "Time to run a credit check",
            registry=self.registry,
            buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
        )
        self.http_requests = Counter(
            "creditdesk_http_requests",
            "HTTP requests answered, by status",
            ["status"],
            registry=self.registry,
        )
        self.registry.register(OperationsCollector(runtime))

    def record_check(self, decision: str, seconds: float) -> None:
        self.credit_checks.labels(decision=decision).inc()
        self.credit_check_seconds.observe(seconds)

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


class RequestContext:
    """Give every request an id (the caller's ``X-Request-ID`` when valid), bind it to the
    log context, answer it in the response header, count the response by status and write
    the access-log line. Plain ASGI, like the other middlewares (see ``RequestGuard``)."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = ""
        for name, value in scope.get("headers") or ():
            if name == b"x-request-id":
                request_id = value.decode("latin-1")
                break
        if not valid_request_id(request_id):
            request_id = uuid.uuid4().hex
        started = time.perf_counter()
        status = 500
        header = (b"x-request-id", request_id.encode("ascii"))

        started_response = False

        async def send_with_id(message: Message) -> None:
            nonlocal status, started_response
            if message["type"] == "http.response.start":
                started_response = True
                status = int(message["status"])
                message["headers"] = [*message.get("headers", []), header]
            await send(message)

        with structlog.contextvars.bound_contextvars(request_id=request_id):
            try:
                await self.app(scope, receive, send_with_id)
            except Exception as exc:
                # a bug: answered here, not by Starlette's outermost error middleware, so
                # that its log line and its 500 answer carry the request id too
                if started_response:
                    raise
                response = await errors.on_unexpected(Request(scope), exc)
                await response(scope, receive, send_with_id)
            finally:
                self.metrics.http_requests.labels(status=str(status)).inc()
                if _ACCESS.isEnabledFor(logging.INFO):  # a cached check: no line, no cost
                    access_logger.info(
                        "request",
                        method=scope.get("method"),
                        path=scope.get("path"),
                        status=status,
                        duration_ms=round((time.perf_counter() - started) * 1000, 2),
                        client=(scope.get("client") or ("", 0))[0],
                    )
