"""Ticket cards on Synapse: one post per team room, edited in place (m.replace) as the
ticket moves on (claim, unclaim, resolve, handoff), the claimer named as a pill."""

from __future__ import annotations

import asyncio
from typing import Any

import nio

from tests.matrix.bot_fixture import (
    Chat,
    content,
    is_edit,
    is_notice_from,
    react,
    room_history,
    ticket_number,
)
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import _bot_reacted, file_request
from tests.matrix.world import World, wait_for_outbox


def _new(event: nio.Event) -> dict[str, Any]:
    """The new content of an edit (m.new_content)."""
    new: dict[str, Any] = content(event)["m.new_content"]
    return new


def _assert_edits(event: nio.Event, original: str, number: int) -> None:
    """`event` is an m.replace of the card `original` and still shows ticket `number`."""
    assert content(event)["m.relates_to"] == {"rel_type": "m.replace", "event_id": original}
    assert f"Ticket Nr. {number}" in _new(event)["body"]


def _assert_pill(event: nio.Event, user_id: str) -> None:
    """The edit's HTML links `user_id` as a Matrix pill."""
    assert f'href="https://matrix.to/#/{user_id}"' in _new(event)["formatted_body"], _new(event)


async def _only_card(world: World, chat: Chat, room: str, number: int, card: str) -> None:
    """The room holds exactly one card post for the ticket (`card`); every edit of the bot
    there is an m.replace of a post of its own."""
    await asyncio.sleep(1.0)  # a second post would have arrived by now
    history = await room_history(chat.client, room)
    from_bot = [e for e in history if is_notice_from(e, world.bot_id)]
    posts = [e for e in from_bot if not is_edit(e) and f"Ticket Nr. {number}" in e.body]
    assert [p.event_id for p in posts] == [card], "a second card instead of an edit"
    own = {e.event_id for e in from_bot if not is_edit(e)}
    for edit in (e for e in from_bot if is_edit(e)):
        assert content(edit)["m.relates_to"]["event_id"] in own


async def test_the_card_is_edited_through_claim_unclaim_and_resolve(world: World) -> None:
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    room, agent = world.team_rooms["haushalt"], world.agent
    card = await agent.expect(room, f"Ticket Nr. {number}")
    assert "in der Warteschlange" in card.body

    await agent.sync_until(lambda: _bot_reacted(world, agent, room, card.event_id, "✋"))
    await react(agent.client, room, card.event_id, "✋")
    claimed = await agent.expect(room, "Übernommen von Martin Schneider", edits=True)
    _assert_edits(claimed, card.event_id, number)
    _assert_pill(claimed, agent.user_id)
    assert "in Bearbeitung" in _new(claimed)["body"]

    await agent.say(room, f"/unclaim {number}")
    unclaimed = await agent.expect(room, "bitte übernehmen", edits=True)
    _assert_edits(unclaimed, card.event_id, number)
    assert "Übernommen von" not in _new(unclaimed)["body"]
    assert "Übernehmen" in _new(unclaimed)["body"]  # claimable again: the ✋ choice is back

    await agent.say(room, f"/claim {number}")
    again = await agent.expect(room, "Übernommen von Martin Schneider", edits=True)
    _assert_edits(again, card.event_id, number)
    await agent.say(room, f"/resolve {number} Die Mittel sind freigegeben.")
    resolved = await agent.expect(room, "Erledigt von Martin Schneider", edits=True)
    _assert_edits(resolved, card.event_id, number)
    assert "erledigt" in _new(resolved)["body"]
    await requester.expect(dm, "Die Mittel sind freigegeben.")
    await wait_for_outbox(world.bot, within=30)
    await _only_card(world, agent, room, number, card.event_id)


async def test_a_handoff_edits_both_teams_cards(
    synapse: SynapseServer, worlds: WorldFactory
) -> None:
    world = await worlds(synapse, teams=("haushalt", "ccc"), colleagues={"ccc.schulz": "srm"})
    requester, dm = await world.requester("schule")
    number = ticket_number((await file_request(requester, dm)).body)
    haushalt, ccc = world.team_rooms["haushalt"], world.team_rooms["ccc"]
    agent, srm = world.agent, world.colleagues["ccc.schulz"]
    card = await agent.expect(haushalt, f"Ticket Nr. {number}")

    await agent.say(haushalt, f"/handoff {number} ccc SRM-Bestellung betroffen")
    handed = await agent.expect(haushalt, "weitergegeben", edits=True)
    _assert_edits(handed, card.event_id, number)
    assert "SRM-Kompetenzcenter" in _new(handed)["body"]
    ccc_card = await srm.expect(ccc, f"Ticket Nr. {number}")
    assert "SRM-Bestellung betroffen" in ccc_card.body

    await srm.say(ccc, f"/claim {number}")
    claimed = await srm.expect(ccc, "Übernommen von Thomas Schulz", edits=True)
    _assert_edits(claimed, ccc_card.event_id, number)
    _assert_pill(claimed, srm.user_id)
    await requester.expect(dm, "Thomas Schulz (SRM-Kompetenzcenter) bearbeitet jetzt")
    await wait_for_outbox(world.bot, within=30)
    await _only_card(world, agent, haushalt, number, card.event_id)
    await _only_card(world, srm, ccc, number, ccc_card.event_id)
