"""Balance statistics through the API and the CLI (reference §2.3, §8.1, §8.4; B68–B71)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from creditdesk.entrypoints.cli.main import app
from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, FixedClock, m

LE = "FI01"
BASE = f"/legal-entities/{LE}"


@pytest.fixture
def fi(api: Api, runtime: Runtime) -> Api:
    runtime.clock = FixedClock("2023-10-11")
    api.legal_entity(LE, "EUR")
    api.customer(LE, "C100", "100000.00 EUR")
    return api


def calculate(api: Api, as_of: str = "2023-10-11", **body: Any) -> dict[str, Any]:
    r = api.post(f"{BASE}/balance-statistics:calculate", {"as_of": as_of, **body})
    assert r.status_code == 200, r.text
    return dict(r.json())


def b68_documents(api: Api) -> None:
    """Credit sales 150,000 inside the last 6 months; 100,000 paid: balance 50,000."""
    api.invoice(LE, "INV-1", "C100", "150000 EUR", "2023-06-01", "2023-07-01")
    api.payment(LE, "PAY-1", "C100", "100000 EUR", "2023-07-01", {"INV-1": "100000 EUR"})


def test_b68_dso1_is_121_67_over_12_months_and_dso2_61_00_over_6_months(fi: Api) -> None:
    b68_documents(fi)

    assert calculate(fi)["calculated"] == 1

    stats = fi.derived(LE, "C100")["statistics"]
    assert stats["as_of"] == "2023-10-11"
    assert stats["dso1"] == "121.67"
    assert stats["dso2"] == "61.00"


def test_b69_a_later_customer_since_counts_the_days_from_it(fi: Api) -> None:
    fi.customer(LE, "C100", "100000.00 EUR", customer_since="2023-05-01")
    b68_documents(fi)

    calculate(fi)

    stats = fi.derived(LE, "C100")["statistics"]
    assert stats["dso2"] == "54.33"
    assert stats["dso1"] == "54.33"


def test_average_payment_days_and_average_balance(fi: Api) -> None:
    b68_documents(fi)

    calculate(fi)

    stats = fi.derived(LE, "C100")["statistics"]
    assert stats["average_payment_days"] == "30.00"
    # month points 2022-11-11 … 2023-10-11: 150,000 on 2023-06-11, 50,000 on the 4 after
    assert stats["average_balance"] == m("29166.67 EUR")


def test_b70_an_invoice_paid_on_its_own_date_gives_0_average_payment_days(fi: Api) -> None:
    fi.invoice(LE, "INV-1", "C100", "1000 EUR", "2023-09-01", "2023-10-01")
    fi.payment(LE, "PAY-1", "C100", "1000 EUR", "2023-09-01", {"INV-1": "1000 EUR"})

    calculate(fi)

    stats = fi.derived(LE, "C100")["statistics"]
    assert stats["average_payment_days"] == "0.00"
    assert stats["dso1"] == "0.00"


def test_a_customer_without_sales_has_no_dso(fi: Api) -> None:
    calculate(fi)

    stats = fi.derived(LE, "C100")["statistics"]
    assert stats["dso1"] is None
    assert stats["average_payment_days"] is None
    assert stats["average_balance"] == m("0.00 EUR")


def test_running_the_calculation_again_replaces_the_figures_of_that_date(fi: Api) -> None:
    calculate(fi)
    b68_documents(fi)

    assert calculate(fi)["calculated"] == 1

    assert fi.derived(LE, "C100")["statistics"]["dso1"] == "121.67"


def test_the_months_parameters_change_the_windows(fi: Api) -> None:
    r = fi.put(f"{BASE}/statistics-parameters", {"dso2_months": 3})
    assert r.status_code == 200, r.text
    assert r.json()["dso2_months"] == 3
    assert fi.get(f"{BASE}/statistics-parameters").json()["dso1_months"] == 12
    b68_documents(fi)  # the invoice of 2023-06-01 is outside the last 3 months

    calculate(fi)

    assert fi.derived(LE, "C100")["statistics"]["dso2"] is None
    fi.problem(
        fi.put(f"{BASE}/statistics-parameters", {"dso1_months": 0}),
        422,
        ("invalid_statistics_parameters"),
    )


def test_b71_deletion_must_keep_the_balance_statistics_months(fi: Api, runtime: Runtime) -> None:
    for day in ("2024-06-29", "2024-06-30", "2025-06-30"):
        calculate(fi, as_of=day)
    runtime.clock = FixedClock("2025-06-30")

    refused = fi.post(f"{BASE}/balance-statistics:delete", {"until": "2025-01-01"})
    fi.problem(refused, 422, "statistics_cutoff_too_late")
    deleted = fi.post(f"{BASE}/balance-statistics:delete", {"until": "2024-06-30"})

    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["deleted"] == 1
    assert fi.post(f"{BASE}/balance-statistics:delete", {}).json()["deleted"] == 0
    assert fi.derived(LE, "C100")["statistics"]["as_of"] == "2025-06-30"


def test_the_statistics_feed_a_dso_scoring_group(fi: Api) -> None:
    b68_documents(fi)
    r = fi.put(
        f"{BASE}/scoring-groups/DSO",
        {
            "measure": "days_sales_outstanding",
            "score_type": "range",
            "lines": [
                {"from": "0", "to": "90", "score": 30},
                {"from": "90.01", "to": "999", "score": 5},
            ],
        },
    )
    assert r.status_code == 200, r.text

    r = fi.post(f"{BASE}/risk-scores:update", {"as_of": "2023-10-11"})

    assert r.status_code == 200, r.text
    factors = fi.derived(LE, "C100")["score_factors"]
    assert factors == [
        {"scoring_group": "DSO", "measure": "days_sales_outstanding", "value": "121.67", "score": 5}
    ]


def test_the_cli_runs_statistics_and_risk_scores_with_a_progress_bar(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'cli.db'}"
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", url)
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    from creditdesk.bootstrap import build_runtime, dispose
    from creditdesk.config import Settings
    from creditdesk.service_layer import customers, setup
    from creditdesk.service_layer.auth import SYSTEM

    rt = build_runtime(Settings(database_url=url))
    try:
        setup.put_legal_entity(rt, SYSTEM, LE, "Contoso Oy", "EUR")
        for account in ("C1", "C2", "C3"):
            customers.put_customer(
                rt,
                SYSTEM,
                LE,
                account,
                name=account,
                currency_code=None,
                payment_terms=None,
                settlement_discount=None,
                credit=None,
            )
    finally:
        dispose(rt)

    stats = runner.invoke(app, ["statistics", "run", LE, "--as-of", "2025-06-30"])
    assert stats.exit_code == 0, stats.output
    assert "3 customers' statistics calculated in FI01 as of 2025-06-30" in stats.stdout
    assert "balance statistics" in stats.stderr
    scores = runner.invoke(app, ["scoring", "run", LE, "--as-of", "2025-06-30"])
    assert scores.exit_code == 0, scores.output
    assert "3 customers scored" in scores.stdout
    again = runner.invoke(app, ["scoring", "run", LE, "--customer", "C2"])
    assert "1 customers scored" in again.stdout
    refused = runner.invoke(app, ["statistics", "delete", LE, "--until", "2099-01-01"])
    assert refused.exit_code == 1
    assert "statistics_cutoff_too_late" in refused.stderr
