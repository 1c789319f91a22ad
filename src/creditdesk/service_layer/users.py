"""Web application users: created with a role and an optional legal-entity scope (the same
roles and scopes as API tokens), signed in with a password stored as an argon2 hash."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from creditdesk.domain.errors import DomainError
from creditdesk.service_layer.auth import Permission, Principal, Role, authorize_all_entities
from creditdesk.service_layer.errors import AuthenticationError, LegalEntityNotFoundError
from creditdesk.service_layer.ports import WebUser, run_with_retries
from creditdesk.service_layer.runtime import Runtime

LANGUAGES = ("en", "fi", "nb", "sv")
MIN_PASSWORD = 8
# OWASP's argon2id minimum (19 MiB, 2 passes, 1 lane): strong, and a sign-in stays well under a
# tenth of a second on a busy server. A stored hash made with other settings is rehashed at the
# next sign-in.
_hasher = PasswordHasher(time_cost=2, memory_cost=19_456, parallelism=1)


@cache
def _dummy_hash() -> str:
    """Verified against when the user does not exist, so a wrong name costs as much as a
    wrong password."""
    return _hasher.hash("not a password of anyone")


@dataclass(frozen=True, slots=True)
class SignedIn:
    """Who signed in: the principal the use cases check, and the user's settings."""

    principal: Principal
    display_name: str
    language: str | None


def user_body(user: WebUser) -> dict[str, Any]:
    return {
        "username": user.username,
        "display_name": user.display_name,
        "role": user.role,
        "legal_entities": list(user.legal_entities) if user.legal_entities is not None else None,
        "language": user.language,
        "created_at": user.created_at.isoformat().replace("+00:00", "Z"),
    }


def principal_of(user: WebUser) -> Principal:
    return Principal(
        f"user:{user.username}",
        Role(user.role),
        frozenset(user.legal_entities) if user.legal_entities is not None else None,
    )


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
    """Create a web user; the password is kept only as an argon2 hash."""
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
    if len(password) < MIN_PASSWORD:
        raise DomainError(f"a password has at least {MIN_PASSWORD} characters")
    if legal_entities is not None and not legal_entities:
        raise DomainError("legal_entities must be null (all) or name at least one")
    if language is not None and language not in LANGUAGES:
        raise DomainError(f"language must be one of {', '.join(LANGUAGES)}", language=language)
    password_hash = _hasher.hash(password)

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


def sign_in(rt: Runtime, username: str, password: str) -> SignedIn:
    """Check the password; raise ``AuthenticationError`` for a wrong name or password alike."""
    with rt.uow(read_only=True) as uow:
        user = uow.users.get(username)
    stored = user.password_hash if user is not None and user.disabled_at is None else _dummy_hash()
    try:
        _hasher.verify(stored, password)
    except (VerificationError, InvalidHashError):
        raise AuthenticationError("the username or password is not right") from None
    if user is None or user.disabled_at is not None:
        raise AuthenticationError("the username or password is not right")
    if _hasher.check_needs_rehash(user.password_hash):
        new_hash = _hasher.hash(password)

        def rehash() -> None:
            with rt.uow() as uow:
                uow.users.set_password_hash(username, new_hash)
                uow.commit()

        run_with_retries(rehash)
    return SignedIn(principal_of(user), user.display_name, user.language)


def current_user(rt: Runtime, username: str) -> SignedIn | None:
    """The signed-in user as stored now (a disabled or deleted user is signed out)."""
    with rt.uow(read_only=True) as uow:
        user = uow.users.get(username)
    if user is None or user.disabled_at is not None:
        return None
    return SignedIn(principal_of(user), user.display_name, user.language)


def set_language(rt: Runtime, actor: Principal, language: str | None) -> None:
    """A user's own language setting (None: follow the browser)."""
    if language is not None and language not in LANGUAGES:
        raise DomainError(f"language must be one of {', '.join(LANGUAGES)}", language=language)
    username = actor.name.removeprefix("user:")

    def work() -> None:
        with rt.uow() as uow:
            uow.users.set_language(username, language)
            uow.commit()

    run_with_retries(work)


def list_users(rt: Runtime, actor: Principal) -> list[dict[str, Any]]:
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)
    with rt.uow(read_only=True) as uow:
        return [user_body(u) for u in uow.users.all()]
