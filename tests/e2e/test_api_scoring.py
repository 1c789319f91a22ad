"""Risk scoring, risk classification and automatic credit limits through the API
(reference §3.6–3.9, §8.3; B65–B67; SPEC A-18, A-19)."""

from __future__ import annotations

from typing import Any

import pytest

from creditdesk.service_layer.runtime import Runtime
from tests.support import Api, FixedClock, m

LE = "FI01"
BASE = f"/legal-entities/{LE}"


def score_setup(api: Api) -> None:
    r = api.put(
        f"{BASE}/scoring-groups/YIB",
        {
            "measure": "years_in_business",
            "score_type": "range",
            "lines": [
                {"from": "0", "to": "4.99", "score": 10},
                {"from": "5", "to": "9.99", "score": 20},
                {"from": "10", "to": "99", "score": 30},
            ],
        },
    )
    assert r.status_code == 200, r.text
    r = api.put(
        f"{BASE}/scoring-groups/STATUS",
        {
            "measure": "account_status",
            "score_type": "value",
            "lines": [{"value": "NORMAL", "score": 20}, {"value": "REVIEW", "score": 0}],
        },
    )
    assert r.status_code == 200, r.text
    for group, low, high in (("LOW", 35, 60), ("MEDIUM", 15, 34), ("HIGH", 0, 14)):
        r = api.put(
            f"{BASE}/risk-groups/{group}",
            {"description": group, "score_from": low, "score_to": high},
        )
        assert r.status_code == 200, r.text


@pytest.fixture
def fi(api: Api, runtime: Runtime) -> Api:
    runtime.clock = FixedClock("2026-11-23")
    api.legal_entity(LE, "EUR")
    api.account_status(LE, "NORMAL")
    api.account_status(LE, "REVIEW")
    score_setup(api)
    api.customer(
        LE,
        "C100",
        "10000.00 EUR",
        business_started_on="2019-11-23",
        account_status="NORMAL",
        revenue=m("800000 USD"),
    )
    return api


def update(api: Api, **body: Any) -> dict[str, Any]:
    r = api.post(f"{BASE}/risk-scores:update", {"as_of": "2026-11-23", **body})
    assert r.status_code == 200, r.text
    return dict(r.json())


def test_b65_seven_years_and_status_normal_score_40_and_fall_in_low(fi: Api) -> None:
    assert update(fi)["updated"] == 1

    derived = fi.derived(LE, "C100")

    assert derived["risk_score"] == 40
    assert derived["risk_group"] == "LOW"
    assert derived["score_factors"] == [
        {"scoring_group": "STATUS", "measure": "account_status", "value": "NORMAL", "score": 20},
        {"scoring_group": "YIB", "measure": "years_in_business", "value": "7.00", "score": 20},
    ]


def test_updating_some_customers_leaves_the_others_alone(fi: Api) -> None:
    fi.customer(LE, "C200", "1.00 EUR", business_started_on="2025-11-23")

    assert update(fi, customers=["C200"])["updated"] == 1

    assert fi.derived(LE, "C200")["risk_group"] == "HIGH"
    assert fi.derived(LE, "C100")["risk_score"] is None


def test_running_the_update_again_gives_the_same_scores(fi: Api) -> None:
    update(fi)
    first = fi.derived(LE, "C100")

    assert update(fi)["updated"] == 1

    assert fi.derived(LE, "C100")["score_factors"] == first["score_factors"]
    assert fi.derived(LE, "C100")["risk_group"] == "LOW"


def test_a18_overlapping_risk_groups_are_rejected(fi: Api) -> None:
    r = fi.put(f"{BASE}/risk-groups/WORST", {"description": "", "score_from": 10, "score_to": 20})

    fi.problem(r, 422, "overlapping_risk_groups")
    assert [g["id"] for g in fi.get(f"{BASE}/risk-groups").json()["items"]] == [
        "HIGH",
        "MEDIUM",
        "LOW",
    ]


def test_scoring_groups_are_read_back(fi: Api) -> None:
    body = fi.get(f"{BASE}/scoring-groups/YIB").json()

    assert body["measure"] == "years_in_business"
    assert body["lines"][0] == {"from": "0", "to": "4.99", "score": 10}
    assert len(fi.get(f"{BASE}/scoring-groups").json()["items"]) == 2
    fi.problem(fi.get(f"{BASE}/scoring-groups/NOPE"), 404, "scoring_group_not_found")


def test_a_user_defined_scoring_group_scores_the_customers_own_value(fi: Api) -> None:
    r = fi.put(
        f"{BASE}/scoring-groups/RATING",
        {"measure": "user_defined", "score_type": "value", "lines": [{"value": "A1", "score": 5}]},
    )
    assert r.status_code == 200, r.text
    r = fi.put(f"{BASE}/customers/C100/score-values/RATING", {"value": "A1"})
    assert r.status_code == 200, r.text

    update(fi)

    assert fi.derived(LE, "C100")["risk_score"] == 45


def test_b67_a_rule_scoped_to_risk_group_high_does_not_hold_a_low_customer(fi: Api) -> None:
    fi.customer(LE, "C200", "100000.00 EUR", business_started_on="2025-11-23")
    fi.rule(LE, rule="days_overdue", value_type="days", value="61", risk_group="HIGH")
    for account in ("C100", "C200"):
        fi.customer(
            LE,
            account,
            "100000.00 EUR",
            business_started_on="2019-11-23" if account == "C100" else "2025-11-23",
            account_status="NORMAL" if account == "C100" else None,
        )
        fi.invoice(LE, f"INV-{account}", account, "100 EUR", "2026-07-01", "2026-08-25")
        fi.order(LE, f"SO-{account}", account, "100 EUR")
    update(fi)
    assert fi.derived(LE, "C200")["risk_group"] == "HIGH"

    low = fi.check(LE, "SO-C100", as_of="2026-11-23")  # 90 days overdue
    high = fi.check(LE, "SO-C200", as_of="2026-11-23")

    assert low["decision"] == "passed"
    assert high["decision"] == "on_hold"
    assert [r["code"] for r in high["reasons"]] == ["days_overdue"]


def automatic_low(api: Api) -> None:
    r = api.put(
        f"{BASE}/automatic-credit-limits/LOW/USD",
        {
            "revenue_cap": m("1000000 USD"),
            "lines": [
                {"scoring_group": "YIB", "operator": ">=", "value": "5", "limit": m("100000 USD")},
                {"scoring_group": "YIB", "operator": ">=", "value": "10", "limit": m("200000 USD")},
            ],
        },
    )
    assert r.status_code == 200, r.text


def test_b66_automatic_credit_limits_propose_100000_under_the_revenue_cap_only(fi: Api) -> None:
    fi.customer(
        LE,
        "C300",
        "10000.00 EUR",
        business_started_on="2019-11-23",
        account_status="NORMAL",
        revenue=m("1200000 USD"),
    )
    automatic_low(fi)
    update(fi)
    journal = fi.journal(LE)

    r = fi.post(
        f"{BASE}/credit-limit-journals/{journal}/generate",
        {"source": "automatic", "new_expires_on": "2027-12-31"},
    )

    assert r.status_code == 200, r.text
    assert [(x["customer"], x["new_limit"]) for x in r.json()["lines"]] == [
        ("C100", m("100000.00 USD"))
    ]
    assert fi.post_journal(LE, journal).status_code == 200
    assert fi.credit(LE, "C100")["limit"] == m("100000.00 USD")


def test_an_automatic_limit_for_an_unknown_risk_group_is_rejected(fi: Api) -> None:
    r = fi.put(f"{BASE}/automatic-credit-limits/NOPE/USD", {"revenue_cap": m("1 USD"), "lines": []})

    fi.problem(r, 422, "unknown_risk_group")


def test_an_automatic_limit_cap_in_another_currency_than_the_path_is_rejected(fi: Api) -> None:
    r = fi.put(f"{BASE}/automatic-credit-limits/LOW/USD", {"revenue_cap": m("1 EUR"), "lines": []})

    fi.problem(r, 422, "currency_mismatch")


def test_a_viewer_cannot_update_risk_scores(fi: Api) -> None:
    viewer = fi.as_token(fi.new_token("viewer"))

    fi.problem(viewer.post(f"{BASE}/risk-scores:update", {}), 403, "forbidden")
