"""Request dependencies: the runtime and the authenticated principal."""

from __future__ import annotations

import base64
from typing import Annotated

from fastapi import Depends, Query, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from creditdesk.service_layer.auth import Principal
from creditdesk.service_layer.errors import AuthenticationError
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.tokens import authenticate

_bearer = HTTPBearer(auto_error=False, description="An API token: `Authorization: Bearer <token>`")
bearer = Depends(_bearer)


def get_runtime(request: Request) -> Runtime:
    runtime: Runtime = request.app.state.runtime
    return runtime


RuntimeDep = Annotated[Runtime, Depends(get_runtime)]


def get_principal(
    runtime: RuntimeDep,
    credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Principal:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationError("send an API token as 'Authorization: Bearer <token>'")
    return authenticate(runtime, credentials.credentials)


PrincipalDep = Annotated[Principal, Depends(get_principal)]
LimitQuery = Annotated[int, Query(ge=1, le=1000, description="page size")]


def encode_cursor(value: str) -> str:
    return base64.urlsafe_b64encode(value.encode()).decode().rstrip("=")


def decode_cursor(cursor: str | None) -> str | None:
    if cursor is None:
        return None
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        return base64.urlsafe_b64decode(padded.encode()).decode()
    except (ValueError, UnicodeDecodeError):
        from creditdesk.domain.errors import DomainError

        raise DomainError("the cursor is not valid", cursor=cursor[:40]) from None
