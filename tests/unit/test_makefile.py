"""What ``make`` runs, read with ``make -n`` (nothing is executed): the virtualenv is installed
from the lock file, quietly, and ``make run`` shows the server's output, not its recipes."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="make is not installed")


def dry_run(*targets: str) -> list[str]:
    finished = subprocess.run(
        ["make", "-n", "-B", *targets],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    return finished.stdout.splitlines()


def test_make_venv_installs_every_extra_with_the_lock_as_constraints() -> None:
    installs = [line for line in dry_run("venv") if " install " in line and "-e " in line]

    assert len(installs) == 1
    assert "-c requirements.lock" in installs[0]
    assert "'.[dev,postgres,browser]'" in installs[0]


def test_every_pip_run_of_make_is_quiet() -> None:
    """No version nag, and no wall of warnings about the machine's pip configuration."""
    pips = [line for line in dry_run("venv", "lock") if "-m pip " in line]

    assert pips
    for line in pips:
        assert "--disable-pip-version-check -qq" in line, line


def test_make_lock_writes_plain_pins_from_pyproject_with_every_extra() -> None:
    (compile_line,) = [line for line in dry_run("lock") if "pip-compile --" in line]

    for option in ("--no-emit-index-url", "--no-emit-find-links", "--strip-extras"):
        assert option in compile_line
    assert "--extra dev --extra postgres --extra browser" in compile_line
    assert "--output-file requirements.lock" in compile_line
    assert "--upgrade" not in compile_line  # keeps what still fits; lock-upgrade moves pins
    assert "--upgrade" in next(line for line in dry_run("lock-upgrade") if "pip-compile --" in line)


def test_make_run_echoes_no_recipe_lines_between_the_programs_output() -> None:
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\nrun:", 1)[1].split("\n\n", 1)[0].splitlines()[1:]

    assert recipe
    assert all(line.startswith("\t@") for line in recipe), recipe
