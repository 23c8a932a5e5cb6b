"""The inbound pipeline: dedupe, hand the turn to the router, answer through the outbox.

One inbound event is one transaction: the dedupe row, the dialog state (compare-and-set),
the ticket changes and every answer commit together, or not at all. Where a message goes
is decided in one place, `bot.conversation.router`.
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Callable
from dataclasses import replace

from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.conversation.command_handlers import CommandHandlers
from bot.conversation.command_runner import CommandRunner, Turn
from bot.conversation.dialog_prompts import Chat, record_questions, slot_version
from bot.conversation.flows import Flow, build_flows
from bot.conversation.intake_runner import IntakeRunner
from bot.conversation.replies import ReplyFlow
from bot.conversation.router import Router
from bot.conversation.threads import threaded
from bot.conversation.welcome import welcome_key, welcome_notice
from bot.domain.errors import ConcurrentUpdate
from bot.i18n import (
    GUESSED_PREFIX,
    PLATFORM_LOCALE,
    chosen_locale,
    guessed_locale,
    normalise_locale,
    t,
)
from bot.i18n.detect import guess_language
from bot.kernel import limits
from bot.kernel.clock import Clock
from bot.kernel.notices import Inbound, Notice, Outgoing, Target
from bot.kernel.observe import SILENT, Observer, TurnOutcome
from bot.service import notify
from bot.service.actors import Actor
from bot.service.tickets import TicketService
from dialogs.commands import is_command
from storage.outage import StoreUnavailable, is_unavailable
from storage.repositories import audit, outbox
from storage.repositories import inbound as inbound_repo
from storage.repositories.dialog_states import ConversationKey
from storage.repositories.profiles import StoredProfile, load_profile, save_profile

log = logging.getLogger(__name__)
MAX_RACE_RETRIES = 3
REPLY_WAIT_SECONDS = 5.0  # with `replies_in_turn`: Teams waits 15 s for a turn's answer


class Engine:
    """Turns inbound messages into ticket changes and answers."""

    def __init__(
        self,
        config: OrgConfig,
        sessions: async_sessionmaker[AsyncSession],
        clock: Clock,
        on_outbox: Callable[[], None] = lambda: None,
        observer: Observer = SILENT,
    ) -> None:
        self.observer = observer
        self.sessions = sessions
        self.clock = clock
        # A manual wake-up of the sender (tests): every commit that writes outbox rows wakes
        # it by itself, and a turn's replies are sent at once (storage outbox_wake.py).
        self.on_outbox = on_outbox
        # The platforms whose `handle` returns only once the turn's replies were sent (or
        # left to the sender's round); on the others they go out beside the acknowledgement.
        self.replies_in_turn: frozenset[str] = frozenset()
        self.reconfigure(config)

    def reconfigure(self, config: OrgConfig) -> None:
        """Build every config-derived part anew and swap them in at once (a config reload,
        bot/reload.py). Nothing awaits in here, so no turn sees half of it; a turn already
        running keeps the config and router it took at its start."""
        clock = self.clock
        service = TicketService(config, clock)
        commands = CommandHandlers(config, service, clock)
        intake = IntakeRunner(config, service, clock)
        replies = ReplyFlow(config, service, clock)
        flows: list[Flow] = [*build_flows(config, clock), replies]
        runner = CommandRunner(config, clock, service, commands, intake, replies, flows)
        self.config = config
        self.service, self.commands, self.intake, self.replies = service, commands, intake, replies
        self.flows = flows
        self.router = Router(config, clock, runner)

    async def handle(self, inbound: Inbound) -> bool:
        """Process one inbound event exactly once; False if it was a duplicate, or not a
        platform's (an id longer than any platform gives: dropped alike on every store;
        the other fields are made to fit, see `bot.kernel.limits`).

        Raises StoreUnavailable, and apologises for nothing, when the database cannot be
        reached: the event is not handled, and the adapter keeps it for later."""
        started = time.perf_counter()
        outcome: TurnOutcome = "store_unavailable"
        try:
            handled, outcome = await self._handle(inbound)
            return handled
        finally:
            self.observer.turn(inbound.platform, outcome, time.perf_counter() - started)

    async def _handle(self, inbound: Inbound) -> tuple[bool, TurnOutcome]:
        too_long = oversized_ids(inbound)
        if too_long:
            log.warning("dropped a %s event: %s too long", inbound.platform, ", ".join(too_long))
            return False, "dropped"
        inbound = replace(
            inbound,
            text=clean_text(inbound.text),
            display_name=limits.cut("display_name", inbound.display_name),
        )
        for _attempt in range(MAX_RACE_RETRIES):
            try:
                sending: list[outbox.Commit] = []
                handled = await self._handle_once(inbound, sending)
                if inbound.platform in self.replies_in_turn:
                    await replies_sent(sending)
                outcome: TurnOutcome = "handled" if handled else "duplicate"
            except (ConcurrentUpdate, IntegrityError):
                log.info("lost a race on %s/%s, retrying", inbound.platform, inbound.event_id)
                continue
            except Exception as error:
                if is_unavailable(error):  # not handled, not apologised for: keep it
                    raise StoreUnavailable(inbound.event_id) from error
                log.exception("inbound %s/%s failed", inbound.platform, inbound.event_id)
                handled, outcome = await self._apologise(inbound), "apologised"
            return handled, outcome
        return await self._apologise(inbound), "apologised"

    async def _handle_once(self, inbound: Inbound, sending: list[outbox.Commit]) -> bool:
        """One attempt at the turn; its replies' commit note goes into `sending`."""
        config, router = self.config, self.router  # one config for the whole turn
        async with self.sessions() as session, session.begin():
            now = self.clock.now()
            if inbound.kind == "joined":
                return await self._welcome(session, inbound, sending)
            if not await self._first_time(session, inbound):
                return False
            actor, profile = await self._requester(session, inbound)
            limit = config.dialogs.max_message_length
            addressed_to_bot = inbound.is_direct or is_command(inbound.text)
            if len(inbound.text) > limit and addressed_to_bot:
                answers = [
                    Notice(
                        text=t(
                            "message.too_long", actor.locale, length=len(inbound.text), limit=limit
                        )
                    )
                ]
            else:
                key = conversation_key(inbound)
                chat = Chat(key, inbound.is_direct)
                before = await slot_version(session, chat)
                answers = await router.route(Turn(session, inbound, actor, profile, key))
                lasts = config.dialogs.timeout
                answers = await record_questions(
                    session, chat, answers, before=before, now=now, lasts=lasts
                )
            answers = [threaded(config, inbound, n, actor.locale) for n in answers]
            await notify.send(session, addressed(inbound, answers), at=now)
            sending.append(outbox.express(session))  # sent as soon as this commits
            return True

    async def _first_time(self, session: AsyncSession, inbound: Inbound) -> bool:
        return await inbound_repo.remember_event(
            session,
            platform=inbound.platform,
            event_id=inbound.event_id,
            received_at=self.clock.now(),
        )

    async def _welcome(
        self, session: AsyncSession, inbound: Inbound, sending: list[outbox.Commit]
    ) -> bool:
        """The bot was added to a conversation: greet it once (see bot/conversation/welcome.py)."""
        welcome = replace(inbound, event_id=welcome_key(inbound))
        if not await self._first_time(session, welcome):
            return False
        actor, profile = await self._requester(session, inbound)
        known = bool(inbound.locale) or (profile is not None and profile.locale != PLATFORM_LOCALE)
        notice = welcome_notice(actor.locale, direct=inbound.is_direct, locale_known=known)
        await notify.send(session, addressed(inbound, [notice]), at=self.clock.now())
        sending.append(outbox.express(session))
        return True

    async def _apologise(self, inbound: Inbound) -> bool:
        """Something broke: keep the message in the audit log and tell the user, never a trace."""
        try:
            async with self.sessions() as session, session.begin():
                if not await self._first_time(session, inbound):
                    return False
                actor, _profile = await self._requester(session, inbound)
                await audit.audit(
                    session,
                    at=self.clock.now(),
                    platform=inbound.platform,
                    user_id=inbound.user_id,
                    action="inbound_failed",
                    detail={
                        "event_id": inbound.event_id,
                        "text": inbound.text,
                        "action_id": inbound.action_id,
                    },
                )
                notice = Notice(text=t("error.internal", actor.locale))
                await notify.send(session, addressed(inbound, [notice]), at=self.clock.now())
                outbox.express(session)
        except Exception as error:
            if is_unavailable(error):
                raise StoreUnavailable(inbound.event_id) from error
            log.exception(
                "could not even apologise for %s; the platform may redeliver", inbound.event_id
            )
            raise
        return True

    async def _requester(
        self, session: AsyncSession, inbound: Inbound
    ) -> tuple[Actor, StoredProfile | None]:
        """Who wrote, and their profile as stored: read once per turn, handed on from here."""
        profile = await load_profile(session, platform=inbound.platform, user_id=inbound.user_id)
        stored = profile.locale if profile else None
        chosen = chosen_locale(stored) or (None if inbound.locale else guessed_locale(stored))
        if chosen is None and not inbound.locale and inbound.kind == "message":
            chosen = await self._guess(session, inbound, profile)
        # /sprache wins, else the platform's language, else the one the first message showed
        locale = normalise_locale(chosen or inbound.locale)
        name = inbound.display_name or None
        return Actor(inbound.platform, inbound.user_id, name, locale), profile

    async def _guess(
        self, session: AsyncSession, inbound: Inbound, profile: StoredProfile | None
    ) -> str | None:
        """The platform gives no language: the first message that shows one decides, and is
        remembered (not as a choice: /sprache still wins, and a platform locale too)."""
        guess = guess_language(inbound.text)
        if guess is not None:
            await save_profile(
                session,
                platform=inbound.platform,
                user_id=inbound.user_id,
                at=self.clock.now(),
                locale=GUESSED_PREFIX + guess,
            )
        return guess


async def replies_sent(sending: list[outbox.Commit]) -> None:
    """Until the turn's replies were sent at once (or left to the sender's round), at most
    REPLY_WAIT_SECONDS (a platform redelivers a turn it waits too long for); the tasks exist
    once the transaction has committed, and go on when the wait ends."""
    tasks = [task for commit in sending for task in commit.sends]
    if tasks:
        await asyncio.wait(tasks, timeout=REPLY_WAIT_SECONDS)


def oversized_ids(inbound: Inbound) -> list[str]:
    """The names of the event's ids that no store column (and no platform) holds."""
    return limits.oversized_ids({name: getattr(inbound, name) for name in limits.INBOUND_IDS})


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def clean_text(text: str) -> str:
    """Drop control characters (NUL breaks PostgreSQL text) but keep tabs and line breaks."""
    return _CONTROL.sub("", text)


def conversation_key(inbound: Inbound) -> ConversationKey:
    """The explicit key a dialog state is stored under."""
    return ConversationKey(inbound.platform, inbound.conversation_id, inbound.user_id)


def reply_target(inbound: Inbound) -> Target:
    """Answers go back where the message came from: the DM or the team channel."""
    if inbound.is_direct:
        return Target(inbound.platform, "user", inbound.user_id)
    return Target(inbound.platform, "channel", inbound.channel_id or inbound.conversation_id)


def addressed(inbound: Inbound, answers: list[Notice]) -> list[Outgoing]:
    """Address answers; confidential ones asked for in a channel go to the asker's DM instead."""
    target = reply_target(inbound)
    direct = Target(inbound.platform, "user", inbound.user_id)
    return [Outgoing(target if notice.channel_safe else direct, notice) for notice in answers]
