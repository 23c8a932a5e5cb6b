"""`hotline-bot`: the command line. Each sub-command lives in its own module."""

from __future__ import annotations

import argparse
import logging
from collections.abc import Sequence

from bot.cli import (
    audit_cmd,
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
from bot.ops.logs import FORMAT_ENV, FORMATS, configure, log_format


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every sub-command."""
    parser = argparse.ArgumentParser(
        prog="hotline-bot",
        description="Hotline der Abteilung Finanzen: Chat-Bot für Teams, Matrix und lokal.",
    )
    parser.add_argument("--verbose", "-v", action="store_true", help="log more")
    parser.add_argument(
        "--log-format",
        choices=FORMATS,
        help=f"text (default) or json, one object per line (also ${FORMAT_ENV})",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    config_cmd.register(sub)
    sla_cmd.register(sub)
    db_cmd.register(sub)
    shell_cmd.register(sub)
    run_cmd.register(sub)
    sweep_cmd.register(sub)
    jobs_cmd.register(sub)
    audit_cmd.register(sub)
    privacy_cmd.register(sub)
    report_cmd.register(sub)
    workshops_cmd.register(sub)
    teams_cmd.register(sub)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the console script; returns the process exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    # The service logs its lifecycle and every failed delivery (INFO); the interactive
    # commands stay quiet unless asked (-v).
    quiet = logging.INFO if args.command == "run" else logging.WARNING
    configure(logging.DEBUG if args.verbose else quiet, log_format(args.log_format))
    code: int = args.handler(args)
    return code


if __name__ == "__main__":
    raise SystemExit(main())
