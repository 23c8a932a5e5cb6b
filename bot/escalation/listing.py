"""Ticket lines for the leads' lists (digest, /eskalationen, /ueberfaellig): no ticket text."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.i18n.formatting import format_deadline
from bot.service import feedback
from bot.service.actors import display_name
from storage.models import TicketRow

LIST_LIMIT = 10


def ticket_lines(
    config: OrgConfig,
    rows: Sequence[TicketRow],
    now: datetime,
    locale: str,
    *,
    limit: int = LIST_LIMIT,
) -> list[str]:
    """One line per ticket (number, team, topic, deadline, assignee, who acknowledged),
    at most `limit` of them and then a 'and N more' line."""
    tz = ZoneInfo(config.calendar.timezone)
    lines = []
    for row in rows[:limit]:
        due = "-"
        if row.next_due_at is not None:
            due = format_deadline(row.next_due_at, locale, tz, now)
        ack = ""
        if row.escalation_acked_by:
            ack = t("digest.acked", locale, who=display_name(config, row.escalation_acked_by))
        assignee = t("fact.nobody", locale)
        if row.assignee:
            assignee = display_name(config, row.assignee)
        lines.append(
            t(
                "digest.ticket_line",
                locale,
                id=row.id,
                team=feedback.team_name(config, row.team_id, locale),
                topic=feedback.topic_name(config, row.topic_id, locale),
                due=due,
                assignee=assignee,
                ack=ack,
            )
        )
    if len(rows) > limit:
        lines.append(t("digest.more", locale, count=len(rows) - limit))
    return lines
