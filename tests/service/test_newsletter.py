"""The newsletter dialogs: subscriptions per customer group, Team BK's send dialog with its
preview, refusals and polite answers to bad input (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from storage.models import AuditLogRow, NewsletterRow, NewsletterSubscriptionRow
from storage.repositories import newsletter as repo
from storage.repositories.dialog_states import ConversationKey, load_dialog
from tests.harness import Harness, plain_ids, texts
from tests.service.newsletter_support import AUTHOR, compose, subscribe
from tests.service.sweep_support import Sessions

REQUESTER = "schule.sonne"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def subscriptions(sessions: Sessions, user: str) -> set[str]:
    async with sessions() as session:
        query = select(NewsletterSubscriptionRow.group_id).where(
            NewsletterSubscriptionRow.user_id == user
        )
        return set((await session.scalars(query)).all())


async def test_subscribe_and_unsubscribe_by_button_number_and_word(
    hotline: Harness, sessions: Sessions
) -> None:
    menu = (await hotline.say(REQUESTER, "/newsletter"))[-1]
    assert "Sie erhalten zurzeit: keinen Newsletter" in menu.text
    ids = plain_ids([menu])
    assert ids[:3] == ["nl:sub:f1-f3", "nl:sub:f4", "nl:sub:kern"] and ids[-1] == "nl:done"

    answer = await hotline.say(REQUESTER, action_id="nl:sub:f4")  # a button
    assert "Newsletter für Dezentrale Einrichtungen F4" in texts(answer)
    assert plain_ids(answer[-1:])[1] == "nl:unsub:f4"
    await hotline.say(REQUESTER, "3")  # KERN, typed as its number
    assert await subscriptions(sessions, REQUESTER) == {"f4", "kern"}
    answer = await hotline.say(REQUESTER, "f4")  # typed as its word: unsubscribes
    assert "nicht mehr" in texts(answer)
    assert "Sie erhalten zurzeit: Kernbereich Verwaltung (KERN)" in answer[-1].text
    assert "gespeichert" in texts(await hotline.say(REQUESTER, "fertig"))
    assert await subscriptions(sessions, REQUESTER) == {"kern"}
    # The menu is closed: free text starts a request again.
    assert "Kundengruppe" in texts(await hotline.say(REQUESTER, "Hallo"))


async def test_the_menu_answers_a_wrong_number_politely_and_lets_free_text_through(
    hotline: Harness, sessions: Sessions
) -> None:
    await hotline.say(REQUESTER, "/newsletter")
    assert "Nummer von 1 bis 9" in texts(await hotline.say(REQUESTER, "42"))
    answer = texts(await hotline.say(REQUESTER, "Ich habe eine Frage zur Rechnung"))
    assert "Kundengruppe" in answer  # the intake took it; nothing was subscribed
    assert await subscriptions(sessions, REQUESTER) == set()
    # The buttons still work later, without the menu being open (outside a running intake).
    await hotline.say(REQUESTER, "/abbrechen")
    await hotline.say(REQUESTER, action_id="nl:sub:kern")
    assert await subscriptions(sessions, REQUESTER) == {"kern"}


@pytest.mark.parametrize("user", [REQUESTER, "hh.schneider"])  # a requester, a non-BK lead
async def test_only_team_bk_may_send(hotline: Harness, sessions: Sessions, user: str) -> None:
    answer = texts(await hotline.say(user, "/newsletter senden"))
    assert "Newsletter verschickt die Kundenbetreuung und Buchhaltung" in answer
    assert "/newsletter" in answer
    async with sessions() as session:
        refusals = (
            await session.scalars(select(AuditLogRow).where(AuditLogRow.action == "refused"))
        ).all()
    assert [(row.user_id, row.detail["command"]) for row in refusals] == [(user, "newsletter")]
    # And the refusal started no dialog: the next message is free text for the intake.
    assert "Kundengruppe" in texts(await hotline.say(user, "Hallo"))


async def test_preview_shows_exactly_the_newsletter_and_the_recipient_count(
    hotline: Harness, sessions: Sessions, clock: FrozenClock
) -> None:
    await subscribe(sessions, clock, "schule.a", "f4")
    await subscribe(sessions, clock, "schule.b", "f4", "kern")
    await subscribe(sessions, clock, "schule.c", "kern")
    await hotline.say(AUTHOR, "/newsletter senden")
    answer = await hotline.say(AUTHOR, "2, 3")  # F4 and KERN at once
    assert "Gewählt: Dezentrale Einrichtungen F4, Kernbereich Verwaltung (KERN)" in texts(answer)
    await hotline.say(AUTHOR, "kern")  # KERN off again
    await hotline.say(AUTHOR, "weiter")
    await hotline.say(AUTHOR, "Jahresabschluss")
    preview = await hotline.say(AUTHOR, "Bitte buchen Sie alle Rechnungen bis zum 15.12.")
    intro, newsletter, confirm = preview
    assert "Vorschau" in intro.text
    assert newsletter.title == "Jahresabschluss"
    assert newsletter.text.startswith("Bitte buchen Sie alle Rechnungen bis zum 15.12.\n\n")
    footer = "Newsletter der Kundenbetreuung und Buchhaltung für Dezentrale Einrichtungen F4"
    assert footer in newsletter.text
    assert "Empfangende: 2 " in confirm.text  # schule.a and schule.b; schule.c is KERN only
    assert plain_ids([confirm]) == ["nl:send", "back", "nl:cancel"]

    answer = await hotline.say(AUTHOR, "Ja, senden")
    assert "Newsletter Nr. 1 geht jetzt nach und nach hinaus (Empfangende: 2)" in texts(answer)
    async with sessions() as session:
        row = (await session.scalars(select(NewsletterRow))).one()
    assert (row.status, row.groups, row.recipients) == ("sending", ["f4"], 2)
    assert row.body == newsletter.text.split("\n\n")[0]


async def test_cancel_sends_nothing(
    hotline: Harness, sessions: Sessions, clock: FrozenClock
) -> None:
    await subscribe(sessions, clock, "schule.a", "f4")
    assert "Empfangende: 1 " in await compose(hotline)
    assert "nichts verschickt" in texts(await hotline.say(AUTHOR, "abbrechen"))
    assert "gibt es nicht" not in texts(await hotline.say(AUTHOR, "Ja, senden"))
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(NewsletterRow)) == 0
    assert await hotline.dm("schule.a") == []


async def test_bad_input_is_answered_politely_and_back_goes_back(
    hotline: Harness, sessions: Sessions, clock: FrozenClock
) -> None:
    await subscribe(sessions, clock, "schule.a", "kern")
    await hotline.say(AUTHOR, "/newsletter senden")
    assert "mindestens eine Kundengruppe" in texts(await hotline.say(AUTHOR, "weiter"))
    assert "nicht verstanden" in texts(await hotline.say(AUTHOR, "alle Schulen bitte"))
    await hotline.say(AUTHOR, "f4")
    await hotline.say(AUTHOR, "weiter")
    assert "höchstens 200 Zeichen" in texts(await hotline.say(AUTHOR, "x" * 201))
    await hotline.say(AUTHOR, "Kurz")
    assert "mindestens 10 Zeichen" in texts(await hotline.say(AUTHOR, "zu kurz"))
    assert "Titel" in texts(await hotline.say(AUTHOR, "zurück"))
    await hotline.say(AUTHOR, "Abschluss")  # a title that starts like "abbrechen"
    await hotline.say(AUTHOR, "Der Text des Newsletters.")
    assert "Bitte antworten Sie" in texts(await hotline.say(AUTHOR, "vielleicht"))
    # Nobody subscribed to F4: sending is refused politely, the draft stays.
    assert "noch niemand" in texts(await hotline.say(AUTHOR, "1"))
    await hotline.say(AUTHOR, "zurück")
    await hotline.say(AUTHOR, "zurück")
    await hotline.say(AUTHOR, "zurück")  # back at the groups: F4 off, KERN on
    await hotline.say(AUTHOR, "f4 kern")
    await hotline.say(AUTHOR, "weiter")
    await hotline.say(AUTHOR, "Abschluss")
    preview = texts(await hotline.say(AUTHOR, "Der Text des Newsletters."))
    assert "Empfangende: 1 (Kundengruppen: Kernbereich Verwaltung (KERN))" in preview
    assert "(Empfangende: 1)" in texts(await hotline.say(AUTHOR, action_id="nl:send"))
    # A second press of the same button finds no draft: nothing is sent twice.
    await hotline.say(AUTHOR, action_id="nl:send")
    async with sessions() as session:
        assert await session.scalar(select(func.count()).select_from(NewsletterRow)) == 1


async def test_a_persons_subscriptions_can_be_exported_and_forgotten(
    hotline: Harness, sessions: Sessions, clock: FrozenClock
) -> None:
    await subscribe(sessions, clock, REQUESTER, "f4", "kern")
    await subscribe(sessions, clock, "schule.andere", "f4")
    async with sessions() as session, session.begin():
        exported = await repo.subscriptions_of(session, platform="local", user_id=REQUESTER)
        assert [record["group"] for record in exported] == ["f4", "kern"]
        assert await repo.forget_person(session, platform="local", user_id=REQUESTER) == 2
    assert await subscriptions(sessions, REQUESTER) == set()
    assert await subscriptions(sessions, "schule.andere") == {"f4"}


async def test_abbrechen_discards_a_newsletter_draft(hotline: Harness) -> None:
    await hotline.say(AUTHOR, "/newsletter senden")
    assert "abgebrochen" in texts(await hotline.say(AUTHOR, "/abbrechen"))
    async with hotline.sessions() as session:
        stored = await load_dialog(session, key=ConversationKey("local", f"user:{AUTHOR}", AUTHOR))
    assert stored is None
