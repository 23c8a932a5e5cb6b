"""Runs one intake turn: load state, step (pure), carry out effects, save with compare-and-set.

Everything happens in the caller's transaction; the caller commits and only then do the
notices leave the outbox, so a lost race or a crash never sends an answer twice.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.clock import Clock
from bot.config.model import OrgConfig
from bot.notices import Notice
from bot.service.actors import Actor
from bot.service.tickets import TicketService
from dialogs.intake import Context, OpenTicket, RememberGroup, StepResult, UserInput, start, step
from dialogs.intake_states import IntakeState, dump_state, load_state
from storage.repositories.dialog_states import ConversationKey, load_dialog, save_dialog
from storage.repositories.profiles import get_profile, save_profile

INTAKE = "intake"
IDLE = "idle"


class IntakeRunner:
    """Drives the intake dialog for one conversation at a time."""

    def __init__(self, config: OrgConfig, service: TicketService, clock: Clock) -> None:
        self.config = config
        self.service = service
        self.clock = clock

    async def active_state(self, session: AsyncSession, key: ConversationKey) -> IntakeState | None:
        """The running intake state of this conversation, if any."""
        stored = await load_dialog(session, key=key)
        if stored is None or stored.dialog != INTAKE:
            return None
        return load_state(stored.state)

    async def turn(
        self,
        session: AsyncSession,
        *,
        key: ConversationKey,
        actor: Actor,
        user: UserInput,
        restart: bool = False,
    ) -> list[Notice]:
        """Advance (or start) the intake and return the notices to answer with."""
        stored = await load_dialog(session, key=key)
        profile = await get_profile(session, platform=actor.platform, user_id=actor.user_id)
        ctx = Context(self.config, actor.locale, profile.customer_group_id if profile else None)
        state = None
        if stored is not None and stored.dialog == INTAKE and not restart:
            state = load_state(stored.state)
        result = self._advance(state, user, ctx)
        await self._apply_effects(session, result, actor)
        dialog, data = (IDLE, {}) if result.state is None else (INTAKE, dump_state(result.state))
        await save_dialog(
            session,
            key=key,
            seen_version=None if stored is None else stored.version,
            dialog=dialog,
            state=data,
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

    def _advance(self, state: IntakeState | None, user: UserInput, ctx: Context) -> StepResult:
        if state is None:
            return start(ctx)
        try:
            return step(state, user, ctx)
        except KeyError:
            # The configuration changed under a running dialog (topic or group removed).
            return start(ctx)

    async def _apply_effects(self, session: AsyncSession, result: StepResult, actor: Actor) -> None:
        for effect in result.effects:
            if isinstance(effect, RememberGroup):
                await save_profile(
                    session,
                    platform=actor.platform,
                    user_id=actor.user_id,
                    at=self.clock.now(),
                    customer_group_id=effect.group,
                    locale=actor.locale,
                    display_name=actor.display_name,
                )
            elif isinstance(effect, OpenTicket):
                await self.service.open_ticket(session, requester=actor, request=effect.request)
