"""Outbound edge cases of the Teams adapter against the local Bot Connector: the tenant a 1:1
chat needs, a card Teams no longer has, and a card taken back (its ticket erased)."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from bot.config.loader import load_config
from bot.config.model import SecretRef
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Choice, Notice, Target
from storage.models import OutboxRow, SentMessageRow
from tests.teams.bot_fixture import HotlineBot, activity_json, teams_config
from tests.teams.connector_emulator import ConnectorEmulator
from tests.teams.playground import free_port
from tests.teams.stage import MONDAY_9, TEAM, aad, hotline_config

LEAD = Target("teams", "user", aad("leitung.hoffmann"))
APP_ID_ENV = "HOTLINE_TEST_TEAMS_DELIVERY_APP_ID"
PASSWORD_ENV = "HOTLINE_TEST_TEAMS_DELIVERY_PASSWORD"


@pytest.fixture
async def anonymous_bot(
    connector: ConnectorEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[HotlineBot]:
    """The bot in anonymous mode; its service URL is the local connector; no sender loop."""
    monkeypatch.delenv("HOTLINE_TEAMS_TENANT_ID", raising=False)
    bot = HotlineBot(
        hotline_config(free_port(), connector.service_url),
        tmp_path / "bot",
        FrozenClock(MONDAY_9),
        sender_loop=False,
    )
    await bot.start()
    yield bot
    await bot.stop()


async def _rows(bot: HotlineBot) -> list[OutboxRow]:
    async with bot.app.sessions() as session:
        return list((await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all())


async def test_no_tenant_known_means_no_create_and_a_retryable_error(
    connector: ConnectorEmulator,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    monkeypatch.setenv(APP_ID_ENV, "00000000-0000-0000-0000-0000000000a1")
    monkeypatch.setenv(PASSWORD_ENV, "not-a-real-secret")
    monkeypatch.delenv("HOTLINE_TEAMS_TENANT_ID", raising=False)
    config = teams_config(
        load_config(None),
        port=free_port(),
        people={"leitung.hoffmann": aad("leitung.hoffmann")},
        service_url=connector.service_url,
        secrets={"app_id": SecretRef(env=APP_ID_ENV), "app_password": SecretRef(env=PASSWORD_ENV)},
    )
    bot = HotlineBot(config, tmp_path / "bot", FrozenClock(MONDAY_9), sender_loop=False)
    await bot.start()
    try:
        assert not bot.adapter.settings.anonymous and bot.adapter.settings.tenant_id is None
        await bot.enqueue(LEAD, Notice(text="Nr. 7 ist überfällig."))
        with caplog.at_level(logging.WARNING, logger="adapters.teams.adapter"):
            assert await bot.app.sender.deliver_due() == 0
        (row,) = await _rows(bot)
        assert (row.status, row.attempts) == ("pending", 1)  # retried later, not given up
        assert "no Teams tenant id known" in (row.last_error or "")
        assert "HOTLINE_TEAMS_TENANT_ID" in caplog.text
        assert connector.requests == []  # no createConversation with a null tenant
    finally:
        await bot.stop()


async def test_the_configured_tenant_opens_the_chat_before_anyone_wrote(
    connector: ConnectorEmulator, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("HOTLINE_TEAMS_TENANT_ID", "tenant-from-env")
    bot = HotlineBot(
        hotline_config(free_port(), connector.service_url),
        tmp_path / "bot",
        FrozenClock(MONDAY_9),
        sender_loop=False,
    )
    await bot.start()
    try:
        await bot.enqueue(LEAD, Notice(text="Nr. 7 ist überfällig."))
        assert await bot.app.sender.deliver_due() == 1
    finally:
        await bot.stop()
    (create,) = connector.requests_of("create")
    assert create.body["tenantId"] == "tenant-from-env"
    assert create.body["channelData"] == {"tenant": {"id": "tenant-from-env"}}
    assert create.body["isGroup"] is False
    assert create.body["members"] == [{"id": LEAD.address}]


async def test_a_turn_without_tenant_keeps_the_tenant_an_earlier_one_named(
    anonymous_bot: HotlineBot, connector: ConnectorEmulator
) -> None:
    bot = anonymous_bot
    async with aiohttp.ClientSession() as http:
        for body in (
            activity_json(id="with-tenant", serviceUrl=connector.service_url),
            activity_json(
                id="without-tenant",
                serviceUrl=connector.service_url,
                conversation={"id": "a:personal-2", "conversationType": "personal"},
                channelData={},
                **{"from": {"id": "29:other", "aadObjectId": "aad-other"}},
            ),
        ):
            async with http.post(bot.endpoint, json=body) as answer:
                assert answer.status == 201
    await bot.enqueue(LEAD, Notice(text="Nr. 7 ist überfällig."))
    assert await bot.app.sender.deliver_due() == 3  # two help texts and the lead's notice
    (create,) = connector.requests_of("create")
    assert create.body["members"] == [{"id": LEAD.address}]
    assert create.body["tenantId"] == "t"  # activity_json's tenant, not None
    assert create.body["channelData"] == {"tenant": {"id": "t"}}


async def test_a_card_teams_no_longer_has_is_posted_anew_and_updated_from_then_on(
    anonymous_bot: HotlineBot, connector: ConnectorEmulator
) -> None:
    bot = anonymous_bot
    channel = Target("teams", "channel", TEAM)
    await bot.enqueue(channel, Notice(text="Ticket Nr. 9", card="ticket-9-haushalt"))
    assert await bot.app.sender.deliver_due() == 1
    (first,) = connector.sent(TEAM)

    # Someone deleted the card in Teams: the update answers 404.
    connector.fail_next(1, 404, match=lambda request: request.kind == "update")
    await bot.enqueue(channel, Notice(text="Übernommen", card="ticket-9-haushalt"))
    assert await bot.app.sender.deliver_due() == 1
    assert [(r.kind, r.status) for r in connector.requests] == [
        ("send", 201),
        ("update", 404),
        ("send", 201),
    ]
    second = connector.sent(TEAM)[-1]
    assert second.activity_id != first.activity_id
    assert second.body["attachments"][0]["content"]["body"][0]["text"] == "Übernommen"
    async with bot.app.sessions() as session:
        (row,) = (await session.scalars(select(SentMessageRow))).all()
    assert (row.message_ref, row.card) == (second.activity_id, "ticket-9-haushalt")

    # The next change updates the new card in place.
    await bot.enqueue(channel, Notice(text="Erledigt", card="ticket-9-haushalt"))
    assert await bot.app.sender.deliver_due() == 1
    (update,) = connector.updates(TEAM)
    assert update.activity_id == second.activity_id
    assert connector.requests[-1].status == 200
    assert all(row.status == "delivered" for row in await _rows(bot))


async def test_a_card_taken_back_is_replaced_in_place_and_never_posted_anew(
    anonymous_bot: HotlineBot, connector: ConnectorEmulator
) -> None:
    bot = anonymous_bot
    channel = Target("teams", "channel", TEAM)
    card = Notice(text="Mittel fehlen", card="ticket-9-haushalt", choices=(Choice("c", "Nehmen"),))
    await bot.enqueue(channel, card)
    assert await bot.app.sender.deliver_due() == 1
    (posted,) = connector.sent(TEAM)
    erased = Notice(text="Die Angaben wurden gelöscht.", card="ticket-9-haushalt", retract=True)
    await bot.enqueue(channel, erased)
    elsewhere = Target("teams", "channel", "19:never-shown@thread.tacv2")
    await bot.enqueue(elsewhere, erased)  # the card was never posted there
    await bot.enqueue(LEAD, erased)  # nor to a person the bot has no chat with
    assert await bot.app.sender.deliver_due() == 3
    (update,) = connector.updates(TEAM)
    assert update.activity_id == posted.activity_id
    shown = update.body["attachments"][0]["content"]
    assert "gelöscht" in json.dumps(shown, ensure_ascii=False) and "Mittel" not in str(shown)
    assert [r.kind for r in connector.requests] == ["send", "update"]  # no post, no new chat
    async with bot.app.sessions() as session:
        (row,) = (await session.scalars(select(SentMessageRow))).all()
    assert row.choices == {"ids": []}

    # Deleted in Teams meanwhile: nothing is posted in its place.
    connector.fail_next(1, 404, match=lambda request: request.kind == "update")
    await bot.enqueue(channel, erased)
    assert await bot.app.sender.deliver_due() == 1
    assert [r.kind for r in connector.requests][-1] == "update"
    assert all(row.status == "delivered" for row in await _rows(bot))
