"""Wording cases of issue 15, each as a requester or a team member reads it (SQLite and
PostgreSQL): no level jargon or team codes towards requesters, no empty "Grund: -", the
right deadline named, plural forms, and cards that carry what the team needs. The rules
over every catalogue entry are in test_wording_rules.py."""

from __future__ import annotations

import pytest

from bot.config.model import OrgConfig
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from tests.conftest import berlin
from tests.harness import Harness, texts
from tests.service.sweep_support import Sessions, sweep_at

REQUESTER = "schule.sonne"
AGENT = "hh.schneider"  # Budget / Haushalt
LEAD = "leitung.hoffmann"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


def facts(notice: Notice) -> dict[str, str]:
    return {fact.label: fact.value for fact in notice.facts}


async def test_a_handoff_tells_the_requester_no_level_and_no_team_code(hotline: Harness) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.dm(REQUESTER)
    await hotline.say(AGENT, f"/handoff {number} kreditoren")
    told = await hotline.dm(REQUESTER)
    text = texts(told)
    assert f"Ihr Anliegen Nr. {number} wurde an Kreditorenbuchhaltung weitergegeben." in text
    assert "Level" not in text and "GL 2" not in text and "FiBu" not in text
    assert facts(told[-1])["Team"] == "Kreditorenbuchhaltung"
    status = await hotline.say(REQUESTER, f"/status {number}")
    assert facts(status[-1])["Team"] == "Kreditorenbuchhaltung"
    # Staff keep the full name with its code.
    staff = await hotline.say("kred.wagner", f"/status {number}")
    assert facts(staff[-1])["Team"] == "FiBu – Kreditorenbuchhaltung (GL 2.12)"


async def test_a_handoff_without_reason_has_no_empty_reason_line(hotline: Harness) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/handoff {number} kreditoren")
    (card,) = await hotline.channel("kreditoren")
    assert "Abgabe von Budget / Haushalt." in card.text
    assert "Grund" not in card.text
    await hotline.say("kred.wagner", f"/handoff {number} debitoren passt hier nicht")
    (card,) = await hotline.channel("debitoren")
    assert "Grund: passt hier nicht" in card.text


async def test_the_handoff_card_carries_the_last_question_and_its_answer(
    hotline: Harness,
) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(AGENT, f"/claim {number}")
    await hotline.say(AGENT, f"/ask {number} Welche Kostenstelle?")
    await hotline.say(REQUESTER, f"/antwort {number} 4711")
    await hotline.say(AGENT, f"/ask {number} Welches Haushaltsjahr?")
    await hotline.say(AGENT, f"/handoff {number} kreditoren")  # unanswered yet
    (card,) = await hotline.channel("kreditoren")
    assert "Letzte Rückfrage an die anfragende Person: Welches Haushaltsjahr?" in card.text
    assert "Antwort: noch keine" in card.text
    assert "Welche Kostenstelle?" not in card.text  # only the last one
    await hotline.say(REQUESTER, f"/antwort {number} 2026")
    await hotline.say("kred.wagner", f"/claim {number}")
    await hotline.say("kred.wagner", f"/handoff {number} debitoren")
    (card,) = await hotline.channel("debitoren")
    assert "Welches Haushaltsjahr?\nAntwort: 2026" in card.text


async def test_after_a_claim_the_resolution_deadline_is_named_as_such(hotline: Harness) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt")
    (card,) = await hotline.channel("haushalt")
    assert "Antwort spätestens" in facts(card)
    await hotline.say(AGENT, f"/claim {number}")
    (card,) = await hotline.channel("haushalt")
    assert "Erledigung bis" in facts(card) and "Antwort spätestens" not in facts(card)
    status = await hotline.say(REQUESTER, f"/status {number}")
    assert "Erledigung bis" in facts(status[-1])
    await hotline.say(AGENT, f"/unclaim {number}")
    told = texts(await hotline.dm(REQUESTER))
    assert "Erledigung bis" in told and "Antwort spätestens" not in told


async def test_before_a_claim_the_answer_deadline_is_named(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "Guten Tag")
    await hotline.file_request(REQUESTER, topic="haushalt")
    status = await hotline.say(REQUESTER, "/status 1")
    assert "Antwort spätestens" in facts(status[-1])


async def test_the_interim_status_does_not_say_someone_works_on_an_unclaimed_ticket(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    sweeper = Sweeper(config, sessions, clock)
    clock.set(berlin(2027, 3, 25, 14, 0))
    number = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.dm(REQUESTER)
    await sweep_at(sweeper, clock, berlin(2027, 3, 31, 9, 0))
    told = texts(await hotline.dm(REQUESTER))
    assert f"Zwischenstand zu Ihrem Anliegen Nr. {number}" in told
    assert "bearbeitet es weiter" not in told
    assert "wird dort als Nächstes übernommen" in told


async def test_a_rating_refusal_says_why_in_plain_words(hotline: Harness) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt")
    refused = texts(await hotline.say(REQUESTER, f"/bewerten {number} 5"))
    assert f"Nr. {number} ist noch nicht erledigt." in refused
    assert "(noch)" not in refused and "bewerten lassen" not in refused


async def test_the_channel_card_shows_who_asked_and_not_its_own_button(
    hotline: Harness,
) -> None:
    number = await hotline.file_request(REQUESTER, topic="haushalt", text="Bitte um Rückruf")
    (card,) = await hotline.channel("haushalt")
    shown = facts(card)
    assert "Übernehmen" not in shown and f"/claim {number}" not in card.text
    assert card.choices[0].label == "Übernehmen"
    assert shown["Anfragende Person"] == REQUESTER
    assert shown["Erreichbar"] == f"lokaler Chat: {REQUESTER}"


async def test_an_anonymous_complaint_card_names_nobody(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "/beschwerde Die Rückmeldung kam erst nach drei Wochen")
    await hotline.say(REQUESTER, action_id="confirm:yes")  # stay anonymous
    await hotline.say(REQUESTER, "ja")
    cards = [n for n in await hotline.dm("bk.berger") if n.ticket_id is not None]
    assert cards and all("Anfragende Person" not in facts(card) for card in cards)
    assert all(REQUESTER not in texts([card]) for card in cards)


async def test_one_proposer_is_one_person_not_1_vorschlagende(hotline: Harness) -> None:
    await hotline.say(REQUESTER, "Hallo")
    await hotline.say(REQUESTER, "1")
    await hotline.say(REQUESTER, action_id="topic:runder_tisch")
    await hotline.say(REQUESTER, "Fristen beim Jahresabschluss besprechen")
    await hotline.say(REQUESTER, "ja")
    scheduled = texts(await hotline.say(LEAD, "/vormerken 1"))
    assert "die Person, die ihn vorgeschlagen hat, ist informiert" in scheduled
    assert "1 Vorschlagende" not in scheduled
