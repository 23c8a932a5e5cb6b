"""The team card's three buttons: Übernehmen, Weitergeben (team picker), Erledigt (answer)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from storage.repositories import audit
from tests.harness import Harness, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
AGENT = "hh.schneider"  # Budget / Haushalt
OUTSIDER = "kred.wagner"  # Kreditoren


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def _card_buttons(hotline: Harness) -> list[tuple[str, str]]:
    (card,) = (await hotline.channel("haushalt"))[-1:]
    return [(choice.id, choice.label) for choice in card.choices]


async def test_a_new_card_offers_claim_hand_off_and_resolve(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    assert await _card_buttons(hotline) == [
        (f"claim:{ticket_id}", "Übernehmen"),
        (f"handoff:{ticket_id}", "Weitergeben"),
        (f"resolve:{ticket_id}", "Erledigt"),
    ]


async def test_weitergeben_offers_the_other_teams_and_a_pick_hands_off(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.channel("haushalt")
    picker = await hotline.say(AGENT, action_id=f"handoff:{ticket_id}", channel="haushalt")
    assert await hotline.channel("haushalt") == []  # the picker is private, not in the channel
    ids = [choice.id for choice in picker[-1].choices]
    assert f"handoff:{ticket_id}:kreditoren" in ids
    assert f"handoff:{ticket_id}:haushalt" not in ids  # not to the team that has it
    assert len(ids) == len(hotline.config.teams) - 1
    done = await hotline.say(AGENT, action_id=f"handoff:{ticket_id}:kreditoren")
    assert "Kreditoren" in texts(done)
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.team_id, ticket.status) == ("kreditoren", "queued")
    assert "weitergegeben" in texts(await hotline.dm(REQUESTER))
    (old_card,) = await hotline.channel("haushalt")
    assert "weitergegeben" in old_card.text
    assert not old_card.choices  # the old team's card offers nothing any more


async def test_erledigt_asks_for_the_answer_and_the_next_message_resolves(
    hotline: Harness,
) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.dm(REQUESTER)
    prompt = await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    assert f"Antwort an die anfragende Person zu Nr. {ticket_id}" in texts(prompt)
    assert (await hotline.ticket(ticket_id)).status == "queued"  # nothing happens before it
    draft = await hotline.say(AGENT, "Die Mittel sind freigegeben.")
    assert "Die Mittel sind freigegeben." in texts(draft) and "Senden?" in texts(draft)
    ids = [c.id for c in draft[-1].choices]
    assert [i.rsplit(":", 2)[0] for i in ids] == ["owed:send", "owed:edit", "owed:cancel"]
    assert all(i.split(":")[2] == str(ticket_id) for i in ids)  # the draft's ticket
    assert (await hotline.ticket(ticket_id)).status == "queued"  # not before "Senden"
    assert await hotline.dm(REQUESTER) == []
    done = await hotline.say(AGENT, action_id="owed:send")
    assert f"Nr. {ticket_id} ist erledigt" in texts(done)
    ticket = await hotline.ticket(ticket_id)
    assert (ticket.status, ticket.assignee) == ("resolved", AGENT)
    told = texts(await hotline.dm(REQUESTER))
    assert "Die Mittel sind freigegeben." in told and "erledigt" in told
    buttons = await _card_buttons(hotline)  # a resolved card offers only its FAQ proposal
    assert buttons == [(f"faq:{ticket_id}", "Als FAQ vorschlagen")]
    more = await hotline.say(AGENT, "Hallo")  # the prompt is used up: an ordinary message again
    assert "Die Mittel" not in texts(more)


async def test_the_draft_can_be_changed_typed_and_sent_by_its_word(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    await hotline.say(AGENT, "ok")  # a stray message is only a draft
    again = await hotline.say(AGENT, "zurück")  # back: ask for the answer again
    assert f"Antwort an die anfragende Person zu Nr. {ticket_id}" in texts(again)
    await hotline.say(AGENT, "Erster Entwurf")
    replaced = await hotline.say(AGENT, "Die Buchung ist erfolgt.")  # a new text replaces it
    assert "Die Buchung ist erfolgt." in texts(replaced) and "Erster" not in texts(replaced)
    await hotline.say(AGENT, "senden")
    ticket = await hotline.ticket(ticket_id)
    assert ticket.status == "resolved"
    told = texts(await hotline.dm(REQUESTER))
    assert "Die Buchung ist erfolgt." in told and "Erster Entwurf" not in told and "ok" not in told


@pytest.mark.parametrize("word", ["abbrechen", "Abbrechen.", "stopp!", "/abbrechen"])
async def test_the_draft_can_be_cancelled(hotline: Harness, word: str) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    await hotline.say(AGENT, "Entwurf")
    answer = await hotline.say(AGENT, word)
    assert f"Nr. {ticket_id} bleibt offen" in texts(answer)
    assert (await hotline.ticket(ticket_id)).status == "queued"
    assert "Entwurf" not in texts(await hotline.dm(REQUESTER))


async def test_erledigt_can_be_cancelled_and_the_ticket_stays_open(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"claim:{ticket_id}", channel="haushalt")
    await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    answer = await hotline.say(AGENT, "abbrechen")
    assert f"Nr. {ticket_id} bleibt offen" in texts(answer)
    assert (await hotline.ticket(ticket_id)).status == "claimed"
    await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    answer = await hotline.say(AGENT, "/abbrechen")
    assert f"Nr. {ticket_id} bleibt offen" in texts(answer)
    assert (await hotline.ticket(ticket_id)).status == "claimed"


async def test_a_stale_prompt_expires_with_the_dialog_timeout(
    hotline: Harness, clock: FrozenClock
) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    clock.advance(hotline.config.dialogs.timeout + timedelta(minutes=1))
    answer = await hotline.say(AGENT, "Gilt das noch?")
    assert (await hotline.ticket(ticket_id)).status == "queued"
    assert "Senden?" not in texts(answer)  # an ordinary message again, no draft


async def test_a_colleague_resolving_first_is_explained(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    await hotline.say("hh.weber", f"/resolve {ticket_id} Schon erledigt.")
    late = await hotline.say(AGENT, "Meine Antwort")
    reason = t("error.illegal_transition", "de", status=t("status.resolved", "de"))
    assert texts(late).strip() == t("card.answer_not_sent", "de", id=ticket_id, reason=reason)
    ticket = await hotline.ticket(ticket_id)
    assert ticket.assignee == "hh.weber"
    assert "Meine Antwort" not in texts(await hotline.dm(REQUESTER))
    again = await hotline.say(AGENT, "Noch etwas")  # the failed prompt does not linger
    assert "nicht gesendet" not in texts(again)


async def test_other_teams_and_requesters_are_refused_politely(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    for who in (OUTSIDER, REQUESTER):
        for action in (f"handoff:{ticket_id}", f"resolve:{ticket_id}"):
            answer = await hotline.say(who, action_id=action)
            assert texts(answer), f"{who} pressing {action} got no answer"
            assert not any(notice.choices for notice in answer)
    assert (await hotline.ticket(ticket_id)).status == "queued"
    await hotline.say(OUTSIDER, "Eine Antwort, die keine ist")
    assert (await hotline.ticket(ticket_id)).status == "queued"
    async with hotline.sessions() as session:
        refused = await audit.entries(session, action="refused")
    assert sorted((e.user_id, e.detail["command"]) for e in refused) == [
        (OUTSIDER, "handoff"),
        (OUTSIDER, "resolve"),
        (REQUESTER, "handoff"),
        (REQUESTER, "resolve"),
    ]


async def test_a_complaint_card_offers_no_handoff_and_refuses_one(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(
        REQUESTER, topic="beschwerde", text="Vertraulich: niemand ruft zurück"
    )
    cards = [n for n in await hotline.dm("bk.berger") if n.ticket_id == ticket_id and n.choices]
    assert cards, "the complaint managers should get the complaint's card"
    ids = [choice.id for choice in cards[-1].choices]
    assert f"resolve:{ticket_id}" in ids and f"handoff:{ticket_id}" not in ids
    answer = await hotline.say("bk.berger", action_id=f"handoff:{ticket_id}")
    assert texts(answer) and not any(notice.choices for notice in answer)
    assert (await hotline.ticket(ticket_id)).team_id == "bk"


async def test_an_older_drafts_senden_is_stale(hotline: Harness) -> None:
    """The buttons name the draft they were shown under: "Senden" under a replaced draft
    does not send the newer text the agent has not confirmed."""
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    first = await hotline.say(AGENT, "Erste Fassung.")
    old_send = first[-1].choices[0].id
    await hotline.say(AGENT, "Ändern")
    second = await hotline.say(AGENT, "Zweite Fassung, richtig.")
    stale = texts(await hotline.say(AGENT, action_id=old_send))
    assert "nicht mehr aktuell" in stale and "früheren Entwurf" in stale
    assert (await hotline.ticket(ticket_id)).status == "queued"
    done = await hotline.say(AGENT, action_id=second[-1].choices[0].id)
    assert f"Nr. {ticket_id} ist erledigt" in texts(done)
    assert "Zweite Fassung, richtig." in texts(await hotline.dm(REQUESTER))
