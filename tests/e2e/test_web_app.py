"""The web app through FastAPI's TestClient on the demo data: sign-in, CSRF, roles and
legal-entity scopes (the same service-layer checks as the API), the hold list, the customer
credit page, credit groups, setup, and money and dates in the user's language."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from fastapi.testclient import TestClient
from rich.console import Console
from typer.testing import CliRunner

from creditdesk.bootstrap import build_runtime, dispose
from creditdesk.config import Settings
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.cli.demo import DEMO_PASSWORD, load_demo
from creditdesk.entrypoints.cli.main import app as cli
from creditdesk.entrypoints.web import i18n
from creditdesk.service_layer import holds
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime

WEB = Path(i18n.__file__).parent
SAME_WORD = {"Administrator"}  # the same word in Norwegian
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture
def demo(runtime: Runtime) -> Runtime:
    load_demo(runtime, Console(file=io.StringIO()))
    return runtime


@pytest.fixture
def client(settings: Settings, demo: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, demo)) as c:
        yield c


def csrf_of(client: TestClient, path: str = "/sign-in") -> str:
    found = CSRF.search(client.get(path).text)
    assert found is not None
    return found.group(1)


def sign_in(client: TestClient, username: str, password: str = DEMO_PASSWORD) -> None:
    r = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def open_hold_ids(rt: Runtime, legal_entity: str | None = None) -> list[str]:
    rows = holds.list_holds(rt, SYSTEM, status="on_hold", legal_entity=legal_entity, customer=None)
    return [str(h["id"]) for h in rows]


def test_the_root_is_the_web_app_and_asks_for_a_sign_in(client: TestClient) -> None:
    r = client.get("/", follow_redirects=True)
    assert r.status_code == 200
    assert str(r.url).endswith("/sign-in?next=/holds")
    assert '<label for="password">' in r.text
    assert client.get("/api/v1/openapi.json").status_code == 200


def test_a_wrong_password_is_refused_and_signs_no_one_in(client: TestClient) -> None:
    r = client.post(
        "/sign-in",
        data={"username": "clerk", "password": "wrong-password", "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 401
    assert "The username or password is not right." in r.text
    assert client.get("/holds", follow_redirects=False).status_code == 303


def test_a_post_without_the_csrf_token_is_refused(client: TestClient, demo: Runtime) -> None:
    csrf_of(client)
    r = client.post("/sign-in", data={"username": "clerk", "password": DEMO_PASSWORD})
    assert r.status_code == 403
    sign_in(client, "clerk")
    r = client.post("/holds/release", data={"hold_id": open_hold_ids(demo)})
    assert r.status_code == 403
    r = client.post("/holds/release", data={"csrf_token": "forged", "hold_id": ["x"]})
    assert r.status_code == 403


def test_a_clerk_releases_a_hold_with_a_reason_and_it_leaves_the_open_list(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "clerk")
    page = client.get("/holds")
    assert "SO-FI-5003" in page.text
    assert "Individual credit limit exceeded" in page.text
    hold_id = next(
        h
        for h in open_hold_ids(demo)
        if holds.get_hold(demo, SYSTEM, h)["sales_order"] == "SO-FI-5003"
    )
    r = client.post(
        "/holds/release",
        data={
            "csrf_token": csrf_of(client, "/holds"),
            "hold_id": [hold_id],
            "release_reason": "REL-OK",
            "review_date": "2030-01-31",
            "with_posting": "on",
        },
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "1 holds released." in r.text
    assert "SO-FI-5003" not in r.text
    released = holds.get_hold(demo, SYSTEM, hold_id)
    assert released["status"] == "released"
    assert released["release_reason"] == "REL-OK"
    assert released["closed_by"] == "user:clerk"


def test_a_clerk_rejects_a_hold(client: TestClient, demo: Runtime) -> None:
    sign_in(client, "clerk")
    hold_id = open_hold_ids(demo, "SE01")[0]
    r = client.post(
        "/holds/reject",
        data={"csrf_token": csrf_of(client, "/holds"), "hold_id": [hold_id], "note": "no"},
        follow_redirects=True,
    )
    assert "1 holds rejected." in r.text
    assert holds.get_hold(demo, SYSTEM, hold_id)["status"] == "rejected"


def test_a_viewer_sees_the_holds_but_cannot_release_them(client: TestClient, demo: Runtime) -> None:
    sign_in(client, "viewer")
    page = client.get("/holds")
    assert "SO-FI-5003" in page.text
    assert 'formaction="/holds/release"' not in page.text
    hold_id = open_hold_ids(demo)[0]
    r = client.post(
        "/holds/release",
        data={"csrf_token": csrf_of(client, "/holds"), "hold_id": [hold_id]},
        follow_redirects=True,
    )
    assert "You may not do this." in r.text
    assert holds.get_hold(demo, SYSTEM, hold_id)["status"] == "on_hold"


def test_a_user_scoped_to_fi01_never_sees_the_holds_of_no01(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "clerk.fi")
    page = client.get("/holds?legal_entity=&sort=legal_entity")
    assert "SO-FI-5003" in page.text
    assert "SO-NO-6002" not in page.text
    assert "SO-SE-7001" not in page.text
    assert client.get("/holds?legal_entity=NO01").status_code == 403
    no_hold = open_hold_ids(demo, "NO01")[0]
    assert client.get(f"/holds/{no_hold}/figures").status_code == 404
    assert client.get("/customers/NO01/N300").status_code == 403
    r = client.post(
        "/holds/release",
        data={"csrf_token": csrf_of(client, "/holds"), "hold_id": [no_hold]},
        follow_redirects=True,
    )
    assert "Ei löytynyt." in r.text  # "Not found." (clerk.fi works in Finnish)
    assert holds.get_hold(demo, SYSTEM, no_hold)["status"] == "on_hold"


def test_the_hold_list_filters_and_sorts(client: TestClient) -> None:
    sign_in(client, "manager")
    only_se = client.get("/holds?legal_entity=SE01").text
    assert "SO-SE-7001" in only_se
    assert "SO-FI-5003" not in only_se
    mandatory = client.get("/holds?reason=mandatory_credit_limit").text
    assert "SO-SE-7001" in mandatory
    assert "SO-NO-6002" not in mandatory
    by_customer = client.get("/holds?customer=N300").text
    assert "SO-NO-6002" in by_customer
    assert "SO-SE-7001" not in by_customer
    ascending = client.get("/holds?sort=customer&order=asc").text
    assert ascending.index("SO-FI-5003") < ascending.index("SO-NO-6002")
    descending = client.get("/holds?sort=customer&order=desc").text
    assert descending.index("SO-SE-7001") < descending.index("SO-FI-5003")


def test_the_credit_figures_of_a_hold_come_as_an_htmx_partial(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "clerk")
    hold_id = open_hold_ids(demo, "FI01")[0]
    r = client.get(f"/holds/{hold_id}/figures", headers={"HX-Request": "true"})
    assert r.status_code == 200
    assert "<html" not in r.text
    assert "Available credit" in r.text
    assert "€10,000.00" in r.text
    assert "NORDWIND" in r.text


def test_the_customer_page_shows_limit_exposure_aging_decisions_and_holds(
    client: TestClient,
) -> None:
    sign_in(client, "viewer")
    page = client.get("/customers/FI01/C100").text
    for text in (
        "Nordwind Oy",
        "Effective credit limit",
        "€10,000.00",
        "Available credit",
        "Percent of credit limit used",
        "Aged balances",
        "<svg",
        "Credit decisions",
        "SO-FI-5003",
        "<strong>Individual credit limit exceeded</strong>: exposure €7,200.00 + order €2,900.00 "
        "= €10,100.00, over the limit €10,000.00",
        'href="/groups/NORDWIND"',
    ):
        assert text in page, text


def test_the_credit_group_page_lists_members_across_legal_entities(client: TestClient) -> None:
    sign_in(client, "manager")
    page = client.get("/groups/NORDWIND").text
    for member in ("FI01/C100", "NO01/C100", "SE01/C100"):
        assert member in page
    assert "€30,000.00" in page
    assert "Aged balances" in page


def test_adding_a_member_offers_the_same_account_in_other_legal_entities(
    client: TestClient, demo: Runtime
) -> None:
    from datetime import timedelta

    from creditdesk.domain.money import Money
    from creditdesk.service_layer import customers, groups

    today = demo.clock.today()
    groups.put_group(
        demo, SYSTEM, "POHJOLA", "Pohjola", Money.of("1000.00", "EUR"), today + timedelta(days=30)
    )
    customers.put_customer(
        demo,
        SYSTEM,
        "NO01",
        "C200",
        name="Pohjola AS",
        currency_code="NOK",
        payment_terms="Net30",
        settlement_discount=None,
        credit={"limit": Money.of("100.00", "NOK")},
    )
    sign_in(client, "manager")
    r = client.post(
        "/groups/POHJOLA/members",
        data={
            "csrf_token": csrf_of(client, "/groups/POHJOLA"),
            "legal_entity": "FI01",
            "account": "C200",
        },
        follow_redirects=True,
    )
    assert "FI01/C200 is a member of the credit group." in r.text
    assert "Add NO01/C200" in r.text


def test_setup_shows_parameters_and_rules_and_a_manager_adds_a_rule(client: TestClient) -> None:
    sign_in(client, "manager")
    page = client.get("/setup/FI01").text
    assert "Credit parameters" in page
    assert "Blocking and exclusion rules" in page
    r = client.post(
        "/setup/FI01/rules",
        data={
            "csrf_token": csrf_of(client, "/setup/FI01"),
            "rule": "days_overdue",
            "kind": "blocking",
            "valid_for": "all",
            "value_type": "days",
            "value": "45",
        },
        follow_redirects=True,
    )
    assert "The rule is added." in r.text, r.text


def test_finnish_is_chosen_from_the_browser_and_formats_money_the_finnish_way(
    client: TestClient,
) -> None:
    sign_in(client, "viewer")
    page = client.get("/customers/FI01/C100", headers={"Accept-Language": "fi-FI,fi;q=0.9"}).text
    assert '<html lang="fi">' in page
    assert "Käytettävissä oleva luotto" in page
    assert "10\xa0000,00\xa0€" in page


def test_the_language_switch_is_remembered_for_the_user(client: TestClient) -> None:
    sign_in(client, "manager")
    r = client.post(
        "/language",
        data={"csrf_token": csrf_of(client, "/holds"), "language": "sv", "next": "/holds"},
        follow_redirects=True,
    )
    assert "Spärrlista" in r.text
    client.cookies.clear()
    sign_in(client, "manager")
    assert "Spärrlista" in client.get("/holds").text


@pytest.mark.parametrize(
    ("language", "currency", "expected"),
    [
        ("en", "EUR", "€15,000.00"),
        ("fi", "EUR", "15\xa0000,00\xa0€"),
        ("nb", "NOK", "kr\xa015\xa0000,00"),
        ("sv", "SEK", "15\xa0000,00\xa0kr"),
    ],
)
def test_money_is_formatted_per_language(language: str, currency: str, expected: str) -> None:
    t = i18n.translator(language)
    assert t.money({"amount": "15000.00", "currency": currency}) == expected


def test_dates_follow_the_language() -> None:
    assert i18n.translator("fi").date("2026-11-23") == "23.11.2026"
    assert i18n.translator("sv").date("2026-11-23") == "2026-11-23"
    assert i18n.translator("en").date("2026-11-23") == "Nov 23, 2026"


def test_every_visible_string_is_translated_into_finnish_norwegian_and_swedish() -> None:
    messages = {
        str(message)
        for _, _, message, _, _ in extract_from_dir(
            str(WEB),
            method_map=[("**.py", "python"), ("templates/**.html", "jinja2")],
            keywords={"_": None, "gettext": None, "N_": None},
        )
    }
    assert len(messages) > 150
    for language in ("fi", "nb", "sv"):
        catalog = i18n.catalog(language)
        missing = sorted(m for m in messages if not catalog.get(m))
        assert not missing, f"{language}: {missing}"
        same = [m for m in messages if catalog[m] == m and len(m) > 12 and m not in SAME_WORD]
        assert not same, f"{language} copies English: {same}"


def test_accept_language_picks_the_best_of_our_languages() -> None:
    assert i18n.negotiate("de-DE,sv;q=0.8,fi;q=0.5") == "sv"
    assert i18n.negotiate("no") == "nb"
    assert i18n.negotiate("nb-NO") == "nb"
    assert i18n.negotiate("de") == "en"
    assert i18n.negotiate(None) == "en"


def test_sign_out_ends_the_session(client: TestClient) -> None:
    sign_in(client, "clerk")
    r = client.post(
        "/sign-out", data={"csrf_token": csrf_of(client, "/holds")}, follow_redirects=False
    )
    assert r.status_code == 303
    assert client.get("/holds", follow_redirects=False).status_code == 303


def test_the_cli_creates_a_user_who_can_sign_in(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    url = f"sqlite:///{tmp_path / 'users.db'}"
    monkeypatch.setenv("CREDITDESK_DATABASE_URL", url)
    runner = CliRunner()
    r = runner.invoke(
        cli,
        ["user", "create", "anna", "--role", "credit_clerk", "--legal-entity", "FI01"],
        input="secret-password\nsecret-password\n",
    )
    assert r.exit_code == 1  # the legal entity does not exist yet
    assert "legal entity FI01 does not exist" in r.output
    r = runner.invoke(
        cli,
        ["user", "create", "anna", "--role", "viewer", "--name", "Anna"],
        input="secret-password\nsecret-password\n",
    )
    assert r.exit_code == 0, r.output
    assert "user anna (viewer, legal entities: all)" in r.output
    settings = Settings(database_url=url, deliver_webhooks=False, scheduler=False)
    rt = build_runtime(settings)
    with rt.uow(read_only=True) as uow:
        stored = uow.users.get("anna")
    dispose(rt)
    assert stored is not None
    assert stored.password_hash.startswith("$argon2id$")
    assert "secret-password" not in stored.password_hash
    with TestClient(create_app(settings)) as c:
        sign_in(c, "anna", "secret-password")
        assert "Anna" in c.get("/holds").text


def test_evaluate_for_release_re_runs_the_rules_of_the_selected_holds(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "clerk")
    assert "Evaluate for release" in client.get("/holds").text
    hold_id = open_hold_ids(demo, "FI01")[0]
    r = client.post(
        "/holds/evaluate",
        data={"csrf_token": csrf_of(client, "/holds"), "hold_id": [hold_id]},
        follow_redirects=True,
    )
    assert "1 holds evaluated: 0 ready to release, 0 released." in r.text


def test_a_manager_creates_fills_and_posts_an_adjustment_journal(
    client: TestClient, demo: Runtime
) -> None:
    from creditdesk.service_layer import customers, workflows

    # the demo approves FI01 journals through a workflow; this test posts one directly
    workflows.put_workflow(
        demo, SYSTEM, "FI01", "credit_limit_journal", enabled=False, steps=[], completion=None
    )
    sign_in(client, "manager")
    r = client.post(
        "/journals/FI01",
        data={
            "csrf_token": csrf_of(client, "/journals/FI01"),
            "type": "credit_limit",
            "description": "Spring review",
        },
        follow_redirects=True,
    )
    assert r.status_code == 200
    assert "Spring review" in r.text
    journal_path = str(r.url.path)
    r = client.post(
        f"{journal_path}/lines",
        data={
            "csrf_token": csrf_of(client, journal_path),
            "target": "customer",
            "account": "C400",
            "new_limit": "25 000,00",
            "currency": "EUR",
            "new_expires_on": "2030-06-30",
        },
        follow_redirects=True,
    )
    assert "The line is added." in r.text, r.text
    assert "€25,000.00" in r.text
    r = client.post(
        f"{journal_path}/post",
        data={"csrf_token": csrf_of(client, journal_path)},
        follow_redirects=True,
    )
    assert "The journal is posted." in r.text, r.text
    limit = customers.get_customer(demo, SYSTEM, "FI01", "C400").credit.limit
    assert limit is not None
    assert str(limit.amount) == "25000.00"


def test_the_customer_page_shows_the_risk_score_with_its_factors(
    client: TestClient, demo: Runtime
) -> None:
    from creditdesk.service_layer import scoring

    scoring.put_scoring_group(
        demo,
        SYSTEM,
        "FI01",
        "STATUS",
        measure="account_status",
        score_type="value",
        lines=[{"value": "NORMAL", "score": 20}],
    )
    scoring.update_risk_scores(demo, SYSTEM, "FI01", accounts=["C100"])
    sign_in(client, "viewer")
    page = client.get("/customers/FI01/C100").text
    assert "Risk score" in page
    assert "Account status" in page
    assert '<p class="big">20' in page


def test_a_manager_saves_credit_parameters_and_a_viewer_may_not(
    client: TestClient, demo: Runtime
) -> None:
    from creditdesk.service_layer import setup

    form = dict.fromkeys(("credit_management", "check_group_limits"), "on")
    sign_in(client, "viewer")
    r = client.post(
        "/setup/FI01/parameters",
        data={"csrf_token": csrf_of(client, "/setup/FI01"), **form},
        follow_redirects=True,
    )
    assert "You may not do this." in r.text
    client.cookies.clear()
    sign_in(client, "manager")
    r = client.post(
        "/setup/FI01/parameters",
        data={
            "csrf_token": csrf_of(client, "/setup/FI01"),
            **form,
            "skip_rules_after_release": "on",
        },
        follow_redirects=True,
    )
    assert "The credit parameters are saved." in r.text
    assert setup.get_credit_parameters(demo, SYSTEM, "FI01")["skip_rules_after_release"] is True


def test_a_bad_filter_value_is_an_html_error_page(client: TestClient) -> None:
    sign_in(client, "clerk")
    r = client.get("/holds?checkpoint=teleport")
    assert r.status_code == 400
    assert "The request was refused: checkpoint must be one of" in r.text
    assert "<html" in r.text


def test_a_password_hashed_with_other_settings_is_rehashed_at_sign_in(demo: Runtime) -> None:
    from argon2 import PasswordHasher

    from creditdesk.service_layer import users
    from creditdesk.service_layer.ports import WebUser

    with demo.uow() as uow:
        uow.users.add(
            WebUser(
                "old",
                "Old Hash",
                PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash("old-password"),
                "viewer",
                None,
                None,
                demo.clock.now(),
            )
        )
        uow.commit()
    policy = users.SessionPolicy(timedelta(minutes=30), timedelta(hours=10))
    who = users.sign_in(demo, "old", "old-password", "127.0.0.1", policy)
    assert who.user.principal.name == "user:old"
    with demo.uow(read_only=True) as uow:
        stored = uow.users.get("old")
    assert stored is not None
    assert "m=19456,t=2,p=1" in stored.password_hash


def _rule_values(demo: Runtime) -> list[str | None]:
    from creditdesk.service_layer import setup

    return [rule.get("value") for rule in setup.list_rules(demo, SYSTEM, "FI01")]


@pytest.mark.parametrize(
    ("rule", "value_type", "value"),
    [
        ("days_overdue", "days", "1e30"),
        ("days_overdue", "days", "Infinity"),
        ("days_overdue", "days", "NaN"),
        ("days_overdue", "days", "٤٥"),  # Arabic-Indic digits
        ("credit_limit_used", "percent", "1e30"),
        ("credit_limit_used", "percent", "-Infinity"),
        ("credit_limit_used", "percent", "9" * 39),
    ],
)
def test_the_rule_form_refuses_what_the_api_refuses_and_stores_nothing(
    client: TestClient, demo: Runtime, rule: str, value_type: str, value: str
) -> None:
    sign_in(client, "manager")
    before = _rule_values(demo)

    r = client.post(
        "/setup/FI01/rules",
        data={
            "csrf_token": csrf_of(client, "/setup/FI01"),
            "rule": rule,
            "kind": "blocking",
            "valid_for": "all",
            "value_type": value_type,
            "value": value,
        },
        follow_redirects=True,
    )

    assert r.status_code == 200, r.text
    assert "The rule is added." not in r.text
    assert _rule_values(demo) == before
    assert client.get("/setup/FI01").status_code == 200


def test_the_rule_form_still_reads_a_decimal_comma(client: TestClient, demo: Runtime) -> None:
    sign_in(client, "manager")

    r = client.post(
        "/setup/FI01/rules",
        data={
            "csrf_token": csrf_of(client, "/setup/FI01"),
            "rule": "credit_limit_used",
            "kind": "blocking",
            "valid_for": "all",
            "value_type": "percent",
            "value": "92,5",
        },
        follow_redirects=True,
    )

    assert "The rule is added." in r.text, r.text
    assert "92.5" in _rule_values(demo)


def test_a_rule_stored_with_a_huge_value_still_shows_on_the_setup_page_and_can_be_deleted(
    client: TestClient, demo: Runtime
) -> None:
    from decimal import Decimal

    from creditdesk.service_layer import setup

    # as an earlier version of the web form stored it
    stored = setup.add_rule(
        demo,
        SYSTEM,
        "FI01",
        setup.RuleInput(
            rule="days_overdue", kind="blocking", valid_for="all", value=Decimal("1e30")
        ),
    )
    sign_in(client, "manager")

    page = client.get("/setup/FI01")
    assert page.status_code == 200, page.text
    r = client.post(
        f"/setup/FI01/rules/{stored['id']}/delete",
        data={"csrf_token": csrf_of(client, "/setup/FI01")},
        follow_redirects=True,
    )

    assert "The rule is deleted." in r.text
    assert stored["id"] not in [rule["id"] for rule in setup.list_rules(demo, SYSTEM, "FI01")]


@pytest.mark.parametrize(
    "new_limit", ["92 233 720 368 547 758,08", "9" * 25, "1e30", "NaN", "Infinity", "١٢٣"]
)
def test_the_journal_line_form_refuses_an_amount_the_api_refuses_and_adds_no_line(
    client: TestClient, new_limit: str
) -> None:
    sign_in(client, "manager")
    r = client.post(
        "/journals/FI01",
        data={"csrf_token": csrf_of(client, "/journals/FI01"), "type": "credit_limit"},
        follow_redirects=True,
    )
    journal_path = str(r.url.path)

    r = client.post(
        f"{journal_path}/lines",
        data={
            "csrf_token": csrf_of(client, journal_path),
            "target": "customer",
            "account": "C400",
            "new_limit": new_limit,
            "currency": "EUR",
            "new_expires_on": "2030-06-30",
        },
        follow_redirects=True,
    )

    assert r.status_code == 200, r.text
    assert "The line is added." not in r.text
    assert "C400" not in client.get(journal_path).text
