"""The newsletter conversations: "/newsletter" (subscriptions) and "/newsletter senden" (Team BK).

Both keep their state in the conversation's dialog slot with compare-and-set, so a button
pressed twice (or two instances handling it) cannot send a newsletter twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.domain.errors import WorkshopUnavailable
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.newsletter import compose, subscriptions
from bot.newsletter.content import BkOnly, is_newsletter_button, may_send
from bot.newsletter.sending import store_newsletter
from bot.service.actors import Actor, audit_action
from bot.service.notify import enabled_platforms
from bot.workshops.invitation import invitation_draft
from dialogs.choices import match_choice
from dialogs.commands import Command
from storage.repositories import newsletter as repo
from storage.repositories import workshops
from storage.repositories.dialog_states import (
    ConversationKey,
    StoredDialog,
    load_dialog,
    save_dialog,
)

MENU, SEND, IDLE = "newsletter_menu", "newsletter_send", "idle"
SEND_WORDS = frozenset({"senden", "send", "verschicken", "versenden"})
INVITE_WORDS = frozenset({"einladen", "einladung", "invite"})


class NewsletterFlow:
    """Subscriptions per customer group for everyone; composing and sending for Team BK."""

    commands = frozenset({"newsletter"})
    dialogs = frozenset({MENU, SEND})

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    async def command(
        self, session: AsyncSession, command: Command, key: ConversationKey, actor: Actor
    ) -> list[Notice]:
        """ "/newsletter": the subscriptions menu; "/newsletter senden": the send dialog."""
        word = command.text.strip().casefold()
        if not word:
            await self._start(session, key, MENU, {})
            return [await subscriptions.menu(session, self.config, actor)]
        first, _, rest = word.partition(" ")
        if word not in SEND_WORDS and first not in INVITE_WORDS:
            return [Notice(text=t("newsletter.usage", actor.locale))]
        if not may_send(self.config, actor):
            raise BkOnly("newsletter senders are Team BK and admins")
        draft = compose.Draft()
        if first in INVITE_WORDS:  # a workshop invitation: prefilled, straight to the preview
            number = rest.strip().lstrip("#")
            row = (
                await workshops.get(session, workshop_id=int(number))
                if number.isdecimal()
                else None
            )
            if row is None or row.status != "planned":
                raise WorkshopUnavailable("no workshop to invite to", id=number or "?")
            draft = invitation_draft(self.config, row, actor.locale)
        await self._start(session, key, SEND, draft.to_state())
        return compose.prompt(draft, await self._context(session, actor, draft))

    async def turn(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        """Subscription buttons at any time; typed menu choices and the send dialog while open."""
        if action_id is not None and subscriptions.is_toggle(action_id):
            return await subscriptions.toggle(
                session, self.config, actor, action_id, at=self.clock.now()
            )
        stored = await load_dialog(session, key=key)
        if stored is not None and self._expired(stored):
            stored = None
        if stored is not None and stored.dialog == SEND:
            return await self._compose(session, key, actor, stored, text, action_id)
        if stored is not None and stored.dialog == MENU:
            return await self._menu_input(session, key, actor, stored, text, action_id)
        if action_id == subscriptions.DONE:
            return [Notice(text=t("newsletter.closed", actor.locale))]
        if action_id is not None and is_newsletter_button(action_id):
            return [Notice(text=t("newsletter.usage", actor.locale))]  # a stale button
        return None

    async def _menu_input(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        stored: StoredDialog,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        subscribed = await repo.subscribed_groups(
            session, platform=actor.platform, user_id=actor.user_id
        )
        options = subscriptions.menu_choices(self.config, subscribed, actor.locale)
        chosen = match_choice(options, text=text, action_id=action_id)
        if chosen is None and text.strip().isdecimal():
            count = len(options)
            return [Notice(text=t("newsletter.bad_choice", actor.locale, count=count))]
        if chosen is None or chosen.id == subscriptions.DONE:
            await self._save(session, key, IDLE, {}, stored.version)
            if chosen is None:
                return None  # free text: the menu closes and the intake takes it
            return [Notice(text=t("newsletter.closed", actor.locale))]
        await self._save(session, key, MENU, {}, stored.version)  # keeps the menu open
        return await subscriptions.toggle(
            session, self.config, actor, chosen.id, at=self.clock.now()
        )

    async def _compose(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        stored: StoredDialog,
        text: str,
        action_id: str | None,
    ) -> list[Notice]:
        draft = compose.Draft.from_state(stored.state)
        if not may_send(self.config, actor):  # the config changed under the dialog
            await self._save(session, key, IDLE, {}, stored.version)
            await audit_action(
                session, actor, "refused", at=self.clock.now(), detail={"command": "newsletter"}
            )
            return [Notice(text=t(BkOnly.key, actor.locale))]
        outcome = compose.step(draft, text, action_id, await self._context(session, actor, draft))
        if outcome.draft is None:
            await self._save(session, key, IDLE, {}, stored.version)
        else:
            await self._save(session, key, SEND, outcome.draft.to_state(), stored.version)
        if not outcome.send:
            return outcome.notices
        row = await store_newsletter(session, self.config, actor, draft, at=self.clock.now())
        detail = {"newsletter": row.id, "groups": row.groups, "recipients": row.recipients}
        await audit_action(session, actor, "newsletter_sent", at=self.clock.now(), detail=detail)
        text = t("newsletter.started", actor.locale, id=row.id, count=row.recipients)
        return [Notice(text=text)]

    async def _context(
        self, session: AsyncSession, actor: Actor, draft: compose.Draft
    ) -> compose.Context:
        platforms = enabled_platforms(self.config)
        count = await repo.count_audience(session, groups=draft.groups, platforms=platforms)
        return compose.Context(self.config, actor.locale, count)

    async def _save(
        self,
        session: AsyncSession,
        key: ConversationKey,
        dialog: str,
        state: dict[str, object],
        seen: int | None,
    ) -> None:
        """Compare-and-set against the version this turn read (None: no dialog stored)."""
        await save_dialog(
            session, key=key, seen_version=seen, dialog=dialog, state=state, at=self.clock.now()
        )

    async def _start(
        self, session: AsyncSession, key: ConversationKey, dialog: str, state: dict[str, object]
    ) -> None:
        """A command (re)starts a dialog in this conversation's slot, whatever ran there."""
        stored = await load_dialog(session, key=key)
        await self._save(session, key, dialog, state, None if stored is None else stored.version)

    def _expired(self, stored: StoredDialog) -> bool:
        return stored.expired(self.clock.now(), self.config.dialogs.timeout)
