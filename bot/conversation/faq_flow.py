"""/faq and /faqpruefen, the review card's buttons, and the runner of the edit dialog.

`/faq N [question]` (and the resolved card's "Als FAQ vorschlagen", a 📖 reaction in
Matrix) proposes ticket N's answer; `/faqpruefen` lists what waits, `/faqpruefen N`
shows one, `/faqpruefen N annehmen|ändern|ablehnen` (and the review card's buttons,
"faq_review:7:accept") decides.
Both work in a team channel, so they are ordinary commands (`FaqCommands.handlers`), not a
flow's. "Ändern" runs a short dialog (dialogs/faq_edit.py) in the reviewer's direct chat,
kept in its dialog slot like the phone note, so "abbrechen", /abbrechen, expiry and stale
buttons behave as in every other dialog; pressed in the channel, it answers privately with
the button that starts it there.
"""

from __future__ import annotations

from dataclasses import replace

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.command_table import Handler
from bot.conversation.followup import QUIET_DIALOGS
from bot.conversation.turn import Turn
from bot.i18n import t
from bot.kernel.actions import button
from bot.kernel.clock import Clock
from bot.kernel.notices import Choice, Notice
from bot.service.actors import Actor
from bot.service.faq import REVIEW, VERDICTS, FaqService, ProposalNotFound
from dialogs import faq_edit as dialog
from dialogs.commands import Command
from dialogs.intake_prompts import Context
from storage.repositories import faq as repo
from storage.repositories.dialog_states import (
    ConversationKey,
    clear_dialog,
    load_dialog,
    save_dialog,
)

FAQ_EDIT = "faq_edit"


class FaqCommands:
    """The handlers of /faq and /faqpruefen (their rows of the command table)."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.service = FaqService(config, clock)

    def handlers(self) -> dict[str, Handler]:
        """This module's rows of the command table."""
        return {"faq": self.propose, "faq_review": self.review}

    async def propose(self, turn: Turn, command: Command) -> list[Notice]:
        """/faq N [question]: ticket N's answer goes to Team BK for review."""
        if command.ticket_id is None:
            raise ValueError("faq needs a ticket number")
        row, new = await self.service.propose(
            turn.session, ticket_id=command.ticket_id, actor=turn.actor, question=command.text
        )
        key = "faq.proposed" if new else "faq.already_proposed"
        text = t(key, turn.actor.locale, id=row.id, ticket=command.ticket_id)
        return [Notice(text=text, ticket_id=command.ticket_id, channel_safe=False)]

    async def review(self, turn: Turn, command: Command) -> list[Notice]:
        """/faqpruefen [N annehmen|ändern|ablehnen], or a review card's button."""
        actor, session = turn.actor, turn.session
        number, word = _number_and_word(command)
        if number is None and not word:
            return [await self.service.waiting(session, actor)]
        self.service.reviewer(actor)
        if number is not None and not word:  # "/faqpruefen 7": the card, to decide on
            row = await self.service.get(session, number)
            shown = replace(self.service.review_card(row), card=None, channel_safe=False)
            return [shown]
        verdict = VERDICTS.get(word.casefold())
        if verdict is None or number is None:
            usage = t("usage.faq_review", actor.locale, cmd=f"{command.prefix}faqpruefen")
            return [Notice(text=t("faq.bad_verdict", actor.locale, usage=usage))]
        if verdict != "edit":
            accept = verdict == "accept"
            return [await self.service.decide(session, entry=number, actor=actor, accept=accept)]
        row = await self.service.get(session, number)
        if row.status != repo.PROPOSED:
            return [self.service.decided(row, actor.locale)]
        if not turn.inbound.is_direct:  # the dialog runs in the direct chat: one press there
            here = Choice(button(REVIEW, row.id, "edit"), t("faq.edit", actor.locale))
            text = t("faq.edit_in_direct", actor.locale, id=row.id)
            return [Notice(text=text, choices=(here,), channel_safe=False)]
        stored = await load_dialog(session, key=turn.key)
        now, timeout = self.clock.now(), self.config.dialogs.timeout
        busy = stored is not None and stored.dialog not in QUIET_DIALOGS | {FAQ_EDIT}
        if busy and stored is not None and not stored.expired(now, timeout):
            return [Notice(text=t("faq.finish_dialog_first", actor.locale))]
        ctx = Context(self.config, actor.locale)
        started = dialog.start(row.id, row.question, row.answer, tuple(row.groups), ctx)
        seen = None if stored is None else stored.version
        return await carry_out(self.service, session, turn.key, actor, seen, started)


class FaqFlow:
    """The edit dialog's answers in the reviewer's direct chat (no commands of its own)."""

    commands: frozenset[str] = frozenset()
    dialogs = frozenset({FAQ_EDIT})

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.service = FaqService(config, clock)

    async def command(
        self, session: AsyncSession, command: Command, key: ConversationKey, actor: Actor
    ) -> list[Notice]:
        """Never called: the flow has no commands (FaqCommands has them)."""
        raise ValueError(f"the FAQ flow has no command {command.name}")

    async def turn(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        """The next answer of an edit in progress (typed or a button); None otherwise."""
        stored = await load_dialog(session, key=key)
        if stored is None or stored.dialog != FAQ_EDIT:
            return None
        if stored.expired(self.clock.now(), self.config.dialogs.timeout):
            return None  # left too long: expired like every dialog
        if action_id is not None and not dialog.is_faq_action(action_id):
            return None  # another conversation's button
        draft = dialog.FaqDraft.from_state(stored.state)
        if draft is None:
            await clear_dialog(session, key=key)
            return None
        ctx = Context(self.config, actor.locale)
        result = dialog.step(draft, dialog.FaqInput(text=text, action_id=action_id), ctx)
        return await carry_out(self.service, session, key, actor, stored.version, result)


async def carry_out(
    service: FaqService,
    session: AsyncSession,
    key: ConversationKey,
    actor: Actor,
    seen: int | None,
    result: dialog.FaqStep,
) -> list[Notice]:
    """Save the step's draft (compare-and-set) and accept the proposal when it says so."""
    if result.draft is None:
        await clear_dialog(session, key=key)
    else:
        await save_dialog(
            session,
            key=key,
            seen_version=seen,
            dialog=FAQ_EDIT,
            state=result.draft.to_state(),
            at=service.clock.now(),
        )
    effect = result.effect
    if effect is None:
        return list(result.notices)
    try:
        decided = await service.decide(
            session,
            entry=effect.entry,
            actor=actor,
            accept=True,
            question=effect.question,
            answer=effect.answer,
            groups=effect.groups,
        )
    except ProposalNotFound:  # erased meanwhile: nothing to accept
        decided = Notice(text=t("faq.not_found", actor.locale, id=effect.entry))
    return [*result.notices, decided]


def _number_and_word(command: Command) -> tuple[int | None, str]:
    """ "7 annehmen" typed, or "7 accept" from a review card's button."""
    head, _, rest = command.text.strip().partition(" ")
    number = head.lstrip("#")
    if not number.isdecimal() or len(number) > 18:
        return None, command.text.strip()
    return int(number), rest.strip()
