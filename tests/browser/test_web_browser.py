"""The credit team's day in a real browser: sign in, find a held order, read its reasons,
release it with a reason and see it leave the open list; switch to Finnish; refused sign-ins
and CSRF-less posts. Screenshots go to pytest's temporary folder (``screenshots``)."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.sync_api import ConsoleMessage, Page, expect

from creditdesk.entrypoints.cli.demo import DEMO_PASSWORD


def sign_in(page: Page, username: str, password: str = DEMO_PASSWORD) -> None:
    page.goto("/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_a_clerk_reads_the_reasons_releases_a_hold_and_it_leaves_the_open_list(
    page: Page, screenshots: Path
) -> None:
    sign_in(page, "clerk")
    expect(page.get_by_role("heading", name="Hold list", level=1)).to_be_visible()
    row = page.locator("tr", has_text="SO-NO-6002")
    expect(row).to_contain_text("Individual credit limit exceeded")
    expect(row).to_contain_text("NOK")
    row.get_by_role("button", name="Credit figures").click()
    figures = page.locator("#figures")
    expect(figures).to_contain_text("NO01/N300")
    expect(figures).to_contain_text("Available credit")
    expect(figures).to_contain_text("Hold reasons")
    page.screenshot(path=str(screenshots / "holds-en.png"), full_page=True)

    row.get_by_role("checkbox").check()
    page.get_by_label("Release reason").select_option("REL-PAID")
    page.get_by_label("Review date").fill("2030-01-31")
    page.get_by_role("button", name="Release", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("1 holds released.")
    expect(page.locator("tr", has_text="SO-NO-6002")).to_have_count(0)
    expect(page.locator("tr", has_text="SO-FI-5003")).to_have_count(1)


def test_the_customer_page_in_english_and_then_in_finnish(page: Page, screenshots: Path) -> None:
    sign_in(page, "viewer")
    page.goto("/customers/FI01/C100")
    expect(page.get_by_role("heading", name="Aged balances")).to_be_visible()
    expect(page.locator("main")).to_contain_text("€10,000.00")
    page.screenshot(path=str(screenshots / "customer-en.png"), full_page=True)

    page.get_by_label("Language").select_option("fi")
    page.get_by_role("button", name="Change").click()
    expect(page.locator("html")).to_have_attribute("lang", "fi")
    expect(page.get_by_role("heading", name="Erääntyneet saldot")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Käytettävissä oleva luotto")
    expect(page.locator("main")).to_contain_text("10\xa0000,00\xa0€")
    page.screenshot(path=str(screenshots / "customer-fi.png"), full_page=True)

    page.get_by_role("link", name="Pitoluettelo").click()
    expect(page.get_by_role("heading", name="Pitoluettelo", level=1)).to_be_visible()
    expect(page.locator("tr", has_text="SO-FI-5003")).to_contain_text(
        "Yksittäinen luottoraja ylitetty"
    )
    page.screenshot(path=str(screenshots / "holds-fi.png"), full_page=True)
    # the choice stays with the user: back to English for the other tests
    page.get_by_label("Kieli").select_option("en")
    page.get_by_role("button", name="Vaihda").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


def test_a_wrong_password_is_refused(page: Page) -> None:
    sign_in(page, "clerk", "not-the-password")
    expect(page.get_by_role("alert")).to_contain_text("The username or password is not right.")
    page.goto("/holds")
    expect(page).to_have_url(re.compile(r"/sign-in\?next=/holds$"))


def test_a_post_without_the_csrf_token_is_refused(page: Page) -> None:
    sign_in(page, "clerk")
    expect(page.get_by_role("heading", name="Hold list", level=1)).to_be_visible()
    hold_id = page.locator("input[name=hold_id]").first.get_attribute("value")
    assert hold_id
    # the browser sends the session cookie but not the form's token
    response = page.request.post("/holds/release", form={"hold_id": hold_id})
    assert response.status == 403
    page.reload()
    expect(page.locator(f"input[value='{hold_id}']")).to_have_count(1)


def test_a_viewer_sees_holds_but_has_no_release_button(page: Page) -> None:
    sign_in(page, "viewer")
    expect(page.locator("tr", has_text="SO-FI-5003")).to_have_count(1)
    expect(page.get_by_role("button", name="Release", exact=True)).to_have_count(0)


def test_the_pages_are_usable_on_a_tablet(page: Page, screenshots: Path) -> None:
    page.set_viewport_size({"width": 820, "height": 1180})
    sign_in(page, "manager")
    expect(page.get_by_role("heading", name="Hold list", level=1)).to_be_visible()
    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to content")).to_be_focused()
    page.goto("/groups/NORDWIND")
    expect(page.locator("main")).to_contain_text("SE01/C100")
    page.screenshot(path=str(screenshots / "group-tablet-en.png"), full_page=True)


def test_the_pages_and_the_api_docs_work_under_the_content_security_policy(page: Page) -> None:
    refused: list[str] = []

    def console(message: ConsoleMessage) -> None:
        if message.type == "error" and not message.location["url"].endswith("/favicon.ico"):
            refused.append(f"{message.text} ({message.location['url']})")

    page.on("console", console)
    sign_in(page, "manager")
    row = page.locator("tr", has_text="SO-FI-5003")
    row.get_by_role("button", name="Credit figures").click()
    expect(page.locator("#figures")).to_contain_text("Available credit")  # htmx ran
    page.goto("/customers/FI01/C100")
    expect(page.locator(".meter span")).to_have_count(1)
    assert page.locator(".meter span").evaluate("e => e.getBoundingClientRect().width") > 0
    page.goto("/api/docs")
    expect(page.locator(".opblock").first).to_be_visible()  # Swagger UI drew the operations
    credit = page.get_by_text("/api/v1/legal-entities/{le}/customers/{account}/credit")
    expect(credit.first).to_be_visible()
    assert refused == []  # nothing refused by the policy, no script error
