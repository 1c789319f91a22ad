"""The approvals inbox and the credit group list of the web app, through FastAPI's TestClient
on the demo data: approving a journal in two steps, refusals shown as messages, CSRF, and the
groups a scoped user sees."""

from __future__ import annotations

import io
import re
from collections.abc import Iterator
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from rich.console import Console

from creditdesk.config import Settings
from creditdesk.domain.money import Money
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.cli.demo import DEMO_PASSWORD, load_demo
from creditdesk.service_layer import customers, group_list, groups, journals, workflows
from creditdesk.service_layer.auth import SYSTEM, Principal, Role
from creditdesk.service_layer.runtime import Runtime

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
MANAGER = Principal("user:manager", Role.CREDIT_MANAGER)


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


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    r = client.post(
        "/sign-in",
        data={"username": username, "password": DEMO_PASSWORD, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def submit_journal(rt: Runtime) -> tuple[str, str]:
    """A FI01 journal raising Saimaan Puu's limit to 25,000 EUR, submitted by the manager:
    (journal id, workflow item id)."""
    journal = journals.create_journal(rt, MANAGER, "FI01", "credit_limit", "Spring review")
    journals.add_line(
        rt,
        MANAGER,
        "FI01",
        journal["id"],
        customer="C400",
        credit_group=None,
        new_limit=Money.of("25000.00", "EUR"),
        new_expires_on=rt.clock.today() + timedelta(days=365),
        start=None,
        end=None,
    )
    (item,) = workflows.submit_journal(rt, MANAGER, "FI01", journal["id"])
    return str(journal["id"]), str(item["id"])


def decide(client: TestClient, item_id: str, how: str, comment: str = "") -> str:
    r = client.post(
        f"/approvals/{item_id}/{how}",
        data={"csrf_token": csrf_of(client, "/approvals"), "comment": comment},
        follow_redirects=True,
    )
    assert r.status_code == 200, r.text
    return r.text


# --- the approvals inbox -----------------------------------------------------------------------


def test_the_header_links_to_the_approvals_inbox_in_the_users_language(
    client: TestClient,
) -> None:
    sign_in(client, "manager")
    assert 'href="/approvals"' in client.get("/holds").text
    sign_in(client, "clerk.fi")
    page = client.get("/approvals").text
    assert 'aria-current="page">Hyväksymiset</a>' in page


def test_a_journal_goes_through_two_approvers_in_the_inbox_and_is_posted(
    client: TestClient, demo: Runtime
) -> None:
    journal_id, item_id = submit_journal(demo)

    sign_in(client, "approver")
    page = client.get("/approvals").text
    assert f'id="item-{item_id}"' in page
    row = page.split(f'id="item-{item_id}"', 1)[1].split("</tr>", 1)[0]
    for text in (
        "Credit limit journal",
        "Post",
        f"FI01/{journal_id}",
        "€25,000.00",
        "manager",
        "Step 1 of 2",
        "Pending",
        f'action="/approvals/{item_id}/approve"',
        f'formaction="/approvals/{item_id}/reject"',
    ):
        assert text in row, text
    page = decide(client, item_id, "approve", "fine")
    assert "The item is approved." in page
    assert f'id="item-{item_id}"' not in page  # the next step is for another approver

    sign_in(client, "approver2")
    page = client.get("/approvals").text
    row = page.split(f'id="item-{item_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Step 2 of 2" in row
    page = decide(client, item_id, "approve")
    assert "The item is approved." in page
    assert f'id="item-{item_id}"' not in page

    assert workflows.get_item(demo, SYSTEM, item_id)["status"] == "completed"
    assert journals.get_journal(demo, SYSTEM, "FI01", journal_id)["posted"]
    limit = customers.get_customer(demo, SYSTEM, "FI01", "C400").credit.limit
    assert limit == Money.of("25000.00", "EUR")

    sign_in(client, "manager")
    page = client.get("/approvals").text
    mine = page.split(f'id="mine-{item_id}"', 1)[1].split("</tr>", 1)[0]
    assert "Completed" in mine


def test_the_submitter_cannot_approve_their_own_item_and_sees_why(
    client: TestClient, demo: Runtime
) -> None:
    _, item_id = submit_journal(demo)
    sign_in(client, "manager")
    page = client.get("/approvals").text
    assert f'id="item-{item_id}"' not in page  # not in the manager's inbox...
    assert f'id="mine-{item_id}"' in page  # ...but among their submissions
    page = decide(client, item_id, "approve")
    assert "Nobody approves or rejects their own submission." in page
    assert workflows.get_item(demo, SYSTEM, item_id)["status"] == "pending"

    client.post("/language", data={"csrf_token": csrf_of(client), "language": "sv"})
    page = decide(client, item_id, "reject")
    assert "Ingen kan godkänna eller avvisa sin egen inskickning." in page


def test_rejecting_with_a_comment_then_recall_and_resubmit_by_the_submitter(
    client: TestClient, demo: Runtime
) -> None:
    _, item_id = submit_journal(demo)
    sign_in(client, "approver")
    page = decide(client, item_id, "reject", "limit too high")
    assert "The item is rejected." in page
    item = workflows.get_item(demo, SYSTEM, item_id)
    assert item["status"] == "rejected"
    assert item["comment"] == "limit too high"

    sign_in(client, "manager")
    mine = client.get("/approvals").text.split(f'id="mine-{item_id}"', 1)[1].split("</tr>")[0]
    assert "Rejected" in mine
    assert "limit too high" in mine
    assert f'action="/approvals/{item_id}/resubmit"' in mine
    page = decide(client, item_id, "resubmit")
    assert "The item is submitted again." in page
    mine = page.split(f'id="mine-{item_id}"', 1)[1].split("</tr>")[0]
    assert "Pending" in mine
    assert f'action="/approvals/{item_id}/recall"' in mine
    page = decide(client, item_id, "recall", "changed my mind")
    assert "The item is recalled." in page
    assert workflows.get_item(demo, SYSTEM, item_id)["status"] == "recalled"

    sign_in(client, "approver")
    page = decide(client, item_id, "approve")
    assert "The item is no longer in a state that allows this." in page


def test_a_viewer_has_an_empty_inbox_and_may_not_approve(client: TestClient, demo: Runtime) -> None:
    _, item_id = submit_journal(demo)
    sign_in(client, "viewer")
    page = client.get("/approvals").text
    assert "Nothing is waiting for your approval." in page
    assert "You have no submissions." in page
    assert item_id not in page
    page = decide(client, item_id, "approve")
    assert "The item was approved." not in page
    assert 'class="flash error"' in page
    assert workflows.get_item(demo, SYSTEM, item_id)["status"] == "pending"


def test_a_decision_without_the_csrf_token_is_refused(client: TestClient, demo: Runtime) -> None:
    _, item_id = submit_journal(demo)
    sign_in(client, "approver")
    r = client.post(f"/approvals/{item_id}/approve", data={"comment": "x"})
    assert r.status_code == 403
    assert "The form has expired." in r.text
    assert workflows.get_item(demo, SYSTEM, item_id)["status"] == "pending"


def test_the_inbox_asks_for_a_sign_in(client: TestClient) -> None:
    r = client.get("/approvals", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/sign-in?next=/approvals"


# --- the credit group list ---------------------------------------------------------------------


def test_the_group_list_shows_every_group_with_its_figures(client: TestClient) -> None:
    sign_in(client, "manager")
    page = client.get("/groups").text
    row = page.split('id="group-NORDWIND"', 1)[1].split("</tr>", 1)[0]
    for text in (
        'href="/groups/NORDWIND"',
        "Nordwind group (FI, NO, SE)",
        "€30,000.00",
        '<td class="num">3</td>',
    ):
        assert text in row, text
    assert 'name="group"' in page  # open by number stays
    assert (
        client.get("/groups?group=NORDWIND", follow_redirects=False).headers["location"]
        == "/groups/NORDWIND"
    )


def test_group_exposure_and_available_match_the_customer_summary(
    client: TestClient, demo: Runtime
) -> None:
    from creditdesk.service_layer import queries

    summary = queries.credit_summary(demo, SYSTEM, "FI01", "C100", None)["group"]
    (row,) = [g for g in group_list.list_groups(demo, SYSTEM) if g["id"] == "NORDWIND"]
    assert row["exposure"] == summary["exposure"]
    assert row["available"] == summary["available"]
    assert row["members"] == 3
    assert row["description"] == "Nordwind group (FI, NO, SE)"
    sign_in(client, "manager")
    page = client.get("/groups").text
    row_html = page.split('id="group-NORDWIND"', 1)[1].split("</tr>", 1)[0]
    exposure = Money.of(summary["exposure"]["amount"], "EUR")
    assert f"€{exposure.amount:,.2f}" in row_html


def test_a_scoped_user_sees_only_groups_with_members_in_their_legal_entities(
    client: TestClient, demo: Runtime
) -> None:
    today = demo.clock.today()
    groups.put_group(
        demo, SYSTEM, "NORSK", "Norsk gruppe", Money.of("1000.00", "NOK"), today + timedelta(90)
    )
    groups.add_member(demo, SYSTEM, "NORSK", "NO01", "N200")
    groups.put_group(
        demo, SYSTEM, "EMPTY", "No members", Money.of("500.00", "EUR"), today + timedelta(90)
    )
    sign_in(client, "manager")
    page = client.get("/groups").text
    assert 'id="group-NORSK"' in page
    assert 'id="group-EMPTY"' in page

    sign_in(client, "clerk.fi")
    page = client.get("/groups").text
    assert 'id="group-NORDWIND"' in page
    assert 'id="group-NORSK"' not in page
    assert 'id="group-EMPTY"' not in page
    row = page.split('id="group-NORDWIND"', 1)[1].split("</tr>", 1)[0]
    assert '<td class="num">1</td>' in row  # only the FI01 member is counted
    assert "Asiakasluottoryhmät" in page
    assert "30\xa0000,00\xa0€" in row

    scoped = Principal("user:clerk.fi", Role.CREDIT_CLERK, frozenset({"FI01"}))
    assert [g["id"] for g in group_list.list_groups(demo, scoped)] == ["NORDWIND"]
