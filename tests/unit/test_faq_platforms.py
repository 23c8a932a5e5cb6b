"""The FAQ proposal on each platform, without a server: the resolved card's button in Teams
(an Action.Submit with the choice id, parsed back as the press), a 📖 reaction in Matrix
(the card's "Als FAQ vorschlagen", mapped back to it), and the review card's buttons
parsed as the /faqpruefen command they carry."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from adapters.matrix import render as matrix
from adapters.teams.parse import parse_activity
from adapters.teams.render import card
from bot.config.loader import load_config
from bot.kernel.clock import FrozenClock
from bot.service.faq import FaqService
from bot.service.feedback import ticket_card
from dialogs.commands import Command, command_from_action, parse_command
from storage.models import FaqEntryRow, TicketRow

NOW = datetime(2026, 12, 1, 10, 0, tzinfo=UTC)


def _resolved(number: int, *, confidential: bool = False) -> TicketRow:
    return TicketRow(
        id=number,
        status="resolved",
        topic_id="haushalt",
        customer_group_id="f1-f3",
        team_id="haushalt",
        level=2,
        confidential=confidential,
        anonymous=False,
        description="Budget reicht nicht",
        requester_platform="teams",
        requester_id="29:user",
        requester_name="Schule",
        channel="chat",
        created_at=NOW,
        updated_at=NOW,
        queued_at=NOW,
    )


def test_the_resolved_card_offers_the_proposal_on_every_platform() -> None:
    config = load_config(None)
    notice = ticket_card(config, _resolved(12), NOW)
    assert [c.id for c in notice.choices] == ["faq:12"]
    actions = card(notice)["actions"]
    assert actions == [
        {"type": "Action.Submit", "title": "Als FAQ vorschlagen", "data": {"action": "faq:12"}}
    ]
    pressed: dict[str, Any] = {
        "type": "message",
        "id": "act-9",
        "value": {"action": "faq:12"},
        "serviceUrl": "http://127.0.0.1:9999",
        "from": {"id": "29:agent", "name": "Julia", "aadObjectId": "aad-julia"},
        "recipient": {"id": "28:bot", "name": "Hotline"},
        "conversation": {"id": "19:c@thread.tacv2", "conversationType": "channel"},
    }
    inbound = parse_activity(pressed)
    assert inbound is not None and inbound.action_id == "faq:12"
    assert matrix.reaction_keys(notice.choices) == ["📖"]
    assert matrix.choice_for_reaction(["faq:12"], "📖") == "faq:12"
    assert matrix.is_choice_reaction("📖") and matrix.is_choice_reaction("📖\ufe0f")
    command = command_from_action("faq:12")
    assert command is not None and (command.name, command.ticket_id) == ("faq", 12)
    assert not ticket_card(config, _resolved(13, confidential=True), NOW, private=True).choices


def test_the_review_card_and_its_buttons() -> None:
    config = load_config(None)
    row = FaqEntryRow(
        id=7,
        version=1,
        status="proposed",
        topic_id="haushalt",
        groups=["f4"],
        question="Wie beantrage ich Mittel?",
        answer="Mit HH-7.",
        ticket_id=12,
        proposed_by="hh.weber",
        proposed_at=NOW,
    )
    review = FaqService(config, FrozenClock(NOW)).review_card(row)
    assert review.card == "faq-7" and review.title == "FAQ-Vorschlag Nr. 7"
    ids = [c.id for c in review.choices]
    assert ids == ["faq_review:7:accept", "faq_review:7:edit", "faq_review:7:reject"]
    assert [c.label for c in review.choices] == ["Annehmen", "Ändern", "Ablehnen"]
    assert matrix.reaction_keys(review.choices) == ["1️⃣", "2️⃣", "3️⃣"]
    pressed = command_from_action("faq_review:7:accept")
    assert pressed is not None and pressed.ticket_id is None  # a proposal, not a ticket
    assert (pressed.name, pressed.text, pressed.from_button) == ("faq_review", "7 accept", True)
    typed = parse_command("/faqpruefen 7 ablehnen")
    assert isinstance(typed, Command) and (typed.name, typed.text) == ("faq_review", "7 ablehnen")
    english = parse_command("/faqreview")
    assert isinstance(english, Command) and english.name == "faq_review"
    row.status, row.decided_by = "accepted", "bk.yilmaz"
    decided = FaqService(config, FrozenClock(NOW)).review_card(row)
    assert not decided.choices and "Angenommen von Deniz Yılmaz" in decided.text
