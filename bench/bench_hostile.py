"""Hostile input, repeatable: a bounded set of malicious or malformed requests against the
app, counting server errors and refused requests that changed the database anyway.

A fresh database (SQLite under a temporary folder, or ``--database-url``) gets the migrations
and the Nordic demo; the app runs in-process behind FastAPI's TestClient (no network, nothing
listens), with server exceptions turned into their 500 answers so that they are counted. The
requests are built from a fixed list of hostile values (amounts past 64-bit minor units,
exponents, NaN, non-ASCII digits, ids with invisible characters, 5,000-character ids, invalid
UTF-8 in paths, row ids past the id columns, nested and oversized bodies, web form values)
put into every field and path of the document, limit, rule, batch and feed endpoints, plus
running totals pushed towards the bound. After each refused request (4xx) every table is
read back and compared with its state before: a refused request must change nothing.

    .venv/bin/python -m bench.bench_hostile
    .venv/bin/python -m bench.bench_hostile --database-url postgresql+psycopg://…/scratch

It prints the requests sent, the 5xx answers, the refused requests after which the database
changed, and how the answers split by status; it exits 1 when either count is not zero.
"""

from __future__ import annotations

import argparse
import functools
import hashlib
import io
import json
import os
import re
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

from fastapi.testclient import TestClient
from rich.console import Console
from sqlalchemy import MetaData, create_engine, select
from sqlalchemy.engine import Engine

from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.cli.demo import DEMO_PASSWORD, load_demo

TOKEN = "bench-hostile-admin-token"
API = "/api/v1"
LE = "FI01"
CUSTOMER = "C100"
ORDER = "SO-FI-5001"
GROUP = "NORDWIND"

HOSTILE_AMOUNTS = [
    "92233720368547758.08",
    "-92233720368547758.08",
    "92233720368547758.07",
    "9" * 19,
    "9" * 40,
    "9" * 30 + ".00",
    "1e30",
    "1E+2",
    "NaN",
    "Infinity",
    "-Infinity",
    "١٢٣",
    "１２３",
    "12,50",
    "0x10",
    "",
    " ",
    "10.005",
    "-1.00",
    "0.00",
]
HOSTILE_NUMBERS = ["1e30", "Infinity", "NaN", "١٢", "9" * 40, "-1", "1.5e3", "", "0x1F", "½"]
HOSTILE_TEXT = [
    "C\u202e001",
    "C\u200b100",
    "\ufeffC100",
    "C\u00a0100",
    "C" * 5000,
    "C" * 81,
    "   ",
    " C100",
    "Cafe\u0301",
    "C\ufffd",
    "A\x00B",
    "esc\x1b[31m",
    "line\nbreak",
    "'; DROP TABLE customers; --",
    "<script>alert(1)</script>",
    "{{7*7}}",
    "../../etc/passwd",
]
HOSTILE_JSON: list[Any] = [
    12.5,
    10**30,
    -(2**63),
    True,
    None,
    [],
    {},
    {"amount": "1.00"},
    "9" * 5000,
]
OTHER_CURRENCIES = {
    code: [big, "-" + big, "9" * 25, "1e30", "NaN", "1.0001"]
    for code, big in (
        ("JPY", "9223372036854775808"),
        ("KWD", "9223372036854775.808"),
        ("NOK", "92233720368547758.08"),
        ("SEK", "100000000000000000000"),
    )
}
AFTER_VALUES = [
    "2147483648",
    "9223372036854775807",
    "9223372036854775808",
    "9" * 40,
    "-1",
    "١٢",
    "1e3",
    "0x10",
    "",
    "NaN",
]
RAW_PATH_IDS = ["C%FF", "C%C3", "C%ED%A0%80", "C%E2%80%AE1", "%20%20", "C%00", "C" * 5000]


@dataclass
class Tally:
    sent: int = 0
    server_errors: int = 0
    refused: int = 0
    refused_that_changed: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    codes: Counter[str] = field(default_factory=Counter)
    offenders: list[str] = field(default_factory=list)


BOOKKEEPING = {"api_tokens": {"last_used_at"}, "web_sessions": {"last_seen_at"}}
"""Columns that record that a caller was seen (a token's last use, a session's last request),
written whatever the request asked for: not a change the request made."""


class Database:
    """Every table read back as one digest per table: what a refused request must leave as
    it was (but for the bookkeeping columns above)."""

    def __init__(self, url: str) -> None:
        self.engine: Engine = create_engine(url)
        self.metadata = MetaData()
        self.metadata.reflect(self.engine)

    def digest(self) -> dict[str, str]:
        digests = {}
        with self.engine.connect() as conn:
            for name, table in sorted(self.metadata.tables.items()):
                skip = BOOKKEEPING.get(name, set())
                columns = [c for c in table.columns if c.name not in skip]
                rows = conn.execute(select(*columns)).all()
                sha = hashlib.sha256()
                for row in sorted(repr(tuple(row)) for row in rows):
                    sha.update(row.encode())
                digests[name] = sha.hexdigest()
        return digests

    def dispose(self) -> None:
        self.engine.dispose()


Request = tuple[str, str, str, Any]  # label, method, path, JSON body or raw bytes or form


def _money(amount: Any, currency: str = "EUR") -> dict[str, Any]:
    return {"amount": amount, "currency": currency}


def _invoice(**changes: Any) -> dict[str, Any]:
    return {
        "id": "HOSTILE-INV",
        "customer": CUSTOMER,
        "amount": _money("10.00"),
        "invoice_date": "2026-11-01",
        "due_date": "2026-11-30",
        **changes,
    }


def _bodies() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """A valid body per endpoint; each field is then replaced by hostile values."""
    return {
        "invoice": ("POST", f"/legal-entities/{LE}/invoices", _invoice()),
        "payment": (
            "POST",
            f"/legal-entities/{LE}/payments",
            {
                "id": "HOSTILE-PAY",
                "customer": CUSTOMER,
                "amount": _money("5.00"),
                "date": "2026-11-01",
                "applies_to": [{"invoice": "FI-INV-1001", "amount": _money("5.00")}],
            },
        ),
        "sales order": (
            "PUT",
            f"/legal-entities/{LE}/sales-orders/HOSTILE-SO",
            {"customer": CUSTOMER, "amount": _money("10.00")},
        ),
        "packing slip": (
            "POST",
            f"/legal-entities/{LE}/packing-slips",
            {
                "id": "HOSTILE-PS",
                "sales_order": ORDER,
                "amount": _money("1.00"),
                "date": "2026-11-01",
            },
        ),
        "customer": (
            "PUT",
            f"/legal-entities/{LE}/customers/{CUSTOMER}",
            {"name": "Nordwind Oy", "credit": {"limit": _money("10000.00")}},
        ),
        "credit group": (
            "PUT",
            f"/credit-groups/{GROUP}",
            {"description": "x", "limit": _money("15000.00"), "limit_expires_on": "2027-12-31"},
        ),
        "blocking rule": (
            "POST",
            f"/legal-entities/{LE}/blocking-rules",
            {"rule": "days_overdue", "kind": "blocking", "value_type": "days", "value": "45"},
        ),
        "exchange rate": (
            "POST",
            "/exchange-rates",
            {
                "from_currency": "NOK",
                "to_currency": "EUR",
                "rate": "0.0850",
                "valid_from": "2026-01-01",
            },
        ),
        "batch": (
            "POST",
            f"/legal-entities/{LE}/documents:batch",
            {"documents": [{"type": "invoice", **_invoice(id="HOSTILE-BATCH")}]},
        ),
    }


_BATCH_TYPES = {
    "invoice": "invoice",
    "payment": "payment",
    "sales order": "sales_order",
    "packing slip": "packing_slip",
}


def _batch_bodies() -> dict[str, tuple[str, str, dict[str, Any]]]:
    """The documents of ``_bodies`` once more, each as the one row of a documents:batch."""
    bodies = _bodies()
    batches = {}
    for name, kind in _BATCH_TYPES.items():
        document = {"type": kind, "id": f"HOSTILE-B-{kind}", **bodies[name][2]}
        batches[f"batch {name}"] = (
            "POST",
            f"/legal-entities/{LE}/documents:batch",
            {"documents": [document]},
        )
    return batches


def _replace(body: Any, path: tuple[Any, ...], value: Any) -> Any:
    copy = json.loads(json.dumps(body))
    target = copy
    for step in path[:-1]:
        target = target[step]
    target[path[-1]] = value
    return copy


def _leaves(body: Any, prefix: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    if isinstance(body, dict):
        for key, value in body.items():
            yield from _leaves(value, (*prefix, key))
    elif isinstance(body, list):
        for index, value in enumerate(body):
            yield from _leaves(value, (*prefix, index))
    else:
        yield prefix


def hostile_requests() -> Iterator[Request]:
    """The fixed list of requests (the same on every run)."""
    for name, (method, path, body) in {**_bodies(), **_batch_bodies()}.items():
        for leaf in _leaves(body):
            is_amount = leaf[-1] == "amount" and len(leaf) >= 2
            values: list[Any] = [*HOSTILE_TEXT, *HOSTILE_JSON]
            if is_amount:
                values = [*HOSTILE_AMOUNTS, *values]
            elif leaf[-1] in ("value", "rate"):
                values = [*HOSTILE_NUMBERS, *values]
            label = f"{name} {'.'.join(map(str, leaf))}"
            for value in values:
                yield (label, method, path, _replace(body, leaf, value))
            if is_amount:  # the bound in currencies with other minor units
                for code, amounts in OTHER_CURRENCIES.items():
                    for amount in amounts:
                        money = _money(amount, code)
                        yield (label, method, path, _replace(body, leaf[:-1], money))
        yield (f"{name} nested", method, path, ("[" * 5000 + "]" * 5000).encode())
        yield (f"{name} huge int", method, path, b'{"amount": ' + b"9" * 5000 + b"}")
        yield (f"{name} not json", method, path, b"{not json")
        yield (f"{name} oversized", method, path, b'{"x": "' + b"x" * 1_100_000 + b'"}')
    templates: list[tuple[str, str, Any]] = [
        ("PUT", "/legal-entities/{id}/customers/{id}", {"name": "X"}),
        ("PUT", "/legal-entities/{id}", {"name": "X", "accounting_currency": "EUR"}),
        (
            "PUT",
            "/credit-groups/{id}",
            {"description": "G", "limit": _money("1.00"), "limit_expires_on": "2027-12-31"},
        ),
        (
            "PUT",
            f"/legal-entities/{LE}/sales-orders/{{id}}",
            {"customer": CUSTOMER, "amount": _money("1.00")},
        ),
        ("GET", f"/legal-entities/{LE}/customers/{{id}}", None),
        ("GET", f"/legal-entities/{LE}/sales-orders/{{id}}", None),
        ("DELETE", f"/legal-entities/{LE}/blocking-rules/{{id}}", None),
        ("PUT", f"/credit-groups/{GROUP}/members/{LE}/{{id}}", None),
    ]
    for method, template, path_body in templates:
        for value in HOSTILE_TEXT:
            if "\x00" in value or "\n" in value or "\x1b" in value:
                continue  # refused before any route (invalid_characters), also covered below
            yield (
                f"path {template}",
                method,
                template.replace("{id}", quote(value, safe="")),
                path_body,
            )
        for raw in RAW_PATH_IDS:
            yield (f"raw path {template}", method, template.replace("{id}", raw), path_body)
    for feed in ("/events", "/audit-events"):
        for value in AFTER_VALUES:
            yield (f"{feed}?after=", "GET", f"{feed}?after={quote(value)}", None)
    for value in [*HOSTILE_TEXT, "\x00", "%00"]:
        yield ("query", "GET", f"/credit-holds?customer={quote(value, safe='')}", None)


def running_totals() -> Iterator[Request]:
    """Documents whose amounts each fit but whose sum would pass the bound: the first are
    stored, the rest must be refused and change nothing."""
    half = _money("40000000000000000.00")
    for n in range(4):
        yield (
            "total invoice",
            "POST",
            f"/legal-entities/{LE}/invoices",
            _invoice(id=f"BIG-{n}", customer="C400", amount=half),
        )
        yield (
            "total order",
            "PUT",
            f"/legal-entities/{LE}/sales-orders/BIG-SO-{n}",
            {"customer": "C400", "amount": half},
        )
        yield (
            "total batch",
            "POST",
            f"/legal-entities/{LE}/documents:batch",
            {
                "documents": [
                    {"type": "invoice", **_invoice(id=f"BIG-B{n}", customer="C400", amount=half)}
                ]
            },
        )


WEB_RULE_VALUES = ["1e30", "Infinity", "NaN", "-Infinity", "٤٥", "9" * 39, "1,5e3", "0x10"]


def _send(client: TestClient, request: Request) -> Any:
    _, method, path, body = request
    headers = {"Authorization": f"Bearer {TOKEN}"}
    url = API + path
    if isinstance(body, bytes):
        headers["Content-Type"] = "application/json"
        return client.request(method, url, content=body, headers=headers)
    if body is None:
        return client.request(method, url, headers=headers)
    return client.request(method, url, json=body, headers=headers)


def _batch_refused(response: Any) -> bool:
    """A documents:batch answer that refused every row: it must have changed nothing."""
    if response.status_code != 200 or not response.request.url.path.endswith(":batch"):
        return False
    summary = response.json()
    return bool(summary.get("rejected")) and not summary.get("accepted")


def _web_requests(client: TestClient) -> Iterator[tuple[str, Callable[[], Any]]]:
    page = client.get("/sign-in").text
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert csrf is not None
    signed = client.post(
        "/sign-in",
        data={"username": "admin", "password": DEMO_PASSWORD, "csrf_token": csrf.group(1)},
        follow_redirects=False,
    )
    assert signed.status_code == 303, signed.text
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(f"/setup/{LE}").text)
    assert found is not None
    token = found.group(1)
    for value in WEB_RULE_VALUES:
        for rule, value_type in (("days_overdue", "days"), ("credit_limit_used", "percent")):
            data = {
                "csrf_token": token,
                "rule": rule,
                "kind": "blocking",
                "valid_for": "all",
                "value_type": value_type,
                "value": value,
            }
            post = functools.partial(
                client.post, f"/setup/{LE}/rules", data=data, follow_redirects=False
            )
            yield (f"web rule {value!r}", post)
    for value in HOSTILE_TEXT[:10]:
        fetch = functools.partial(client.get, f"/customers/{LE}/{quote(value, safe='')}")
        yield (f"web page {value[:10]!r}", fetch)


def _changed(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(name for name in after if before.get(name) != after[name])


def _record(tally: Tally, label: str, response: Any, changed: list[str], web: bool = False) -> None:
    status = response.status_code
    tally.sent += 1
    tally.statuses[status] += 1
    if status >= 500:
        tally.server_errors += 1
        tally.offenders.append(f"5xx: {label} -> {status}")
    # every web request here must be refused; the form answers with a redirect and a message
    refused = web or 400 <= status < 500 or _batch_refused(response)
    if refused:
        tally.refused += 1
        if not web and response.headers.get("content-type", "").startswith("application/problem"):
            tally.codes[str(response.json().get("code"))] += 1
        if changed:
            tally.refused_that_changed += 1
            tally.offenders.append(
                f"changed after refusal: {label} -> {status} ({', '.join(changed)})"
            )


def run(url: str) -> Tally:
    upgrade_database(url)
    # no scheduler thread: its runs would change the database between two digests
    settings = Settings(
        database_url=url, admin_token=TOKEN, deliver_webhooks=False, scheduler=False
    )
    rt = build_runtime(settings)
    load_demo(rt, Console(file=io.StringIO()))
    database = Database(url)
    tally = Tally()
    try:
        with TestClient(create_app(settings, rt), raise_server_exceptions=False) as client:
            for request in [*hostile_requests(), *running_totals()]:
                before = database.digest()
                response = _send(client, request)
                _record(tally, request[0], response, _changed(before, database.digest()))
            for label, send in _web_requests(client):
                before = database.digest()
                response = send()
                _record(tally, label, response, _changed(before, database.digest()), web=True)
    finally:
        database.dispose()
        dispose(rt)
    return tally


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--database-url", help="an empty scratch database (default: SQLite in a temporary folder)"
    )
    args = parser.parse_args()
    os.environ.setdefault("CREDITDESK_SESSION_SECRET", "bench-session-secret")
    if args.database_url:
        tally = run(args.database_url)
    else:
        with tempfile.TemporaryDirectory() as folder:
            tally = run(f"sqlite:///{Path(folder) / 'creditdesk.db'}")
    print(f"requests sent:                        {tally.sent:,}")
    print(f"5xx answers:                          {tally.server_errors:,}")
    print(f"refused (4xx or batch all rejected):  {tally.refused:,}")
    print(f"refused, yet the database changed:    {tally.refused_that_changed:,}")
    print(
        "answers by status: " + ", ".join(f"{s}: {n:,}" for s, n in sorted(tally.statuses.items()))
    )
    print("refusals by code:  " + ", ".join(f"{c}: {n:,}" for c, n in tally.codes.most_common()))
    for line in tally.offenders[:20]:
        print("  " + line)
    if tally.server_errors or tally.refused_that_changed:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
