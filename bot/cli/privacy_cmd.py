"""`hotline-bot privacy export|delete USER` and `privacy retention`: data protection at hand.

export prints everything stored about a requester as JSON (Art. 15 DSGVO); delete erases it
(Art. 17), after `--yes`, with every copy of their text; retention applies the configured
periods once (the service runs it every night). Each is recorded in the audit log. The cards
of erased tickets are taken back from Matrix and Teams through the outbox: the running
service delivers them ("cards_retracted" says how many were queued).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable, Callable
from typing import Any

from bot.cli.common import opened_app
from bot.service.privacy import PrivacyService


def register(sub: Any) -> None:
    """Add `privacy export`, `privacy delete` and `privacy retention`."""
    parser = sub.add_parser("privacy", help="data protection: export, delete, retention")
    inner = parser.add_subparsers(dest="privacy_command", required=True, metavar="ACTION")
    for name, text in (("export", "print a person's data as JSON"), ("delete", "erase a person")):
        action = inner.add_parser(name, help=text)
        action.add_argument("user", help="the person's user id on the platform")
        action.add_argument("--platform", help="only this platform (default: all)")
        action.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
        if name == "delete":
            action.add_argument("--yes", action="store_true", help="really delete")
        action.set_defaults(handler=run)
    retention = inner.add_parser("retention", help="apply the retention periods now")
    retention.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
    retention.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Carry out the privacy action; JSON on stdout."""
    if args.privacy_command == "delete" and not args.yes:
        print("Löschen ist endgültig: bitte mit --yes bestätigen.", file=sys.stderr)
        return 2

    def choose(service: PrivacyService) -> Callable[[], Awaitable[Any]]:
        if args.privacy_command == "export":
            return lambda: service.export(user_id=args.user, platform=args.platform)
        if args.privacy_command == "delete":
            return lambda: service.erase(user_id=args.user, platform=args.platform)
        return service.apply_retention

    async def _go() -> int:
        async with opened_app(config_file=args.config, platforms=()) as app:
            if app is None:
                return 2
            result = await choose(PrivacyService(app.config, app.sessions, app.engine.clock))()
            print(json.dumps(result, ensure_ascii=False, indent=2))
            return 0

    return asyncio.run(_go())
