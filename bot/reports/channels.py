"""Figures per channel (chat, phone): how many requests came in each way, and how many of
them were resolved at first contact.

First-contact resolution per channel follows the report's definition (bot/reports/metrics.py):
a ticket resolved by a level-1 team without a handoff counts, and in the chat a first-level
answer that helped counts too (a contact without a ticket). A call Team BK solved on the
spot is such a ticket, in Team BK's own queue (bot/service/phone.py).
"""

from __future__ import annotations

from collections.abc import Collection, Sequence

from bot.domain.requests import CHANNELS, CHAT
from bot.reports.shares import Share
from storage.models import TicketRow

CHANNEL_LABELS = {"chat": "report.channel.chat", "phone": "report.channel.phone"}


def has_calls(by_channel: dict[str, int]) -> bool:
    """Whether the period had phone notes: only then do the report and the CSV show the
    channels (a hotline that records no calls reads its report as before)."""
    return any(n for channel, n in by_channel.items() if channel != CHAT)


def resolved_at_first_level(
    ticket: TicketRow, first_level: Collection[str], handed_off: Collection[int]
) -> bool:
    """Resolved by a level-1 team, never handed off."""
    return (
        ticket.resolved_at is not None
        and ticket.team_id in first_level
        and ticket.id not in handed_off
    )


def tickets_by_channel(tickets: Sequence[TicketRow]) -> dict[str, int]:
    """Each channel's tickets (every channel named, zero when none came that way)."""
    return {channel: sum(1 for t in tickets if t.channel == channel) for channel in CHANNELS}


def first_contact_by_channel(
    tickets: Sequence[TicketRow],
    helped: int,
    first_level: Collection[str],
    handed_off: Collection[int],
) -> dict[str, Share]:
    """First-contact resolution of each channel; `helped` (first-level answers that helped)
    are chat contacts."""
    shares = {}
    for channel in CHANNELS:
        mine = [t for t in tickets if t.channel == channel]
        resolved = sum(1 for t in mine if resolved_at_first_level(t, first_level, handed_off))
        extra = helped if channel == CHAT else 0
        shares[channel] = Share(resolved + extra, len(mine) + extra)
    return shares
