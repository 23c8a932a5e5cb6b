"""Pictures on Matrix, end to end: the weekly chart reaches the leads' room on Synapse.

The leads read it in their client: the picture downloads from the homeserver's media
repository and, in an encrypted room, decrypts with the key that came inside the
(encrypted) event, while the homeserver itself only ever held ciphertext.
"""

from __future__ import annotations

import io
from typing import Any

import nio
import pytest
from nio.crypto.attachments import decrypt_attachment
from PIL import Image as Pillow

from bot.escalation.digest import Digests
from bot.kernel.clock import FrozenClock
from tests.conftest import berlin
from tests.matrix.bot_fixture import Chat, content, eventually
from tests.matrix.conftest import WorldFactory
from tests.matrix.synapse import SynapseServer

PNG = b"\x89PNG\r\n\x1a\n"


def _pictures(chat: Chat, room_id: str) -> list[nio.Event]:
    return [
        event
        for event in chat.timeline[room_id]
        if getattr(event, "sender", None) == chat.bot_id
        and content(event).get("msgtype") == "m.image"
    ]


async def _download(client: nio.AsyncClient, mxc: str) -> bytes:
    answer = await client.download(mxc=mxc)
    assert isinstance(answer, nio.MemoryDownloadResponse), f"download failed: {answer}"
    return bytes(answer.body)


@pytest.mark.parametrize("encrypted", [False, True], ids=["plain", "encrypted"])
async def test_the_weekly_chart_reaches_the_leads_room(
    synapse: SynapseServer, worlds: WorldFactory, encrypted: bool
) -> None:
    world = await worlds(synapse, teams=("haushalt", "leitung"), encrypted_rooms=encrypted)
    leads, agent = world.team_rooms["leitung"], world.agent
    assert agent.client.rooms[leads].encrypted is encrypted
    app = world.bot.app
    assert app is not None
    monday = FrozenClock(berlin(2026, 11, 23, 8, 45))  # past: its notices are due at once
    assert await Digests(app.config, app.sessions, monday).weekly() == 1

    await agent.expect(leads, "Wochenbericht der Hotline", within=30)
    await agent.sync_until(lambda: bool(_pictures(agent, leads)), within=30)
    [picture] = _pictures(agent, leads)
    event: dict[str, Any] = content(picture)
    assert event["filename"] == "wochenbericht-2026-W47.png"
    assert event["body"].startswith("Wochenbericht: Verlauf der letzten Wochen\n")
    assert "KW 47 – neue Anliegen: 0" in event["body"]  # the caption says what it shows
    assert event["info"]["mimetype"] == "image/png"
    assert (event["info"]["w"], event["info"]["h"]) == (800, 450)
    if encrypted:
        assert "url" not in event, "an encrypted room must not get a plain copy"
        secret = event["file"]
        stored = await _download(agent.client, secret["url"])
        assert not stored.startswith(PNG), "the homeserver holds the picture in clear"
        data = decrypt_attachment(
            stored, secret["key"]["k"], secret["hashes"]["sha256"], secret["iv"]
        )
        assert picture.decrypted  # it came as m.room.encrypted
    else:
        assert "file" not in event
        data = await _download(agent.client, event["url"])
    assert data.startswith(PNG) and len(data) == event["info"]["size"]
    assert Pillow.open(io.BytesIO(data)).size == (800, 450)

    async def delivered() -> bool:
        return await world.bot.pending_outbox() == 0

    await eventually(delivered, within=10, what="both notices marked delivered")
