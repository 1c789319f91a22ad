"""Operations through the API (API.md v1.1 "Operations"): readiness follows the schema,
Prometheus metrics move with credit checks and requests, every response carries a request
id, and the log line of a request carries the same id."""

from __future__ import annotations

import io
import json
import logging
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import structlog
from fastapi.testclient import TestClient

from creditdesk import __version__
from creditdesk.bootstrap import schema_head, upgrade_database
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.observability import configure_logging
from tests.support import ADMIN_TOKEN, Api


def metric(text: str, name: str, **labels: str) -> float | None:
    """The value of one sample in the Prometheus text format (None when absent)."""
    wanted = ",".join(f'{k}="{v}"' for k, v in sorted(labels.items()))
    pattern = re.escape(name) + (r"\{" + re.escape(wanted) + r"\}" if labels else "") + r" (\S+)"
    found = re.search("^" + pattern + "$", text, re.MULTILINE)
    return float(found.group(1)) if found else None


def scrape(api: Api, token: str = ADMIN_TOKEN) -> str:
    r = api.client.get("/metrics", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/plain")
    return r.text


def test_ready_answers_the_schema_revision_and_version(api: Api) -> None:
    r = api.client.get("/api/v1/ready")
    assert r.status_code == 200, r.text
    assert r.json() == {"database": "ok", "schema": schema_head(), "version": __version__}


def test_ready_answers_503_before_the_migrations_and_200_after(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'fresh.db'}"
    settings = Settings(
        database_url=url, admin_token="ready-admin", deliver_webhooks=False, scheduler=False
    )
    admin = {"Authorization": "Bearer ready-admin"}
    with TestClient(create_app(settings)) as client:
        before = client.get("/api/v1/ready")
        assert before.status_code == 503
        assert before.json() == {"database": "ok", "schema": None, "version": __version__}
        assert client.get("/api/v1/health").status_code == 200  # liveness stays cheap
        upgrade_database(url)
        after = client.get("/api/v1/ready")
        assert after.status_code == 200
        assert after.json()["schema"] == schema_head()
        # the admin token waited for the schema and works once readiness found it current
        assert client.get("/api/v1/legal-entities", headers=admin).status_code == 200


def test_ready_answers_503_when_the_database_does_not_answer() -> None:
    url = "postgresql+psycopg://nobody@127.0.0.1:9/nothing?connect_timeout=2"  # discard port
    settings = Settings(
        database_url=url, admin_token="down-admin", deliver_webhooks=False, scheduler=False
    )
    with TestClient(create_app(settings)) as client:  # starts although the token must wait
        r = client.get("/api/v1/ready")
    assert r.status_code == 503
    assert r.json()["database"] == "unavailable"


def test_metrics_need_the_admin_or_the_metrics_token(settings: Settings, api: Api) -> None:
    assert api.client.get("/metrics").status_code == 401
    viewer = api.new_token("viewer")
    r = api.client.get("/metrics", headers={"Authorization": f"Bearer {viewer}"})
    Api.problem(r, 403, "forbidden")
    scrape(api)
    with_token = settings.model_copy(update={"metrics_token": "scrape-me"})
    with TestClient(create_app(with_token, api.client.app.state.runtime)) as client:  # type: ignore[attr-defined]
        ok = client.get("/metrics", headers={"Authorization": "Bearer scrape-me"})
        bad = client.get("/metrics", headers={"Authorization": "Bearer scrape-you"})
    assert ok.status_code == 200
    assert bad.status_code == 401


def test_metrics_move_with_credit_checks_holds_and_requests(api: Api) -> None:
    api.legal_entity("FI01")
    api.customer("FI01", "C100", "100.00 EUR")
    api.order("FI01", "SO-1", "C100", "500.00 EUR")
    api.customer("FI01", "C200", "1000.00 EUR")
    api.order("FI01", "SO-2", "C200", "50.00 EUR")
    before = scrape(api)
    assert metric(before, "creditdesk_credit_checks_total", decision="on_hold") is None
    assert metric(before, "creditdesk_credit_check_seconds_count") == 0
    assert metric(before, "creditdesk_outbox_pending_events") == 0

    # a public address literal: no name to resolve, never called (delivery is off here)
    hook = api.post("/webhooks", {"url": "https://93.184.215.14/hooks", "from_start": True})
    assert hook.status_code == 201, hook.text
    assert api.check("FI01", "SO-1")["decision"] == "on_hold"
    assert api.check("FI01", "SO-2")["decision"] == "passed"
    Api.problem(api.get("/credit-checks/chk_nope"), 404, "credit_check_not_found")

    after = scrape(api)
    assert metric(after, "creditdesk_credit_checks_total", decision="on_hold") == 1
    assert metric(after, "creditdesk_credit_checks_total", decision="passed") == 1
    assert metric(after, "creditdesk_credit_check_seconds_count") == 2
    assert metric(after, "creditdesk_open_holds", legal_entity="FI01") == 1
    assert metric(after, "creditdesk_outbox_pending_events") == 1  # the hold placed
    ok_before = metric(before, "creditdesk_http_requests_total", status="200") or 0
    assert (
        metric(after, "creditdesk_http_requests_total", status="200") == ok_before + 3
    )  # the first scrape, two checks
    assert metric(after, "creditdesk_http_requests_total", status="404") == 1


@pytest.mark.parametrize(
    ("sent", "kept"),
    [
        ("order-4711/retry:2", True),
        ("x" * 128, True),
        ("x" * 129, False),
        ("with space", False),
        ("ääkkönen", False),
        ("", False),
    ],
)
def test_every_response_carries_the_callers_request_id_or_a_new_one(
    api: Api, sent: str, kept: bool
) -> None:
    r = api.client.get("/api/v1/health", headers={b"X-Request-ID": sent.encode()})
    answered = r.headers["X-Request-ID"]
    if kept:
        assert answered == sent
    else:
        assert re.fullmatch(r"[0-9a-f]{32}", answered), answered


def test_refusals_and_errors_carry_a_request_id_too(api: Api) -> None:
    too_big = api.client.post(
        "/api/v1/batch", content=b"x", headers={"Content-Length": "99999999", "X-Request-ID": "r1"}
    )
    assert too_big.status_code == 413
    assert too_big.headers["X-Request-ID"] == "r1"
    unauthenticated = api.client.get("/api/v1/tokens", headers={"X-Request-ID": "r2"})
    assert unauthenticated.status_code == 401
    assert unauthenticated.headers["X-Request-ID"] == "r2"
    two = {api.client.get("/api/v1/health").headers["X-Request-ID"] for _ in range(2)}
    assert len(two) == 2


@pytest.fixture
def log_stream() -> Iterator[io.StringIO]:
    """Logging set up as the server sets it, writing to a buffer; put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    stream = io.StringIO()
    yield stream
    root.handlers, root.level = handlers, level
    structlog.reset_defaults()


def test_a_requests_json_log_line_carries_its_request_id(
    api: Api, settings: Settings, log_stream: io.StringIO
) -> None:
    configure_logging(settings.model_copy(update={"log_format": "json"}), log_stream)
    r = api.client.get("/api/v1/health", headers={"X-Request-ID": "trace-me-42"})
    assert r.status_code == 200
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    [access] = [line for line in lines if line.get("request_id") == "trace-me-42"]
    assert access["logger"] == "creditdesk.access"
    assert access["event"] == "request"
    assert (access["method"], access["path"], access["status"]) == ("GET", "/api/v1/health", 200)
    assert access["duration_ms"] >= 0
    assert access["level"] == "info"
    assert access["timestamp"].endswith("Z")


def test_an_error_logged_while_serving_a_request_carries_its_request_id(
    api: Api, settings: Settings, log_stream: io.StringIO
) -> None:
    configure_logging(settings.model_copy(update={"log_format": "json"}), log_stream)
    api.client.app.state.runtime.aging_queries = None  # type: ignore[attr-defined]
    api.legal_entity("FI01")
    client = TestClient(api.client.app, raise_server_exceptions=False)
    r = client.get(
        "/api/v1/legal-entities/FI01/aged-balances",
        headers={"Authorization": f"Bearer {ADMIN_TOKEN}", "X-Request-ID": "boom-1"},
    )
    assert r.status_code == 500
    assert r.json()["code"] == "internal_error"
    assert r.headers["X-Request-ID"] == "boom-1"
    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert {line["logger"] for line in lines if line.get("request_id") == "boom-1"} >= {
        "creditdesk.api",
        "creditdesk.access",
    }


def test_logs_can_be_plain_text_for_a_terminal(
    api: Api, settings: Settings, log_stream: io.StringIO
) -> None:
    configure_logging(settings.model_copy(update={"log_format": "text"}), log_stream)
    api.client.get("/api/v1/health", headers={"X-Request-ID": "plain-7"})
    [line] = [line for line in log_stream.getvalue().splitlines() if "plain-7" in line]
    assert not line.startswith("{")
    assert "request_id=plain-7" in line
    assert "status=200" in line


def test_at_warning_level_there_are_no_access_lines(
    api: Api, settings: Settings, log_stream: io.StringIO
) -> None:
    configure_logging(settings.model_copy(update={"log_level": "WARNING"}), log_stream)
    r = api.client.get("/api/v1/health", headers={"X-Request-ID": "quiet-1"})
    assert r.headers["X-Request-ID"] == "quiet-1"
    assert "quiet-1" not in log_stream.getvalue()


def test_readiness_probes_do_not_fill_the_log_with_migration_chatter(
    api: Api, settings: Settings, log_stream: io.StringIO
) -> None:
    configure_logging(settings.model_copy(update={"log_format": "json"}), log_stream)
    for _ in range(3):
        assert api.client.get("/api/v1/ready").status_code == 200

    lines = [json.loads(line) for line in log_stream.getvalue().splitlines()]
    assert [line for line in lines if line["logger"].startswith("alembic")] == []
    assert len([line for line in lines if line.get("path") == "/api/v1/ready"]) == 3


def test_log_settings_take_any_case_and_refuse_anything_else() -> None:
    settings = Settings(log_level="info", log_format="JSON")
    assert (settings.log_level, settings.log_format) == ("INFO", "json")
    with pytest.raises(ValueError, match="'json' or 'text'"):
        Settings(log_format="xml")
