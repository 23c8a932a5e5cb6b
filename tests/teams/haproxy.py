"""HAProxy (Debian's package) in front of bot instances, as an operator would run it.

The config is written to a temporary file: one loopback frontend, round robin over the
instances' /api/messages, each instance health-checked on its own /healthz (the ops port),
and a stats page whose CSV says how many requests each instance answered. A connection an
instance refuses (it died) is dispatched to another one (`retries` + `redispatch`), and the
health check takes a dead instance out within a second (three failed checks: a busy
instance on 2 cores may answer one late).

Where the binary is missing, tests skip with the reason; with HOTLINE_REQUIRE_HAPROXY=1
(CI) they fail instead, so a green CI run means the load balancer really ran.
"""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import time
from collections.abc import Callable, Mapping
from pathlib import Path

import aiohttp
import pytest

from tests.child_process import die_with_parent, resolve_prctl

REQUIRED_ENV = "HOTLINE_REQUIRE_HAPROXY"
READY_SECONDS = 30.0


def haproxy_binary() -> str | None:
    """The haproxy executable (Debian puts it in /usr/sbin, often not on a user's PATH)."""
    return shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin:/usr/local/sbin")


def haproxy_or_skip() -> str:
    """The binary, or skip the test (fail with HOTLINE_REQUIRE_HAPROXY=1)."""
    binary = haproxy_binary()
    if binary is None:
        reason = "no haproxy binary (apt-get install haproxy; tests/run installs it as root)"
        if os.environ.get(REQUIRED_ENV) == "1":
            pytest.fail(f"{reason}, but {REQUIRED_ENV}=1", pytrace=False)
        pytest.skip(reason)
    return binary


def config_text(port: int, stats_port: int, servers: dict[str, tuple[int, int]]) -> str:
    """The config: `servers` maps a name to its (Teams port, health port)."""
    lines = [
        "global",
        "  maxconn 2000",
        "defaults",
        "  mode http",
        "  timeout connect 1s",
        "  timeout client 30s",
        "  timeout server 30s",
        "  retries 3",
        "  option redispatch 1",
        "frontend teams",
        f"  bind 127.0.0.1:{port}",
        "  default_backend bots",
        "backend bots",
        "  balance roundrobin",
        "  option httpchk GET /healthz",
        "  timeout check 2s",
        "  default-server inter 300ms fall 3 rise 1",
        *(
            f"  server {name} 127.0.0.1:{teams} check port {health}"
            for name, (teams, health) in servers.items()
        ),
        "listen stats",
        f"  bind 127.0.0.1:{stats_port}",
        "  stats enable",
        "  stats uri /stats",
    ]
    return "\n".join(lines) + "\n"


class LoadBalancer:
    """One haproxy process of the test's own (killed with the test process if need be)."""

    def __init__(
        self,
        binary: str,
        workdir: Path,
        port: int,
        stats_port: int,
        servers: dict[str, tuple[int, int]],
    ) -> None:
        self.binary, self.port, self.stats_port = binary, port, stats_port
        self.names = tuple(servers)
        self.config = workdir / "haproxy.cfg"
        self.config.write_text(config_text(port, stats_port, servers))
        self.log = workdir / "haproxy.log"
        self.process: asyncio.subprocess.Process | None = None

    @property
    def endpoint(self) -> str:
        return f"http://127.0.0.1:{self.port}/api/messages"

    async def start(self) -> None:
        """Start haproxy in the foreground (-db) and wait until every server is UP."""
        prctl = resolve_prctl()
        preexec = die_with_parent(prctl, os.getpid()) if prctl is not None else None
        with self.log.open("ab") as log:
            self.process = await asyncio.create_subprocess_exec(
                self.binary,
                "-db",
                "-f",
                str(self.config),
                stdout=log,
                stderr=log,
                preexec_fn=preexec,
            )
        await self.wait_until(lambda status: all(status.get(n) == "UP" for n in self.names))

    async def wait_until(
        self, condition: Callable[[Mapping[str, str]], bool], within: float = READY_SECONDS
    ) -> None:
        """Poll the stats until `condition(status by server)` holds."""
        deadline = time.monotonic() + within
        while True:
            try:
                if condition({name: row["status"] for name, row in (await self.stats()).items()}):
                    return
            except (aiohttp.ClientError, OSError):
                pass
            if self.process is not None and self.process.returncode is not None:
                raise RuntimeError(f"haproxy exited: {self.log.read_text()[-2000:]}")
            if time.monotonic() > deadline:
                raise RuntimeError(
                    f"haproxy not ready in {within} s: {self.log.read_text()[-2000:]}"
                )
            await asyncio.sleep(0.05)

    async def stats(self) -> dict[str, dict[str, str]]:
        """The backend's servers' rows of the stats CSV (status, hrsp_2xx, ...)."""
        url = f"http://127.0.0.1:{self.stats_port}/stats;csv"
        async with aiohttp.ClientSession() as http, http.get(url) as response:
            text = await response.text()
        rows = csv.DictReader(io.StringIO(text.removeprefix("# ")))
        return {
            row["svname"]: row
            for row in rows
            if row["pxname"] == "bots" and row["svname"] in self.names
        }

    async def answered(self) -> dict[str, int]:
        """How many 2xx answers each server gave through the balancer."""
        return {name: int(row["hrsp_2xx"] or 0) for name, row in (await self.stats()).items()}

    def pid(self) -> int | None:
        return self.process.pid if self.process is not None else None

    async def stop(self) -> None:
        if self.process is not None and self.process.returncode is None:
            self.process.terminate()
            try:
                await asyncio.wait_for(self.process.wait(), 10)
            except TimeoutError:
                self.process.kill()
                await self.process.wait()
