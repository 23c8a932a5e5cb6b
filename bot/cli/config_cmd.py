"""`hotline-bot check-config [FILE]`: every error, with key path and line."""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any

from bot.app import config_path
from bot.config.loader import check_config, default_config_path, load_config
from bot.config.warnings import config_warnings


def register(sub: Any) -> None:
    """Add the sub-command."""
    parser = sub.add_parser("check-config", help="check an organisation config file")
    parser.add_argument(
        "file", nargs="?", help="YAML file (default: $HOTLINE_CONFIG or the sample)"
    )
    parser.set_defaults(handler=run)


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
        return 0
    for issue in issues:
        print(issue, file=sys.stdout)
    print(f"{shown}: {len(issues)} error(s)", file=sys.stderr)
    return 1
