"""`hotline-bot shell`: a terminal chat with the hotline, as a requester, an agent or a lead.

Interactive on a terminal (new messages appear while you type); with piped input it reads
one message per line and prints the answers, so it can be scripted. What a user has read is
remembered in the database, so messages that arrived while the shell was closed show up
at the next start.
"""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Protocol, TextIO

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.local.parse import channel_conversation, dm_conversation, parse_line
from adapters.local.render import render_text
from bot.config.model import OrgConfig
from bot.delivery import OutboxSender
from bot.i18n import t
from bot.kernel.notices import Inbound, Notice
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
    ) -> None:
        self.user_id = user_id
        self.display_name = display_name
        self.locale = locale
        self.engine = engine
        self.sender = sender
        self.out = out
        self.color = out.isatty()
        self._showing = asyncio.Lock()  # the poller and a typed line must not print twice
        channels = [
            t.channels["local"] for t in config.teams_of("local", user_id) if "local" in t.channels
        ]
        self.conversations = [dm_conversation(user_id)] + [
            channel_conversation(c) for c in channels
        ]

    async def say(self, line: str) -> None:
        """Send one typed line to the hotline and show whatever arrives."""
        inbound = parse_line(
            line, user_id=self.user_id, display_name=self.display_name, locale=self.locale
        )
        try:
            if inbound is not None:
                await self.engine.handle(inbound)
            await self.show_new()
        except Exception:  # e.g. the database is gone: say so, never a stack trace
            log.exception("local chat turn failed")
            self._print(Notice(text=t("error.internal", self.locale)), None)

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

    def _print(self, notice: Notice, channel: str | None) -> None:
        marker = "🤖 " if channel is None else ""
        self.out.write(marker + render_text(notice, channel=channel, color=self.color) + "\n\n")
        self.out.flush()

    async def run_script(self, lines: TextIO) -> None:
        """Non-interactive mode: one message per input line."""
        await self.show_new()
        for line in lines:
            if line.strip():
                self.out.write(f"> {line.strip()}\n")
            await self.say(line)

    async def run_interactive(self) -> None:
        """Terminal mode: read lines while polling for new messages."""
        self.out.write(
            f"Hotline-Chat als {self.user_id}. Beenden mit Strg+D. /hilfe zeigt die Befehle.\n\n"
        )
        await self.show_new()
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

    async def _poll(self) -> None:
        while True:
            await asyncio.sleep(POLL_SECONDS)
            try:
                shown = await self.show_new()
            except Exception:  # keep polling; the next round may work again
                log.exception("polling the local chat failed")
                continue
            if shown:
                self.out.write("> ")  # the input prompt was pushed up by the new messages
                self.out.flush()


def _read_line() -> str | None:
    try:
        return input("> ")
    except EOFError:
        return None
