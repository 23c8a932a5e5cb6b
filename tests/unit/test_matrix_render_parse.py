"""Matrix rendering and parsing, without a homeserver."""

from __future__ import annotations

import pytest
from nio import ReactionEvent, RoomMessageNotice, RoomMessageText, UnknownBadEvent

from adapters.matrix.parse import (
    RoomContext,
    parse_event,
    strip_bot_mention,
    strip_reply_fallback,
    too_long,
)
from adapters.matrix.render import (
    CLAIM_REACTION,
    KEYCAPS,
    Mention,
    choice_for_reaction,
    edit_content,
    image_content,
    message_content,
    reaction_keys,
)
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Fact, Image, Notice

BOT = "@hotline:localhost"
CTX = RoomContext("!dm:localhost", True, None, BOT, ("Hotline", "hotline"))


def _text_event(
    body: str, sender: str = "@anna:localhost", event_id: str = "$1"
) -> RoomMessageText:
    return RoomMessageText.from_dict(
        {
            "type": "m.room.message",
            "event_id": event_id,
            "sender": sender,
            "origin_server_ts": 1,
            "content": {"msgtype": "m.text", "body": body},
        }
    )


def test_notice_becomes_m_notice_with_escaped_html() -> None:
    evil = "<script>alert(1)</script> **x** & <b>"
    notice = Notice(
        title="Ticket Nr. 3",
        text="Beschreibung:\n" + literal(evil),
        facts=(Fact("Team", "Team <BK>"),),
        choices=(Choice("confirm:yes", "Ja"), Choice("confirm:no", "Nein")),
    )
    content = message_content(notice)
    assert content["msgtype"] == "m.notice"
    assert content["format"] == "org.matrix.custom.html"
    assert "<script>" not in content["formatted_body"]
    assert (
        "&lt;script&gt;alert(1)&lt;/script&gt; **x** &amp; &lt;b&gt;" in content["formatted_body"]
    )
    assert "<br/>" in content["formatted_body"]
    assert "<td>Team &lt;BK&gt;</td>" in content["formatted_body"]
    assert content["body"] == (
        f"Ticket Nr. 3\nBeschreibung:\n{evil}\nTeam: Team <BK>\n1. Ja\n2. Nein"
    )
    assert "<ol><li>Ja 1️⃣</li><li>Nein 2️⃣</li></ol>" in content["formatted_body"]


def test_mentions_become_pills() -> None:
    notice = Notice(text="Übernommen von Martin Schneider.", mentions=("hh.schneider",))
    content = message_content(notice, [Mention("Martin Schneider", "@m.schneider:localhost")])
    assert (
        '<a href="https://matrix.to/#/@m.schneider:localhost">Martin Schneider</a>'
        in content["formatted_body"]
    )
    assert content["m.mentions"] == {"user_ids": ["@m.schneider:localhost"]}


CHART = Image(b"\x89PNG fake", "image/png", "wochenbericht.png", 800, 450, "KW 49: 2")


@pytest.mark.parametrize(
    "source",
    [{"url": "mxc://localhost/abc"}, {"file": {"url": "mxc://localhost/abc", "key": {}}}],
    ids=["plain", "encrypted"],
)
def test_a_picture_becomes_m_image_with_its_caption(source: dict[str, object]) -> None:
    notice = Notice(title="Wochenbericht", text=literal("KW 49: <b>2</b>"), image=CHART)
    content = image_content(notice, CHART, source)
    assert content["msgtype"] == "m.image" and content["filename"] == "wochenbericht.png"
    assert content["body"] == "Wochenbericht\nKW 49: <b>2</b>"
    assert "&lt;b&gt;2&lt;/b&gt;" in content["formatted_body"]
    assert content["info"] == {"mimetype": "image/png", "size": 9, "w": 800, "h": 450}
    assert {key: content[key] for key in source} == source
    assert ("url" in content) != ("file" in content)  # never both: no plain copy beside a key


def test_a_picture_survives_the_outbox() -> None:
    notice = Notice(text="t", image=CHART)
    assert Notice.from_json(notice.to_json()) == notice
    assert "image" not in Notice(text="t").to_json()


def test_edit_wraps_new_content() -> None:
    new = message_content(Notice(text="neu"))
    edit = edit_content("$orig", new)
    assert edit["m.relates_to"] == {"rel_type": "m.replace", "event_id": "$orig"}
    assert edit["m.new_content"]["body"] == "neu" and edit["body"] == "* neu"


def test_an_edit_keeps_its_mentions_in_the_new_content_and_pings_nobody() -> None:
    notice = Notice(text="Übernommen von Martin Schneider.", mentions=("hh.schneider",))
    new = message_content(notice, [Mention("Martin Schneider", "@hh.schneider:stadt.example")])
    assert new["m.mentions"] == {"user_ids": ["@hh.schneider:stadt.example"]}
    edit = edit_content("$card", new)
    assert edit["m.new_content"]["m.mentions"] == new["m.mentions"]
    assert "matrix.to/#/@hh.schneider:stadt.example" in edit["m.new_content"]["formatted_body"]
    assert edit["m.mentions"] == {}  # the edit itself notifies no one again


def test_user_text_naming_a_room_or_a_person_mentions_nobody() -> None:
    typed = literal("@room bitte @hh.weber:stadt.example und Martin Schneider informieren")
    card = message_content(Notice(title="Ticket Nr. 3", text=typed, facts=(Fact("a", typed),)))
    assert "@room" in card["body"] and card["m.mentions"] == {}
    claimed = message_content(
        Notice(text=f"Übernommen von Martin Schneider.\n\n{typed}", mentions=("hh.schneider",)),
        [Mention("Martin Schneider", "@hh.schneider:stadt.example")],
    )
    assert claimed["m.mentions"] == {"user_ids": ["@hh.schneider:stadt.example"]}  # only him
    edit = edit_content("$card", card)
    assert edit["m.mentions"] == {} and edit["m.new_content"]["m.mentions"] == {}
    picture = image_content(Notice(text=typed, image=CHART), CHART, {"url": "mxc://x/y"})
    assert picture["m.mentions"] == {}


def test_reaction_keys_and_back() -> None:
    choices = [Choice("claim:7", "Übernehmen"), Choice("a", "A"), Choice("b", "B")]
    assert reaction_keys(choices) == [CLAIM_REACTION, KEYCAPS[1], KEYCAPS[2]]
    ids = [c.id for c in choices]
    assert choice_for_reaction(ids, "✋") == "claim:7"
    assert choice_for_reaction(ids, "2️⃣") == "a"
    assert choice_for_reaction(ids, "2\u20e3") == "a"  # without the variation selector
    assert choice_for_reaction(ids, "👍") is None


def test_text_from_a_user_becomes_inbound() -> None:
    payload = parse_event(_text_event("Hotline: /claim 3"), CTX)
    assert payload is not None and payload["kind"] == "message"
    inbound = payload["inbound"]
    assert (inbound["text"], inbound["user_id"], inbound["conversation_id"]) == (
        "/claim 3",
        "@anna:localhost",
        "!dm:localhost",
    )
    assert inbound["event_id"] == "$1" and inbound["is_direct"] is True


@pytest.mark.parametrize("field", ["sender", "event_id", "room"])
def test_ids_longer_than_the_policy_are_ignored_before_storing(field: str) -> None:
    """Matrix caps ids at 255 bytes: a longer one is no homeserver's (bot.kernel.limits)."""
    at_limit = {"sender": "@" + "a" * 254, "event_id": "$" + "e" * 254, "room": "!" + "r" * 254}
    assert not too_long(
        _text_event("x", at_limit["sender"], at_limit["event_id"]), at_limit["room"]
    )
    longer = {**at_limit, field: at_limit[field] + "x"}
    assert too_long(_text_event("x", longer["sender"], longer["event_id"]), longer["room"])


def test_an_event_without_ids_is_not_too_long() -> None:
    assert not too_long(UnknownBadEvent({"type": "m.room.message"}), "!r:localhost")  # type: ignore[arg-type]


def test_own_events_and_notices_are_ignored() -> None:
    assert parse_event(_text_event("hi", sender=BOT), CTX) is None
    notice = RoomMessageNotice.from_dict(
        {
            "type": "m.room.message",
            "event_id": "$n",
            "sender": "@otherbot:localhost",
            "origin_server_ts": 1,
            "content": {"msgtype": "m.notice", "body": "beep"},
        }
    )
    assert parse_event(notice, CTX) is None


def test_reaction_payload() -> None:
    event = ReactionEvent.from_dict(
        {
            "type": "m.reaction",
            "event_id": "$r",
            "sender": "@anna:localhost",
            "origin_server_ts": 1,
            "content": {
                "m.relates_to": {"rel_type": "m.annotation", "event_id": "$m", "key": "✋"}
            },
        }
    )
    payload = parse_event(event, CTX)
    assert payload is not None
    assert (payload["kind"], payload["reacts_to"], payload["key"]) == ("reaction", "$m", "✋")


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("> <@a:x> alte Frage\n\nneue Antwort", "neue Antwort"),
        ("keine Antwort", "keine Antwort"),
    ],
)
def test_reply_fallback_is_stripped(body: str, expected: str) -> None:
    assert strip_reply_fallback(body) == expected


def test_mention_prefix_is_stripped() -> None:
    assert strip_bot_mention("hotline, /queue", ("Hotline",)) == "/queue"
    assert strip_bot_mention("Hotlines sind toll", ("Hotline",)) == "Hotlines sind toll"
