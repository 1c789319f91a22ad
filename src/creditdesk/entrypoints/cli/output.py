"""What the command line prints, for people and for scripts.

Scripts read ``--json`` (one JSON document on stdout, the shape the HTTP API answers) or the
tables piped to them. A table never shortens a cell with "…": an id cut short is useless to a
script and to the clerk who copies it. Piped (not a terminal), lines are as long as they need
to be; in a narrow terminal a long id folds onto the next line, whole.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Column, Table

# wide enough for any row we print; only used when stdout is not a terminal
PIPED_WIDTH = 10_000


def _is_terminal() -> bool:
    isatty = getattr(sys.stdout, "isatty", None)
    return bool(isatty and isatty())


def stdout_console() -> Console:
    """The console for results: the terminal's width, or unlimited when piped."""
    return Console(width=None if _is_terminal() else PIPED_WIDTH)


def stderr_console() -> Console:
    """The console for errors and progress: one message, one line, never wrapped at 80."""
    return Console(stderr=True, soft_wrap=True)


def table(*headers: str, title: str | None = None) -> Table:
    """A Rich table whose cells fold instead of being cut short with an ellipsis."""
    return Table(*(Column(header, overflow="fold") for header in headers), title=title)


def print_json(data: Any) -> None:
    """``data`` as JSON on stdout, untouched by Rich (no wrapping, no colours). ASCII with
    escapes: a Windows pipe in a legacy code page cannot mangle "Å" or "€"."""
    typer.echo(json.dumps(data, indent=2, default=str))


AsJson = Annotated[
    bool, typer.Option("--json", help="print the result as JSON (as the API answers it)")
]
