"""Approval workflows (reference §9, issue 8): hold release and credit limit journals,
segregation of duties, completion tasks and the audit trail."""

from __future__ import annotations

from typing import Any

import pytest

from tests.support import Api, m


@pytest.fixture
def fi(api: Api) -> Api:
    api.legal_entity("FI01", "EUR")
    api.reason("FI01", "REL-OK", "release", "Approved")
    api.reason("FI01", "F1", "hold", "Forced by management")
    return api


def tokens(api: Api, *roles: str) -> list[Api]:
    return [api.as_token(api.new_token(role, name=f"{role}-{i}")) for i, role in enumerate(roles)]


def held_order(api: Api, order_id: str = "SO-1", amount: str = "150.00 EUR") -> str:
    api.customer("FI01", "C100", "100.00 EUR")
    api.order("FI01", order_id, "C100", amount)
    decision = api.check("FI01", order_id)
    assert decision["decision"] == "on_hold"
    return str(decision["hold"]["id"])


def hold_workflow(
    api: Api,
    completion: str | None = "release_with_posting",
    steps: list[dict[str, Any]] | None = None,
) -> None:
    r = api.put(
        "/legal-entities/FI01/workflows/credit_hold_release",
        {
            "enabled": True,
            "steps": steps or [{"approver_role": "approver"}],
            "completion": completion,
        },
    )
    assert r.status_code == 200, r.text


def test_b53_a_forced_hold_cannot_be_submitted_to_the_release_workflow(fi: Api) -> None:
    hold_workflow(fi)
    fi.customer("FI01", "C100", "100.00 EUR")
    fi.order("FI01", "SO-1", "C100", "10.00 EUR")
    forced = fi.post("/legal-entities/FI01/sales-orders/SO-1/force-hold", {"reason": "F1"})
    assert forced.status_code == 201, forced.text

    r = fi.post(f"/credit-holds/{forced.json()['id']}/submit", {"action": "release"})

    fi.problem(r, 409, "forced_hold")


def test_with_a_release_workflow_a_direct_release_is_refused(fi: Api) -> None:
    hold_id = held_order(fi)
    hold_workflow(fi)

    r = fi.post(f"/credit-holds/{hold_id}/release", {"reason": "REL-OK"})

    fi.problem(r, 409, "workflow_required")
    assert fi.hold(hold_id)["status"] == "on_hold"


def test_approval_with_release_with_posting_releases_the_hold(fi: Api) -> None:
    hold_id = held_order(fi)
    hold_workflow(fi)
    manager, approver = tokens(fi, "credit_manager", "approver")

    submitted = manager.post(
        f"/credit-holds/{hold_id}/submit", {"action": "release", "reason": "REL-OK"}
    )
    assert submitted.status_code == 201, submitted.text
    item = submitted.json()
    inbox = approver.get("/workflow-items", status="pending").json()["items"]
    approved = approver.post(f"/workflow-items/{item['id']}/approve", {"comment": "ok"})

    assert [i["id"] for i in inbox] == [item["id"]]
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "completed"
    hold = fi.hold(hold_id)
    assert hold["status"] == "released"
    assert hold["with_posting"] is True
    assert hold["release_reason"] == "REL-OK"
    assert hold["closed_by"] == f"workflow:{item['id']}"


def test_nobody_approves_their_own_submission(fi: Api) -> None:
    hold_id = held_order(fi)
    hold_workflow(fi, steps=[{"approver_role": "credit_manager"}])
    (manager,) = tokens(fi, "credit_manager")
    item = manager.post(f"/credit-holds/{hold_id}/submit", {"action": "release"}).json()

    r = manager.post(f"/workflow-items/{item['id']}/approve", {"comment": "mine"})

    fi.problem(r, 403, "self_approval")
    assert manager.get("/workflow-items").json()["items"] == []
    assert [i["id"] for i in manager.get("/workflow-items", mine="true").json()["items"]] == [
        item["id"]
    ]


def test_a_second_step_applies_above_its_threshold_and_needs_another_person(fi: Api) -> None:
    hold_id = held_order(fi, amount="12000.00 EUR")
    hold_workflow(
        fi,
        steps=[
            {"approver_role": "approver"},
            {"approver_role": "approver", "above_amount": m("10000.00 EUR")},
        ],
    )
    clerk, first, second = tokens(fi, "credit_clerk", "approver", "approver")
    item = clerk.post(f"/credit-holds/{hold_id}/submit", {"action": "release"}).json()
    assert item["steps"] == 2

    after_first = first.post(f"/workflow-items/{item['id']}/approve", {})
    again = first.post(f"/workflow-items/{item['id']}/approve", {})
    after_second = second.post(f"/workflow-items/{item['id']}/approve", {})

    assert after_first.json()["status"] == "pending"
    assert after_first.json()["next_step"] == 2
    fi.problem(again, 403, "same_approver")
    assert after_second.json()["status"] == "completed"
    assert fi.hold(hold_id)["status"] == "released"


def test_below_the_threshold_one_step_is_enough(fi: Api) -> None:
    hold_id = held_order(fi, amount="5000.00 EUR")
    hold_workflow(
        fi,
        steps=[
            {"approver_role": "approver"},
            {"approver_role": "approver", "above_amount": m("10000.00 EUR")},
        ],
    )
    clerk, approver = tokens(fi, "credit_clerk", "approver")
    item = clerk.post(f"/credit-holds/{hold_id}/submit", {"action": "release"}).json()

    done = approver.post(f"/workflow-items/{item['id']}/approve", {}).json()

    assert item["steps"] == 1
    assert done["status"] == "completed"


def test_without_a_completion_task_approval_only_permits_the_manual_release(fi: Api) -> None:
    hold_id = held_order(fi)
    hold_workflow(fi, completion=None)
    clerk, approver = tokens(fi, "credit_clerk", "approver")
    item = clerk.post(f"/credit-holds/{hold_id}/submit", {"action": "release"}).json()

    approved = approver.post(f"/workflow-items/{item['id']}/approve", {}).json()
    still_open = fi.hold(hold_id)["status"]
    released = clerk.post(f"/credit-holds/{hold_id}/release", {"reason": "REL-OK"})

    assert approved["status"] == "approved"
    assert still_open == "on_hold"
    assert released.status_code == 200, released.text
    assert fi.get(f"/workflow-items/{item['id']}").json()["status"] == "completed"


def test_a_rejected_submission_leaves_the_hold_open_and_can_be_resubmitted(fi: Api) -> None:
    hold_id = held_order(fi)
    hold_workflow(fi)
    clerk, approver = tokens(fi, "credit_clerk", "approver")
    item = clerk.post(f"/credit-holds/{hold_id}/submit", {"action": "release"}).json()

    rejected = approver.post(f"/workflow-items/{item['id']}/reject", {"comment": "no"}).json()
    resubmitted = clerk.post(f"/workflow-items/{item['id']}/resubmit").json()
    approved = approver.post(f"/workflow-items/{item['id']}/approve", {}).json()

    assert rejected["status"] == "rejected"
    assert rejected["comment"] == "no"
    assert resubmitted["status"] == "pending"
    assert resubmitted["approvals"] == []
    assert approved["status"] == "completed"


def test_the_submitter_recalls_and_resubmits_but_nobody_else_can(fi: Api) -> None:
    hold_id = held_order(fi)
    hold_workflow(fi)
    clerk, approver = tokens(fi, "credit_clerk", "approver")
    item = clerk.post(f"/credit-holds/{hold_id}/submit", {"action": "release"}).json()

    by_other = approver.post(f"/workflow-items/{item['id']}/recall", {})
    recalled = clerk.post(f"/workflow-items/{item['id']}/recall", {"comment": "fix"}).json()
    approve_recalled = approver.post(f"/workflow-items/{item['id']}/approve", {})
    resubmitted = clerk.post(f"/workflow-items/{item['id']}/resubmit").json()

    fi.problem(by_other, 403, "not_an_approver")
    assert recalled["status"] == "recalled"
    fi.problem(approve_recalled, 409, "workflow_item_state")
    assert resubmitted["status"] == "pending"


def test_a_rejection_through_the_workflow_rejects_the_order(fi: Api) -> None:
    hold_id = held_order(fi)
    hold_workflow(fi)
    clerk, approver = tokens(fi, "credit_clerk", "approver")
    item = clerk.post(
        f"/credit-holds/{hold_id}/submit", {"action": "reject", "note": "too risky"}
    ).json()

    approver.post(f"/workflow-items/{item['id']}/approve", {})

    hold = fi.hold(hold_id)
    assert hold["status"] == "rejected"
    assert hold["note"] == "too risky"


# --- credit limit journals ---------------------------------------------------------------------


def journal_with_line(api: Api, new_limit: str = "20000.00 EUR", account: str = "C100") -> str:
    r = api.post(
        "/legal-entities/FI01/credit-limit-journals",
        {"type": "credit_limit", "description": "raise"},
    )
    assert r.status_code == 201, r.text
    journal_id = str(r.json()["id"])
    line = api.post(
        f"/legal-entities/FI01/credit-limit-journals/{journal_id}/lines",
        {"customer": account, "new_limit": m(new_limit), "new_expires_on": "2027-12-31"},
    )
    assert line.status_code in (200, 201), line.text
    return journal_id


def journal_workflow(
    api: Api,
    kind: str = "credit_limit_journal",
    steps: list[dict[str, Any]] | None = None,
    criteria: dict[str, Any] | None = None,
) -> None:
    body: dict[str, Any] = {
        "enabled": True,
        "steps": steps or [{"approver_role": "approver"}],
        "completion": "post_automatically",
    }
    if criteria is not None:
        body["criteria"] = criteria
    r = api.put(f"/legal-entities/FI01/workflows/{kind}", body)
    assert r.status_code == 200, r.text


def limit_of(api: Api, account: str = "C100") -> Any:
    return api.get(f"/legal-entities/FI01/customers/{account}").json()["credit"]["limit"]


def test_b64_with_a_header_workflow_post_is_refused_and_approval_posts_the_journal(
    fi: Api,
) -> None:
    fi.customer("FI01", "C100", "10000.00 EUR")
    journal_id = journal_with_line(fi)
    journal_workflow(fi)
    manager, approver = tokens(fi, "credit_manager", "approver")

    direct = manager.post(f"/legal-entities/FI01/credit-limit-journals/{journal_id}/post")
    submitted = manager.post(f"/legal-entities/FI01/credit-limit-journals/{journal_id}/submit")
    (item,) = submitted.json()["items"]
    approver.post(f"/workflow-items/{item['id']}/approve", {"comment": "fine"})

    fi.problem(direct, 409, "workflow_required")
    assert submitted.status_code == 201, submitted.text
    journal = fi.get(f"/legal-entities/FI01/credit-limit-journals/{journal_id}").json()
    assert journal["posted"] is True
    assert limit_of(fi) == {"amount": "20000.00", "currency": "EUR"}


def test_line_approval_asks_only_for_lines_over_the_criteria_and_posts_when_all_are_approved(
    fi: Api,
) -> None:
    fi.customer("FI01", "C100", "10000.00 EUR")
    fi.customer("FI01", "C200", "10000.00 EUR")
    journal_id = journal_with_line(fi, "30000.00 EUR", "C100")
    small = fi.post(
        f"/legal-entities/FI01/credit-limit-journals/{journal_id}/lines",
        {"customer": "C200", "new_limit": m("11000.00 EUR"), "new_expires_on": "2027-12-31"},
    )
    assert small.status_code in (200, 201), small.text
    journal_workflow(
        fi, kind="credit_limit_journal_line", criteria={"amount_change_above": m("5000.00 EUR")}
    )
    manager, approver = tokens(fi, "credit_manager", "approver")

    items = manager.post(f"/legal-entities/FI01/credit-limit-journals/{journal_id}/submit").json()[
        "items"
    ]
    approver.post(f"/workflow-items/{items[0]['id']}/approve", {})

    assert [i["details"]["target"] for i in items] == ["C100"]
    journal = fi.get(f"/legal-entities/FI01/credit-limit-journals/{journal_id}").json()
    assert journal["posted"] is True
    assert limit_of(fi, "C100") == {"amount": "30000.00", "currency": "EUR"}
    assert limit_of(fi, "C200") == {"amount": "11000.00", "currency": "EUR"}


def test_a_failing_completion_returns_the_item_to_the_submitter_and_applies_nothing(
    fi: Api,
) -> None:
    fi.customer("FI01", "C100", "10000.00 EUR")
    journal_id = journal_with_line(fi)
    journal_workflow(fi)
    manager, approver = tokens(fi, "credit_manager", "approver")
    (item,) = manager.post(
        f"/legal-entities/FI01/credit-limit-journals/{journal_id}/submit"
    ).json()["items"]
    # meanwhile the workflow is switched off and the journal posted directly, so the
    # completion task (post the journal) can no longer succeed
    fi.put(
        "/legal-entities/FI01/workflows/credit_limit_journal",
        {
            "enabled": False,
            "steps": [{"approver_role": "approver"}],
            "completion": "post_automatically",
        },
    )
    assert (
        manager.post(f"/legal-entities/FI01/credit-limit-journals/{journal_id}/post").status_code
        == 200
    )
    journal_workflow(fi)

    returned = approver.post(f"/workflow-items/{item['id']}/approve", {}).json()

    assert returned["status"] == "returned"
    assert "journal_posted" in returned["error"]
    assert fi.get(f"/workflow-items/{item['id']}").json()["status"] == "returned"


def test_the_audit_trail_shows_the_submission_both_approvals_and_the_posting(fi: Api) -> None:
    fi.customer("FI01", "C100", "10000.00 EUR")
    journal_id = journal_with_line(fi, "25000.00 EUR")
    journal_workflow(
        fi,
        steps=[
            {"approver_role": "approver"},
            {"approver_role": "approver", "above_amount": m("20000.00 EUR")},
        ],
    )
    manager, first, second = tokens(fi, "credit_manager", "approver", "approver")
    (item,) = manager.post(
        f"/legal-entities/FI01/credit-limit-journals/{journal_id}/submit"
    ).json()["items"]
    first.post(f"/workflow-items/{item['id']}/approve", {"comment": "one"})
    second.post(f"/workflow-items/{item['id']}/approve", {"comment": "two"})

    trail = fi.get("/audit-events", entity="workflow_item", key=item["id"]).json()["items"]
    limit_changes = [
        e
        for e in fi.get("/audit-events", entity="customer", key="FI01/C100").json()["items"]
        if e["action"] == "adjust_limit"
    ]

    assert [(e["action"], e["actor"]) for e in trail] == [
        ("submit", "token:credit_manager-0"),
        ("approve", "token:approver-1"),
        ("approve", "token:approver-2"),
    ]
    assert trail[-1]["after"]["status"] == "completed"
    (change,) = limit_changes
    assert change["before"]["credit"]["limit"] == {"amount": "10000.00", "currency": "EUR"}
    assert change["after"]["credit"]["limit"] == {"amount": "25000.00", "currency": "EUR"}
    assert change["actor"] == f"workflow:{item['id']}"


def test_the_audit_trail_cannot_be_changed_in_the_database(fi: Api, database_url: str) -> None:
    from sqlalchemy import create_engine, text
    from sqlalchemy.exc import DBAPIError

    fi.customer("FI01", "C100", "10.00 EUR")
    engine = create_engine(database_url)
    try:
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("UPDATE audit_events SET actor = 'someone else'"))
        with engine.connect() as conn, pytest.raises(DBAPIError, match="append-only"):
            conn.execute(text("DELETE FROM audit_events"))
    finally:
        engine.dispose()
