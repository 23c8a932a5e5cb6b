"""The hashed locks in tests/locks/ still fit pyproject.toml: an edit of the dependencies
without `tests/lock` fails here, not later as an ImportError in a fresh venv (tests/run
installs the project with --no-deps)."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[2]
LOCKS = ROOT / "tests" / "locks"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+)")


def pins(lock: str) -> dict[str, Version]:
    """Every package the lock pins; each one must carry at least one hash."""
    text = (LOCKS / lock).read_text(encoding="utf-8")
    found: dict[str, Version] = {}
    for entry in re.split(r"\n(?=\S)", text):
        match = _PIN.match(entry)
        if match is None:
            continue
        assert "--hash=sha256:" in entry, f"{lock}: {match.group(1)} has no hash"
        found[canonicalize_name(match.group(1))] = Version(match.group(2))
    return found


def project() -> dict[str, list[str]]:
    data = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    return {"runtime": data["dependencies"], "dev": data["optional-dependencies"]["dev"]}


def assert_satisfied(requirements: list[str], lock: str) -> None:
    locked = pins(lock)
    for line in requirements:
        wanted = Requirement(line)
        name = canonicalize_name(wanted.name)
        assert name in locked, f"{wanted.name} is not in {lock}: run tests/lock"
        assert wanted.specifier.contains(locked[name], prereleases=True), (
            f"{lock} pins {wanted.name}=={locked[name]}, pyproject wants {wanted.specifier}:"
            " run tests/lock"
        )


def test_dev_lock_satisfies_every_requirement() -> None:
    deps = project()
    assert_satisfied(deps["runtime"] + deps["dev"], "dev.lock")


def test_runtime_lock_is_the_dev_locks_versions() -> None:
    assert_satisfied(project()["runtime"], "runtime.lock")
    runtime, dev = pins("runtime.lock"), pins("dev.lock")
    differing = {name: (v, dev.get(name)) for name, v in runtime.items() if dev.get(name) != v}
    assert not differing, f"runtime.lock and dev.lock disagree: {differing}"


def test_synapse_lock_satisfies_its_input() -> None:
    lines = (LOCKS / "synapse.in").read_text(encoding="utf-8").splitlines()
    assert_satisfied([x for x in lines if x.strip() and not x.startswith("#")], "synapse.lock")


@pytest.mark.parametrize("lock", ["dev.lock", "runtime.lock", "synapse.lock"])
def test_lock_has_no_unpinned_or_editable_lines(lock: str) -> None:
    """Hash-checking mode refuses the whole file for one such line."""
    for line in (LOCKS / lock).read_text(encoding="utf-8").splitlines():
        if line and not line.startswith((" ", "#")):
            assert _PIN.match(line), f"{lock}: not a pin: {line!r}"
