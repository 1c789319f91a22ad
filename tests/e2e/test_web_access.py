"""Access to the web app: sessions stored server-side (ended by sign-out, a password reset,
disabling the user, the idle time and the lifetime), the sign-in throttle per user and per
address with failed sign-ins audited, and the password policy."""

from __future__ import annotations

import io
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from rich.console import Console

from creditdesk.config import Settings
from creditdesk.domain.errors import WeakPasswordError
from creditdesk.entrypoints.api.app import create_app
from creditdesk.entrypoints.cli.demo import DEMO_PASSWORD, load_demo
from creditdesk.service_layer import users
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.runtime import Runtime
from tests.e2e.test_web_app import csrf_of, sign_in

COOKIE = "creditdesk_session"


class MovingClock:
    """The real time, moved on by hand (the demo data stays dated today)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def today(self) -> date:
        return self.now().date()

    def advance(self, **delta: float) -> None:
        self.offset += timedelta(**delta)


@pytest.fixture
def clock() -> MovingClock:
    return MovingClock()


@pytest.fixture
def demo(runtime: Runtime, clock: MovingClock) -> Runtime:
    load_demo(runtime, Console(file=io.StringIO()))
    runtime.clock = clock
    return runtime


@pytest.fixture
def client(settings: Settings, demo: Runtime) -> Iterator[TestClient]:
    with TestClient(create_app(settings, demo)) as c:
        yield c


def attempt(client: TestClient, username: str, password: str) -> int:
    r = client.post(
        "/sign-in",
        data={"username": username, "password": password, "csrf_token": csrf_of(client)},
        follow_redirects=False,
    )
    return r.status_code


def opens_holds(client: TestClient) -> bool:
    return client.get("/holds", follow_redirects=False).status_code == 200


def audited(rt: Runtime, action: str, key: str) -> int:
    with rt.uow(read_only=True) as uow:
        return sum(e.action == action for e in uow.audit.find("web_user", key, None, 1000))


# --- sessions -----------------------------------------------------------------------------------


def test_a_cookie_copied_before_sign_out_opens_nothing_after_it(client: TestClient) -> None:
    sign_in(client, "clerk")
    copied = client.cookies[COOKIE]
    r = client.post("/sign-out", data={"csrf_token": csrf_of(client, "/holds")})
    assert r.status_code == 200
    client.cookies.set(COOKIE, copied)
    assert not opens_holds(client)


def test_a_session_ends_after_the_idle_time_but_not_while_in_use(
    client: TestClient, clock: MovingClock
) -> None:
    sign_in(client, "clerk")
    for _ in range(4):  # an hour and a half of work, a page every 25 minutes
        clock.advance(minutes=25)
        assert opens_holds(client)
    clock.advance(minutes=31)
    assert not opens_holds(client)


def test_a_session_ends_after_its_lifetime_however_busy(
    client: TestClient, clock: MovingClock
) -> None:
    sign_in(client, "clerk")
    for _ in range(20):  # ten hours
        clock.advance(minutes=29)
        assert opens_holds(client)
    clock.advance(minutes=29)
    assert not opens_holds(client)


def test_the_idle_time_is_a_setting(settings: Settings, demo: Runtime, clock: MovingClock) -> None:
    short = settings.model_copy(update={"session_idle_minutes": 5})
    with TestClient(create_app(short, demo)) as client:
        sign_in(client, "clerk")
        clock.advance(minutes=6)
        assert not opens_holds(client)


def test_disabling_a_user_ends_every_session_of_theirs_at_once(
    client: TestClient, demo: Runtime, settings: Settings
) -> None:
    sign_in(client, "clerk")
    with TestClient(create_app(settings, demo)) as other:
        sign_in(other, "clerk")
        body = users.disable_user(demo, SYSTEM, "clerk")
        assert body["sessions_ended"] == 2
        assert not opens_holds(client)
        assert not opens_holds(other)
    assert attempt(client, "clerk", DEMO_PASSWORD) == 401
    assert audited(demo, "disable", "clerk") == 1


def test_a_password_reset_ends_the_sessions_and_only_the_new_password_signs_in(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "clerk")
    users.set_password(demo, SYSTEM, "clerk", "a much newer passphrase")
    assert not opens_holds(client)
    assert attempt(client, "clerk", DEMO_PASSWORD) == 401
    sign_in(client, "clerk", "a much newer passphrase")
    assert opens_holds(client)
    assert audited(demo, "reset_password", "clerk") == 1


def test_the_session_cookie_is_secure_only_when_set_so(settings: Settings, demo: Runtime) -> None:
    with TestClient(create_app(settings, demo)) as client:
        r = client.get("/sign-in")
        assert "secure" not in r.headers["set-cookie"].lower()
    secure = settings.model_copy(update={"session_cookie_secure": True})
    with TestClient(create_app(secure, demo), base_url="https://testserver") as client:
        r = client.get("/sign-in")
        assert "secure" in r.headers["set-cookie"].lower()


# --- the throttle -------------------------------------------------------------------------------


def test_after_five_wrong_passwords_even_the_right_one_waits_and_the_wait_grows(
    client: TestClient, demo: Runtime, clock: MovingClock
) -> None:
    for _ in range(5):
        assert attempt(client, "clerk", "not the password") == 401
    r = client.post(
        "/sign-in",
        data={"username": "clerk", "password": DEMO_PASSWORD, "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 429
    assert r.headers["retry-after"] == "30"
    assert "Try again in 30 seconds" in r.text
    assert not opens_holds(client)
    assert audited(demo, "sign_in_failed", "clerk") == 5
    clock.advance(seconds=31)
    assert attempt(client, "clerk", "still not it") == 401
    r = client.post(
        "/sign-in",
        data={"username": "clerk", "password": DEMO_PASSWORD, "csrf_token": csrf_of(client)},
    )
    assert r.status_code == 429
    assert r.headers["retry-after"] == "60"
    clock.advance(seconds=61)
    assert attempt(client, "clerk", DEMO_PASSWORD) == 303
    assert opens_holds(client)


def test_a_successful_sign_in_forgets_the_users_failures(client: TestClient) -> None:
    for _ in range(4):
        assert attempt(client, "clerk", "not the password") == 401
    assert attempt(client, "clerk", DEMO_PASSWORD) == 303
    for _ in range(4):
        assert attempt(client, "clerk", "not the password") == 401
    assert attempt(client, "clerk", DEMO_PASSWORD) == 303


def test_one_address_guessing_across_many_names_is_throttled_too(
    client: TestClient, demo: Runtime
) -> None:
    for n in range(20):
        assert attempt(client, f"nobody{n}", "not the password") == 401
    assert attempt(client, "viewer", DEMO_PASSWORD) == 429
    assert audited(demo, "sign_in_failed", "nobody7") == 1


def test_a_waiting_user_is_refused_from_another_address_as_well(
    client: TestClient, settings: Settings, demo: Runtime
) -> None:
    for _ in range(5):
        assert attempt(client, "clerk", "not the password") == 401
    with TestClient(create_app(settings, demo), client=("10.1.2.3", 5000)) as other:
        assert attempt(other, "clerk", DEMO_PASSWORD) == 429
        assert attempt(other, "viewer", DEMO_PASSWORD) == 303


# --- passwords ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    [
        "12345678",
        "aaaaaaaa",
        "short-pass1",
        "aaaaaaaaaaaa",
        "qwerty123456",
        "QWERTY123456",
        "anna.berg",
    ],
)
def test_short_common_or_trivial_passwords_are_refused(demo: Runtime, password: str) -> None:
    with pytest.raises(WeakPasswordError):
        users.create_user(demo, SYSTEM, "anna.berg", password, "viewer", None)
    with pytest.raises(WeakPasswordError):
        users.set_password(demo, SYSTEM, "clerk", password)
    assert users.list_users(demo, SYSTEM)[0]["username"] != "anna.berg"


def test_a_long_uncommon_password_and_the_demo_password_are_accepted(demo: Runtime) -> None:
    body = users.create_user(demo, SYSTEM, "anna.berg", "tall ships sail home", "viewer", None)
    assert body["username"] == "anna.berg"
    users.check_password(demo, "someone", DEMO_PASSWORD)


# --- security headers and the API docs ----------------------------------------------------------


@pytest.mark.parametrize(
    "path", ["/sign-in", "/holds", "/api/v1/health", "/api/v1/nope", "/static/app.css"]
)
def test_every_response_carries_the_security_headers(client: TestClient, path: str) -> None:
    r = client.get(path, follow_redirects=False)
    policy = r.headers["content-security-policy"]
    assert "script-src 'self';" in policy
    assert "unsafe-inline" not in policy
    assert "frame-ancestors 'none'" in policy
    assert r.headers["x-frame-options"] == "DENY"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "same-origin"


def test_no_page_has_an_inline_script_or_style(client: TestClient) -> None:
    sign_in(client, "manager")
    for path in ("/sign-in", "/holds", "/customers/FI01/C100", "/groups/NORDWIND", "/setup/FI01"):
        html = client.get(path).text
        assert "<script>" not in html, path
        assert " style=" not in html, path
        assert all('src="/' in tag for tag in html.split("<script")[1:]), path


def test_the_api_docs_are_served_from_this_server_without_inline_script(
    client: TestClient,
) -> None:
    r = client.get("/api/docs")
    assert r.status_code == 200
    assert "cdn" not in r.text.lower()
    assert "<script>" not in r.text
    assert "script-src 'self';" in r.headers["content-security-policy"]
    scripts = [part.split('"')[1] for part in r.text.split("<script src=")[1:]]
    links = [part.split('"')[1] for part in r.text.split("href=")[1:]]
    for asset in scripts + links:
        assert asset.startswith("/"), asset
        assert client.get(asset).status_code == 200, asset
    assert "SwaggerUIBundle(" in client.get("/static/api-docs.js").text


# --- changing one's own password ----------------------------------------------------------------


def change(client: TestClient, current: str, new: str, again: str | None = None) -> Response:
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": new,
            "new_password_again": new if again is None else again,
            "csrf_token": csrf_of(client, "/account/password"),
        },
        follow_redirects=False,
    )


def test_changing_ones_password_ends_the_other_sessions_but_keeps_this_one(
    client: TestClient, settings: Settings, demo: Runtime
) -> None:
    sign_in(client, "clerk")
    with TestClient(create_app(settings, demo)) as other:
        sign_in(other, "clerk")
        r = change(client, DEMO_PASSWORD, "a brand new passphrase")
        assert r.status_code == 303, r.text
        page = client.get("/holds", follow_redirects=False)
        assert page.status_code == 200
        assert "Your password is changed." in page.text
        assert not opens_holds(other)
        assert attempt(other, "clerk", DEMO_PASSWORD) == 401
        assert attempt(other, "clerk", "a brand new passphrase") == 303
    assert audited(demo, "change_password", "clerk") == 1


def test_a_password_change_needs_the_current_password_and_a_good_new_one(
    client: TestClient, demo: Runtime
) -> None:
    sign_in(client, "clerk")
    wrong = change(client, "not the password", "a brand new passphrase")
    assert wrong.status_code == 400
    assert "The current password is not right." in wrong.text
    assert audited(demo, "sign_in_failed", "clerk") == 1
    differ = change(client, DEMO_PASSWORD, "a brand new passphrase", "another passphrase")
    assert differ.status_code == 400
    assert "The new passwords are not the same." in differ.text
    weak = change(client, DEMO_PASSWORD, "qwerty123456")
    assert weak.status_code == 400
    assert "commonly used" in weak.text
    assert attempt(client, "clerk", DEMO_PASSWORD) == 303  # unchanged


def test_failures_and_sessions_past_their_time_are_cleared_at_the_next_sign_in(
    client: TestClient, demo: Runtime, clock: MovingClock
) -> None:
    sign_in(client, "viewer")
    assert attempt(client, "nobody", "not the password") == 401
    clock.advance(hours=11)
    sign_in(client, "clerk")
    with demo.uow() as uow:  # not committed: only counts
        assert uow.users.failures(["user:nobody", "address:testclient"]) == []
        assert uow.users.end_sessions_of("viewer") == 0  # the viewer's session was gone
