"""API tokens: created with a role, an optional legal-entity scope and an optional expiry,
shown once, stored only as a SHA-256 digest (the secrets are 256-bit random, so a fast digest
is enough). The last use is kept to the minute, for finding tokens nobody uses any more."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from creditdesk.domain.errors import DomainError, TokenNameTakenError
from creditdesk.service_layer.auth import (
    Permission,
    Principal,
    Role,
    authorize_all_entities,
)
from creditdesk.service_layer.errors import AuthenticationError, TokenNotFoundError
from creditdesk.service_layer.ports import ApiToken, run_with_retries
from creditdesk.service_layer.runtime import Runtime

ADMIN_TOKEN_NAME = "admin (CREDITDESK_ADMIN_TOKEN)"
LAST_USED_EVERY = timedelta(minutes=1)
"""A token's last use is written at most this often (not on every request)."""


def _iso(value: datetime | None) -> str | None:
    return value.isoformat().replace("+00:00", "Z") if value is not None else None


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def token_body(token: ApiToken) -> dict[str, Any]:
    return {
        "id": token.id,
        "name": token.name,
        "role": token.role,
        "legal_entities": list(token.legal_entities) if token.legal_entities is not None else None,
        "created_at": _iso(token.created_at),
        "expires_at": _iso(token.expires_at),
        "last_used_at": _iso(token.last_used_at),
        "revoked": token.revoked_at is not None,
    }


def _role(value: str) -> Role:
    try:
        return Role(value)
    except ValueError:
        choices = ", ".join(r.value for r in Role)
        raise DomainError(f"role must be one of {choices}", role=value) from None


def create_token(
    rt: Runtime,
    actor: Principal,
    name: str,
    role: str,
    legal_entities: list[str] | None,
    secret: str | None = None,
    *,
    expires_at: datetime | None = None,
) -> dict[str, Any]:
    """Create a token; the body carries the secret, which is never shown again. A token with
    ``expires_at`` is refused from then on."""
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)
    checked = _role(role)
    if not name or len(name) > 120:
        raise DomainError("a token needs a name of at most 120 characters")
    if expires_at is not None and (expires_at.tzinfo is None or expires_at <= rt.clock.now()):
        raise DomainError(
            "expires_at must be a time in the future with its UTC offset",
            expires_at=str(expires_at),
        )
    if legal_entities is not None and not legal_entities:
        raise DomainError("legal_entities must be null (all) or name at least one")
    value = secret or f"cd_{secrets.token_urlsafe(32)}"

    def work() -> dict[str, Any]:
        with rt.uow() as uow:
            for le in legal_entities or []:
                if uow.legal_entities.get(le) is None:
                    from creditdesk.service_layer.errors import LegalEntityNotFoundError

                    raise LegalEntityNotFoundError(f"legal entity {le} does not exist")
            if any(t.name == name and t.revoked_at is None for t in uow.tokens.all()):
                raise TokenNameTakenError(
                    f"an active token is already named {name!r}: names identify who acted"
                )
            token = ApiToken(
                rt.new_id("tok"),
                name,
                checked.value,
                tuple(legal_entities) if legal_entities is not None else None,
                rt.clock.now(),
                expires_at=expires_at,
            )
            uow.tokens.add(token, digest(value))
            body = token_body(token)
            uow.audit.add(token.created_at, actor.name, "create", "api_token", token.id, None, body)
            uow.commit()
            return body | {"token": value}

    return run_with_retries(work)


def ensure_token(rt: Runtime, name: str, role: str, secret: str) -> None:
    """Make sure a token with this secret exists (used for ``CREDITDESK_ADMIN_TOKEN``). A new
    secret replaces the previous one of the same name: rotating the environment variable
    revokes the old token (audited), it does not leave two valid ones."""
    checked = _role(role)

    def work() -> None:
        with rt.uow() as uow:
            if uow.tokens.by_hash(digest(secret)) is not None:
                return
            now = rt.clock.now()
            replaced = uow.tokens.revoke_named(name, now)
            token = ApiToken(rt.new_id("tok"), name, checked.value, None, now)
            uow.tokens.add(token, digest(secret))
            for token_id in replaced:  # a rotation is audited; the first start-up is not
                uow.audit.add(
                    now, "system", "revoke", "api_token", token_id, None, {"replaced_by": token.id}
                )
            if replaced:
                uow.audit.add(
                    now, "system", "create", "api_token", token.id, None, token_body(token)
                )
            uow.commit()
        rt.tokens.clear()

    run_with_retries(work)


def authenticate(rt: Runtime, secret: str) -> Principal:
    """The principal of a bearer token; refused when unknown, revoked or expired (see
    ``TOKEN_CACHE_SECONDS`` for how soon another process sees a revocation)."""
    hashed = digest(secret)
    cached = rt.tokens.get(hashed)
    if cached is not None:
        return cached
    with rt.uow(read_only=True) as uow:
        token = uow.tokens.by_hash(hashed)
    now = rt.clock.now()
    if (
        token is None
        or token.revoked_at is not None
        or (token.expires_at is not None and token.expires_at <= now)
    ):
        raise AuthenticationError("the bearer token is not valid")
    principal = Principal(
        f"token:{token.name}",
        Role(token.role),
        frozenset(token.legal_entities) if token.legal_entities is not None else None,
    )
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_EVERY:
        _mark_used(rt, token.id, now)
    left = (token.expires_at - now).total_seconds() if token.expires_at is not None else None
    rt.tokens.put(hashed, principal, at_most=left)
    return principal


def _mark_used(rt: Runtime, token_id: str, at: datetime) -> None:
    def work() -> None:
        with rt.uow() as uow:
            uow.tokens.mark_used(token_id, at)
            uow.commit()

    run_with_retries(work)


def list_tokens(rt: Runtime, actor: Principal) -> list[dict[str, Any]]:
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)
    with rt.uow(read_only=True) as uow:
        return [token_body(t) for t in uow.tokens.all()]


def revoke_token(rt: Runtime, actor: Principal, token_id: str) -> None:
    authorize_all_entities(actor, Permission.MANAGE_TOKENS)

    def work() -> None:
        with rt.uow() as uow:
            now = rt.clock.now()
            if not uow.tokens.revoke(token_id, now):
                raise TokenNotFoundError(f"token {token_id} does not exist")
            uow.audit.add(now, actor.name, "revoke", "api_token", token_id, None, None)
            uow.commit()
        rt.tokens.clear()  # refused at once in this process (see TOKEN_CACHE_SECONDS)

    run_with_retries(work)
