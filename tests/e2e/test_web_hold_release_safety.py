"""The web side of safe hold release: evaluate for release acts on the selected holds, or on one
legal entity's open holds after a confirmation naming how many; the credit group page follows
the same scope rules as the API; a credit clerk prepares and submits a journal in the browser."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import date

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from creditdesk.config import Settings
from creditdesk.domain.money import Money
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.cli.demo import load_demo
from creditdesk.service_layer import groups, holds, journals, workflows
from creditdesk.service_layer.auth import SYSTEM, Principal, Role
from creditdesk.service_layer.runtime import Runtime
from tests.e2e.test_web_app import csrf_of, open_hold_ids, sign_in


@pytest.fixture
def demo(runtime: Runtime) -> Runtime:
    load_demo(runtime, Console(file=io.StringIO()))
    return runtime


@pytest.fixture
def client(settings: Settings, demo: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, demo)) as c:
        yield c


def evaluated(rt: Runtime, hold_id: str) -> bool:
    return any(h["action"] == "evaluated" for h in holds.get_hold(rt, SYSTEM, hold_id)["history"])


def test_evaluate_with_nothing_selected_and_no_legal_entity_evaluates_nothing(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "clerk")
    before = open_hold_ids(demo)

    r = client.post(
        "/holds/evaluate", data={"csrf_token": csrf_of(client, "/holds")}, follow_redirects=True
    )

    assert "Select the holds to evaluate, or filter the list by a legal entity" in r.text
    assert open_hold_ids(demo) == before
    assert not any(evaluated(demo, hold_id) for hold_id in before)


def test_evaluate_of_a_whole_legal_entity_asks_first_naming_how_many_holds(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "clerk")
    fi_holds = open_hold_ids(demo, "FI01")
    assert fi_holds, "the demo leaves FI01 holds on the list"

    asked = client.post(
        "/holds/evaluate",
        data={"csrf_token": csrf_of(client, "/holds"), "legal_entity": "FI01"},
    )

    assert asked.status_code == 200
    assert f"Evaluate every open hold of FI01 ({len(fi_holds)} holds)?" in asked.text
    assert not any(evaluated(demo, hold_id) for hold_id in fi_holds)

    done = client.post(
        "/holds/evaluate",
        data={"csrf_token": csrf_of(client, "/holds"), "legal_entity": "FI01", "confirm": "yes"},
        follow_redirects=True,
    )

    assert f"{len(fi_holds)} holds evaluated" in done.text
    assert all(evaluated(demo, hold_id) for hold_id in open_hold_ids(demo, "FI01"))
    others = [h for h in open_hold_ids(demo) if h not in fi_holds]
    assert others
    assert not any(evaluated(demo, hold_id) for hold_id in others)


def test_a_finnish_clerk_is_asked_in_finnish(client: TestClient, demo: Runtime) -> None:
    sign_in(client, "clerk.fi")

    asked = client.post(
        "/holds/evaluate",
        data={"csrf_token": csrf_of(client, "/holds"), "legal_entity": "FI01"},
    )

    assert "Arvioidaanko kaikki yrityksen FI01 avoimet pidot" in asked.text


def test_the_group_page_of_a_group_without_a_visible_member_is_not_found(
    client: TestClient, demo: Runtime
) -> None:
    groups.put_group(
        demo, SYSTEM, "G-SE", "Only Swedish", Money.of("100.00", "SEK"), date(2027, 12, 31)
    )
    groups.add_member(demo, SYSTEM, "G-SE", "SE01", "S300")
    sign_in(client, "clerk.fi")

    r = client.get("/groups/G-SE")

    assert r.status_code == 404
    assert "Only Swedish" not in r.text


def test_the_group_page_offers_no_member_form_to_a_caller_who_may_not_change_the_group(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "manager")
    groups_page = client.get("/groups").text
    assert "/groups/" in groups_page
    sign_in(client, "clerk")
    some_group = client.get("/groups").text.split('href="/groups/')[1].split('"')[0]

    page = client.get(f"/groups/{some_group}").text

    assert f'action="/groups/{some_group}/members"' not in page


def test_a_clerk_submits_a_journal_for_approval_in_the_browser(
    client: TestClient, demo: Runtime
) -> None:
    workflows.put_workflow(
        demo,
        SYSTEM,
        "FI01",
        "credit_limit_journal",
        enabled=True,
        steps=[workflows.StepInput(approver_role="approver")],
        completion=None,
    )
    journal = journals.create_journal(demo, SYSTEM, "FI01", "credit_limit", "Spring review")
    journals.add_line(
        demo,
        SYSTEM,
        "FI01",
        journal["id"],
        customer="C100",
        credit_group=None,
        new_limit=Money.of("12000.00", "EUR"),
        new_expires_on=date(2027, 6, 30),
        start=None,
        end=None,
    )
    sign_in(client, "clerk")
    page = client.get(f"/journals/FI01/{journal['id']}").text
    assert "Submit for approval" in page
    assert "Post the journal" not in page

    r = client.post(
        f"/journals/FI01/{journal['id']}/submit",
        data={"csrf_token": csrf_of(client, "/holds")},
        follow_redirects=True,
    )

    assert "The journal is submitted for approval (1 items)." in r.text
    waiting = workflows.list_items(demo, Principal("ann", Role.APPROVER))
    assert [item["subject"] for item in waiting if item["kind"] == "credit_limit_journal"] == [
        f"FI01/{journal['id']}"
    ]
