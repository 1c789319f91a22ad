"""The schedules page of the web app on the demo data: schedules and last runs per legal
entity, set and removed by a user who manages setup, read-only for a viewer, in the user's
language."""

from __future__ import annotations

from fastapi.testclient import TestClient

from creditdesk.service_layer import scheduling
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime
from tests.e2e.test_web_app import client, csrf_of, demo, sign_in

__all__ = ["client", "demo"]  # fixtures


def set_schedule(client: TestClient, legal_entity: str, **form: str) -> str:
    r = client.post(
        f"/schedules/{legal_entity}",
        data={"csrf_token": csrf_of(client, f"/schedules/{legal_entity}"), **form},
        follow_redirects=True,
    )
    assert r.status_code == 200, r.text
    return r.text


def test_the_schedules_page_opens_on_the_first_legal_entity(client: TestClient) -> None:
    sign_in(client, "admin")
    r = client.get("/schedules", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"] == "/schedules/FI01"
    page = client.get("/schedules/FI01").text
    assert "Scheduled tasks" in page
    assert 'href="/schedules/SE01"' in page


def test_a_manager_sets_and_removes_a_schedule_on_the_page(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "manager")
    page = set_schedule(client, "FI01", task="update_risk_scores", every="86400", enabled="on")
    assert "The schedule is saved." in page
    assert "Update risk scores" in page
    assert "every 86,400 s" in page
    [stored] = scheduling.list_schedules(demo, SYSTEM, "FI01")
    assert (stored["task"], stored["interval_seconds"], stored["enabled"]) == (
        "update_risk_scores",
        86400,
        True,
    )
    page = set_schedule(client, "FI01", task="force_credit_hold", cron="0 2 * * *")
    assert "The request was refused" in page  # no hold reason: refused, nothing stored
    assert len(scheduling.list_schedules(demo, SYSTEM, "FI01")) == 1

    r = client.post(
        "/schedules/FI01/update_risk_scores/delete",
        data={"csrf_token": csrf_of(client, "/schedules/FI01")},
        follow_redirects=True,
    )
    assert "The schedule is removed." in r.text
    assert scheduling.list_schedules(demo, SYSTEM, "FI01") == []


def test_a_viewer_sees_the_schedules_and_runs_but_cannot_change_them(
    client: TestClient, demo: Runtime
) -> None:
    scheduling.put_schedule(demo, SYSTEM, "FI01", "aging_snapshot", cron="0 2 * * *")
    scheduling.run_now(demo, SYSTEM, "FI01", "aging_snapshot", host="test")
    sign_in(client, "viewer")
    page = client.get("/schedules/FI01").text
    assert "<code>0 2 * * *</code>" in page
    assert "Aging snapshot" in page
    assert "Succeeded" in page
    assert "Save schedule" not in page
    assert "/schedules/FI01/aging_snapshot/delete" not in page
    refused = set_schedule(client, "FI01", task="aging_snapshot", every="60")
    assert "You may not do this." in refused
    assert scheduling.get_schedule(demo, SYSTEM, "FI01", "aging_snapshot")["cron"] == "0 2 * * *"


def test_a_finnish_clerk_sees_the_page_in_finnish_for_her_legal_entity_only(
    client: TestClient, demo: Runtime
) -> None:
    scheduling.run_now(demo, SYSTEM, "FI01", "evaluate_for_release", host="test")
    sign_in(client, "clerk.fi")
    page = client.get("/schedules/FI01").text
    assert "Ajastetut tehtävät" in page
    assert "Arvioi pidot vapautettaviksi" in page
    assert "Onnistui" in page
    assert 'href="/schedules/SE01"' not in page
    assert client.get("/schedules/SE01").status_code == 403
