"""The one place where errors become RFC 9457 problem documents."""

from __future__ import annotations

import json
import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pydantic_core import PydanticCustomError
from starlette.exceptions import HTTPException as StarletteHTTPException

from creditdesk.domain.errors import (
    ApprovalRefusedError,
    ConflictError,
    CreditDeskError,
    DomainError,
)
from creditdesk.service_layer.errors import (
    AuthenticationError,
    NotFoundError,
    PermissionDeniedError,
    RetryableError,
)

logger = logging.getLogger("creditdesk.api")


class PreconditionFailedError(CreditDeskError):
    """``If-Match`` names a representation that is no longer the current one (HTTP 412)."""

    code = "precondition_failed"


PROBLEM = "application/problem+json"
_STATUS: tuple[tuple[type[CreditDeskError], int], ...] = (
    (PreconditionFailedError, 412),
    (NotFoundError, 404),
    (AuthenticationError, 401),
    (PermissionDeniedError, 403),
    (ApprovalRefusedError, 403),
    (ConflictError, 409),
    (RetryableError, 409),
    (DomainError, 422),
)
_TITLES = {
    400: "Bad request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    409: "Conflict",
    412: "Precondition failed",
    413: "Request body too large",
    415: "Unsupported media type",
    422: "Unprocessable content",
    500: "Internal server error",
}
# the codes the HTTP edge itself answers with, besides every ``CreditDeskError.code``
_EDGE_CODES = {
    "validation_error",
    "invalid_json",
    "not_found",
    "method_not_allowed",
    "unauthenticated",
    "body_too_large",
    "unsupported_media_type",
    "bad_request",
    "http_error",
    "internal_error",
}
_OUR_CODES = {
    "amount_out_of_range",
    "invalid_id",
    "invalid_amount",
    "unknown_currency",
    "currency_mismatch",
    "invalid_rate",
    "invalid_number",
    "negative_amount",
    "invalid_due_date",
    "invalid_date",
    "invalid_characters",
}


def error_codes() -> list[str]:
    """Every ``code`` a problem document can carry: the ``code`` of each ``CreditDeskError``
    subclass (walked when the document is built, so an error class added anywhere that the
    app imports is listed without touching this module) and the edge's own codes."""
    codes = set(_EDGE_CODES | _OUR_CODES)
    pending: list[type[CreditDeskError]] = [CreditDeskError]
    while pending:
        kind = pending.pop()
        codes.add(kind.code)
        pending.extend(kind.__subclasses__())
    return sorted(codes)


def problem(
    status: int,
    code: str,
    detail: str,
    errors: list[dict[str, Any]] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> JSONResponse:
    body: dict[str, Any] = {
        "type": f"https://creditdesk.dev/problems/{code}",
        "title": _TITLES.get(status, "Error"),
        "status": status,
        "detail": detail,
        "code": code,
    }
    if errors:
        body["errors"] = errors
    if extra:
        body.update(extra)
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _plain(value: Any) -> Any:
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


async def on_creditdesk_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, CreditDeskError)
    status = next((code for kind, code in _STATUS if isinstance(exc, kind)), 500)
    headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
    details = {k: _plain(v) for k, v in exc.details.items()}
    extra: dict[str, Any] = {"details": details} if details else {}
    return problem(status, exc.code, str(exc), headers=headers, **extra)


async def on_validation_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, RequestValidationError)
    errors = []
    code = "validation_error"
    for error in exc.errors():
        kind = str(error.get("type", ""))
        if kind in _OUR_CODES and code == "validation_error":
            code = kind
        if kind == "json_invalid" and code == "validation_error":
            code = "invalid_json"
        errors.append(
            {
                "loc": [_plain(part) for part in error.get("loc", ())],
                "msg": str(error.get("msg")),
                "type": kind,
            }
        )
    first = errors[0]["msg"] if errors else "invalid request"
    return problem(422, code, f"the request is not valid: {first}", errors)


async def on_http_error(_: Request, exc: Exception) -> JSONResponse:
    assert isinstance(exc, StarletteHTTPException)
    codes = {
        404: "not_found",
        405: "method_not_allowed",
        401: "unauthenticated",
        413: "body_too_large",
        415: "unsupported_media_type",
        400: "bad_request",
    }
    code = codes.get(exc.status_code, "http_error")
    return problem(exc.status_code, code, str(exc.detail), headers=dict(exc.headers or {}) or None)


async def on_custom_validation_error(_: Request, exc: Exception) -> JSONResponse:
    """A field check that routers run after parsing (``decimal_text``) raises the same error
    type as inside a model validator; outside pydantic it is still bad input, not a bug."""
    assert isinstance(exc, PydanticCustomError)
    return problem(422, exc.type, f"the request is not valid: {exc.message()}")


async def on_unexpected(request: Request, exc: Exception) -> JSONResponse:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=exc)
    return problem(500, "internal_error", "an unexpected error occurred; nothing was changed")


def install(app: FastAPI) -> None:
    app.add_exception_handler(CreditDeskError, on_creditdesk_error)
    app.add_exception_handler(RequestValidationError, on_validation_error)
    app.add_exception_handler(StarletteHTTPException, on_http_error)
    app.add_exception_handler(PydanticCustomError, on_custom_validation_error)
    app.add_exception_handler(Exception, on_unexpected)


# the statuses every API operation may answer with a problem document
DOCUMENTED_PROBLEMS = (400, 401, 403, 404, 409, 413, 422, 500)
_METHODS = {"get", "put", "post", "delete", "patch", "head", "options"}


def document_problems(app: FastAPI, prefix: str = "/api/v1") -> None:
    """Declare in the OpenAPI document that every API operation answers its errors as
    ``application/problem+json`` problem documents (instead of FastAPI's default 422 body)."""
    from creditdesk.entrypoints.api.schemas import ProblemDocument

    generate = app.openapi
    done: list[dict[str, Any]] = []

    def openapi() -> dict[str, Any]:
        if done:
            return done[0]
        schema = generate()
        components = schema.setdefault("components", {}).setdefault("schemas", {})
        problem_schema = ProblemDocument.model_json_schema(
            ref_template="#/components/schemas/{model}"
        )
        components.update(problem_schema.pop("$defs", {}))
        problem_schema["properties"]["code"] = {"$ref": "#/components/schemas/ErrorCode"}
        components["ProblemDocument"] = problem_schema
        components["ErrorCode"] = {
            "title": "ErrorCode",
            "description": "the stable machine-readable code of a problem document",
            "type": "string",
            "enum": error_codes(),
        }
        reference = {"$ref": "#/components/schemas/ProblemDocument"}
        for path, item in schema.get("paths", {}).items():
            if not path.startswith(prefix) and path != "/metrics":
                continue
            for method, operation in item.items():
                if method not in _METHODS:
                    continue
                responses = operation.setdefault("responses", {})
                headers = {
                    p["name"] for p in operation.get("parameters", []) if p["in"] == "header"
                }
                statuses = (
                    (*DOCUMENTED_PROBLEMS, 412) if "If-Match" in headers else DOCUMENTED_PROBLEMS
                )
                for status in statuses:
                    responses[str(status)] = {
                        "description": _TITLES[status],
                        "content": {PROBLEM: {"schema": reference}},
                    }
        if "#/components/schemas/HTTPValidationError" not in json.dumps(schema):
            components.pop("HTTPValidationError", None)
            components.pop("ValidationError", None)
        done.append(schema)
        return schema

    app.openapi = openapi  # type: ignore[method-assign]
