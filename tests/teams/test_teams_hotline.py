"""The hotline in Microsoft Teams, end to end: the real bot (engine, outbox sender, Teams adapter)
against Microsoft's offline Teams emulator (the playground) and a local Bot Connector with
fault injection. Inbound tokens and bodies: test_teams_endpoint.py and test_teams_auth.py.

The stage (bot, playground, cast, stream helpers) is in tests/teams/stage.py.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote

import aiohttp
import pytest

from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice, Target
from storage.models import PlatformStateRow
from tests.conftest import berlin
from tests.teams.bot_fixture import (
    HotlineBot,
    activity_json,
    aware,
    outbox_row,
    postgres_database,
)
from tests.teams.conftest import PlaygroundFactory
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.stage import (
    AAD,
    BK_CHANNEL,
    CAST,
    PERSONAL_CHAT,
    REQUESTER,
    TEAM,
    TENANT,
    Stage,
    aad,
    actions,
    click,
    facts,
    in_channel,
    offers,
    open_stage,
    plain,
    plain_actions,
    posted,
    says,
    unescape,
    wait_posted,
)

# --- 1. the personal chat, the channel card and the claim ------------------------------


async def test_intake_by_cards_handoff_card_and_claim_in_place(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    number, receipt, post = await stage.file_request("Für die Turnhalle fehlen Haushaltsmittel")

    assert number == 1
    assert "Ihr Anliegen ist als Nr. 1 bei Budget / Haushalt eingegangen." in plain(receipt)
    assert "Antwort spätestens heute, 15:30 Uhr" in plain(receipt)

    # The handoff card in the team channel: a new post with the ticket's facts and buttons.
    assert post.conversation_id == TEAM and post.message_id
    assert unescape(post.card_texts()[0]) == "Ticket Nr. 1 · in der Warteschlange"
    assert "Für die Turnhalle fehlen Haushaltsmittel" in plain(post)
    card_facts = facts(post)
    assert card_facts["Thema"] == "Budget / Haushaltsmittel"
    assert card_facts["Kundengruppe"] == "Kernbereich Verwaltung (KERN)"
    assert card_facts["Antwort spätestens"] == "heute, 15:30 Uhr"
    titles = [action["title"] for action in post.submit_actions()]
    assert "Übernehmen" in titles and actions(post)[titles.index("Übernehmen")] == "claim:1"
    assert not [e for e in pg.messages(PERSONAL_CHAT) if "claim:1" in actions(e)]

    # Martin Schneider clicks "Übernehmen": the card changes in place.
    mark = await click(pg, post, "claim:1", CAST["hh.schneider"])
    update = await pg.wait_for(lambda e: e.is_update, after=mark)
    assert update.message_id == post.message_id
    assert update.conversation_id == TEAM
    assert "Übernommen von Martin Schneider." in plain(update)
    assert unescape(update.card_texts()[0]) == "Ticket Nr. 1 · in Bearbeitung"
    assert actions(update) == ["handoff:1", "resolve:1"]  # nothing left to claim
    put = ("PUT", f"/_connector/v3/conversations/{TEAM}/activities/{post.message_id}", 200)
    await pg.wait_for_connector_call(lambda call: _unquoted(call) == put)
    # The acknowledgement is for Martin Schneider: under the card, naming him (issue 15).
    # (The playground's users write with locale en-US.)
    ack = await pg.wait_for(says("You have claimed no. 1"), after=mark)
    assert ack.conversation_id == f"{TEAM};messageid={post.message_id}"
    assert plain(ack).startswith("Martin Schneider: You have claimed no. 1")
    # ... as a real mention, so that Teams notifies him: the tag and its entity
    assert ack.text is not None and ack.text.startswith("<at>Martin Schneider</at>: ")
    mentioned = {"id": aad("hh.schneider"), "name": "Martin Schneider"}
    tag = {"type": "mention", "text": "<at>Martin Schneider</at>", "mentioned": mentioned}
    assert ack.message["mentions"] == [tag]  # the emulator's account of the entities

    # The requester is told who works on it now.
    told = await pg.wait_for(says("bearbeitet jetzt", PERSONAL_CHAT), after=mark)
    assert "Martin Schneider (Budget / Haushalt) bearbeitet jetzt Ihr Anliegen Nr. 1." in plain(
        told
    )
    # The adapter names people by AAD object id (the requester's account id is user-id-0).
    assert {r.inbound.user_id for r in bot.inbound} == {AAD[REQUESTER], aad("hh.schneider")}
    ticket = await bot.ticket(1)
    assert ticket.requester_id == AAD[REQUESTER]
    assert (ticket.status, ticket.assignee, ticket.team_id) == (
        "claimed",
        "hh.schneider",
        "haushalt",
    )
    await bot.wait_outbox_idle()
    assert [e for e in pg.events if e.is_update] == [update]


def _unquoted(call: tuple[str, str, int]) -> tuple[str, str, int]:

    return call[0], unquote(call[1]), call[2]


# --- 2. two agents click "Übernehmen" at once -------------------------------------------


@pytest.mark.parametrize(
    "database", ["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)]
)
async def test_double_click_on_claim_has_one_winner(
    playground: PlaygroundFactory, tmp_path: Path, database: str
) -> None:
    async with postgres_database(enabled=database == "postgresql") as url:
        stage, close = await open_stage(playground, tmp_path / "bot", url)
        try:
            await _double_click(stage)
        finally:
            await close()


async def _double_click(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    number, _, post = await stage.file_request("Budget für Lehrmittel reicht nicht")
    await bot.wait_outbox_idle()
    handled_before = len(bot.inbound)
    mark = pg.mark()
    await asyncio.gather(
        pg.submit_card(post, user_id=CAST["hh.schneider"], action=0),
        pg.submit_card(post, user_id=CAST["hh.weber"], action=0),
    )
    await bot.wait_handled(handled_before + 2)
    await bot.wait_outbox_idle()
    await pg.settle()

    ticket = await bot.ticket(number)
    assert ticket.status == "claimed" and ticket.assignee in ("hh.schneider", "hh.weber")
    names = {"hh.schneider": "Martin Schneider", "hh.weber": "Julia Weber"}
    winner = ticket.assignee
    loser = next(person for person in names if person != winner)
    claims = [r for r in bot.inbound[handled_before:] if r.inbound.action_id == f"claim:{number}"]
    assert sorted(r.inbound.user_id for r in claims) == sorted([aad(winner), aad(loser)])

    updates = [e for e in pg.events[mark:] if e.is_update]
    assert len(updates) == 1, [plain(e) for e in updates]
    assert updates[0].message_id == post.message_id
    assert f"Übernommen von {names[winner]}." in plain(updates[0])

    # The loser is told privately who has it, in a 1:1 chat the bot opens (they never wrote
    # to it directly); nobody else hears about it.
    dm = await _dm_conversation(bot, aad(loser))
    refusals = [p for p in posted(pg) if re.search(rf"already working on no\. {number}", p.text)]
    assert [(p.conversation_id, p.status) for p in refusals] == [(dm, 201)]  # a text message
    assert f"{names[winner]} is already working on no. {number}." in refusals[0].text
    assert dm not in (PERSONAL_CHAT, TEAM, BK_CHANNEL)
    assert not [e for e in pg.events[mark:] if "already working" in plain(e)]
    assert ("POST", "/_connector/v3/conversations", 201) in pg.connector_calls()

    # One confirmation for the winner, one status message for the requester.
    confirmations = [e for e in pg.events[mark:] if e.text and "You have claimed" in e.text]
    assert len(confirmations) == 1
    told = [e for e in pg.messages(PERSONAL_CHAT, after=mark) if "bearbeitet jetzt" in plain(e)]
    assert len(told) == 1 and names[winner] in plain(told[0])


async def _dm_conversation(bot: HotlineBot, user_id: str) -> str:
    async with bot.app.sessions() as session:
        row = await session.get(PlatformStateRow, ("teams", f"ref:user:{user_id}"))
        assert row is not None, f"no 1:1 conversation stored for {user_id}"
        return str(json.loads(row.value)["conversation_id"])


# --- 3. a proactive DM to a lead who never wrote ----------------------------------------


async def test_lead_who_never_wrote_gets_a_direct_message(stage: Stage) -> None:
    """A real escalation: nobody claims the ticket, the scheduler's sweep runs as the clock
    travels, and the department lead (who never wrote to the bot) gets a 1:1 chat opened
    in the tenant the requester's activities named."""
    pg, bot = stage.pg, stage.bot
    clock = bot.clock
    assert isinstance(clock, FrozenClock)
    number, _, _ = await stage.file_request("Haushaltssperre blockiert die Schulbücher")
    await bot.wait_outbox_idle()
    lead = aad("leitung.hoffmann")

    # The reminder 2 office hours before 15:30, the team lead at 15:30, and 1 office hour
    # after the deadline (Tuesday 09:30) the department lead.
    for moment in (berlin(2026, 11, 30, 13, 30), berlin(2026, 11, 30, 15, 30)):
        clock.set(moment)
        assert await bot.app.jobs.run_sweep() is not None  # None: the sweep failed
    clock.set(berlin(2026, 12, 1, 9, 30))
    report = await bot.app.jobs.run_sweep()
    assert report is not None and [k.rsplit(":", 1)[-1] for k in report.keys] == ["eskalation"]

    (dm,) = await wait_posted(pg, lambda p: f"Eskalation: Nr. {number}" in p.text)
    assert dm.status in (201, 202)
    await bot.wait_outbox_idle()
    assert dm.conversation_id == await _dm_conversation(bot, lead)
    assert dm.conversation_id not in (PERSONAL_CHAT, TEAM, BK_CHANNEL)
    creates = [e for e in pg.recorded_events() if e.get("activityName") == "createConversation"]
    (create,) = [e for e in creates if e["request"]["body"]["members"] == [{"id": lead}]]
    body = create["request"]["body"]
    tenant = TENANT["tenantId"]
    assert body["tenantId"] == tenant and body["channelData"]["tenant"]["id"] == tenant
    assert body["isGroup"] is False
    assert create["response"]["body"]["id"] == dm.conversation_id
    # The team lead's chat (opened at 15:30) names the tenant too: never a null tenant.
    assert len(creates) == 2
    assert all(e["request"]["body"]["tenantId"] == tenant for e in creates)
    calls = [_unquoted(call) for call in pg.connector_calls()]
    assert ("POST", f"/_connector/v3/conversations/{dm.conversation_id}/activities") in [
        call[:2] for call in calls
    ]
    assert not [e for e in pg.events if f"Eskalation: Nr. {number}" in plain(e)]

    # The repeat 4 office hours later goes into the same chat without opening another one.
    for moment in (berlin(2026, 12, 1, 11, 0), berlin(2026, 12, 1, 14, 30)):
        clock.set(moment)
        assert await bot.app.jobs.run_sweep() is not None  # None: the sweep failed
    await wait_posted(
        pg, lambda p: "Wiederholung" in p.text and p.conversation_id == dm.conversation_id
    )
    await bot.wait_outbox_idle()
    creates = [e for e in pg.recorded_events() if e.get("activityName") == "createConversation"]
    assert len(creates) == 2


# --- channel commands and confidentiality -----------------------------------------------


async def test_mentioned_command_in_the_channel_is_answered_there(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    number, _, _ = await stage.file_request("Mittelumschichtung für Projekt Sonnenweg")
    mark = pg.mark()
    await pg.say_as(TEAM, "/queue", CAST["hh.weber"], mention_bot=True)
    # (The activity say_as sends carries no locale: the German default applies.)
    answer = await pg.wait_for(says(f"Nr. {number} · in der Warteschlange"), after=mark)
    assert answer.conversation_id == TEAM  # a new post in the channel
    assert "Offene Tickets: Budget / Haushalt" in plain(answer)
    assert "fällig heute, 15:30 Uhr" in plain(answer)
    await bot.wait_outbox_idle()
    (received,) = [r for r in bot.inbound if r.inbound.user_id == aad("hh.weber")]
    assert received.inbound.text == "/queue" and received.inbound.channel_id == TEAM
    assert not received.inbound.is_direct

    # Chatter in the channel that does not mention the bot never reaches it.
    seen = len(bot.inbound)
    quiet = await pg.say(TEAM, "Kaffee um zehn?")
    await pg.expect_none(lambda e: True, within=0.5, after=quiet.mark)
    assert len(bot.inbound) == seen


async def test_complaint_goes_to_the_managers_never_into_a_channel(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    secret = "Frau X vom Team Y war am Telefon sehr unfreundlich"
    mark = await stage.say("/sprache de")
    await pg.wait_for(says("auf Deutsch", PERSONAL_CHAT), after=mark)
    mark = await stage.say("/beschwerde")
    first = await pg.wait_for(
        lambda e: says("Kundengruppe", PERSONAL_CHAT)(e) or says("schildern Sie", PERSONAL_CHAT)(e),
        after=mark,
    )
    if "group:kern" in plain_actions(first):
        mark = await click(pg, first, "group:kern")
        await pg.wait_for(says("schildern Sie", PERSONAL_CHAT), after=mark)
    mark = await stage.say(secret)
    anonymous = await pg.wait_for(offers("confirm:no", PERSONAL_CHAT), after=mark)
    assert "anonym" in plain(anonymous)
    mark = await click(pg, anonymous, "confirm:no")
    confirm = await pg.wait_for(offers("confirm:yes", PERSONAL_CHAT), after=mark)
    mark = await click(pg, confirm, "confirm:yes")
    receipt = await pg.wait_for(says("vertraulich", PERSONAL_CHAT), after=mark)
    assert "Antwort spätestens" in plain(receipt)

    managers = ("bk.berger", "bk.yilmaz")
    dms = await wait_posted(
        pg, lambda p: secret in p.text and p.conversation_id != PERSONAL_CHAT, 2
    )
    await bot.wait_outbox_idle()
    await pg.settle()
    conversations = {await _dm_conversation(bot, aad(m)) for m in managers}
    assert {p.conversation_id for p in dms} == conversations
    with_secret = {p.conversation_id for p in posted(pg) if secret in p.text}
    assert with_secret == conversations | {PERSONAL_CHAT}
    assert not [p for p in posted(pg) if p.conversation_id.split(";")[0] in (TEAM, BK_CHANNEL)]
    assert not [e for e in pg.events if in_channel(e)], "a complaint reached a channel"


# --- 4. faults at the Bot Connector ------------------------------------------------------


async def test_429_is_retried_after_retry_after_and_delivered_once(
    offline_bot: HotlineBot, connector: ConnectorEmulator
) -> None:
    bot = offline_bot
    clock = bot.clock
    assert isinstance(clock, FrozenClock)
    text = "Erinnerung: Nr. 3 wird heute fällig."
    connector.fail_next(3, 429, retry_after=1)
    await bot.enqueue(Target("teams", "user", aad("leitung.hoffmann")), Notice(text=text))

    started = clock.now()
    for attempt in range(1, 4):
        assert await bot.app.sender.deliver_due() == 0
        row = await outbox_row(bot, text)
        assert (row.status, row.attempts) == ("pending", attempt)
        assert "429" in (row.last_error or "")
        wait = aware(row.next_attempt_at) - clock.now()
        assert timedelta(seconds=1) <= wait <= timedelta(seconds=2 * 2**attempt), wait
        requests = len(connector.requests)
        assert await bot.app.sender.deliver_due() == 0  # not due yet: nothing is sent
        assert len(connector.requests) == requests
        clock.set(aware(row.next_attempt_at))
    assert await bot.app.sender.deliver_due() == 1

    row = await outbox_row(bot, text)
    assert (row.status, row.attempts) == ("delivered", 3)
    assert clock.now() - started >= timedelta(seconds=3)
    (sent,) = [a for a in connector.sent() if unescape(a.text or "") == text]
    assert sent.kind == "send"
    assert [(r.kind, r.status) for r in connector.requests] == [
        ("create", 429),
        ("create", 429),
        ("create", 429),
        ("create", 201),
        ("send", 201),
    ]
    assert all(r.authorization is None for r in connector.requests)  # anonymous mode


async def test_connector_down_for_30_seconds_then_delivered_once(
    offline_bot: HotlineBot, connector: ConnectorEmulator
) -> None:
    bot = offline_bot
    clock = bot.clock
    assert isinstance(clock, FrozenClock)
    lead = Target("teams", "user", aad("leitung.hoffmann"))
    await bot.enqueue(lead, Notice(text="Vorher"))
    assert await bot.app.sender.deliver_due() == 1  # opens the 1:1 chat

    connector.go_away()
    text = "Nr. 5 eskaliert an die Abteilungsleitung."
    await bot.enqueue(lead, Notice(text=text))
    down_since = clock.now()
    failures = 0
    while clock.now() - down_since < timedelta(seconds=30):
        assert await bot.app.sender.deliver_due() == 0
        failures += 1
        row = await outbox_row(bot, text)
        assert (row.status, row.attempts) == ("pending", failures)
        assert "unreachable" in (row.last_error or "")
        clock.set(aware(row.next_attempt_at))
    assert failures >= 4  # exponential backoff: 1-2, 2-4, 4-8, 8-16 s, ...

    connector.come_back()
    assert await bot.app.sender.deliver_due() == 1
    row = await outbox_row(bot, text)
    assert (row.status, row.attempts) == ("delivered", failures)
    delivered = [a for a in connector.sent() if unescape(a.text or "") == text]
    assert len(delivered) == 1
    assert delivered[0].conversation_id == connector.sent()[0].conversation_id
    assert len(connector.requests_of("create")) == 1
    assert await bot.app.sender.deliver_due() == 0


async def test_card_update_is_retried_on_502_and_a_403_is_not(
    offline_bot: HotlineBot, connector: ConnectorEmulator
) -> None:
    bot = offline_bot
    clock = bot.clock
    assert isinstance(clock, FrozenClock)
    channel = Target("teams", "channel", TEAM)
    await bot.enqueue(channel, Notice(text="Ticket Nr. 9", card="ticket-9-haushalt"))
    assert await bot.app.sender.deliver_due() == 1
    (post,) = connector.sent(TEAM)

    connector.fail_next(1, 502)
    await bot.enqueue(channel, Notice(text="Übernommen", card="ticket-9-haushalt"))
    assert await bot.app.sender.deliver_due() == 0
    clock.set(aware((await outbox_row(bot, "Übernommen")).next_attempt_at))
    assert await bot.app.sender.deliver_due() == 1
    (update,) = connector.updates(TEAM)
    assert update.activity_id == post.activity_id
    assert [r.kind for r in connector.requests] == ["send", "update", "update"]

    connector.fail_next(1, 403)
    await bot.enqueue(channel, Notice(text="Nie zugestellt"))
    assert await bot.app.sender.deliver_due() == 0
    row = await outbox_row(bot, "Nie zugestellt")
    assert (row.status, row.attempts) == ("failed", 1)  # permanent: no retry storm


# --- 5. inbound dedupe --------------------------------------------------------------------


async def test_redelivered_activity_is_answered_once(stage: Stage) -> None:
    pg, bot = stage.pg, stage.bot
    activity = await pg.activity_template(PERSONAL_CHAT)
    user = (await pg.config()).current_user
    activity.update(
        type="message",
        id="redelivered-1",
        text="/hilfe",
        textFormat="plain",
        locale="de-DE",
        **{"from": {"id": user["id"], "name": user["name"], "aadObjectId": user["aadObjectId"]}},
    )
    mark = pg.mark()
    await pg.send_activity(activity)
    await pg.send_activity(activity)
    await bot.wait_handled(2)
    await bot.wait_outbox_idle()
    await pg.settle()

    assert sorted(bool(r.handled) for r in bot.inbound) == [False, True]  # they may overlap
    answers = [e for e in pg.messages(PERSONAL_CHAT, after=mark) if "So erreichen Sie" in plain(e)]
    # One answer, shown once: a plain notice is a text message, not a text plus a card.
    assert len(answers) == 1 and not answers[0].attachments
    posts = [c for c in pg.connector_calls() if c[0] == "POST"]
    assert len(posts) == 1
    assert len(await bot.outbox()) == 1


async def test_concurrent_redelivery_is_answered_once(
    offline_bot: HotlineBot, connector: ConnectorEmulator
) -> None:
    bot = offline_bot
    body = activity_json(id="retry-1", serviceUrl=connector.service_url, text="/hilfe")
    async with aiohttp.ClientSession() as http:

        async def post() -> int:
            async with http.post(bot.endpoint, json=body) as answer:
                return answer.status

        statuses = [*await asyncio.gather(post(), post(), post()), await post()]
    assert statuses == [201, 201, 201, 201]
    assert sorted(r.handled for r in bot.inbound if r.handled is not None) == [False] * 3 + [True]
    assert await bot.app.sender.deliver_due() == 1
    assert len(connector.sent()) == 1
