"""Several real server processes on one database (PostgreSQL when configured, and SQLite):
each scheduled task runs exactly once per period, webhooks are delivered once and in order,
processes that start together migrate once, readiness follows the migrations, and a request's
id is in the server's log line.

The servers are ``creditdesk serve`` subprocesses on loopback ports with a short period (2 s)
and a fast scheduler tick; a webhook receiver on 127.0.0.1 records what arrives."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections import Counter
from collections.abc import Iterator
from datetime import datetime, timedelta
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, make_url, text

from creditdesk.bootstrap import schema_head

TOKEN = "ops-admin-token"
PERIOD = 2
CREDITDESK = Path(sys.executable).parent / "creditdesk"

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def environment(url: str, **extra: str) -> dict[str, str]:
    return {
        **os.environ,
        "CREDITDESK_DATABASE_URL": url,
        "CREDITDESK_HOST": "127.0.0.1",
        "CREDITDESK_ADMIN_TOKEN": TOKEN,
        "CREDITDESK_WORKERS": "1",
        "CREDITDESK_SCHEDULER_TICK_SECONDS": "0.25",
        "CREDITDESK_WEBHOOK_INTERVAL_SECONDS": "0.2",
        "CREDITDESK_WEBHOOK_ALLOW_PRIVATE": "true",
        "CREDITDESK_LOG_FORMAT": "json",
        **extra,
    }


class Server:
    """``creditdesk serve`` as a subprocess; its log (stderr) goes to a file."""

    def __init__(self, url: str, workdir: Path, name: str, *args: str, **env: str) -> None:
        self.port = free_port()
        self.log = workdir / f"{name}.log"
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(CREDITDESK), "serve", "--port", str(self.port), *args],
                env=environment(url, **env),
                cwd=workdir,
                stdout=log,
                stderr=log,
            )

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def wait_until_serving(self) -> None:
        deadline = time.monotonic() + 90
        while time.monotonic() < deadline:
            assert self.process.poll() is None, self.log.read_text()
            try:
                if httpx.get(f"{self.base}/api/v1/health", timeout=1).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
        raise AssertionError(f"the server did not start: {self.log.read_text()}")

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> httpx.Response:
        return httpx.request(
            method,
            f"{self.base}/api/v1{path}",
            json=body,
            headers={"Authorization": f"Bearer {TOKEN}", **headers},
            timeout=30,
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:  # pragma: no cover
                self.process.kill()
                self.process.wait()


def event_id(headers: dict[str, str], body: dict[str, Any]) -> int:
    """The outbox id of a delivery: its header, or the body's id, or the digits of the
    Standard Webhooks ``webhook-id``."""
    lowered = {k.lower(): v for k, v in headers.items()}
    if "x-creditdesk-event-id" in lowered:
        return int(lowered["x-creditdesk-event-id"])
    if isinstance(body.get("id"), int):
        return int(body["id"])
    return int("".join(ch for ch in lowered["webhook-id"] if ch.isdigit()))


class Receiver:
    """A webhook endpoint on 127.0.0.1 that records the event id of every delivery."""

    def __init__(self) -> None:
        self.ids: list[int] = []
        received = self.ids

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length))
                received.append(event_id(dict(self.headers), body))
                self.send_response(204)
                self.end_headers()

            def log_message(self, *_: Any) -> None:
                pass

        self.server = HTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/hooks"

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.close()


@pytest.fixture
def servers(database_url: str, tmp_path: Path) -> Iterator[list[Server]]:
    started = [Server(database_url, tmp_path, f"server{n}") for n in (1, 2)]
    try:
        for server in started:
            server.wait_until_serving()
        yield started
    finally:
        for server in started:
            server.stop()


def periods(runs: list[dict[str, Any]]) -> list[datetime]:
    return sorted(datetime.fromisoformat(r["period"].replace("Z", "+00:00")) for r in runs)


def test_two_servers_run_each_scheduled_task_once_per_period_and_deliver_webhooks_once_in_order(
    servers: list[Server], receiver: Receiver
) -> None:
    one, two = servers
    assert one.call("PUT", "/legal-entities/FI01", {"name": "FI", "accounting_currency": "EUR"})
    assert (
        one.call(
            "PUT",
            "/legal-entities/FI01/customers/C100",
            {
                "name": "C100",
                "credit": {"limit": {"amount": "100.00", "currency": "EUR"}},
            },
        ).status_code
        == 200
    )
    hook = one.call("POST", "/webhooks", {"url": receiver.url, "from_start": True})
    assert hook.status_code == 201, hook.text

    # holds placed through both servers: one event each, in the order of their commits
    for n in range(8):
        server = servers[n % 2]
        order = f"SO-{n}"
        body = {"customer": "C100", "amount": {"amount": "500.00", "currency": "EUR"}}
        assert server.call("PUT", f"/legal-entities/FI01/sales-orders/{order}", body)
        r = server.call(
            "POST",
            f"/legal-entities/FI01/sales-orders/{order}/credit-checks",
            {"checkpoint": "confirmation", "posting": True},
        )
        assert r.json()["decision"] == "on_hold", r.text

    for task in ("aging_snapshot", "evaluate_for_release"):
        r = two.call("PUT", f"/legal-entities/FI01/schedules/{task}", {"interval_seconds": PERIOD})
        assert r.status_code == 201, r.text
    time.sleep(4 * PERIOD + 1)
    for task in ("aging_snapshot", "evaluate_for_release"):
        assert two.call("DELETE", f"/legal-entities/FI01/schedules/{task}").status_code == 204
    time.sleep(1)  # a run started just before the delete finishes

    runs = one.call("GET", "/task-runs?limit=1000").json()["items"]
    for task in ("aging_snapshot", "evaluate_for_release"):
        mine = [r for r in runs if r["task"] == task]
        counted = Counter(r["period"] for r in mine)
        assert counted
        assert max(counted.values()) == 1, counted  # never twice
        starts = periods(mine)
        assert len(starts) >= 4, starts
        steps = {b - a for a, b in itertools.pairwise(starts)}
        assert steps == {timedelta(seconds=PERIOD)}, starts  # never a period left out
        assert all(r["outcome"] == "succeeded" for r in mine), mine
    assert {r["figures"]["evaluated"] for r in runs if r["task"] == "evaluate_for_release"} == {8}

    events = httpx.get(
        f"{one.base}/api/v1/events", headers={"Authorization": f"Bearer {TOKEN}"}
    ).json()["items"]
    expected = [e["id"] for e in events]
    assert len(expected) >= 8
    deadline = time.monotonic() + 20
    while len(receiver.ids) < len(expected) and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1)  # a duplicate would come within a delivery interval or two
    assert receiver.ids == expected


def test_a_requests_id_is_in_the_servers_access_log_line(servers: list[Server]) -> None:
    server = servers[0]
    r = server.call("GET", "/legal-entities/NOPE", **{"X-Request-ID": "find-me-in-the-log"})
    assert r.status_code == 404
    assert r.headers["X-Request-ID"] == "find-me-in-the-log"
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        lines = [json.loads(line) for line in server.log.read_text().splitlines() if line]
        found = [line for line in lines if line.get("request_id") == "find-me-in-the-log"]
        if found:
            break
        time.sleep(0.1)
    [line] = found
    assert (line["method"], line["path"], line["status"]) == (
        "GET",
        "/api/v1/legal-entities/NOPE",
        404,
    )


@pytest.fixture
def empty_url(database_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with no schema: a new SQLite file, or a new PostgreSQL database."""
    if database_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path / 'empty.db'}"
        return
    name = f"e_{os.urandom(6).hex()}"
    admin = create_engine(database_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield make_url(database_url).set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def revision_of(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            return [row[0] for row in conn.execute(text("SELECT version_num FROM alembic_version"))]
    finally:
        engine.dispose()


def test_servers_that_start_together_migrate_the_database_once(
    empty_url: str, tmp_path: Path
) -> None:
    started = [Server(empty_url, tmp_path, f"together{n}") for n in range(3)]
    try:
        for server in started:
            server.wait_until_serving()
            assert httpx.get(f"{server.base}/api/v1/ready", timeout=5).status_code == 200
    finally:
        for server in started:
            server.stop()
    assert revision_of(empty_url) == [schema_head()]
    logs = "".join(server.log.read_text() for server in started)
    assert logs.count("Running upgrade  -> 0001") == 1, logs  # the first migration ran once


def test_serve_no_migrate_is_not_ready_until_the_database_is_migrated(
    empty_url: str, tmp_path: Path
) -> None:
    url = empty_url
    server = Server(url, tmp_path, "unmigrated", "--no-migrate", CREDITDESK_ADMIN_TOKEN="")
    try:
        server.wait_until_serving()
        before = httpx.get(f"{server.base}/api/v1/ready", timeout=5)
        assert before.status_code == 503, before.text
        assert before.json()["schema"] is None
        subprocess.run([str(CREDITDESK), "db", "upgrade"], env=environment(url), check=True)
        after = httpx.get(f"{server.base}/api/v1/ready", timeout=5)
        assert after.status_code == 200, after.text
        assert after.json()["schema"] == schema_head()
    finally:
        server.stop()
