"""`hotline-bot`: the command line. Each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence

from bot.cli import (
    config_cmd,
    db_cmd,
    jobs_cmd,
    privacy_cmd,
    report_cmd,
    run_cmd,
    shell_cmd,
    sla_cmd,
    sweep_cmd,
    teams_cmd,
    workshops_cmd,
)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="hotline-bot",
        description="Hotline der Abteilung Finanzen: Chat-Bot für Teams, Matrix und lokal.",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log more")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_cmd.register(sub)
    sla_cmd.register(sub)
    db_cmd.register(sub)
    shell_cmd.register(sub)
    run_cmd.register(sub)
    sweep_cmd.register(sub)
    jobs_cmd.register(sub)
    privacy_cmd.register(sub)
    report_cmd.register(sub)
    workshops_cmd.register(sub)
    teams_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
