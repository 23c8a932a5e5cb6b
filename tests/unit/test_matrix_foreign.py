"""Users of homeservers that are not allowed: their events become text-free "foreign"
payloads (never the engine's), and the refusal is keyed once per user."""

from __future__ import annotations

from typing import Any

from nio import MegolmEvent, ReactionEvent, RoomMemberEvent, RoomMessageText

from adapters.matrix.foreign import dedupe_key, refusal_notice
from adapters.matrix.parse import FOREIGN, RoomContext, parse_event

BOT = "@hotline:stadt.example"
CTX = RoomContext("!dm:stadt.example", True, None, BOT, ("Hotline",), ("stadt.example",))


def _event(cls: Any, sender: str, content: dict[str, Any], kind: str = "m.room.message") -> Any:
    return cls.from_dict(
        {
            "type": kind,
            "event_id": "$1",
            "sender": sender,
            "origin_server_ts": 1,
            "content": content,
        }
    )


def test_a_message_from_an_allowed_server_is_a_message() -> None:
    text = _event(RoomMessageText, "@anna:stadt.example", {"msgtype": "m.text", "body": "Hallo"})
    payload = parse_event(text, CTX)
    assert payload is not None and payload["kind"] == "message"


def test_messages_reactions_and_encrypted_events_of_other_servers_are_foreign() -> None:
    sender = "@mallory:evil.example"
    events = [
        _event(RoomMessageText, sender, {"msgtype": "m.text", "body": "Kontostand 4711"}),
        _event(
            ReactionEvent,
            sender,
            {"m.relates_to": {"rel_type": "m.annotation", "event_id": "$q", "key": "1️⃣"}},
            "m.reaction",
        ),
        _event(
            MegolmEvent,
            sender,
            {
                "algorithm": "m.megolm.v1.aes-sha2",
                "ciphertext": "AwgA",
                "device_id": "D",
                "sender_key": "k",
                "session_id": "s",
            },
            "m.room.encrypted",
        ),
    ]
    for event in events:
        payload = parse_event(event, CTX)
        assert payload == {
            "kind": FOREIGN,
            "room_id": "!dm:stadt.example",
            "sender": sender,
            "event_id": "$1",
            "is_direct": True,
            "channel": None,
        }, type(event)


def test_other_events_of_other_servers_are_ignored_and_the_bot_is_never_foreign() -> None:
    member = RoomMemberEvent.from_dict(
        {
            "type": "m.room.member",
            "event_id": "$m",
            "sender": "@mallory:evil.example",
            "state_key": "@mallory:evil.example",
            "origin_server_ts": 1,
            "content": {"membership": "join"},
        }
    )
    assert parse_event(member, CTX) is None
    elsewhere = RoomContext("!dm:x", True, None, "@hotline:localhost", ("Hotline",), ("x",))
    own = _event(RoomMessageText, "@hotline:localhost", {"msgtype": "m.text", "body": "x"})
    assert parse_event(own, elsewhere) is None


def test_a_server_with_a_port_is_its_own_server_name() -> None:
    ctx = RoomContext("!dm:x", True, None, BOT, (), ("stadt.example:8448",))
    assert ctx.serves("@anna:stadt.example:8448") and not ctx.serves("@anna:stadt.example")


def test_the_refusal_is_german_then_english_and_keyed_per_user_in_bounded_length() -> None:
    text = refusal_notice("evil.example").text
    assert text.index("Entschuldigung") < text.index("Sorry") and text.count("evil.example") == 2
    long_id = "@" + "a" * 240 + ":evil.example"
    assert len(dedupe_key(long_id)) <= 64
    assert dedupe_key(long_id) == dedupe_key(long_id) != dedupe_key("@b:evil.example")
