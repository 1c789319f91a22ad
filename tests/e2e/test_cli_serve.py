"""``creditdesk serve`` says "serving on" only once the port listens, and never when it cannot
bind: a script (or a person) may connect as soon as the line appears."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

CREDITDESK = str(Path(sys.executable).parent / "creditdesk")

pytestmark = pytest.mark.slow


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def environment(tmp_path: Path) -> dict[str, str]:
    return {
        **os.environ,
        "CREDITDESK_DATABASE_URL": f"sqlite:///{tmp_path / 'serve.db'}",
        "CREDITDESK_ADMIN_TOKEN": "serve-test-token",
        "NO_COLOR": "1",
    }


@pytest.fixture(params=[1, 2], ids=["one process", "two processes"])
def server(
    environment: dict[str, str], request: pytest.FixtureRequest
) -> Iterator[tuple[subprocess.Popen[str], int]]:
    port = free_port()
    workers = str(request.param)
    process = subprocess.Popen(
        [CREDITDESK, "serve", "--host", "127.0.0.1", "--port", str(port), "--workers", workers],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process, port
    process.terminate()
    process.communicate(timeout=30)


def test_the_server_announces_its_address_once_it_accepts_connections(
    server: tuple[subprocess.Popen[str], int],
) -> None:
    process, port = server
    assert process.stderr is not None
    before: list[str] = []

    for line in iter(process.stderr.readline, ""):  # blocks until the announcement
        if "serving on" in line:
            break
        before.append(line)
    else:
        pytest.fail(f"the server stopped without announcing itself: {before}")

    announced = json.loads(line)  # a log line like any other (JSON by default)
    assert announced["event"].startswith(f"creditdesk serving on http://127.0.0.1:{port} (")
    # no retry: the connection is accepted, or waits in the backlog while workers start
    response = httpx.get(f"http://127.0.0.1:{port}/api/docs", timeout=90)
    assert response.status_code == 200


def test_the_server_says_nothing_about_serving_when_the_port_is_taken(
    environment: dict[str, str],
) -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]

        finished = subprocess.run(
            [CREDITDESK, "serve", "--host", "127.0.0.1", "--port", str(port)],
            env=environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    assert finished.returncode != 0
    assert "serving on" not in finished.stdout + finished.stderr
    assert "address already in use" in finished.stderr.lower()
