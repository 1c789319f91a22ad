"""Credit limit adjustment journals through the API (reference §6; B59–B64; SPEC A-07)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from creditdesk.entrypoints.cli.main import app
from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, FixedClock, m

LE = "FI01"
JOURNALS = f"/legal-entities/{LE}/credit-limit-journals"


@pytest.fixture
def fi(api: Api, runtime: Runtime) -> Api:
    runtime.clock = FixedClock("2025-06-01")
    api.legal_entity(LE, "EUR")
    api.customer(LE, "C100", "12345.00 EUR", limit_expires_on="2025-12-31")
    return api


def test_a_new_journal_takes_the_next_number_of_the_legal_entity_and_starts_as_a_draft(
    fi: Api,
) -> None:
    r = fi.post(JOURNALS, {"type": "credit_limit", "description": "Yearly review"})

    assert r.status_code == 201, r.text
    body = r.json()
    assert body["id"] == "CLA000001"
    assert body["type"] == "credit_limit"
    assert body["description"] == "Yearly review"
    assert body["status"] == "draft"
    assert body["posted"] is False
    assert body["lines"] == []
    assert fi.journal(LE, "temporary_credit_limit") == "CLA000002"
    fi.legal_entity("NO01", "NOK")
    assert fi.journal("NO01") == "CLA000001"


def test_journals_are_listed_and_read_back(fi: Api) -> None:
    first = fi.journal(LE)
    second = fi.journal(LE, "temporary_credit_limit")

    r = fi.get(JOURNALS)

    assert r.status_code == 200, r.text
    assert [j["id"] for j in r.json()["items"]] == [first, second]
    assert fi.get(f"{JOURNALS}/{second}").json()["type"] == "temporary_credit_limit"
    fi.problem(fi.get(f"{JOURNALS}/CLA999999"), 404, "journal_not_found")


def test_the_stored_line_shows_the_customers_current_limit(fi: Api) -> None:
    journal = fi.journal(LE)

    r = fi.journal_line(
        LE, journal, customer="C100", new_limit=m("20000 EUR"), new_expires_on="2026-12-31"
    )

    assert r.status_code == 201, r.text
    assert r.json()["current_limit"] == m("12345.00 EUR")
    assert r.json()["new_limit"] == m("20000.00 EUR")
    line = fi.get(f"{JOURNALS}/{journal}").json()["lines"][0]
    assert line["customer"] == "C100"
    assert line["current_limit"] == m("12345.00 EUR")
    assert line["new_expires_on"] == "2026-12-31"


def test_b60_a_line_with_both_a_customer_and_a_credit_group_is_rejected(fi: Api) -> None:
    fi.group("G1", "50000 EUR")
    journal = fi.journal(LE)

    both = fi.journal_line(
        LE,
        journal,
        customer="C100",
        credit_group="G1",
        new_limit=m("1 EUR"),
        new_expires_on="2026-12-31",
    )
    neither = fi.journal_line(LE, journal, new_limit=m("1 EUR"), new_expires_on="2026-12-31")

    fi.problem(both, 422, "customer_or_group")
    fi.problem(neither, 422, "customer_or_group")
    assert fi.get(f"{JOURNALS}/{journal}").json()["lines"] == []


def test_b61_a_credit_limit_line_without_a_new_expiration_date_is_rejected(fi: Api) -> None:
    journal = fi.journal(LE)

    r = fi.journal_line(LE, journal, customer="C100", new_limit=m("20000 EUR"))

    fi.problem(r, 422, "expiration_date_required")


def test_a_temporary_line_without_its_from_and_to_dates_is_rejected(fi: Api) -> None:
    journal = fi.journal(LE, "temporary_credit_limit")

    r = fi.journal_line(LE, journal, customer="C100", new_limit=m("20000 EUR"), to="2025-06-30")

    fi.problem(r, 422, "temporary_dates_required")


def test_a_line_for_an_unknown_customer_answers_404(fi: Api) -> None:
    journal = fi.journal(LE)

    r = fi.journal_line(
        LE, journal, customer="NOPE", new_limit=m("1 EUR"), new_expires_on="2026-12-31"
    )

    fi.problem(r, 404, "customer_not_found")


def test_b62_generate_from_existing_customers_with_fixed_and_percentage_values(fi: Api) -> None:
    journal = fi.journal(LE)
    generate = f"{JOURNALS}/{journal}/generate"

    fixed = fi.post(
        generate,
        {
            "source": "customers",
            "value": "5000",
            "value_type": "fixed",
            "round_off": "1000",
            "rounding": "up",
            "date_method": "absolute",
            "new_expires_on": "2026-12-31",
        },
    )
    assert fixed.status_code == 200, fixed.text
    assert [line["new_limit"] for line in fixed.json()["lines"]] == [m("18000.00 EUR")]

    percent = fi.post(
        generate,
        {
            "source": "customers",
            "value": "10",
            "value_type": "percent",
            "round_off": "10",
            "rounding": "down",
            "new_expires_on": "2026-12-31",
            "customers": ["C100"],
        },
    )
    assert percent.status_code == 200, percent.text
    lines = percent.json()["lines"]
    assert [line["new_limit"] for line in lines] == [m("13570.00 EUR")]  # replaced, not added
    assert lines[0]["current_limit"] == m("12345.00 EUR")


def test_generating_with_relative_dates_moves_the_current_expiry(fi: Api) -> None:
    journal = fi.journal(LE)

    r = fi.post(
        f"{JOURNALS}/{journal}/generate",
        {"source": "customers", "value": "0", "date_method": "relative", "to_offset_days": 365},
    )

    assert r.status_code == 200, r.text
    assert r.json()["lines"][0]["new_expires_on"] == "2026-12-31"


def test_b63_posting_sets_the_limit_the_expiry_and_the_credit_limit_date(fi: Api) -> None:
    journal = fi.journal(LE)
    r = fi.journal_line(
        LE, journal, customer="C100", new_limit=m("20000 EUR"), new_expires_on="2026-12-31"
    )
    assert r.status_code == 201, r.text

    posted = fi.post_journal(LE, journal)

    assert posted.status_code == 200, posted.text
    assert posted.json()["posted"] is True
    assert posted.json()["status"] == "posted"
    assert posted.json()["posted_on"] == "2025-06-01"
    customer = fi.get(f"/legal-entities/{LE}/customers/C100").json()
    assert customer["credit"]["limit"] == m("20000.00 EUR")
    assert customer["credit"]["limit_expires_on"] == "2026-12-31"
    assert customer["derived"]["limit_date"] == "2025-06-01"
    assert fi.get(f"{JOURNALS}/{journal}").json()["posted"] is True


def test_a_posted_journal_answers_409_journal_posted_to_any_change(fi: Api) -> None:
    journal = fi.journal(LE)
    fi.journal_line(
        LE, journal, customer="C100", new_limit=m("20000 EUR"), new_expires_on="2026-12-31"
    )
    assert fi.post_journal(LE, journal).status_code == 200

    fi.problem(fi.post_journal(LE, journal), 409, "journal_posted")
    fi.problem(
        fi.journal_line(
            LE, journal, customer="C100", new_limit=m("1 EUR"), new_expires_on="2026-12-31"
        ),
        409,
        "journal_posted",
    )
    fi.problem(
        fi.post(
            f"{JOURNALS}/{journal}/generate",
            {"source": "customers", "value": "1", "new_expires_on": "2026-12-31"},
        ),
        409,
        "journal_posted",
    )
    assert fi.credit(LE, "C100")["limit"] == m("20000.00 EUR")


def test_an_empty_journal_cannot_be_posted(fi: Api) -> None:
    fi.problem(fi.post_journal(LE, fi.journal(LE)), 422, "journal_empty")


def test_b59_with_manual_editing_off_only_a_journal_changes_the_limit(fi: Api) -> None:
    fi.credit_parameters(LE, allow_manual_limit_edit=False)

    edit = fi.put(
        f"/legal-entities/{LE}/customers/C100",
        {"name": "Customer C100", "credit": {"limit": m("50000 EUR")}},
    )
    fi.problem(edit, 409, "manual_limit_edit_disabled")
    journal = fi.journal(LE)
    fi.journal_line(
        LE, journal, customer="C100", new_limit=m("50000 EUR"), new_expires_on="2026-12-31"
    )
    assert fi.post_journal(LE, journal).status_code == 200

    assert fi.credit(LE, "C100")["limit"] == m("50000.00 EUR")


def test_a_credit_group_line_sets_the_group_limit_and_expiry(fi: Api) -> None:
    fi.group("G1", "50000 EUR", expires="2025-12-31")
    journal = fi.journal(LE)
    r = fi.journal_line(
        LE, journal, credit_group="G1", new_limit=m("80000 EUR"), new_expires_on="2026-06-30"
    )
    assert r.status_code == 201, r.text
    assert r.json()["current_limit"] == m("50000.00 EUR")

    assert fi.post_journal(LE, journal).status_code == 200

    group = fi.get("/credit-groups/G1").json()
    assert group["limit"] == m("80000.00 EUR")
    assert group["limit_expires_on"] == "2026-06-30"


def test_generating_from_credit_groups_adjusts_each_group_limit(fi: Api) -> None:
    fi.group("G1", "50000 EUR")
    fi.group("G2", "12345 EUR")
    journal = fi.journal(LE)

    r = fi.post(
        f"{JOURNALS}/{journal}/generate",
        {
            "source": "credit_groups",
            "value": "10",
            "value_type": "percent",
            "round_off": "100",
            "rounding": "up",
            "new_expires_on": "2026-12-31",
        },
    )

    assert r.status_code == 200, r.text
    assert [(x["credit_group"], x["new_limit"]) for x in r.json()["lines"]] == [
        ("G1", m("55000.00 EUR")),
        ("G2", m("13600.00 EUR")),
    ]


def test_posting_writes_audit_events_for_the_journal_and_the_customer(fi: Api) -> None:
    journal = fi.journal(LE)
    fi.journal_line(
        LE, journal, customer="C100", new_limit=m("20000 EUR"), new_expires_on="2026-12-31"
    )
    fi.post_journal(LE, journal)

    journal_events = fi.get("/audit-events", entity="credit_limit_journal").json()["items"]
    customer_events = fi.get("/audit-events", entity="customer", key=f"{LE}/C100").json()

    assert [e["action"] for e in journal_events] == ["create", "add_line", "post"]
    adjust = customer_events["items"][-1]
    assert adjust["action"] == "adjust_limit"
    assert adjust["before"]["credit"]["limit"] == m("12345.00 EUR")
    assert adjust["after"]["credit"]["limit"] == m("20000.00 EUR")


def test_a_viewer_cannot_create_or_post_journals(fi: Api) -> None:
    viewer = fi.as_token(fi.new_token("viewer"))

    r = viewer.post(JOURNALS, {"type": "credit_limit"})

    fi.problem(r, 403, "forbidden")


def test_the_cli_creates_fills_posts_and_shows_a_journal(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", f"sqlite:///{tmp_path / 'cli.db'}")
    runner = CliRunner()
    assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
    from creditdesk.bootstrap import build_runtime, dispose
    from creditdesk.config import Settings
    from creditdesk.service_layer import customers, setup
    from creditdesk.service_layer.auth import SYSTEM

    rt = build_runtime(Settings(database_url=f"sqlite:///{tmp_path / 'cli.db'}"))
    try:
        setup.put_legal_entity(rt, SYSTEM, LE, "Contoso Oy", "EUR")
        customers.put_customer(
            rt,
            SYSTEM,
            LE,
            "C100",
            name="Customer C100",
            currency_code=None,
            payment_terms=None,
            settlement_discount=None,
            credit=None,
        )
    finally:
        dispose(rt)

    created = runner.invoke(app, ["journals", "create", LE, "--description", "review"])
    assert created.exit_code == 0, created.output
    journal = created.stdout.strip()
    line = runner.invoke(
        app,
        [
            "journals",
            "lines",
            LE,
            journal,
            "--customer",
            "C100",
            "--new-limit",
            "20000 EUR",
            "--expires",
            "2026-12-31",
        ],
    )
    assert line.exit_code == 0, line.output
    posted = runner.invoke(app, ["journals", "post", LE, journal])
    assert posted.exit_code == 0, posted.output
    shown = runner.invoke(app, ["journals", "show", LE, journal])
    assert shown.exit_code == 0, shown.output
    assert "posted" in shown.stdout
    assert "20000.00 EUR" in shown.stdout
    again = runner.invoke(app, ["journals", "post", LE, journal])
    assert again.exit_code == 1
    assert "journal_posted" in again.stderr
    listed = runner.invoke(app, ["journals", "list", LE])
    assert journal in listed.stdout
