"""Leads hear in bulk, not in a storm: the daily digest, the weekly report, the catch-up report.

The daily digest goes to each lead in the morning of a working day: open, overdue and
escalated tickets of their teams. First who: an absent lead's teams go into their
stand-in's digest (bot/people/availability.py); then when: the reader's next working
minute, for one with personal working hours (bot/people/schedule.py). The weekly report
(last week's figures and a chart of the last eight weeks) goes to the leadership channel
on the week's first working day. Their outbox keys name the day (or week) and the
person, so two instances (or a restart) send them once. The catch-up report lists the
steps a bot that was down found late: one message per lead instead of one per missed step.
"""

from __future__ import annotations

import logging
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import Level, OrgConfig, Person
from bot.domain.lifecycle import OPEN_STATUSES
from bot.escalation.actions import DeadlineActions
from bot.escalation.listing import ticket_lines
from bot.i18n import t
from bot.i18n.formatting import format_moment
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Image, Notice, Outgoing, Table
from bot.people.availability import Absence, recipients, stand_in
from bot.people.present import absences_at
from bot.people.schedule import held_until
from bot.reports import chart, chart_process, render
from bot.reports import service as reports
from bot.reports.metrics import Report
from bot.service import feedback, notify, permissions
from bot.sla.calendar import calendar_for
from storage.models import EscalationStepRow, TicketRow
from storage.repositories import escalation as repo
from storage.repositories import outbox

log = logging.getLogger(__name__)
REPORT_LEASE = "catch-up-report"
CHART_WEEKS = 8  # the weekly chart shows the trend of the last eight weeks
REPORT_LINES = 60  # a chat message stays well below Matrix's 64 KB and Teams' 28 KB
_OPEN = [status.value for status in OPEN_STATUSES]


class Digests:
    """Builds and enqueues the daily digest and the catch-up report."""

    def __init__(
        self, config: OrgConfig, sessions: async_sessionmaker[AsyncSession], clock: Clock
    ) -> None:
        self.config = config
        self.sessions = sessions
        self.clock = clock
        self.locale = config.default_locale
        self.tz = ZoneInfo(config.calendar.timezone)
        self.calendar = calendar_for(config)
        self.holder = f"instance-{uuid.uuid4().hex[:12]}"

    def readers(
        self, absences: Sequence[Absence] = (), at: datetime | None = None
    ) -> dict[str, tuple[Person, frozenset[str] | None]]:
        """Each lead with the teams they oversee (None: all, for the department leadership).
        A lead away at `at` gets no digest: their teams go into their stand-in's."""
        found: dict[str, tuple[Person, set[str] | None]] = {}
        leadership = DeadlineActions(self.config, self.clock).leadership()
        for person in leadership:
            found[person.id] = (person, None)
        for team in self.config.teams:
            if team.level == Level.THIRD:
                continue
            for person in team.lead_people():
                entry = found.setdefault(person.id, (person, set()))
                if entry[1] is not None:
                    entry[1].add(team.id)
        if absences and at is not None:
            found = self._stand_ins(found, absences, at)
        return {
            key: (person, None if teams is None else frozenset(teams))
            for key, (person, teams) in found.items()
        }

    def _stand_ins(
        self,
        found: dict[str, tuple[Person, set[str] | None]],
        absences: Sequence[Absence],
        at: datetime,
    ) -> dict[str, tuple[Person, set[str] | None]]:
        """Each absent reader's teams handed to whoever stands in (all teams: None wins)."""
        merged: dict[str, tuple[Person, set[str] | None]] = {}
        for person, teams in found.values():
            for reader in stand_in(self.config, absences, person, at):
                known = merged.get(reader.id)
                if known is None:
                    merged[reader.id] = (reader, None if teams is None else set(teams))
                elif known[1] is not None:
                    merged[reader.id] = (reader, None if teams is None else known[1] | teams)
        return merged

    async def weekly(self) -> int:
        """On the week's first working day: last week's figures for the leadership channel,
        and a chart of the last eight weeks (once per week, by outbox key). Returns 1 when
        posted."""
        now = self.clock.now()
        today = now.astimezone(self.tz).date()
        monday = today - timedelta(days=today.weekday())
        earlier = (monday + timedelta(days=n) for n in range(today.weekday()))
        if not self.calendar.is_working_day(today) or any(
            self.calendar.is_working_day(day) for day in earlier
        ):
            return 0
        team = self.config.leadership_team()
        targets = [] if team is None else notify.channel_targets(self.config, team)
        if not targets:
            return 0
        last_monday = monday - timedelta(days=7)
        start, end = reports.period(self.config, last_monday, monday - timedelta(days=1))
        trend_start, _ = reports.period(
            self.config, monday - timedelta(weeks=CHART_WEEKS), last_monday
        )
        week = last_monday.isocalendar()
        label = f"{week.year}-W{week.week:02d}"
        async with self.sessions() as session:
            # The report folds every ticket of the period: build it once a week, not on
            # every digest run and catch-up of that Monday (its notice is keyed per week).
            if await outbox.has_key(session, dedupe_key=f"weekly-report:{label}:0"):
                return 0
            report = await reports.build(session, self.config, self.clock, start, end)
            trend = await reports.build(session, self.config, self.clock, trend_start, end)
        text = render.to_notice(
            self.config, report, self.locale, title=t("digest.weekly_title", self.locale)
        )
        picture = await self._chart(trend, f"wochenbericht-{label}.png")
        async with self.sessions() as session, session.begin():
            await notify.send(
                session,
                [Outgoing(target, text) for target in targets],
                at=now,
                dedupe_prefix=f"weekly-report:{label}",
            )
            if picture is not None:
                notice = Notice(
                    title=t("digest.weekly_chart_title", self.locale),
                    text=literal(picture.alt),
                    image=picture,
                )
                await notify.send(
                    session,
                    [Outgoing(target, notice) for target in targets],
                    at=now,
                    dedupe_prefix=f"weekly-chart:{label}",
                )
        return 1

    async def _chart(self, trend: Report, name: str) -> Image | None:
        """The trend chart for chat, drawn in a child process (matplotlib never enters the
        bot's memory); None (the text goes alone) when it cannot be drawn."""
        try:
            picture = await chart_process.for_chat(self.config, trend, name, self.locale)
        except Exception:  # a plotting failure must not cost the leads their report
            log.exception("the weekly chart could not be drawn")
            return None
        if len(picture.data) > chart.CHAT_LIMIT:
            log.warning("the weekly chart has %d bytes, too many for a chat", len(picture.data))
            return None
        return picture

    async def daily(self) -> int:
        """Send today's digest to every lead who has open tickets (working days only), and
        on the week's first working day last week's report to the leadership channel."""
        now = self.clock.now()
        today = now.astimezone(self.tz).date()
        if not self.calendar.is_working_day(today):
            return 0
        sent = await self.weekly()
        async with self.sessions() as session, session.begin():
            stats = await repo.team_stats(session, statuses=_OPEN, now=now)
            away = await absences_at(session, now)
            for person, teams in self.readers(away, now).values():
                notice = await self._digest(session, person, teams, stats, now)
                if notice is None:
                    continue
                targets = notify.person_targets(self.config, person)
                prefix = f"digest:{today.isoformat()}:{person.id}"
                outgoing = [Outgoing(target, notice) for target in targets]
                until = await held_until(session, self.config, person.id, self.calendar, now)
                await notify.send(session, outgoing, at=now, dedupe_prefix=prefix, not_before=until)
                sent += 1
        return sent

    async def _digest(
        self,
        session: AsyncSession,
        person: Person,
        teams: frozenset[str] | None,
        stats: dict[str, tuple[int, int, int]],
        now: datetime,
    ) -> Notice | None:
        loc = self.locale
        mine = [team for team in self.config.teams if teams is None or team.id in teams]
        rows = [(team, stats.get(team.id, (0, 0, 0))) for team in mine]
        if not any(numbers[0] for _, numbers in rows):
            return None
        counts = Table(
            columns=(
                t("digest.col_team", loc),
                t("digest.col_open", loc),
                t("digest.col_overdue", loc),
                t("digest.col_escalated", loc),
            ),
            rows=tuple(
                (team.name.get(loc), str(n), str(o), str(e)) for team, (n, o, e) in rows if n
            ),
        )
        lines: list[str] = []
        sees_complaints = person.id in self.config.roles.complaint_managers
        overdue = await repo.overdue_open(session, team_ids=teams, statuses=_OPEN, now=now)
        escalated = await repo.escalated_open(session, team_ids=teams, statuses=_OPEN)
        for key, found in (("digest.overdue", overdue), ("digest.escalated", escalated)):
            visible = [row for row in found if sees_complaints or not row.confidential]
            if visible:
                lines += ["", t(key, loc), *ticket_lines(self.config, visible, now, loc)]
        return Notice(
            title=t("digest.title", loc, date=now.astimezone(self.tz).strftime("%d.%m.%Y")),
            text="\n".join(lines).strip(),
            channel_safe=False,
            tables=(counts,),  # open, overdue and escalated per team, readable as a table
        )

    async def catch_up(self, *, limit: int = 2000) -> int:
        """Report steps found late to the leads concerned, once; returns messages enqueued."""
        now = self.clock.now()
        async with self.sessions() as session, session.begin():
            if not await repo.has_unreported_missed(session):
                return 0
            ttl = timedelta(minutes=2)
            if not await repo.try_lease(
                session, name=REPORT_LEASE, holder=self.holder, now=now, ttl=ttl
            ):
                return 0
            steps = await repo.unreported_missed(session, limit=limit)
            tickets = await repo.tickets_by_id(session, ids={s.ticket_id for s in steps})
            lines: dict[str, list[str]] = defaultdict(list)
            people: dict[str, Person] = {}
            away = await absences_at(session, now)
            for step in steps:
                ticket = tickets[step.ticket_id]
                for person in recipients(self.config, away, self._concerned(ticket, step), now):
                    people[person.id] = person
                    lines[person.id].append(self._missed_line(ticket, step))
            for person_id, person_lines in lines.items():
                shown = person_lines[:REPORT_LINES]
                if len(person_lines) > REPORT_LINES:
                    more = len(person_lines) - REPORT_LINES
                    shown.append(t("digest.more", self.locale, count=more))
                notice = Notice(
                    title=t("catchup.title", self.locale),
                    text="\n".join([t("catchup.intro", self.locale), *shown]),
                    channel_safe=False,
                )
                targets = notify.person_targets(self.config, people[person_id])
                prefix = f"catchup:{steps[0].id}-{steps[-1].id}:{person_id}"
                until = await held_until(session, self.config, person_id, self.calendar, now)
                outgoing = [Outgoing(x, notice) for x in targets]
                await notify.send(session, outgoing, at=now, dedupe_prefix=prefix, not_before=until)
            await repo.mark_reported(session, step_ids=[s.id for s in steps], at=now)
            return len(lines)

    def _concerned(self, ticket: TicketRow, step: EscalationStepRow) -> Collection[Person]:
        people: dict[str, Person] = {}
        if ticket.confidential:
            leads: Sequence[Person] = permissions.complaint_managers(self.config)
        else:
            leads = self.config.team(ticket.team_id).lead_people()
        for person in leads:
            people[person.id] = person
        if step.action in ("escalate", "repeat"):
            actions = DeadlineActions(self.config, self.clock)
            for person in actions.escalation_readers(ticket):
                people[person.id] = person
        return people.values()

    def _missed_line(self, ticket: TicketRow, step: EscalationStepRow) -> str:
        loc = self.locale
        deadline = step.recipients.get("deadline")
        return t(
            "catchup.line",
            loc,
            id=ticket.id,
            team=feedback.team_name(self.config, ticket.team_id, loc),
            step=t(f"step.action.{step.action}", loc),
            deadline=t(f"step.{deadline}", loc) if deadline else "-",
            due=format_moment(step.due_at, loc, self.tz),
        )
