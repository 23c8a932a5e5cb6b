"""`hotline-bot run`: serve the hotline on the configured platforms until stopped."""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from bot.app import build_app, config_path, with_enabled
from bot.config.loader import ConfigError, load_config
from storage.migrate import is_up_to_date


def register(sub: Any) -> None:
    """Add the sub-command."""
    parser = sub.add_parser("run", help="serve the hotline on Matrix (and other platforms)")
    parser.add_argument("--config", help="config file (default: $HOTLINE_CONFIG or the sample)")
    parser.add_argument(
        "--matrix", action="store_true", help="serve Matrix even if the config disables it"
    )
    parser.add_argument(
        "--teams", action="store_true", help="serve Teams even if the config disables it"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Build the app, check the schema, serve."""
    from adapters.matrix.settings import MatrixSetupError
    from adapters.teams.settings import TeamsSetupError
    from bot.runtime import serve

    async def _go() -> int:
        try:
            forced = [name for name in ("matrix", "teams") if getattr(args, name)]
            path = config_path(args.config)
            config = with_enabled(load_config(path), forced)
            platforms = tuple(name for name, p in config.platforms.items() if p.enabled)
            app = build_app(config=config, platforms=platforms)
            app.config_file, app.forced_platforms = path, tuple(forced)  # for SIGHUP
        except (ConfigError, MatrixSetupError, TeamsSetupError) as error:
            for line in getattr(error, "issues", [error]):
                print(line, file=sys.stderr)
            return 2
        if not await is_up_to_date(app.db):
            print(
                "The database schema is not up to date: run `hotline-bot db upgrade` first.",
                file=sys.stderr,
            )
            await app.close()
            return 2
        remote = [name for name in app.adapters if name != "local"]
        if not remote:
            print(
                "No chat platform to serve: enable matrix (or teams) in the config, or "
                "use `hotline-bot shell` for the local chat.",
                file=sys.stderr,
            )
            await app.close()
            return 2
        try:
            await serve(app)  # closes the app however it ends
        except (MatrixSetupError, TeamsSetupError) as error:  # e.g. a revoked access token
            print(error, file=sys.stderr)
            return 2
        return 0

    return asyncio.run(_go())
