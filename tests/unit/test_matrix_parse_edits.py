"""An edited message (m.replace) is not a new message: it is not answered a second time."""

from __future__ import annotations

from nio import RoomMessageText

from adapters.matrix.parse import RoomContext, parse_event

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


def test_an_edit_is_ignored() -> None:
    edit = _text(
        {
            "msgtype": "m.text",
            "body": "* /status 12",
            "m.new_content": {"msgtype": "m.text", "body": "/status 12"},
            "m.relates_to": {"rel_type": "m.replace", "event_id": "$original"},
        }
    )
    assert parse_event(edit, CTX) is None


def test_a_reply_is_still_a_message() -> None:
    reply = _text(
        {
            "msgtype": "m.text",
            "body": "> <@hotline:localhost> Frage\n\nAntwort",
            "m.relates_to": {"m.in_reply_to": {"event_id": "$question"}},
        }
    )
    payload = parse_event(reply, CTX)
    assert payload is not None and payload["inbound"]["text"] == "Antwort"
