"""The schedules page: when each periodic task runs for a legal entity, and its last runs.
Setting and removing a schedule call the same use cases as the API and the CLI."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Depends, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from creditdesk.domain.errors import CreditDeskError
from creditdesk.entrypoints.web.context import Ctx, signed_in
from creditdesk.entrypoints.web.i18n import N_
from creditdesk.entrypoints.web.pages import (
    POST,
    _error_message,
    _page,
    _visible_entities,
    first_legal_entity_page,
)
from creditdesk.service_layer import scheduling

router = APIRouter(include_in_schema=False)
RUNS_SHOWN = 20

TASK_LABELS = {
    "aging_snapshot": N_("Aging snapshot"),
    "evaluate_for_release": N_("Evaluate holds for release"),
    "force_credit_hold": N_("Force credit hold"),
    "update_risk_scores": N_("Update risk scores"),
    "calculate_balance_statistics": N_("Calculate balance statistics"),
    "delete_balance_statistics": N_("Delete old balance statistics"),
    "expiring_limit_review": N_("Review expiring credit limits"),
}
FIGURE_LABELS = {
    "evaluated": N_("evaluated"),
    "released": N_("released"),
    "errors": N_("errors"),
    "orders": N_("orders"),
    "created": N_("new holds"),
    "updated": N_("customers scored"),
    "calculated": N_("customers calculated"),
    "deleted": N_("deleted"),
    "customers": N_("customer limits"),
    "credit_groups": N_("credit group limits"),
    "temporary_limits": N_("temporary limits"),
    "expired": N_("expired"),
}
OUTCOME_LABELS = {
    "running": N_("Running"),
    "succeeded": N_("Succeeded"),
    "failed": N_("Failed"),
}


@router.get("/schedules", response_class=HTMLResponse)
def schedules_index(ctx: Ctx = Depends(signed_in)) -> Response:
    return first_legal_entity_page(ctx, "/schedules")


@router.get("/schedules/{legal_entity}", response_class=HTMLResponse)
def schedules_page(legal_entity: str, ctx: Ctx = Depends(signed_in)) -> Response:
    def build() -> HTMLResponse:
        actor = ctx.principal
        schedules = scheduling.list_schedules(ctx.rt, actor, legal_entity)
        runs, _ = scheduling.list_runs(ctx.rt, actor, legal_entity=legal_entity, limit=RUNS_SHOWN)
        last: dict[str, dict[str, Any]] = {}
        for run in runs:
            last.setdefault(run["task"], run)
        return ctx.render(
            "schedules.html",
            entity_id=legal_entity,
            entities=_visible_entities(ctx),
            schedules=schedules,
            runs=runs,
            last=last,
            tasks=list(scheduling.TASKS),
            task_labels=TASK_LABELS,
            outcome_labels=OUTCOME_LABELS,
            figure_labels=FIGURE_LABELS,
        )

    return _page(ctx, build)


def _whole_number(text: str) -> int | None:
    text = text.strip()
    return int(text) if text.isdigit() else None


@router.post("/schedules/{legal_entity}", dependencies=POST)
def set_schedule(
    legal_entity: str,
    ctx: Ctx = Depends(signed_in),
    task: str = Form(...),
    every: str = Form(""),
    cron: str = Form(""),
    reason: str = Form(""),
    enabled: str = Form(""),
) -> RedirectResponse:
    every_seconds = _whole_number(every)
    try:
        if every.strip() and every_seconds is None:
            raise scheduling.InvalidScheduleError("the interval is not a whole number")
        scheduling.put_schedule(
            ctx.rt,
            ctx.principal,
            legal_entity,
            task,
            interval_seconds=every_seconds,
            cron=cron.strip() or None,
            parameters={"reason": reason.strip()} if reason.strip() else {},
            enabled=enabled == "on",
        )
    except CreditDeskError as error:
        ctx.flash("error", _error_message(ctx.t, error))
    else:
        ctx.flash("ok", ctx.t.gettext("The schedule is saved."))
    return RedirectResponse(f"/schedules/{legal_entity}", status_code=303)


@router.post("/schedules/{legal_entity}/{task}/delete", dependencies=POST)
def remove_schedule(
    legal_entity: str, task: str, ctx: Ctx = Depends(signed_in)
) -> RedirectResponse:
    try:
        scheduling.delete_schedule(ctx.rt, ctx.principal, legal_entity, task)
    except CreditDeskError as error:
        ctx.flash("error", _error_message(ctx.t, error))
    else:
        ctx.flash("ok", ctx.t.gettext("The schedule is removed."))
    return RedirectResponse(f"/schedules/{legal_entity}", status_code=303)
