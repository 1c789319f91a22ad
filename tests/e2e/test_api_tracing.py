"""Optional OpenTelemetry tracing (the ``otel`` extra, ``CREDITDESK_OTEL=true``): every request
but the probes becomes a span; without the extra the server refuses to start with a clear
message."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.service_layer.runtime import Runtime
from tests.support import ADMIN_TOKEN

SCOPE = "opentelemetry.instrumentation.fastapi"


@pytest.fixture
def exporter(monkeypatch: pytest.MonkeyPatch) -> Iterator[InMemorySpanExporter]:
    """Spans of the instrumentation into memory, through a provider of the test's own (the
    process-wide provider can be set only once, and would trace every later test)."""
    memory = InMemorySpanExporter()
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(memory))
    original = FastAPIInstrumentor.instrument_app

    def instrument_app(app: Any, **kwargs: Any) -> None:
        original(app, tracer_provider=provider, **kwargs)

    monkeypatch.setattr(FastAPIInstrumentor, "instrument_app", instrument_app)
    yield memory
    provider.shutdown()


def instrumented_spans(exporter: InMemorySpanExporter) -> list[str]:
    """Names of the spans of the FastAPI instrumentation."""
    return [
        span.name
        for span in exporter.get_finished_spans()
        if span.instrumentation_scope is not None and span.instrumentation_scope.name == SCOPE
    ]


def test_with_otel_every_request_but_the_probes_is_a_span(
    settings: Settings, runtime: Runtime, exporter: InMemorySpanExporter
) -> None:
    app = create_app(settings.model_copy(update={"otel": True}), runtime)
    with TestClient(app) as client:
        assert client.get("/api/v1/health").status_code == 200
        r = client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
        assert r.status_code == 200
    names = instrumented_spans(exporter)
    assert "GET /api/v1/tokens" in names, names
    assert not any("/api/v1/health" in name for name in names), names


def test_without_otel_the_instrumentation_makes_no_span(
    settings: Settings, runtime: Runtime, exporter: InMemorySpanExporter
) -> None:
    with TestClient(create_app(settings, runtime)) as client:
        client.get("/api/v1/tokens", headers={"Authorization": f"Bearer {ADMIN_TOKEN}"})
    assert instrumented_spans(exporter) == []


def test_otel_without_the_extra_stops_the_start_naming_the_extra(
    settings: Settings, runtime: Runtime, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as if not installed: an import of a module whose sys.modules entry is None fails
    monkeypatch.setitem(sys.modules, "opentelemetry.instrumentation.fastapi", None)
    with pytest.raises(RuntimeError, match=r"creditdesk\[otel\]"):
        create_app(settings.model_copy(update={"otel": True}), runtime)
