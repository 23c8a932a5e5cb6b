"""The playground harness's parts without the process: where the emulator is installed,
its mock tenant config, and the events it streams (see tests/teams/playground.py)."""

from __future__ import annotations

import json
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
PACKAGE = "@microsoft/m365agentsplayground"
PACKAGE_VERSION = "0.2.28"
PACKAGE_SPEC = f"{PACKAGE}@{PACKAGE_VERSION}"
DIR_ENV = "HOTLINE_PLAYGROUND_DIR"  # the package directory itself (holds cli.js)
NODE_TOOLS_ENV = "HOTLINE_NODE_TOOLS"  # tests/install-node-tools' prefix
DEFAULT_USER = "user-id-0"  # the default config's currentUser
STDIO_FILE = "stdio.log"
LOG_FILE = "playground.log"
RECORDING_FILE = "events.log"
CONFIG_FILE = ".m365agentsplayground.yml"
ADAPTIVE_CARD = "application/vnd.microsoft.card.adaptive"

# Variables the playground reads that a developer's shell might carry into a test run.
_FOREIGN_ENV_PREFIXES = ("M365_AGENTS_PLAYGROUND_", "TEAMSAPPTESTER_", "TEAMS_APP_TEST_TOOL_")
_FOREIGN_ENV = (
    "BOT_ENDPOINT",
    "DEFAULT_CHANNEL_ID",
    "SEND_INSTALLATION_ACTIVITY",
    "AUTH_TENANT_ID",
)


class PlaygroundError(RuntimeError):
    """The playground did not start, died, or a wait timed out; ends with the log's tail."""


class PlaygroundHTTPError(PlaygroundError):
    """A playground endpoint answered a non-2xx status."""

    def __init__(self, method: str, url: str, status: int, body: Any) -> None:
        super().__init__(f"{method} {url} -> {status}: {body}")
        self.status = status
        self.body = body


def find_playground_dir() -> Path:
    """$HOTLINE_PLAYGROUND_DIR, else ${HOTLINE_NODE_TOOLS:-<repo>/.node-tools}/node_modules/
    @microsoft/m365agentsplayground (may not exist)."""
    configured = os.environ.get(DIR_ENV)
    if configured:
        return Path(configured).expanduser()
    tools = os.environ.get(NODE_TOOLS_ENV)
    prefix = Path(tools).expanduser() if tools else REPO_ROOT / ".node-tools"
    return prefix / "node_modules" / PACKAGE


def playground_missing_reason(directory: Path) -> str | None:
    """Why the playground cannot run from `directory`, or None when it looks installed."""
    if not (directory / "cli.js").is_file() or not (directory / "dist" / "index.js").is_file():
        return f"{PACKAGE} not installed at {directory} (run tests/install-node-tools)"
    if find_node() is None:
        return "node is not installed (Node.js 18 or newer; run tests/install-node-tools)"
    return None


def playground_version(directory: Path) -> str:
    """The installed package's version ("?" when unreadable)."""
    try:
        return str(json.loads((directory / "package.json").read_text("utf-8"))["version"])
    except (OSError, ValueError, KeyError):
        return "?"


def find_node() -> str | None:
    from shutil import which

    return which("node")


def free_port() -> int:
    """A TCP port that was free a moment ago (checked on all interfaces: the playground
    binds them all)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("", 0))
        port: int = probe.getsockname()[1]
        return port


def default_config(personal_chat_id: str = "personal-chat-id") -> dict[str, Any]:
    """The playground's built-in mock tenant as a dict (schema 0.1.1), to modify and pass as
    ``Playground(config=...)``. Exactly 5 users; at most one channel besides General (whose
    conversation id is the team id); currentUser is who every typed message comes from."""

    def user(uid: str, given: str, surname: str, login: str, n: int) -> dict[str, str]:
        return {
            "id": uid,
            "name": f"{given} {surname}",
            "userPrincipleName": f"{login}@example.com",  # sic: the schema's spelling
            "aadObjectId": f"00000000-0000-0000-0000-00000000002{n}",
            "givenName": given,
            "surname": surname,
            "email": f"{login}@example.com",
        }

    return {
        "version": "0.1.1",
        "tenantId": "00000000-0000-0000-0000-0000000000001",
        "bot": {"id": "00000000-0000-0000-0000-00000000000011", "name": "Test Bot"},
        "currentUser": user(DEFAULT_USER, "Alex", "Wilber", "alexw", 0),
        "users": [
            user("user-id-1", "Megan", "Bowen", "meganb", 1),
            user("user-id-2", "Adele", "Vance", "adelev", 2),
            user("user-id-3", "Isaiah", "Langer", "isaiahl", 3),
            user("user-id-4", "Patti", "Fernandez", "pattif", 4),
            user("user-id-5", "Lynne", "Robbins", "lynner", 5),
        ],
        "personalChat": {"id": personal_chat_id},
        "groupChat": {"id": "group-chat-id", "name": "Group Chat"},
        "team": {
            "id": "team-id",
            "name": "My Team",
            "aadGroupId": "00000000-0000-0000-0000-000000000031",
            "channels": [{"id": "channel-announcements-id", "name": "Announcements"}],
        },
    }


@dataclass(frozen=True)
class PlaygroundConfig:
    """GET /_internal/v1/config, typed. ``raw`` is the whole answer."""

    raw: dict[str, Any]

    @property
    def _config(self) -> dict[str, Any]:
        config: dict[str, Any] = self.raw["config"]
        return config

    @property
    def tenant_id(self) -> str:
        return str(self._config["tenantId"])

    @property
    def bot_id(self) -> str:
        return str(self._config["bot"]["id"])

    @property
    def bot_name(self) -> str:
        return str(self._config["bot"]["name"])

    @property
    def current_user(self) -> dict[str, Any]:
        user: dict[str, Any] = self._config["currentUser"]
        return user

    @property
    def users(self) -> list[dict[str, Any]]:
        """currentUser first, then the other tenant users."""
        return [self.current_user, *self._config["users"]]

    def user(self, user_id: str) -> dict[str, Any]:
        for candidate in self.users:
            if candidate["id"] == user_id:
                return candidate
        raise KeyError(f"no user {user_id!r} in the playground's tenant")

    @property
    def personal_chat_id(self) -> str:
        return str(self._config["personalChat"]["id"])

    @property
    def group_chat_ids(self) -> list[str]:
        return [str(chat["id"]) for chat in self._config["groupChats"]]

    @property
    def team_id(self) -> str:
        return str(self._config["teams"][0]["id"])

    @property
    def channel_ids(self) -> list[str]:
        """Channel conversation ids; the first is General (same id as the team)."""
        return [str(channel["id"]) for channel in self._config["teams"][0]["channels"]]

    @property
    def channel_id(self) -> str:
        """The General channel's conversation id."""
        return self.channel_ids[0]


@dataclass(frozen=True)
class StreamEvent:
    """One frame of WS /_ws_conversation/v1/conversations/stream.

    ``{"action": "createMessage" | "updateMessage" | "typing", "actionConversationId": id,
    "message": {...}}`` (no message for typing). ``message`` holds ``messageId`` (the id the
    bot got back and uses for updates/replyToId), ``timestamp`` (ms), ``from.id`` (the bot),
    ``text``, ``textFormat`` (markdown unless the bot said otherwise), ``attachments``
    ([{contentType, content}]), ``attachmentLayout``, ``mentions`` (the bot's mention
    entities), ``suggestedActions``, ``directLineConversationId`` (the conversation id the bot
    posted to), and for the first message of a new channel thread ``postConversationId``.
    In a channel, ``actionConversationId`` is the thread's conversation id for replies and
    the channel's for a message that starts a new thread.
    """

    raw: dict[str, Any]
    index: int  # position in Playground.events
    received_at: float  # time.monotonic()

    @property
    def action(self) -> str:
        return str(self.raw.get("action", ""))

    @property
    def conversation_id(self) -> str:
        return str(self.raw.get("actionConversationId", ""))

    @property
    def message(self) -> dict[str, Any]:
        message: dict[str, Any] = self.raw.get("message") or {}
        return message

    @property
    def message_id(self) -> str | None:
        value = self.message.get("messageId")
        return None if value is None else str(value)

    @property
    def text(self) -> str | None:
        value = self.message.get("text")
        return None if value is None else str(value)

    @property
    def from_id(self) -> str | None:
        value = self.message.get("from", {}).get("id")
        return None if value is None else str(value)

    @property
    def attachments(self) -> list[dict[str, Any]]:
        attachments: list[dict[str, Any]] = self.message.get("attachments") or []
        return attachments

    @property
    def cards(self) -> list[dict[str, Any]]:
        """The Adaptive Card contents among the attachments."""
        return [a["content"] for a in self.attachments if a.get("contentType") == ADAPTIVE_CARD]

    @property
    def thread_id(self) -> str | None:
        """The conversation id a reply in this message's thread must use: the new thread's
        id for a message that started one, else ``actionConversationId``."""
        post = self.message.get("postConversationId")
        return str(post) if post else (self.conversation_id or None)

    @property
    def is_create(self) -> bool:
        return self.action == "createMessage"

    @property
    def is_update(self) -> bool:
        return self.action == "updateMessage"

    @property
    def is_typing(self) -> bool:
        return self.action == "typing"

    def card_texts(self) -> list[str]:
        """Every TextBlock text in the cards (depth-first), for easy assertions."""
        texts: list[str] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "TextBlock" and isinstance(node.get("text"), str):
                    texts.append(node["text"])
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        for card in self.cards:
            walk(card)
        return texts

    def submit_actions(self) -> list[dict[str, Any]]:
        """The cards' Action.Submit actions (top-level ``actions`` and nested ones)."""
        found: list[dict[str, Any]] = []

        def walk(node: Any) -> None:
            if isinstance(node, dict):
                if node.get("type") == "Action.Submit":
                    found.append(node)
                for value in node.values():
                    walk(value)
            elif isinstance(node, list):
                for item in node:
                    walk(item)

        for card in self.cards:
            walk(card)
        return found


@dataclass(frozen=True)
class SentMessage:
    """What POST .../messages answered, plus where the event stream stood before it."""

    conversation_id: str
    message_id: str
    timestamp: int
    post_conversation_id: str | None
    mark: int  # len(Playground.events) before sending: pass as wait_for(after=...)

    @property
    def thread_id(self) -> str:
        """The conversation the bot sees (and replies in): the new thread in a channel."""
        return self.post_conversation_id or self.conversation_id


Predicate = Callable[[StreamEvent], bool]
