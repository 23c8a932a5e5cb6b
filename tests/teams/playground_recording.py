"""The playground's events recording (``--enable-events-recording``, see
tests/teams/playground.py): every bot -> connector request and playground -> bot request with
its status code, read back from the workdir's recording file, and the waits on it."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from tests.teams.playground_model import RECORDING_FILE
from tests.teams.playground_stream import PlaygroundStream


class PlaygroundRecording(PlaygroundStream):
    """The recording part of ``Playground``: the recorded requests and the waits on them."""

    # --- the recording ----------------------------------------------------------------

    async def settle(self, timeout: float = 1.0) -> bool:  # noqa: ASYNC109
        """Wait until the playground has answered the bot's call for every streamed message.

        It streams a message BEFORE answering the bot's POST; stopping in between makes the
        bot's turn fail with 'Remote end closed connection'. True when nothing is pending.
        """
        deadline = time.monotonic() + timeout
        waited = False
        while True:
            answered: set[str] = set()
            for event in self.recorded_events():
                body = (event.get("response") or {}).get("body")
                if isinstance(body, dict):
                    answered.update(str(body[key]) for key in ("id", "activityId") if key in body)
            pending = [e for e in self.events if e.is_create and e.message_id not in answered]
            if not pending:
                if waited:
                    await asyncio.sleep(0.02)  # recorded just before the answer goes out
                return True
            if time.monotonic() >= deadline:
                return False
            waited = True
            await asyncio.sleep(0.02)

    def recorded_events(self) -> list[dict[str, Any]]:
        """The events recording so far: dicts with ``direction`` ("User Application ->
        Microsoft 365 Agents Playground" for the bot's connector calls, the reverse for
        activities to the bot), ``activityName``, ``conversationId``, ``messageId``,
        ``request`` ({method, url, headers, body}) and ``response`` ({statusCode, body})."""
        path = self.workdir / RECORDING_FILE
        if not path.exists():
            return []
        chunks = path.read_text(encoding="utf-8").split("\n---\n")
        return [json.loads(chunk) for chunk in chunks if chunk.strip()]

    def connector_calls(self) -> list[tuple[str, str, int]]:
        """(method, path, status) of each bot -> playground connector request so far."""
        calls: list[tuple[str, str, int]] = []
        for event in self.recorded_events():
            if str(event.get("direction", "")).startswith("User Application"):
                request = event.get("request") or {}
                response = event.get("response") or {}
                calls.append(
                    (
                        str(request.get("method")),
                        str(request.get("url")),
                        int(response.get("statusCode") or 0),
                    )
                )
        return calls

    async def wait_for_connector_call(
        self,
        predicate: Callable[[tuple[str, str, int]], bool],
        timeout: float = 5.0,  # noqa: ASYNC109
    ) -> tuple[str, str, int]:
        """The first ``connector_calls()`` entry matching `predicate`, polling the recording:
        the playground streams a message BEFORE it records (and answers) the bot's call."""
        deadline = time.monotonic() + timeout
        while True:
            calls = self.connector_calls()
            for call in calls:
                if predicate(call):
                    return call
            if time.monotonic() >= deadline:
                self._fail(f"no matching connector call within {timeout} s: {calls}")
            await asyncio.sleep(0.02)
