"""Findings of the review of dialogs and commands, each fixed and shown here through the engine
(tests/harness.py), on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.conversation.replies import HELD_MESSAGES, MENU_SIZE
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from dialogs.intake_states import AskDescription, AskHelped, AskTopic, IntakeState, dump_state
from storage.models import SatisfactionRow
from storage.repositories import audit
from storage.repositories.dialog_states import ConversationKey, load_dialog, save_dialog
from tests.harness import Harness, plain_ids, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
HAUSHALT = "hh.schneider"  # Budget / Haushalt
DEBITOREN = "deb.keller"  # Debitoren
BK = "bk.berger"  # Team BK, lead: trains workshops, sends newsletters


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def _asked(hotline: Harness, agent: str, ticket_id: int, question: str) -> None:
    await hotline.say(agent, f"/claim {ticket_id}")
    await hotline.say(agent, f"/ask {ticket_id} {question}")


async def _two_questions(hotline: Harness) -> tuple[int, int]:
    """Two of the requester's tickets, each waiting for the answer to a question back."""
    first = await hotline.file_request(REQUESTER, topic="haushalt", text="Mittel fehlen für X")
    second = await hotline.file_request(REQUESTER, topic="debitoren", text="Forderung doppelt")
    await _asked(hotline, HAUSHALT, first, "Welche Kostenstelle?")
    await _asked(hotline, DEBITOREN, second, "Welcher Betrag?")
    await hotline.dm(REQUESTER)
    return first, second


async def _status(hotline: Harness, ticket_id: int) -> str:
    return (await hotline.ticket(ticket_id)).status


async def _replies(hotline: Harness, ticket_id: int) -> list[Any]:
    return [e.data["text"] for e in await hotline.events(ticket_id) if e.action == "customer_reply"]


# --- 1. a reply lands on the ticket it answers ---------------------------------------------


async def test_with_two_questions_pending_the_bot_asks_which_request_the_reply_is_for(
    hotline: Harness,
) -> None:
    first, second = await _two_questions(hotline)
    asked = await hotline.say(REQUESTER, "Der Betrag ist 300 Euro")
    assert "Zu welchem Anliegen gehört Ihre Antwort?" in texts(asked)
    assert plain_ids(asked[-1:]) == [f"reply:{first}", f"reply:{second}"]
    assert f"Nr. {second} · " in texts(asked)
    assert (await _status(hotline, first), await _status(hotline, second)) == (
        "waiting_for_customer",
        "waiting_for_customer",
    )
    told = texts(await hotline.say(REQUESTER, action_id=f"reply:{second}"))
    assert f"Ihre Antwort zu Nr. {second}" in told
    assert await _replies(hotline, second) == ["Der Betrag ist 300 Euro"]
    assert await _replies(hotline, first) == []
    assert await _status(hotline, second) == "claimed"
    assert await _status(hotline, first) == "waiting_for_customer"
    assert "Der Betrag ist 300 Euro" in texts(await hotline.dm(DEBITOREN))


async def test_the_ticket_can_be_chosen_by_typing_its_number(hotline: Harness) -> None:
    first, second = await _two_questions(hotline)
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    await hotline.say(REQUESTER, f"Nr. {first}")
    assert await _replies(hotline, first) == ["Kostenstelle 4711"]
    assert await _status(hotline, second) == "waiting_for_customer"


async def _two_questions_numbered_apart(hotline: Harness) -> tuple[int, int]:
    """Two waiting tickets numbered 2 and 3: "2" (the menu's second line) is ticket 3,
    while "Nr. 2" is ticket 2, so the two readings of a typed number differ."""
    await hotline.file_request(REQUESTER, topic="haushalt", text="Ein älteres Anliegen")
    first, second = await _two_questions(hotline)
    assert (first, second) == (2, 3)
    return first, second


@pytest.mark.parametrize(
    ("typed", "line"),
    [("2", 2), ("2.", 2), ("1", 1), ("Nr. 2", 1), ("Nr 2", 1), ("#2", 1), ("No. 3", 2)],
)
async def test_a_bare_number_is_the_menu_line_and_nr_n_the_ticket(
    hotline: Harness, typed: str, line: int
) -> None:
    first, second = await _two_questions_numbered_apart(hotline)
    asked = texts(await hotline.say(REQUESTER, "Kostenstelle 4711"))
    assert f"Nr. {first} · " in asked and f"Nr. {second} · " in asked
    await hotline.say(REQUESTER, typed)
    chosen, other = (first, second) if line == 1 else (second, first)
    assert await _replies(hotline, chosen) == ["Kostenstelle 4711"]
    assert await _replies(hotline, other) == []


@pytest.mark.parametrize("typed", ["3", "Nr. 1", "#9"])
async def test_a_number_naming_no_offered_ticket_asks_again_and_keeps_the_text(
    hotline: Harness, typed: str
) -> None:
    first, second = await _two_questions_numbered_apart(hotline)
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    again = texts(await hotline.say(REQUESTER, typed))
    assert "nicht verstanden" in again and "Zu welchem Anliegen" in again
    await hotline.say(REQUESTER, action_id=f"reply:{first}")
    assert await _replies(hotline, first) == ["Kostenstelle 4711"]  # the number was no text
    assert await _replies(hotline, second) == []


async def test_an_answer_in_two_messages_is_held_as_one(hotline: Harness) -> None:
    first, second = await _two_questions(hotline)
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    added = texts(await hotline.say(REQUESTER, "und der Auftrag ist 815"))
    assert t("reply.added", "de") in added and "Zu welchem Anliegen" in added
    assert "nicht verstanden" not in added
    assert plain_ids((await hotline.say(REQUESTER, "keine Ahnung"))[-1:]) == [
        f"reply:{first}",
        f"reply:{second}",
    ]
    await hotline.say(REQUESTER, "2")
    assert await _replies(hotline, second) == [
        "Kostenstelle 4711\n\nund der Auftrag ist 815\n\nkeine Ahnung"
    ]
    assert await _replies(hotline, first) == []


async def test_a_held_reply_stops_growing_and_says_so(hotline: Harness) -> None:
    first, _second = await _two_questions(hotline)
    parts = [f"Teil {n} " + "x" * 1890 for n in range(HELD_MESSAGES + 1)]
    assert "Zu welchem Anliegen" in texts(await hotline.say(REQUESTER, parts[0]))
    for part in parts[1:HELD_MESSAGES]:
        assert t("reply.added", "de") in texts(await hotline.say(REQUESTER, part))
    full = texts(await hotline.say(REQUESTER, parts[-1]))
    assert t("reply.held_full", "de") in full and "Zu welchem Anliegen" in full
    await hotline.say(REQUESTER, action_id=f"reply:{first}")
    assert await _replies(hotline, first) == ["\n\n".join(parts[:HELD_MESSAGES])]


async def test_an_expired_held_reply_is_reported_as_not_sent(hotline: Harness) -> None:
    first, second = await _two_questions(hotline)
    long = "Kostenstelle 4711, Auftrag 815, " + "Belegnummer 12345 " * 8
    await hotline.say(REQUESTER, long)
    hotline.clock.advance(hotline.config.dialogs.timeout + timedelta(minutes=1))
    told = await hotline.say(REQUESTER, "Welche Unterlagen brauchen Sie noch?")
    assert told[0].text.startswith("Ihre frühere Antwort „Kostenstelle 4711, Auftrag 815, Beleg")
    assert "…“ habe ich nicht verschickt" in told[0].text and len(told[0].text) < len(long) + 150
    assert "Zu welchem Anliegen" in texts(told[1:])  # the new message is held as usual
    await hotline.say(REQUESTER, f"Nr. {first}")
    assert await _replies(hotline, first) == ["Welche Unterlagen brauchen Sie noch?"]
    assert await _replies(hotline, second) == []


@pytest.mark.parametrize("typed", [None, "Nr. {first}", "abbrechen"])
async def test_a_choice_after_expiry_only_hears_that_the_reply_was_not_sent(
    hotline: Harness, typed: str | None
) -> None:
    first, second = await _two_questions(hotline)
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    hotline.clock.advance(hotline.config.dialogs.timeout + timedelta(minutes=1))
    if typed is None:
        told = await hotline.say(REQUESTER, action_id=f"reply:{first}")
    else:
        told = await hotline.say(REQUESTER, typed.format(first=first))
    assert [n.text for n in told] == [t("reply.not_sent", "de", text="Kostenstelle 4711")]
    assert await _replies(hotline, first) == await _replies(hotline, second) == []
    assert "nicht verschickt" not in texts(await hotline.say(REQUESTER, "Hallo"))  # told once


async def test_antwort_after_expiry_reports_the_unsent_reply_and_answers(
    hotline: Harness,
) -> None:
    first, second = await _two_questions(hotline)
    await hotline.say(REQUESTER, "Kostenstelle 4711", locale="en")
    hotline.clock.advance(hotline.config.dialogs.timeout + timedelta(minutes=1))
    told = await hotline.say(REQUESTER, f"/reply {second} 300 Euro", locale="en")
    assert told[0].text == t("reply.not_sent", "en", text="Kostenstelle 4711")
    assert await _replies(hotline, second) == ["300 Euro"]
    assert await _replies(hotline, first) == []


async def test_abbrechen_drops_the_held_reply(hotline: Harness) -> None:
    first, second = await _two_questions(hotline)
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    assert "abgebrochen" in texts(await hotline.say(REQUESTER, "abbrechen"))
    assert await _replies(hotline, first) == await _replies(hotline, second) == []


async def test_antwort_answers_one_particular_ticket(hotline: Harness) -> None:
    first, second = await _two_questions(hotline)
    told = texts(await hotline.say(REQUESTER, f"/antwort {second} Der Betrag ist 300 Euro"))
    assert f"Ihre Antwort zu Nr. {second}" in told
    assert await _replies(hotline, second) == ["Der Betrag ist 300 Euro"]
    await hotline.say(REQUESTER, f"!reply {first} Cost centre 4711")
    assert await _replies(hotline, first) == ["Cost centre 4711"]


async def test_antwort_leaves_a_running_rating_comment_in_place(hotline: Harness) -> None:
    rated = await hotline.file_request(REQUESTER, topic="haushalt", text="Mittel fehlen")
    asked = await hotline.file_request(REQUESTER, topic="debitoren", text="Forderung doppelt")
    await _asked(hotline, DEBITOREN, asked, "Welcher Betrag?")
    await hotline.say(HAUSHALT, f"/resolve {rated} Die Mittel sind gebucht.")
    assert "anmerken" in texts(await hotline.say(REQUESTER, f"/bewertung {rated} 4"))
    await hotline.say(REQUESTER, f"/antwort {asked} 300 Euro")
    assert await _replies(hotline, asked) == ["300 Euro"]
    thanks = texts(await hotline.say(REQUESTER, "Schnell und freundlich"))
    assert "Kommentar ist angekommen" in thanks
    async with hotline.sessions() as session:
        rows = (await session.scalars(select(SatisfactionRow))).all()
    assert [(row.ticket_id, row.score, row.comment) for row in rows] == [
        (rated, 4, "Schnell und freundlich")
    ]
    infos = [e for e in await hotline.events(asked) if e.action == "customer_info"]
    assert infos == []  # the comment did not go to the answered ticket


async def test_antwort_leaves_a_held_reply_in_place(hotline: Harness) -> None:
    third = await hotline.file_request(REQUESTER, topic="haushalt", text="Noch etwas")
    first, second = await _two_questions(hotline)
    await _asked(hotline, HAUSHALT, third, "Welcher Zeitraum?")
    await hotline.dm(REQUESTER)
    await hotline.say(REQUESTER, "Kostenstelle 4711")
    await hotline.say(REQUESTER, f"/antwort {third} Januar bis März")
    assert await _replies(hotline, third) == ["Januar bis März"]
    await hotline.say(REQUESTER, action_id=f"reply:{first}")
    assert await _replies(hotline, first) == ["Kostenstelle 4711"]
    assert await _replies(hotline, second) == []


async def test_the_question_back_names_the_antwort_command(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await _asked(hotline, HAUSHALT, ticket_id, "Welche Kostenstelle?")
    assert f"/antwort {ticket_id}" in texts(await hotline.dm(REQUESTER))


async def test_antwort_is_no_longer_a_staff_resolve(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(HAUSHALT, f"/claim {ticket_id}")
    answer = texts(await hotline.say(HAUSHALT, f"/antwort {ticket_id} Ist gebucht."))
    assert answer.strip() == t("reply.staff_use_resolve", "de", id=ticket_id)
    assert f"/erledigt {ticket_id} Ihre Antwort" in answer
    english = texts(await hotline.say(HAUSHALT, f"!reply {ticket_id} Done.", locale="en"))
    assert f"/resolve {ticket_id} your answer" in english
    assert await _status(hotline, ticket_id) == "claimed"
    async with hotline.sessions() as session:
        refused = await audit.entries(session, action="refused")
    assert [(e.user_id, e.ticket_id, e.detail.get("command")) for e in refused] == [
        (HAUSHALT, ticket_id, "reply"),
        (HAUSHALT, ticket_id, "reply"),
    ]
    # Staff who may not work on the ticket still hear that it is not theirs.
    other = texts(await hotline.say(DEBITOREN, f"/antwort {ticket_id} Ist gebucht."))
    assert f"Nr. {ticket_id} ist nicht Ihr Anliegen" in other
    await hotline.say(HAUSHALT, f"/erledigt {ticket_id} Ist gebucht.")
    assert await _status(hotline, ticket_id) == "resolved"


async def test_more_waiting_tickets_than_the_menu_holds_are_named(hotline: Harness) -> None:
    waiting = [
        await hotline.file_request(REQUESTER, topic="haushalt", text=f"Anliegen {n}")
        for n in range(MENU_SIZE + 1)
    ]
    for ticket_id in waiting:
        await _asked(hotline, HAUSHALT, ticket_id, "Welche Kostenstelle?")
    await hotline.dm(REQUESTER)
    asked = await hotline.say(REQUESTER, "Kostenstelle 4711")
    assert plain_ids(asked[-1:]) == [f"reply:{n}" for n in waiting[:MENU_SIZE]]
    assert t("reply.more_waiting", "de") in asked[-1].text
    await hotline.say(REQUESTER, f"/antwort {waiting[-1]} Kostenstelle 0815")
    assert await _replies(hotline, waiting[-1]) == ["Kostenstelle 0815"]


async def test_help_lists_antwort_for_requesters(hotline: Harness) -> None:
    german = texts(await hotline.say(REQUESTER, "/hilfe"))
    assert "/antwort Nr. Ihre Antwort auf die Rückfrage – Rückfrage zu einem Anliegen" in german
    english = texts(await hotline.say(REQUESTER, "/help", locale="en"))
    assert "/reply no. your answer to the question – answer a question" in english


# --- 2. a stored state naming removed configuration restarts politely -----------------------


@pytest.mark.parametrize(
    ("state", "typed", "asks"),
    [
        (AskHelped(None, "haushalt", "removed-faq-entry"), "vielleicht", "Kundengruppe"),
        (AskHelped(None, "haushalt", "removed-faq-entry"), "nein", "Kundengruppe"),
        (AskDescription(None, "removed-topic"), "Mein Beleg fehlt", "Kundengruppe"),
        (AskTopic("removed-group"), "1", "Kundengruppe"),
    ],
    ids=["faq-not-understood", "faq-no", "topic", "group"],
)
async def test_a_state_naming_removed_config_restarts_the_intake(
    hotline: Harness, state: IntakeState, typed: str, asks: str
) -> None:
    key = ConversationKey("local", f"user:{REQUESTER}", REQUESTER)
    async with hotline.sessions() as session, session.begin():
        await save_dialog(
            session,
            key=key,
            seen_version=None,
            dialog="intake",
            state=dump_state(state),
            at=hotline.clock.now(),
        )
    answer = texts(await hotline.say(REQUESTER, typed)).strip()
    assert "Das Menü hat sich geändert, bitte wählen Sie neu." in answer
    assert asks in answer and "schiefgelaufen" not in answer
    async with hotline.sessions() as session:
        stored = await load_dialog(session, key=key)
        assert stored is not None and stored.state["kind"] == "AskGroup"
        assert await audit.entries(session, action="inbound_failed") == []
    assert "Worum geht es?" in texts(await hotline.say(REQUESTER, "1"))


# --- 3. usage hints in the user's language, with the alias typed ----------------------------


async def test_usage_hints_follow_the_language(hotline: Harness) -> None:
    assert "Usage: /claim no." in texts(await hotline.say(HAUSHALT, "/claim", locale="en"))
    assert "So geht es: /claim Nr." in texts(await hotline.say(HAUSHALT, "/claim"))
    english = texts(await hotline.say(HAUSHALT, "!uebernehmen", locale="en"))
    assert "Usage: !uebernehmen no." in english
    handoff = texts(await hotline.say(HAUSHALT, "/handoff 1", locale="en"))
    assert "/handoff no. TEAM [reason]" in handoff and "Grund" not in handoff


# --- 4. cancel with nothing running ----------------------------------------------------------


@pytest.mark.parametrize("typed", ["/abbrechen", "!cancel", "abbrechen", "Stop"])
async def test_cancel_with_nothing_running_says_so(hotline: Harness, typed: str) -> None:
    answer = texts(await hotline.say(REQUESTER, typed)).strip()
    assert answer == "Es läuft gerade keine Eingabe, die ich abbrechen könnte."


async def test_cancel_still_drops_a_pending_card_answer_first(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.say(HAUSHALT, action_id=f"resolve:{ticket_id}", channel="haushalt")
    assert f"Nr. {ticket_id} bleibt offen" in texts(await hotline.say(HAUSHALT, "/abbrechen"))
    assert "keine Eingabe" in texts(await hotline.say(HAUSHALT, "/abbrechen"))


# --- 5. the waiting status, worded for each side -------------------------------------------


async def test_waiting_status_is_worded_for_staff_and_for_the_requester(
    hotline: Harness,
) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    await hotline.channel("haushalt")
    await _asked(hotline, HAUSHALT, ticket_id, "Welche Kostenstelle?")
    staff_side = [
        texts(await hotline.channel("haushalt")),
        texts(await hotline.say(HAUSHALT, "/queue")),
        texts(await hotline.say(HAUSHALT, f"/claim {ticket_id}")),
        texts(await hotline.say(HAUSHALT, f"/status {ticket_id}")),
    ]
    for told in staff_side:
        assert "wartet auf Antwort der anfragenden Person" in told, told
        assert "wartet auf Ihre Antwort" not in told, told
    requester_side = [
        texts(await hotline.dm(REQUESTER)),
        texts(await hotline.say(REQUESTER, f"/status {ticket_id}")),
        texts(await hotline.say(REQUESTER, "/meine")),
        texts(await hotline.say(REQUESTER, f"/reopen {ticket_id}")),
    ]
    for told in requester_side:
        assert "wartet auf Ihre Antwort" in told, told
        assert "des Anfragenden" not in told, told


# --- 6. the platform's language counts until the user chooses one ---------------------------


async def test_a_platform_language_change_is_followed_without_sprache(hotline: Harness) -> None:
    await hotline.say("anna", "Hallo")
    assert "Worum geht es?" in texts(await hotline.say("anna", "1"))  # the group is stored
    assert "How to use the hotline" in texts(await hotline.say("anna", "/hilfe", locale="en"))
    assert "What is it about?" in texts(await hotline.say("anna", "/neu", locale="en-GB"))


async def test_a_chosen_language_wins_over_the_platform(hotline: Harness) -> None:
    await hotline.say("ben", "/sprache de", locale="en")
    await hotline.say("ben", "Hallo", locale="en")
    assert "Worum geht es?" in texts(await hotline.say("ben", "1", locale="en"))
    assert "So erreichen Sie die Hotline" in texts(await hotline.say("ben", "/help", locale="en"))


# --- 7. smaller answers ------------------------------------------------------------------------


async def test_a_question_on_an_unclaimed_ticket_asks_to_claim_first(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt")
    answer = texts(await hotline.say(HAUSHALT, f"/ask {ticket_id} Welche Kostenstelle?"))
    assert f"Bitte übernehmen Sie Nr. {ticket_id} zuerst (/claim {ticket_id})" in answer
    assert await _status(hotline, ticket_id) == "queued"


@pytest.mark.parametrize("command", ["/teilnehmer 1", "/rueckmeldungen 1"])
async def test_a_missing_workshop_is_named_as_such(hotline: Harness, command: str) -> None:
    answer = texts(await hotline.say(BK, command)).strip()
    assert answer == "Einen Workshop Nr. 1 gibt es nicht. /workshops zeigt die Termine."


async def test_help_lists_the_newsletter(hotline: Harness) -> None:
    assert "/newsletter – " in texts(await hotline.say(REQUESTER, "/hilfe"))
    staff = texts(await hotline.say(BK, "/hilfe"))
    assert "/newsletter senden" in staff
