"""One ticket across platforms, end to end, with ONE bot process serving both: the requester
in Matrix (a real Synapse) and the team in Teams, and the reverse. Intake, the card in the
team's channel, claim, a question back, the answer, resolve and the rating; each side is
checked for what it actually shows, and the ticket's trail for who did what from where.

The Teams side of (1) is the local Bot Connector (tests/teams/connector_emulator.py): it
keeps what the bot posts into the channel and the agent's 1:1 chat, while the agent's
presses and commands are posted to the bot as Teams would. In (2) the requester uses the
personal chat of Microsoft's emulator (tests/teams/playground.py) and the team works in its
Matrix room.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import select

from bot.config.model import OrgConfig
from storage.models import OutboxRow, SatisfactionRow, TicketEventRow, TicketRow
from tests.cross_platform.harness import TeamsAgent, accept_dm, buttons, shown, with_teams
from tests.matrix.bot_fixture import HotlineBot, content, eventually, ticket_number
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer
from tests.matrix.test_matrix_hotline import file_request
from tests.teams.conftest import PlaygroundFactory
from tests.teams.connector_emulator import ConnectorEmulator, ReceivedActivity
from tests.teams.playground import free_port
from tests.teams.stage import (
    PERSONAL_CHAT,
    TENANT,
    aad,
    click,
    offers,
    plain,
    posted,
    request_by_cards,
    says,
)

AGENT = "hh.schneider"  # Martin Schneider, Budget / Haushalt
AGENT_AAD = "5a1e0000-0000-4000-8000-00000000a9e1"
CHANNEL = "19:cross-haushalt@thread.tacv2"
BOTH = ("matrix", "teams")


def _configure(port: int, service_url: str, **teams: Any) -> Callable[[OrgConfig], OrgConfig]:
    def configure(config: OrgConfig) -> OrgConfig:
        return with_teams(config, port=port, service_url=service_url, **teams)

    return configure


async def _trail(bot: HotlineBot, number: int) -> list[tuple[str, str]]:
    """The ticket's audit trail: (action, platform of whoever acted), oldest first."""
    assert bot.app is not None
    async with bot.app.sessions() as session:
        events = await session.scalars(
            select(TicketEventRow)
            .where(TicketEventRow.ticket_id == number)
            .order_by(TicketEventRow.at, TicketEventRow.id)
        )
        return [(event.action, event.actor_platform) for event in events]


async def _score(bot: HotlineBot, number: int) -> tuple[int, str | None]:
    assert bot.app is not None
    async with bot.app.sessions() as session:
        rating = await session.scalar(
            select(SatisfactionRow).where(SatisfactionRow.ticket_id == number)
        )
    assert rating is not None, f"no rating of no. {number}"
    return rating.score, rating.comment


async def _ticket(bot: HotlineBot, number: int) -> TicketRow:
    assert bot.app is not None
    async with bot.app.sessions() as session:
        ticket = await session.get(TicketRow, number)
    assert ticket is not None
    return ticket


async def _all_delivered(bot: HotlineBot) -> list[OutboxRow]:
    """Every notice on either platform delivered (none failed, none left); the rows."""

    async def done() -> bool:
        rows = await bot.outbox_rows()
        return all(row.status == "delivered" for row in rows)

    await eventually(done, within=30, interval=0.1, what="both platforms' outbox delivered")
    return await bot.outbox_rows()


# --- 1. the requester in Matrix, the team in Teams ---------------------------------------


async def test_matrix_requester_with_the_team_in_teams(
    database_url: str | None,
    synapse: SynapseServer,
    worlds: WorldFactory,
    connector: ConnectorEmulator,
) -> None:
    # Martin Schneider is known on both platforms (make_world gives him a Matrix account),
    # his team's channel is in Teams only: he works there, and hears there only.
    port = free_port()
    configure = _configure(
        port,
        connector.service_url,
        people={AGENT: AGENT_AAD},
        channels={"haushalt": CHANNEL},
    )
    world = await worlds(
        synapse, teams=(), configure=configure, platforms=BOTH, database_url=database_url
    )
    agent = TeamsAgent(
        f"http://127.0.0.1:{port}/api/messages",
        connector.service_url,
        AGENT_AAD,
        "Martin Schneider",
        CHANNEL,
    )
    requester, dm = await world.requester("schule")
    description = "Für die Klassenfahrt fehlen 800 Euro im Budget"
    number = ticket_number((await file_request(requester, dm, description)).body)

    # The card in the Teams channel: a new post with the ticket's facts and three buttons.
    card = await connector.wait_for_activity(
        lambda a: a.kind == "send" and a.conversation_id == CHANNEL, timeout=20
    )
    text = shown(card)
    for part in (
        f"Ticket Nr. {number} · in der Warteschlange",
        description,
        "Thema: Budget / Haushaltsmittel",
        "Kundengruppe: Dezentrale Einrichtungen F1–F3",
        f"Erreichbar: Matrix: {requester.user_id}",
    ):
        assert part in text, (part, text)
    assert buttons(card) == [f"claim:{number}", f"handoff:{number}", f"resolve:{number}"]

    # Übernehmen, pressed in Teams: the card changes in place, the agent is answered under
    # it, and the requester in Matrix learns who works on it.
    await agent.press(card, f"claim:{number}")
    claimed = await _update_of(connector, card, "Übernommen von Martin Schneider.")
    assert buttons(claimed) == [f"handoff:{number}", f"resolve:{number}"]
    ack = await _in_thread(connector, card, f"Sie haben Nr. {number} übernommen.")
    assert shown(ack).startswith("Martin Schneider: ")
    told = await requester.expect(dm, "bearbeitet jetzt Ihr Anliegen")
    assert f"Martin Schneider (Budget / Haushalt) bearbeitet jetzt Ihr Anliegen Nr. {number}." in (
        told.body
    )

    # The question back, typed under the card in Teams, reaches the requester in Matrix.
    await agent.say_in_thread(card, f"/ask {number} Für welche Kostenstelle?")
    question = await requester.expect(dm, "Rückfrage zu Ihrem Anliegen")
    assert f"Rückfrage zu Ihrem Anliegen Nr. {number}: Für welche Kostenstelle?" in question.body
    await _in_thread(connector, card, f"Rückfrage zu Nr. {number} ist gestellt")
    waiting = await _update_of(
        connector, card, "Martin Schneider wartet auf eine Antwort der anfragenden Person."
    )

    # The requester answers in Matrix: the agent reads it in Teams (a 1:1 chat the bot
    # opens: he never wrote to it directly), the card shows the ticket worked on again.
    await requester.say(dm, "Kostenstelle 4711, Grundschule am Park")
    thanks = await requester.expect(dm, f"Danke, Ihre Antwort zu Nr. {number} ist bei")
    assert "Budget / Haushalt" in thanks.body
    answer = await connector.wait_for_activity(
        lambda a: a.kind == "send" and "Antwort auf Ihre Rückfrage" in shown(a), timeout=20
    )
    assert answer.conversation_id.startswith("a:")  # a personal chat, not the channel
    assert f"Antwort auf Ihre Rückfrage zu Nr. {number}:" in shown(answer)
    assert "Kostenstelle 4711, Grundschule am Park" in shown(answer)
    (create,) = connector.requests_of("create")
    assert create.body["members"] == [{"id": AGENT_AAD}]
    assert create.body["tenantId"] == "cross-tenant"
    await _update_of(connector, card, "Übernommen von Martin Schneider.", after=waiting)

    # Resolved from Teams; the requester gets the answer and rates it in Matrix.
    await agent.say_in_thread(card, f"/resolve {number} Die Mittel sind freigegeben.")
    resolved = await requester.expect(dm, f"Ihr Anliegen Nr. {number} ist erledigt")
    assert "Die Mittel sind freigegeben." in resolved.body
    survey = await requester.expect(dm, "Wie zufrieden sind Sie")
    assert f"Nr. {number}" in survey.body
    done = await _update_of(connector, card, "Erledigt von Martin Schneider.")
    assert buttons(done) == [f"faq:{number}"]  # only "Als FAQ vorschlagen" (issue 17)
    await _in_thread(connector, card, f"Nr. {number} ist erledigt, die Antwort ging an")
    await requester.say(dm, "5")
    await requester.expect(dm, "Danke für Ihre Bewertung (5 von 5)")
    await requester.say(dm, "Sehr schnell, danke!")
    await requester.expect(dm, "Kommentar")

    bot = world.bot
    assert await _trail(bot, number) == [
        ("queue", "matrix"),
        ("claim", "teams"),
        ("ask", "teams"),
        ("customer_reply", "matrix"),
        ("resolve", "teams"),
    ]
    assert await _score(bot, number) == (5, "Sehr schnell, danke!")
    ticket = await _ticket(bot, number)
    assert (ticket.status, ticket.assignee) == ("resolved", AGENT)
    assert (ticket.requester_platform, ticket.requester_id) == ("matrix", requester.user_id)
    # Each notice went to its reader's platform, and only there: nothing reached Martin
    # Schneider's Matrix account, though the config knows it.
    rows = await _all_delivered(bot)
    places = {(r.platform, r.target_kind, r.target_address) for r in rows}
    assert places == {
        ("matrix", "user", requester.user_id),
        ("teams", "channel", CHANNEL),
        ("teams", "user", AGENT_AAD),
    }
    await world.agent.sync(timeout_ms=0)
    assert not world.agent.client.invited_rooms, "a DM was opened on Matrix too"
    matrix_texts = [str(e.body) for e in requester.notices(dm)]
    assert not [t for t in matrix_texts if "Ticket Nr." in t], "a team card reached the requester"
    assert not [a for a in connector.sent() if "Wie zufrieden" in shown(a)]


async def _update_of(
    connector: ConnectorEmulator,
    card: ReceivedActivity,
    contains: str,
    after: ReceivedActivity | None = None,
) -> ReceivedActivity:
    """The first update of the card (edited in place) that shows `contains`."""
    start = connector.activities.index(after) if after is not None else 0
    return await connector.wait_for_activity(
        lambda a: a.kind == "update" and a.activity_id == card.activity_id and contains in shown(a),
        timeout=20,
        after=start,
    )


async def _in_thread(
    connector: ConnectorEmulator, card: ReceivedActivity, contains: str
) -> ReceivedActivity:
    """The bot's message under the card (in its thread) that shows `contains`."""
    thread = f"{CHANNEL};messageid={card.activity_id}"
    return await connector.wait_for_activity(
        lambda a: (
            a.kind in ("send", "reply") and a.conversation_id == thread and contains in shown(a)
        ),
        timeout=20,
    )


# --- 2. the requester in Teams, the team in Matrix ---------------------------------------


async def test_teams_requester_with_the_team_in_matrix(
    database_url: str | None,
    synapse: SynapseServer,
    worlds: WorldFactory,
    playground: PlaygroundFactory,
) -> None:
    port, pg_port = free_port(), free_port()
    service_url = f"http://127.0.0.1:{pg_port}/_connector"
    # Martin Schneider is known in the tenant too; he works in the Matrix room.
    configure = _configure(port, service_url, people={AGENT: aad(AGENT)}, channels={})
    world = await worlds(
        synapse, teams=("haushalt",), configure=configure, platforms=BOTH, database_url=database_url
    )
    pg = await playground(f"http://127.0.0.1:{port}/api/messages", config=TENANT, port=pg_port)
    room, agent = world.team_rooms["haushalt"], world.agent
    description = "Die Rechnung für den Schulbus ist doppelt gebucht"
    number, _, receipt = await request_by_cards(pg, description)
    assert f"Ihr Anliegen ist als Nr. {number} bei Budget / Haushalt eingegangen." in plain(receipt)

    # The card in the Matrix room names the requester's Teams chat.
    card = await agent.expect(room, f"Ticket Nr. {number}")
    for part in (
        description,
        "Thema: Budget / Haushaltsmittel",
        "Kundengruppe: Kernbereich Verwaltung (KERN)",
        "Erreichbar: Teams-Chat mit Alex Wilber",
    ):
        assert part in card.body, (part, card.body)

    # Claimed in Matrix: the answer under the card there, the requester told in Teams.
    mark = pg.mark()
    await agent.say(room, f"/claim {number}")
    edit = await agent.expect(room, "Übernommen von Martin Schneider", edits=True)
    assert content(edit)["m.relates_to"]["event_id"] == card.event_id  # edited in place
    ack = await agent.expect(room, f"Martin Schneider: Sie haben Nr. {number} übernommen.")
    assert content(ack)["m.relates_to"]["event_id"] == card.event_id  # in the card's thread
    told = await pg.wait_for(says("bearbeitet jetzt", PERSONAL_CHAT), after=mark)
    assert (
        f"Martin Schneider (Budget / Haushalt) bearbeitet jetzt Ihr Anliegen Nr. {number}."
        in plain(told)
    )

    # The question back, typed in the Matrix room, reaches the personal chat in Teams.
    mark = pg.mark()
    await agent.say(room, f"/ask {number} Welches Kennzeichen hat der Bus?")
    question = await pg.wait_for(says("Rückfrage zu Ihrem Anliegen", PERSONAL_CHAT), after=mark)
    assert f"Rückfrage zu Ihrem Anliegen Nr. {number}: Welches Kennzeichen hat der Bus?" in (
        plain(question)
    )
    await agent.expect(room, f"Rückfrage zu Nr. {number} ist gestellt")

    # The requester answers in Teams: the agent reads it in a Matrix DM the bot opens.
    mark = (await pg.say(PERSONAL_CHAT, "HB-SB 123")).mark
    await pg.wait_for(says(f"Danke, Ihre Antwort zu Nr. {number} ist bei", PERSONAL_CHAT), mark)
    agent_dm = await accept_dm(agent, world.bot_id)
    answer = await agent.expect(agent_dm, f"Antwort auf Ihre Rückfrage zu Nr. {number}")
    assert "HB-SB 123" in answer.body

    # Resolved in Matrix; the requester reads the answer and rates with a button in Teams.
    mark = pg.mark()
    await agent.say(room, f"/resolve {number} Die doppelte Buchung ist storniert.")
    resolved = await pg.wait_for(
        says(f"Ihr Anliegen Nr. {number} ist erledigt", PERSONAL_CHAT), mark
    )
    assert "Die doppelte Buchung ist storniert." in plain(resolved)
    survey = await pg.wait_for(offers(f"rate:{number}:5", PERSONAL_CHAT), after=mark)
    assert "Wie zufrieden sind Sie" in plain(survey)
    await agent.expect(room, "Erledigt von Martin Schneider", edits=True)
    mark = await click(pg, survey, f"rate:{number}:5")
    await pg.wait_for(says("Danke für Ihre Bewertung (5 von 5)", PERSONAL_CHAT), after=mark)

    bot = world.bot
    assert await _trail(bot, number) == [
        ("queue", "teams"),
        ("claim", "matrix"),
        ("ask", "matrix"),
        ("customer_reply", "teams"),
        ("resolve", "matrix"),
    ]
    assert (await _score(bot, number))[0] == 5
    ticket = await _ticket(bot, number)
    assert (ticket.status, ticket.assignee, ticket.requester_platform) == (
        "resolved",
        AGENT,
        "teams",
    )
    rows = await _all_delivered(bot)
    places = {(r.platform, r.target_kind, r.target_address) for r in rows}
    assert places == {
        ("teams", "user", ticket.requester_id),
        ("matrix", "channel", room),
        ("matrix", "user", agent.user_id),
    }
    assert not [e for e in pg.events if "Ticket Nr." in plain(e)], "a card reached Teams"
    assert not [p for p in posted(pg) if "Antwort auf Ihre Rückfrage" in p.text]
