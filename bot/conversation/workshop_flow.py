"""The workshop commands, and the runner of the feedback form (dialogs/workshop_form.py):
load, step, save with compare-and-set, carry out the effect."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.survey import intake_running
from bot.domain.errors import NotTrainer, WorkshopNotFound, WorkshopUnavailable
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service.actors import Actor
from bot.workshops import questionnaire as form
from bot.workshops.service import WorkshopService
from dialogs import workshop_form as dialog
from dialogs.commands import Command
from storage.models import WorkshopRow
from storage.repositories import workshops as repo
from storage.repositories.dialog_states import (
    ConversationKey,
    clear_dialog,
    load_dialog,
    save_dialog,
)

FORM = "workshop_feedback"


class WorkshopFlow:
    """/workshops, /anmelden, /abmelden, /teilnehmer, /rueckmeldungen, /fragebogen."""

    commands = frozenset(
        {"workshops", "enrol", "unenrol", "participants", "workshop_feedback", "questionnaire"}
    )
    dialogs = frozenset({FORM})

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.service = WorkshopService(config, clock)

    async def command(
        self, session: AsyncSession, command: Command, key: ConversationKey, actor: Actor
    ) -> list[Notice]:
        """Carry out one workshop command."""
        number = command.ticket_id or 0
        if command.name == "workshops":
            return [await self.service.listing(session, actor)]
        if command.name == "enrol":
            return [await self.service.enrol(session, actor, number)]
        if command.name == "unenrol":
            return [await self.service.unenrol(session, actor, number)]
        if command.name == "participants":
            return [await self.service.participants(session, actor, number)]
        if command.name == "workshop_feedback":
            return [await self._summary(session, actor, number)]
        return [await self._start_form(session, key, actor, number)]

    async def _start_form(
        self, session: AsyncSession, key: ConversationKey, actor: Actor, workshop_id: int
    ) -> Notice:
        now, timeout = self.clock.now(), self.config.dialogs.timeout
        row = await form.check_may_answer(session, self.config, actor, workshop_id, now)
        if await intake_running(session, key=key, now=now, expires_after=timeout):
            return Notice(text=t("questionnaire.finish_request_first", actor.locale))
        stored = await load_dialog(session, key=key)
        seen = None if stored is None else stored.version
        notices = await self._carry_out(session, key, actor, row, seen, dialog.start(row.id))
        return notices[0]

    async def turn(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        """The next answer of a form in progress (a button or typed); None otherwise."""
        stored = await load_dialog(session, key=key)
        if stored is None or stored.dialog != FORM:
            return None
        if stored.expired(self.clock.now(), self.config.dialogs.timeout):
            return None  # left too long: expired like every dialog, the message starts afresh
        progress = dialog.Progress.from_state(stored.state)
        if progress is None:
            return None
        if action_id is not None and not dialog.is_form_button(progress, action_id):
            return None
        questions = self.config.workshops.questions
        result = dialog.step(progress, questions, text, action_id)
        if isinstance(result.effect, dialog.Cancelled):  # also when the form has closed
            await clear_dialog(session, key=key)
            workshop = progress.workshop_id
            return [Notice(text=t("questionnaire.cancelled", actor.locale, id=workshop))]
        row = await form.check_may_answer(
            session, self.config, actor, progress.workshop_id, self.clock.now()
        )
        return await self._carry_out(session, key, actor, row, stored.version, result)

    async def _carry_out(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        row: WorkshopRow,
        seen: int | None,
        result: dialog.FormStep,
    ) -> list[Notice]:
        """Save the step's progress (compare-and-set) and do what its effect says."""
        loc, effect = actor.locale, result.effect
        if result.progress is None:
            await clear_dialog(session, key=key)
        else:
            state = result.progress.to_state()
            await save_dialog(
                session, key=key, seen_version=seen, dialog=FORM, state=state, at=self.clock.now()
            )
        if isinstance(effect, dialog.Ask):
            asked = form.ask(self.config, row, effect.index, loc)
            if effect.invalid is None:
                return [asked]
            return [Notice(text=t(f"questionnaire.invalid.{effect.invalid}", loc)), asked]
        if isinstance(effect, dialog.Submit):
            await self._finish(session, actor, row.id, effect.answers)
            return [Notice(text=t("questionnaire.thanks", loc))]
        return [Notice(text=t("questionnaire.cancelled", loc, id=row.id))]

    async def _finish(
        self, session: AsyncSession, actor: Actor, workshop_id: int, answers: dict[str, object]
    ) -> None:
        now = self.clock.now()
        mine = await repo.registration(
            session, workshop_id=workshop_id, platform=actor.platform, user_id=actor.user_id
        )
        if mine is None:
            raise WorkshopUnavailable("registration vanished", id=workshop_id)
        mine.feedback_done_at = now
        await repo.add_feedback(session, workshop_id=workshop_id, answers=dict(answers), at=now)

    async def _summary(self, session: AsyncSession, actor: Actor, workshop_id: int) -> Notice:
        row = await repo.get(session, workshop_id=workshop_id)
        if row is None:
            raise WorkshopNotFound("no such workshop", id=workshop_id)
        if not self.service.may_see_participants(actor, row):
            raise NotTrainer("not a trainer", id=workshop_id)
        forms = [dict(f.answers) for f in await repo.feedback(session, workshop_id=row.id)]
        invited = len(
            await repo.registrations(session, workshop_id=row.id, statuses=("registered",))
        )
        return form.summary(self.config, row, forms, invited, actor.locale)
