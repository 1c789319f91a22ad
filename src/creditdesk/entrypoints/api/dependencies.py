"""Request dependencies: the runtime and the authenticated principal."""

from __future__ import annotations

import base64
import re
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
MAX_ID_NUMBER = 2**31 - 1
"""The largest row id of the event and audit tables (INTEGER columns: 32-bit on PostgreSQL):
a larger ``after`` is refused as bad input, the same on every engine, instead of failing in
the database."""
_ROW_ID = re.compile(r"[0-9]{1,10}")


def row_id(text: str, name: str) -> int:
    """A row id given as text (``after=``, a decoded cursor): ASCII digits, at most
    ``MAX_ID_NUMBER``; anything else is bad input (422), never a database error."""
    if not _ROW_ID.fullmatch(text) or int(text) > MAX_ID_NUMBER:
        from creditdesk.domain.errors import DomainError

        raise DomainError(
            f"{name} must be a row id: a whole number from 0 to {MAX_ID_NUMBER}",
            field=name,
        )
    return int(text)


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
