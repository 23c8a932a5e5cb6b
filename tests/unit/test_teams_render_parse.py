"""Teams rendering (Adaptive Cards) and parsing (activities), without any server."""

from __future__ import annotations

from typing import Any

from adapters.teams.parse import channel_of, parse_activity, reference_of, strip_mentions
from adapters.teams.render import activity, card, escape_markdown, to_markdown
from bot.markup import literal
from bot.notices import Choice, Fact, Image, Notice


def _message(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "type": "message",
        "id": "act-1",
        "text": "Hallo",
        "locale": "de-DE",
        "serviceUrl": "http://127.0.0.1:9999",
        "from": {"id": "29:user", "name": "Anna", "aadObjectId": "aad-anna"},
        "recipient": {"id": "28:bot", "name": "Hotline"},
        "conversation": {"id": "a:personal", "conversationType": "personal", "tenantId": "t1"},
    }
    base.update(overrides)
    return base


def test_card_has_title_text_facts_and_submit_buttons() -> None:
    notice = Notice(
        title="Ticket Nr. 4",
        text="Erster Absatz\n\nZweiter " + literal("[Klick](http://evil) *x* <b>"),
        facts=(Fact("Team", "Team BK"),),
        choices=(Choice("claim:4", "Übernehmen"),),
    )
    content = card(notice)
    assert content["version"] == "1.5" and content["type"] == "AdaptiveCard"
    texts = [block["text"] for block in content["body"] if block["type"] == "TextBlock"]
    assert texts[0] == "Ticket Nr\\. 4"
    assert texts[2] == "Zweiter \\[Klick\\]\\(http://evil\\) \\*x\\* \\<b\\>"
    assert content["body"][-1] == {
        "type": "FactSet",
        "facts": [{"title": "Team", "value": "Team BK"}],
    }
    assert content["actions"] == [
        {"type": "Action.Submit", "title": "Übernehmen", "data": {"action": "claim:4"}}
    ]


def test_bold_survives_and_everything_else_is_escaped() -> None:
    assert to_markdown("**Frist** 15:30 " + literal("**a**")) == "**Frist** 15:30 \\*\\*a\\*\\*"
    assert escape_markdown("1. Punkt") == "1\\. Punkt"


def test_activity_has_a_plain_fallback() -> None:
    message = activity(Notice(text="Nur **Text**"))
    assert message["text"] == "Nur Text" and message["summary"] == "Nur Text"
    assert message["attachments"][0]["contentType"] == "application/vnd.microsoft.card.adaptive"


def test_a_picture_is_attached_inline_under_its_plain_caption() -> None:
    chart = Image(b"\x89PNG", "image/png", "wochenbericht.png", 800, 450, "KW 49: *2*")
    sent = activity(Notice(title="Wochenbericht", text=literal("KW 49: *2*"), image=chart))
    assert sent["text"] == "Wochenbericht\nKW 49: *2*" and sent["textFormat"] == "plain"
    assert sent["attachments"] == [
        {
            "contentType": "image/png",
            "contentUrl": "data:image/png;base64,iVBORw==",
            "name": "wochenbericht.png",
        }
    ]


def test_personal_message_becomes_direct_inbound() -> None:
    inbound = parse_activity(_message())
    assert inbound is not None
    assert (inbound.user_id, inbound.is_direct, inbound.event_id, inbound.locale) == (
        "aad-anna",
        True,
        "act-1",
        "de-DE",
    )


def test_card_button_press_carries_the_choice_id() -> None:
    inbound = parse_activity(_message(text=None, value={"action": "confirm:yes"}))
    assert inbound is not None and inbound.action_id == "confirm:yes" and inbound.text == ""


def test_channel_mention_is_stripped_and_menu_words_become_commands() -> None:
    channel = _message(
        text="<at>Hotline</at> claim 12",
        conversation={"id": "19:abc@thread.tacv2;messageid=1", "conversationType": "channel"},
        channelData={"channel": {"id": "19:abc@thread.tacv2"}},
    )
    inbound = parse_activity(channel)
    assert inbound is not None
    assert (inbound.text, inbound.is_direct, inbound.channel_id) == (
        "/claim 12",
        False,
        "19:abc@thread.tacv2",
    )
    assert channel_of(channel) == "19:abc@thread.tacv2"


def test_personal_menu_command_and_free_text() -> None:
    assert parse_activity(_message(text="hilfe")).text == "/hilfe"  # type: ignore[union-attr]
    text = "Status der Bestellung unklar"
    assert parse_activity(_message(text=text)).text == text  # type: ignore[union-attr]


def test_other_activities_are_not_messages() -> None:
    assert parse_activity(_message(type="conversationUpdate")) is None
    assert parse_activity(_message(text="<at>Hotline</at>")) is None


def test_reference_has_what_proactive_messages_need() -> None:
    reference = reference_of(_message())
    assert reference == {
        "service_url": "http://127.0.0.1:9999",
        "conversation_id": "a:personal",
        "conversation_type": "personal",
        "tenant_id": "t1",
        "bot_id": "28:bot",
        "bot_name": "Hotline",
        "user_id": "29:user",
    }


def test_strip_mentions_keeps_plain_text() -> None:
    assert strip_mentions("<at>Hotline</at>&nbsp;queue") == "queue"
