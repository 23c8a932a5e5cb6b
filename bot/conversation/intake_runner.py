"""Runs one intake turn: load state, step (pure), carry out effects, save with compare-and-set.

Everything happens in the caller's transaction; the caller commits and only then do the
notices leave the outbox, so a lost race or a crash never sends an answer twice.
"""

from __future__ import annotations

import logging
from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.i18n import PLATFORM_LOCALE, t
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service.actors import Actor
from bot.service.faq import knowledge_for_turn
from bot.service.tickets import TicketService
from dialogs import intake_draft
from dialogs.intake import (
    OpenTicket,
    RecordAnswerFeedback,
    RecordProposal,
    RememberGroup,
    StepResult,
    UserInput,
    is_current,
    restart,
    start,
    start_with_topic,
    step,
)
from dialogs.intake_prompts import Context
from dialogs.intake_revisions import revise_description
from dialogs.intake_states import (
    AskDescription,
    AskHelped,
    AskSubtopic,
    AskTopic,
    IntakeState,
    PickAnswer,
    dump_state,
    load_state,
)
from storage.models import ProposalRow
from storage.repositories import proposals
from storage.repositories.dialog_states import (
    ConversationKey,
    StoredDialog,
    load_dialog,
    save_dialog,
)
from storage.repositories.profiles import StoredProfile, save_profile

log = logging.getLogger(__name__)
INTAKE = "intake"
IDLE = "idle"
# Stored next to the intake state until the description is asked for (intake_draft.py).
FIRST_MESSAGE, FIRST_EVENT = "first_message", "first_event"
Draft = tuple[str, str | None]
# The intake's questions whose answer may lead to (or name) a first-level answer.
KNOWLEDGE_STEPS = (AskTopic, AskSubtopic, PickAnswer, AskHelped)


def _carried(stored: StoredDialog | None) -> Draft | None:
    """The first message carried by the stored intake, if any."""
    data = stored.state if stored is not None else None
    text = data.get(FIRST_MESSAGE) if isinstance(data, dict) else None
    if not isinstance(text, str) or not isinstance(data, dict):
        return None
    event = data.get(FIRST_EVENT)
    return text, event if isinstance(event, str) else None


def _revised_draft(
    data: dict[str, object], state: IntakeState, event_id: str, text: str | None
) -> dict[str, object] | None:
    """The stored intake after the kept first message `event_id` was edited to `text` (None:
    deleted), whether still carried or already offered; None if it is not that message."""
    if isinstance(state, AskDescription) and state.draft is not None:
        if state.draft_event != event_id:
            return None
        kept = None if text is None else replace(state, draft=text.strip())
        return dump_state(kept or replace(state, draft=None, draft_event=None))
    if data.get(FIRST_EVENT) != event_id:
        return None
    rest = {k: v for k, v in data.items() if k not in (FIRST_MESSAGE, FIRST_EVENT)}
    return rest if text is None else {**rest, FIRST_MESSAGE: text.strip(), FIRST_EVENT: event_id}


def _offer_draft(
    result: StepResult, draft: Draft | None, ctx: Context
) -> tuple[StepResult, Draft | None]:
    """When the step asks for the description, offer the carried first message (and stop
    carrying it: the question's state holds it now); else keep carrying it."""
    state = result.state
    if draft is None or state is None:
        return result, None
    if not isinstance(state, AskDescription) or state.draft is not None or not result.notices:
        return result, draft
    held, ask = intake_draft.offer(state, result.notices[-1], draft[0], draft[1], ctx)
    return replace(result, state=held, notices=(*result.notices[:-1], ask)), None


class IntakeRunner:
    """Drives the intake dialog for one conversation at a time."""

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock

    async def active_state(self, session: AsyncSession, key: ConversationKey) -> IntakeState | None:
        """The running (not expired) intake state of this conversation, if any."""
        stored = await load_dialog(session, key=key)
        if stored is None or stored.dialog != INTAKE or self._expired(stored):
            return None
        return load_state(stored.state)

    async def turn(
        self,
        session: AsyncSession,
        *,
        key: ConversationKey,
        actor: Actor,
        profile: StoredProfile | None,
        user: UserInput,
        restart: bool = False,
        topic: str | None = None,
    ) -> list[Notice]:
        """Advance (or start, or jump to `topic`) the intake; returns the notices to answer with.

        `profile` is the requester's profile as the engine read it for this turn (None: new).
        """
        stored = await load_dialog(session, key=key)
        notices: list[Notice] = []
        state = None
        if stored is not None and stored.dialog == INTAKE and not restart and topic is None:
            if self._expired(stored):
                minutes = int(self.config.dialogs.timeout.total_seconds() // 60)
                notices.append(Notice(text=t("intake.expired", actor.locale, minutes=minutes)))
            else:
                state = load_state(stored.state)
        ctx = await self._context(session, actor, profile, state)
        draft = _carried(stored) if state is not None else None
        if state is None and topic is None and intake_draft.is_draft(user.text, user.action_id):
            draft = (user.text.strip(), user.event_id)  # the first message: kept, not lost
        result = self._advance(state, user, ctx, topic)
        result, draft = _offer_draft(result, draft, ctx)
        notices += result.notices
        notices += await self._apply_effects(session, result, actor, profile)
        dialog, data = (IDLE, {}) if result.state is None else (INTAKE, dump_state(result.state))
        if result.state is not None and draft is not None:
            data |= {FIRST_MESSAGE: draft[0], FIRST_EVENT: draft[1]}
        await save_dialog(
            session,
            key=key,
            seen_version=None if stored is None else stored.version,
            dialog=dialog,
            state=data,
            at=self.clock.now(),
        )
        return notices

    async def revise(
        self,
        session: AsyncSession,
        *,
        key: ConversationKey,
        actor: Actor,
        profile: StoredProfile | None,
        event_id: str,
        text: str | None,
    ) -> list[Notice] | None:
        """The message `event_id` was edited to `text` (None: deleted): the running intake
        follows if that message gave its description; None if it did not (or none runs)."""
        stored = await load_dialog(session, key=key)
        if stored is None or stored.dialog != INTAKE or self._expired(stored):
            return None
        state = load_state(stored.state)
        ctx = await self._context(session, actor, profile, state)
        result = None if state is None else revise_description(state, event_id, text, ctx)
        if result is None and state is not None:
            data = _revised_draft(stored.state, state, event_id, text)
            if data is not None:  # the first message, kept for later: follows quietly
                await save_dialog(
                    session,
                    key=key,
                    seen_version=stored.version,
                    dialog=INTAKE,
                    state=data,
                    at=self.clock.now(),
                )
                return []
        if result is None or result.state is None:
            return None
        await save_dialog(
            session,
            key=key,
            seen_version=stored.version,
            dialog=INTAKE,
            state=dump_state(result.state),
            at=self.clock.now(),
        )
        return list(result.notices)

    async def cancel(self, session: AsyncSession, *, key: ConversationKey) -> bool:
        """End a running intake; True if there was one."""
        stored = await load_dialog(session, key=key)
        if stored is None or stored.dialog != INTAKE:
            return False
        await save_dialog(
            session,
            key=key,
            seen_version=stored.version,
            dialog=IDLE,
            state={},
            at=self.clock.now(),
        )
        return True

    def _expired(self, stored: StoredDialog) -> bool:
        return stored.expired(self.clock.now(), self.config.dialogs.timeout)

    async def _context(
        self,
        session: AsyncSession,
        actor: Actor,
        profile: StoredProfile | None,
        state: IntakeState | None,
    ) -> Context:
        """The step's context: the config's first-level answers and those Team BK accepted
        (read every turn, so an accepted entry is offered at once) for the requester's group."""
        group = profile.customer_group_id if profile else None
        if group is not None and group not in {g.id for g in self.config.customer_groups}:
            group = None  # the configuration no longer knows it: ask again
        config = self.config
        if isinstance(state, KNOWLEDGE_STEPS):  # only these may show or name an answer
            chosen = getattr(state, "group", None) or group
            config = await knowledge_for_turn(session, config, chosen)
        return Context(config, actor.locale, group)

    def _advance(
        self, state: IntakeState | None, user: UserInput, ctx: Context, topic: str | None
    ) -> StepResult:
        try:
            if topic is not None:
                return start_with_topic(ctx, topic, user.text)
            if state is None:
                return start(ctx)
            if not is_current(state, ctx.config):
                return restart(ctx)  # a topic, FAQ entry or group it names was removed
            return step(state, user, ctx)
        except (LookupError, StopIteration):
            # The configuration changed under a running dialog in a way not checked above;
            # logged with its trace, because a bug (a missing catalogue key) looks the same.
            log.exception("intake state %s no longer fits the configuration: restarted", state)
            return restart(ctx)

    async def _apply_effects(
        self,
        session: AsyncSession,
        result: StepResult,
        actor: Actor,
        profile: StoredProfile | None,
    ) -> list[Notice]:
        notices: list[Notice] = []
        now = self.clock.now()
        for effect in result.effects:
            if isinstance(effect, RememberGroup):
                if _remembered(profile, effect.group, actor):
                    continue  # chosen again, nothing new to store
                await save_profile(
                    session,
                    platform=actor.platform,
                    user_id=actor.user_id,
                    at=now,
                    customer_group_id=effect.group,
                    # a new profile follows the platform's language; a chosen one stays
                    locale=PLATFORM_LOCALE if profile is None else None,
                    display_name=actor.display_name,
                )
            elif isinstance(effect, OpenTicket):
                await self.service.open_ticket(session, requester=actor, request=effect.request)
            elif isinstance(effect, RecordProposal):
                row = await proposals.add_proposal(
                    session,
                    row=ProposalRow(
                        kind=effect.kind,
                        text=effect.text,
                        topic_id=effect.topic,
                        customer_group_id=effect.group,
                        requester_platform=actor.platform,
                        requester_id=actor.user_id,
                        requester_name=actor.display_name,
                        created_at=now,
                        status="open",
                    ),
                )
                notices.append(
                    Notice(text=t(f"proposal.saved.{effect.kind}", actor.locale, id=row.id))
                )
            elif isinstance(effect, RecordAnswerFeedback):
                await proposals.record_answer_feedback(
                    session,
                    at=now,
                    platform=actor.platform,
                    user_id=actor.user_id,
                    topic_id=effect.topic,
                    customer_group_id=effect.group,
                    entry_id=effect.entry,
                    helped=effect.helped,
                )
        return notices


def _remembered(profile: StoredProfile | None, group: str, actor: Actor) -> bool:
    """The profile read this turn already holds this group and name (the language is stored
    only when chosen with /sprache: the engine's business, not the intake's)."""
    return (
        profile is not None
        and profile.customer_group_id == group
        and (actor.display_name is None or profile.display_name == actor.display_name)
    )
