"""Periodic tasks: a schedule per legal entity and task, run exactly once per period however
many processes run the scheduler, every run recorded with its figures.

Exactly once comes from the database, not from a leader: before it runs a task a process
inserts the run's row keyed by (task, legal entity, period); the unique key lets one insert
in and the others skip the period. A run row that never got a finish (its process died) is
marked failed once it is older than the task timeout, so it cannot stay "running" forever.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from croniter import croniter

from creditdesk.domain.errors import CreditDeskError, DomainError
from creditdesk.service_layer import aging_report, holds, scoring, statistics, worklists
from creditdesk.service_layer.auth import SYSTEM, Permission, Principal, authorize
from creditdesk.service_layer.errors import NotFoundError
from creditdesk.service_layer.ports import Schedule, TaskRun, run_with_retries
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import require_entity

MAX_INTERVAL_SECONDS = 366 * 24 * 3600
RUNNING = "running"
SUCCEEDED = "succeeded"
FAILED = "failed"


class TaskNotFoundError(NotFoundError):
    code = "task_not_found"


class ScheduleNotFoundError(NotFoundError):
    code = "schedule_not_found"


class InvalidScheduleError(DomainError):
    code = "invalid_schedule"


def _strings(parameters: dict[str, Any], name: str) -> list[str] | None:
    value = parameters.get(name)
    if value is None:
        return None
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise InvalidScheduleError(
            f"parameter {name} must be a list of non-empty strings", parameter=name
        )
    return list(value)


def _no_parameters(parameters: dict[str, Any]) -> None:
    if parameters:
        raise InvalidScheduleError(
            "this task takes no parameters", parameters=sorted(parameters)[:10]
        )


def _force_parameters(parameters: dict[str, Any]) -> None:
    unknown = set(parameters) - {"reason", "customers", "sales_orders"}
    if unknown:
        raise InvalidScheduleError(
            f"unknown parameters: {', '.join(sorted(unknown)[:10])}", parameters=sorted(unknown)
        )
    reason = parameters.get("reason")
    if not isinstance(reason, str) or not reason:
        raise InvalidScheduleError(
            "force_credit_hold needs the parameter reason (a hold reason id)", parameter="reason"
        )
    _strings(parameters, "customers")
    _strings(parameters, "sales_orders")


def _review_parameters(parameters: dict[str, Any]) -> None:
    unknown = set(parameters) - {"within_days"}
    if unknown:
        raise InvalidScheduleError(
            f"unknown parameters: {', '.join(sorted(unknown)[:10])}", parameters=sorted(unknown)
        )
    days = parameters.get("within_days", 30)
    if type(days) is not int or not 0 <= days <= worklists.MAX_WITHIN_DAYS:
        raise InvalidScheduleError(
            f"within_days must be a whole number of days from 0 to {worklists.MAX_WITHIN_DAYS}",
            parameter="within_days",
        )


def _expiring_review(
    rt: Runtime, legal_entity: str, params: dict[str, Any], day: date
) -> dict[str, Any]:
    within = int(params.get("within_days", 30))
    items = worklists.expiring_limits(
        rt, SYSTEM, within_days=within, legal_entity=legal_entity, today=day
    )
    kinds = [item["kind"] for item in items]
    return {
        "within_days": within,
        "customers": kinds.count("customer"),
        "credit_groups": kinds.count("credit_group"),
        "temporary_limits": kinds.count("temporary_limit"),
        "expired": sum(1 for item in items if item["days_left"] < 0),
        "limits": [
            {k: item[k] for k in ("kind", "account", "credit_group", "expires_on", "days_left")}
            for item in items[:100]
        ],
    }


def _aging_snapshot(rt: Runtime, legal_entity: str, _: dict[str, Any], day: date) -> dict[str, Any]:
    body = aging_report.legal_entity_aging(rt, SYSTEM, legal_entity, day, customers=False)
    return {"as_of": body["as_of"], "totals": body["totals"]}


def _evaluate(rt: Runtime, legal_entity: str, _: dict[str, Any], __: date) -> dict[str, Any]:
    items = holds.evaluate_for_release(rt, SYSTEM, legal_entity=legal_entity)
    return {
        "evaluated": len(items),
        "released": sum(1 for item in items if item.get("released")),
        "errors": sum(1 for item in items if item.get("error")),
    }


def _force(rt: Runtime, legal_entity: str, params: dict[str, Any], _: date) -> dict[str, Any]:
    items = holds.force_holds(
        rt,
        SYSTEM,
        legal_entity,
        str(params["reason"]),
        customers=_strings(params, "customers"),
        sales_orders=_strings(params, "sales_orders"),
    )
    return {"orders": len(items), "created": sum(1 for item in items if item["created"])}


def _scores(rt: Runtime, legal_entity: str, _: dict[str, Any], day: date) -> dict[str, Any]:
    return scoring.update_risk_scores(rt, SYSTEM, legal_entity, as_of=day)


def _statistics(rt: Runtime, legal_entity: str, _: dict[str, Any], day: date) -> dict[str, Any]:
    return statistics.calculate_balance_statistics(rt, SYSTEM, legal_entity, as_of=day)


def _delete_statistics(
    rt: Runtime, legal_entity: str, _: dict[str, Any], __: date
) -> dict[str, Any]:
    return statistics.delete_outdated_statistics(rt, SYSTEM, legal_entity, None)


@dataclass(frozen=True, slots=True)
class Task:
    name: str
    description: str
    run: Callable[[Runtime, str, dict[str, Any], date], dict[str, Any]]
    check_parameters: Callable[[dict[str, Any]], None] = _no_parameters


TASKS: dict[str, Task] = {
    task.name: task
    for task in (
        Task(
            "aging_snapshot",
            "aged open balances per currency, kept as the run's figures",
            _aging_snapshot,
        ),
        Task(
            "evaluate_for_release",
            "evaluate the legal entity's open holds and release those whose reasons have cleared",
            _evaluate,
        ),
        Task(
            "force_credit_hold",
            "put every open order matching the parameters on hold "
            "(parameters: reason, optional customers, sales_orders)",
            _force,
            _force_parameters,
        ),
        Task("update_risk_scores", "score every customer and set its risk group", _scores),
        Task(
            "calculate_balance_statistics", "the balance statistics of every customer", _statistics
        ),
        Task(
            "expiring_limit_review",
            "list the limits and temporary limits expiring within N days, or expired, for review "
            "(parameter: within_days, default 30)",
            _expiring_review,
            _review_parameters,
        ),
        Task(
            "delete_balance_statistics",
            "delete statistics older than a year (keeping the parameter's months of history)",
            _delete_statistics,
        ),
    )
}


def require_task(name: str) -> Task:
    task = TASKS.get(name)
    if task is None:
        raise TaskNotFoundError(
            f"there is no periodic task {name[:60]!r}; tasks: {', '.join(TASKS)}", task=name[:60]
        )
    return task


def period_start(schedule: Schedule, now: datetime) -> datetime:
    """The start of the period ``now`` falls in: interval periods are aligned to the Unix
    epoch (a day is a UTC day), cron periods start at the expression's last firing."""
    if schedule.interval_seconds is not None:
        seconds = int(now.timestamp()) // schedule.interval_seconds * schedule.interval_seconds
        return datetime.fromtimestamp(seconds, UTC)
    assert schedule.cron is not None
    previous: datetime = croniter(schedule.cron, now.astimezone(UTC)).get_prev(datetime)
    if croniter.match(schedule.cron, now.astimezone(UTC).replace(second=0, microsecond=0)):
        previous = now.astimezone(UTC).replace(second=0, microsecond=0)
    return previous.astimezone(UTC)


def period_key(start: datetime) -> str:
    return start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def schedule_body(schedule: Schedule) -> dict[str, Any]:
    return {
        "legal_entity": schedule.legal_entity,
        "task": schedule.task,
        "interval_seconds": schedule.interval_seconds,
        "cron": schedule.cron,
        "parameters": schedule.parameters,
        "enabled": schedule.enabled,
        "updated_at": schedule.updated_at.isoformat().replace("+00:00", "Z"),
    }


def _stamp(at: datetime | None) -> str | None:
    return at.isoformat().replace("+00:00", "Z") if at is not None else None


def run_body(run: TaskRun) -> dict[str, Any]:
    return {
        "id": run.id,
        "task": run.task,
        "legal_entity": run.legal_entity,
        "period": run.period,
        "started_at": _stamp(run.started_at),
        "finished_at": _stamp(run.finished_at),
        "outcome": run.outcome,
        "figures": run.figures,
        "error": run.error,
        "host": run.host,
    }


def _check_timing(interval_seconds: int | None, cron: str | None) -> None:
    if (interval_seconds is None) == (cron is None):
        raise InvalidScheduleError("give exactly one of interval_seconds and cron")
    if interval_seconds is not None and not 1 <= interval_seconds <= MAX_INTERVAL_SECONDS:
        raise InvalidScheduleError(
            f"interval_seconds must be between 1 and {MAX_INTERVAL_SECONDS}",
            interval_seconds=interval_seconds,
        )
    if cron is not None and (len(cron.split()) != 5 or not croniter.is_valid(cron)):
        raise InvalidScheduleError(
            f"{cron[:120]!r} is not a cron expression of five fields "
            "(minute hour day-of-month month day-of-week)",
            cron=cron[:120],
        )


def put_schedule(
    rt: Runtime,
    actor: Principal,
    legal_entity: str,
    task_name: str,
    *,
    interval_seconds: int | None = None,
    cron: str | None = None,
    parameters: dict[str, Any] | None = None,
    enabled: bool = True,
) -> tuple[dict[str, Any], bool]:
    """Set when a task runs for a legal entity; the answer says whether it was new. A period
    that began before the schedule was set is not run: the first run is the next period's."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    task = require_task(task_name)
    _check_timing(interval_seconds, cron)
    params = dict(parameters or {})
    task.check_parameters(params)

    def work() -> tuple[dict[str, Any], bool]:
        with rt.uow() as uow:
            require_entity(uow, legal_entity)
            before = uow.schedules.get(legal_entity, task.name)
            schedule = Schedule(
                legal_entity, task.name, interval_seconds, cron, params, enabled, rt.clock.now()
            )
            uow.schedules.put(schedule)
            uow.audit.add(
                schedule.updated_at,
                actor.name,
                "put_schedule",
                "schedule",
                f"{legal_entity}/{task.name}",
                schedule_body(before) if before is not None else None,
                schedule_body(schedule),
            )
            uow.commit()
            return schedule_body(schedule), before is None

    return run_with_retries(work)


def get_schedule(rt: Runtime, actor: Principal, legal_entity: str, task: str) -> dict[str, Any]:
    authorize(actor, Permission.READ, legal_entity)
    require_task(task)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        schedule = uow.schedules.get(legal_entity, task)
    if schedule is None:
        raise ScheduleNotFoundError(
            f"{task} has no schedule in {legal_entity}", legal_entity=legal_entity, task=task
        )
    return schedule_body(schedule)


def delete_schedule(rt: Runtime, actor: Principal, legal_entity: str, task: str) -> None:
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    require_task(task)

    def work() -> None:
        with rt.uow() as uow:
            before = uow.schedules.get(legal_entity, task)
            if before is None or not uow.schedules.delete(legal_entity, task):
                raise ScheduleNotFoundError(
                    f"{task} has no schedule in {legal_entity}",
                    legal_entity=legal_entity,
                    task=task,
                )
            uow.audit.add(
                rt.clock.now(),
                actor.name,
                "delete_schedule",
                "schedule",
                f"{legal_entity}/{task}",
                schedule_body(before),
                None,
            )
            uow.commit()

    run_with_retries(work)


def list_schedules(
    rt: Runtime, actor: Principal, legal_entity: str | None = None
) -> list[dict[str, Any]]:
    """The schedules the caller may see (of one legal entity when named)."""
    authorize(actor, Permission.READ, legal_entity)
    scope: tuple[str, ...] | None
    if legal_entity is not None:
        scope = (legal_entity,)
    elif actor.legal_entities is not None:
        scope = tuple(sorted(actor.legal_entities))
    else:
        scope = None
    with rt.uow(read_only=True) as uow:
        if legal_entity is not None:
            require_entity(uow, legal_entity)
        return [schedule_body(s) for s in uow.schedules.all(scope)]


def list_runs(
    rt: Runtime,
    actor: Principal,
    *,
    task: str | None = None,
    legal_entity: str | None = None,
    after: str | None = None,
    limit: int = 100,
) -> tuple[list[dict[str, Any]], bool]:
    """Recorded runs, newest first, and whether more follow."""
    authorize(actor, Permission.READ, legal_entity)
    if task is not None:
        require_task(task)
    scope = tuple(sorted(actor.legal_entities)) if actor.legal_entities is not None else None
    with rt.uow(read_only=True) as uow:
        runs = uow.schedules.runs(scope, task, legal_entity, after, limit + 1)
    return [run_body(run) for run in runs[:limit]], len(runs) > limit


@dataclass(frozen=True, slots=True)
class RoundReport:
    """What one scheduler round did: the runs it started here, and stale runs it closed."""

    ran: list[dict[str, Any]]
    abandoned: int


def _claim(rt: Runtime, task: str, legal_entity: str, period: str, host: str) -> TaskRun | None:
    """Insert the period's run row; None when another process inserted it first."""
    run = TaskRun(
        id=rt.new_id("run"),
        task=task,
        legal_entity=legal_entity,
        period=period,
        started_at=rt.clock.now(),
        finished_at=None,
        outcome=RUNNING,
        figures=None,
        error=None,
        host=host[:200],
    )

    def work() -> bool:
        with rt.uow() as uow:
            claimed = uow.schedules.claim(run)
            uow.commit()
            return claimed

    return run if run_with_retries(work) else None


def _finish(
    rt: Runtime, run: TaskRun, outcome: str, figures: dict[str, Any] | None, error: str | None
) -> TaskRun:
    finished = rt.clock.now()

    def work() -> None:
        with rt.uow() as uow:
            uow.schedules.finish(run.id, finished, outcome, figures, error)
            uow.commit()

    run_with_retries(work)
    return TaskRun(
        run.id,
        run.task,
        run.legal_entity,
        run.period,
        run.started_at,
        finished,
        outcome,
        figures,
        error,
        run.host,
    )


def execute(rt: Runtime, run: TaskRun, parameters: dict[str, Any]) -> TaskRun:
    """Run a claimed task and record how it ended. A creditdesk error is the run's outcome
    (failed, with its code); anything else is a bug, recorded and raised."""
    task = require_task(run.task)
    try:
        figures = task.run(rt, run.legal_entity, parameters, rt.clock.today())
    except CreditDeskError as error:
        return _finish(rt, run, FAILED, None, f"{error.code}: {error}"[:2000])
    except Exception as error:
        _finish(rt, run, FAILED, None, f"{type(error).__name__}: {error}"[:2000])
        raise
    return _finish(rt, run, SUCCEEDED, figures, None)


def run_due(rt: Runtime, host: str, *, timeout_seconds: float = 3600.0) -> RoundReport:
    """One scheduler round: close runs that outlived the timeout, then run every enabled
    schedule whose current period no process has claimed yet."""
    now = rt.clock.now()

    def abandon() -> int:
        with rt.uow() as uow:
            count = uow.schedules.abandon_stale(now - timedelta(seconds=timeout_seconds), now)
            uow.commit()
            return count

    abandoned = run_with_retries(abandon)
    with rt.uow(read_only=True) as uow:
        schedules = [s for s in uow.schedules.all(None) if s.enabled and s.task in TASKS]
    ran: list[dict[str, Any]] = []
    for schedule in schedules:
        start = period_start(schedule, now)
        if start < schedule.updated_at.replace(microsecond=0):
            continue  # the period began before the schedule was set: wait for the next
        run = _claim(rt, schedule.task, schedule.legal_entity, period_key(start), host)
        if run is not None:
            ran.append(run_body(execute(rt, run, schedule.parameters)))
    return RoundReport(ran, abandoned)


def run_now(
    rt: Runtime, actor: Principal, legal_entity: str, task_name: str, host: str
) -> dict[str, Any]:
    """Run a task at once outside its schedule (recorded like a scheduled run, with a period
    of its own so it never takes a scheduled period's place)."""
    authorize(actor, Permission.MANAGE_SETUP, legal_entity)
    task = require_task(task_name)
    with rt.uow(read_only=True) as uow:
        require_entity(uow, legal_entity)
        schedule = uow.schedules.get(legal_entity, task.name)
    parameters = schedule.parameters if schedule is not None else {}
    task.check_parameters(parameters)
    run = _claim(rt, task.name, legal_entity, f"manual:{rt.new_id('m')[2:]}", host)
    assert run is not None  # a fresh period key is never taken
    return run_body(execute(rt, run, parameters))
