"""The first-message language guess (bot/i18n/detect.py) and the adapters' "joined" events."""

from __future__ import annotations

from typing import Any

import pytest

from adapters.matrix.parse import joined_direct
from adapters.teams.parse import parse_activity
from bot.i18n.detect import guess_language
from bot.kernel.notices import inbound_from_json


@pytest.mark.parametrize(
    ("text", "language"),
    [
        ("Hello, I have a question about my invoice", "en"),
        ("Hi, the payment did not arrive", "en"),
        ("Where is my refund? It is still missing", "en"),
        ("Hallo, ich habe eine Frage zu meiner Rechnung", "de"),
        ("Guten Tag, die Zahlung ist noch nicht da", "de"),
        ("Was ist mit der Rechnung?", "de"),  # "was" counts for neither language
        ("2", None),
        ("ja", None),
        ("SAP hängt", None),
        ("Hallo", None),
        ("", None),
    ],
)
def test_guess(text: str, language: str | None) -> None:
    assert guess_language(text) == language


BOT = {"id": "28:hotline", "name": "Hotline"}


def _activity(**fields: Any) -> dict[str, Any]:
    return {
        "from": {"id": "29:u", "aadObjectId": "aad-u"},
        "recipient": BOT,
        "conversation": {"id": "a:1", "conversationType": "personal"},
        **fields,
    }


@pytest.mark.parametrize(
    ("fields", "joined"),
    [
        ({"type": "installationUpdate", "action": "add"}, True),
        ({"type": "installationUpdate", "action": "remove"}, False),
        ({"type": "conversationUpdate", "membersAdded": [{"id": "28:hotline"}]}, True),
        ({"type": "conversationUpdate", "membersAdded": [{"id": "29:other"}]}, False),
        ({"type": "conversationUpdate", "membersAdded": "garbage"}, False),
        ({"type": "conversationUpdate", "membersRemoved": [{"id": "28:hotline"}]}, False),
    ],
)
def test_teams_install_events(fields: dict[str, Any], joined: bool) -> None:
    inbound = parse_activity(_activity(**fields))
    assert (inbound is not None and inbound.kind == "joined") is joined
    if inbound is not None:
        assert (inbound.user_id, inbound.is_direct, inbound.text) == ("aad-u", True, "")


def test_matrix_dm_join_is_a_joined_event_without_a_locale() -> None:
    payload = joined_direct("!dm:localhost", "@rita:localhost")
    inbound = inbound_from_json(payload["inbound"])
    assert (inbound.kind, inbound.user_id, inbound.locale) == ("joined", "@rita:localhost", "")
    assert inbound.is_direct and inbound.conversation_id == "!dm:localhost"


def test_ids_and_names_are_no_words() -> None:
    # a hex suffix ("b6ac6c") once counted as English "a" and "c" and flipped a German text
    text = "@room bitte agent-30-b6ac6c und @agent-30-b6ac6c:localhost sofort informieren"
    assert guess_language(text) == "de"
    assert guess_language("a-a-a i-i-i 4711") is None
