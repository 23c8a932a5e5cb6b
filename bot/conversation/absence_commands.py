"""/abwesend (/away): staff enter, correct and end absences; leads do so for their team.

The text is read by bot/people/absence_text.py relative to today's date in the office
timezone; an absence runs from now (or the start of its first day) to the end of its last
day. Whoever stands in (bot/people/availability.py) is named in the answer and told by DM,
so nobody learns of a deputyship only from the first escalation.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from bot.config.model import Level, OrgConfig, Person
from bot.conversation.command_table import Handler
from bot.conversation.turn import Turn
from bot.i18n import t
from bot.i18n.formatting import format_day
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Notice, Outgoing
from bot.people.absence_text import AwayRequest, EndRequest, Problem, parse_absence
from bot.people.availability import stand_in
from bot.people.present import as_absence
from bot.service import notify, permissions
from bot.service.permissions import Role
from dialogs.commands import Command
from storage.repositories import absences as repo


class AbsenceCommands:
    """The /abwesend handler; session and transaction belong to the caller."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.tz = ZoneInfo(config.calendar.timezone)

    def handlers(self) -> dict[str, Handler]:
        """This module's row of the command table."""
        return {"away": self.away}

    async def away(self, turn: Turn, command: Command) -> list[Notice]:
        """/abwesend [PERSON] [vom TAG] bis TAG [VERTRETUNG] | /abwesend [PERSON] beenden."""
        loc, prefix = turn.actor.locale, command.prefix
        now = self.clock.now()
        parsed = parse_absence(command.text, now.astimezone(self.tz).date())
        if isinstance(parsed, Problem):
            return _say(parsed.key, loc, p=prefix, value=literal(parsed.value))
        me = self.config.person_by_platform(turn.actor.platform, turn.actor.user_id)
        if me is None:
            return _say("away.usage", loc, p=prefix)
        who = me if not parsed.person else self.find(parsed.person)
        if who is None:
            return _say("away.unknown_person", loc, name=literal(parsed.person))
        if who.id != me.id and not self._leads(turn, who):
            return _say("away.leads_only", loc, p=prefix)
        if isinstance(parsed, EndRequest):
            ended = await repo.end(turn.session, person_id=who.id, now=now)
            key = "away.ended" if ended else "away.nothing_to_end"
            return _say(key, loc, name=literal(who.display_name))
        return await self._enter(turn, parsed, me, who, now)

    async def _enter(
        self, turn: Turn, request: AwayRequest, me: Person, who: Person, now: datetime
    ) -> list[Notice]:
        loc, session = turn.actor.locale, turn.session
        deputy = self.find(request.deputy) if request.deputy else None
        if request.deputy and deputy is None:
            return _say("away.unknown_person", loc, name=literal(request.deputy))
        if deputy is not None and deputy.id == who.id:
            return _say("away.self_deputy", loc)
        today = now.astimezone(self.tz).date()
        starts = (
            now
            if request.since is None or request.since <= today
            else self._midnight(request.since)
        )
        ends = self._midnight(request.until + timedelta(days=1))
        row = await repo.add(
            session,
            person_id=who.id,
            starts_at=starts,
            ends_at=ends,
            deputy_id=None if deputy is None else deputy.id,
            created_by=me.id,
            now=now,
        )
        known = [as_absence(r) for r in await repo.current_and_planned(session, now=now)]
        asked = [p for p in stand_in(self.config, known, who, row.starts_at) if p.id != who.id]
        names = ", ".join(literal(p.display_name) for p in asked) or literal(who.display_name)
        days = {
            "name": literal(who.display_name),
            "since": max(request.since or today, today),
            "until": request.until,
        }
        await self._tell_deputies(turn, asked, me, days, now)
        return _say("away.saved", loc, deputy=names, **self._days(days, loc))

    async def _tell_deputies(
        self, turn: Turn, asked: list[Person], me: Person, days: dict[str, object], now: datetime
    ) -> None:
        """A DM to each stand-in (not to the actor, who just read the answer), in the
        organisation's language: the deputy's own language is not known here."""
        loc = self.config.default_locale
        notice = Notice(
            text=t("away.deputy_told", loc, p="/", **self._days(days, loc)), channel_safe=False
        )
        outgoing = [
            Outgoing(target, notice)
            for person in asked
            if person.id != me.id
            for target in notify.person_targets(self.config, person)
        ]
        if outgoing:
            await notify.send(turn.session, outgoing, at=now)

    @staticmethod
    def _days(days: dict[str, object], locale: str) -> dict[str, object]:
        """The days of an absence written out in `locale`."""
        return {
            key: format_day(value, locale) if isinstance(value, date) else value
            for key, value in days.items()
        }

    def find(self, words: str) -> Person | None:
        """A person the bot knows, by id, display name or platform user id ("@" optional)."""
        wanted = words.strip().casefold()
        for team in self.config.teams:
            for person in team.members:
                names = {person.id, person.display_name.casefold()}
                names |= {uid.casefold() for uid in person.platform_ids.values()}
                if wanted in names or wanted.lstrip("@") in names:
                    return person
        return None

    def _leads(self, turn: Turn, who: Person) -> bool:
        """Team leads for their members; the department leadership and admins for all."""
        actor = turn.actor
        if permissions.roles_of(self.config, actor) & {Role.DEPARTMENT_LEAD, Role.ADMIN}:
            return True
        me = self.config.person_by_platform(actor.platform, actor.user_id)
        return me is not None and any(
            me.id in team.leads and any(m.id == who.id for m in team.members)
            for team in self.config.teams
            if team.level != Level.THIRD
        )

    def _midnight(self, day: date) -> datetime:
        return datetime.combine(day, time(0), tzinfo=self.tz)


def _say(key: str, locale: str, **args: object) -> list[Notice]:
    return [Notice(text=t(key, locale, **args))]
