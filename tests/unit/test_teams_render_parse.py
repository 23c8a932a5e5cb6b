"""Teams rendering (Adaptive Cards) and parsing (activities), without any server."""

from __future__ import annotations

from typing import Any

from adapters.teams.markdown import escape_text, to_markdown
from adapters.teams.parse import (
    EVENT_ID_LIMIT,
    bot_mentions,
    channel_of,
    event_id,
    parse_activity,
    reference_of,
    strip_mentions,
)
from adapters.teams.render import activity, card
from bot.i18n import t
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Fact, Image, Notice


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
    assert texts[0] == "Ticket Nr. 4"
    assert texts[2] == "Zweiter \\[Klick](http://evil) \\*x\\* \\<b>"
    assert content["body"][-1] == {
        "type": "FactSet",
        "facts": [{"title": "Team", "value": "Team BK"}],
    }
    assert content["actions"] == [
        {"type": "Action.Submit", "title": "Übernehmen", "data": {"action": "claim:4"}}
    ]


def test_bold_survives_and_user_stars_are_escaped() -> None:
    assert to_markdown("**Frist** 15:30 " + literal("**a**")) == "**Frist** 15:30 \\*\\*a\\*\\*"
    assert escape_text("1. Punkt") == "1\\. Punkt"


def test_a_plain_notice_is_one_markdown_text_message_without_a_card() -> None:
    message = activity(Notice(title="Eskalation", text="Nur **Text**.\n\n" + literal("1. *x*")))
    assert message == {
        "type": "message",
        "text": "**Eskalation**\n\nNur **Text**.\n\n1\\. \\*x\\*",
        "textFormat": "markdown",
    }


def test_a_card_carries_its_fallback_only_as_summary() -> None:
    for notice in (
        Notice(text="Nr. 4", choices=(Choice("claim:4", "Übernehmen"),)),
        Notice(text="Nr. 4", facts=(Fact("Team", "BK"),)),
        Notice(text="Übernommen", card="ticket-4"),  # updated in place: stays a card
    ):
        message = activity(notice)
        assert "text" not in message, notice
        assert message["summary"].startswith(notice.text.split(" ")[0])
        (attachment,) = message["attachments"]
        assert attachment["contentType"] == "application/vnd.microsoft.card.adaptive"


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
        "a:personal|act-1",
        "de-DE",
    )


def test_card_button_press_carries_the_choice_id() -> None:
    inbound = parse_activity(_message(text=None, value={"action": "confirm:yes"}))
    assert inbound is not None and inbound.action_id == "confirm:yes" and inbound.text == ""


def _mention(user_id: str, name: str) -> dict[str, Any]:
    return {
        "type": "mention",
        "mentioned": {"id": user_id, "name": name},
        "text": f"<at>{name}</at>",
    }


def test_channel_mention_is_stripped_and_menu_words_become_commands() -> None:
    channel = _message(
        text="<at>Hotline</at> claim 12",
        conversation={"id": "19:abc@thread.tacv2;messageid=1", "conversationType": "channel"},
        channelData={"channel": {"id": "19:abc@thread.tacv2"}},
        entities=[_mention("28:bot", "Hotline"), {"type": "clientInfo", "locale": "de-DE"}],
    )
    inbound = parse_activity(channel)
    assert inbound is not None
    assert (inbound.text, inbound.is_direct, inbound.channel_id) == (
        "/claim 12",
        False,
        "19:abc@thread.tacv2",
    )
    assert channel_of(channel) == "19:abc@thread.tacv2"
    # An old client without mention entities: the recipient's name is the bot's mention.
    del channel["entities"]
    assert parse_activity(channel).text == "/claim 12"  # type: ignore[union-attr]


def test_only_the_bots_own_mention_is_removed_other_names_stay() -> None:
    text = "<at>Hotline</at> bitte an <at>Martin Schneider</at> &amp; Team &lt;BK&gt;&nbsp;geben"
    group = _message(
        text=text,
        conversation={"id": "19:chat@thread.v2", "conversationType": "groupChat"},
        entities=[_mention("28:bot", "Hotline"), _mention("29:martin", "Martin Schneider")],
    )
    assert bot_mentions(group) == ["<at>Hotline</at>"]
    inbound = parse_activity(group)
    assert inbound is not None and inbound.channel_id == "19:chat@thread.v2"
    assert inbound.text == "bitte an Martin Schneider & Team <BK> geben"
    # Another user mentioned first, and markup-like text the user typed, survive as text.
    assert strip_mentions("<at>Anna</at> a <b> c <at>Hotline</at>", ["<at>Hotline</at>"]) == (
        "Anna a <b> c"
    )


def test_a_colleague_mentioned_in_a_command_arrives_as_their_name() -> None:
    # /zuweisen reads the name against the config (bot/service/assignees.py).
    channel = _message(
        text="<at>Hotline</at> zuweisen 12 <at>Julia Weber</at> Rückruf morgen",
        conversation={"id": "19:abc@thread.tacv2;messageid=1", "conversationType": "channel"},
        entities=[_mention("28:bot", "Hotline"), _mention("29:julia", "Julia Weber")],
    )
    inbound = parse_activity(channel)
    assert inbound is not None and inbound.text == "/zuweisen 12 Julia Weber Rückruf morgen"


def test_a_mention_of_someone_else_with_the_bots_name_is_kept() -> None:
    message = _message(text="<at>Hotline</at> hilfe", entities=[_mention("29:other", "Hotline")])
    assert bot_mentions(message) == []
    assert parse_activity(message).text == "Hotline hilfe"  # type: ignore[union-attr]


def test_non_object_channel_data_parts_are_ignored_not_a_crash() -> None:
    for channel_data in ({"channel": "19:x", "tenant": "t"}, {"channel": ["x"], "tenant": 5}):
        channel = _message(
            conversation={"id": "19:abc@thread.tacv2;messageid=1", "conversationType": "channel"},
            channelData=channel_data,
        )
        assert channel_of(channel) == "19:abc@thread.tacv2"
        assert reference_of(channel)["tenant_id"] is None
        assert parse_activity(channel) is not None
    odd = _message(entities="mention", recipient="28:bot", locale=5, **{"from": {"id": "29:u"}})
    inbound = parse_activity(odd)
    assert inbound is not None and inbound.locale == "de" and inbound.user_id == "29:u"


def test_dedupe_key_is_conversation_and_activity_id() -> None:
    first = _message(id="1700000000123")
    elsewhere = _message(id="1700000000123", conversation={"id": "a:other"})
    assert event_id(first) == "a:personal|1700000000123"
    assert event_id(elsewhere) == "a:other|1700000000123"  # same millisecond, other chat


def test_an_activity_without_id_is_keyed_by_its_content() -> None:
    one, two = _message(id=None, text="ja"), _message(text="ja")
    del two["id"]
    assert event_id(one) == event_id(two)  # a redelivery of the same activity
    assert event_id(one).startswith("a:personal|#") and event_id(one) != "a:personal|"
    later = _message(id=None, text="ja", timestamp="2026-11-30T09:00:01Z")
    assert event_id(later) != event_id(one)  # another activity: handled, not a duplicate
    assert event_id(_message(id=None, text="nein")) != event_id(one)


def test_a_long_dedupe_key_is_hashed_to_fit_the_inbox() -> None:
    long = _message(conversation={"id": "a:" + "x" * 300, "conversationType": "personal"})
    key = event_id(long)
    assert len(key) <= EVENT_ID_LIMIT and key.startswith("#")
    assert key != event_id(_message(conversation={"id": "a:" + "x" * 301}))


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
    assert strip_mentions("<at>Hotline</at>&nbsp;queue", ["<at>Hotline</at>"]) == "queue"


def test_more_than_six_choices_become_one_numbered_choice_set() -> None:
    choices = tuple(Choice(f"topic:t{n}@57", f"Thema {n}") for n in range(1, 9))
    content = card(Notice(text="Welches Thema?", choices=choices))
    assert content["actions"] == [{"type": "Action.Submit", "title": "OK"}]
    numbered, choice_set = content["body"][-2:]
    assert numbered["text"].split("\n") == [f"{n}. Thema {n}" for n in range(1, 9)]
    assert choice_set["type"] == "Input.ChoiceSet" and choice_set["style"] == "compact"
    assert choice_set["id"] == "action" and choice_set["isRequired"] is True
    assert choice_set["choices"][7] == {"title": "8. Thema 8", "value": "topic:t8@57"}
    # Six or fewer stay buttons: in one row where their titles fit, else one per line.
    short = tuple(Choice(f"n:{n}", str(n)) for n in range(1, 7))
    assert len(card(Notice(text="?", choices=short))["actions"]) == 6
    stacked = card(Notice(text="?", choices=choices[:6]))
    assert "actions" not in stacked
    rows = [block for block in stacked["body"] if block["type"] == "ActionSet"]
    assert [row["actions"][0]["data"]["action"] for row in rows] == [c.id for c in choices[:6]]


def test_a_choice_set_submit_comes_back_as_the_picked_choice() -> None:
    picked = parse_activity(_message(text=None, value={"action": "topic:t8@57"}))
    assert picked is not None and picked.action_id == "topic:t8@57"
    assert parse_activity(_message(text=None, value={"action": ""})) is None  # nothing picked


def test_a_staff_card_of_catalogue_words_needs_no_escape_at_all() -> None:
    notice = Notice(
        text=t("card.queued", "de", agent="-"),
        facts=tuple(Fact(t("fact.level", "de"), t(f"level.{n}", "de")) for n in (1, 2, 3)),
    )
    assert "\\" not in str(card(notice))
