"""``creditdesk import``: CSV and NDJSON files of documents loaded in bulk, with a summary of
rows accepted and rejected (with reasons), idempotent per id."""

from __future__ import annotations

import json
from decimal import Decimal
from pathlib import Path
from typing import Any

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


SAMPLES = Path(__file__).parents[2] / "docs" / "samples"


def balance_of_c200(url: str) -> Decimal:
    from creditdesk.bootstrap import build_runtime, dispose
    from creditdesk.config import Settings
    from creditdesk.service_layer import queries
    from creditdesk.service_layer.auth import SYSTEM

    rt = build_runtime(Settings(database_url=url))
    try:
        summary = queries.credit_summary(rt, SYSTEM, "FI01", "C200", None)
    finally:
        dispose(rt)
    return Decimal(summary["exposure"]["balance"]["amount"])


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

    assert result.exit_code == 2, result.output  # rows were rejected
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

    assert result.exit_code == 2, result.output
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

    assert result.exit_code == 2, result.output
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


# --- files as they come: Excel, bad bytes, huge fields, crashes ------------------------------

GOOD = """type,id,customer,amount,currency,invoice_date,due_date
invoice,IMP-G1,C200,100.00,EUR,2026-10-01,2026-10-31
invoice,IMP-G2,C200,50.00,EUR,2026-10-01,2026-10-31
"""


def no_traceback(result: Result) -> None:
    assert result.exception is None or isinstance(result.exception, SystemExit), result.output
    assert "Traceback" not in result.output


def test_a_file_with_every_row_stored_exits_0(url: str, tmp_path: Path) -> None:
    path = tmp_path / "good.csv"
    path.write_text(GOOD)

    result = run("import", "FI01", str(path))

    assert result.exit_code == 0, result.output
    assert "2 accepted" in plain(result)


def test_a_csv_saved_by_excel_with_a_byte_order_mark_is_read(url: str, tmp_path: Path) -> None:
    path = tmp_path / "excel.csv"
    path.write_bytes(b"\xef\xbb\xbf" + GOOD.replace("\n", "\r\n").encode())

    result = run("import", "FI01", str(path), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] == 2


def test_a_semicolon_csv_with_decimal_commas_from_nordic_excel_is_read(
    url: str, tmp_path: Path
) -> None:
    path = tmp_path / "nordic.csv"
    text = (
        "type;id;customer;amount;currency;invoice_date;due_date;date;applies_to\r\n"
        "invoice;IMP-N1;C200;1234,50;EUR;2026-10-01;2026-10-31;;\r\n"
        "invoice;IMP-N2;C200;10;EUR;2026-10-01;2026-10-31;;\r\n"
        'payment;IMP-NP;C200;100,25;EUR;;;2026-10-20;"IMP-N1:100,25"\r\n'
    )
    path.write_bytes(b"\xef\xbb\xbf" + text.encode())
    before = balance_of_c200(url)

    result = run("import", "FI01", str(path), "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["accepted"] == 3
    assert balance_of_c200(url) - before == Decimal("1144.25")


def test_the_separator_and_decimal_mark_can_be_given(url: str, tmp_path: Path) -> None:
    path = tmp_path / "documents.txt"
    path.write_text(
        "type\tid\tcustomer\tamount\tcurrency\tinvoice_date\tdue_date\n"
        "invoice\tIMP-T1\tC200\t7,5\tEUR\t2026-10-01\t2026-10-31\n"
    )

    result = run(
        "import", "FI01", str(path), "--format", "csv", "--delimiter", "tab", "--decimal-comma"
    )

    assert result.exit_code == 0, result.output
    assert "1 accepted" in plain(result)


def test_bytes_that_are_not_utf_8_reject_their_row_only(url: str, tmp_path: Path) -> None:
    path = tmp_path / "latin1.csv"
    path.write_bytes(
        GOOD.encode() + "invoice,IMP-G3,C200,1.00,EUR,2026-10-01,2026-10-31,Å\n".encode("latin-1")
    )

    result = run("import", "FI01", str(path), "--json")

    no_traceback(result)
    assert result.exit_code == 2, result.output
    summary = json.loads(result.stdout)
    assert summary["accepted"] == 2
    assert [(r["row"], r["code"]) for r in summary["rejections"]] == [(3, "unreadable_row")]


def test_a_csv_field_over_128_kib_rejects_its_row(url: str, tmp_path: Path) -> None:
    path = tmp_path / "huge.csv"
    path.write_text(
        GOOD + f"invoice,IMP-H,C200,1.00,EUR,2026-10-01,2026-10-31,{'x' * 200_000}\n"
        "invoice,IMP-G4,C200,1.00,EUR,2026-10-01,2026-10-31\n"
    )

    result = run("import", "FI01", str(path), "--json")

    no_traceback(result)
    assert result.exit_code == 2, result.output
    summary = json.loads(result.stdout)
    assert summary["accepted"] == 3
    assert [r["code"] for r in summary["rejections"]] == ["unreadable_row"]


def test_deeply_nested_ndjson_and_invalid_utf_8_lines_are_rejected(
    url: str, tmp_path: Path
) -> None:
    good = {
        "type": "invoice",
        "id": "IMP-J1",
        "customer": "C200",
        "amount": "1.00",
        "currency": "EUR",
        "invoice_date": "2026-10-01",
        "due_date": "2026-10-31",
    }
    path = tmp_path / "documents.ndjson"
    path.write_bytes(
        json.dumps(good).encode()
        + b"\n"
        + b'{"type": "invoice", "id": '
        + b"[" * 100_000
        + b"]" * 100_000
        + b"}\n"
        + b'{"type": "invoice", "id": "\xff"}\n'
    )

    result = run("import", "FI01", str(path), "--json")

    no_traceback(result)
    assert result.exit_code == 2, result.output
    summary = json.loads(result.stdout)
    assert summary["accepted"] == 1
    assert [r["code"] for r in summary["rejections"]] == ["unreadable_row", "unreadable_row"]


def test_an_amount_or_a_running_total_past_64_bit_minor_units_rejects_its_row(
    url: str, tmp_path: Path
) -> None:
    path = tmp_path / "big.csv"
    path.write_text(
        "type,id,customer,amount,currency,invoice_date,due_date\n"
        "invoice,IMP-B1,C200,92233720368547758.08,EUR,2026-10-01,2026-10-31\n"
        "invoice,IMP-B2,C200,50000000000000000.00,EUR,2026-10-01,2026-10-31\n"
        "invoice,IMP-B3,C200,50000000000000000.00,EUR,2026-10-01,2026-10-31\n"
    )
    before = balance_of_c200(url)

    result = run("import", "FI01", str(path), "--json")

    no_traceback(result)
    assert result.exit_code == 2, result.output
    summary = json.loads(result.stdout)
    assert [(r["row"], r["code"]) for r in summary["rejections"]] == [
        (1, "amount_out_of_range"),
        (3, "amount_out_of_range"),
    ]
    assert balance_of_c200(url) - before == Decimal("50000000000000000.00")
    check = run("db", "check")
    assert check.exit_code == 0, check.output


def test_ids_that_break_the_id_rule_are_rejected(url: str, tmp_path: Path) -> None:
    path = tmp_path / "ids.csv"
    path.write_text(
        "type,id,customer,amount,currency,invoice_date,due_date\n"
        "invoice,IMP\u202eX,C200,1.00,EUR,2026-10-01,2026-10-31\n"
        f"invoice,{'I' * 81},C200,1.00,EUR,2026-10-01,2026-10-31\n"
        "invoice,   ,C200,1.00,EUR,2026-10-01,2026-10-31\n"
    )

    result = run("import", "FI01", str(path), "--json")

    assert result.exit_code == 2, result.output
    assert [r["code"] for r in json.loads(result.stdout)["rejections"]] == ["invalid_id"] * 3


def test_when_the_import_stops_early_the_summary_of_what_was_stored_is_printed(
    url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from creditdesk.service_layer import bulk_import

    real = bulk_import._run_batch
    calls: list[int] = []

    def second_batch_fails(*args: Any, **kwargs: Any) -> None:
        calls.append(1)
        if len(calls) == 2:
            raise RuntimeError("the disk is full")
        real(*args, **kwargs)

    monkeypatch.setattr(bulk_import, "_run_batch", second_batch_fails)
    path = tmp_path / "good.csv"
    path.write_text(GOOD)

    result = run("import", "FI01", str(path), "--batch-size", "1")

    no_traceback(result)
    assert result.exit_code == 1
    assert "1 accepted" in plain(result)
    assert "the disk is full" in Text.from_ansi(result.stderr).plain


@pytest.mark.parametrize("sample", sorted(SAMPLES.glob("*.*")), ids=lambda p: p.name)
def test_the_documented_sample_files_import_cleanly(url: str, tmp_path: Path, sample: Path) -> None:
    result = run("import", "FI01", str(sample), "--json")

    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["rejected"] == 0
    assert summary["accepted"] > 0
