"""The deadline sweep keeps the concept's promises with nobody watching (SQLite and PostgreSQL).

The sample policy: remind 2 office hours before the reaction deadline (the channel while
unclaimed), tell channel and team lead at the deadline, escalate to the department
leadership 1 office hour after it; after a claim, remind the assignee 6 office hours before
the 8-hour update deadline and escalate when it passes; repeat every 4 office hours, at
most 3 times, until /ack. Office hours Mon-Thu 08:30-12:00 and 13:00-15:30, Fri 08:30-12:00.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config.model import OrgConfig
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from tests.conftest import berlin
from tests.harness import Harness, texts
from tests.service.sweep_support import Sessions, sweep_at

REQUESTER = "schule.sonne"
AGENT = "hh.weber"  # team Haushalt
TEAM_LEAD = "hh.schneider"
DEPARTMENT_LEAD = "leitung.hoffmann"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


@pytest.fixture
def sweeper(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Sweeper:
    return Sweeper(config, sessions, clock)


async def test_easter_holidays_move_every_step_to_the_next_working_day(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock
) -> None:
    # Maundy Thursday 14:00: 1.5 office hours left, fewer than the 2 the policy needs, so the
    # reaction is due on the next working day: Good Friday and Easter Monday are holidays.
    clock.set(berlin(2027, 3, 25, 14, 0))
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    ticket = await hotline.ticket(ticket_id)
    assert ticket.first_response_due_at == berlin(2027, 3, 30, 15, 30)
    await hotline.channel("haushalt")

    quiet = [
        berlin(2027, 3, 25, 15, 29),
        berlin(2027, 3, 26, 10, 0),  # Good Friday
        berlin(2027, 3, 28, 11, 0),  # Easter Sunday
        berlin(2027, 3, 29, 10, 0),  # Easter Monday
        berlin(2027, 3, 30, 13, 29),
    ]
    for moment in quiet:
        assert await sweep_at(sweeper, clock, moment) == [], moment
    assert await hotline.channel("haushalt") == []

    reminder = await sweep_at(sweeper, clock, berlin(2027, 3, 30, 13, 30))
    assert [key.rsplit(":", 1)[-1] for key in reminder] == ["erinnerung"]
    posted = await hotline.channel("haushalt")
    assert "noch nicht übernommen" in texts(posted)
    assert posted[0].choices[0].id == f"claim:{ticket_id}"
    assert posted[0].thread == ticket_id  # under the ticket's card (issue 15)
    assert await hotline.dm(TEAM_LEAD) == []

    breach = await sweep_at(sweeper, clock, berlin(2027, 3, 30, 15, 30))
    assert [key.rsplit(":", 1)[-1] for key in breach] == ["frist"]
    (overdue,) = await hotline.channel("haushalt")
    assert "Frist überschritten" in texts([overdue]) and overdue.thread == ticket_id
    assert "abgelaufen" in texts(await hotline.dm(TEAM_LEAD))
    assert await hotline.dm(DEPARTMENT_LEAD) == []

    # Nothing overnight; the interim message to the requester comes at 8 office hours of
    # silence (Thu 1.5 h + Tue 6 h + Wed 0.5 h), the escalation 1 office hour after 15:30.
    assert await sweep_at(sweeper, clock, berlin(2027, 3, 30, 23, 0)) == []
    await hotline.dm(REQUESTER)
    interim = await sweep_at(sweeper, clock, berlin(2027, 3, 31, 9, 0))
    assert [key.split(":")[1] for key in interim] == ["interim"]
    assert "Zwischenstand" in texts(await hotline.dm(REQUESTER))

    escalation = await sweep_at(sweeper, clock, berlin(2027, 3, 31, 9, 30))
    assert [key.rsplit(":", 1)[-1] for key in escalation] == ["eskalation"]
    dm = await hotline.dm(DEPARTMENT_LEAD)
    assert len(dm) == 1 and dm[0].title == f"Eskalation: Nr. {ticket_id}"
    assert [choice.id for choice in dm[0].choices] == [f"ack:{ticket_id}", f"history:{ticket_id}"]
    assert "Reaktionsfrist" in dm[0].text and "eingegangen" in dm[0].text  # reason, history
    channel = await hotline.channel("haushalt")
    assert [(notice.text, notice.thread) for notice in channel] == [
        (f"Nr. {ticket_id} wurde an die Abteilungsleitung gemeldet.", ticket_id)
    ]
    stored = await hotline.ticket(ticket_id)
    assert (stored.escalation_level, stored.escalation_step) == (1, "eskalation")
    assert [e.action for e in await hotline.events(ticket_id)][-3:] == [
        "remind",
        "remind",
        "escalate",
    ]


async def test_claimed_but_silent_ticket_reminds_releases_escalates_and_ack_stops_repeats(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock
) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")  # Mon 30 Nov 09:00
    clock.set(berlin(2026, 11, 30, 9, 30))
    await hotline.say(AGENT, f"/claim {ticket_id}")
    for who in (AGENT, TEAM_LEAD, DEPARTMENT_LEAD, REQUESTER):
        await hotline.dm(who)
    await hotline.channel("haushalt")

    # 2 office hours after the claim (6 before the update deadline): the assignee by DM.
    assert await sweep_at(sweeper, clock, berlin(2026, 11, 30, 11, 29)) == []
    assert len(await sweep_at(sweeper, clock, berlin(2026, 11, 30, 11, 30))) == 1
    reminder = await hotline.dm(AGENT)
    assert reminder[0].title == f"Fristerinnerung: Nr. {ticket_id}"
    assert await hotline.channel("haushalt") == []

    # 4 office hours without activity: the claim lease runs out.
    released = await sweep_at(sweeper, clock, berlin(2026, 11, 30, 14, 30))
    assert [key.split(":")[1] for key in released] == ["lease"]
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.status, ticket.assignee) == ("queued", None)
    card = await hotline.channel("haushalt")
    assert "Wieder frei" in texts(card) and "Übernehmen" in texts(card)
    assert "wieder in der Warteschlange" in texts(await hotline.dm(AGENT))
    assert "wieder in der Warteschlange" in texts(await hotline.dm(REQUESTER))

    # The update deadline (8 office hours after the claim) passes in silence: the
    # department leadership hears of it by DM; the channel gets one line.
    assert await sweep_at(sweeper, clock, berlin(2026, 12, 1, 11, 29)) == []
    silent = await sweep_at(sweeper, clock, berlin(2026, 12, 1, 11, 30))
    assert [key.rsplit(":", 1)[-1] for key in silent] == ["stille"]
    escalation = await hotline.dm(DEPARTMENT_LEAD)
    assert len(escalation) == 1 and "ruht" in escalation[0].text
    # Who had it and what happened: the history shows the claim and the release.
    assert "Julia Weber · übernommen" in escalation[0].text
    assert "Hotline-Bot · zurückgegeben" in escalation[0].text
    assert "Bitte um Hilfe beim Beleg" not in escalation[0].text  # no ticket text in DMs
    assert len(await hotline.channel("haushalt")) == 1

    # Repeated 4 office hours later while nothing happens ...
    # (The requester, who last heard of the release on Monday 14:30, gets an interim
    # message at the same moment: 8 office hours later.)
    repeat = await sweep_at(sweeper, clock, berlin(2026, 12, 2, 9, 30))
    assert sorted(key.split(":")[1] for key in repeat) == ["interim", "repeat"]
    assert "Wiederholung" in texts(await hotline.dm(DEPARTMENT_LEAD))
    assert await hotline.channel("haushalt") == []  # repeats make no channel noise

    # ... until a lead acknowledges it: recorded, and no more repeats.
    answer = await hotline.say(DEPARTMENT_LEAD, action_id=f"ack:{ticket_id}")
    assert "zur Kenntnis genommen" in texts(answer)
    again = await hotline.say(DEPARTMENT_LEAD, f"/ack {ticket_id}")
    assert "bereits zur Kenntnis genommen" in texts(again)
    assert (await hotline.ticket(ticket_id)).escalation_acked_by == DEPARTMENT_LEAD
    later = await sweep_at(sweeper, clock, berlin(2026, 12, 3, 15, 0))
    assert not [key for key in later if ":repeat:" in key]
    assert "acknowledge" in [event.action for event in await hotline.events(ticket_id)]


async def test_repeats_stop_after_max_repeats(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock, config: OrgConfig
) -> None:
    await hotline.file_request(REQUESTER, topic="haushalt")
    fired: list[str] = []
    # Walk through two weeks of office time, sweeping every office hour.
    for day in (30,):
        for hour in range(9, 16):
            fired += await sweep_at(sweeper, clock, berlin(2026, 11, day, hour, 0))
    for day in range(1, 15):
        for hour in range(9, 16):
            fired += await sweep_at(sweeper, clock, berlin(2026, 12, day, hour, 0))
    repeats = [key for key in fired if ":repeat:" in key]
    policy = config.escalation_policy_for("haushalt")
    assert len(repeats) == policy.max_repeats
    assert len(fired) == len(set(fired))


async def test_leads_commands_list_escalated_and_overdue_tickets(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock
) -> None:
    first = await hotline.file_request(REQUESTER, topic="haushalt")
    second = await hotline.file_request("schule.mond", topic="kreditoren")
    assert "Keine offenen Eskalationen" in texts(await hotline.say(TEAM_LEAD, "/eskalationen"))
    assert "Nichts überfällig" in texts(await hotline.say(TEAM_LEAD, "/ueberfaellig"))

    await sweep_at(sweeper, clock, berlin(2026, 11, 30, 15, 31))  # both reaction deadlines
    overdue = texts(await hotline.say(TEAM_LEAD, "/ueberfaellig"))
    assert f"Nr. {first} " in overdue and f"Nr. {second} " not in overdue  # own team only
    everything = texts(await hotline.say(DEPARTMENT_LEAD, "/überfällig"))
    assert f"Nr. {first} " in everything and f"Nr. {second} " in everything

    await sweep_at(sweeper, clock, berlin(2026, 12, 1, 9, 30))  # escalations
    escalated = texts(await hotline.say(DEPARTMENT_LEAD, "/eskalationen"))
    assert f"Nr. {first} " in escalated and f"Nr. {second} " in escalated

    refused = texts(await hotline.say(AGENT, "/eskalationen"))
    assert "nur Gruppen- und Abteilungsleitungen" in refused
    not_lead = texts(await hotline.say(TEAM_LEAD, f"/ack {second}"))  # Kreditoren's ticket
    assert f"Das dürfen bei Nr. {second} nur" in not_lead
    assert (await hotline.ticket(second)).escalation_acked_at is None


async def test_ack_of_a_ticket_without_escalation_is_answered_politely(
    hotline: Harness,
) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    answer = texts(await hotline.say(TEAM_LEAD, f"/ack {ticket_id}"))
    assert f"Nr. {ticket_id} ist nicht eskaliert." in answer


async def test_a_policy_on_call_fires_outside_office_hours(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    """`office_hours_only: false`: an escalation 1 hour after Friday's 12:00 deadline comes at
    13:00 on Friday, not on Monday; the deadline itself still follows the SLA calendar."""
    standard = config.escalation.policies["standard"]
    on_call = replace(standard, name="bereitschaft", office_hours_only=False)
    escalation = replace(
        config.escalation,
        policies={**config.escalation.policies, "bereitschaft": on_call},
        default_policy="bereitschaft",
    )
    changed = replace(config, escalation=escalation)
    hotline = Harness(changed, sessions, clock)
    clock.set(berlin(2026, 12, 4, 9, 0))  # Friday: office until 12:00
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    assert (await hotline.ticket(ticket_id)).first_response_due_at == berlin(2026, 12, 4, 12, 0)
    sweeper = Sweeper(changed, sessions, clock)
    await sweep_at(sweeper, clock, berlin(2026, 12, 4, 12, 0))
    fired = await sweep_at(sweeper, clock, berlin(2026, 12, 4, 13, 0))
    assert [key.rsplit(":", 1)[-1] for key in fired] == ["eskalation"]
    # Its repeat 4 hours later, on a Friday evening.
    repeat = await sweep_at(sweeper, clock, berlin(2026, 12, 4, 17, 0))
    assert [key.split(":")[1] for key in repeat] == ["repeat"]
    assert len(await hotline.dm(DEPARTMENT_LEAD)) == 2


async def test_a_question_back_and_the_answer_never_bring_back_a_fired_step(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock
) -> None:
    """Overdue, escalated, then asked and answered (on a Sunday): no second escalation, no
    second breach notice, and nothing fires on that Sunday."""
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")  # Mon 09:00
    clock.set(berlin(2026, 11, 30, 9, 30))
    await hotline.say(AGENT, f"/claim {ticket_id}")
    fired = []
    for moment in (berlin(2026, 12, 1, 11, 30), berlin(2026, 12, 2, 14, 0)):
        fired += await sweep_at(sweeper, clock, moment)  # stille (update), loesungsfrist
    assert {key.rsplit(":", 1)[-1] for key in fired} >= {"stille", "loesungsfrist"}
    assert (await hotline.ticket(ticket_id)).escalation_level == 1
    await hotline.say(AGENT, f"/claim {ticket_id}")
    clock.set(berlin(2026, 12, 2, 14, 30))
    await hotline.say(AGENT, f"/ask {ticket_id} Welche Kostenstelle?")
    clock.set(berlin(2026, 12, 6, 11, 0))  # Sunday
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    assert await sweep_at(sweeper, clock, berlin(2026, 12, 6, 11, 1)) == []
    monday = await sweep_at(sweeper, clock, berlin(2026, 12, 7, 8, 30))
    assert not [key for key in monday if key.endswith((":stille", ":loesungsfrist"))], monday
    assert (await hotline.ticket(ticket_id)).escalation_level == 1


async def test_a_complaint_escalates_only_to_the_complaint_managers(
    hotline: Harness, sweeper: Sweeper, clock: FrozenClock
) -> None:
    ticket_id = await hotline.file_request(
        REQUESTER, topic="beschwerde", text="Unfreundliche Auskunft am Telefon"
    )
    await hotline.channel("bk")
    await hotline.dm("bk.yilmaz")  # the complaint itself, for its managers (by design)
    for moment in (
        berlin(2026, 11, 30, 13, 30),
        berlin(2026, 11, 30, 15, 30),
        berlin(2026, 12, 1, 9, 30),
    ):
        await sweep_at(sweeper, clock, moment)
    assert (await hotline.ticket(ticket_id)).escalation_level == 1
    assert await hotline.channel("bk") == []  # no trace in the channel
    assert await hotline.dm(DEPARTMENT_LEAD) == []  # not a complaint manager
    managers = texts(await hotline.dm("bk.yilmaz"))
    assert f"Eskalation: Nr. {ticket_id}" in managers and "Unfreundliche" not in managers
    hidden = texts(await hotline.say(DEPARTMENT_LEAD, "/eskalationen"))
    assert f"Nr. {ticket_id} " not in hidden
    assert f"Nr. {ticket_id} " in texts(await hotline.say("bk.yilmaz", "/eskalationen"))
