"""/arbeitszeit (/hours): a staff member shows, sets or resets their own working hours.

`/arbeitszeit` alone shows the hours in force and where they come from; with days and
times (the syntax of bot/config/weekly_hours.py) it stores them, overriding the config;
`/arbeitszeit zurücksetzen` (reset) returns to the config's hours or the office hours.
Bad input is answered with what was not understood and the usage line listing the format.
What the hours do to pings is the rule in bot/people/schedule.py.
"""

from __future__ import annotations

from bot.config.model import OrgConfig, Person
from bot.config.weekly_hours import HoursSyntaxError, WeeklyHours, describe, parse
from bot.conversation.command_table import Handler
from bot.conversation.turn import Turn
from bot.i18n import t
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Notice
from bot.people.hours import reachable
from bot.people.schedule import effective_hours
from bot.service.actors import audit_action
from bot.sla.calendar import WorkingCalendar, calendar_for
from dialogs.command_specs import SPECS
from dialogs.commands import Command, usage
from storage.repositories import people_hours

RESET_WORDS = frozenset({"zurücksetzen", "zuruecksetzen", "reset", "standard", "default"})
_SPEC = next(spec for spec in SPECS if spec.name == "hours")


class HoursCommand:
    """The handler of /arbeitszeit; session and transaction belong to the caller."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock

    def handlers(self) -> dict[str, Handler]:
        """This module's row of the command table."""
        return {"hours": self.hours}

    async def hours(self, turn: Turn, command: Command) -> list[Notice]:
        """Show, set or reset the actor's hours (staff only: the runner checked that)."""
        loc, text = turn.actor.locale, command.text.strip()
        person = self.config.person_by_platform(turn.actor.platform, turn.actor.user_id)
        if person is None:
            return [Notice(text=t("hours.not_a_member", loc))]
        if not text:
            return [await self._show(turn, person, "hours.show", command.prefix)]
        if text.casefold() in RESET_WORDS:
            removed = await people_hours.clear_hours(turn.session, person_id=person.id)
            if removed:
                await audit_action(turn.session, turn.actor, "hours_reset", at=self.clock.now())
            key = "hours.reset" if removed else "hours.reset_none"
            return [await self._show(turn, person, key, command.prefix)]
        try:
            hours = parse(text)
        except HoursSyntaxError as error:
            problem = t(f"hours.problem.{error.reason}", loc, part=literal(error.part))
            line = usage(_SPEC, command.prefix + _SPEC.shown_as(loc), loc)
            return [Notice(text=t("hours.bad", loc, problem=problem, usage=line))]
        if not reachable(self._calendar(person), hours, self.clock.now()):
            office = describe(self.config.calendar.office_hours, loc)
            return [Notice(text=t("hours.outside_office", loc, office=office))]
        now = self.clock.now()
        await people_hours.set_hours(turn.session, person_id=person.id, hours=hours, at=now)
        detail = {"hours": describe(hours)}
        await audit_action(turn.session, turn.actor, "hours_set", at=now, detail=detail)
        return [Notice(text=t("hours.set", loc, hours=describe(hours, loc), p=command.prefix))]

    async def _show(self, turn: Turn, person: Person, key: str, prefix: str) -> Notice:
        loc = turn.actor.locale
        hours, source = await effective_hours(turn.session, self.config, person.id)
        return Notice(
            text=t(
                key,
                loc,
                hours=self._text(hours, loc),
                source=t(f"hours.source.{source.value}", loc, p=prefix),
            )
        )

    def _text(self, hours: WeeklyHours | None, locale: str) -> str:
        office = self.config.calendar.office_hours
        return describe(office if hours is None else hours, locale)

    def _calendar(self, person: Person) -> WorkingCalendar:
        """The calendar of the person's (first) team: whose office hours theirs must meet."""
        team = next((team for team in self.config.teams if person in team.members), None)
        return calendar_for(self.config, None if team is None else team.id)
