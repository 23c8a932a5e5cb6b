"""The notices a ticket change produces: guaranteed feedback to the requester, posts for the team.

Pure functions of (config, ticket, moment): no I/O, so every message can be unit-tested.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.i18n.formatting import format_deadline
from bot.markup import literal
from bot.notices import Choice, Fact, Notice, Target
from storage.models import TicketRow


def requester_target(ticket: TicketRow) -> Target:
    """The requester's DM on the platform they wrote from."""
    return Target(ticket.requester_platform, "user", ticket.requester_id)


def _tz(config: OrgConfig) -> ZoneInfo:
    return ZoneInfo(config.calendar.timezone)


def deadline_text(config: OrgConfig, ticket: TicketRow, locale: str, now: datetime) -> str:
    """When the requester can expect an answer, in plain words."""
    due = ticket.first_response_due_at if ticket.first_responded_at is None else None
    due = due or ticket.resolution_due_at
    if due is None:
        return "-"
    return format_deadline(due, locale, _tz(config), now)


def team_name(config: OrgConfig, team_id: str, locale: str) -> str:
    """A team's display name in `locale`."""
    return config.team(team_id).name.get(locale)


def topic_name(config: OrgConfig, topic_id: str, locale: str) -> str:
    """A topic's display name in `locale`."""
    return config.topic(topic_id).name.get(locale)


def to_requester(
    config: OrgConfig, ticket: TicketRow, key: str, now: datetime, **args: object
) -> Notice:
    """A status message to the requester: `key` from the catalogue plus the ticket's facts."""
    locale = ticket.requester_locale
    team = team_name(config, ticket.team_id, locale)
    values = {"id": ticket.id, "team": team, "deadline": deadline_text(config, ticket, locale, now)}
    values.update(args)
    return Notice(
        title=t("ticket.title", locale, id=ticket.id),
        text=t(key, locale, **values),
        facts=(
            Fact(t("fact.topic", locale), topic_name(config, ticket.topic_id, locale)),
            Fact(t("fact.team", locale), team),
            Fact(t("fact.status", locale), t(f"status.{ticket.status}", locale)),
        ),
        ticket_id=ticket.id,
        channel_safe=False,
    )


def new_in_queue(
    config: OrgConfig, ticket: TicketRow, now: datetime, note: str = "", private: bool = False
) -> Notice:
    """The handoff post into the team channel: number, topic, group, deadline and a claim hint.

    A confidential ticket's text appears only in a `private` post (complaint managers' DMs).
    """
    locale = config.default_locale
    group = "-"
    if ticket.customer_group_id:
        group = config.customer_group(ticket.customer_group_id).name.get(locale)
    description = literal(ticket.description)
    if ticket.confidential and not private:
        description = t("channel.confidential", locale, id=ticket.id)
    text = description if not note else f"{note}\n\n{description}"
    return Notice(
        title=t("channel.new_ticket", locale, id=ticket.id),
        text=text,
        facts=(
            Fact(t("fact.topic", locale), topic_name(config, ticket.topic_id, locale)),
            Fact(t("fact.customer_group", locale), group),
            Fact(t("fact.level", locale), t(f"level.{ticket.level}", locale)),
            Fact(t("fact.deadline", locale), deadline_text(config, ticket, locale, now)),
            Fact(t("fact.claim_hint", locale), f"/claim {ticket.id}"),
        ),
        choices=(Choice(f"claim:{ticket.id}", t("button.claim", locale)),),
        ticket_id=ticket.id,
        channel_safe=not private,
    )


def channel_line(config: OrgConfig, ticket: TicketRow, key: str, **args: object) -> Notice:
    """A one-line update in the team channel (claimed, released, handed off, resolved)."""
    locale = config.default_locale
    return Notice(text=t(key, locale, id=ticket.id, **args), ticket_id=ticket.id)


def to_staff(config: OrgConfig, ticket: TicketRow, key: str, **args: object) -> Notice:
    """A direct message to a staff member about a ticket (may contain its content)."""
    locale = config.default_locale
    return Notice(
        title=t("ticket.title", locale, id=ticket.id),
        text=t(key, locale, id=ticket.id, **args),
        ticket_id=ticket.id,
        channel_safe=False,
    )
