"""Edits (m.replace) and redactions become neutral changes to an earlier message: never a
new message; the core decides whether they matter."""

from __future__ import annotations

from typing import Any

from nio import Event, RoomMessageText

from adapters.matrix.parse import RoomContext, parse_event
from bot.kernel.notices import inbound_from_json

CTX = RoomContext("!dm:localhost", True, None, "@hotline:localhost", ("Hotline",))


def _text(content: dict[str, object]) -> RoomMessageText:
    return RoomMessageText.from_dict(
        {
            "type": "m.room.message",
            "event_id": "$edit",
            "sender": "@anna:localhost",
            "origin_server_ts": 1,
            "content": content,
        }
    )


def _parsed(event: Event) -> Any:
    payload = parse_event(event, CTX)
    assert payload is not None and payload["kind"] == "message"
    return inbound_from_json(payload["inbound"])


def test_an_edit_names_the_edited_event_and_carries_the_new_text() -> None:
    edit = _text(
        {
            "msgtype": "m.text",
            "body": "* Drucker im Raum 3 druckt nicht",
            "m.new_content": {"msgtype": "m.text", "body": "Drucker im Raum 4 druckt nicht"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$original"},
        }
    )
    inbound = _parsed(edit)
    assert (inbound.event_id, inbound.edits, inbound.redacts) == ("$edit", "$original", None)
    assert inbound.text == "Drucker im Raum 4 druckt nicht"


def test_an_edit_without_new_content_falls_back_to_its_body() -> None:
    edit = _text(
        {
            "msgtype": "m.text",
            "body": "* Hotline: neuer Text hier",
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$original"},
        }
    )
    assert _parsed(edit).text == "neuer Text hier"


def test_a_reply_is_still_a_message() -> None:
    reply = _text(
        {
            "msgtype": "m.text",
            "body": "> <@hotline:localhost> Frage\n\nAntwort",
            "m.relates_to": {"m.in_reply_to": {"event_id": "$question"}},
        }
    )
    inbound = _parsed(reply)
    assert inbound.text == "Antwort" and inbound.edits is None


def test_redactions_of_every_room_version_name_the_deleted_event() -> None:
    base = {"type": "m.room.redaction", "sender": "@anna:localhost", "origin_server_ts": 1}
    old = Event.parse_event({**base, "event_id": "$r1", "redacts": "$gone", "content": {}})
    new = Event.parse_event({**base, "event_id": "$r2", "content": {"redacts": "$gone"}})
    for event in (old, new):
        inbound = _parsed(event)
        assert (inbound.redacts, inbound.edits, inbound.text) == ("$gone", None, "")


def test_the_bots_own_redaction_is_ignored() -> None:
    own = Event.parse_event(
        {
            "type": "m.room.redaction",
            "sender": "@hotline:localhost",
            "event_id": "$r",
            "origin_server_ts": 1,
            "content": {"redacts": "$x"},
        }
    )
    assert parse_event(own, CTX) is None
