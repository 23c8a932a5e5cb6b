"""The notices of the deadline sweep: reminders, breach notices, escalations, handovers.

Pure functions of (config, ticket, moment): no I/O. Staff notices are in the organisation's
default language; nothing here quotes a ticket's text, so a complaint's content never leaks.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from bot.config.model import DeadlineKind, OrgConfig
from bot.i18n import t
from bot.i18n.formatting import format_deadline, format_moment
from bot.kernel.actions import button
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Fact, Notice
from bot.service import feedback
from bot.service.actors import display_name
from storage.models import TicketEventRow, TicketRow

HISTORY_LINES = 5
SYSTEM_PLATFORM = "system"  # the actor platform of the sweep's own audit events


class SweepMessages:
    """Builds every notice the sweep sends, in the organisation's language."""

    def __init__(self, config: OrgConfig) -> None:
        self.config = config
        self.locale = config.default_locale
        self.tz = ZoneInfo(config.calendar.timezone)

    def _base(self, ticket: TicketRow, now: datetime, due: datetime | None) -> dict[str, object]:
        loc = self.locale
        return {
            "id": ticket.id,
            "topic": feedback.topic_name(self.config, ticket.topic_id, loc),
            "team": feedback.team_name(self.config, ticket.team_id, loc),
            "deadline": "-" if due is None else format_deadline(due, loc, self.tz, now),
            "assignee": self.assignee(ticket),
            "p": "/",
        }

    def assignee(self, ticket: TicketRow) -> str:
        """Who has the ticket, or 'nobody'."""
        if ticket.assignee is None:
            return t("fact.nobody", self.locale)
        return literal(display_name(self.config, ticket.assignee))

    def moment(self, at: datetime) -> str:
        """A past instant as in audit trails."""
        return format_moment(at, self.locale, self.tz)

    def remind_assignee(self, ticket: TicketRow, now: datetime, due: datetime) -> Notice:
        """A reminder by DM to whoever has claimed the ticket."""
        values = self._base(ticket, now, due)
        return Notice(
            title=t("sweep.remind_assignee.title", self.locale, id=ticket.id),
            text=t("sweep.remind_assignee", self.locale, **values),
            ticket_id=ticket.id,
            channel_safe=False,
        )

    def remind_channel(self, ticket: TicketRow, now: datetime, due: datetime) -> Notice:
        """A reminder in the team channel while nobody has claimed the ticket."""
        values = self._base(ticket, now, due)
        return Notice(
            title=t("sweep.remind_channel.title", self.locale, id=ticket.id),
            text=t("sweep.remind_channel", self.locale, **values),
            choices=(Choice(button("claim", ticket.id), t("button.claim", self.locale)),),
            ticket_id=ticket.id,
            thread=ticket.id,  # under the ticket's card, where it was posted
        )

    def remind_team_assignee_off(
        self, ticket: TicketRow, now: datetime, due: datetime, back: datetime
    ) -> Notice:
        """A reminder in the team channel: the assignee is off until after the deadline
        (their personal working hours, bot/people/schedule.py), so the team hears now."""
        values = self._base(ticket, now, due)
        values["back"] = format_deadline(back, self.locale, self.tz, now)
        return Notice(
            title=t("sweep.remind_assignee_off.title", self.locale, id=ticket.id),
            text=t("sweep.remind_assignee_off", self.locale, **values),
            choices=(Choice(button("history", ticket.id), t("button.history", self.locale)),),
            ticket_id=ticket.id,
            thread=ticket.id,
        )

    def breach_channel(self, ticket: TicketRow, now: datetime, due: datetime) -> Notice:
        """The deadline passed: a notice in the team channel."""
        values = self._base(ticket, now, due)
        return Notice(
            title=t("sweep.breach_channel.title", self.locale, id=ticket.id),
            text=t("sweep.breach_channel", self.locale, **values),
            ticket_id=ticket.id,
            thread=ticket.id,
        )

    def breach_lead(self, ticket: TicketRow, now: datetime, due: datetime) -> Notice:
        """The deadline passed: a DM to the team lead."""
        values = self._base(ticket, now, due)
        return Notice(
            title=t("sweep.breach_channel.title", self.locale, id=ticket.id),
            text=t("sweep.breach_lead", self.locale, **values),
            facts=self._facts(ticket),
            choices=(Choice(button("history", ticket.id), t("button.history", self.locale)),),
            ticket_id=ticket.id,
            channel_safe=False,
        )

    def escalation(
        self,
        ticket: TicketRow,
        now: datetime,
        *,
        deadline: DeadlineKind | None,
        due: datetime | None,
        repeat: int,
        events: Sequence[TicketEventRow],
    ) -> Notice:
        """The DM to the department leadership: why, who had it, what happened last."""
        loc = self.locale
        values = self._base(ticket, now, due)
        since = ticket.update_started_at or ticket.queued_at or ticket.created_at
        if repeat:
            reason = t(
                "sweep.escalation.repeat",
                loc,
                id=ticket.id,
                repeat=repeat,
                since=self.moment(ticket.escalated_at or now),
            )
        else:
            deadline = deadline or "first_response"
            reason = t(
                f"sweep.escalation_reason.{deadline}", loc, **values, since=self.moment(since)
            )
        lines = [reason, t("sweep.escalation.ack_hint", loc, id=ticket.id, p="/")]
        if events:
            lines.append(t("sweep.escalation.history", loc))
            lines += [self._event_line(event) for event in events[-HISTORY_LINES:]]
        return Notice(
            title=t("sweep.escalation.title", loc, id=ticket.id),
            text="\n".join(lines),
            facts=self._facts(ticket),
            choices=(
                Choice(button("ack", ticket.id), t("button.ack", loc)),
                Choice(button("history", ticket.id), t("button.history", loc)),
            ),
            ticket_id=ticket.id,
            channel_safe=False,
        )

    def escalation_channel(self, ticket: TicketRow) -> Notice:
        """The one line the team channel sees of an escalation."""
        return Notice(
            text=t("sweep.escalation_channel", self.locale, id=ticket.id),
            ticket_id=ticket.id,
            thread=ticket.id,
        )

    def lease_channel_note(self, ticket: TicketRow, previous: str, since: datetime) -> str:
        """The handover note on the ticket's card when a claim lease ran out."""
        agent = literal(display_name(self.config, previous))
        return t(
            "sweep.lease_channel", self.locale, id=ticket.id, agent=agent, since=self.moment(since)
        )

    def lease_claimer(self, ticket: TicketRow, now: datetime, since: datetime) -> Notice:
        """The DM to the previous claimer when a claim lease ran out."""
        values = self._base(ticket, now, None)
        return Notice(
            title=t("ticket.title", self.locale, id=ticket.id),
            text=t("sweep.lease_claimer", self.locale, **values, since=self.moment(since)),
            choices=(Choice(button("claim", ticket.id), t("button.claim", self.locale)),),
            ticket_id=ticket.id,
            channel_safe=False,
        )

    def _facts(self, ticket: TicketRow) -> tuple[Fact, ...]:
        loc = self.locale
        group = "-"
        if ticket.customer_group_id:
            group = self.config.customer_group(ticket.customer_group_id).name.get(loc)
        return (
            Fact(t("fact.team", loc), feedback.team_name(self.config, ticket.team_id, loc)),
            Fact(t("fact.topic", loc), feedback.topic_name(self.config, ticket.topic_id, loc)),
            Fact(t("fact.customer_group", loc), group),
            Fact(t("fact.level", loc), t(f"level.{ticket.level}", loc)),
            Fact(t("fact.assignee", loc), self.assignee(ticket)),
            Fact(t("fact.opened", loc), self.moment(ticket.created_at)),
            Fact(t("fact.escalation_level", loc), str(ticket.escalation_level)),
        )

    def _event_line(self, event: TicketEventRow) -> str:
        if event.actor_platform == SYSTEM_PLATFORM:
            who = "Hotline-Bot"
        elif event.actor_person:
            who = display_name(self.config, event.actor_person)
        else:
            who = t("fact.requester", self.locale)
        what = t(f"history.{event.action}", self.locale)
        return f"{self.moment(event.at)} · {literal(who)} · {what}"
