"""Every reason code on every page of the web app that shows reasons (the hold list, the
credit figures beside a hold, the customer page's holds and credit decisions, the approvals),
in the four languages: a translated heading and the reason's own figures, formatted for the
language. A reason whose stored details are missing or unreadable still renders, by its
heading alone."""

from __future__ import annotations

import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape

from creditdesk.entrypoints.web.i18n import Translator, translator
from creditdesk.entrypoints.web.labels import reason_line
from creditdesk.service_layer import users, workflows
from creditdesk.service_layer.auth import SYSTEM, Principal, Role
from creditdesk.service_layer.runtime import Runtime
from tests.support import REASON_ENTITY, Api, ReasonHold

LANGUAGES = ("en", "fi", "nb", "sv")
PASSWORD = "reasons-on-every-page"
CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
CLERK = Principal("user:rc.clerk", Role.CREDIT_CLERK)
OVER_LIMIT = "exposure %(exposure)s + order %(order)s = %(total)s, over the limit %(limit)s"
EXPIRED = "expired on %(date)s, %(days)s grace days"


def expected_lines(t: Translator, case: ReasonHold) -> list[tuple[str, str]]:
    """(heading, figures) of each reason of the case's hold, as ``hold_of_every_reason`` built
    it, in ``t``'s language."""

    def eur(amount: str) -> str:
        return t.money({"amount": amount, "currency": "EUR"})

    def over(heading: str, exposure: str, order: str, total: str, limit: str) -> tuple[str, str]:
        values = {
            "exposure": eur(exposure),
            "order": eur(order),
            "total": eur(total),
            "limit": eur(limit),
        }
        return t.gettext(heading), t.gettext(OVER_LIMIT, **values)

    expired = t.gettext(EXPIRED, date=t.date("2026-01-31"), days=t.number(5))
    by_customer: dict[str, list[tuple[str, str]]] = {
        "RC-CLI": [
            over("Individual credit limit exceeded", "12000.00", "2900.00", "14900.00", "10000.00")
        ],
        "RC-CLG": [
            over("Shared credit limit exceeded", "12000.00", "2900.00", "14900.00", "10000.00")
        ],
        "RC-MAN": [over("Mandatory credit limit", "0.00", "1500.00", "1500.00", "0.00")],
        "RC-EXP": [
            (t.gettext("Shared credit limit expired"), expired),
            (t.gettext("Individual credit limit expired"), expired),
        ],
        "RC-DAY": [
            (
                t.gettext("Days overdue"),
                t.gettext(
                    "an invoice is %(days)s days past due, %(allowed)s allowed",
                    days=t.number(84),
                    allowed=t.number(30),
                ),
            )
        ],
        "RC-OVA": [
            (
                t.gettext("Overdue amount"),
                t.gettext(
                    "%(overdue)s overdue, %(allowed)s allowed",
                    overdue=eur("4000.00"),
                    allowed=eur("3000.00"),
                ),
            )
        ],
        "RC-ACC": [
            (
                t.gettext("Account status"),
                t.gettext("the customer's account status is %(status)s", status="RCSTOP"),
            )
        ],
        "RC-TOP": [
            (
                t.gettext("Payment terms"),
                t.gettext("the order's payment terms are %(terms)s", terms="COD"),
            )
        ],
        "RC-SOA": [
            (
                t.gettext("Sales order amount"),
                t.gettext(
                    "order %(order)s, %(allowed)s allowed",
                    order=eur("9000.00"),
                    allowed=eur("5000.00"),
                ),
            )
        ],
        "RC-PTI": [
            (
                t.gettext("Payment terms increased"),
                t.gettext(
                    "order %(order)s, the customer's default %(default)s",
                    order="Net60",
                    default="Net14",
                ),
            )
        ],
        "RC-SDI": [
            (
                t.gettext("Settlement discount increased"),
                t.gettext(
                    "order %(order)s, the customer's default %(default)s",
                    order="D5",
                    default="D2",
                ),
            )
        ],
        "RC-FRC": [
            (t.gettext("Forced hold"), t.gettext("hold reason %(reason)s", reason="RCFORCE"))
        ],
    }
    return by_customer[case.customer]


def full(line: tuple[str, str]) -> str:
    """A reason as the detailed lists show it (figures panel, customer page)."""
    return f"<strong>{escape(line[0])}</strong>: {escape(line[1])}"


def compact(line: tuple[str, str]) -> str:
    """A reason as the hold list and the approvals show it."""
    return f'{escape(line[0])} <span class="muted">{escape(line[1])}</span>'


@pytest.fixture
def web(api: Api, runtime: Runtime, every_reason: list[ReasonHold]) -> TestClient:
    """The app with a clerk and an approver (no language of their own: the browser's counts)."""
    users.create_user(runtime, SYSTEM, "rc.clerk", PASSWORD, "credit_clerk", None)
    users.create_user(runtime, SYSTEM, "rc.approver", PASSWORD, "approver", None)
    return api.client


def sign_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    found = CSRF.search(client.get("/sign-in").text)
    assert found is not None
    r = client.post(
        "/sign-in",
        data={"username": username, "password": PASSWORD, "csrf_token": found.group(1)},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text


def page(client: TestClient, path: str, language: str) -> str:
    r = client.get(path, headers={"Accept-Language": language})
    assert r.status_code == 200, r.text
    return r.text


def test_every_case_of_the_fixture_is_checked_here(every_reason: list[ReasonHold]) -> None:
    codes = {case.code for case in every_reason}
    assert len(codes) == 11
    scoped = {(case.code, scope) for case in every_reason for scope in case.scopes}
    assert ("credit_limit_exceeded", "group") in scoped
    assert ("credit_limit_exceeded", "individual") in scoped
    for case in every_reason:
        assert expected_lines(translator("en"), case)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_hold_list_shows_every_reason_code_with_its_figures(
    web: TestClient, every_reason: list[ReasonHold], language: str
) -> None:
    sign_in(web, "rc.clerk")
    text = page(web, f"/holds?legal_entity={REASON_ENTITY}", language)
    t = translator(language)
    for case in every_reason:
        row = text.split(f'id="row-{case.hold_id}"', 1)[1].split("</tr>", 1)[0]
        for line in expected_lines(t, case):
            assert compact(line) in row, (case, line)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_credit_figures_beside_a_hold_show_its_reasons_with_their_figures(
    web: TestClient, every_reason: list[ReasonHold], language: str
) -> None:
    sign_in(web, "rc.clerk")
    t = translator(language)
    for case in every_reason:
        text = page(web, f"/holds/{case.hold_id}/figures", language)
        for line in expected_lines(t, case):
            assert full(line) in text, (case, line)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_customer_page_shows_the_reasons_of_its_holds_and_credit_decisions(
    web: TestClient, every_reason: list[ReasonHold], language: str
) -> None:
    sign_in(web, "rc.clerk")
    t = translator(language)
    for case in every_reason:
        text = page(web, f"/customers/{REASON_ENTITY}/{case.customer}", language)
        holds_part, decisions_part = text.split('id="h-decisions"', 1)
        for line in expected_lines(t, case):
            assert full(line) in holds_part, (case, line)
            if case.code != "forced":  # a forced hold is no credit decision
                assert full(line) in decisions_part, (case, line)


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_approvals_show_why_each_hold_waiting_for_release_is_held(
    web: TestClient, api: Api, runtime: Runtime, every_reason: list[ReasonHold], language: str
) -> None:
    r = api.put(
        f"/legal-entities/{REASON_ENTITY}/workflows/credit_hold_release",
        {
            "enabled": True,
            "steps": [{"approver_role": "approver", "above_amount": None}],
            "completion": "release_with_posting",
        },
    )
    assert r.status_code == 200, r.text
    submitted = [case for case in every_reason if case.code != "forced"]  # B53
    items = {
        case.hold_id: workflows.submit_hold(runtime, CLERK, case.hold_id, action="release")["id"]
        for case in submitted
    }
    t = translator(language)
    for username, row_id in (("rc.approver", "item"), ("rc.clerk", "mine")):
        sign_in(web, username)
        text = page(web, "/approvals", language)
        for case in submitted:
            row = text.split(f'id="{row_id}-{items[case.hold_id]}"', 1)[1].split("</tr>", 1)[0]
            assert case.sales_order in row
            for line in expected_lines(t, case):
                assert compact(line) in row, (username, case, line)


def test_a_limit_reason_reads_as_exposure_plus_order_over_the_limit(
    web: TestClient, every_reason: list[ReasonHold]
) -> None:
    sign_in(web, "rc.clerk")
    group = next(case for case in every_reason if case.scopes == ("group",))
    text = page(web, f"/holds/{group.hold_id}/figures", "en")
    assert (
        "<strong>Shared credit limit exceeded</strong>: exposure €12,000.00 + order €2,900.00 "
        "= €14,900.00, over the limit €10,000.00"
    ) in text
    text = page(web, f"/holds/{group.hold_id}/figures", "fi")
    assert (
        "<strong>Jaettu luottoraja ylitetty</strong>: luottoriski 12\xa0000,00\xa0€ + tilaus "
        "2\xa0900,00\xa0€ = 14\xa0900,00\xa0€, yli luottorajan 10\xa0000,00\xa0€"
    ) in text


def test_a_released_hold_and_a_forced_hold_show_on_the_customer_page(
    web: TestClient, api: Api, every_reason: list[ReasonHold]
) -> None:
    released = next(case for case in every_reason if case.code == "days_overdue")
    api.release(released.hold_id, reason="RCOK")
    sign_in(web, "rc.clerk")
    text = page(web, f"/customers/{REASON_ENTITY}/{released.customer}", "en")
    assert "Released (RCOK)" in text
    assert full(expected_lines(translator("en"), released)[0]) in text
    assert f'id="row-{released.hold_id}"' not in page(web, "/holds", "en")
    forced = next(case for case in every_reason if case.code == "forced")
    assert api.hold(forced.hold_id)["check_id"] is None
    text = page(web, f"/customers/{REASON_ENTITY}/{forced.customer}", "en")
    assert "No credit decisions." in text
    assert full(expected_lines(translator("en"), forced)[0]) in text


@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reason_an_evaluation_found_gone_is_marked_as_no_longer_applying(
    web: TestClient, api: Api, every_reason: list[ReasonHold], language: str
) -> None:
    overdue = next(case for case in every_reason if case.code == "days_overdue")
    api.payment(
        REASON_ENTITY,
        "RC-PAY",
        overdue.customer,
        "700.00 EUR",
        applies_to={"RC-INV-DAY": "700.00 EUR"},
    )
    r = api.post("/credit-holds/evaluate", {"hold_ids": [overdue.hold_id], "customer": None})
    assert r.status_code == 200, r.text
    assert [x["valid"] for x in api.hold(overdue.hold_id)["reasons"]] == [False]
    sign_in(web, "rc.clerk")
    t = translator(language)
    gone = f' <em class="muted">({escape(t.gettext("no longer applies"))})</em>'
    (line,) = expected_lines(t, overdue)
    text = page(web, f"/customers/{REASON_ENTITY}/{overdue.customer}", language)
    holds_part, decisions_part = text.split('id="h-decisions"', 1)
    assert full(line) + gone in holds_part
    assert full(line) + "</li>" in decisions_part  # the decision stands as it was made
    assert full(line) + gone in page(web, f"/holds/{overdue.hold_id}/figures", language)
    still = next(case for case in every_reason if case.code == "account_status")
    assert gone not in page(web, f"/holds/{still.hold_id}/figures", language)


def test_rejected_cancelled_and_pro_forma_rows_render_on_every_page(
    web: TestClient, api: Api, every_reason: list[ReasonHold]
) -> None:
    by_code = {case.code: case for case in every_reason}
    rejected = by_code["sales_order_amount"]
    r = api.post(f"/credit-holds/{rejected.hold_id}/reject", {"note": "too large"})
    assert r.status_code == 200, r.text
    cancelled = by_code["terms_of_payment"]
    api.order(
        REASON_ENTITY,
        cancelled.sales_order,
        cancelled.customer,
        "100.00 EUR",
        payment_terms="COD",
        status="cancelled",
    )
    assert api.hold(cancelled.hold_id)["status"] == "cancelled"
    pro_forma = by_code["credit_limit_exceeded"]
    api.check(REASON_ENTITY, pro_forma.sales_order, posting=False)
    sign_in(web, "rc.clerk")
    for language in LANGUAGES:
        t = translator(language)
        assert f'id="row-{rejected.hold_id}"' not in page(web, "/holds?sort=reason", language)
        for case, status in (
            (rejected, "Rejected"),
            (cancelled, "Cancelled"),
            (pro_forma, "On hold"),
        ):
            (line,) = expected_lines(t, case)
            assert full(line) in page(web, f"/holds/{case.hold_id}/figures", language)
            text = page(web, f"/customers/{REASON_ENTITY}/{case.customer}", language)
            assert f"<td>{escape(t.gettext(status))}" in text
            assert full(line) in text


# --- the renderer on its own: old or damaged stored reasons --------------------------------


@pytest.mark.parametrize(
    ("reason", "heading"),
    [
        ({"code": "days_overdue", "details": {}}, "Days overdue"),
        ({"code": "days_overdue", "details": {"days": None, "allowed_days": 30}}, "Days overdue"),
        ({"code": "overdue_amount", "details": {"overdue": "4000"}}, "Overdue amount"),
        (
            {"code": "sales_order_amount", "details": {"order": {"amount": "x", "currency": "E"}}},
            "Sales order amount",
        ),
        (
            {"code": "credit_limit_exceeded", "scope": "group", "details": {"order": "Net60"}},
            "Shared credit limit exceeded",
        ),
        ({"code": "credit_limit_exceeded", "details": None}, "Credit limit exceeded"),
        (
            {"code": "credit_limit_expired", "details": {"expired_on": 20260131}},
            "Credit limit expired",
        ),
        ({"code": "account_status", "details": {"account_status": ["A"]}}, "Account status"),
        ({"code": "payment_terms_increased"}, "Payment terms increased"),
        ({"code": "forced", "details": {"note": "old"}}, "Forced hold"),
        ({"code": "a_future_code", "details": {"x": 1}}, "a_future_code"),
        ({}, "–"),
        ({"code": 7, "details": {}}, "–"),
        (None, "–"),
    ],
)
@pytest.mark.parametrize("language", LANGUAGES)
def test_a_reason_whose_details_cannot_be_read_shows_its_heading_alone(
    reason: Any, heading: str, language: str
) -> None:
    t = translator(language)
    line = reason_line(t)(reason)
    assert line.figures == ""
    assert line.label == t.gettext(heading)


def test_a_limit_reason_under_a_lower_threshold_names_the_percent() -> None:
    reason = {
        "code": "credit_limit_exceeded",
        "scope": "individual",
        "details": {
            "limit": {"amount": "10000.00", "currency": "EUR"},
            "exposure": {"amount": "7000.00", "currency": "EUR"},
            "order": {"amount": "1500.00", "currency": "EUR"},
            "threshold_percent": "80",
        },
    }
    line = reason_line(translator("en"))(reason)
    assert line.label == "Individual credit limit exceeded"
    assert line.figures == (
        "exposure €7,000.00 + order €1,500.00 = €8,500.00, over 80.0 % of the limit €10,000.00"
    )


def test_an_expired_limit_without_a_date_or_grace_days_says_so() -> None:
    line = reason_line(translator("sv"))
    blank = line(
        {
            "code": "credit_limit_expired",
            "scope": "individual",
            "details": {"expired_on": None, "grace_days": 0},
        }
    )
    assert blank.label == "Individuell kreditgräns har gått ut"
    assert blank.figures == translator("sv").gettext("no expiration date")
    dated = line(
        {"code": "credit_limit_expired", "details": {"expired_on": "2026-01-31", "grace_days": 0}}
    )
    assert dated.figures == translator("sv").gettext("expired on %(date)s", date="2026-01-31")
