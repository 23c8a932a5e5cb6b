"""A real Synapse homeserver for the Matrix end-to-end tests, run as a separate process.

Synapse (AGPL, Twisted) lives in its own venv made by ``tests/install-synapse``; nothing here
imports it. The harness writes an offline test config (one plain-HTTP listener on 127.0.0.1,
SQLite, no federation, every rate limit relaxed), starts ``python -m synapse.app.homeserver``
in its own session with a parent-death signal, and registers users through the admin API's
shared-secret flow.

    server = SynapseServer(find_synapse_venv())
    server.start(tmp_path / "synapse")            # blocks until /versions answers
    alice = await server.register("alice")
    client = await nio_client(alice, tmp_path / "nio-store")
    ...
    server.stop(); server.start()                 # same workdir, port, database and users

``start``/``stop`` block (about 2 s and under 0.1 s, sometimes 2 s); inside a running event
loop prefer ``await start_async()`` / ``await stop_async()`` so other tasks (a bot under test)
keep running. ``pause``/``resume`` freeze the process instead: connections then hang rather
than being refused.
"""

from __future__ import annotations

import asyncio
import atexit
import contextlib
import hashlib
import hmac
import itertools
import os
import re
import secrets
import signal
import socket
import subprocess
import threading
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import aiohttp
import yaml

from tests.child_process import die_with_parent, resolve_prctl
from tests.matrix.synapse_config import (
    CONFIG_FILE,
    LOG_FILE,
    SERVER_NAME,
    STDIO_FILE,
    write_workdir,
)

if TYPE_CHECKING:
    import nio

REPO_ROOT = Path(__file__).resolve().parents[2]
VENV_ENV = "HOTLINE_SYNAPSE_VENV"
DEFAULT_VENV = REPO_ROOT / ".synapse-venv"
_LOCALPART = re.compile(r"[a-z0-9._=/+-]+")


class SynapseStartError(RuntimeError):
    """Synapse did not answer in time or exited; the message ends with the log's tail."""


@dataclass(frozen=True)
class RegisteredUser:
    """A user created through the admin API, with a logged-in device."""

    user_id: str
    password: str
    access_token: str
    device_id: str
    homeserver: str  # base URL, e.g. http://127.0.0.1:40123

    @property
    def localpart(self) -> str:
        return self.user_id[1:].split(":", 1)[0]


def find_synapse_venv() -> Path:
    """The Synapse venv: $HOTLINE_SYNAPSE_VENV, else <repo>/.synapse-venv (may not exist)."""
    configured = os.environ.get(VENV_ENV)
    return Path(configured).expanduser() if configured else DEFAULT_VENV


def synapse_missing_reason(venv: Path) -> str | None:
    """Why Synapse cannot be run from `venv`, or None when it looks installed."""
    python = venv / "bin" / "python"
    if not python.exists():
        return f"Synapse not installed: no {python} (run tests/install-synapse)"
    if not any((venv / "lib").glob("python3*/site-packages/synapse/app/homeserver.py")):
        return f"Synapse not installed in {venv} (run tests/install-synapse)"
    return None


def synapse_environment(venv: Path) -> dict[str, str]:
    """The environment for processes run from the Synapse venv.

    Importing synapse computes a git-aware version string by running git (rev-parse,
    describe --dirty) from its site-packages; with the venv inside the project that means
    git commands on the project's repository, possibly taking its index lock. Stop git's
    repository search at the venv.
    """
    return {**os.environ, "GIT_CEILING_DIRECTORIES": str(venv.resolve())}


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


_running: set[SynapseServer] = set()


@atexit.register
def _kill_leftovers() -> None:
    for server in list(_running):
        server.kill()


class SynapseServer:
    """One Synapse process on 127.0.0.1 with an offline test config; restartable in place."""

    def __init__(self, venv: Path, *, startup_timeout: float = 60.0) -> None:
        self.venv = venv
        self.startup_timeout = startup_timeout
        self._workdir: Path | None = None
        self._port: int | None = None
        self._shared_secret = ""
        self._process: subprocess.Popen[bytes] | None = None
        self._paused = False
        self._names = itertools.count(1)
        self.last_start_seconds = 0.0  # how long the last start took until /versions answered

    # --- state ------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """http://127.0.0.1:PORT, stable across stop/start on the same workdir."""
        if self._port is None:
            raise RuntimeError("SynapseServer was never started")
        return f"http://127.0.0.1:{self._port}"

    @property
    def server_name(self) -> str:
        return SERVER_NAME

    @property
    def workdir(self) -> Path:
        if self._workdir is None:
            raise RuntimeError("SynapseServer was never started")
        return self._workdir

    @property
    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    @property
    def pid(self) -> int | None:
        return self._process.pid if self.running and self._process else None

    def log_tail(self, lines: int = 40) -> str:
        """The end of Synapse's log and of its stdout/stderr, for error messages."""
        parts: list[str] = []
        for name in (LOG_FILE, STDIO_FILE):
            path = self.workdir / name
            if path.exists():
                text = path.read_text(encoding="utf-8", errors="replace").splitlines()
                parts.append(f"--- {path} (last {lines} lines)\n" + "\n".join(text[-lines:]))
        return "\n".join(parts) or "(no log written)"

    # --- lifecycle ----------------------------------------------------------------------

    def start(self, workdir: Path | None = None) -> None:
        """Start Synapse and block until GET /_matrix/client/versions answers.

        A `workdir` holding a homeserver.yaml from an earlier start is reused as it is: same
        port, secrets and SQLite database, so users, devices and rooms survive a restart.
        Without `workdir`, the previous one is used. Raises SynapseStartError on failure.
        """
        for attempt in range(3):
            fresh = self._prepare(workdir)
            started = time.monotonic()
            self._spawn()
            deadline = started + self.startup_timeout
            while time.monotonic() < deadline:
                if self._exited():
                    break
                if self._versions_ok():
                    self.last_start_seconds = time.monotonic() - started
                    return
                time.sleep(0.05)
            if self._retry_with_new_port(fresh, attempt):
                continue
            self._fail(started)

    async def start_async(self, workdir: Path | None = None) -> None:
        """`start` without blocking the event loop (spawns from the calling thread)."""
        for attempt in range(3):
            fresh = self._prepare(workdir)
            started = time.monotonic()
            self._spawn()
            deadline = started + self.startup_timeout
            async with aiohttp.ClientSession() as session:
                while time.monotonic() < deadline:
                    if self._exited():
                        break
                    with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                        async with session.get(
                            self._versions_url(), timeout=aiohttp.ClientTimeout(total=1)
                        ) as response:
                            if response.status == 200:
                                self.last_start_seconds = time.monotonic() - started
                                return
                    await asyncio.sleep(0.05)
            if self._retry_with_new_port(fresh, attempt):
                continue
            self._fail(started)

    def stop(self, grace: float = 10.0) -> None:
        """SIGTERM, wait up to `grace` seconds, then SIGKILL. A no-op when not running."""
        process = self._begin_stop()
        if process is None:
            return
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            self._signal(signal.SIGKILL)
            process.wait()
        self._end_stop()

    async def stop_async(self, grace: float = 10.0) -> None:
        """`stop` without blocking the event loop (waits in a worker thread)."""
        await asyncio.to_thread(self.stop, grace)

    def restart(self) -> None:
        """stop() then start() on the same workdir and port."""
        self.stop()
        self.start()

    def kill(self) -> None:
        """SIGKILL at once (crash simulation; also used at interpreter exit)."""
        if self._process is not None and self._process.poll() is None:
            self._signal(signal.SIGKILL)
            self._process.wait()
        self._end_stop()

    def pause(self) -> None:
        """SIGSTOP: the port stays open but nothing answers (requests hang, then time out)."""
        if not self.running:
            raise RuntimeError("Synapse is not running")
        self._signal(signal.SIGSTOP)
        self._paused = True

    def resume(self) -> None:
        """SIGCONT after pause(): queued requests are then answered."""
        if self.running and self._paused:
            self._signal(signal.SIGCONT)
        self._paused = False

    # --- users --------------------------------------------------------------------------

    async def register(
        self,
        localpart_prefix: str = "user",
        admin: bool = False,
        *,
        displayname: str | None = None,
    ) -> RegisteredUser:
        """Create a user with a unique localpart (prefix-N-random) and return its login.

        Uses POST /_synapse/admin/v1/register with the shared-secret HMAC, so no
        registration has to be open; the returned access token and device id work with
        nio's restore_login.
        """
        if not _LOCALPART.fullmatch(localpart_prefix):
            raise ValueError(f"invalid localpart prefix {localpart_prefix!r}: use [a-z0-9._=/+-]")
        username = f"{localpart_prefix}-{next(self._names)}-{uuid.uuid4().hex[:6]}"
        password = secrets.token_urlsafe(16)
        url = f"{self.base_url}/_synapse/admin/v1/register"
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)) as session:
            async with session.get(url) as response:
                response.raise_for_status()
                nonce = str((await response.json())["nonce"])
            mac = hmac.new(self._shared_secret.encode(), digestmod=hashlib.sha1)
            for part in (nonce, username, password):
                mac.update(part.encode("utf-8"))
                mac.update(b"\x00")
            mac.update(b"admin" if admin else b"notadmin")
            body: dict[str, Any] = {
                "nonce": nonce,
                "username": username,
                "password": password,
                "admin": admin,
                "mac": mac.hexdigest(),
            }
            if displayname is not None:
                body["displayname"] = displayname
            async with session.post(url, json=body) as response:
                answer: dict[str, Any] = await response.json()
                if response.status != 200:
                    raise RuntimeError(f"registering {username} failed: {response.status} {answer}")
        return RegisteredUser(
            user_id=answer["user_id"],
            password=password,
            access_token=answer["access_token"],
            device_id=answer["device_id"],
            homeserver=self.base_url,
        )

    # --- internals ----------------------------------------------------------------------

    def _prepare(self, workdir: Path | None) -> bool:
        """Load or write the workdir's config; True when it was written just now."""
        if self.running:
            raise RuntimeError(f"Synapse is already running (pid {self.pid})")
        workdir = (workdir or self.workdir).resolve()
        config_path = workdir / CONFIG_FILE
        fresh = not config_path.exists()
        if fresh:
            config = write_workdir(workdir, free_port())
        else:
            config = yaml.safe_load(config_path.read_text(encoding="utf-8"))
        self._workdir = workdir
        self._port = int(config["listeners"][0]["port"])
        self._shared_secret = str(config["registration_shared_secret"])
        return fresh

    def _spawn(self) -> None:
        missing = synapse_missing_reason(self.venv)
        if missing:
            raise SynapseStartError(missing)
        preexec: Callable[[], None] | None = None
        prctl = resolve_prctl()
        # PR_SET_PDEATHSIG fires when the spawning THREAD exits: only arm it from the main
        # thread (a worker thread of an executor would take the server down with it).
        if prctl is not None and threading.current_thread() is threading.main_thread():
            preexec = die_with_parent(prctl, os.getpid())
        with (self.workdir / STDIO_FILE).open("ab") as stdio:
            self._process = subprocess.Popen(
                [
                    str(self.venv / "bin" / "python"),
                    *("-m", "synapse.app.homeserver"),
                    *("-c", str(self.workdir / CONFIG_FILE)),
                ],
                cwd=self.workdir,
                env=synapse_environment(self.venv),
                stdin=subprocess.DEVNULL,
                stdout=stdio,
                stderr=subprocess.STDOUT,
                start_new_session=True,
                preexec_fn=preexec,
            )
        self._paused = False
        _running.add(self)

    def _versions_url(self) -> str:
        return f"{self.base_url}/_matrix/client/versions"

    def _versions_ok(self) -> bool:
        try:
            with urllib.request.urlopen(self._versions_url(), timeout=1) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def _exited(self) -> bool:
        return self._process is None or self._process.poll() is not None

    def _retry_with_new_port(self, fresh: bool, attempt: int) -> bool:
        """After a lost race for a fresh port: rewrite the config with another port."""
        if not (fresh and attempt < 2 and self._exited()):
            return False
        if "Address already in use" not in self.log_tail(200):
            return False
        (self.workdir / CONFIG_FILE).unlink()
        self._end_stop()
        return True

    def _fail(self, started: float) -> NoReturn:
        status = "exited with code %s" % (self._process.returncode if self._process else "?")
        if not self._exited():
            status = f"did not answer {self._versions_url()} within {self.startup_timeout:.0f} s"
            self.kill()
        self._end_stop()
        raise SynapseStartError(
            f"Synapse {status} after {time.monotonic() - started:.1f} s "
            f"(workdir {self.workdir})\n{self.log_tail()}"
        )

    def _signal(self, signum: signal.Signals) -> None:
        if self._process is not None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self._process.pid, signum)

    def _begin_stop(self) -> subprocess.Popen[bytes] | None:
        if self._process is None or self._process.poll() is not None:
            self._end_stop()
            return None
        self._signal(signal.SIGTERM)
        if self._paused:  # a stopped process handles SIGTERM only once continued
            self._signal(signal.SIGCONT)
        return self._process

    def _end_stop(self) -> None:
        self._paused = False
        _running.discard(self)


async def nio_client(
    user: RegisteredUser,
    store_dir: Path,
    *,
    config: nio.AsyncClientConfig | None = None,
    upload_keys: bool = True,
) -> nio.AsyncClient:
    """A nio client logged in as `user` (restore_login), with an E2E store in `store_dir`.

    The default config enables encryption, stores sync tokens and sets
    max_limit_exceeded=0: a 429 comes back as an error response instead of being retried
    silently (which looks like a hang). With `upload_keys`, the device keys and one-time keys
    are uploaded, so other clients can start Olm sessions with this device at once.
    The caller closes the client (``await client.close()``).
    """
    import nio

    await asyncio.to_thread(store_dir.mkdir, parents=True, exist_ok=True)
    if config is None:
        config = nio.AsyncClientConfig(
            encryption_enabled=True, store_sync_tokens=True, max_limit_exceeded=0
        )
    client = nio.AsyncClient(
        user.homeserver,
        user.user_id,
        device_id=user.device_id,
        store_path=str(store_dir),
        config=config,
    )
    client.restore_login(user.user_id, user.device_id, user.access_token)
    if upload_keys and client.should_upload_keys:
        response = await client.keys_upload()
        if not isinstance(response, nio.KeysUploadResponse):
            await client.close()
            raise RuntimeError(f"keys_upload for {user.user_id} failed: {response}")
    return client
