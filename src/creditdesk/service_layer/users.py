"""Web application users: created with a role and an optional legal-entity scope (the same
roles and scopes as API tokens), signed in with a password (hashed by ``rt.passwords``, argon2
in the adapters) into a session stored server-side, so that signing out, a password change or
disabling the user ends it at once. Failed sign-ins are audited and throttled per user and
per client address; the counts live in the database, so every server process shares them."""

from __future__ import annotations

import hashlib
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from creditdesk.domain.errors import DomainError, WeakPasswordError
from creditdesk.service_layer.auth import Permission, Principal, Role, authorize_all_entities
from creditdesk.service_layer.errors import (
    AuthenticationError,
    LegalEntityNotFoundError,
    TooManySignInsError,
    UserNotFoundError,
)
from creditdesk.service_layer.ports import (
    Passwords,
    SignInFailures,
    UnitOfWork,
    WebSession,
    WebUser,
    run_with_retries,
)
from creditdesk.service_layer.runtime import Runtime

LANGUAGES = ("en", "fi", "nb", "sv")
MIN_PASSWORD = 12

# The sign-in throttle: after FREE failures for a user (or ADDRESS_FREE from one client
# address, which may be an office behind one NAT) each further attempt waits FIRST_WAIT,
# doubling with every further failure up to MAX_WAIT. Failures are forgotten FORGET after the
# last one; a successful sign-in forgets the user's (not the address's).
USER_FREE = 5
ADDRESS_FREE = 20
FIRST_WAIT = timedelta(seconds=30)
MAX_WAIT = timedelta(minutes=15)
FORGET = timedelta(hours=1)

# A session's last use is written at most once a minute (not on every page).
TOUCH_EVERY = timedelta(minutes=1)
_NOT_A_PASSWORD = "not a password of anyone"
_dummy: dict[int, str] = {}


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who signed in: the principal the use cases check, and the user's settings."""

    principal: Principal
    display_name: str
    language: str | None


@dataclass(frozen=True, slots=True)
class NewSession:
    """A successful sign-in: the user and the session id for the (signed) cookie."""

    user: SignedIn
    session_id: str


@dataclass(frozen=True, slots=True)
class SessionPolicy:
    """When a session ends by itself: after ``idle`` without a request, and ``lifetime``
    after the sign-in whatever the use."""

    idle: timedelta
    lifetime: timedelta


def _passwords(rt: Runtime) -> Passwords:
    if rt.passwords is None:
        raise RuntimeError("the runtime has no password hasher (see bootstrap.build_runtime)")
    return rt.passwords


def _dummy_hash(passwords: Passwords) -> str:
    """Verified against when the user does not exist, so a wrong name costs as much as a
    wrong password."""
    key = id(passwords)
    if key not in _dummy:
        _dummy[key] = passwords.hash(_NOT_A_PASSWORD)
    return _dummy[key]


def _session_hash(session_id: str) -> str:
    return hashlib.sha256(session_id.encode()).hexdigest()


def user_body(user: WebUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "legal_entities": list(user.legal_entities) if user.legal_entities is not None else None,
        "language": user.language,
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
        "disabled": user.disabled_at is not None,
    }


def principal_of(user: WebUser) -> Principal:
    return Principal(
        f"user:{user.username}",
        Role(user.role),
        frozenset(user.legal_entities) if user.legal_entities is not None else None,
    )


def check_password(rt: Runtime, username: str, password: str) -> None:
    """Refuse a password shorter than ``MIN_PASSWORD`` or easy to guess: among the commonly
    used ones, the username itself, or one character repeated."""
    if len(password) < MIN_PASSWORD:
        raise WeakPasswordError(f"a password has at least {MIN_PASSWORD} characters")
    if (
        password.lower() == username.lower()
        or len(set(password)) == 1
        or _passwords(rt).is_common(password)
    ):
        raise WeakPasswordError("this password is among the commonly used ones: choose another")


def create_user(
    rt: Runtime,
    actor: Principal,
    username: str,
    password: str,
    role: str,
    legal_entities: list[str] | None,
    *,
    display_name: str | None = None,
    language: str | None = None,
) -> dict[str, Any]:
    """Create a web user; the password is kept only as a hash."""
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)
    try:
        checked = Role(role)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise DomainError(f"role must be one of {choices}", role=role) from None
    if (
        not username
        or len(username) > 80
        or not username.replace(".", "").replace("-", "").isalnum()
    ):
        raise DomainError("a username is 1-80 letters, digits, dots or hyphens", username=username)
    check_password(rt, username, password)
    if legal_entities is not None and not legal_entities:
        raise DomainError("legal_entities must be null (all) or name at least one")
    if language is not None and language not in LANGUAGES:
        raise DomainError(f"language must be one of {', '.join(LANGUAGES)}", language=language)
    password_hash = _passwords(rt).hash(password)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            for le in legal_entities or []:
                if uow.legal_entities.get(le) is None:
                    raise LegalEntityNotFoundError(f"legal entity {le} does not exist")
            if uow.users.get(username) is not None:
                raise DomainError(f"user {username} already exists", username=username)
            user = WebUser(
                username=username,
                display_name=display_name or username,
                password_hash=password_hash,
                role=checked.value,
                legal_entities=tuple(legal_entities) if legal_entities is not None else None,
                language=language,
                created_at=rt.clock.now(),
            )
            uow.users.add(user)
            body = user_body(user)
            uow.audit.add(user.created_at, actor.name, "create", "web_user", username, None, body)
            uow.commit()
            return body

    return run_with_retries(work)


# --- signing in: the throttle -----------------------------------------------------------------


def _throttle_keys(username: str, address: str) -> list[str]:
    return [f"user:{username[:120]}", f"address:{address[:120]}"]


def _after_failure(key: str, previous: SignInFailures | None, now: datetime) -> SignInFailures:
    """One more failure for this key, and the wait it now imposes (none while under the free
    count)."""
    fresh = previous is None or now - previous.last_failure_at > FORGET
    count = 1 if previous is None or fresh else previous.failures + 1
    over = count - (USER_FREE if key.startswith("user:") else ADDRESS_FREE)
    blocked = now + min(FIRST_WAIT * 2 ** min(over, 10), MAX_WAIT) if over >= 0 else None
    return SignInFailures(key, count, now, blocked)


def _refuse_if_blocked(counted: list[SignInFailures], now: datetime) -> None:
    waits = [f.blocked_until - now for f in counted if f.blocked_until and f.blocked_until > now]
    if waits:
        seconds = math.ceil(max(waits).total_seconds())
        raise TooManySignInsError(
            f"too many failed sign-ins: try again in {seconds} seconds", retry_after=seconds
        )


def _record_failure(rt: Runtime, username: str, address: str) -> None:
    """Count the failure for the user and the address, and audit it (a refused attempt while
    blocked is neither counted nor audited: it is not even checked)."""
    keys = _throttle_keys(username, address)

    def work() -> None:
        with rt.uow() as uow:
            now = rt.clock.now()
            counted = {f.key: f for f in uow.users.failures(keys)}
            updated = [_after_failure(key, counted.get(key), now) for key in keys]
            for failures in updated:
                uow.users.put_failures(failures)
            uow.audit.add(
                now,
                f"address:{address[:110]}",
                "sign_in_failed",
                "web_user",
                username[:200],
                None,
                {"address": address, "failures": updated[0].failures},
            )
            uow.commit()

    run_with_retries(work)


def sign_in(
    rt: Runtime, username: str, password: str, address: str, policy: SessionPolicy
) -> NewSession:
    """Check the password and start a session. Raise ``TooManySignInsError`` (unchecked)
    while this user or address waits after repeated failures, and ``AuthenticationError``
    for a wrong name or password alike."""
    passwords = _passwords(rt)
    with rt.uow(read_only=True) as uow:
        user = uow.users.get(username)
        counted = uow.users.failures(_throttle_keys(username, address))
    _refuse_if_blocked(counted, rt.clock.now())
    if user is None or user.disabled_at is not None:
        passwords.verify(_dummy_hash(passwords), password)
        _record_failure(rt, username, address)
        raise AuthenticationError("the username or password is not right")
    if not passwords.verify(user.password_hash, password):
        _record_failure(rt, username, address)
        raise AuthenticationError("the username or password is not right")
    new_hash = passwords.hash(password) if passwords.needs_rehash(user.password_hash) else None
    session_id = secrets.token_urlsafe(32)

    def work() -> None:
        with rt.uow() as uow:
            now = rt.clock.now()
            if new_hash is not None:
                uow.users.set_password_hash(username, new_hash)
            uow.users.clear_failures(_throttle_keys(username, address)[0])
            # housekeeping: failures already forgotten, sessions already ended
            uow.users.forget_failures_before(now - FORGET)
            uow.users.end_sessions_before(now - policy.idle, now - policy.lifetime)
            uow.users.add_session(WebSession(_session_hash(session_id), username, now, now))
            uow.commit()

    run_with_retries(work)
    return NewSession(SignedIn(principal_of(user), user.display_name, user.language), session_id)


# --- sessions -----------------------------------------------------------------------------------


def session_user(rt: Runtime, session_id: str, policy: SessionPolicy) -> SignedIn | None:
    """The user of a session, or None when the session has ended (signed out, password
    changed, user disabled, idle too long, or older than the lifetime)."""
    session_hash = _session_hash(session_id)
    with rt.uow(read_only=True) as uow:
        session = uow.users.get_session(session_hash)
        user = uow.users.get(session.username) if session is not None else None
    if session is None:
        return None
    now = rt.clock.now()
    if (
        user is None
        or user.disabled_at is not None
        or now - session.last_seen_at > policy.idle
        or now - session.created_at > policy.lifetime
    ):
        end_session(rt, session_id)
        return None
    if now - session.last_seen_at >= TOUCH_EVERY:
        _write(rt, lambda uow: uow.users.touch_session(session_hash, now))
    return SignedIn(principal_of(user), user.display_name, user.language)


def end_session(rt: Runtime, session_id: str) -> None:
    """Sign out: the session is gone server-side, whatever copies of the cookie exist."""
    session_hash = _session_hash(session_id)
    _write(rt, lambda uow: uow.users.end_session(session_hash))


def _write(rt: Runtime, change: Callable[[UnitOfWork], None]) -> None:
    def work() -> None:
        with rt.uow() as uow:
            change(uow)
            uow.commit()

    run_with_retries(work)


# --- managing users -----------------------------------------------------------------------------


def _existing(uow: UnitOfWork, username: str) -> WebUser:
    user = uow.users.get(username)
    if user is None:
        raise UserNotFoundError(f"user {username} does not exist", username=username)
    return user


def set_password(rt: Runtime, actor: Principal, username: str, password: str) -> dict[str, Any]:
    """Give a user a new password (an administrator's reset): every session of the user ends
    and the user's failed sign-ins are forgotten."""
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)
    check_password(rt, username, password)
    password_hash = _passwords(rt).hash(password)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            user = _existing(uow, username)
            now = rt.clock.now()
            uow.users.set_password_hash(username, password_hash)
            ended = uow.users.end_sessions_of(username)
            uow.users.clear_failures(_throttle_keys(username, "")[0])
            uow.audit.add(
                now, actor.name, "reset_password", "web_user", username, None, {"sessions": ended}
            )
            uow.commit()
            return user_body(user) | {"sessions_ended": ended}

    return run_with_retries(work)


def change_own_password(
    rt: Runtime,
    actor: Principal,
    current: str,
    new: str,
    address: str,
    policy: SessionPolicy,
) -> NewSession:
    """A signed-in user changes their own password: the current one must be right (a wrong
    one counts as a failed sign-in, so a borrowed session cannot guess it), every session of
    the user ends, and this browser gets a new one."""
    username = actor.name.removeprefix("user:")
    passwords = _passwords(rt)
    with rt.uow(read_only=True) as uow:
        user = uow.users.get(username)
        counted = uow.users.failures(_throttle_keys(username, address))
    if user is None or user.disabled_at is not None:
        raise AuthenticationError("this user can no longer sign in")
    _refuse_if_blocked(counted, rt.clock.now())
    if not passwords.verify(user.password_hash, current):
        _record_failure(rt, username, address)
        raise AuthenticationError("the current password is not right")
    check_password(rt, username, new)
    password_hash = passwords.hash(new)
    session_id = secrets.token_urlsafe(32)

    def work() -> None:
        with rt.uow() as uow:
            now = rt.clock.now()
            uow.users.set_password_hash(username, password_hash)
            ended = uow.users.end_sessions_of(username)
            uow.users.end_sessions_before(now - policy.idle, now - policy.lifetime)
            uow.users.add_session(WebSession(_session_hash(session_id), username, now, now))
            uow.audit.add(
                now, actor.name, "change_password", "web_user", username, None, {"sessions": ended}
            )
            uow.commit()

    run_with_retries(work)
    return NewSession(SignedIn(principal_of(user), user.display_name, user.language), session_id)


def disable_user(rt: Runtime, actor: Principal, username: str) -> dict[str, Any]:
    """Disable a user: the user can no longer sign in and every session ends now."""
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            user = _existing(uow, username)
            now = rt.clock.now()
            if user.disabled_at is None:
                uow.users.set_disabled(username, now)
            ended = uow.users.end_sessions_of(username)
            before = user_body(user)
            after = before | {"disabled": True}
            uow.audit.add(now, actor.name, "disable", "web_user", username, before, after)
            uow.commit()
            return after | {"sessions_ended": ended}

    return run_with_retries(work)


def set_language(rt: Runtime, actor: Principal, language: str | None) -> None:
    """A user's own language setting (None: follow the browser)."""
    if language is not None and language not in LANGUAGES:
        raise DomainError(f"language must be one of {', '.join(LANGUAGES)}", language=language)
    username = actor.name.removeprefix("user:")
    _write(rt, lambda uow: uow.users.set_language(username, language))


def list_users(rt: Runtime, actor: Principal) -> list[dict[str, Any]]:
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)
    with rt.uow(read_only=True) as uow:
        return [user_body(u) for u in uow.users.all()]
