"""The commands that start or end a conversation rather than change a ticket: /neu,
/abbrechen, /sprache, and the intake's shortcuts /beschwerde, /idee and /thema.

They live beside the intake runner they drive; their rows of the command table come from
`handlers()`. All but /sprache are declared direct-only, so the runner has refused them in
a channel before they get here (a channel must not see a complaint begin).
"""

from __future__ import annotations

from bot.config.model import OrgConfig
from bot.conversation.card_actions import CardActions
from bot.conversation.command_table import Handler
from bot.conversation.followup import QUIET_DIALOGS
from bot.conversation.intake_runner import IntakeRunner
from bot.conversation.team_pick import cancel_pick
from bot.conversation.turn import Turn
from bot.i18n import SUPPORTED, t
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service import permissions
from dialogs.commands import Command
from dialogs.intake import UserInput
from storage.repositories.dialog_states import clear_dialog, load_dialog
from storage.repositories.profiles import save_profile

# Commands that start the intake at a topic of this kind.
SHORTCUTS = {"complaint": "complaint", "idea": "idea", "proposal": "round_table"}


class DialogCommands:
    """/neu, /abbrechen, /sprache and the intake shortcuts."""

    def __init__(
        self, config: OrgConfig, clock: Clock, intake: IntakeRunner, card_actions: CardActions
    ) -> None:
        self.config = config
        self.clock = clock
        self.intake = intake
        self.card_actions = card_actions

    def handlers(self) -> dict[str, Handler]:
        """This module's rows of the command table."""
        shortcuts = {name: self._shortcut(kind) for name, kind in SHORTCUTS.items()}
        return {"new": self.new, "cancel": self.cancel, "language": self.language, **shortcuts}

    async def new(self, turn: Turn, command: Command) -> list[Notice]:
        """/neu: a new request from the start, whatever the intake was doing."""
        return await self.intake.turn(
            turn.session,
            key=turn.key,
            actor=turn.actor,
            profile=turn.profile,
            user=UserInput(),
            restart=True,
        )

    async def cancel(self, turn: Turn, command: Command) -> list[Notice]:
        """/abbrechen: an owed answer and a team picker first, else the running dialog."""
        session, key, loc = turn.session, turn.key, turn.actor.locale
        dropped = await self._cancel_card_actions(turn)
        if dropped:
            return dropped
        if await self.intake.cancel(session, key=key):
            return [Notice(text=t("intake.cancelled", loc))]
        stored = await load_dialog(session, key=key)
        if stored is not None and stored.dialog not in QUIET_DIALOGS:
            await clear_dialog(session, key=key)  # a side conversation: draft, form, ...
            return [Notice(text=t("cmd.cancelled", loc))]
        return [Notice(text=t("cmd.nothing_to_cancel", loc))]

    async def _cancel_card_actions(self, turn: Turn) -> list[Notice]:
        """/abbrechen drops both an owed "Erledigt" answer and an open team picker."""
        actor = turn.actor
        if not permissions.is_staff(self.config, actor):
            return []
        loc, now, lasts = actor.locale, self.clock.now(), self.config.dialogs.timeout
        answering = await self.card_actions.cancel(turn.session, actor)
        picking = await cancel_pick(turn.session, actor, now=now, lasts=lasts)
        dropped = [] if answering is None else [t("card.answer_cancelled", loc, id=answering)]
        dropped += [] if picking is None else [t("card.pick_cancelled", loc, id=picking)]
        return [Notice(text=text) for text in dropped]

    async def language(self, turn: Turn, command: Command) -> list[Notice]:
        """/sprache de|en: the language this person is answered in from now on."""
        actor, language = turn.actor, command.text
        if language not in SUPPORTED:
            return [Notice(text=t("cmd.language_bad", actor.locale))]
        await save_profile(
            turn.session,
            platform=actor.platform,
            user_id=actor.user_id,
            at=self.clock.now(),
            locale=language,
        )
        return [Notice(text=t("cmd.language_ok", language))]

    def _shortcut(self, kind: str) -> Handler:
        """/beschwerde [Text] and friends: the intake, started at the first topic of `kind`
        (with the text as its description, if one came along)."""

        async def start(turn: Turn, command: Command) -> list[Notice]:
            topic = next((topic.id for topic in self.config.topics if topic.kind == kind), None)
            if topic is None:
                return [Notice(text=t("cmd.not_offered", turn.actor.locale))]
            return await self.intake.turn(
                turn.session,
                key=turn.key,
                actor=turn.actor,
                profile=turn.profile,
                user=UserInput(text=command.text),
                topic=topic,
            )

        return start
