"""Benchmark of the web app's pages with the demo data: median and p99 per page.

A fresh SQLite database under a temporary folder gets the migrations and the Nordic demo
(``creditdesk demo``); the app runs in-process behind FastAPI's TestClient (no network), signed
in as the demo admin. Each page is fetched ``--rounds`` times after a few warm-up requests; the
table shows the median, p99 and the slowest time, and whether every median is under the
300 ms budget.

    .venv/bin/python -m bench.bench_web
    .venv/bin/python -m bench.bench_web --rounds 200
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import tempfile
import time
from pathlib import Path

from fastapi.testclient import TestClient
from rich.console import Console

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.cli.demo import DEMO_PASSWORD, load_demo

BUDGET_MS = 300.0
WARM_UP = 5


def _percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(share * (len(ordered) - 1))))
    return ordered[index]


def _sign_in(client: TestClient) -> None:
    page = client.get("/sign-in").text
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found is not None
    response = client.post(
        "/sign-in",
        data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": found.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303, response.text


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100, help="requests per page")
    args = parser.parse_args()
    os.environ.setdefault("CREDITDESK_SESSION_SECRET", "bench-session-secret")
    with tempfile.TemporaryDirectory() as folder:
        url = f"sqlite:///{Path(folder) / 'creditdesk.db'}"
        upgrade_database(url)
        settings = Settings(database_url=url, deliver_webhooks=False)
        rt = build_runtime(settings)
        load_demo(rt, Console(file=io.StringIO()))
        try:
            with TestClient(create_app(settings, rt)) as client:
                _sign_in(client)
                holds_page = client.get("/holds").text
                hold = re.search(r'hx-get="(/holds/[^"]+/figures)"', holds_page)
                assert hold is not None
                pages = {
                    "sign-in": "/sign-in",
                    "hold list": "/holds",
                    "hold list, sorted and filtered": "/holds?sort=customer&order=asc"
                    "&reason=credit_limit_exceeded",
                    "credit figures (htmx)": hold.group(1),
                    "customer page": "/customers/FI01/C100",
                    "credit group": "/groups/NORDWIND",
                    "setup": "/setup/FI01",
                    "journals": "/journals/FI01",
                    "static htmx.min.js": "/static/htmx.min.js",
                }
                print(f"{'page':<34} {'median ms':>10} {'p99 ms':>8} {'max ms':>8}")
                medians = []
                for name, path in pages.items():
                    for _ in range(WARM_UP):
                        client.get(path)
                    times = []
                    for _ in range(args.rounds):
                        start = time.perf_counter()
                        response = client.get(path)
                        times.append((time.perf_counter() - start) * 1000)
                        assert response.status_code == 200, (path, response.status_code)
                    median = statistics.median(times)
                    medians.append(median)
                    print(
                        f"{name:<34} {median:>10.1f} {_percentile(times, 0.99):>8.1f} "
                        f"{max(times):>8.1f}"
                    )
                verdict = "yes" if max(medians) < BUDGET_MS else "NO"
                print(f"every median under {BUDGET_MS:.0f} ms: {verdict} ({args.rounds} rounds)")
        finally:
            dispose(rt)


if __name__ == "__main__":
    main()
