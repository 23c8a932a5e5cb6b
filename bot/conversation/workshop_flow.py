"""The workshop commands and the feedback form, as a flow beside the intake."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.conversation.survey import intake_running
from bot.domain.errors import NotTrainer, WorkshopNotFound, WorkshopUnavailable
from bot.i18n import t
from bot.kernel.actions import ButtonAction
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service.actors import Actor
from bot.workshops import questionnaire as form
from bot.workshops.service import WorkshopService
from dialogs.commands import Command
from dialogs.control_words import is_back, is_cancel
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
        progress = form.Progress(row.id, 0, {})
        await save_dialog(
            session,
            key=key,
            seen_version=None if stored is None else stored.version,
            dialog=FORM,
            state=progress.to_state(),
            at=self.clock.now(),
        )
        return form.ask(self.config, row, 0, actor.locale)

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
        progress = form.Progress.from_state(stored.state)
        if progress is None:
            return None
        pressed = None if action_id is None else ButtonAction.decode(action_id)
        if action_id is not None and not _for_form(pressed, progress.workshop_id):
            return None
        loc = actor.locale
        if is_cancel(text):
            await clear_dialog(session, key=key)
            return [Notice(text=t("questionnaire.cancelled", loc, id=progress.workshop_id))]
        row = await form.check_may_answer(
            session, self.config, actor, progress.workshop_id, self.clock.now()
        )
        questions = self.config.workshops.questions
        if action_id is None and is_back(text):
            index = max(progress.index - 1, 0)  # at the first question: ask it again
            kept = {k: v for k, v in progress.answers.items() if k != questions[index].id}
            await save_dialog(
                session,
                key=key,
                seen_version=stored.version,
                dialog=FORM,
                state=form.Progress(row.id, index, kept).to_state(),
                at=self.clock.now(),
            )
            return [form.ask(self.config, row, index, loc)]
        question = questions[progress.index]
        answer = form.answer_of(question, text, action_id)
        if answer is ...:
            return [
                Notice(text=t(f"questionnaire.invalid.{question.kind}", loc)),
                form.ask(self.config, row, progress.index, loc),
            ]
        answers = {**progress.answers, question.id: answer}
        if progress.index + 1 < len(questions):
            following = form.Progress(row.id, progress.index + 1, answers)
            await save_dialog(
                session,
                key=key,
                seen_version=stored.version,
                dialog=FORM,
                state=following.to_state(),
                at=self.clock.now(),
            )
            return [form.ask(self.config, row, following.index, loc)]
        await self._finish(session, actor, row.id, answers)
        await clear_dialog(session, key=key)
        return [Notice(text=t("questionnaire.thanks", loc))]

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


def _for_form(pressed: ButtonAction | None, workshop_id: int) -> bool:
    """Whether a button answers this workshop's form ("wsq:<workshop>:<value>")."""
    return (
        pressed is not None
        and pressed.verb == form.FORM_BUTTON
        and pressed.arg(0) == str(workshop_id)
        and len(pressed.args) == 2
    )
