"""The demo data's credit limit journal goes through a two-step approval; its audit trail
shows the submission, both approvals and the posting with the limit before and after."""

from __future__ import annotations

from rich.console import Console

from creditdesk.entrypoints.cli.demo import load_demo
from creditdesk.service_layer import audit
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime


def test_the_demo_journal_shows_submit_both_approvals_and_the_posting(runtime: Runtime) -> None:
    load_demo(runtime, Console(quiet=True))

    events = audit.list_audit_events(
        runtime, SYSTEM, entity=None, key=None, after_id=None, limit=5000
    )

    items = [e for e in events if e["entity"] == "workflow_item"]
    assert [(e["action"], e["actor"]) for e in items] == [
        ("submit", "user:manager"),
        ("approve", "user:approver"),
        ("approve", "user:approver2"),
    ]
    assert items[-1]["after"]["status"] == "completed"
    (posting,) = [
        e for e in events if e["entity"] == "credit_limit_journal" and e["action"] == "post"
    ]
    assert posting["after"]["posted"] is True
    (change,) = [e for e in events if e["action"] == "adjust_limit"]
    assert change["key"] == "FI01/C200"
    assert change["before"]["credit"]["limit"] == {"amount": "50000.00", "currency": "EUR"}
    assert change["after"]["credit"]["limit"] == {"amount": "65000.00", "currency": "EUR"}
    assert change["actor"] == posting["actor"] == f"workflow:{items[0]['key']}"
