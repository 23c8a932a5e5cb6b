"""The stand-in rule (bot/people/availability.py) on the sample organisation.

Haushalt: lead hh.schneider, team deputy hh.weber. Kreditoren: lead kred.wagner, no deputy.
Leadership: lead leitung.hoffmann (standing deputy leitung.meyer), member leitung.meyer.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from bot.config.model import OrgConfig, Person
from bot.people.availability import Absence, recipients, stand_in, stands_in_for
from tests.conftest import berlin

AT = berlin(2026, 12, 1, 10, 0)
START, END = AT - timedelta(days=1), AT + timedelta(days=3)


def away(person: str, deputy: str | None = None, start: datetime = START) -> Absence:
    return Absence(person, start, END, deputy)


def who(config: OrgConfig, person_id: str) -> Person:
    person = config.person(person_id)
    assert person is not None
    return person


def ids(people: tuple[Person, ...]) -> list[str]:
    return [person.id for person in people]


def test_present_people_are_asked_themselves(config: OrgConfig) -> None:
    later = away("hh.schneider", start=AT + timedelta(hours=1))  # not started yet
    assert ids(stand_in(config, [later], who(config, "hh.schneider"), AT)) == ["hh.schneider"]
    assert ids(stand_in(config, [later], who(config, "hh.schneider"), END)) == ["hh.schneider"]


def test_the_deputy_named_with_the_absence_comes_first(config: OrgConfig) -> None:
    absences = [away("hh.schneider", deputy="anl.becker")]
    assert ids(stand_in(config, absences, who(config, "hh.schneider"), AT)) == ["anl.becker"]


def test_a_team_lead_falls_to_the_team_deputy(config: OrgConfig) -> None:
    absences = [away("hh.schneider")]
    assert ids(stand_in(config, absences, who(config, "hh.schneider"), AT)) == ["hh.weber"]


def test_an_absent_deputy_is_skipped(config: OrgConfig) -> None:
    absences = [away("hh.schneider", deputy="anl.becker"), away("anl.becker"), away("hh.weber")]
    # named deputy away, team deputy away: no other lead in Haushalt, so the leadership
    assert ids(stand_in(config, absences, who(config, "hh.schneider"), AT)) == ["leitung.hoffmann"]


def test_without_deputy_an_agent_falls_to_the_team_lead(config: OrgConfig) -> None:
    absences = [away("kred.novak")]
    assert ids(stand_in(config, absences, who(config, "kred.novak"), AT)) == ["kred.wagner"]


def test_a_lead_without_deputy_falls_to_the_leadership(config: OrgConfig) -> None:
    absences = [away("kred.wagner")]
    assert ids(stand_in(config, absences, who(config, "kred.wagner"), AT)) == ["leitung.hoffmann"]


def test_the_head_of_department_falls_to_her_standing_deputy(config: OrgConfig) -> None:
    absences = [away("leitung.hoffmann")]
    assert ids(stand_in(config, absences, who(config, "leitung.hoffmann"), AT)) == ["leitung.meyer"]


def test_when_everyone_is_away_the_person_keeps_the_message(config: OrgConfig) -> None:
    absences = [away("leitung.hoffmann"), away("leitung.meyer")]
    assert ids(stand_in(config, absences, who(config, "leitung.hoffmann"), AT)) == [
        "leitung.hoffmann"
    ]


def test_recipients_replace_and_deduplicate(config: OrgConfig) -> None:
    absences = [away("kred.wagner"), away("deb.keller")]
    people = [who(config, "kred.wagner"), who(config, "deb.keller"), who(config, "hh.schneider")]
    assert ids(recipients(config, absences, people, AT)) == ["leitung.hoffmann", "hh.schneider"]


def test_stands_in_for_names_the_absent(config: OrgConfig) -> None:
    absences = [away("leitung.hoffmann", deputy="hh.schneider"), away("kred.wagner")]
    assert ids(stands_in_for(config, absences, "hh.schneider", AT)) == ["leitung.hoffmann"]
    assert ids(stands_in_for(config, absences, "hh.weber", AT)) == []
