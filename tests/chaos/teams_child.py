"""The hotline on Teams as a process of its own, for the chaos runs to kill.

    python -m tests.chaos.teams_child PORT SERVICE_URL DATABASE_URL DATA_DIR

The database must be migrated already (the parent does it once). The process serves until
SIGTERM, or dies by SIGKILL: that is the point.
"""

from __future__ import annotations

import asyncio
import logging
import sys


async def main(port: int, service_url: str, database_url: str, data_dir: str) -> None:
    from bot.app import build_app
    from bot.runtime import serve
    from tests.teams.stage import hotline_config

    logging.basicConfig(level=logging.WARNING, format="child %(levelname)s %(name)s %(message)s")
    app = build_app(
        config=hotline_config(port, service_url),
        url=database_url,
        platforms=("teams",),
        environ={"HOTLINE_DATA_DIR": data_dir},
    )
    await serve(app)


if __name__ == "__main__":
    port, service_url, database_url, data_dir = sys.argv[1:5]
    asyncio.run(main(int(port), service_url, database_url, data_dir))
