"""Pictures in Teams, end to end: the weekly chart reaches the leadership channel through
Microsoft's playground, inline under its caption, small enough for a Teams message."""

from __future__ import annotations

import base64
import io
import json
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from PIL import Image as Pillow

from bot.escalation.digest import Digests
from tests.teams.conftest import PlaygroundFactory
from tests.teams.playground import StreamEvent
from tests.teams.stage import BK_CHANNEL, TEAM, Stage, open_stage, posted

LEADS_CHANNEL = BK_CHANNEL  # the playground has room for one channel beside General

PNG = b"\x89PNG\r\n\x1a\n"
TEAMS_MESSAGE_LIMIT = 28_000  # bytes of JSON Teams takes in one bot message


@pytest.fixture
async def leads_stage(playground: PlaygroundFactory, tmp_path: Path) -> AsyncIterator[Stage]:
    """The stage with the leadership's channel configured (the bot's clock: Monday 9:00)."""
    channels = {"haushalt": TEAM, "leitung": LEADS_CHANNEL}
    opened, close = await open_stage(playground, tmp_path / "bot", channels=channels)
    yield opened
    await close()


async def test_the_weekly_chart_reaches_the_leadership_channel(leads_stage: Stage) -> None:
    pg, bot = leads_stage.pg, leads_stage.bot
    assert await Digests(bot.app.config, bot.app.sessions, bot.clock).weekly() == 1
    bot._wake.set()  # as the scheduler's sweep does after writing to the outbox

    # What a member of the channel sees (the playground streams a message's text and its
    # attachments as two events): the caption, then the picture.
    def in_leads(event: StreamEvent) -> bool:
        return event.is_create and event.conversation_id.startswith(LEADS_CHANNEL)

    caption = await pg.wait_for(
        lambda e: in_leads(e) and (e.text or "").startswith("Wochenbericht: Verlauf"), timeout=30
    )
    assert "KW 48 – neue Anliegen: 0" in (caption.text or "")
    picture = await pg.wait_for(
        lambda e: in_leads(e) and [a.get("contentType") for a in e.attachments] == ["image/png"],
        after=caption.index,
    )
    assert picture.from_id == caption.from_id

    # What the bot sent: the figures first, then the picture inline under a plain caption,
    # inside the size Teams accepts for one bot message.
    await bot.wait_outbox_idle()
    posts = [p for p in posted(pg) if p.conversation_id.startswith(LEADS_CHANNEL)]
    assert len(posts) == 2 and all(200 <= p.status < 300 for p in posts)
    assert "Wochenbericht der Hotline" in posts[0].text
    body = posts[1].body
    assert body["textFormat"] == "plain"
    [attachment] = body["attachments"]
    assert attachment["name"] == "wochenbericht-2026-W48.png"
    prefix = "data:image/png;base64,"
    assert str(attachment["contentUrl"]).startswith(prefix)
    data = base64.b64decode(str(attachment["contentUrl"])[len(prefix) :])
    assert data.startswith(PNG)
    assert Pillow.open(io.BytesIO(data)).size == (800, 450)
    assert len(json.dumps(body).encode()) < TEAMS_MESSAGE_LIMIT
