"""``python -m tests.bench [--quick]``: run every benchmark group, print one table.

Each group is a module of this package with ``async def run(quick: bool) -> list[Row]``; a
group whose module does not exist yet (``sweep``) is listed as skipped. A group whose ``run``
also takes ``stores`` (the Teams turn) runs the bot on the stores that ``--store`` names
(default: SQLite and PostgreSQL; PostgreSQL rows are skipped with the reason where none
answers). Nothing is asserted: the table shows the figures, the baselines of the same run and
the targets. The exit code is
1 only when a group crashed.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import importlib.util
import inspect
import logging
import sys
import time
import traceback
from collections.abc import Callable, Coroutine, Sequence
from typing import Any, cast

from tests.bench.machine import describe
from tests.bench.table import Row, render, skipped

GROUPS: tuple[tuple[str, str], ...] = (
    ("matrix_turn", "Matrix turn"),
    ("teams_turn", "Teams turn"),
    ("teams_outbound", "Teams outbound"),
    ("scale_out", "Teams scale-out"),
    ("sweep", "Deadline sweep"),
    ("memory", "Memory"),
)

Runner = Callable[..., Coroutine[Any, Any, list[Row]]]


def _runner(module_name: str) -> Runner | None:
    """The group's ``run``, or None when its module does not exist (yet)."""
    qualified = f"{__package__ or 'tests.bench'}.{module_name}"
    if importlib.util.find_spec(qualified) is None:
        return None
    return cast(Runner, importlib.import_module(qualified).run)


STORES = ("sqlite", "postgres")


def run_groups(
    quick: bool, only: Sequence[str] = (), stores: Sequence[str] = STORES
) -> tuple[list[Row], bool]:
    """Run the groups (all, or those named in `only`; the bot on `stores` where a group offers
    the choice); return the rows and whether all ran."""
    rows: list[Row] = []
    ok = True
    for module_name, title in GROUPS:
        if only and module_name not in only:
            continue
        runner = _runner(module_name)
        if runner is None:
            rows.append(skipped(title, f"tests/bench/{module_name}.py does not exist yet"))
            continue
        started = time.monotonic()
        print(f"== {title} ...", file=sys.stderr, flush=True)
        options = {"stores": stores} if "stores" in inspect.signature(runner).parameters else {}
        try:
            rows += asyncio.run(runner(quick, **options))
        except Exception as error:
            ok = False
            traceback.print_exc()
            rows.append(Row(title, None, None, "", f"FAILED: {error!r}"[:160]))
        print(f"   {time.monotonic() - started:.1f} s", file=sys.stderr, flush=True)
    return rows, ok


def main(argv: Sequence[str] | None = None) -> int:
    """Parse the arguments, run the benchmarks and print the table; 1 if a group crashed."""
    parser = argparse.ArgumentParser(prog="python -m tests.bench", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="small sizes: a CI smoke check")
    parser.add_argument(
        "--only",
        action="append",
        default=[],
        choices=[name for name, _ in GROUPS],
        help="run only this group (repeatable)",
    )
    parser.add_argument(
        "--store",
        action="append",
        default=[],
        choices=STORES,
        help="run the bot on this store where a group offers the choice (repeatable; "
        "default: both)",
    )
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.ERROR)
    rows, ok = run_groups(args.quick, args.only, args.store or STORES)
    mode = "quick (smoke check, small sizes)" if args.quick else "full"
    print(f"\nBenchmarks, {mode}; {describe()}")
    print(render(rows))
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
