"""Which bundle a sweep step's DMs belong to, and the line its ticket gets in a bundle.

Computed when the step fires (the ticket is at hand then), stored with each DM, so the
bundler later needs nothing but the outbox rows. A line names number, topic, team and
deadline: never a ticket's text, so a complaint's content cannot leak into a bundle.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from bot.bundling.notice import entry
from bot.config.model import OrgConfig
from bot.escalation.plan import Item, deadlines
from bot.i18n import t
from bot.i18n.formatting import format_deadline
from bot.service import feedback
from storage.models import TicketRow


def bundle_kind(item: Item) -> str | None:
    """The kind of the DMs this step sends (as `DeadlineActions.fire` dispatches it); None
    for steps that DM nobody on staff (the requester's interim message)."""
    action = item.step.action if item.step else item.kind
    if item.kind == "interim":
        return None
    if item.kind == "lease":
        return "lease"
    if item.kind == "repeat":
        return "escalation_repeat"
    if action == "escalate":
        return "escalation"
    if action == "remind":
        return "remind"
    return "breach"


def bundle_entry(
    config: OrgConfig, ticket: TicketRow, item: Item, now: datetime
) -> dict[str, Any] | None:
    """The ticket's entry in a bundle of this step's kind (None: the step is not bundled)."""
    kind = bundle_kind(item)
    if kind is None:
        return None
    loc = config.default_locale
    due = ticket.next_due_at
    if item.step is not None:
        running = deadlines(ticket)[item.step.deadline]
        due = item.moment if running is None else running[0]
    shown = (
        "-" if due is None else format_deadline(due, loc, ZoneInfo(config.calendar.timezone), now)
    )
    line = t(
        "bundle.line",
        loc,
        id=ticket.id,
        topic=feedback.topic_name(config, ticket.topic_id, loc),
        team=feedback.team_name(config, ticket.team_id, loc),
        due=shown,
    )
    return entry(kind, loc, ticket.id, line)
