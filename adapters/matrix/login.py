"""Logging in with the configured access token, on the device the token belongs to.

The device id is kept in platform_state (the E2E store under store_dir is per device). It is
checked against whoami at every start: a token replaced by one of another device (a new
login) would otherwise run the old device's keys with the new token, and nobody could read
what the bot encrypts. A changed device is taken over with a warning. A known device whose
key store is missing (a standby that does not share the store, a lost volume) is logged as
an error: nio makes new keys for it, and what was encrypted for the old ones is unreadable.
"""

from __future__ import annotations

import logging
from pathlib import Path

from nio import AsyncClient, AsyncClientConfig, WhoamiResponse
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from adapters.matrix.errors import homeserver_error, quiet_error_answers
from adapters.matrix.parse import PLATFORM
from adapters.matrix.settings import MatrixSettings, MatrixSetupError
from adapters.matrix.store_writes import save_new_encrypted_rooms
from bot.kernel.clock import Clock
from storage.repositories import platform_state

log = logging.getLogger(__name__)
DEVICE_ID = "device_id"


def new_client(settings: MatrixSettings) -> AsyncClient:
    """An nio client for the bot, with its E2E store, not logged in yet."""
    quiet_error_answers()
    settings.store_dir.mkdir(parents=True, exist_ok=True)
    client_config = AsyncClientConfig(
        encryption_enabled=True,
        store_sync_tokens=False,
        max_limit_exceeded=0,  # our outbox retries 429s itself, respecting retry_after_ms
        max_timeouts=2,
        request_timeout=60,
    )
    return AsyncClient(
        settings.homeserver,
        settings.user_id,
        store_path=str(settings.store_dir),
        config=client_config,
    )


def key_store(settings: MatrixSettings, device_id: str) -> Path:
    """The file nio keeps the device's keys in (its default store's name)."""
    return settings.store_dir / f"{settings.user_id}_{device_id}.db"


async def device_of_token(client: AsyncClient, settings: MatrixSettings) -> str:
    """The device id the access token belongs to (whoami). An unknown token is a setup
    error (MatrixSetupError); other failures raise HomeserverError or a connection error."""
    client.access_token = settings.access_token
    answer = await client.whoami()
    if not isinstance(answer, WhoamiResponse):
        if getattr(answer, "status_code", None) == "M_UNKNOWN_TOKEN":
            said = getattr(answer, "message", None) or "M_UNKNOWN_TOKEN"
            raise MatrixSetupError(
                f"the Matrix access token is not valid ({settings.homeserver} says: {said}); "
                f"create a new one for {settings.user_id}"
            )
        raise homeserver_error("whoami", answer)
    if answer.user_id != settings.user_id:
        raise MatrixSetupError(
            f"the Matrix access token belongs to {answer.user_id}, not {settings.user_id}"
        )
    if not answer.device_id:
        raise MatrixSetupError("the Matrix access token has no device (whoami names none)")
    return str(answer.device_id)


async def login(
    settings: MatrixSettings, sessions: async_sessionmaker[AsyncSession], clock: Clock
) -> AsyncClient:
    """A logged-in client on the token's device; the stored device id follows the token."""
    client = new_client(settings)
    try:
        device_id = await device_of_token(client, settings)
        async with sessions() as session:
            stored = await platform_state.get_value(session, platform=PLATFORM, key=DEVICE_ID)
        if stored != device_id:
            if stored is not None:
                log.warning(
                    "the Matrix access token now belongs to device %s, not %s: switching to "
                    "it (its encryption keys are new; users may have to verify it again)",
                    device_id,
                    stored,
                )
            async with sessions() as session, session.begin():
                await platform_state.set_value(
                    session, platform=PLATFORM, key=DEVICE_ID, value=device_id, at=clock.now()
                )
        elif not key_store(settings, device_id).exists():
            log.error(
                "the Matrix key store of device %s is not in %s: a new one is made, and "
                "encrypted rooms cannot be read until users share their keys again (several "
                "instances must share platforms.matrix.store_path; restore it from backup)",
                device_id,
                settings.store_dir,
            )
        client.restore_login(settings.user_id, device_id, settings.access_token)
        if getattr(client, "store", None) is not None:  # loaded by restore_login
            save_new_encrypted_rooms(client.store)  # not after every sync
        if client.should_upload_keys:
            await client.keys_upload()
    except BaseException:
        await client.close()
        raise
    return client
