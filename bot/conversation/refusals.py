"""Refusals that must not confirm a ticket number to someone who may not see the ticket.

"There is no no. 999999" beside "only the team may see no. 5" lets anyone count the
tickets and confirm that a complaint's number exists. So a refusal about a ticket the
person may not see is worded the same whether the ticket exists or not. Staff still get
the precise reason for an ordinary ticket of another team (they see the queues anyway);
a complaint is hidden from every non-manager like a number that does not exist.
"""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.domain.errors import HotlineError
from bot.i18n import t
from bot.kernel.notices import Notice
from bot.service import permissions
from bot.service.actors import Actor
from storage.repositories import tickets as ticket_repo


async def hidden_ticket(
    session: AsyncSession, config: OrgConfig, actor: Actor, error: HotlineError
) -> int | None:
    """The number `error` is about, when the refusal must not say whether it exists."""
    number = error.args_for_message.get("id") if error.about_ticket else None
    if not isinstance(number, int):
        return None
    ticket = await ticket_repo.get_ticket(session, ticket_id=number)
    if ticket is None:
        return number
    if permissions.may_view(config, actor, ticket):
        return None
    staff = permissions.is_staff(config, actor)
    return number if ticket.confidential or not staff else None


def not_visible(number: int, locale: str, *, staff: bool) -> Notice:
    """The one answer for a number that does not exist or is not the person's to see."""
    key = "error.not_visible_staff" if staff else "error.not_visible"
    return Notice(text=t(key, locale, id=number), channel_safe=False)
