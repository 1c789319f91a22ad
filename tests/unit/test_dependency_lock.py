"""requirements.lock pins every dependency ``make venv`` installs. When pyproject.toml gains a
dependency, an extra or a narrower range and nobody ran ``make lock``, these tests fail and say
what is missing, instead of the next fresh install quietly resolving something untested."""

from __future__ import annotations

import re
import tomllib
from importlib import metadata
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parents[2]
LOCK = ROOT / "requirements.lock"
EXTRAS_INSTALLED = ("dev", "postgres", "browser")  # as the Makefile's EXTRAS
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;#]+)")


def project() -> dict[str, object]:
    with (ROOT / "pyproject.toml").open("rb") as handle:
        return tomllib.load(handle)["project"]  # type: ignore[no-any-return]


def pins() -> dict[str, str]:
    found: dict[str, str] = {}
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        match = PIN.match(line)
        if match:
            found[canonicalize_name(match[1])] = match[2]
    return found


def top_level_requirements() -> list[Requirement]:
    spec = project()
    lines = list(spec["dependencies"])  # type: ignore[call-overload]
    extras: dict[str, list[str]] = spec["optional-dependencies"]  # type: ignore[assignment]
    for extra in EXTRAS_INSTALLED:
        lines.extend(extras[extra])
    return [Requirement(line) for line in lines]


def applies_here(requirement: Requirement, extra: str = "") -> bool:
    if requirement.marker is None:
        return True
    return requirement.marker.evaluate({"extra": extra})  # over this interpreter's defaults


def unlocked(requirement: Requirement, locked: dict[str, str]) -> str | None:
    name = canonicalize_name(requirement.name)
    if name not in locked:
        return f"{requirement} is not in requirements.lock"
    if not requirement.specifier.contains(locked[name], prereleases=True):
        return f"{requirement} does not allow the locked {name}=={locked[name]}"
    return None


def test_the_lock_pins_every_dependency_of_pyproject_within_its_range() -> None:
    locked = pins()
    problems = [
        problem
        for requirement in top_level_requirements()
        if applies_here(requirement) and (problem := unlocked(requirement, locked))
    ]

    assert not problems, "run `make lock`: " + "; ".join(problems)


def test_the_lock_pins_what_the_extras_of_dependencies_pull_in() -> None:
    """``uvicorn[standard]`` brings uvloop, httptools, watchfiles…: pinned too."""
    locked = pins()
    problems: list[str] = []
    for requirement in top_level_requirements():
        for extra in requirement.extras:
            for line in metadata.requires(requirement.name) or []:
                needed = Requirement(line)
                if applies_here(needed, extra) and needed.marker is not None:
                    problem = unlocked(needed, locked)
                    if problem:
                        problems.append(f"{problem} (via {requirement.name}[{extra}])")

    assert not problems, "run `make lock`: " + "; ".join(problems)


def test_the_lock_holds_only_plain_pins_usable_on_any_machine() -> None:
    """No index URL, local path or file URL of the machine that made it."""
    for line in LOCK.read_text(encoding="utf-8").splitlines():
        text = line.strip()
        if not text or text.startswith("#"):
            continue
        assert PIN.match(text), f"not a plain name==version pin: {text!r}"
        assert "file:" not in text
        assert "/" not in text


@pytest.mark.parametrize(
    "line",
    ["uvicorn[standard]>=0.32,<1", "psycopg[binary]>=3.2,<4", "playwright>=1.49,<2"],
)
def test_a_requirement_missing_from_the_lock_is_reported(line: str) -> None:
    """The check above can fail: without the pin, or with a pin out of range."""
    requirement = Requirement(line)
    name = canonicalize_name(requirement.name)

    assert unlocked(requirement, {}) == f"{requirement} is not in requirements.lock"
    assert "does not allow" in (unlocked(requirement, {name: "99.0"}) or "")


def test_the_server_does_not_require_uvloop_where_it_cannot_be_installed() -> None:
    """uvloop has no Windows build: it comes only through ``uvicorn[standard]``'s marker."""
    names = {canonicalize_name(Requirement(line).name) for line in project()["dependencies"]}  # type: ignore[attr-defined]

    assert "uvloop" not in names
    assert "uvicorn[standard]" in {
        f"{r.name}[{','.join(sorted(r.extras))}]" for r in top_level_requirements() if r.extras
    }
