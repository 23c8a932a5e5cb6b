"""The round table (Runder Tisch): leads merge duplicate proposals and put one on the agenda
of the next round table; the people who proposed it hear of it."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.domain.errors import ProposalNotFound, ProposalState
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Notice, Outgoing, Target
from bot.service import notify
from bot.service.actors import Actor, audit_action
from storage.models import ProposalRow
from storage.repositories import proposals as repo
from storage.repositories.privacy import ANONYMOUS


class RoundTable:
    """Changes to proposals; each is audited and its proposers are told."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    async def _get(self, session: AsyncSession, proposal_id: int) -> ProposalRow:
        row = await repo.get_proposal(session, proposal_id=proposal_id)
        if row is None:
            raise ProposalNotFound("no such proposal", id=proposal_id)
        return row

    async def merge(
        self, session: AsyncSession, *, actor: Actor, keep_id: int, drop_id: int
    ) -> ProposalRow:
        """Merge duplicate `drop_id` into `keep_id` (and whatever was merged into it)."""
        if keep_id == drop_id:
            raise ProposalState("same proposal", id=keep_id)
        keep, drop = await self._get(session, keep_id), await self._get(session, drop_id)
        for row in (keep, drop):
            if row.status == "merged":
                raise ProposalState("already merged", id=row.id)
        if drop.status == "scheduled":  # it would silently leave the agenda
            raise ProposalState("scheduled proposals are kept", id=drop.id)
        children = list(await repo.merged_into(session, proposal_id=drop.id))
        for row in (drop, *children):
            row.status, row.merged_into = "merged", keep.id
        await audit_action(
            session,
            actor,
            "proposal_merge",
            at=self.clock.now(),
            detail={"keep": keep.id, "drop": drop.id},
        )
        for row in (drop, *children):
            await self._tell(session, row, "proposal.merged", keep=keep.id)
        return keep

    async def schedule(self, session: AsyncSession, *, actor: Actor, proposal_id: int) -> int:
        """Put a proposal on the next round table's agenda; returns how many were told."""
        row = await self._get(session, proposal_id)
        if row.status != "open":
            raise ProposalState(f"proposal is {row.status}", id=row.id)
        row.status, row.scheduled_at = "scheduled", self.clock.now()
        await audit_action(
            session, actor, "proposal_schedule", at=self.clock.now(), detail={"id": row.id}
        )
        proposers = [row, *await repo.merged_into(session, proposal_id=row.id)]
        for each in proposers:
            await self._tell(session, each, "proposal.scheduled", topic=literal(row.text))
        return len(proposers)

    async def _tell(
        self, session: AsyncSession, row: ProposalRow, key: str, **args: object
    ) -> None:
        if row.requester_id == ANONYMOUS:
            return  # the proposer asked to be forgotten
        locale = self.config.default_locale
        notice = Notice(text=t(key, locale, id=row.id, **args), channel_safe=False)
        target = Target(row.requester_platform, "user", row.requester_id)
        await notify.send(session, [Outgoing(target, notice)], at=self.clock.now())
