"""Side by side with the peer: Tryton 8.2's credit-limit check and creditdesk's, on the same
number of customers and documents, in one run, with the ratio.

The peer (``../shared/peers/tryton_bench.py``) runs in its own virtual environment, never in
ours (it is not one of creditdesk's dependencies). ``make bench-peer`` creates it on first use
(``PEER_VENV``, default ``/tmp/peers/tryton-venv``) exactly as the peer's docstring says:

    python3 -m venv /tmp/peers/tryton-venv
    /tmp/peers/tryton-venv/bin/pip install "trytond==8.2.*" \\
        "trytond-account-credit-limit==8.2.*" "trytond-sale-credit-limit==8.2.*" \\
        "trytond-account-invoice==8.2.*" "trytond-sale==8.2.*"

and point ``--peer-python`` (or ``PEER_PYTHON``) at it. Shape: ``--parties`` customers,
``--invoices`` invoices of which ``--paid-fraction`` are paid (one payment each), two open
sales orders per customer on the peer's side. creditdesk gets the same customers and the
same number of documents (invoices + payments + open orders) through ``bench.bench_check``.
The peer's mode "party" is ``Party.check_credit_limit`` as ``Sale.confirm`` calls it; our
figure is the full credit check use case (decision stored).

Both figures are wall-clock throughput of one single-threaded process on a shared machine, so
other load lowers both; the load average before each side and our CPU-time throughput are
printed beside them to tell a loaded machine from a slow check.

    .venv/bin/python -m bench.bench_peer --parties 1000 --invoices 100000
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

from bench.bench_check import DEFAULT_DB_DIR, say

ROOT = Path(__file__).resolve().parent.parent
PEER_SCRIPT = ROOT.parent / "shared" / "peers" / "tryton_bench.py"
DEFAULT_PEER_PYTHON = "/tmp/peers/tryton-venv/bin/python"


def run_peer(args: argparse.Namespace, out: Path) -> dict[str, float]:
    out.unlink(missing_ok=True)
    command = [
        args.peer_python,
        str(args.peer_script),
        "--db-dir",
        str(args.peer_db_dir),
        "--parties",
        str(args.parties),
        "--history",
        str(args.invoices),
        "--paid-fraction",
        str(args.paid_fraction),
        "--open-sales-per-party",
        "2",
        "--modes",
        "party",
        "--checks",
        str(args.peer_checks),
        "--json",
        str(out),
        "--tag",
        "creditdesk-side-by-side",
    ]
    say("peer: " + " ".join(command))
    subprocess.run(command, check=True, cwd=args.peer_script.parent)
    record = json.loads(out.read_text())[-1]["results"][0]
    return {
        "checks_per_s": float(record["checks_per_s"]),
        "median_ms": float(record["p50_ms"]),
        "p99_ms": float(record["p99_ms"]),
        "documents": float(
            record["history_invoices"]
            + round(record["history_invoices"] * record["paid_fraction"])
            + record["open_sales"]
        ),
    }


def run_ours(args: argparse.Namespace, documents: int, out: Path) -> dict[str, float]:
    groups = max(1, args.parties // 30)
    command = [
        sys.executable,
        "-m",
        "bench.bench_check",
        "--sizes",
        str(documents),
        "--customers",
        str(args.parties),
        "--groups",
        str(groups),
        "--checks",
        str(args.checks),
        "--json",
        str(out),
    ]
    say("creditdesk: " + " ".join(command[1:]))
    subprocess.run(command, check=True, cwd=ROOT)
    size = json.loads(out.read_text())["sizes"][0]
    return {
        "checks_per_s": float(size["checks_per_s"]),
        "median_ms": float(size["median_ms"]),
        "p99_ms": float(size["p99_ms"]),
        "cpu_checks_per_s": float(size["cpu_checks_per_s"]),
        "documents": float(size["documents"]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.bench_peer")
    parser.add_argument("--parties", type=int, default=1_000, help="customers on both sides")
    parser.add_argument("--invoices", type=int, default=100_000)
    parser.add_argument("--paid-fraction", type=float, default=0.7)
    parser.add_argument("--checks", type=int, default=3_000, help="creditdesk checks")
    parser.add_argument("--peer-checks", type=int, default=300)
    parser.add_argument("--peer-python", default=os.environ.get("PEER_PYTHON", DEFAULT_PEER_PYTHON))
    parser.add_argument("--peer-script", type=Path, default=PEER_SCRIPT)
    parser.add_argument("--peer-db-dir", type=Path, default=Path("/tmp/peers/db"))
    parser.add_argument("--db-dir", type=Path, default=DEFAULT_DB_DIR)
    args = parser.parse_args(argv)
    if not Path(args.peer_python).exists():
        say(
            f"no peer interpreter at {args.peer_python}: `make bench-peer` installs it, or "
            "install it as this module's docstring says"
        )
        return 2
    out = args.db_dir.resolve()
    out.mkdir(parents=True, exist_ok=True)
    load_peer = os.getloadavg()[0]
    peer = run_peer(args, out / "peer_tryton.json")
    documents = int(peer["documents"])
    load_ours = os.getloadavg()[0]
    ours = run_ours(args, documents, out / "peer_creditdesk.json")
    say("")
    columns = ("customers", "documents", "checks/s", "median ms", "p99 ms", "load avg")
    say(f"{'':<12} " + " ".join(f"{c:>10}" for c in columns))
    for name, r, load in (("Tryton 8.2", peer, load_peer), ("creditdesk", ours, load_ours)):
        say(
            f"{name:<12} {args.parties:>10,} {int(r['documents']):>10,} "
            f"{r['checks_per_s']:>10,.1f} {r['median_ms']:>10.3f} {r['p99_ms']:>10.3f} "
            f"{load:>10.1f}"
        )
    ratio = ours["checks_per_s"] / peer["checks_per_s"]
    say(f"ratio creditdesk / Tryton (checks/s, same run): {ratio:,.1f}×")
    say(
        f"creditdesk CPU time: {1000 / ours['cpu_checks_per_s']:.3f} ms per check "
        f"({ours['cpu_checks_per_s']:,.0f} checks/s on a dedicated core); "
        f"{os.cpu_count()} CPUs, load average {load_peer:.1f} before the peer, "
        f"{load_ours:.1f} before creditdesk"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
