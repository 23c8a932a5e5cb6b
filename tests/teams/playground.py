"""Microsoft's offline Teams emulator (npm @microsoft/m365agentsplayground) as a test fixture.

The playground is a Node.js process that plays the Teams client AND the Bot Connector: it
posts activities to the bot's /api/messages (anonymous, no Authorization header), and the
bot answers through the playground's own connector at ``serviceUrl``
(``http://127.0.0.1:<port>/_connector``). Everything the bot sends or updates is streamed on a
websocket, which this harness listens to from the start.

    playground = Playground(bot.endpoint)
    await playground.start()                     # about 0.9 s
    chat = (await playground.config()).personal_chat_id
    await playground.say(chat, "hello")
    event = await playground.wait_for(lambda e: e.text == "echo: hello")
    await playground.stop()

Scriptable surface (read from the 0.2.28 bundle, dist/index.js):

- GET  /_internal/v1/config          the mock tenant (waits up to 15 s for the bot endpoint to
                                     answer any HTTP status first); /v1/testConfig does not wait
- POST /_conversation/v1/conversations/{id}/messages
       ``{"from": {"id"}, "text", "textFormat": "plain", "mentions"?: [{"mentioned": {"id",
       "name"}, "text": "<at>Name</at>"}]}`` -> ``{"messageId", "timestamp",
       "postConversationId"?}``. The bot receives it in personal chats, and elsewhere only
       when the mentions name the bot. The activity's ``from`` is ALWAYS the config's
       currentUser (user-id-0): ``from.id`` is only checked for membership.
       A message to a channel id starts a thread: ``postConversationId`` =
       ``<channel id>;messageid=<messageId>``, the conversation id the bot sees and replies to.
- POST /_conversation/v1/submit      ``{"conversation": {"id"}, "from": {"id"}, "replyToId":
       <id of the card message>, "value": {...}}``: an Action.Submit; answers 200 with no body
       before the bot is called. Here ``from`` is honoured (any tenant user).
- POST /_conversation/v1/invoke      ``{"name": "adaptiveCard/action", "conversation",
       "from", "replyToId", "value": {"action": {"type": "Action.Execute", "verb", "data"}}}``:
       answers the bot's invoke response ``{"type", "value"}`` (502 when the bot fails).
- GET  /_internal/v1/customActivities/template?conversationId=..&type=..  an activity template
       (type: install, uninstall, botAdded, userAdded, botRemoved, userRemoved, channelCreated,
       channelRenamed, channelDeleted, teamRenamed, teamDeleted, or none for a bare one)
- POST /_internal/v1/customActivities  any activity, posted to the bot as it is
- WS   /_ws_conversation/v1/conversations/stream  JSON text frames, see ``StreamEvent``.
       Frames sent while no client is connected are buffered and flushed to the next client.

The process runs in its own session with a parent-death signal (SIGKILL when the spawning
thread dies), so a killed test run leaves no emulator behind; start() from the event loop's
(main) thread. ``--enable-events-recording`` is on: ``recorded_events()`` returns every
bot -> connector request and playground -> bot request with its status code.

``Playground`` is assembled from its parts: the process (playground_process.py), the event
stream (playground_stream.py) and the events recording (playground_recording.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import subprocess
import tempfile
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import aiohttp

from tests.teams.playground_model import (
    CONFIG_FILE,
    DEFAULT_USER,
    PACKAGE_SPEC,
    PACKAGE_VERSION,
    PlaygroundConfig,
    PlaygroundError,
    PlaygroundHTTPError,
    SentMessage,
    StreamEvent,
    default_config,
    find_playground_dir,
    free_port,
    playground_missing_reason,
)
from tests.teams.playground_recording import PlaygroundRecording


class Playground(PlaygroundRecording):
    """One m365agentsplayground process pointed at one bot endpoint, with a stream listener.

    ``config``: a full mock tenant (see ``default_config()``) written to the workdir as the
    playground's config file; default: the built-in one. ``personal_chat_id`` fixes the
    personal chat's id (else a new UUID per start; ignored when ``config`` is given).
    """

    def __init__(
        self,
        bot_endpoint: str,
        *,
        directory: Path | None = None,
        workdir: Path | None = None,
        port: int | None = None,
        config: Mapping[str, Any] | None = None,
        personal_chat_id: str | None = None,
        startup_timeout: float = 30.0,
        request_timeout: float = 20.0,
    ) -> None:
        self.bot_endpoint = bot_endpoint
        self.directory = directory or find_playground_dir()
        self.workdir = workdir or Path(tempfile.mkdtemp(prefix="playground-"))
        self.requested_port = port
        self.config_file = dict(config) if config is not None else None
        self.personal_chat_id = personal_chat_id
        self.startup_timeout = startup_timeout
        self.request_timeout = request_timeout
        self.events: list[StreamEvent] = []
        self.last_start_seconds = 0.0  # spawn -> config answered and stream connected
        self._port: int | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._session: aiohttp.ClientSession | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self._listener: asyncio.Task[None] | None = None
        self._changed: asyncio.Condition | None = None
        self._stream_error: BaseException | None = None
        self._config: PlaygroundConfig | None = None

    # --- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Spawn the playground, wait until its API answers, connect the stream listener.

        Raises PlaygroundError (with the log's tail) when it does not come up in time.
        """
        if self.running:
            raise RuntimeError(f"Playground is already running (pid {self.pid})")
        missing = playground_missing_reason(self.directory)
        if missing:
            raise PlaygroundError(missing)
        self.workdir.mkdir(parents=True, exist_ok=True)
        self._config = None  # the personal chat id is new on every start
        if self.config_file is not None:
            # JSON is YAML: no YAML writer needed.
            (self.workdir / CONFIG_FILE).write_text(json.dumps(self.config_file), "utf-8")
        started = time.monotonic()
        for attempt in range(3):
            port = self.requested_port or free_port()
            self._spawn(port)
            try:
                listening = await self._wait_listening(started + self.startup_timeout)
            except PlaygroundError:
                self.kill()
                raise
            if listening == port:
                self._port = port
                break
            # The port was taken meanwhile and the playground fell back to a random one: its
            # serviceUrl (given on the command line) would be wrong. Try again.
            self.kill()
            if self.requested_port or attempt == 2:
                self._fail(f"asked for port {port}, the playground listens on {listening}")
        self._session = aiohttp.ClientSession(
            timeout=aiohttp.ClientTimeout(total=self.request_timeout)
        )
        try:
            await self._wait_api(started + self.startup_timeout)
            await self._connect_stream()
        except BaseException:
            await self.stop()
            raise
        self.last_start_seconds = time.monotonic() - started

    async def stop(self, grace: float = 5.0) -> None:
        """Settle, close the listener and client, SIGTERM the process (SIGKILL after
        `grace`)."""
        if self.running:
            await self.settle()
        if self._listener is not None:
            self._listener.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._listener
            self._listener = None
        if self._ws is not None:
            with contextlib.suppress(Exception):
                await self._ws.close()
            self._ws = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        process = self._process
        if process is not None and process.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(process.pid, signal.SIGTERM)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(process.wait, grace)
        self.kill()

    async def __aenter__(self) -> Playground:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # --- the scriptable surface ---------------------------------------------------------

    async def config(self, *, refresh: bool = False) -> PlaygroundConfig:
        """GET /_internal/v1/config (cached after the first call)."""
        if self._config is None or refresh:
            self._config = PlaygroundConfig(await self._request("GET", "/_internal/v1/config"))
        return self._config

    async def say(
        self,
        conversation_id: str,
        text: str,
        user_id: str = DEFAULT_USER,
        *,
        mention_bot: bool = False,
        mentions: list[dict[str, Any]] | None = None,
    ) -> SentMessage:
        """A user types `text` in a conversation (personal chat, group chat, a channel id to
        start a thread, or a thread's id to reply in it).

        ``mention_bot`` prefixes ``<at>Bot Name</at> `` and adds the mention exactly as the
        playground's web client does; only then does the bot see messages outside the
        personal chat. ``mentions``: extra entries ``{"mentioned": {"id", "name"}, "text"}``.
        NB: the activity's ``from`` is always the config's currentUser; ``user_id`` must only
        be a member of the conversation. To speak as someone else use ``say_as``.
        """
        body: dict[str, Any] = {"from": {"id": user_id}, "text": text, "textFormat": "plain"}
        all_mentions = list(mentions or [])
        if mention_bot:
            config = await self.config()
            tag = f"<at>{config.bot_name}</at>"
            body["text"] = f"{tag} {text}"
            all_mentions.insert(
                0, {"mentioned": {"id": config.bot_id, "name": config.bot_name}, "text": tag}
            )
        if all_mentions:
            body["mentions"] = all_mentions
        mark = len(self.events)
        answer = await self._request(
            "POST", f"/_conversation/v1/conversations/{conversation_id}/messages", body
        )
        return SentMessage(
            conversation_id=conversation_id,
            message_id=str(answer["messageId"]),
            timestamp=int(answer["timestamp"]),
            post_conversation_id=answer.get("postConversationId"),
            mark=mark,
        )

    async def say_in_channel(
        self,
        channel_conversation_id: str | None = None,
        text: str = "",
        user_id: str = DEFAULT_USER,
    ) -> SentMessage:
        """Start a thread in a channel (default: General) with an @mention of the bot.

        The bot sees ``SentMessage.thread_id`` (``<channel>;messageid=<id>``) and its replies
        stream with that ``actionConversationId``.
        """
        channel = channel_conversation_id or (await self.config()).channel_id
        return await self.say(channel, text, user_id, mention_bot=True)

    async def submit(
        self,
        conversation_id: str,
        value: Mapping[str, Any],
        user_id: str = DEFAULT_USER,
        *,
        reply_to_id: str,
    ) -> None:
        """An Adaptive Card Action.Submit on the card message `reply_to_id` (its
        ``messageId``; it must be in `conversation_id`). The bot gets a message activity with
        ``value`` (no text), ``replyToId`` and ``from`` = `user_id`. Returns once the
        playground accepted it, before the bot has answered."""
        await self._request(
            "POST",
            "/_conversation/v1/submit",
            {
                "conversation": {"id": conversation_id},
                "from": {"id": user_id},
                "replyToId": reply_to_id,
                "value": dict(value),
            },
        )

    async def submit_card(
        self,
        event: StreamEvent,
        value: Mapping[str, Any] | None = None,
        user_id: str = DEFAULT_USER,
        *,
        action: int = 0,
    ) -> None:
        """Action.Submit on a card the bot sent (a stream event); `value` defaults to the
        data of the card's `action`-th Action.Submit (inputs are not simulated)."""
        if event.message_id is None:
            raise ValueError("event carries no message")
        if value is None:
            actions = event.submit_actions()
            if len(actions) <= action:
                raise ValueError(f"the card has {len(actions)} Action.Submit, not {action + 1}")
            value = dict(actions[action].get("data") or {})
        await self.submit(
            event.thread_id or event.conversation_id,
            value,
            user_id,
            reply_to_id=event.message_id,
        )

    async def invoke(self, body: Mapping[str, Any]) -> dict[str, Any]:
        """POST /_conversation/v1/invoke as it is; returns the bot's invoke response body."""
        answer: dict[str, Any] = await self._request("POST", "/_conversation/v1/invoke", body)
        return answer

    async def execute(
        self,
        event: StreamEvent,
        verb: str,
        data: Mapping[str, Any] | None = None,
        user_id: str = DEFAULT_USER,
    ) -> dict[str, Any]:
        """Action.Execute (``adaptiveCard/action`` invoke) on a card the bot sent; returns
        ``{"type", "value"}`` from the bot's invoke response (raises PlaygroundHTTPError
        with status 502 when the bot failed)."""
        if event.message_id is None:
            raise ValueError("event carries no message")
        return await self.invoke(
            {
                "name": "adaptiveCard/action",
                "conversation": {"id": event.thread_id or event.conversation_id},
                "from": {"id": user_id},
                "replyToId": event.message_id,
                "value": {
                    "action": {"type": "Action.Execute", "verb": verb, "data": dict(data or {})}
                },
            }
        )

    async def activity_template(
        self, conversation_id: str, kind: str | None = None
    ) -> dict[str, Any]:
        """GET /_internal/v1/customActivities/template: a ready activity for `conversation_id`
        (kind: install, uninstall, botAdded, userAdded, botRemoved, userRemoved,
        channelCreated, channelRenamed, channelDeleted, teamRenamed, teamDeleted; None: a
        bare activity with type "<custom-activity-type>")."""
        query = f"conversationId={conversation_id}" + (f"&type={kind}" if kind else "")
        template: dict[str, Any] = await self._request(
            "GET", f"/_internal/v1/customActivities/template?{query}"
        )
        return template

    async def send_activity(self, activity: Mapping[str, Any]) -> None:
        """POST /_internal/v1/customActivities: the playground posts `activity` to the bot as
        it is (answers before the bot is called)."""
        await self._request("POST", "/_internal/v1/customActivities", dict(activity))

    async def say_as(
        self,
        conversation_id: str,
        text: str,
        user_id: str,
        *,
        mention_bot: bool = False,
    ) -> dict[str, Any]:
        """A message activity from ANY tenant user, sent as a custom activity (the typed
        path always uses currentUser). The playground does not store it, so the bot's
        replies are new messages, never in-thread ones, and cards in them cannot be
        submitted against it. Returns the activity sent."""
        config = await self.config()
        user = config.user(user_id)
        activity = await self.activity_template(conversation_id)
        activity["type"] = "message"
        activity["from"] = {
            "id": user["id"],
            "name": user["name"],
            "aadObjectId": user["aadObjectId"],
        }
        activity["textFormat"] = "plain"
        entities: list[dict[str, Any]] = []
        if mention_bot:
            tag = f"<at>{config.bot_name}</at>"
            text = f"{tag} {text}"
            entities.append(
                {
                    "type": "mention",
                    "mentioned": {"id": config.bot_id, "name": config.bot_name},
                    "text": tag,
                }
            )
        activity["text"] = text
        activity["entities"] = entities
        channel_data = activity.setdefault("channelData", {})
        channel_data.setdefault("tenant", {"id": config.tenant_id})
        await self.send_activity(activity)
        return activity

    # --- internals ----------------------------------------------------------------------

    async def _wait_api(self, deadline: float) -> None:
        # /testConfig answers as soon as the routes are mounted (right after 'Listening');
        # /config would first wait for the bot endpoint.
        assert self._session is not None
        while time.monotonic() < deadline:
            with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                async with self._session.get(
                    f"{self.base_url}/_internal/v1/testConfig",
                    timeout=aiohttp.ClientTimeout(total=2),
                ) as response:
                    if response.status == 200:
                        return
            if not self.running:
                self._fail("the playground exited during start-up")
            await asyncio.sleep(0.02)
        self._fail(f"the API did not answer within {self.startup_timeout} s")

    async def _request(self, method: str, path: str, body: Any = None) -> Any:
        if self._session is None:
            raise RuntimeError("Playground is not started")
        url = f"{self.base_url}{path}"
        async with self._session.request(method, url, json=body) as response:
            raw = await response.read()
            try:
                answer = json.loads(raw) if raw else None
            except ValueError:
                answer = raw.decode("utf-8", "replace")
            if response.status >= 300:
                raise PlaygroundHTTPError(method, path, response.status, answer)
            return answer


# Re-exported for type annotations in tests.
__all__ = [
    "DEFAULT_USER",
    "PACKAGE_SPEC",
    "PACKAGE_VERSION",
    "Playground",
    "PlaygroundConfig",
    "PlaygroundError",
    "PlaygroundHTTPError",
    "SentMessage",
    "StreamEvent",
    "default_config",
    "find_playground_dir",
    "free_port",
    "playground_missing_reason",
]
