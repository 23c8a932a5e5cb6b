"""`hotline-bot check-config [FILE]`: every error, with key path and line."""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
from typing import Any

from adapters.matrix.online_check import Finding
from bot.app import config_path
from bot.cli.online_check import online_findings
from bot.config.loader import check_config, default_config_path, load_config
from bot.config.warnings import config_warnings


def register(sub: Any) -> None:
    """Add the sub-command."""
    parser = sub.add_parser("check-config", help="check an organisation config file")
    parser.add_argument(
        "file", nargs="?", help="YAML file (default: $HOTLINE_CONFIG or the sample)"
    )
    parser.add_argument(
        "--online",
        action="store_true",
        help="also ask the platforms: the token, every team room, every staff id",
    )
    parser.set_defaults(handler=run)


def report_online(findings: list[Finding]) -> int:
    """One line per checked item; 1 when any is not fine."""
    for finding in findings:
        print(f"{'ok' if finding.ok else 'PROBLEM'}: {finding.item}: {finding.detail}")
    problems = sum(not finding.ok for finding in findings)
    print(f"online: {len(findings)} checked, {problems} problem(s)")
    return 1 if problems else 0


def run(args: argparse.Namespace) -> int:
    """Print each issue on its own line; exit 1 if there are any."""
    path = config_path(args.file)
    issues = check_config(path)
    shown = path or default_config_path()
    if not issues:
        warnings = config_warnings(load_config(path), os.environ)
        for warning in warnings:
            print(f"warning: {warning}")
        print(f"{shown}: OK" + (f", {len(warnings)} warning(s)" if warnings else ""))
        if getattr(args, "online", False):
            return report_online(asyncio.run(online_findings(load_config(path))))
        return 0
    for issue in issues:
        print(issue, file=sys.stdout)
    print(f"{shown}: {len(issues)} error(s)", file=sys.stderr)
    return 1
