"""Small conversations beside the intake (rating, newsletter, workshops): one contract.

A flow owns some commands and may claim a user's next message (a comment it asked for, a
button of its own). The engine asks the flows before the intake; each flow keeps its state
in the conversation's dialog slot, with compare-and-set like the intake.
"""

from __future__ import annotations

from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.kernel.clock import Clock
from bot.kernel.notices import Notice
from bot.service.actors import Actor
from dialogs.commands import Command
from storage.repositories.dialog_states import ConversationKey


class Flow(Protocol):
    """A conversation the engine routes to by command name or by pending state."""

    commands: frozenset[str]
    dialogs: frozenset[str]  # the dialog slots it keeps (its state between messages)

    async def command(
        self, session: AsyncSession, command: Command, key: ConversationKey, actor: Actor
    ) -> list[Notice]:
        """Handle one of `commands` (in a direct chat)."""
        ...

    async def turn(
        self,
        session: AsyncSession,
        key: ConversationKey,
        actor: Actor,
        text: str,
        action_id: str | None,
    ) -> list[Notice] | None:
        """Take this message if the flow is waiting for it (or it is one of its buttons);
        None lets the next flow, then the intake, have it."""
        ...


def build_flows(config: OrgConfig, clock: Clock) -> list[Flow]:
    """Every flow, in the order the engine asks them."""
    from bot.conversation.appointment_flow import AppointmentFlow
    from bot.conversation.csat_flow import CsatFlow
    from bot.conversation.faq_flow import FaqFlow
    from bot.conversation.newsletter_flow import NewsletterFlow
    from bot.conversation.phone_flow import PhoneFlow
    from bot.conversation.workshop_flow import WorkshopFlow

    return [
        CsatFlow(config, clock),
        WorkshopFlow(config, clock),
        NewsletterFlow(config, clock),
        PhoneFlow(config, clock),
        FaqFlow(config, clock),
        AppointmentFlow(config, clock),
    ]
