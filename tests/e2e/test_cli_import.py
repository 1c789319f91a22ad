"""``creditdesk import``: CSV and NDJSON files of documents loaded in bulk, with a summary of
rows accepted and rejected (with reasons), idempotent per id."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from rich.text import Text
from typer.testing import CliRunner, Result

from creditdesk.entrypoints.cli.main import app


@pytest.fixture
def url(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> str:
    database_url = f"sqlite:///{tmp_path / 'cli' / 'creditdesk.db'}"
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", database_url)
    monkeypatch.delenv("CREDITDESK_ADMIN_TOKEN", raising=False)
    result = run("demo")
    assert result.exit_code == 0, result.output
    return database_url


def run(*args: str) -> Result:
    return CliRunner().invoke(app, list(args))


def plain(result: Result) -> str:
    return " ".join(Text.from_ansi(result.stdout).plain.split())


CSV = """type,id,customer,amount,currency,invoice_date,due_date,sales_order,date,applies_to
invoice,IMP-I1,C200,100.00,EUR,2026-10-01,2026-10-31,,,
invoice,IMP-I2,C200,50.00,EUR,2026-10-01,2026-10-31,,,
payment,IMP-P1,C200,80.00,EUR,,,,2026-10-20,IMP-I1:80.00
invoice,IMP-I3,NOBODY,10.00,EUR,2026-10-01,2026-10-31,,,
invoice,IMP-I4,C200,-5.00,EUR,2026-10-01,2026-10-31,,,
"""


def test_a_csv_file_is_loaded_with_a_summary_of_accepted_and_rejected_rows(
    url: str, tmp_path: Path
) -> None:
    path = tmp_path / "documents.csv"
    path.write_text(CSV)

    result = run("import", "FI01", str(path))

    assert result.exit_code == 0, result.output
    text = plain(result)
    assert "5 rows" in text
    assert "3 accepted" in text
    assert "0 unchanged" in text
    assert "2 rejected" in text
    assert "customer NOBODY does not exist" in text
    assert "negative_amount" in text


def test_loading_the_same_file_twice_accepts_nothing_the_second_time(
    url: str, tmp_path: Path
) -> None:
    path = tmp_path / "documents.csv"
    path.write_text(CSV)
    run("import", "FI01", str(path))

    result = run("import", "FI01", str(path), "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert (summary["accepted"], summary["unchanged"], summary["rejected"]) == (0, 3, 2)
    assert [r["row"] for r in summary["rejections"]] == [4, 5]


def test_an_ndjson_file_is_loaded_and_a_line_that_is_not_json_is_rejected(
    url: str, tmp_path: Path
) -> None:
    rows = [
        {
            "type": "sales_order",
            "id": "IMP-SO1",
            "customer": "C200",
            "amount": {"amount": "300.00", "currency": "EUR"},
        },
        {
            "type": "packing_slip",
            "id": "IMP-PS1",
            "sales_order": "IMP-SO1",
            "amount": {"amount": "100.00", "currency": "EUR"},
            "date": "2026-10-02",
        },
        {
            "type": "invoice",
            "id": "IMP-I1",
            "customer": "C200",
            "amount": "100.00",
            "currency": "EUR",
            "invoice_date": "2026-10-03",
            "due_date": "2026-11-02",
            "sales_order": "IMP-SO1",
        },
        {
            "type": "payment",
            "id": "IMP-P1",
            "customer": "C200",
            "amount": "100.00",
            "currency": "EUR",
            "date": "2026-10-20",
            "applies_to": [{"invoice": "IMP-I1", "amount": "100.00"}],
        },
    ]
    path = tmp_path / "documents.ndjson"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n{not json\n")

    result = run("import", "FI01", str(path), "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["accepted"] == 4
    assert summary["accepted_by_type"] == {
        "invoice": 1,
        "packing_slip": 1,
        "payment": 1,
        "sales_order": 1,
    }
    assert summary["rejections"][0]["row"] == 5
    assert "not JSON" in summary["rejections"][0]["message"]


def test_an_unknown_legal_entity_fails_with_one_error_line(url: str, tmp_path: Path) -> None:
    path = tmp_path / "documents.csv"
    path.write_text(CSV)

    result = run("import", "XX99", str(path))

    assert result.exit_code == 1
    assert "XX99" in Text.from_ansi(result.stderr).plain


def test_an_unknown_format_is_refused(url: str, tmp_path: Path) -> None:
    path = tmp_path / "documents.xlsx"
    path.write_text("x")

    result = run("import", "FI01", str(path))

    assert result.exit_code == 1
    assert "unknown format" in Text.from_ansi(result.stderr).plain
