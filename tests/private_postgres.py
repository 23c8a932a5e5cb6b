"""A PostgreSQL server of the test's own, on a free port, that the test may stop and start.

The shared server on 5432 must never be stopped (other tests use it); outage tests need one
they own. It is built from the Debian packages' binaries with initdb into a temporary
directory. PostgreSQL refuses to run as root, so as root the server runs as the `postgres`
user (which the package creates). Skips with the reason when the binaries are missing.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)
READY_SECONDS = 30.0


def binaries() -> Path | None:
    """The newest installed PostgreSQL bin directory with initdb, or None."""
    for directory in BIN_DIRS:
        if (directory / "initdb").exists() and (directory / "pg_ctl").exists():
            return directory
    return None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PrivatePostgres:
    """One throw-away cluster: `start()`, `stop()` (fast shutdown), `url`."""

    def __init__(self, bin_dir: Path, root: Path) -> None:
        self.bin_dir = bin_dir
        self.data = root / "data"
        self.log = root / "server.log"
        self.port = _free_port()
        self._as_postgres = os.geteuid() == 0
        if self._as_postgres:
            shutil.chown(root, user="postgres")
        self._run("initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres", "--no-sync")

    @property
    def url(self) -> str:
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/postgres"

    def start(self) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.log), "-o", options, "-w", "start")
        self._wait_accepting()

    def stop(self) -> None:
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "stop")

    def running(self) -> bool:
        status = self._command("pg_ctl", "-D", str(self.data), "status")
        return subprocess.run(status, capture_output=True, check=False).returncode == 0

    def _wait_accepting(self) -> None:
        ready = self._command("pg_isready", "-h", "127.0.0.1", "-p", str(self.port))
        deadline = time.monotonic() + READY_SECONDS
        while subprocess.run(ready, capture_output=True, check=False).returncode != 0:
            if time.monotonic() > deadline:
                raise RuntimeError(f"private PostgreSQL not ready: {self.log.read_text()[-2000:]}")
            time.sleep(0.05)

    def _command(self, tool: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / tool), *args]
        return ["runuser", "-u", "postgres", "--", *command] if self._as_postgres else command

    def _run(self, tool: str, *args: str) -> None:
        subprocess.run(self._command(tool, *args), check=True, capture_output=True)


@contextmanager
def private_postgres() -> Iterator[PrivatePostgres]:
    """A started private server, stopped and deleted afterwards."""
    bin_dir = binaries()
    if bin_dir is None:
        raise FileNotFoundError("no PostgreSQL server binaries under /usr/lib/postgresql")
    root = Path(tempfile.mkdtemp(prefix="hotline-pg-"))
    try:
        server = PrivatePostgres(bin_dir, root)
        server.start()
        try:
            yield server
        finally:
            if server.running():
                server.stop()
    finally:
        shutil.rmtree(root, ignore_errors=True)


async def fresh_database(server: PrivatePostgres) -> str:
    """A new empty database on `server` (the server must be running); its URL."""
    import uuid

    from sqlalchemy import text
    from sqlalchemy.engine import make_url
    from sqlalchemy.ext.asyncio import create_async_engine

    if not server.running():
        server.start()
    name = f"outage_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server.url, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
    finally:
        await admin.dispose()
    return make_url(server.url).set(database=name).render_as_string(hide_password=False)
