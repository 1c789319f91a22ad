"""Benchmark: the credit check with 20 blocking and exclusion rules per legal entity against
the same check with the core setup's 2 rules (issue 3: within 25 % of each other).

It copies the 1,000,000-document database that ``bench.bench_check`` generates (run that
first, or pass --regenerate there), adds 18 rules per legal entity through the use cases —
every rule type, at Table, Group and All level, blocking and exclusion, chosen so that most
orders still pass — and then times the same real ``run_credit_check`` calls against both
databases, alternating, each run in a fresh process.

    .venv/bin/python -m bench.bench_rules --repeat 2
"""

from __future__ import annotations

import argparse
import shutil
import statistics
from collections.abc import Sequence
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select

from bench.bench_check import (
    DEFAULT_DB_DIR,
    ENTITIES,
    CheckPlan,
    DataSpec,
    SizeResult,
    db_path,
    engine_of,
    load_meta,
    print_table,
    run_checks,
    run_in_child,
    say,
    sqlite_url,
)
from creditdesk.adapters import tables as t
from creditdesk.bootstrap import build_runtime, dispose, upgrade_database
from creditdesk.config import Settings
from creditdesk.service_layer import setup
from creditdesk.service_layer.auth import SYSTEM
from creditdesk.service_layer.setup import RuleInput

EXTRA_RULES = 18


def add_rules(path: Path) -> int:
    """18 more rules per legal entity (20 with the default and the days-overdue rule)."""
    url = sqlite_url(path)
    upgrade_database(url)
    rt = build_runtime(Settings(database_url=url, admin_token=None))
    added = 0
    try:
        with engine_of(rt).connect() as conn:
            accounts = {
                le: list(
                    conn.execute(
                        select(t.customers.c.account)
                        .where(t.customers.c.legal_entity == le)
                        .order_by(t.customers.c.account)
                        .limit(6)
                    ).scalars()
                )
                for le, _, _ in ENTITIES
            }
        for le, _, _ in ENTITIES:
            setup.put_credit_management_group(rt, SYSTEM, le, "KEY", "Key accounts")
            setup.put_credit_management_group(rt, SYSTEM, le, "WATCH", "Watch list")
            setup.put_account_status(rt, SYSTEM, le, "STOP", "Stopped", "all")
            a = accounts[le]
            rules = [
                RuleInput("days_overdue", "exclusion", "table", a[0], value=Decimal(365)),
                RuleInput("days_overdue", "exclusion", "table", a[1], value=Decimal(365)),
                RuleInput("days_overdue", "blocking", "group", "WATCH", value=Decimal(10)),
                RuleInput("days_overdue", "exclusion", "group", "KEY", value=Decimal(120)),
                RuleInput(
                    "days_overdue",
                    "exclusion",
                    "all",
                    value_type="amount",
                    value=Decimal(50),
                    release_sales_order=True,
                ),
                RuleInput("account_status", account_status="STOP"),
                RuleInput("terms_of_payment", terms_of_payment="CASH-IN-ADVANCE"),
                RuleInput("credit_limit_expired", value=Decimal(3650)),
                RuleInput("credit_limit_expired", "exclusion", "table", a[2], value=Decimal(0)),
                RuleInput(
                    "overdue_amount",
                    value_type="percent",
                    value=Decimal(500000),
                    credit_limit_threshold=Decimal(150),
                ),
                RuleInput(
                    "overdue_amount",
                    "blocking",
                    "group",
                    "WATCH",
                    value_type="amount",
                    value=Decimal(1000),
                    credit_limit_threshold=Decimal(5000),
                ),
                RuleInput("sales_order_amount", value=Decimal(5_000_000)),
                RuleInput("sales_order_amount", "blocking", "table", a[3], value=Decimal(10)),
                RuleInput(
                    "sales_order_amount", "exclusion", "group", "KEY", value=Decimal(10_000_000)
                ),
                RuleInput("credit_limit_used", "blocking", "table", a[4], value=Decimal(95)),
                RuleInput("credit_limit_used", "blocking", "group", "WATCH", value=Decimal(80)),
                RuleInput("credit_limit_used", "exclusion", "table", a[5], value=Decimal(120)),
                RuleInput("credit_limit_used", "exclusion", "group", "KEY", value=Decimal(110)),
            ]
            assert len(rules) == EXTRA_RULES
            for rule in rules:
                setup.add_rule(rt, SYSTEM, le, rule)
                added += 1
    finally:
        dispose(rt)
    return added


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--documents", type=int, default=1_000_000)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--groups", type=int, default=1_000)
    parser.add_argument("--seed", type=int, default=20_240_601)
    parser.add_argument("--checks", type=int, default=3_000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--repeat", type=int, default=2)
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR)
    args = parser.parse_args(argv)

    spec = DataSpec(args.documents, args.customers, args.groups, args.seed)
    base = db_path(args.db_dir, spec)
    meta = load_meta(base)
    if meta is None or not meta.matches(spec):
        say(f"no generated database at {base}: run `python -m bench.bench_check` first")
        return 2
    with_rules = base.with_name(base.stem + "_rules20.db")
    say(f"copying {base.name} → {with_rules.name} and adding {EXTRA_RULES} rules per legal entity")
    shutil.copyfile(base, with_rules)
    shutil.copyfile(base.with_suffix(".json"), with_rules.with_suffix(".json"))
    say(f"added {run_in_child(add_rules, with_rules)} rules")

    plans = {
        "2 rules": CheckPlan(
            str(base), meta.as_of, args.groups, args.checks, args.warmup, args.seed, None
        ),
        "20 rules": CheckPlan(
            str(with_rules), meta.as_of, args.groups, args.checks, args.warmup, args.seed, None
        ),
    }
    runs: dict[str, list[SizeResult]] = {name: [] for name in plans}
    for round_no in range(args.repeat):
        for name, plan in plans.items():
            say(f"round {round_no + 1}: {name}")
            runs[name].append(run_in_child(run_checks, plan))
    for name, results in runs.items():
        say(f"\n{name} per legal entity ({args.documents:,} documents):")
        print_table(results)
    base_rate = statistics.median(r.checks_per_s for r in runs["2 rules"])
    rules_rate = statistics.median(r.checks_per_s for r in runs["20 rules"])
    base_cpu = statistics.median(r.cpu_ms_per_check for r in runs["2 rules"])
    rules_cpu = statistics.median(r.cpu_ms_per_check for r in runs["20 rules"])
    ratio = rules_rate / base_rate
    say(
        f"\nmedian checks/s: 2 rules {base_rate:,.1f}, 20 rules {rules_rate:,.1f}; "
        f"ratio {ratio:.3f} (CPU ms per check {base_cpu:.3f} vs {rules_cpu:.3f}, ratio "
        f"{base_cpu / rules_cpu:.3f}) — {'PASS' if ratio >= 0.75 else 'FAIL'} (within 25 %)"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
