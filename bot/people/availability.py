"""Who is asked while someone is away: one written rule, one pure function.

The rule (README, "Abwesenheit und Vertretung"): while a person is away, nobody pings them.
Whatever would go to them (a reminder, a breach notice, an escalation, a digest) goes to
the first of these who is not away themselves:

1. the deputy named with the absence (`/abwesend bis 18.12. Julia Weber`);
2. the person's standing deputy from the config (`deputy:` on the member);
3. for a team lead: the team's standing deputy (`deputy:` on the team);
4. the leads of the person's teams;
5. the department leadership: its leads, else its members.

A step that names several people asks all of them (two leads of one team). If everyone
on the chain is away as well, the person themself keeps the message: a notice that
reaches nobody would break the promise that every overdue ticket is seen.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime

from bot.config.model import Level, OrgConfig, Person


@dataclass(frozen=True)
class Absence:
    """A person away from `starts_at` until `ends_at` (exclusive), with an optional deputy."""

    person_id: str
    starts_at: datetime
    ends_at: datetime
    deputy_id: str | None = None

    def covers(self, at: datetime) -> bool:
        """Whether the person is away at `at`."""
        return self.starts_at <= at < self.ends_at


def away_at(absences: Iterable[Absence], at: datetime) -> dict[str, Absence]:
    """The absences running at `at`, by person id."""
    return {absence.person_id: absence for absence in absences if absence.covers(at)}


def stand_in(
    config: OrgConfig, absences: Iterable[Absence], person: Person, at: datetime
) -> tuple[Person, ...]:
    """Who is asked instead of `person` at `at` (the person, when not away), by the rule."""
    away = away_at(absences, at)
    absence = away.get(person.id)
    if absence is None:
        return (person,)
    for candidates in _chain(config, person, absence):
        present = tuple(p for p in candidates if p.id not in away and p.id != person.id)
        if present:
            return _unique(present)
    return (person,)


def recipients(
    config: OrgConfig, absences: Sequence[Absence], people: Iterable[Person], at: datetime
) -> tuple[Person, ...]:
    """`people` with everyone away replaced by their stand-ins; each person once, in order."""
    return _unique(p for person in people for p in stand_in(config, absences, person, at))


def stands_in_for(
    config: OrgConfig, absences: Sequence[Absence], person_id: str, at: datetime
) -> tuple[Person, ...]:
    """The absent people whose messages go to `person_id` at `at` (may be several)."""
    found = []
    for absence in away_at(absences, at).values():
        absent = config.person(absence.person_id)
        if absent is None:
            continue
        if any(p.id == person_id for p in stand_in(config, absences, absent, at)):
            found.append(absent)
    return tuple(found)


def _chain(config: OrgConfig, person: Person, absence: Absence) -> Iterator[tuple[Person, ...]]:
    """The candidates in the rule's order; the caller skips whoever is away."""
    yield _people(config, [absence.deputy_id])
    yield _people(config, [person.deputy])
    teams = [team for team in config.teams if any(m.id == person.id for m in team.members)]
    yield _people(config, [team.deputy for team in teams if person.id in team.leads])
    yield tuple(lead for team in teams if team.level != Level.THIRD for lead in team.lead_people())
    leadership = config.leadership_team()
    if leadership is not None:
        yield leadership.lead_people()
        yield leadership.members


def _people(config: OrgConfig, ids: Iterable[str | None]) -> tuple[Person, ...]:
    found = (config.person(person_id) for person_id in ids if person_id)
    return tuple(person for person in found if person is not None)


def _unique(people: Iterable[Person]) -> tuple[Person, ...]:
    seen: dict[str, Person] = {}
    for person in people:
        seen.setdefault(person.id, person)
    return tuple(seen.values())
