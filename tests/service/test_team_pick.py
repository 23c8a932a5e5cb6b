"""The "Weitergeben" team picker answered by typing, as a plain-text client must: the team's
number or name hands off, "abbrechen" keeps the ticket, anything else moves on."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
AGENT = "hh.schneider"  # Budget / Haushalt


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def _picker(hotline: Harness) -> tuple[int, list[str]]:
    """A ticket at Haushalt and the agent's open picker; the picker's team ids in order."""
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.dm(REQUESTER)
    picker = await hotline.say(AGENT, action_id=f"handoff:{ticket_id}", channel="haushalt")
    assert "Nummer oder seinen Namen" in texts(picker)
    return ticket_id, [choice.id.rsplit(":", 1)[1] for choice in picker[-1].choices]


@pytest.mark.parametrize(
    "typed", ["2", "2.", "kreditoren", "fibu – kreditorenbuchhaltung (gl 2.12)"]
)
async def test_a_typed_number_or_name_hands_off(hotline: Harness, typed: str) -> None:
    ticket_id, teams = await _picker(hotline)
    assert teams[1] == "kreditoren"
    done = await hotline.say(AGENT, typed)
    assert "Kreditoren" in texts(done)
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.team_id, ticket.status) == ("kreditoren", "queued")
    assert "weitergegeben" in texts(await hotline.dm(REQUESTER))
    again = await hotline.say(AGENT, "3")  # the picker is used up
    assert (await hotline.ticket(ticket_id)).team_id == "kreditoren"
    assert "weitergegeben" not in texts(again)


async def test_a_number_outside_the_list_asks_again_and_keeps_the_picker(
    hotline: Harness,
) -> None:
    ticket_id, teams = await _picker(hotline)
    answer = await hotline.say(AGENT, str(len(teams) + 1))
    assert f"ein Team von 1 bis {len(teams)}" in texts(answer)
    assert [c.id for c in answer[-1].choices][2] == f"handoff:{ticket_id}:{teams[2]}"
    assert (await hotline.ticket(ticket_id)).team_id == "haushalt"
    await hotline.say(AGENT, "3")
    assert (await hotline.ticket(ticket_id)).team_id == teams[2]


@pytest.mark.parametrize("word", ["abbrechen", "cancel", "/abbrechen"])
async def test_the_picker_can_be_cancelled(hotline: Harness, word: str) -> None:
    ticket_id, _ = await _picker(hotline)
    answer = await hotline.say(AGENT, word)
    assert f"Nr. {ticket_id} bleibt beim bisherigen Team" in texts(answer)
    await hotline.say(AGENT, "2")
    assert (await hotline.ticket(ticket_id)).team_id == "haushalt"


async def test_other_text_moves_on_and_a_later_number_is_no_handoff(hotline: Harness) -> None:
    ticket_id, _ = await _picker(hotline)
    await hotline.say(AGENT, "Guten Morgen")
    await hotline.say(AGENT, "2")
    assert (await hotline.ticket(ticket_id)).team_id == "haushalt"


async def test_a_pressed_team_button_or_another_command_forgets_the_picker(
    hotline: Harness,
) -> None:
    ticket_id, _ = await _picker(hotline)
    await hotline.say(AGENT, action_id=f"handoff:{ticket_id}:anlagen")
    assert (await hotline.ticket(ticket_id)).team_id == "anlagen"
    await hotline.say(AGENT, "2")
    assert (await hotline.ticket(ticket_id)).team_id == "anlagen"

    other, _ = await _picker(hotline)
    await hotline.say(AGENT, "/queue")
    await hotline.say(AGENT, "2")
    assert (await hotline.ticket(other)).team_id == "haushalt"


async def test_a_dialog_moved_on_after_the_picker_wins(hotline: Harness) -> None:
    """An intake begun before the picker, answered by a button after it (a button keeps
    the picker): the next typed number is the intake's, not a handoff."""
    greeting = await hotline.say(AGENT, "Hallo")
    group = greeting[-1].choices[0].id
    assert group.startswith("group:")
    ticket_id, _ = await _picker(hotline)
    hotline.clock.advance(timedelta(seconds=1))
    question = await hotline.say(AGENT, action_id=group)
    assert question[-1].choices, "the intake asks for the topic with a menu"
    await hotline.say(AGENT, "2")  # the intake's menu, not the picker
    assert (await hotline.ticket(ticket_id)).team_id == "haushalt"


@pytest.mark.parametrize("typed", ["Fi", "FiBu", "Anlagenbuch", "kred", "Kreditorenbuchhaltung"])
async def test_the_beginning_of_a_name_hands_nothing_off(hotline: Harness, typed: str) -> None:
    """A handoff takes no confirmation: only a number, a whole name or an id count."""
    ticket_id, _ = await _picker(hotline)
    await hotline.say(AGENT, typed)
    assert (await hotline.ticket(ticket_id)).team_id == "haushalt"


async def test_a_names_beginning_asks_for_the_whole_name_and_keeps_the_picker(
    hotline: Harness,
) -> None:
    ticket_id, _ = await _picker(hotline)
    asked = await hotline.say(AGENT, "Anlagenbuch")
    assert "Meinten Sie „Anlagenbuchhaltung“?" in texts(asked) and asked[-1].choices
    await hotline.say(AGENT, "anlagen")
    assert (await hotline.ticket(ticket_id)).team_id == "anlagen"


async def test_a_refused_command_keeps_the_picker(hotline: Harness) -> None:
    ticket_id, _ = await _picker(hotline)
    refused = await hotline.say(AGENT, "/status 999")
    assert "999" in texts(refused)
    await hotline.say(AGENT, "2")
    assert (await hotline.ticket(ticket_id)).team_id == "kreditoren"


async def test_a_typed_pick_for_a_ticket_resolved_meanwhile_is_explained(
    hotline: Harness,
) -> None:
    ticket_id, _ = await _picker(hotline)
    await hotline.say("hh.weber", f"/resolve {ticket_id} Schon erledigt.")
    answer = await hotline.say(AGENT, "2")
    assert "solange der Status „erledigt“ ist" in texts(answer)
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.team_id, ticket.status) == ("haushalt", "resolved")
    await hotline.say(AGENT, "3")  # the picker is gone
    assert (await hotline.ticket(ticket_id)).team_id == "haushalt"


async def test_cancel_drops_an_owed_answer_and_a_picker_together(hotline: Harness) -> None:
    owed = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"resolve:{owed}", channel="haushalt")
    ticket_id, _ = await _picker(hotline)
    answer = texts(await hotline.say(AGENT, "/abbrechen"))
    assert f"Nr. {owed} bleibt offen" in answer
    assert f"Nr. {ticket_id} bleibt beim bisherigen Team" in answer
    await hotline.say(AGENT, "2")
    assert (await hotline.ticket(ticket_id)).team_id == "haushalt"
    assert (await hotline.ticket(owed)).status == "queued"


async def test_a_stale_picker_expires_with_the_dialog_timeout(
    hotline: Harness, clock: FrozenClock
) -> None:
    ticket_id, _ = await _picker(hotline)
    clock.advance(hotline.config.dialogs.timeout + timedelta(minutes=1))
    await hotline.say(AGENT, "2")
    assert (await hotline.ticket(ticket_id)).team_id == "haushalt"


async def test_the_picker_is_per_person(hotline: Harness) -> None:
    ticket_id, _ = await _picker(hotline)
    await hotline.say("hh.weber", "2")  # a colleague's "2" is their own message
    assert (await hotline.ticket(ticket_id)).team_id == "haushalt"
    await hotline.say(AGENT, "2")
    assert (await hotline.ticket(ticket_id)).team_id == "kreditoren"
