"""FAQ proposals through the engine, as local-chat users, on both stores (issue 17).

An agent proposes a resolved ticket's answer; Team BK reviews it in its channel (accept,
edit in a short DM dialog, reject), once; an accepted entry is offered by the intake at
once, to the customer groups it was accepted for, beside the config's entries; the report
says how often each entry helped.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import replace

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.reports import csv_export, render
from bot.reports.metrics import Share
from bot.reports.service import build, month
from bot.service.privacy import PrivacyService
from storage.models import FaqEntryRow, KnowledgeFeedbackRow, OutboxRow
from tests.harness import Harness, button, plain_ids, texts

Sessions = async_sessionmaker[AsyncSession]
REQUESTER = "schule.sonne"
OTHER = "schule.mond"  # another school, the same customer group (F1-F3)
F4 = "einrichtung.f4"  # a requester of customer group F4
AGENT = "hh.weber"  # Budget / Haushalt
BK_LEAD, BK_MEMBER = "bk.berger", "bk.yilmaz"
ANSWER = "Mehr Mittel beantragen Sie mit dem Formular HH-7; wir prüfen binnen zwei Tagen."
QUESTION = "Wie beantrage ich zusätzliche Haushaltsmittel?"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def resolved_ticket(hotline: Harness, user: str = REQUESTER, group: str = "1") -> int:
    """A Haushalt request of `user`, claimed and resolved by the agent with ANSWER."""
    ticket_id = await hotline.file_request(
        user, topic="haushalt", text="Das Budget für Lehrmittel reicht nicht", group=group
    )
    await hotline.say(AGENT, f"/claim {ticket_id}")
    await hotline.say(AGENT, f"/erledigt {ticket_id} {ANSWER}")
    await hotline.channel("bk")  # what was there before the proposal
    await hotline.channel("haushalt")
    await hotline.dm(user)
    return ticket_id


async def entry(hotline: Harness, number: int) -> FaqEntryRow:
    async with hotline.sessions() as session:
        row = await session.get(FaqEntryRow, number)
        assert row is not None
        return row


async def propose(hotline: Harness, ticket_id: int, question: str = QUESTION) -> int:
    answer = await hotline.say(AGENT, f"/faq {ticket_id} {question}")
    assert "FAQ-Vorschlag Nr." in texts(answer), texts(answer)
    async with hotline.sessions() as session:
        query = select(FaqEntryRow.id).where(FaqEntryRow.ticket_id == ticket_id)
        return int((await session.scalars(query)).one())


async def faq_menu(hotline: Harness, user: str, group: str = "1") -> list[Notice]:
    """`user` starts a request about Haushalt; what the intake offers next."""
    await hotline.say(user, "Hallo")
    await hotline.say(user, group)
    return await hotline.say(user, action_id="topic:haushalt")


async def test_an_accepted_answer_is_offered_at_once(hotline: Harness) -> None:
    ticket_id = await resolved_ticket(hotline)
    number = await propose(hotline, ticket_id)
    (card,) = await hotline.channel("bk")
    assert card.card == f"faq-{number}" and card.channel_safe
    assert plain_ids([card]) == [f"faq_review:{number}:{v}" for v in ("accept", "edit", "reject")]
    assert QUESTION in texts([card]) and ANSWER in texts([card])
    assert "Julia Weber" in texts([card]) and "Dezentrale Einrichtungen F1–F3" in texts([card])

    before = await faq_menu(hotline, OTHER)
    assert QUESTION not in texts(before)  # not yet: only the config's entry
    await hotline.say(OTHER, "abbrechen")

    done = await hotline.say(BK_MEMBER, action_id=f"faq_review:{number}:accept", channel="bk")
    assert t("faq.accepted", "de", id=number, entry=f"faq-{number}") in texts(done)
    (decided,) = await hotline.channel("bk")
    assert decided.card == card.card and not decided.choices  # the same card, no buttons
    assert "Angenommen von Deniz Yılmaz" in texts([decided])
    told = await hotline.dm(AGENT)
    assert "wurde vom Team BK angenommen" in texts(told)

    menu = await faq_menu(hotline, OTHER)  # no restart, no reload
    assert "answer:haushaltsmittel-verfuegbar" in plain_ids(menu)  # the seed stays
    pressed = button(menu, f"answer:faq-{number}")
    assert pressed is not None, texts(menu)
    shown = await hotline.say(OTHER, action_id=pressed)
    assert ANSWER in texts(shown) and QUESTION in texts(shown)
    await hotline.say(OTHER, "ja")  # it helped
    async with hotline.sessions() as session:
        rows = (await session.scalars(select(KnowledgeFeedbackRow))).all()
    feedback = {(row.entry_id, row.helped) for row in rows}
    assert (f"faq-{number}", True) in feedback  # the filed request declined the config's

    start, end = month(hotline.config, None, hotline.clock.now().date())
    async with hotline.sessions() as session:
        report = await build(session, hotline.config, hotline.clock, start, end)
    assert report.answers_by_entry == {
        f"faq-{number}": Share(1, 1),  # each entry, config or accepted, on its own
        "haushaltsmittel-verfuegbar": Share(0, 1),
    }
    lines = texts([render.to_notice(hotline.config, report)])
    assert "Antworten der ersten Ebene: geholfen" in lines and QUESTION in lines
    csv = csv_export.to_csv(hotline.config, report).decode("utf-8-sig")
    assert f"Eintrag;{QUESTION};geholfen;100,0;%;1;1" in csv


async def test_an_entry_is_offered_only_to_its_customer_groups(hotline: Harness) -> None:
    ticket_id = await resolved_ticket(hotline)  # F1-F3
    number = await propose(hotline, ticket_id)
    await hotline.say(BK_MEMBER, action_id=f"faq_review:{number}:accept", channel="bk")
    f4 = await faq_menu(hotline, F4, group="2")  # F4: only the config's entry, shown at once
    assert f"answer:faq-{number}" not in plain_ids(f4)
    assert QUESTION not in texts(f4)


async def test_a_decided_proposal_is_decided_once(hotline: Harness) -> None:
    number = await propose(hotline, await resolved_ticket(hotline))
    await hotline.say(BK_MEMBER, action_id=f"faq_review:{number}:reject", channel="bk")
    assert (await entry(hotline, number)).status == "rejected"
    await hotline.channel("bk")
    for verdict in ("accept", "reject", "edit"):
        again = await hotline.say(BK_LEAD, action_id=f"faq_review:{number}:{verdict}", channel="bk")
        assert "ist schon entschieden (abgelehnt); es ändert sich nichts" in texts(again)
    row = await entry(hotline, number)
    assert (row.status, row.decided_by) == ("rejected", BK_MEMBER)
    assert await hotline.channel("bk") == []  # the card is not sent again
    menu = await faq_menu(hotline, OTHER)
    assert f"answer:faq-{number}" not in plain_ids(menu)


async def test_only_team_bk_reviews(hotline: Harness) -> None:
    number = await propose(hotline, await resolved_ticket(hotline))
    for user in ("hh.schneider", "leitung.meyer", AGENT):
        refused = await hotline.say(user, f"/faqpruefen {number} annehmen")
        assert [n.text for n in refused] == [t("faq.bk_only", "de")], user
    refused = await hotline.say(REQUESTER, f"/faqpruefen {number} annehmen")
    assert [n.text for n in refused] == [t("error.staff_only", "de")]
    assert (await entry(hotline, number)).status == "proposed"
    listed = await hotline.say(BK_MEMBER, "/faqpruefen")
    assert f"Nr. {number} – Budget / Haushaltsmittel: „{QUESTION}“" in texts(listed)


async def test_team_bk_edits_question_answer_and_groups(hotline: Harness) -> None:
    number = await propose(hotline, await resolved_ticket(hotline))
    private = await hotline.say(BK_LEAD, action_id=f"faq_review:{number}:edit", channel="bk")
    here = button(private, f"faq_review:{number}:edit")
    assert here is not None and "im Direktchat" in texts(private)
    asked = await hotline.say(BK_LEAD, action_id=here)
    assert "Die Frage lautet jetzt" in texts(asked) and QUESTION in texts(asked)
    asked = await hotline.say(BK_LEAD, "Wie bekomme ich mehr Budget?")
    assert "Die Antwort lautet jetzt" in texts(asked)
    keep = button(asked, "fkeep")
    assert keep is not None
    asked = await hotline.say(BK_LEAD, action_id=keep)
    assert "Für welche Kundengruppen" in texts(asked)
    summary = await hotline.say(BK_LEAD, "1, 2")
    both = "Dezentrale Einrichtungen F1–F3 (Schulen, Kitas, Horte), Dezentrale Einrichtungen F4"
    assert both in texts(summary)
    accept = button(summary, "faccept")
    assert accept is not None
    done = await hotline.say(BK_LEAD, action_id=accept)
    assert "ist angenommen" in texts(done)
    row = await entry(hotline, number)
    assert (row.status, row.question) == ("accepted", "Wie bekomme ich mehr Budget?")
    assert row.answer == ANSWER
    assert row.groups == ["f1-f3", "f4"]
    stale = await hotline.say(BK_LEAD, action_id=accept)  # the confirmation's button again
    assert "nicht mehr aktuell" in texts(stale)
    f4 = await faq_menu(hotline, F4, group="2")
    assert f"answer:faq-{number}" in plain_ids(f4)


async def test_an_edit_can_be_cancelled_and_goes_back(hotline: Harness) -> None:
    number = await propose(hotline, await resolved_ticket(hotline))
    await hotline.say(BK_MEMBER, f"/faqpruefen {number} ändern")
    await hotline.say(BK_MEMBER, "Neue Frage?")
    back = await hotline.say(BK_MEMBER, "zurück")
    assert "Die Frage lautet jetzt: „Neue Frage?“" in texts(back)
    cancelled = await hotline.say(BK_MEMBER, "abbrechen")
    assert "wartet weiter auf Prüfung" in texts(cancelled)
    row = await entry(hotline, number)
    assert (row.status, row.question) == ("proposed", QUESTION)


async def test_proposals_need_a_resolved_ticket_and_come_once(hotline: Harness) -> None:
    ticket_id = await hotline.file_request(REQUESTER, topic="haushalt", text="Budget reicht nicht")
    await hotline.say(AGENT, f"/claim {ticket_id}")
    early = await hotline.say(AGENT, f"/faq {ticket_id}")
    assert [n.text for n in early] == [t("faq.not_resolved", "de", id=ticket_id)]
    await hotline.say(AGENT, f"/erledigt {ticket_id} {ANSWER}")
    card = (await hotline.channel("haushalt"))[-1]
    pressed = button([card], f"faq:{ticket_id}")  # the resolved card's button
    assert pressed is not None, texts([card])
    first = await hotline.say(AGENT, action_id=pressed, channel="haushalt")
    assert "ist beim Team BK zur Prüfung" in texts(first)
    again = await hotline.say(AGENT, f"/faq {ticket_id}")
    assert "liegt schon FAQ-Vorschlag Nr. 1" in texts(again)
    row = await entry(hotline, 1)
    assert row.question == "Budget reicht nicht"  # no question given: the request's words
    other = await hotline.say("kred.novak", f"/faq {ticket_id}")
    assert [n.text for n in other] == [t("error.not_allowed", "de", id=ticket_id)]


async def test_erasure_takes_an_undecided_proposal_and_its_card_along(
    hotline: Harness, config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    waiting = await propose(hotline, await resolved_ticket(hotline), question="")
    kept = await propose(hotline, await resolved_ticket(hotline, user=OTHER))
    await hotline.say(BK_MEMBER, action_id=f"faq_review:{kept}:accept", channel="bk")
    assert (await entry(hotline, waiting)).question == "Das Budget für Lehrmittel reicht nicht"
    privacy = PrivacyService(config, sessions, clock)
    await privacy.erase(user_id=REQUESTER)
    await privacy.erase(user_id=OTHER)
    async with hotline.sessions() as session:
        left = (await session.scalars(select(FaqEntryRow))).all()
        cards = (await session.scalars(select(OutboxRow))).all()
    assert [(row.id, row.status) for row in left] == [(kept, "accepted")]  # reviewed text
    quoted = [row for row in cards if "Lehrmittel" in json.dumps(row.payload, ensure_ascii=False)]
    assert quoted == []  # the review card quoted the request: gone with it


async def test_two_reviewers_at_once_decide_once(hotline: Harness) -> None:
    number = await propose(hotline, await resolved_ticket(hotline))
    await hotline.channel("bk")
    lead, member = await asyncio.gather(
        hotline.say(BK_LEAD, action_id=f"faq_review:{number}:accept", channel="bk"),
        hotline.say(BK_MEMBER, action_id=f"faq_review:{number}:reject", channel="bk"),
    )
    answers = texts(lead) + texts(member)
    decided = answers.count("ist angenommen") + answers.count("ist abgelehnt")
    assert decided == 1 and answers.count("schon entschieden") == 1, answers
    row = await entry(hotline, number)
    assert row.status in ("accepted", "rejected") and row.version == 2
    assert len(await hotline.channel("bk")) == 1  # one decided card


async def test_an_edit_finished_after_a_colleague_decided_changes_nothing(
    hotline: Harness,
) -> None:
    number = await propose(hotline, await resolved_ticket(hotline))
    await hotline.say(BK_LEAD, f"/faqpruefen {number} ändern")
    await hotline.say(BK_LEAD, "Andere Frage?")
    await hotline.say(BK_MEMBER, f"/faqpruefen {number} ablehnen")  # meanwhile
    await hotline.say(BK_LEAD, "1")  # keep the answer
    summary = await hotline.say(BK_LEAD, "9")  # all customer groups
    assert "alle Kundengruppen" in texts(summary)
    late = await hotline.say(BK_LEAD, "Annehmen")
    assert "ist schon entschieden (abgelehnt); es ändert sich nichts" in texts(late)
    row = await entry(hotline, number)
    assert (row.status, row.question, row.groups) == ("rejected", QUESTION, ["f1-f3"])


async def test_without_a_team_bk_channel_its_leads_review_by_dm(
    config: OrgConfig, sessions: Sessions, clock: FrozenClock
) -> None:
    teams = tuple(replace(t, channels={}) if t.id == "bk" else t for t in config.teams)
    hotline = Harness(replace(config, teams=teams), sessions, clock)
    number = await propose(hotline, await resolved_ticket(hotline))
    (card,) = [n for n in await hotline.dm(BK_LEAD) if n.card == f"faq-{number}"]
    assert not card.channel_safe and len(card.choices) == 3
    assert await hotline.channel("bk") == []
    done = await hotline.say(BK_LEAD, action_id=f"faq_review:{number}:accept")
    assert "ist angenommen" in texts(done)


async def test_a_proposal_is_shown_by_number(hotline: Harness) -> None:
    number = await propose(hotline, await resolved_ticket(hotline))
    shown = await hotline.say(BK_MEMBER, f"/faqpruefen {number}")
    assert plain_ids(shown) == [f"faq_review:{number}:{v}" for v in ("accept", "edit", "reject")]
    assert QUESTION in texts(shown) and ANSWER in texts(shown)
    unknown = await hotline.say(BK_MEMBER, "/faqpruefen 99")
    assert [n.text for n in unknown] == [t("faq.not_found", "de", id=99)]
    wrong = await hotline.say(BK_MEMBER, f"/faqpruefen {number} vielleicht")
    assert "„annehmen“, „ändern“ oder „ablehnen“" in texts(wrong)
    assert (await entry(hotline, number)).status == "proposed"
