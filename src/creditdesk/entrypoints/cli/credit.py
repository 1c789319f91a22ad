"""``creditdesk holds …``, ``rules …``, ``setup …`` and ``events …``: the hold list, the
blocking rules and the credit setup from the command line (as the system administrator)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from typing import Annotated, Any

import typer
from rich.progress import Progress

from creditdesk.bootstrap import build_runtime, deliver_webhooks_once, dispose
from creditdesk.config import load_settings
from creditdesk.domain.money import parse_rate
from creditdesk.entrypoints.cli.actor import cli_actor
from creditdesk.entrypoints.cli.output import AsJson, print_json, table
from creditdesk.service_layer import events, holds, setup
from creditdesk.service_layer.runtime import Runtime
from creditdesk.service_layer.setup import RuleInput

holds_app = typer.Typer(
    help="The hold list: list, release, reject, evaluate, force.", no_args_is_help=True
)
rules_app = typer.Typer(help="Blocking and exclusion rules.", no_args_is_help=True)
setup_app = typer.Typer(
    help="Reasons, account statuses, credit management groups, ranks.", no_args_is_help=True
)
events_app = typer.Typer(help="The event outbox and webhooks.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    from creditdesk.entrypoints.cli.main import handled

    for sub, name in (
        (holds_app, "holds"),
        (rules_app, "rules"),
        (setup_app, "setup"),
        (events_app, "events"),
    ):
        for command in sub.registered_commands:
            assert command.callback is not None
            command.callback = handled(command.callback)
        app.add_typer(sub, name=name)


@contextmanager
def runtime() -> Iterator[Runtime]:
    rt = build_runtime(load_settings())
    try:
        yield rt
    finally:
        dispose(rt)


def _out() -> Any:
    from creditdesk.entrypoints.cli.main import out

    return out


def _day(value: str | None, option: str) -> date | None:
    if value is None:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        from creditdesk.entrypoints.cli.main import fail

        raise fail(f"{option} {value!r} is not a date (YYYY-MM-DD)") from None


def _hold_row(hold: dict[str, Any]) -> list[str]:
    reasons = ", ".join(
        r["code"] + (f" ({r['scope']})" if r.get("scope") else "") + ("" if r["valid"] else " ✗")
        for r in hold["reasons"]
    )
    return [
        hold["id"],
        hold["legal_entity"],
        hold["sales_order"],
        hold["customer"],
        hold["checkpoint"],
        hold["status"],
        reasons,
        hold["created_at"][:10],
    ]


@holds_app.command("list")
def holds_list(
    status: Annotated[str | None, typer.Option(help="on_hold, released, rejected, cancelled")] = (
        "on_hold"
    ),
    legal_entity: Annotated[str | None, typer.Option(help="legal entity")] = None,
    customer: Annotated[str | None, typer.Option(help="customer account")] = None,
    reason: Annotated[str | None, typer.Option(help="reason code")] = None,
    checkpoint: Annotated[str | None, typer.Option(help="checkpoint")] = None,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: AsJson = False,
) -> None:
    """The hold list (open holds by default)."""
    with runtime() as rt:
        items = holds.list_holds(
            rt,
            cli_actor(),
            status=status,
            legal_entity=legal_entity,
            customer=customer,
            reason=reason,
            checkpoint=checkpoint,
            limit=limit,
        )
    if as_json:
        print_json(items)
        return
    rows = table(
        "hold",
        "legal entity",
        "sales order",
        "customer",
        "checkpoint",
        "status",
        "reasons",
        "created",
    )
    for hold in items:
        rows.add_row(*_hold_row(hold))
    _out().print(rows)
    _out().print(f"{len(items)} hold(s)")


@holds_app.command("release")
def holds_release(
    hold_ids: Annotated[list[str], typer.Argument(help="one or more hold ids")],
    reason: Annotated[str | None, typer.Option(help="a release reason")] = None,
    review_date: Annotated[str | None, typer.Option(help="YYYY-MM-DD")] = None,
    with_posting: Annotated[bool, typer.Option("--with-posting/--without-posting")] = False,
) -> None:
    """Release holds (with or without posting)."""
    day = _day(review_date, "--review-date")
    with runtime() as rt:
        for hold_id in hold_ids:
            body = holds.release_hold(
                rt, cli_actor(), hold_id, reason=reason, review_date=day, with_posting=with_posting
            )
            _out().print(f"{body['id']} released ({body['sales_order']})", highlight=False)


@holds_app.command("reject")
def holds_reject(
    hold_ids: Annotated[list[str], typer.Argument(help="one or more hold ids")],
    reason: Annotated[str | None, typer.Option(help="a reason")] = None,
    note: Annotated[str | None, typer.Option(help="a note for the order system")] = None,
) -> None:
    """Reject holds: the orders are marked rejected."""
    with runtime() as rt:
        for hold_id in hold_ids:
            body = holds.reject_hold(rt, cli_actor(), hold_id, reason=reason, note=note)
            _out().print(f"{body['id']} rejected ({body['sales_order']})", highlight=False)


@holds_app.command("evaluate")
def holds_evaluate(
    hold_ids: Annotated[
        list[str] | None, typer.Argument(help="holds (or --legal-entity for all its open holds)")
    ] = None,
    legal_entity: Annotated[
        str | None, typer.Option(help="every open hold of this legal entity")
    ] = None,
    customer: Annotated[str | None, typer.Option(help="only this customer account")] = None,
    as_json: AsJson = False,
) -> None:
    """Evaluate for release: re-run every rule and limit; holds with no blocking reason left
    are released automatically unless forced. Name the holds or a legal entity. Safe to
    re-run."""
    with runtime() as rt:
        if hold_ids:
            if legal_entity is not None or customer is not None:
                raise typer.BadParameter("give hold ids or --legal-entity, not both")
            selected = list(hold_ids)
        else:
            if legal_entity is None:
                raise typer.BadParameter(
                    "name the holds to evaluate, or --legal-entity for all its open holds"
                )
            selected = holds.open_hold_ids(rt, legal_entity, customer)
        results: list[dict[str, Any]] = []
        with Progress(console=_out(), transient=True, disable=as_json) as progress:
            task = progress.add_task("evaluating holds", total=len(selected))
            for hold_id in selected:
                results.extend(holds.evaluate_for_release(rt, cli_actor(), hold_ids=[hold_id]))
                progress.advance(task)
    if as_json:
        print_json(results)
        return
    rows = table("hold", "sales order", "ready to release", "released", "still blocking")
    for item in results:
        reasons = ", ".join(
            r["code"] + (f" ({r['scope']})" if r.get("scope") else "")
            for r in item["still_blocking"]
        )
        if "error" in item:
            reasons = f"error: {item['error']['code']}"
        rows.add_row(
            item["id"],
            item.get("sales_order", ""),
            "yes" if item["ready_to_release"] else "no",
            "yes" if item["released"] else "no",
            reasons,
        )
    _out().print(rows)
    released = sum(1 for item in results if item["released"])
    _out().print(f"{len(results)} evaluated, {released} released")


@holds_app.command("force")
def holds_force(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    reason: Annotated[str, typer.Option(help="a hold reason, e.g. F1")],
    sales_order: Annotated[list[str] | None, typer.Option("--order", help="order id (repeat)")] = (
        None
    ),
    customer: Annotated[list[str] | None, typer.Option(help="customer account (repeat)")] = None,
) -> None:
    """Force credit hold: put the open orders matching the filters on hold (none = all)."""
    with runtime() as rt:
        items = holds.force_holds(
            rt, cli_actor(), legal_entity, reason, customers=customer, sales_orders=sales_order
        )
    for item in items:
        state = "new hold" if item["created"] else "added to hold"
        _out().print(f"{item['sales_order']}: {state} {item['id']}", highlight=False)
    _out().print(f"{len(items)} order(s) on forced hold")


@rules_app.command("list")
def rules_list(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")], as_json: AsJson = False
) -> None:
    """The blocking and exclusion rules of a legal entity."""
    with runtime() as rt:
        items = setup.list_rules(rt, cli_actor(), legal_entity)
    if as_json:
        print_json(items)
        return
    rows = table("id", "rule")
    for rule in items:
        rows.add_row(rule["id"], rule["description"])
    _out().print(rows)


@rules_app.command("add")
def rules_add(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    rule: Annotated[
        str,
        typer.Option(
            help="days_overdue, account_status, terms_of_payment, "
            "credit_limit_expired, overdue_amount, "
            "sales_order_amount or credit_limit_used"
        ),
    ],
    kind: Annotated[str, typer.Option(help="blocking or exclusion")] = "blocking",
    valid_for: Annotated[str, typer.Option(help="table, group or all")] = "all",
    account_or_group: Annotated[str | None, typer.Option(help="customer or CM group")] = None,
    risk_group: Annotated[str | None, typer.Option(help="only customers of this risk group")] = (
        None
    ),
    value_type: Annotated[str | None, typer.Option(help="days, amount or percent")] = None,
    value: Annotated[str | None, typer.Option(help="days, amount or percent")] = None,
    threshold: Annotated[str | None, typer.Option(help="usage threshold (overdue amount)")] = (
        None
    ),
    account_status: Annotated[str | None, typer.Option(help="account status")] = None,
    terms_of_payment: Annotated[str | None, typer.Option(help="terms of payment")] = None,
    release_sales_order: Annotated[bool, typer.Option("--release-sales-order")] = False,
) -> None:
    """Add a blocking or exclusion rule."""
    data = RuleInput(
        rule=rule,
        kind=kind,
        valid_for=valid_for,
        account_or_group=account_or_group,
        risk_group=risk_group,
        value_type=value_type,
        value=parse_rate(value) if value is not None else None,
        credit_limit_threshold=parse_rate(threshold) if threshold is not None else None,
        account_status=account_status,
        terms_of_payment=terms_of_payment,
        release_sales_order=release_sales_order,
    )
    with runtime() as rt:
        body = setup.add_rule(rt, cli_actor(), legal_entity, data)
    _out().print(f"{body['id']}: {body['description']}", highlight=False)


@rules_app.command("remove")
def rules_remove(
    legal_entity: Annotated[str, typer.Argument(help="legal entity")],
    rule_id: Annotated[str, typer.Argument(help="rule id")],
) -> None:
    """Remove a rule."""
    with runtime() as rt:
        setup.delete_rule(rt, cli_actor(), legal_entity, rule_id)
    _out().print(f"removed {rule_id}")


def _print_rows(header: tuple[str, ...], rows: list[dict[str, Any]], as_json: bool) -> None:
    if as_json:
        print_json(rows)
        return
    printed = table(*header)
    for row in rows:
        printed.add_row(*(str(row.get(column, "")) for column in header))
    _out().print(printed)


@setup_app.command("reasons")
def setup_reasons(legal_entity: Annotated[str, typer.Argument()], as_json: AsJson = False) -> None:
    """List the reasons (hold, release, status)."""
    with runtime() as rt:
        items = setup.list_reasons(rt, cli_actor(), legal_entity)
    _print_rows(("id", "type", "description"), items, as_json)


@setup_app.command("reason")
def setup_reason(
    legal_entity: Annotated[str, typer.Argument()],
    reason_id: Annotated[str, typer.Argument()],
    type: Annotated[str, typer.Option(help="hold, release or status")],
    description: Annotated[str, typer.Option()],
) -> None:
    """Create or change a reason."""
    with runtime() as rt:
        setup.put_reason(rt, cli_actor(), legal_entity, reason_id, type, description)
    _out().print(f"reason {reason_id} saved")


@setup_app.command("statuses")
def setup_statuses(legal_entity: Annotated[str, typer.Argument()], as_json: AsJson = False) -> None:
    """List the account statuses."""
    with runtime() as rt:
        items = setup.list_account_statuses(rt, cli_actor(), legal_entity)
    _print_rows(("id", "description", "on_hold"), items, as_json)


@setup_app.command("status")
def setup_status(
    legal_entity: Annotated[str, typer.Argument()],
    status_id: Annotated[str, typer.Argument()],
    description: Annotated[str, typer.Option()],
    on_hold: Annotated[str, typer.Option(help="none, invoicing or all")] = "none",
) -> None:
    """Create or change an account status."""
    with runtime() as rt:
        setup.put_account_status(rt, cli_actor(), legal_entity, status_id, description, on_hold)
    _out().print(f"account status {status_id} saved")


@setup_app.command("cm-groups")
def setup_cm_groups(
    legal_entity: Annotated[str, typer.Argument()], as_json: AsJson = False
) -> None:
    """List the credit management groups."""
    with runtime() as rt:
        items = setup.list_credit_management_groups(rt, cli_actor(), legal_entity)
    _print_rows(("id", "description"), items, as_json)


@setup_app.command("cm-group")
def setup_cm_group(
    legal_entity: Annotated[str, typer.Argument()],
    group_id: Annotated[str, typer.Argument()],
    description: Annotated[str, typer.Option()] = "",
) -> None:
    """Create or change a credit management group."""
    with runtime() as rt:
        setup.put_credit_management_group(rt, cli_actor(), legal_entity, group_id, description)
    _out().print(f"credit management group {group_id} saved")


@setup_app.command("rank")
def setup_rank(
    legal_entity: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Argument(help="payment_terms or settlement_discount")],
    code: Annotated[str, typer.Argument()],
    rank: Annotated[int, typer.Argument(min=0)],
) -> None:
    """Rank a payment-terms or settlement-discount code."""
    with runtime() as rt:
        setup.put_rank(rt, cli_actor(), legal_entity, kind, code, rank)
    _out().print(f"{kind} {code} ranked {rank}")


@setup_app.command("ranks")
def setup_ranks(
    legal_entity: Annotated[str, typer.Argument()],
    kind: Annotated[str, typer.Argument(help="payment_terms or settlement_discount")],
    as_json: AsJson = False,
) -> None:
    """List the ranks of one kind."""
    with runtime() as rt:
        items = setup.list_ranks(rt, cli_actor(), legal_entity, kind)
    _print_rows(("code", "rank"), items, as_json)


@events_app.command("list")
def events_list(
    after: Annotated[int, typer.Option(min=0, help="last event id already seen")] = 0,
    limit: Annotated[int, typer.Option(min=1, max=1000)] = 100,
    as_json: AsJson = False,
) -> None:
    """Events after an id, oldest first."""
    with runtime() as rt:
        items, last = events.list_events(rt, cli_actor(), after_id=after, limit=limit)
    if as_json:
        print_json({"items": items, "next_after": last})
        return
    _print_rows(("id", "type", "legal_entity", "key", "at"), items, False)
    _out().print(f"next: --after {last}")


@events_app.command("deliver")
def events_deliver() -> None:
    """Deliver due webhook events once (the server does this every few seconds)."""
    with runtime() as rt:
        report = deliver_webhooks_once(rt)
    _out().print(f"{report.delivered} delivered, {report.failed_webhooks} webhook(s) failing")
