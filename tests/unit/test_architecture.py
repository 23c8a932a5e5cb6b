"""Rules about the code's shape: the core stays platform-free, imports have no side effects,
and no module grows past a readable size."""

from __future__ import annotations

import ast
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

# --- (a) the core knows no chat platform -------------------------------------------------

PLATFORM_SDKS = frozenset({"nio", "matrix_nio", "botbuilder", "botframework", "msrest"})
CORE_DIRS = ("bot", "dialogs")


def python_files(*dirs: str) -> list[Path]:
    return [path for d in dirs for path in sorted((ROOT / d).rglob("*.py"))]


def forbidden_imports(source: str, filename: str = "<source>") -> list[str]:
    """Every platform SDK a module imports: import x, from x import y, importlib/__import__."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename=filename)):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        elif (
            isinstance(node, ast.Call)
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
            and (
                (
                    isinstance(node.func, ast.Name)
                    and node.func.id in {"__import__", "import_module"}
                )
                or (isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
            )
        ):
            names = [node.args[0].value]
        found += [
            f"{filename}:{getattr(node, 'lineno', 0)} {name}"
            for name in names
            if name.split(".")[0] in PLATFORM_SDKS
        ]
    return found


@pytest.mark.parametrize(
    "source",
    [
        "import nio",
        "import nio.responses as r",
        "import os, matrix_nio",
        "from nio import AsyncClient",
        "from botbuilder.core import TurnContext",
        "from botframework.connector import ConnectorClient",
        "import msrest.authentication",
        "def f():\n    from nio import AsyncClient\n    return AsyncClient",
        "try:\n    import botbuilder\nexcept ImportError:\n    pass",
        "import importlib\nclient = importlib.import_module('nio')",
        "sdk = __import__('botbuilder.core')",
    ],
)
def test_checker_detects_platform_imports(source: str) -> None:
    assert forbidden_imports(source), source


@pytest.mark.parametrize(
    "source",
    [
        "import aiohttp",
        "import sqlalchemy",
        "from . import nio",
        "from .nio import x",
        "from bot.kernel.notices import Notice",
        "import niobium",
        "import botbuilderx",
        "x = 'import nio'",
    ],
)
def test_checker_allows_other_imports(source: str) -> None:
    assert forbidden_imports(source) == []


def test_core_does_not_import_platform_sdks() -> None:
    files = python_files(*CORE_DIRS)
    assert len(files) > 20, "the check must see the code"
    offenders = [
        hit
        for path in files
        for hit in forbidden_imports(path.read_text(encoding="utf-8"), str(path.relative_to(ROOT)))
    ]
    assert not offenders, f"platform SDKs imported in the core: {offenders}"


# --- (b) importing has no side effects ---------------------------------------------------

IMPORT_DIRS = ("bot", "dialogs", "storage", "adapters/local")
# Alembic's env.py runs the migrations when executed; it is a script, not a module.
NOT_IMPORTABLE = {"storage.migrations.env"}


def module_names() -> list[str]:
    names: list[str] = []
    for path in python_files(*IMPORT_DIRS):
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names.append(".".join(parts))
    return sorted(set(names) - NOT_IMPORTABLE)


PROBE = r"""
import importlib, json, os, sys

opened = []

def spy(name):
    def record(*args, **kwargs):
        opened.append(name)
        raise RuntimeError(f"{name} called during import")
    return record

import sqlite3
sqlite3.connect = spy("sqlite3.connect")
for driver in ("aiosqlite", "asyncpg", "psycopg", "psycopg2"):
    try:
        module = importlib.import_module(driver)
    except ImportError:
        continue
    if hasattr(module, "connect"):
        module.connect = spy(driver + ".connect")

modules, data_dir = json.loads(sys.argv[1]), sys.argv[2]
cwd_before = sorted(os.listdir("."))
report = {"created_by": None, "errors": {}, "imported": 0}
for name in modules:
    try:
        importlib.import_module(name)
        report["imported"] += 1
    except Exception as error:
        report["errors"][name] = repr(error)
    changed = os.path.exists(data_dir) or sorted(os.listdir(".")) != cwd_before or opened
    if changed and report["created_by"] is None:
        report["created_by"] = name
report["opened"] = opened
report["cwd"] = sorted(os.listdir("."))
report["data_dir_exists"] = os.path.exists(data_dir)
sdks = {"nio", "matrix_nio", "botbuilder", "botframework", "msrest"}
report["sdk_modules"] = sorted(m for m in sys.modules if m.split(".")[0] in sdks)
print(json.dumps(report))
"""


def run_probe(modules: list[str], tmp_path: Path, *extra_path: Path) -> dict[str, object]:
    """Import `modules` in a fresh interpreter, in an empty cwd, and report what happened."""
    work = tmp_path / "cwd"
    work.mkdir()
    data_dir = tmp_path / "hotline-data"
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith("HOTLINE_") and key not in {"PYTHONPATH", "PYTHONSTARTUP"}
    }
    env.update(
        HOTLINE_DATA_DIR=str(data_dir),
        PYTHONPATH=os.pathsep.join([str(ROOT), *map(str, extra_path)]),
        PYTHONDONTWRITEBYTECODE="1",
    )
    completed = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(modules), str(data_dir)],
        cwd=work,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert completed.returncode == 0, completed.stderr
    report: dict[str, object] = json.loads(completed.stdout.strip().splitlines()[-1])
    return report


def test_module_list_is_complete() -> None:
    names = module_names()
    for expected in (
        "bot.conversation.engine",
        "bot.i18n.formatting",
        "dialogs.intake",
        "storage.engine",
        "storage.repositories.tickets",
        "storage.migrations.versions.0001_initial_schema",
        "adapters.local.shell",
    ):
        assert expected in names
    assert len(names) > 40


def test_importing_every_module_creates_nothing_and_opens_no_database(tmp_path: Path) -> None:
    modules = module_names()
    report = run_probe(modules, tmp_path)
    assert report["errors"] == {}, f"modules that fail to import: {report['errors']}"
    assert report["imported"] == len(modules)
    assert report["opened"] == [], f"database opened during import: {report['opened']}"
    assert report["data_dir_exists"] is False, f"data dir created by {report['created_by']}"
    assert report["cwd"] == [], f"files created in the cwd by {report['created_by']}"
    assert report["created_by"] is None


def test_the_core_loads_no_platform_sdk_even_indirectly(tmp_path: Path) -> None:
    """The source check above sees direct imports; this one sees what importing every module
    of bot/ and dialogs/ really loads (an adapter imported by a core module would show)."""
    modules = [name for name in module_names() if name.split(".")[0] in CORE_DIRS]
    assert len(modules) > 20
    report = run_probe(modules, tmp_path)
    assert report["errors"] == {}
    assert report["sdk_modules"] == [], f"platform SDKs loaded by the core: {report['sdk_modules']}"


def test_the_sdk_probe_sees_an_indirect_import(tmp_path: Path) -> None:
    report = run_probe(["adapters.matrix.parse"], tmp_path)
    assert "nio" in report["sdk_modules"]


# Self-check of the probe: synthetic modules that misbehave at import time must be caught.
OFFENDERS = {
    # storage.engine.database_url() creates the data dir on demand.
    "makes_data_dir": "from storage.engine import database_url\nURL = database_url()\n",
    "writes_cwd": "open('notes.txt', 'w').close()\n",
    "opens_sqlite": (
        "import sqlite3\ntry:\n    sqlite3.connect(':memory:')\nexcept RuntimeError:\n    pass\n"
    ),
}


@pytest.mark.parametrize("offender", sorted(OFFENDERS))
def test_the_probe_catches_side_effects(tmp_path: Path, offender: str) -> None:
    package = tmp_path / "synthetic"
    package.mkdir()
    (package / "harmless.py").write_text("VALUE = 1\n", encoding="utf-8")
    (package / f"{offender}.py").write_text(OFFENDERS[offender], encoding="utf-8")
    report = run_probe(["harmless", offender], tmp_path, package)
    assert report["errors"] == {}
    assert report["created_by"] == offender
    assert report["data_dir_exists"] is (offender == "makes_data_dir")
    assert report["cwd"] == (["notes.txt"] if offender == "writes_cwd" else [])
    assert report["opened"] == (["sqlite3.connect"] if offender == "opens_sqlite" else [])


# --- (c) modules stay small --------------------------------------------------------------

MAX_LINES = 500
SIZE_DIRS = ("bot", "dialogs", "storage", "adapters")


def test_no_module_is_longer_than_500_lines() -> None:
    files = python_files(*SIZE_DIRS)
    assert len(files) > 30
    too_long = {
        str(path.relative_to(ROOT)): lines
        for path in files
        if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_LINES
    }
    assert not too_long, f"split these modules (> {MAX_LINES} lines): {too_long}"
