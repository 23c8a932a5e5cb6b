"""Button payloads: one typed value, encoded and decoded in one place (bot/kernel/actions.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from adapters.matrix.render import is_choice_reaction
from bot.conversation.card_actions import OWED_PREFIX, confirmation_choices
from bot.conversation.reply_pick import button_ticket, is_reply_button, reply_button
from bot.kernel.actions import ButtonAction, button, rating, stale, without_prompt
from bot.kernel.notices import ticket_card_key, ticket_of_card
from bot.newsletter import compose, subscriptions
from bot.newsletter.content import is_newsletter_button
from bot.newsletter.subscriptions import Toggle
from dialogs import intake_prompts as p

SLUG = st.text(alphabet="abcdefghijklmnopqrstuvwxyz0123456789-_", min_size=1, max_size=20)


@given(
    verb=SLUG,
    args=st.lists(SLUG, max_size=3),
    prompt=st.none() | st.integers(min_value=0, max_value=10**12),
)
def test_every_action_survives_the_round_trip(
    verb: str, args: list[str], prompt: int | None
) -> None:
    action = ButtonAction(verb, tuple(args), prompt)
    assert ButtonAction.decode(action.encode()) == action


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("claim:12", ButtonAction("claim", ("12",))),
        ("rate:12:4@57", ButtonAction("rate", ("12", "4"), 57)),
        ("back", ButtonAction("back")),
        ("nl:sub:f4", ButtonAction("nl", ("sub", "f4"))),
    ],
)
def test_the_payloads_in_use_decode(raw: str, expected: ButtonAction) -> None:
    assert ButtonAction.decode(raw) == expected


@pytest.mark.parametrize("raw", ["", ":12", "rate:1:2@", "rate:1:2@x", "a@" + "9" * 19, "x" * 201])
def test_what_no_button_of_ours_sends_is_refused(raw: str) -> None:
    assert ButtonAction.decode(raw) is None


def test_the_helpers_build_the_payloads() -> None:
    assert button("claim", 12) == "claim:12"
    assert button("handoff", 12, "kreditoren") == "handoff:12:kreditoren"
    assert rating(12, 4, 57) == "rate:12:4@57" and rating(12, 4, None) == "rate:12:4"
    assert stale() == "stale" and stale(3) == "stale:ticket:3"
    assert without_prompt("rate:12:4@57") == "rate:12:4"
    assert without_prompt("claim:1") == "claim:1"


def test_a_card_key_names_its_ticket() -> None:
    assert ticket_of_card(ticket_card_key(42, 1796650552738)) == 42
    for other in (None, "", "digest-2026-12-07", "ticket-x-1", "ticket-" + "9" * 19 + "-1"):
        assert ticket_of_card(other) is None


@pytest.mark.parametrize(
    ("key", "offered"),
    [
        *[(key, True) for key in ("1️⃣", "🔟", "✋", "✅", "↪️", "↪")],
        *[(key, False) for key in ("👍", "❤️", "ok")],
    ],
)
def test_only_the_bots_choice_reactions_count_as_answers(key: str, offered: bool) -> None:
    assert is_choice_reaction(key) is offered


def test_the_conversations_buttons_keep_the_payloads_already_sent() -> None:
    """Built and read through ButtonAction, the strings are those of buttons already sent, so
    a button pressed on an older message still works."""
    assert Toggle(True, "f4").encode() == "nl:sub:f4"
    assert Toggle(False, "f1-f3").encode() == "nl:unsub:f1-f3"
    assert (subscriptions.DONE, compose.NEXT, compose.CANCEL) == ("nl:done", "nl:next", "nl:cancel")
    assert (compose.SEND, compose.BACK) == ("nl:send", "back")
    assert reply_button(12) == "reply:12"
    assert [c.id for c in confirmation_choices("de")] == ["owed:send", "owed:edit", "owed:cancel"]
    assert confirmation_choices("en", 5, 3)[0].id == "owed:send:5:3"
    assert OWED_PREFIX == "owed:"
    assert (p.YES, p.NO, p.OTHER_GROUP, p.NOT_LISTED) == (
        "confirm:yes",
        "confirm:no",
        "group:change",
        "answer:none",
    )


@pytest.mark.parametrize(
    ("raw", "toggle"),
    [
        ("nl:sub:f4", Toggle(True, "f4")),
        ("nl:unsub:kern", Toggle(False, "kern")),
        ("nl:done", None),
        ("nl:sub", None),
        ("nl:sub:a:b", None),
        ("nl:subscribe:f4", None),
        ("nlg:f4", None),
        ("reply:12", None),
    ],
)
def test_a_subscription_toggle_is_read_from_its_payload(raw: str, toggle: Toggle | None) -> None:
    assert Toggle.decode(raw) == toggle
    assert subscriptions.is_toggle(raw) is (toggle is not None)


def test_the_newsletter_and_reply_buttons_are_told_apart() -> None:
    assert compose.group_of("nlg:kern") == "kern"
    assert compose.group_of("nl:sub:kern") is None and compose.group_of("nlg:a:b") is None
    for ours in ("nl:done", "nl:sub:f4", "nlg:f4", "nl:"):
        assert is_newsletter_button(ours), ours
    for other in ("nl", "nlx:f4", "reply:12", "back"):
        assert not is_newsletter_button(other), other
    assert button_ticket("reply:12") == 12
    for other in ("reply:12@5", "reply:x", "reply:12:3", "reply:", "rate:12", "reply:" + "9" * 19):
        assert button_ticket(other) is None, other
    assert is_reply_button("reply:12") and is_reply_button("reply:")
    assert not is_reply_button("reply") and not is_reply_button("rate:12:4")
