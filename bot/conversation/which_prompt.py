""" "Wozu gehört Ihre Nachricht?": asked when a typed text may answer two open questions.

The case: a requester is in the middle of a dialog (writing a new request, a questionnaire,
a newsletter) when a team asks them something about another request. Their next text may
continue the dialog or answer the question back; neither "the dialog holds the chat" nor
"the newest question wins" is safe, so the bot asks, holding the text (as an open prompt of
kind "which", with the text) until the person picks:

- one of the tickets asked back since the dialog's latest step: the text becomes the
  answer to that question (`/antwort N Text`);
- "my current input": the text goes to the dialog as if typed now.

While the question is open, a number picks a line, "abbrechen" drops the held text (and
says so), and further text is added to it. A bare number never triggers the question (it
is a choice of the dialog's newest menu), nor does a word that controls the dialog.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.intake_runner import INTAKE
from bot.conversation.newsletter_flow import MENU, SEND
from bot.conversation.replies import quote
from bot.conversation.workshop_flow import FORM
from bot.domain.lifecycle import TicketStatus
from bot.i18n import t
from bot.kernel.actions import ButtonAction, button
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Notice
from bot.service.actors import Actor
from dialogs.control_words import is_back, is_cancel
from storage.models import OpenPromptRow
from storage.repositories import prompts
from storage.repositories import tickets as ticket_repo
from storage.repositories.dialog_states import StoredDialog

WHICH = "which"  # the open prompt's kind
VERB = "which"  # its buttons: which:reply:<ticket>@P, which:dialog@P
MAX_TICKETS = 5  # questions back offered at once (more: /antwort N Text)
MAX_HELD = 4000  # a held text grows by further messages up to this many characters
# The dialogs whose next text could as well be an answer to a question back. A rating's
# comment and a held reply are not among them: they already yield to a newer question back.
TAKES_TEXT = frozenset({INTAKE, FORM, MENU, SEND})


@dataclass(frozen=True)
class Pick:
    """What the person chose: the ticket whose question back the text answers, or (None)
    the running dialog."""

    ticket_id: int | None
    text: str


class WhichPrompt:
    """Opens, re-asks and reads the "Wozu gehört Ihre Nachricht?" question."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    async def asked_back_since(
        self, session: AsyncSession, actor: Actor, dialog: StoredDialog
    ) -> list[int]:
        """The requester's tickets asked back after the running dialog's latest step."""
        newer = await ticket_repo.asked_back_after(
            session,
            platform=actor.platform,
            requester_id=actor.user_id,
            status=TicketStatus.WAITING_FOR_CUSTOMER.value,
            moment=dialog.updated_at,
        )
        return newer[:MAX_TICKETS]

    @staticmethod
    def may_ask(text: str, dialog: StoredDialog | None) -> bool:
        """Whether typed `text` during `dialog` is a message that could belong elsewhere."""
        if dialog is None or dialog.dialog not in TAKES_TEXT or not text:
            return False
        bare = text.rstrip(".")
        return not (bare.isdecimal() or is_cancel(text) or is_back(text))

    async def ask(
        self, session: AsyncSession, actor: Actor, text: str, tickets: list[int]
    ) -> list[Notice]:
        """Hold `text` and ask where it belongs."""
        now = self.clock.now()
        prompt = await prompts.open_prompt(
            session,
            platform=actor.platform,
            user_id=actor.user_id,
            kind=WHICH,
            ticket_id=tickets[0],
            at=now,
            typed_until=now + self.config.dialogs.timeout,
            held_text=text[:MAX_HELD],
        )
        await session.flush()
        return [self._question(prompt, tickets, actor.locale)]

    async def open_one(self, session: AsyncSession, actor: Actor) -> OpenPromptRow | None:
        """The person's open "which" question a typed message may still answer."""
        prompt = await prompts.latest_open(
            session, platform=actor.platform, user_id=actor.user_id, kind=WHICH
        )
        if prompt is None or prompt.typed_until <= self.clock.now():
            return None
        return prompt

    async def typed(
        self,
        session: AsyncSession,
        actor: Actor,
        prompt: OpenPromptRow,
        text: str,
        tickets: list[int],
    ) -> Pick | list[Notice]:
        """A typed answer to the open question (offering `tickets`, then the dialog): a
        line's number picks it; "abbrechen" drops the held text; any other text is added to
        it and the question asked again."""
        loc = actor.locale
        bare = text.rstrip(".")
        if is_cancel(text):
            if not await self._close(session, prompt, "cancelled"):
                return [Notice(text=t("prompt.stale", loc), channel_safe=False)]
            held = literal(quote(prompt.held_text or ""))
            return [Notice(text=t("which.dropped", loc, text=held), channel_safe=False)]
        if bare.isdecimal() and len(bare) <= 3:
            lines = [*tickets, None]
            if not 1 <= int(bare) <= len(lines):
                return [Notice(text=t("which.range", loc, count=len(lines)), channel_safe=False)]
            return await self._picked(session, prompt, lines[int(bare) - 1], loc)
        held = f"{prompt.held_text or ''}\n{text}".strip()
        if len(held) > MAX_HELD:
            return [Notice(text=t("reply.held_full", loc), channel_safe=False)]
        prompt.held_text = held
        prompt.typed_until = self.clock.now() + self.config.dialogs.timeout
        await session.flush()
        return [self._question(prompt, tickets, loc)]

    async def pressed(
        self, session: AsyncSession, actor: Actor, prompt: OpenPromptRow, action: ButtonAction
    ) -> Pick | list[Notice]:
        """A button of the question: `which:reply:<ticket>` or `which:dialog`."""
        loc = actor.locale
        if action.verb != VERB or prompt.closed_at is not None:
            return [Notice(text=t("prompt.stale", loc), channel_safe=False)]
        number = action.arg(1) if action.arg(0) == "reply" else None
        if number is not None and not number.isdecimal():
            return [Notice(text=t("prompt.stale", loc), channel_safe=False)]
        return await self._picked(session, prompt, None if number is None else int(number), loc)

    async def _picked(
        self, session: AsyncSession, prompt: OpenPromptRow, ticket_id: int | None, loc: str
    ) -> Pick | list[Notice]:
        outcome = "dialog" if ticket_id is None else "reply"
        if not await self._close(session, prompt, outcome):
            return [Notice(text=t("prompt.stale", loc), channel_safe=False)]
        return Pick(ticket_id, prompt.held_text or "")

    async def _close(self, session: AsyncSession, prompt: OpenPromptRow, outcome: str) -> bool:
        """Compare-and-set: of two answers racing, the second finds it closed."""
        now = self.clock.now()
        closed = await prompts.close_prompt(session, prompt_id=prompt.id, outcome=outcome, at=now)
        if closed:
            await session.refresh(prompt)
        return closed

    def _question(self, prompt: OpenPromptRow, tickets: list[int], loc: str) -> Notice:
        choices = [
            Choice(button(VERB, "reply", n, prompt=prompt.id), t("which.reply", loc, id=n))
            for n in tickets
        ]
        choices.append(Choice(button(VERB, "dialog", prompt=prompt.id), t("which.dialog", loc)))
        held = literal(quote(prompt.held_text or ""))
        return Notice(
            text=t("which.ask", loc, text=held), choices=tuple(choices), channel_safe=False
        )
