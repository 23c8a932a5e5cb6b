"""The fuzz run: the real Engine on a real store, driven by `Inputs` as the sample
organisation's requesters, agents, leads and complaint managers, in DMs and team channels.

It counts (`Figures`) what must stay zero: exceptions that escape `Engine.handle`,
addressed messages (a DM, a command or a button press) that leave no notice in the outbox,
and the internal-error apology (the engine caught something it should not have met).
"""

from __future__ import annotations

import logging
import random
import time
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.conversation.engine import Engine
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Inbound, Notice
from dialogs.commands import is_command
from storage.models import OutboxRow
from tests.fuzz.figures import ErrorLog, Figures
from tests.fuzz.inputs import Inputs, Offers
from tests.harness import Harness

ROLES = {"requester": 0.45, "agent": 0.25, "lead": 0.15, "complaint_manager": 0.15}
REQUESTERS = ["schule.sonne", "kita.mond", "f4.stern", "lieferant.holz", "neu.1", "neu.2"]
FILED = ["haushalt", "kreditoren.mahnung", "srm.bestellung", "beschwerde", "elkabu", "sonstiges"]
FILE_EVERY = 250  # messages: a fresh request keeps staff commands on live tickets
PAUSES = [1, 5, 20, 60, 600]  # seconds between messages; now and then past the dialog timeout


class Fuzz:
    """One seeded run against one store."""

    def __init__(
        self,
        config: OrgConfig,
        sessions: async_sessionmaker[AsyncSession],
        clock: FrozenClock,
        seed: int,
    ) -> None:
        self.config, self.sessions, self.clock = config, sessions, clock
        self.engine = Engine(config, sessions, clock)
        self.rng = random.Random(seed)
        self.inputs = Inputs(config, self.rng)
        self.offers = Offers()
        self.seed = seed
        self.apologies = {t("error.internal", "de"), t("error.internal", "en")}
        self.people = self._people()
        self.last_id = 0

    def _people(self) -> dict[str, list[tuple[str, str | None]]]:
        """role -> (local user id, their team channel or None)."""
        managers = set(self.config.roles.complaint_managers)
        found: dict[str, list[tuple[str, str | None]]] = {role: [] for role in ROLES}
        found["requester"] = [(user, None) for user in REQUESTERS]
        for team in self.config.teams:
            channel = team.channels.get("local")
            for person in team.members:
                user = person.platform_ids.get("local")
                if user is None:
                    continue
                role = "complaint_manager" if person.id in managers else "agent"
                role = "lead" if person.id in team.leads and role == "agent" else role
                found[role].append((user, channel))
        return found

    async def run(self, messages: int) -> Figures:
        figures = Figures()
        handler = ErrorLog(figures.logged_errors)
        logging.getLogger().addHandler(handler)
        started = time.perf_counter()
        try:
            for number in range(messages):
                if number % FILE_EVERY == 0:
                    await self._file_request(number // FILE_EVERY)
                await self._one(number, figures)
        finally:
            logging.getLogger().removeHandler(handler)
        figures.seconds = time.perf_counter() - started
        figures.tickets = self.inputs.tickets
        return figures

    async def _one(self, number: int, figures: Figures) -> None:
        role = self.rng.choices(list(ROLES), weights=list(ROLES.values()))[0]
        user, channel = self.rng.choice(self.people[role])
        in_channel = channel is not None and self.rng.random() < 0.3
        inbound, kind = self._inbound(number, user, channel if in_channel else None)
        figures.messages += 1
        figures.kinds[kind] += 1
        figures.roles[role] += 1
        pause = 1900 if self.rng.random() < 0.02 else self.rng.choice(PAUSES)
        self.clock.advance(timedelta(seconds=pause))
        try:
            handled = await self.engine.handle(inbound)
        except Exception as error:  # what the fuzz is here to find
            figures.escaped[type(error).__name__] += 1
            return
        new = await self._new_rows()
        figures.notices += len(new)
        figures.internal_errors += sum(notice.text in self.apologies for _, notice in new)
        addressed = inbound.is_direct or is_command(inbound.text) or bool(inbound.action_id)
        if handled and addressed and not new:
            said = inbound.action_id or inbound.text
            where = "dm" if inbound.is_direct else "channel"
            figures.unanswered.append(f"{role} {where} {kind} {said[:60]!r}")

    async def _file_request(self, index: int) -> None:
        """A new requester walks a whole intake (not counted: the fuzz's own set-up; a new
        one, as the fuzzed ones may be anywhere in a dialog), then joins the fuzzed ones."""
        harness = Harness(self.config, self.sessions, self.clock)
        user = f"filer.{index}"
        number = await harness.file_request(user, topic=FILED[index % len(FILED)])
        self.inputs.tickets = max(self.inputs.tickets, number)
        self.people["requester"].append((user, None))
        await self._new_rows()

    def _inbound(self, number: int, user: str, channel: str | None) -> tuple[Inbound, str]:
        pick = self.rng.random()
        text, action, kind = "", None, "text"
        if pick < 0.35:
            text = self.inputs.text()
        elif pick < 0.65:
            text, kind = self.inputs.command(), "command"
        else:
            kind, action = self.inputs.button(
                f"channel:{channel}" if channel else user, self.offers
            )
            kind = f"button:{kind}"
        inbound = Inbound(
            platform="local",
            conversation_id=f"channel:{channel}" if channel else f"user:{user}",
            user_id=user,
            event_id=f"fuzz-{self.seed}-{number}",
            text=text,
            action_id=action,
            locale=self.rng.choice(["de", "de", "en", "en-GB", "fr", ""]),
            is_direct=channel is None,
            display_name=self.rng.choice([None, user.title(), "N" * 300]),
            channel_id=channel,
        )
        return inbound, kind

    async def _new_rows(self) -> list[tuple[str, Notice]]:
        """The outbox rows written by the last turn; their buttons become offers."""
        async with self.sessions() as session:
            rows = (
                await session.scalars(
                    select(OutboxRow).where(OutboxRow.id > self.last_id).order_by(OutboxRow.id)
                )
            ).all()
            if not rows:
                return []
        self.last_id = rows[-1].id
        found = []
        for row in rows:
            notice = Notice.from_json(row.payload)
            key = (
                row.target_address if row.target_kind == "user" else f"channel:{row.target_address}"
            )
            self.offers.offer(key, [choice.id for choice in notice.choices])
            if notice.ticket_id is not None:
                self.inputs.tickets = max(self.inputs.tickets, notice.ticket_id)
            found.append((key, notice))
        return found
