"""Pictures for Matrix: uploaded to the homeserver's content repository, encrypted where the
room is, so a chart in an encrypted leads' room is as private as the text beside it."""

from __future__ import annotations

import asyncio
import io
from typing import Any

from nio import AsyncClient, UploadResponse

from bot.delivery import DeliveryError
from bot.kernel.notices import FileData, Image

UPLOAD_TIMEOUT = 60.0  # seconds; nio itself waits for ever on uploads


async def upload(client: AsyncClient, room_id: str, image: Image | FileData) -> dict[str, Any]:
    """Upload the picture (or file) for `room_id`; returns the `source` of its m.image content:
    {"url": mxc} in a plain room, {"file": {...}} with the key in an encrypted one (also when
    nio does not know the room yet: every client reads an encrypted file in a plain room,
    none reads a plain one in an encrypted room without leaking it)."""
    room = client.rooms.get(room_id)
    encrypt = room is None or room.encrypted
    async with asyncio.timeout(UPLOAD_TIMEOUT):
        answer, keys = await client.upload(
            io.BytesIO(image.data),
            content_type=image.mime,
            filename=image.name,
            encrypt=encrypt,
            filesize=len(image.data),
        )
    if not isinstance(answer, UploadResponse):
        retry_ms = getattr(answer, "retry_after_ms", None)
        raise DeliveryError(
            f"upload of {image.name} failed: {answer}",
            retry_after=None if retry_ms is None else retry_ms / 1000,
        )
    if keys is None:
        return {"url": answer.content_uri}
    return {"file": {**keys, "url": answer.content_uri, "mimetype": image.mime}}
