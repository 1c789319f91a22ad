"""Operations: readiness, metrics, periodic task schedules and their recorded runs."""

from __future__ import annotations

import secrets
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import JSONResponse
from fastapi.security import HTTPAuthorizationCredentials
from pydantic import BaseModel, Field, StrictBool, StrictInt, StrictStr

from creditdesk import __version__
from creditdesk.bootstrap import ensure_admin_token, schema_status
from creditdesk.entrypoints.api.contract import ContractRoute, page_of
from creditdesk.entrypoints.api.dependencies import (
    LimitQuery,
    PrincipalDep,
    RuntimeDep,
    bearer,
    decode_cursor,
    encode_cursor,
)
from creditdesk.entrypoints.api.read_models import (
    SchedulePage,
    ScheduleRead,
    TaskRunPage,
    TaskRunRead,
)
from creditdesk.entrypoints.api.schemas import Input
from creditdesk.service_layer import scheduling
from creditdesk.service_layer.auth import Role
from creditdesk.service_layer.errors import AuthenticationError, PermissionDeniedError
from creditdesk.service_layer.tokens import authenticate

router = APIRouter(route_class=ContractRoute)
metrics_router = APIRouter(route_class=ContractRoute)


class Readiness(BaseModel):
    database: Literal["ok", "unavailable"]
    schema_: str | None = Field(alias="schema")
    version: str


class ScheduleIn(Input):
    interval_seconds: StrictInt | None = Field(
        default=None, description="run every this many seconds (periods aligned to UTC)"
    )
    cron: StrictStr | None = Field(
        default=None, max_length=120, description="or a five-field cron expression, in UTC"
    )
    parameters: dict[str, Any] = Field(default_factory=dict)
    enabled: StrictBool = True


@router.get(
    "/ready",
    tags=["health"],
    operation_id="get_readiness",
    response_model=Readiness,
    responses={503: {"model": Readiness, "description": "not ready"}},
)
def ready(request: Request) -> JSONResponse:
    """200 when the database answers and its schema is the one this version expects, else
    503 (e.g. before ``creditdesk db upgrade`` has run). No token, like ``/health``."""
    status = schema_status(request.app.state.runtime, request.app.state.schema_head)
    if status.ready:
        ensure_admin_token(request.app.state.runtime, status)
    body = {
        "database": "ok" if status.database_ok else "unavailable",
        "schema": status.revision,
        "version": __version__,
    }
    return JSONResponse(body, status_code=200 if status.ready else 503)


@router.put(
    "/legal-entities/{le}/schedules/{task}",
    tags=["schedules"],
    operation_id="put_schedule",
    response_model=ScheduleRead,
)
def put_schedule(
    le: str, task: str, body: ScheduleIn, rt: RuntimeDep, actor: PrincipalDep
) -> JSONResponse:
    """Set when a periodic task runs for the legal entity (201 when new)."""
    result, created = scheduling.put_schedule(
        rt,
        actor,
        le,
        task,
        interval_seconds=body.interval_seconds,
        cron=body.cron,
        parameters=body.parameters,
        enabled=body.enabled,
    )
    return JSONResponse(result, status_code=201 if created else 200)


@router.get(
    "/legal-entities/{le}/schedules/{task}",
    tags=["schedules"],
    operation_id="get_schedule",
    response_model=ScheduleRead,
)
def get_schedule(le: str, task: str, rt: RuntimeDep, actor: PrincipalDep) -> dict[str, Any]:
    return scheduling.get_schedule(rt, actor, le, task)


@router.delete(
    "/legal-entities/{le}/schedules/{task}",
    tags=["schedules"],
    operation_id="delete_schedule",
    status_code=204,
)
def delete_schedule(le: str, task: str, rt: RuntimeDep, actor: PrincipalDep) -> Response:
    scheduling.delete_schedule(rt, actor, le, task)
    return Response(status_code=204)


@router.get(
    "/legal-entities/{le}/schedules",
    tags=["schedules"],
    operation_id="list_schedules",
    response_model=SchedulePage,
)
def list_schedules(
    le: str,
    rt: RuntimeDep,
    actor: PrincipalDep,
    limit: LimitQuery = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """The legal entity's schedules, by task."""
    items = sorted(scheduling.list_schedules(rt, actor, le), key=lambda row: str(row["task"]))
    return page_of(items, limit, cursor, lambda row: str(row["task"]))


@router.post(
    "/legal-entities/{le}/schedules/{task}/runs",
    tags=["schedules"],
    operation_id="run_scheduled_task",
    response_model=TaskRunRead,
    status_code=201,
)
def run_task(le: str, task: str, request: Request, actor: PrincipalDep) -> dict[str, Any]:
    """Run the task now, outside its schedule, and answer the recorded run."""
    rt = request.app.state.runtime
    return scheduling.run_now(rt, actor, le, task, host=request.app.state.process_name)


@router.get(
    "/task-runs",
    tags=["schedules"],
    operation_id="list_task_runs",
    response_model=TaskRunPage,
)
def list_task_runs(
    rt: RuntimeDep,
    actor: PrincipalDep,
    task: Annotated[str | None, Query(max_length=40)] = None,
    legal_entity: Annotated[str | None, Query(max_length=20)] = None,
    limit: LimitQuery = 100,
    cursor: Annotated[str | None, Query(max_length=200)] = None,
) -> dict[str, Any]:
    """Recorded runs of periodic tasks, newest first (running ones have no ``finished_at``)."""
    items, more = scheduling.list_runs(
        rt, actor, task=task, legal_entity=legal_entity, after=decode_cursor(cursor), limit=limit
    )
    next_cursor = encode_cursor(items[-1]["id"]) if more else None
    return {"items": items, "next_cursor": next_cursor, "has_more": more}


def _authorize_metrics(request: Request, credentials: HTTPAuthorizationCredentials | None) -> None:
    if credentials is None or credentials.scheme.lower() != "bearer" or not credentials.credentials:
        raise AuthenticationError("send the admin or metrics token as 'Authorization: Bearer'")
    expected: str | None = request.app.state.settings.metrics_token
    if expected and secrets.compare_digest(credentials.credentials.encode(), expected.encode()):
        return
    principal = authenticate(request.app.state.runtime, credentials.credentials)
    if principal.role != Role.ADMIN:
        raise PermissionDeniedError("metrics need the admin token or the metrics token")


@metrics_router.get(
    "/metrics",
    tags=["health"],
    operation_id="get_metrics",
    response_class=Response,
    responses={200: {"content": {"text/plain": {}}, "description": "Prometheus text format"}},
)
def metrics(
    request: Request,
    credentials: Annotated[HTTPAuthorizationCredentials | None, bearer],
) -> Response:
    """Prometheus metrics (text format 0.0.4); the admin token or ``CREDITDESK_METRICS_TOKEN``."""
    _authorize_metrics(request, credentials)
    return Response(
        request.app.state.metrics.exposition(),
        media_type="text/plain; version=0.0.4; charset=utf-8",
    )
