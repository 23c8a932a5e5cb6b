"""`hotline-bot shell`: a terminal chat with the hotline, as a requester, an agent or a lead.

Interactive on a terminal (new messages appear while you type); with piped input it reads
one message per line and prints the answers, so it can be scripted. What a user has read is
remembered in the database, so messages that arrived while the shell was closed show up
at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import re
import sys
import tempfile
from dataclasses import replace
from datetime import datetime
from pathlib import Path
from typing import Protocol, TextIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.local.parse import PLATFORM, channel_conversation, dm_conversation, parse_line
from adapters.local.render import render_text, save_file
from bot.config.model import OrgConfig
from bot.delivery import OutboxSender
from bot.i18n import t
from bot.kernel.clock import Clock, SystemClock
from bot.kernel.notices import Inbound, Notice
from storage.models import LocalTypedRow
from storage.outage import is_unavailable
from storage.repositories import local_chat

POLL_SECONDS = 1.0
log = logging.getLogger(__name__)


class Engine(Protocol):
    """What the shell needs of the bot's engine (the adapter layer never imports it): a turn
    handler and the database it writes the answers to."""

    sessions: async_sessionmaker[AsyncSession]

    async def handle(self, inbound: Inbound) -> bool:
        """Handle one inbound message once; False for a duplicate."""
        ...


class Shell:
    """One user's terminal session."""

    def __init__(
        self,
        *,
        user_id: str,
        display_name: str | None,
        locale: str,
        config: OrgConfig,
        engine: Engine,
        sender: OutboxSender,
        out: TextIO = sys.stdout,
        clock: Clock | None = None,
    ) -> None:
        self.user_id = user_id
        self.clock: Clock = clock or SystemClock()
        self.display_name = display_name
        self.locale = locale  # "" tells the core no language: the first message decides
        self.engine = engine
        self.sender = sender
        self.out = out
        self.color = out.isatty()
        self._showing = asyncio.Lock()  # the poller and a typed line must not print twice
        self._unsent: list[Inbound] = []  # typed while the database could not take them
        self._sending = asyncio.Lock()
        channels = [
            t.channels["local"] for t in config.teams_of("local", user_id) if "local" in t.channels
        ]
        self.conversations = [dm_conversation(user_id)] + [
            channel_conversation(c) for c in channels
        ]

    async def say(self, line: str) -> None:
        """Send one typed line to the hotline and show whatever arrives.

        The line is journalled with its event id before its turn runs and forgotten once
        the turn is handled, so a shell killed in between sends it again at its next start
        (the engine drops it if the turn had committed): nothing lost, nothing doubled. If
        the database cannot take the line at all, it waits in memory, in order, and goes
        out with the next line or poll."""
        inbound = parse_line(
            line, user_id=self.user_id, display_name=self.display_name, locale=self.locale
        )
        if inbound is not None:
            self._unsent.append(inbound)
        await self.exchange()

    async def exchange(self) -> None:
        """Send what waits and show what arrived. If the database is gone, say that the
        typed lines are kept (never a stack trace)."""
        try:
            await self.send_waiting()
            await self.show_new()
        except Exception as error:
            if is_unavailable(error):
                log.warning("database unavailable: %d typed lines wait", len(self._unsent))
            else:
                log.exception("local chat turn failed")
            if self._unsent:
                self._print(Notice(text=t("local.kept", self.locale)), None)

    async def finish(self) -> None:
        """The input has ended: lines still waiting for the database go out once it is back
        (tried every POLL_SECONDS), with their answers; ending the input never drops one."""
        while self._unsent:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await self.send_waiting()
                await self.show_new()
            except Exception as error:
                if not is_unavailable(error):
                    log.exception("local chat turn failed; %d lines not sent", len(self._unsent))
                    return

    async def send_waiting(self) -> int:
        """Send what waits: lines journalled by an earlier run of this user's shell (killed
        mid-turn), then lines typed while the database was away. Returns how many went.
        One round at a time: the poller and a typed line must not send the same line."""
        async with self._sending:
            sent = 0
            async with self.engine.sessions() as session:  # read, let go before the turns
                journalled = [
                    _inbound_of(row)
                    for row in await local_chat.typed_waiting(session, user_id=self.user_id)
                ]
            for inbound in journalled:
                await self._handle(inbound, journalled=True)
                sent += 1
            while self._unsent:
                await self._handle(self._unsent[0], journalled=False)
                self._unsent.pop(0)
                sent += 1
            return sent

    async def _handle(self, inbound: Inbound, *, journalled: bool) -> None:
        if not journalled:
            async with self.engine.sessions() as session, session.begin():
                await local_chat.keep_typed(session, typed_row(inbound, self.clock.now()))
        await self.engine.handle(inbound)  # a duplicate (already handled) returns False
        async with self.engine.sessions() as session, session.begin():
            await local_chat.forget_typed(session, event_id=inbound.event_id)

    async def show_new(self) -> int:
        """Deliver due local notices and print the unseen ones for this user; returns the count."""
        async with self._showing:
            return await self._show_new()

    async def _show_new(self) -> int:
        await self.sender.deliver_due()
        async with self.engine.sessions() as session, session.begin():
            cursor = await local_chat.get_cursor(session, user_id=self.user_id)
            rows = await local_chat.messages_after(
                session, conversations=self.conversations, after_id=cursor
            )
            for row in rows:
                channel = (
                    row.conversation.removeprefix("channel:")
                    if row.conversation.startswith("channel:")
                    else None
                )
                self._print(Notice.from_json(row.payload), channel)
            if rows:
                await local_chat.set_cursor(
                    session, user_id=self.user_id, last_message_id=rows[-1].id
                )
        return len(rows)

    @property
    def _files(self) -> Path:
        """Where this user's files (an appointment's .ics) are saved."""
        return Path(tempfile.gettempdir()) / "hotline-files" / re.sub(r"[^\w.-]", "_", self.user_id)

    def _print(self, notice: Notice, channel: str | None) -> None:
        marker = "🤖 " if channel is None else ""
        self.out.write(marker + render_text(notice, channel=channel, color=self.color) + "\n")
        saved = save_file(notice, self._files)
        self.out.write(f"  -> {saved}\n\n" if saved is not None else "\n")
        self.out.flush()

    async def run_script(self, lines: TextIO) -> None:
        """Non-interactive mode: one message per input line."""
        await self.exchange()
        for line in lines:
            if line.strip():
                self.out.write(f"> {line.strip()}\n")
            await self.say(line)
        await self.finish()

    async def run_interactive(self) -> None:
        """Terminal mode: read lines while polling for new messages."""
        self.out.write(
            f"Hotline-Chat als {self.user_id}. Beenden mit Strg+D. /hilfe zeigt die Befehle.\n\n"
        )
        await self.exchange()
        poller = asyncio.create_task(self._poll())
        loop = asyncio.get_running_loop()
        try:
            while True:
                line = await loop.run_in_executor(None, _read_line)
                if line is None:
                    break
                await self.say(line)
        finally:
            poller.cancel()
        await self.finish()

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                await self.send_waiting()
                shown = await self.show_new()
            except Exception:  # keep polling; the next round may work again
                log.exception("polling the local chat failed")
                continue
            if shown:
                self.out.write("> ")  # the input prompt was pushed up by the new messages
                self.out.flush()


def typed_row(inbound: Inbound, at: datetime) -> LocalTypedRow:
    """The journal row of a line about to be sent."""
    return LocalTypedRow(
        event_id=inbound.event_id,
        user_id=inbound.user_id,
        text=inbound.text,
        locale=inbound.locale,
        display_name=inbound.display_name,
        typed_at=at,
    )


def _inbound_of(row: LocalTypedRow) -> Inbound:
    """The journalled line as it was first sent: same event id, same text."""
    return replace(
        parse_line(row.text, user_id=row.user_id, display_name=row.display_name, locale=row.locale)
        or Inbound(PLATFORM, dm_conversation(row.user_id), row.user_id, row.event_id),
        event_id=row.event_id,
    )


def _read_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None
