"""The playground's Node.js process (see tests/teams/playground.py): spawned in its own session
with a clean environment and a parent-death signal, awaited until it prints 'Listening on N',
SIGKILLed at once or at interpreter exit; and the state read from it (port, URLs, pid, version,
the log's tail)."""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, NoReturn

from tests.child_process import die_with_parent, resolve_prctl
from tests.teams.playground_model import (
    _FOREIGN_ENV,
    _FOREIGN_ENV_PREFIXES,
    CONFIG_FILE,
    LOG_FILE,
    RECORDING_FILE,
    STDIO_FILE,
    PlaygroundError,
    find_node,
    playground_version,
)

_running: set[PlaygroundProcess] = set()


@atexit.register
def _kill_leftovers() -> None:
    for playground in list(_running):
        playground.kill()


class PlaygroundProcess:
    """The process part of ``Playground``: spawn, wait until it listens, kill; its state.

    The attributes are set by ``Playground.__init__``.
    """

    bot_endpoint: str
    directory: Path
    workdir: Path
    requested_port: int | None
    config_file: dict[str, Any] | None
    personal_chat_id: str | None
    startup_timeout: float
    _port: int | None
    _process: subprocess.Popen[bytes] | None

    # --- state ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        if self._port is None:
            raise RuntimeError("Playground was never started")
        return self._port

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def service_url(self) -> str:
        """The connector URL the playground puts into every activity's serviceUrl."""
        return f"{self.base_url}/_connector"

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self._process is not None and self.running else None

    @property
    def version(self) -> str:
        return playground_version(self.directory)

    def log_tail(self, lines: int = 30) -> str:
        parts: list[str] = []
        for name in (STDIO_FILE, LOG_FILE):
            path = self.workdir / name
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                parts.append(f"--- {path} (last {lines} lines)\n" + "\n".join(text[-lines:]))
        return "\n".join(parts) or "(no log written)"

    # --- the process ---------------------------------------------------------------------

    def kill(self) -> None:
        """SIGKILL the process group at once (also used at interpreter exit)."""
        process = self._process
        if process is not None:
            if process.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(process.pid, signal.SIGKILL)
                process.wait()
            self._process = None
        _running.discard(self)

    def _environment(self) -> dict[str, str]:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(_FOREIGN_ENV_PREFIXES) and key not in _FOREIGN_ENV
        }
        no_proxy = ",".join(
            part for part in (env.get("NO_PROXY", ""), "127.0.0.1,localhost,::1") if part
        )
        env.update(
            {
                "TEAMSAPPTESTER_BROWSER": "none",  # otherwise it opens a browser and exits 1
                "M365_AGENTS_PLAYGROUND_LOGFILE": str(self.workdir / LOG_FILE),
                "M365_AGENTS_PLAYGROUND_RECORDING_FILE": str(self.workdir / RECORDING_FILE),
                # Only read when present; a missing file means the built-in tenant.
                "M365_AGENTS_PLAYGROUND_CONFIG_PATH": str(self.workdir / CONFIG_FILE),
                "TEAMS_APP_TEST_TOOL_CONFIG_PATH": str(self.workdir / "no-legacy-config.yml"),
                "APPLICATION_INSIGHTS_NO_STATSBEAT": "true",
                "NO_PROXY": no_proxy,
                "no_proxy": no_proxy,
            }
        )
        return env

    def _spawn(self, port: int) -> None:
        node = find_node()
        if node is None:
            raise PlaygroundError("node is not installed")
        command = [
            node,
            str(self.directory / "cli.js"),
            *("-e", self.bot_endpoint),
            *("-c", "msteams"),
            *("-p", str(port)),
            *("--service-url", f"http://127.0.0.1:{port}/_connector"),
            "--enable-events-recording",
            "--disable-telemetry",
        ]
        if self.personal_chat_id and self.config_file is None:
            command += ["--conversation-id", self.personal_chat_id]
        preexec: Callable[[], None] | None = None
        prctl = resolve_prctl()
        # PR_SET_PDEATHSIG fires when the spawning THREAD exits: only arm it from the main
        # thread (an executor's worker thread would take the playground down with it).
        if prctl is not None and threading.current_thread() is threading.main_thread():
            preexec = die_with_parent(prctl, os.getpid())
        (self.workdir / STDIO_FILE).write_bytes(b"")
        with (self.workdir / STDIO_FILE).open("ab") as stdio:
            self._process = subprocess.Popen(
                command,
                cwd=self.workdir,
                env=self._environment(),
                stdin=subprocess.DEVNULL,
                stdout=stdio,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=preexec,
            )
        _running.add(self)

    async def _wait_listening(self, deadline: float) -> int:
        """The port from the playground's 'Listening on N' line (stdout when not a TTY)."""
        path = self.workdir / STDIO_FILE
        while time.monotonic() < deadline:
            for line in path.read_text(encoding="utf-8", errors="replace").splitlines():
                if line.startswith("Listening on "):
                    return int(line.removeprefix("Listening on ").strip())
            if not self.running:
                self._fail("the playground exited before listening")
            await asyncio.sleep(0.02)
        self._fail(f"no 'Listening on' within {self.startup_timeout} s")

    def _fail(self, reason: str) -> NoReturn:
        raise PlaygroundError(f"{reason}\n{self.log_tail()}")
