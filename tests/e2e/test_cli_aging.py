"""``creditdesk aging LE``, driven with Typer's runner against the test database (SQLite, and
PostgreSQL when configured) named by ``CREDITDESK_DATABASE_URL``: the aged open balances of a
legal entity as Rich tables (per customer and currency, then totals per currency) or as the
JSON the API answers. Errors are one line on stderr and a non-zero exit code."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from creditdesk.entrypoints.cli.main import app
from tests.e2e.test_cli import one_error_line, plain, stdout
from tests.support import Api

AS_OF = "2026-11-30"
EARLY = "2026-08-01"
HEADER = ["current", "1-30", "31-60", "61-90", "over 90", "total"]


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def ok(*args: str) -> str:
    """Run a command that must succeed; its stdout without styles, wrapped lines joined."""
    result = run(*args)
    assert result.exit_code == 0, result.output
    return stdout(result)


def table_rows(printed: str) -> list[list[str]]:
    """The cells of every row of the tables printed, header rows included, in order."""
    return [
        [cell.strip() for cell in re.split("[│┃]", line.strip())[1:-1]]
        for line in printed.splitlines()
        if line.strip()[:1] in ("│", "┃")
    ]


def rows_of(*args: str) -> list[list[str]]:
    result = run(*args)
    assert result.exit_code == 0, result.output
    return table_rows(plain(result.stdout))


@pytest.fixture
def fi(api: Api, database_url: str, monkeypatch: pytest.MonkeyPatch) -> Api:
    """FI01 (EUR): C100 with EUR invoices current, 1-30 and over 90 days past due on
    2026-11-30; C200 with one SEK invoice 31-60 days past due. The CLI uses the same database."""
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", database_url)
    monkeypatch.delenv("CREDITDESK_ADMIN_TOKEN", raising=False)
    api.legal_entity("FI01", "EUR")
    api.customer("FI01", "C100", "10000.00 EUR")
    api.customer("FI01", "C200", "10000.00 SEK", currency="SEK")
    api.invoice("FI01", "INV-1", "C100", "1000.00 EUR", invoice_date=EARLY, due_date="2026-12-15")
    api.invoice("FI01", "INV-2", "C100", "300.00 EUR", invoice_date=EARLY, due_date="2026-11-29")
    api.invoice("FI01", "INV-3", "C100", "77.00 EUR", invoice_date=EARLY, due_date="2026-08-01")
    api.invoice("FI01", "INV-4", "C200", "4321.50 SEK", invoice_date=EARLY, due_date="2026-10-15")
    return api


def test_aging_prints_the_buckets_per_customer_and_the_totals_per_currency(fi: Api) -> None:
    printed = ok("aging", "FI01", "--as-of", AS_OF)
    rows = rows_of("aging", "FI01", "--as-of", AS_OF)

    assert printed.startswith(f"aged balances of FI01 on {AS_OF} per customer")
    assert rows == [
        ["customer", "currency", *HEADER],
        ["C100", "EUR", "1000.00", "300.00", "0.00", "0.00", "77.00", "1377.00"],
        ["C200", "SEK", "0.00", "0.00", "4321.50", "0.00", "0.00", "4321.50"],
        ["currency", *HEADER],
        ["EUR", "1000.00", "300.00", "0.00", "0.00", "77.00", "1377.00"],
        ["SEK", "0.00", "0.00", "4321.50", "0.00", "0.00", "4321.50"],
    ]
    assert printed.endswith("2 customer(s) with open invoices")


def test_aging_totals_only_prints_the_totals_per_currency_alone(fi: Api) -> None:
    printed = ok("aging", "FI01", "--as-of", AS_OF, "--totals-only")
    rows = rows_of("aging", "FI01", "--as-of", AS_OF, "--totals-only")

    assert "per customer" not in printed
    assert rows == [
        ["currency", *HEADER],
        ["EUR", "1000.00", "300.00", "0.00", "0.00", "77.00", "1377.00"],
        ["SEK", "0.00", "0.00", "4321.50", "0.00", "0.00", "4321.50"],
    ]


def test_aging_of_a_legal_entity_without_open_invoices_prints_empty_tables(fi: Api) -> None:
    fi.legal_entity("SE01", "SEK")

    printed = ok("aging", "SE01", "--as-of", AS_OF)

    assert rows_of("aging", "SE01", "--as-of", AS_OF) == [
        ["customer", "currency", *HEADER],
        ["currency", *HEADER],
    ]
    assert printed.endswith("0 customer(s) with open invoices")


def test_aging_json_is_what_the_api_answers(fi: Api) -> None:
    printed = json.loads(run("aging", "FI01", "--as-of", AS_OF, "--json").stdout)

    api_body = fi.get("/legal-entities/FI01/aged-balances", as_of=AS_OF).json()
    assert printed == api_body
    assert [c["account"] for c in printed["customers"]] == ["C100", "C200"]


def test_aging_json_totals_only_matches_the_api_without_customers(fi: Api) -> None:
    result = run("aging", "FI01", "--as-of", AS_OF, "--json", "--totals-only")

    assert result.exit_code == 0, result.output
    printed: dict[str, Any] = json.loads(result.stdout)
    assert (
        printed
        == fi.get("/legal-entities/FI01/aged-balances", as_of=AS_OF, customers="false").json()
    )
    assert "customers" not in printed


def test_aging_of_an_unknown_legal_entity_is_one_error_line(fi: Api) -> None:
    line = one_error_line(run("aging", "XX01", "--as-of", AS_OF))

    assert "XX01" in line
    assert "legal_entity_not_found" in line


@pytest.mark.parametrize("as_of", ["30.11.2026", "2026-11-31", "yesterday"])
def test_aging_with_a_bad_date_is_one_error_line(fi: Api, as_of: str) -> None:
    line = one_error_line(run("aging", "FI01", "--as-of", as_of))

    assert "--as-of" in line
    assert as_of in line


def test_aging_with_a_date_too_early_for_the_buckets_is_one_error_line(fi: Api) -> None:
    line = one_error_line(run("aging", "FI01", "--as-of", "0001-01-01"))

    assert "invalid_date" in line
