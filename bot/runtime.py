"""Running the bot as a service: adapters receive, the scheduler sweeps deadlines, the outbox
sender delivers, until stopped."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal

from bot.app import App
from bot.delivery import OutboxSender
from bot.reload import reload_config
from storage.instance_id import claim_instance_id
from storage.outage import is_unavailable

log = logging.getLogger(__name__)
POLL_SECONDS = 1.0
STOP_GRACE_SECONDS = 30.0


async def deliver_forever(sender: OutboxSender, wake: asyncio.Event) -> None:
    """Deliver the outbox whenever woken or every second (retries, and the rows of other
    instances), until `sender.stopping` is set. Every commit that writes outbox rows in this
    process wakes it, and a turn's replies are sent at once beside it (`sender.listen`)."""
    sender.wake = wake.set
    stop_listening = sender.listen()
    try:
        while not sender.stopping:
            wake.clear()  # before the round: a commit during it runs the next one at once
            try:
                await sender.deliver_due()
            except Exception as error:  # the database may be briefly unreachable: keep going
                if is_unavailable(error):
                    log.warning("database unavailable; outbox delivery waits for it")
                else:
                    log.exception("outbox delivery round failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(wake.wait(), timeout=POLL_SECONDS)
    finally:
        stop_listening()


async def serve(app: App, stop: asyncio.Event | None = None) -> None:
    """Start every adapter and the outbox sender; return when `stop` is set (or on SIGTERM)."""
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.add_signal_handler(signum, stop.set)
    reloads = Reloads(app)
    with contextlib.suppress(NotImplementedError, RuntimeError):
        loop.add_signal_handler(signal.SIGHUP, reloads.request)
    identity = claim_instance_id(app.data_dir) if app.data_dir is not None else None
    if identity is not None:
        app.sender.take_identity(identity)
    wake = asyncio.Event()
    app.engine.on_outbox = wake.set
    app.jobs.sweeper.on_outbox = wake.set
    sender = asyncio.create_task(deliver_forever(app.sender, wake), name="outbox")
    heartbeat = asyncio.create_task(app.sender.beat_forever(), name="heartbeat")
    try:
        await start_ops(app)
        for name, adapter in app.adapters.items():
            log.info(
                "starting %s adapter", name, extra={"event": "adapter_starting", "platform": name}
            )
            await adapter.start(app.engine.handle)  # a setup error (bad token) ends here
        app.jobs.start()
        served = ", ".join(app.adapters)
        log.info("hotline serving %s", served, extra={"event": "bot_started", "platform": served})
        await stop.wait()
    finally:
        log.info("hotline stopping", extra={"event": "bot_stopping"})
        with contextlib.suppress(NotImplementedError, RuntimeError):
            loop.remove_signal_handler(signal.SIGHUP)
        await reloads.finish()
        if app.ops is not None:
            await app.ops.stop()
        await app.jobs.stop()
        await stop_delivery(app.sender, sender, wake)
        heartbeat.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await heartbeat
        await app.close()
        if identity is not None:
            identity.release()


class Reloads:
    """SIGHUP starts a config reload; signals arriving during one are folded into a single
    further reload, so the file read last is the file in force."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.task: asyncio.Task[None] | None = None
        self.again = False

    def request(self) -> None:
        """The signal handler: start a reload, or ask for one more after the running one."""
        if self.task is not None and not self.task.done():
            self.again = True
            return
        self.task = asyncio.create_task(self._run(), name="config-reload")

    async def _run(self) -> None:
        while True:
            self.again = False
            try:
                await reload_config(self.app, self.app.config_file)
            except Exception:  # never let a reload take the running bot down
                log.exception("config reload failed; the old config stays")
            if not self.again:
                return

    async def finish(self) -> None:
        """Let a reload in progress end before the parts it touches are closed."""
        if self.task is not None:
            with contextlib.suppress(Exception):
                await self.task


async def start_ops(app: App) -> None:
    """Serve health and metrics. A taken port is logged as an error, not fatal: the hotline
    itself matters more than its monitoring, and /readyz missing is an alert of its own."""
    if app.ops is None:
        return
    try:
        await app.ops.start()
    except OSError as error:
        log.error("health and metrics not served: %s", error, extra={"event": "ops_not_served"})


async def stop_delivery(
    sender: OutboxSender, task: asyncio.Task[None], wake: asyncio.Event
) -> None:
    """Let the sender finish the notice it is sending and hand back the rest of its batch;
    cancelling it mid-transaction could leave rows leased (and SQLite locked)."""
    sender.stopping = True
    wake.set()
    try:
        await asyncio.wait_for(asyncio.shield(task), timeout=STOP_GRACE_SECONDS)
    except (TimeoutError, asyncio.CancelledError):
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
    with contextlib.suppress(TimeoutError):  # a turn's replies being sent at once
        await asyncio.wait_for(sender.finish_express(), timeout=STOP_GRACE_SECONDS)
