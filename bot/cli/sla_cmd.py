"""`hotline-bot sla due`: compute a deadline on the working-day calendar, for anyone to check."""

from __future__ import annotations

import argparse
import sys
from datetime import datetime
from typing import Any

from bot.app import config_path
from bot.config.loader import ConfigError, load_config
from bot.sla import calendar_for, due_at


def register(sub: Any) -> None:
    """Add `sla due`."""
    parser = sub.add_parser("sla", help="service-level calendar tools")
    sla_sub = parser.add_subparsers(dest="sla_command", required=True, metavar="SLA_COMMAND")
    due = sla_sub.add_parser("due", help="print the deadline for a request opened at a moment")
    due.add_argument("--policy", required=True, help="policy name from the config's sla.policies")
    due.add_argument("--opened", required=True, help="ISO 8601 timestamp with offset")
    due.add_argument("--team", help="team id (adds the team's closure days)")
    due.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
    due.set_defaults(handler=run_due)


def run_due(args: argparse.Namespace) -> int:
    """Print the due moment as one ISO 8601 timestamp with offset."""
    try:
        config = load_config(config_path(args.config))
    except ConfigError as error:
        for issue in error.issues:
            print(issue, file=sys.stderr)
        return 2
    policy = config.sla.policies.get(args.policy)
    if policy is None:
        known = ", ".join(sorted(config.sla.policies))
        print(f"unknown policy {args.policy!r}; known: {known}", file=sys.stderr)
        return 2
    if args.team is not None and args.team not in {team.id for team in config.teams}:
        known = ", ".join(team.id for team in config.teams)
        print(f"unknown team {args.team!r}; known: {known}", file=sys.stderr)
        return 2
    try:
        opened = datetime.fromisoformat(args.opened)
    except ValueError:
        print(f"--opened: not an ISO 8601 timestamp: {args.opened!r}", file=sys.stderr)
        return 2
    if opened.tzinfo is None:
        print("--opened needs a UTC offset, e.g. 2026-12-23T14:10:00+01:00", file=sys.stderr)
        return 2
    calendar = calendar_for(config, args.team)
    print(due_at(policy, calendar, opened).isoformat())
    return 0
