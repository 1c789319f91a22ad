"""Browser tests: a real server (uvicorn in a thread, on a free loopback port) with the demo
data, driven by Playwright with Debian's headless Chromium (never a downloaded browser)."""

from __future__ import annotations

import io
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import uvicorn
from rich.console import Console

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.cli.demo import load_demo
from creditdesk.service_layer.runtime import Runtime

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]

if not os.path.exists(CHROMIUM):
    pytest.skip(
        f"the browser tests need Debian's Chromium at {CHROMIUM} "
        "(apt-get install -y chromium chromium-driver; .ci/run and `make test` install it)",
        allow_module_level=True,
    )

from playwright.sync_api import Browser, Page, sync_playwright  # noqa: E402


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class _Server(uvicorn.Server):
    def install_signal_handlers(self) -> None:  # running in a thread
        pass


@pytest.fixture(scope="session")
def demo_runtime(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Runtime]]:
    url = f"sqlite:///{tmp_path_factory.mktemp('browser') / 'creditdesk.db'}"
    upgrade_database(url)
    settings = Settings(database_url=url, deliver_webhooks=False, scheduler=False)
    rt = build_runtime(settings)
    load_demo(rt, Console(file=io.StringIO()))
    yield settings, rt
    dispose(rt)


@pytest.fixture(scope="session")
def base_url(demo_runtime: tuple[Settings, Runtime]) -> Iterator[str]:
    settings, rt = demo_runtime
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, rt), host="127.0.0.1", port=port, log_level="warning", lifespan="on"
    )
    server = _Server(config)
    thread = threading.Thread(target=server.run, name="uvicorn", daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture(scope="session")
def screenshots(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Screenshots of the pages, for a person to look at (not compared, not committed)."""
    return tmp_path_factory.mktemp("screenshots", numbered=False)


@pytest.fixture
def page(browser: Browser, base_url: str) -> Iterator[Page]:
    context = browser.new_context(
        base_url=base_url, locale="en-US", viewport={"width": 1366, "height": 900}
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()
