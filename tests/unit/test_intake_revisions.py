"""The intake follows an edit or deletion of the message that gave the description."""

from __future__ import annotations

from bot.config.model import OrgConfig
from dialogs.intake import UserInput, step
from dialogs.intake_revisions import revise_description
from dialogs.intake_states import AskAnonymous, AskDescription, AskReference, Confirm
from tests.unit.intake_support import (
    ASK_ANONYMOUS_DE,
    ASK_REFERENCE_DE,
    COMPLAINT,
    DESCRIBE_DE,
    DESCRIPTION,
    de,
)

EDITED = "Die Forderung 4712 wurde doppelt gebucht."


def test_the_description_remembers_the_message_it_came_from_until_the_ticket(
    config: OrgConfig,
) -> None:
    ctx = de(config)
    typed = step(AskDescription("kern", "debitoren"), UserInput(DESCRIPTION, event_id="$d"), ctx)
    assert typed.state == AskReference("kern", "debitoren", DESCRIPTION, "$d")
    reference = step(typed.state, UserInput("RE-1", event_id="$r"), ctx)
    assert reference.state == Confirm("kern", "debitoren", DESCRIPTION, "RE-1", False, "$d")
    back = step(reference.state, UserInput("zurück"), ctx)
    assert back.state == AskReference("kern", "debitoren", DESCRIPTION, "$d")
    assert reference.state is not None
    done = step(reference.state, UserInput("ja"), ctx)
    (effect,) = done.effects
    assert effect.request.source_event == "$d"  # type: ignore[union-attr]


def test_an_edit_replaces_the_description_and_asks_the_open_question_again(
    config: OrgConfig,
) -> None:
    ctx = de(config)
    waiting = AskReference("kern", "debitoren", DESCRIPTION, "$d")
    result = revise_description(waiting, "$d", EDITED, ctx)
    assert result is not None and result.state == AskReference("kern", "debitoren", EDITED, "$d")
    assert [n.text for n in result.notices] == [
        "Ich habe Ihre geänderte Beschreibung übernommen.",
        ASK_REFERENCE_DE,
    ]
    complaint = AskAnonymous(None, "beschwerde", COMPLAINT, "$c")
    result = revise_description(complaint, "$c", EDITED, ctx)
    assert result is not None and result.notices[1].text == ASK_ANONYMOUS_DE
    confirm = Confirm("kern", "debitoren", DESCRIPTION, None, description_event="$d")
    result = revise_description(confirm, "$d", EDITED, ctx)
    assert result is not None and EDITED in result.notices[1].text  # shown for the yes/no


def test_a_too_short_edit_keeps_the_description(config: OrgConfig) -> None:
    waiting = AskReference("kern", "debitoren", DESCRIPTION, "$d")
    result = revise_description(waiting, "$d", "Hilfe", de(config))
    assert result is not None and result.state == waiting
    assert "ich behalte die bisherige" in result.notices[0].text


def test_a_deletion_discards_the_description_and_asks_for_it_again(config: OrgConfig) -> None:
    waiting = Confirm("kern", "debitoren", DESCRIPTION, "RE-1", description_event="$d")
    result = revise_description(waiting, "$d", None, de(config))
    assert result is not None and result.state == AskDescription("kern", "debitoren")
    assert [n.text for n in result.notices] == [
        "Sie haben Ihre Beschreibung gelöscht; ich habe sie verworfen.",
        DESCRIBE_DE["request"],
    ]


def test_other_messages_and_states_without_a_description_are_not_the_dialogs(
    config: OrgConfig,
) -> None:
    ctx = de(config)
    waiting = AskReference("kern", "debitoren", DESCRIPTION, "$d")
    assert revise_description(waiting, "$other", EDITED, ctx) is None
    assert (
        revise_description(AskReference("kern", "debitoren", DESCRIPTION), "$d", EDITED, ctx)
        is None
    )
    assert revise_description(AskDescription("kern", "debitoren"), "$d", EDITED, ctx) is None
