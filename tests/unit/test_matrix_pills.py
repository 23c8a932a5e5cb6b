"""A person's mention pill in a typed command reaches the core as their Matrix id."""

from __future__ import annotations

from typing import Any

import pytest
from nio import RoomMessageText

from adapters.matrix.parse import RoomContext, parse_event
from adapters.matrix.pills import user_pills, with_user_ids
from bot.kernel.notices import inbound_from_json

BOT = "@hotline:stadt.example"
CTX = RoomContext("!bk:stadt.example", False, "#hotline-bk:stadt.example", BOT, ("Hotline",))
JULIA = '<a href="https://matrix.to/#/@julia.weber:stadt.example">Julia W.</a>'


def _typed(body: str, formatted: str | None, **extra: Any) -> str:
    content: dict[str, Any] = {"msgtype": "m.text", "body": body, **extra}
    if formatted is not None:
        content |= {"format": "org.matrix.custom.html", "formatted_body": formatted}
    event = RoomMessageText.from_dict(
        {
            "type": "m.room.message",
            "event_id": "$1",
            "sender": "@martin.schneider:stadt.example",
            "origin_server_ts": 1,
            "content": content,
        }
    )
    payload = parse_event(event, CTX)
    assert payload is not None
    return inbound_from_json(payload["inbound"]).text


def test_a_pill_in_a_command_becomes_the_user_id() -> None:
    body = "Hotline: /zuweisen 3 Julia W. Julia W. ruft zurück"
    formatted = (
        f'<a href="https://matrix.to/#/{BOT}">Hotline</a>: /zuweisen 3 {JULIA} Julia W. ruft zurück'
    )
    text = _typed(body, formatted)
    assert text == "/zuweisen 3 @julia.weber:stadt.example Julia W. ruft zurück"


def test_an_encoded_link_and_markup_in_the_label_are_read() -> None:
    link = "https://matrix.to/#/%40julia.weber%3Astadt.example?via=x"
    pill = f'<a href="{link}"><b>Julia</b> &amp; Co</a>'
    assert user_pills(pill) == [("Julia & Co", "@julia.weber:stadt.example")]
    assert with_user_ids("/zuweisen 3 Julia & Co", pill, BOT) == (
        "/zuweisen 3 @julia.weber:stadt.example"
    )


@pytest.mark.parametrize(
    ("body", "formatted"),
    [
        ("Bitte Julia W. fragen", f"Bitte {JULIA} fragen"),  # not a command: words as typed
        ("/zuweisen 3 Julia W.", None),  # no HTML: nothing to read
        ("/zuweisen 3 Julia W.", '<a href="https://matrix.to/#/#raum:x">Julia W.</a>'),  # a room
        ("/zuweisen 3 Julia W.", f"<mx-reply>{JULIA}</mx-reply>/zuweisen 3 Julia W."),  # quoted
    ],
)
def test_everything_else_stays_as_typed(body: str, formatted: str | None) -> None:
    assert _typed(body, formatted) == body
