"""``creditdesk db check`` recomputes every running total of exposure from the documents and
reports drift; ``creditdesk db backup`` copies a live SQLite database consistently."""

from __future__ import annotations

import sqlite3
import threading
from datetime import date, timedelta
from pathlib import Path

import pytest
from sqlalchemy import create_engine, select, update
from typer.testing import CliRunner, Result

from creditdesk.adapters import tables as t
from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.entrypoints.cli.main import app
from creditdesk.service_layer import customers, documents, groups, maintenance, setup
from creditdesk.service_layer.auth import SYSTEM, Principal, Role
from creditdesk.service_layer.documents import InvoiceInput, SalesOrderInput
from creditdesk.service_layer.errors import PermissionDeniedError
from creditdesk.service_layer.runtime import Runtime
from tests.e2e.test_cli import one_error_line, plain, stdout
from tests.support import money

DAY = date(2026, 11, 1)


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def load_two_customers_in_a_group(rt: Runtime) -> None:
    setup.put_legal_entity(rt, SYSTEM, "FI01", "Contoso Suomi Oy", "EUR")
    setup.put_legal_entity(rt, SYSTEM, "SE01", "Contoso Sverige AB", "SEK")
    for le in ("FI01", "SE01"):
        customers.put_customer(
            rt,
            SYSTEM,
            le,
            "C100",
            name=f"Nordwind {le}",
            currency_code=None,
            payment_terms=None,
            settlement_discount=None,
            credit={},
        )
    groups.put_group(rt, SYSTEM, "G1", "Nordwind", money("50000.00 EUR"), date(2027, 12, 31))
    groups.add_member(rt, SYSTEM, "G1", "FI01", "C100")
    groups.add_member(rt, SYSTEM, "G1", "SE01", "C100")
    documents.put_sales_order(
        rt, SYSTEM, "FI01", SalesOrderInput("SO-1", "C100", money("700.00 EUR"))
    )
    documents.post_invoice(
        rt,
        SYSTEM,
        "SE01",
        InvoiceInput("INV-1", "C100", money("1200.00 SEK"), DAY, DAY + timedelta(days=30)),
    )


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    database_url = f"sqlite:///{tmp_path / 'live.db'}"
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", database_url)
    monkeypatch.delenv("CREDITDESK_ADMIN_TOKEN", raising=False)
    assert run("db", "upgrade").exit_code == 0
    rt = build_runtime(Settings(database_url=database_url))
    try:
        load_two_customers_in_a_group(rt)
    finally:
        dispose(rt)
    return database_url


def tamper(url: str) -> None:
    """Break the running totals behind the documents' back: FI01/C100's open orders and the
    group's SE01 balance."""
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            fi = conn.execute(
                select(t.customers.c.id).where(t.customers.c.legal_entity == "FI01")
            ).scalar_one()
            e, g = t.customer_exposure, t.group_exposure
            conn.execute(
                update(e)
                .where(e.c.customer_id == fi)
                .values(open_orders_minor=e.c.open_orders_minor + 1)
            )
            conn.execute(
                update(g)
                .where(g.c.legal_entity == "SE01")
                .values(balance_minor=g.c.balance_minor - 5000)
            )
    finally:
        engine.dispose()


def test_db_check_finds_no_drift_when_the_totals_match_the_documents(url: str) -> None:
    result = run("db", "check")

    assert result.exit_code == 0, result.output
    assert "checked 2 customers and 1 credit groups" in stdout(result)
    assert "every running total matches the documents" in stdout(result)


def test_db_check_reports_each_drifted_customer_and_group_total_and_exits_non_zero(
    url: str,
) -> None:
    tamper(url)

    result = run("db", "check")

    assert result.exit_code == 1, result.output
    errors = plain(result.stderr)
    assert "customer FI01/C100 EUR: open_orders 70001 ≠ 70000" in errors
    assert "group G1 [SE01] SEK: balance 115000 ≠ 120000" in errors
    assert "2 running totals drifted" in stdout(result)


def test_db_check_fix_sets_the_drifted_totals_to_the_recomputed_sums(url: str) -> None:
    tamper(url)

    fixed = run("db", "check", "--fix")
    again = run("db", "check")

    assert fixed.exit_code == 0, fixed.output
    assert "2 running totals fixed" in stdout(fixed)
    assert again.exit_code == 0, again.output
    assert "every running total matches the documents" in stdout(again)


def test_db_check_on_a_database_never_migrated_fails_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'empty.db'}")

    line = one_error_line(run("db", "check"))

    assert "creditdesk db upgrade" in line


def invoice_count(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT count(*) FROM invoices").fetchone()[0])
    finally:
        conn.close()


def test_db_backup_copies_a_database_that_is_being_written_to_consistently(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    rt = build_runtime(Settings(database_url=url))
    stop = threading.Event()
    posted: list[int] = []

    def write() -> None:
        n = 0
        while not stop.is_set() and n < 2000:
            n += 1
            documents.post_invoice(
                rt,
                SYSTEM,
                "FI01",
                InvoiceInput(f"LIVE-{n}", "C100", money("1.00 EUR"), DAY, DAY),
            )
            posted.append(n)

    writer = threading.Thread(target=write)
    writer.start()
    try:
        while len(posted) < 20 and writer.is_alive():
            stop.wait(0.01)
        copy = tmp_path / "backups" / "copy.db"
        result = run("db", "backup", str(copy))
    finally:
        stop.set()
        writer.join(timeout=60)
        dispose(rt)

    assert result.exit_code == 0, result.output
    assert f"to {copy}" in stdout(result)
    in_copy = invoice_count(copy)
    assert 1 + 20 <= in_copy <= 1 + len(posted)
    # the copy is a database of its own, whose totals agree with its documents
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", f"sqlite:///{copy}")
    checked = run("db", "check")
    assert checked.exit_code == 0, checked.output
    assert "every running total matches the documents" in stdout(checked)


def test_db_backup_does_not_overwrite_a_file_unless_forced(url: str, tmp_path: Path) -> None:
    copy = tmp_path / "copy.db"
    copy.write_text("precious")

    refused = run("db", "backup", str(copy))
    forced = run("db", "backup", "--force", str(copy))

    assert "exists; pass --force" in one_error_line(refused)
    assert forced.exit_code == 0, forced.output
    assert invoice_count(copy) == 1


def test_db_backup_of_a_postgresql_database_points_to_pg_dump(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", "postgresql+psycopg://nobody@127.0.0.1:1/none")

    line = one_error_line(run("db", "backup", str(tmp_path / "copy.db")))

    assert "pg_dump" in line
    assert not (tmp_path / "copy.db").exists()


# --- the use case itself, on SQLite and PostgreSQL ----------------------------------------


def test_checking_exposure_repairs_drift_on_every_database_and_needs_an_unscoped_admin(
    runtime: Runtime, database_url: str
) -> None:
    load_two_customers_in_a_group(runtime)
    assert maintenance.check_exposure(runtime, SYSTEM).clean
    tamper(database_url)

    found = maintenance.check_exposure(runtime, SYSTEM, batch=1)
    fixed = maintenance.check_exposure(runtime, SYSTEM, fix=True)
    after = maintenance.check_exposure(runtime, SYSTEM)

    assert (found.customers, found.groups) == (2, 1)
    assert [(d.scope, d.key, d.currency) for d in found.drifts] == [
        ("customer", "FI01/C100", "EUR"),
        ("group", "G1", "SEK"),
    ]
    assert fixed.drifts == found.drifts
    assert after.clean
    with pytest.raises(PermissionDeniedError):
        maintenance.check_exposure(runtime, Principal("scoped", Role.ADMIN, frozenset({"FI01"})))
