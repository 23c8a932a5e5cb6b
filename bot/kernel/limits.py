"""The length policy: how long anything that reaches the bot may be, and what happens to
what is longer. One table for every platform and both stores.

PostgreSQL refuses a string longer than its VARCHAR column, SQLite stores it anyway: so no
value may reach a String(n) column unchecked, or the two stores behave differently (issue
14: a 300-character user id made the turn and its apology fail on PostgreSQL only). Each
field is checked where it enters: the adapters' parsing and the engine for inbound
messages, the shell for its command line, the config and workshop-catalogue validation for
what admins write. tests/storage/test_length_policy.py maps every String(n) column to the
field that feeds it here (or declares it internal) and proves the limits on both stores.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import Enum


class TooLong(Enum):
    """What happens to a value over its limit. Never an exception."""

    DROP = "drop"  # the event is not a platform's (no platform sends it): ignored, logged
    CUT = "cut"  # shortened to the limit and served
    REFUSE = "refuse"  # answered with a polite refusal (or a clear error), nothing stored
    STALE = "stale"  # a button payload no button of ours sends: "nicht mehr aktuell"
    HASH = "hash"  # a lookup key: replaced by its digest, which is as unique
    NORMALISE = "normalise"  # mapped onto a known value
    UNRECORDED = "unrecorded"  # a platform's answer kept only if it fits (e.g. a card's
    # message id: a card whose id did not fit is posted anew instead of edited)


@dataclass(frozen=True)
class Limit:
    """The longest value a field may have, in characters, and what a longer one gets."""

    chars: int
    too_long: TooLong
    why: str


ID = 255  # platform ids: Matrix caps user, room and event ids at 255 bytes
NAME = 200
CONFIG_ID = 64  # ids in the config (teams, topics, customer groups, people, ...)
DIGEST = "#"  # HASH keys start with it: "#" and 64 hex digits

POLICY: dict[str, Limit] = {
    # inbound messages (bot.kernel.notices.Inbound), every platform
    "user_id": Limit(ID, TooLong.DROP, "Matrix: 255 bytes; Teams AAD ids: 36"),
    "conversation_id": Limit(ID, TooLong.DROP, "Matrix room ids: 255 bytes"),
    "event_id": Limit(ID, TooLong.DROP, "Matrix: 255 bytes; Teams' composite key: HASH"),
    "channel_id": Limit(ID, TooLong.DROP, "a team channel's id, as conversation_id"),
    "display_name": Limit(NAME, TooLong.CUT, "a name is never a reason to drop a message"),
    "locale": Limit(8, TooLong.NORMALISE, "stored only as a supported language: de, en"),
    "action_id": Limit(200, TooLong.STALE, "our payloads are short: verb, ids, prompt id"),
    "text": Limit(
        20_000,
        TooLong.REFUSE,
        "the config's dialogs.max_message_length (100 to this); stored in TEXT columns",
    ),
    # text typed in a dialog that lands in a String(n) column
    "reference": Limit(ID, TooLong.CUT, "a request's reference number (Aktenzeichen)"),
    # the local chat's command line: `shell --as ID --name NAME`
    "local_user_id": Limit(ID - len("channel:"), TooLong.REFUSE, "conversation 'user:<id>'"),
    # what platforms answer when the bot sends
    "message_ref": Limit(ID, TooLong.UNRECORDED, "Matrix event ids; Teams activity ids"),
    # keys built from ids: compared for equality only
    "state_key": Limit(ID, TooLong.HASH, "platform_state keys such as 'dm:<user id>'"),
    "dedupe_key": Limit(ID, TooLong.HASH, "outbox keys such as 'matrix-failed:<event id>'"),
    # what admins write: refused by check-config / `workshops import` with the key path
    "config_id": Limit(CONFIG_ID, TooLong.REFUSE, "team, topic, group and person ids"),
    "config_platform_id": Limit(ID, TooLong.REFUSE, "people's and channels' platform ids"),
    "workshop_code": Limit(64, TooLong.REFUSE, "the catalogue's stable key"),
    "workshop_place": Limit(500, TooLong.REFUSE, "a room, or an online link"),
}

INBOUND_IDS = ("user_id", "conversation_id", "event_id", "channel_id")


def limit(field: str) -> int:
    """The longest value `field` may have."""
    return POLICY[field].chars


def fits(field: str, value: str | None) -> bool:
    """Whether `value` (None: nothing) is within the field's limit."""
    return value is None or len(value) <= POLICY[field].chars


def cut(field: str, value: str | None) -> str | None:
    """A CUT field's value, shortened to its limit."""
    return None if value is None else value[: POLICY[field].chars]


def stored_key(field: str, key: str) -> str:
    """A HASH field's key as stored: itself when it fits, else "#" and its SHA-256 (the
    same key always gives the same digest, so lookups and unique constraints still work)."""
    if len(key) <= POLICY[field].chars:
        return key
    return DIGEST + hashlib.sha256(key.encode("utf-8")).hexdigest()


def oversized_ids(ids: Mapping[str, str | None]) -> list[str]:
    """The names of the ids (field -> value) that are longer than the policy allows."""
    return [name for name, value in ids.items() if not fits(name, value)]
