"""Figures per channel (chat, phone): how many requests came in each way, and how many of
them were resolved at first contact.

First-contact resolution per channel follows the report's definition (bot/reports/metrics.py):
a ticket resolved by a level-1 team without a handoff counts, and in the chat a first-level
answer that helped counts too (a contact without a ticket). A call Team BK solved on the
spot is such a ticket, in Team BK's own queue (bot/service/phone.py). The figures are
folded in tally.py.
"""

from __future__ import annotations

from bot.domain.requests import CHAT

CHANNEL_LABELS = {"chat": "report.channel.chat", "phone": "report.channel.phone"}


def has_calls(by_channel: dict[str, int]) -> bool:
    """Whether the period had phone notes: only then do the report and the CSV show the
    channels (a hotline that records no calls reads its report as before)."""
    return any(n for channel, n in by_channel.items() if channel != CHAT)
