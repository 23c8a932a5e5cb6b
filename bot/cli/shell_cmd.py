"""`hotline-bot shell --as USER`: chat with the hotline in the terminal."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.cli.common import opened_app
from bot.kernel import limits

# The terminal tells the hotline no language, like Matrix: the core guesses it from the
# first message (bot/i18n/detect.py) unless --locale forces one.
AUTO = "auto"


def register(sub: Any) -> None:
    """Add the sub-command."""
    parser = sub.add_parser("shell", help="chat with the hotline in the terminal (local chat)")
    parser.add_argument("--as", dest="user", required=True, help="your local user id")
    parser.add_argument("--name", help="your display name")
    parser.add_argument(
        "--locale",
        default=AUTO,
        choices=[AUTO, "de", "en"],
        help="language (default auto: the first message decides, as in Matrix)",
    )
    parser.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the shell until end of input."""
    from adapters.local.shell import Shell

    if not limits.fits("local_user_id", args.user):
        most = limits.limit("local_user_id")
        print(f"--as: a local user id has at most {most} characters", file=sys.stderr)
        return 2

    async def _go() -> int:
        async with opened_app(config_file=args.config) as app:
            if app is None:
                return 2
            shell = Shell(
                user_id=args.user,
                display_name=limits.cut("display_name", args.name),
                locale="" if args.locale == AUTO else args.locale,
                config=app.config,
                engine=app.engine,
                sender=app.sender,
                clock=app.engine.clock,
            )
            if sys.stdin.isatty():
                # Interactive: deadlines run as in the service (each open shell may sweep;
                # the unique step keys make every reminder go out once).
                app.jobs.start()
                try:
                    await shell.run_interactive()
                finally:
                    await app.jobs.stop()
            else:
                await shell.run_script(sys.stdin)
            return 0

    return asyncio.run(_go())
