"""Absences and deputies (issue 16) on SQLite and PostgreSQL, against a frozen clock.

The sample: Haushalt is led by Martin Schneider (hh.schneider) with Julia Weber (hh.weber)
as the team's standing deputy; Kreditoren is led by Petra Wagner (kred.wagner) without a
deputy; the department leadership is Dr. Katharina Hoffmann (leitung.hoffmann), standing
deputy Frank Meyer. Office hours Mon-Thu 08:30-12:00 and 13:00-15:30, Fri 08:30-12:00;
24 and 31 December are closure days. The clock starts on Monday 30 November 2026, 09:00.
"""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig
from bot.escalation.digest import Digests
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from tests.conftest import berlin
from tests.harness import Harness, texts
from tests.service.sweep_support import Sessions, sweep_at

REQUESTER = "schule.sonne"
LEAD = "hh.schneider"
DEPUTY = "hh.weber"
KRED_LEAD = "kred.wagner"
KRED_AGENT = "kred.novak"
HEAD = "leitung.hoffmann"
HEAD_DEPUTY = "leitung.meyer"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


@pytest.fixture
def sweeper(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Sweeper:
    return Sweeper(config, sessions, clock)


async def breach_at(sweeper: Sweeper, clock: FrozenClock, day: tuple[int, int, int]) -> list[str]:
    """The channel reminder 2 office hours before the reaction deadline, then the deadline
    (a sweep that finds a step late outside office hours would wait for the office)."""
    await sweep_at(sweeper, clock, berlin(*day, 13, 30))
    return await sweep_at(sweeper, clock, berlin(*day, 15, 30))


async def test_abwesend_is_saved_and_the_deputy_told(hotline: Harness) -> None:
    answer = texts(await hotline.say(LEAD, "/abwesend bis Freitag"))
    assert "Eingetragen: Martin Schneider ist abwesend" in answer
    assert "bis einschließlich Freitag, 04.12.2026" in answer
    assert "an Julia Weber" in answer  # the team's standing deputy
    told = texts(await hotline.dm(DEPUTY))
    assert "Sie sind in dieser Zeit die Vertretung" in told and "/ack" in told

    ended = texts(await hotline.say(LEAD, "/abwesend beenden"))
    assert "Willkommen zurück" in ended
    assert "keine Abwesenheit" in texts(await hotline.say(LEAD, "/abwesend beenden"))


async def test_away_in_english_and_bad_input_gets_the_usage(hotline: Harness) -> None:
    answer = texts(await hotline.say(KRED_LEAD, "/away until Friday", locale="en"))
    assert "Saved: Petra Wagner is away" in answer
    assert "up to and including Friday, 4 December 2026" in answer
    assert "Dr. Katharina Hoffmann" in answer  # no deputy in Kreditoren: the leadership
    assert "Welcome back" in texts(await hotline.say(KRED_LEAD, "/away end", locale="en"))

    usage = texts(await hotline.say(LEAD, "/abwesend"))
    assert "So tragen Sie eine Abwesenheit ein: /abwesend bis 18.12." in usage
    day = texts(await hotline.say(LEAD, "/abwesend bis Weihnachten"))
    assert "„Weihnachten“ verstehe ich nicht als Tag" in day
    past = texts(await hotline.say(LEAD, "/away until 1.11.2026", locale="en"))
    assert "That day has passed" in past
    who = texts(await hotline.say(LEAD, "/abwesend bis Freitag Lieschen Müller"))
    assert "„Lieschen Müller“ kenne ich nicht" in who


async def test_leads_enter_absences_for_their_members_only(hotline: Harness) -> None:
    answer = texts(await hotline.say(LEAD, "/abwesend hh.weber vom 7.12. bis 9.12."))
    assert "Julia Weber ist abwesend vom Montag, 07.12.2026" in answer
    assert "an Martin Schneider" in answer  # an agent without deputy: the team lead
    refused = texts(await hotline.say(DEPUTY, "/abwesend hh.schneider bis Freitag"))
    assert "nur deren Teamleitung oder die Abteilungsleitung" in refused
    other_team = texts(await hotline.say(LEAD, "/abwesend kred.novak bis Freitag"))
    assert "nur deren Teamleitung" in other_team
    head = texts(await hotline.say(HEAD, "/abwesend kred.novak bis Freitag"))
    assert "Tomasz Novak ist abwesend" in head and "an Petra Wagner" in head
    requester = texts(await hotline.say(REQUESTER, "/abwesend bis Freitag"))
    assert "Abwesend" not in requester and "Eingetragen" not in requester


async def test_breach_notice_goes_to_the_deputy_not_the_absent_lead(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock
) -> None:
    await hotline.say(LEAD, "/abwesend bis Freitag")
    await hotline.dm(DEPUTY)
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    breach = await breach_at(sweeper, clock, (2026, 11, 30))
    assert [key.rsplit(":", 1)[-1] for key in breach] == ["frist"]
    assert f"Nr. {ticket_id}" in texts(await hotline.dm(DEPUTY))
    assert await hotline.dm(LEAD) == []


async def test_without_deputy_the_breach_notice_goes_to_the_leadership(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock
) -> None:
    await hotline.say(KRED_LEAD, "/abwesend bis Freitag")
    await hotline.dm(HEAD)
    ticket_id = await hotline.file_request(REQUESTER, topic="kreditoren")
    await breach_at(sweeper, clock, (2026, 11, 30))
    assert "abgelaufen" in texts(await hotline.dm(HEAD)) and f"Nr. {ticket_id}" in texts(
        await hotline.channel("kreditoren")
    )
    assert await hotline.dm(KRED_LEAD) == []
    assert await hotline.dm(KRED_AGENT) == []


async def test_escalation_goes_to_the_named_deputy_who_may_ack(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock
) -> None:
    await hotline.say(HEAD, "/abwesend bis 4.12. hh.weber")  # an agent, not a lead
    ticket_id = await hotline.file_request(REQUESTER, topic="kreditoren")
    await breach_at(sweeper, clock, (2026, 11, 30))
    await hotline.dm(DEPUTY)
    escalated = await sweep_at(sweeper, clock, berlin(2026, 12, 1, 9, 30))
    assert [key.rsplit(":", 1)[-1] for key in escalated] == ["eskalation"]
    assert "Eskalation: Nr." in texts(await hotline.dm(DEPUTY))
    assert await hotline.dm(HEAD) == []
    assert await hotline.dm(HEAD_DEPUTY) == []  # the named deputy comes before the standing one

    refused = texts(await hotline.say(KRED_AGENT, f"/ack {ticket_id}"))
    assert "nur Team- und Abteilungsleitungen" in refused
    answer = texts(await hotline.say(DEPUTY, f"/ack {ticket_id}"))
    assert "zur Kenntnis genommen" in answer
    assert (await hotline.ticket(ticket_id)).escalation_acked_by == DEPUTY

    await hotline.say(HEAD, "/abwesend beenden")  # back: the deputy's right ends with it
    other = await hotline.file_request("schule.mond", topic="kreditoren")
    await breach_at(sweeper, clock, (2026, 12, 1))
    await sweep_at(sweeper, clock, berlin(2026, 12, 2, 9, 30))
    assert "Eskalation: Nr." in texts(await hotline.dm(HEAD))
    late = texts(await hotline.say(DEPUTY, f"/ack {other}"))
    assert "nur Team- und Abteilungsleitungen" in late


async def test_lead_away_over_christmas_the_deputy_is_asked_after_closed_days(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock
) -> None:
    await hotline.say(LEAD, "/abwesend vom 21.12. bis 4.1.")  # entered three weeks ahead
    clock.set(berlin(2026, 12, 23, 14, 0))  # Wednesday: 1.5 office hours left, too few
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    ticket = await hotline.ticket(ticket_id)
    # 24.12. closed, 25./26. holidays, 27. Sunday: due on Monday 28 December at 15:30
    assert ticket.first_response_due_at == berlin(2026, 12, 28, 15, 30)
    await hotline.dm(DEPUTY)
    for quiet in (berlin(2026, 12, 24, 10, 0), berlin(2026, 12, 26, 10, 0)):
        assert await sweep_at(sweeper, clock, quiet) == []
    breach = await breach_at(sweeper, clock, (2026, 12, 28))
    assert [key.rsplit(":", 1)[-1] for key in breach] == ["frist"]
    assert f"Nr. {ticket_id}" in texts(await hotline.dm(DEPUTY))
    assert await hotline.dm(LEAD) == []
    # The escalation goes to the leadership one office hour later, on Tuesday 29 December.
    escalated = await sweep_at(sweeper, clock, berlin(2026, 12, 29, 9, 30))
    assert "eskalation" in [key.rsplit(":", 1)[-1] for key in escalated]
    assert "Eskalation: Nr." in texts(await hotline.dm(HEAD))
    assert await hotline.dm(LEAD) == []
    # Back on 5 January: the lead is asked directly again.
    clock.set(berlin(2027, 1, 5, 9, 0))
    second = await hotline.file_request("schule.mond", topic="haushalt")
    await breach_at(sweeper, clock, (2027, 1, 5))
    assert f"Nr. {second}" in texts(await hotline.dm(LEAD))


async def test_claimed_tickets_go_back_once_at_the_start_of_the_absence(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock, config: OrgConfig, sessions: Sessions
) -> None:
    first = await hotline.file_request(REQUESTER, topic="haushalt")
    second = await hotline.file_request("schule.mond", topic="haushalt")
    for ticket_id in (first, second):
        await hotline.say(DEPUTY, f"/claim {ticket_id}")
    await hotline.say(DEPUTY, "/abwesend vom 2.12. bis 4.12.")  # entered in advance
    await hotline.channel("haushalt")
    await hotline.dm(REQUESTER)

    assert (await sweeper.sweep()).handed_over == 0
    clock.set(berlin(2026, 12, 1, 16, 0))
    assert (await sweeper.sweep()).handed_over == 0
    assert (await hotline.ticket(first)).assignee == DEPUTY

    clock.set(berlin(2026, 12, 2, 0, 5))  # the absence began at midnight
    assert (await sweeper.sweep()).handed_over == 2
    for ticket_id in (first, second):
        ticket = await hotline.ticket(ticket_id)
        assert (ticket.status, ticket.assignee) == ("queued", None)
    cards = texts(await hotline.channel("haushalt"))
    assert "Zurück in der Warteschlange: Julia Weber ist abwesend bis Freitag, 04.12.2026" in cards
    assert f"Nr. {first}" in cards and f"Nr. {second}" in cards
    assert await hotline.dm(REQUESTER) == []  # the requester is not bothered

    other = Sweeper(config, sessions, clock)  # a second bot instance
    assert (await sweeper.sweep()).handed_over == 0
    assert (await other.sweep()).handed_over == 0
    clock.set(berlin(2026, 12, 3, 9, 0))
    assert (await other.sweep()).handed_over == 0
    releases = [
        event
        for event in await hotline.events(first)
        if event.action == "unclaim" and event.data.get("reason") == "absence"
    ]
    assert len(releases) == 1 and releases[0].audience != "requester"


async def test_queue_shows_who_is_away(hotline: Harness) -> None:
    await hotline.say(LEAD, "/abwesend bis Freitag")
    await hotline.say(LEAD, "/abwesend hh.weber vom 7.12. bis 9.12. anl.becker")
    queue = texts(await hotline.say(DEPUTY, "/queue"))
    assert "Abwesend:" in queue
    assert "Martin Schneider bis Freitag, 04.12.2026 (Vertretung: Julia Weber)" in queue
    assert "Julia Weber vom Montag, 07.12.2026 bis Mittwoch, 09.12.2026" in queue
    assert "(Vertretung: Claudia Becker)" in queue
    await hotline.file_request(REQUESTER, topic="haushalt")
    listed = texts(await hotline.say(LEAD, "/warteschlange"))
    assert "Nr. " in listed and "Abwesend:" in listed
    assert "Abwesend:" not in texts(await hotline.say(KRED_LEAD, "/queue"))


async def test_the_digest_of_an_absent_lead_goes_to_the_deputy(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(LEAD, "/abwesend bis Freitag")
    await hotline.dm(DEPUTY)
    clock.set(berlin(2026, 12, 1, 8, 45))
    await Digests(config, sessions, clock).daily()
    assert "Budget / Haushalt" in texts(await hotline.dm(DEPUTY))
    assert await hotline.dm(LEAD) == []
