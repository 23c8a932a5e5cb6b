"""The hotline on Teams as a process of its own, for the chaos runs to kill.

    python -m tests.chaos.teams_child PORT SERVICE_URL DATABASE_URL DATA_DIR [OPS_PORT]

The database must be migrated already (the parent does it once). OPS_PORT puts /healthz,
/readyz and /metrics there (several instances on one machine need one each; without it
they use the config's default). The process serves until
SIGTERM, or dies by SIGKILL: that is the point.
"""

from __future__ import annotations

import asyncio
import logging
import sys


async def main(
    port: int, service_url: str, database_url: str, data_dir: str, ops_port: int | None = None
) -> None:
    from dataclasses import replace

    from bot.app import build_app
    from bot.runtime import serve
    from tests.teams.stage import hotline_config

    logging.basicConfig(level=logging.WARNING, format="child %(levelname)s %(name)s %(message)s")
    config = hotline_config(port, service_url)
    if ops_port is not None:
        config = replace(config, operations=replace(config.operations, port=ops_port))
    app = build_app(
        config=config,
        url=database_url,
        platforms=("teams",),
        environ={"HOTLINE_DATA_DIR": data_dir},
    )
    await serve(app)


if __name__ == "__main__":
    port, service_url, database_url, data_dir = sys.argv[1:5]
    ops = int(sys.argv[5]) if len(sys.argv) > 5 else None
    asyncio.run(main(int(port), service_url, database_url, data_dir, ops))
