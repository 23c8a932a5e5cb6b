"""The cards of erased tickets: taken back where they were posted, an empty card in their place.

A ticket's card in a team channel (or, for a complaint, in the complaint managers' DMs)
repeats its description and the handoff reasons, and the platforms keep it after the ticket
is anonymised or deleted. Erasure and retention therefore send, through the outbox, a
"retract" notice for every card key of the ticket on every place it may have been shown:
the adapter removes what the card showed there (Matrix redacts the post and every edit of
it; Teams replaces the card in place; the local chat deletes it) and leaves a card that says
only that the details were erased. Where a card was never shown, nothing is sent.

Places are planned BEFORE the ticket and its copies go (they are read from both) and sent
after, in the same transaction.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.notices import Notice, Outgoing, Target, ticket_of_card
from bot.service import notify, permissions
from storage.models import TicketRow
from storage.repositories import copies

REQUEST = "card.erased.request"  # the person asked for it
RETENTION = "card.erased.retention"  # the retention period ended


async def plan(
    session: AsyncSession, config: OrgConfig, tickets: Sequence[TicketRow], *, why: str
) -> list[Outgoing]:
    """The retract notices for every card of these tickets, wherever it may be shown."""
    ids = [ticket.id for ticket in tickets]
    if not ids:
        return []
    cards = await copies.ticket_cards(session, ids=ids)
    handed = await copies.handoff_teams(session, ids=ids)
    locale = config.default_locale
    outgoing: list[Outgoing] = []
    for ticket in tickets:
        places = _places(config, ticket, handed.get(ticket.id, set()))
        keys = sorted(card for _, card in cards if ticket_of_card(card) == ticket.id)
        for card in keys:
            notice = Notice(
                title=t("card.erased_title", locale, id=ticket.id),
                text=t(why, locale),
                ticket_id=ticket.id,
                channel_safe=not ticket.confidential,
                card=card,
                retract=True,
            )
            outgoing += [
                Outgoing(target, notice) for target in places if (target.platform, card) in cards
            ]
    return outgoing


def _places(config: OrgConfig, ticket: TicketRow, handed: set[str]) -> list[Target]:
    """Where the ticket's cards were posted: the complaint managers' DMs for a complaint,
    else the channels of the teams it was queued in (handoffs keep a card in each)."""
    if ticket.confidential:
        return [
            target
            for person in permissions.complaint_managers(config)
            for target in notify.person_targets(config, person)
        ]
    places: list[Target] = []
    for team_id in sorted({ticket.team_id, *handed}):
        team = next((team for team in config.teams if team.id == team_id), None)
        if team is not None:  # a team since removed from the config has no channel left
            places += notify.channel_targets(config, team)
    return places


async def send(session: AsyncSession, outgoing: list[Outgoing], *, at: datetime) -> int:
    """Queue the planned notices (after the copies are gone); returns how many."""
    await notify.send(session, outgoing, at=at)
    return len(outgoing)
