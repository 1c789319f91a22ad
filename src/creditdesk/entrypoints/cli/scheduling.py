"""``creditdesk schedule``, ``creditdesk runs`` and ``creditdesk scheduler run``: periodic task
schedules per legal entity, their recorded runs, and the scheduler as a process of its own."""

from __future__ import annotations

import json
import logging
import signal
import threading
from types import FrameType
from typing import Annotated, Any

import typer
from rich.table import Table

from creditdesk.bootstrap import (
    Scheduler,
    WebhookDispatcher,
    build_runtime,
    dispose,
    upgrade_database,
)
from creditdesk.config import load_settings
from creditdesk.entrypoints.observability import configure_logging
from creditdesk.service_layer import scheduling
from creditdesk.service_layer.auth import SYSTEM

schedule_app = typer.Typer(help="Periodic task schedules per legal entity.", no_args_is_help=True)
runs_app = typer.Typer(help="Recorded runs of periodic tasks.", no_args_is_help=True)
scheduler_app = typer.Typer(help="The periodic-task scheduler.", no_args_is_help=True)

TASK_HELP = ", ".join(scheduling.TASKS)


def register(app: typer.Typer) -> None:
    from creditdesk.entrypoints.cli.main import handled

    schedule_app.command("set")(handled(schedule_set))
    schedule_app.command("list")(handled(schedule_list))
    schedule_app.command("remove")(handled(schedule_remove))
    runs_app.command("list")(handled(runs_list))
    scheduler_app.command("run")(handled(scheduler_run))
    app.add_typer(schedule_app, name="schedule")
    app.add_typer(runs_app, name="runs")
    app.add_typer(scheduler_app, name="scheduler")


def _parameters(values: list[str] | None) -> dict[str, Any]:
    """``--param reason=R1 --param customers=C1,C2``: lists for the list parameters."""
    from creditdesk.entrypoints.cli.main import fail

    result: dict[str, Any] = {}
    for item in values or []:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise fail(f"--param {item!r} is not NAME=VALUE")
        result[name] = value.split(",") if name in {"customers", "sales_orders"} else value
    return result


def schedule_set(
    legal_entity: Annotated[str, typer.Argument(help="legal entity, e.g. FI01")],
    task: Annotated[str, typer.Argument(help=TASK_HELP)],
    every: Annotated[
        int | None, typer.Option("--every", help="run every this many seconds")
    ] = None,
    cron: Annotated[
        str | None, typer.Option(help="or a cron expression in UTC, e.g. '0 2 * * *'")
    ] = None,
    param: Annotated[
        list[str] | None, typer.Option("--param", help="task parameter NAME=VALUE (repeatable)")
    ] = None,
    disabled: Annotated[bool, typer.Option("--disabled", help="keep it but do not run")] = False,
) -> None:
    """Set when a periodic task runs for a legal entity."""
    from creditdesk.entrypoints.cli.main import out

    rt = build_runtime(load_settings())
    try:
        body, created = scheduling.put_schedule(
            rt,
            SYSTEM,
            legal_entity,
            task,
            interval_seconds=every,
            cron=cron,
            parameters=_parameters(param),
            enabled=not disabled,
        )
    finally:
        dispose(rt)
    when = f"every {body['interval_seconds']} s" if body["cron"] is None else body["cron"]
    state = "" if body["enabled"] else " (disabled)"
    verb = "set" if created else "changed"
    out.print(f"{verb}: {body['task']} for {body['legal_entity']}, {when}{state}", highlight=False)


def schedule_list(
    legal_entity: Annotated[str | None, typer.Argument(help="legal entity (default: all)")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the schedules."""
    from creditdesk.entrypoints.cli.main import out

    rt = build_runtime(load_settings())
    try:
        items = scheduling.list_schedules(rt, SYSTEM, legal_entity)
    finally:
        dispose(rt)
    if as_json:
        print(json.dumps({"items": items}, indent=2))
        return
    table = Table("legal entity", "task", "when", "parameters", "enabled")
    for item in items:
        when = f"every {item['interval_seconds']} s" if item["cron"] is None else item["cron"]
        table.add_row(
            item["legal_entity"],
            item["task"],
            when,
            json.dumps(item["parameters"]) if item["parameters"] else "",
            "yes" if item["enabled"] else "no",
        )
    out.print(table)


def schedule_remove(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    task: Annotated[str, typer.Argument(help=TASK_HELP)],
) -> None:
    """Remove a schedule (its recorded runs stay)."""
    from creditdesk.entrypoints.cli.main import out

    rt = build_runtime(load_settings())
    try:
        scheduling.delete_schedule(rt, SYSTEM, legal_entity, task)
    finally:
        dispose(rt)
    out.print(f"removed: {task} for {legal_entity}", highlight=False)


def runs_list(
    task: Annotated[str | None, typer.Option(help=TASK_HELP)] = None,
    legal_entity: Annotated[str | None, typer.Option(help="legal entity")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000, help="how many, newest first")] = 20,
    as_json: Annotated[bool, typer.Option("--json", help="print JSON")] = False,
) -> None:
    """List the recorded runs of periodic tasks, newest first."""
    from creditdesk.entrypoints.cli.main import out

    rt = build_runtime(load_settings())
    try:
        items, more = scheduling.list_runs(
            rt, SYSTEM, task=task, legal_entity=legal_entity, limit=limit
        )
    finally:
        dispose(rt)
    if as_json:
        print(json.dumps({"items": items, "has_more": more}, indent=2))
        return
    table = Table()  # the whole runs (finished, period, host) are in --json
    table.add_column("started", no_wrap=True)
    table.add_column("legal entity", no_wrap=True)
    table.add_column("task", no_wrap=True)
    table.add_column("outcome", no_wrap=True)
    table.add_column("figures or error", overflow="fold")
    for item in items:
        table.add_row(
            item["started_at"][:19].replace("T", " "),
            item["legal_entity"],
            item["task"],
            item["outcome"],
            (item["error"] or json.dumps(item["figures"] or {}))[:200],
        )
    out.print(table)


def scheduler_run(
    migrate: Annotated[
        bool, typer.Option("--migrate/--no-migrate", help="migrate the database first")
    ] = True,
    webhooks: Annotated[
        bool, typer.Option("--webhooks/--no-webhooks", help="also deliver webhooks")
    ] = True,
) -> None:
    """Run the periodic-task scheduler (and webhook delivery) in the foreground until stopped
    (SIGTERM or Ctrl-C). Any number may run beside the servers: each period runs once."""
    settings = load_settings()
    configure_logging(settings)
    if migrate:
        upgrade_database(settings.database_url)
    rt = build_runtime(settings)
    stop = threading.Event()

    def on_signal(_signum: int, _frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    scheduler = Scheduler(rt, settings.scheduler_tick_seconds, settings.task_timeout_seconds)
    dispatcher = (
        WebhookDispatcher(
            rt, settings.webhook_interval_seconds, lease_seconds=settings.webhook_lease_seconds
        )
        if webhooks
        else None
    )
    scheduler.start()
    if dispatcher is not None:
        dispatcher.start()
    logging.getLogger("creditdesk").info("scheduler running as %s", scheduler.host)
    try:
        while not stop.wait(1.0):
            pass
    finally:
        if dispatcher is not None:
            dispatcher.stop()
        scheduler.stop()
        dispose(rt)
