"""The pure parts of the complaint relay: pseudonyms as typed, the parser's reading of
"/rueckfrage B-N", whom a relay reaches, and how the team reads the complaint."""

from __future__ import annotations

from dataclasses import replace

import pytest

from bot.config.model import OrgConfig
from bot.service.complaint_relay import HIGH, LOW, label, random_number, recipients
from dialogs.commands import Command, CommandError, command_from_action, parse_command
from dialogs.pseudonyms import read_pseudonym, starts_with_pseudonym
from storage.models import TicketRow


@pytest.mark.parametrize(
    ("typed", "read"),
    [("B-7", "B-7"), ("b-4711", "B-4711"), (" B-0042 ", "B-42"), ("B-123456", "B-123456")],
)
def test_pseudonyms_as_typed(typed: str, read: str) -> None:
    assert read_pseudonym(typed) == read


@pytest.mark.parametrize("typed", ["7", "B7", "B-", "B-1234567", "C-7", "B-7x", "#B-7", ""])
def test_no_pseudonym(typed: str) -> None:
    assert read_pseudonym(typed) is None


def test_only_the_first_word_counts() -> None:
    assert starts_with_pseudonym("B-7 Wann war das?")
    assert not starts_with_pseudonym("Wann war B-7?")
    assert not starts_with_pseudonym("")


def test_rueckfrage_with_a_pseudonym_is_a_relay_question() -> None:
    command = parse_command("/rueckfrage B-7 Wann genau?")
    assert isinstance(command, Command)
    assert (command.name, command.text, command.ticket_id) == ("relay_ask", "B-7 Wann genau?", None)
    english = parse_command("!ask b-7 When?", "en")
    assert isinstance(english, Command) and english.name == "relay_ask"


def test_rueckfrage_with_a_number_stays_the_question_back() -> None:
    command = parse_command("/rueckfrage 7 Wann genau?")
    assert isinstance(command, Command)
    assert (command.name, command.ticket_id, command.text) == ("ask", 7, "Wann genau?")


def test_weiterleiten_reads_number_team_and_text() -> None:
    command = parse_command("/weiterleiten 12 Kreditoren Beleg dreimal abgelehnt")
    assert isinstance(command, Command)
    assert (command.name, command.ticket_id, command.team, command.text) == (
        "relay",
        12,
        "kreditoren",
        "Beleg dreimal abgelehnt",
    )
    bare = parse_command("/relay 12 kreditoren")
    assert isinstance(bare, Command) and bare.text == ""  # the description is forwarded
    asks = parse_command("/weiterleiten 12")  # the bot offers the teams
    assert isinstance(asks, Command) and (asks.name, asks.ticket_id, asks.team) == (
        "relay",
        12,
        None,
    )
    assert isinstance(parse_command("/weiterleiten"), CommandError)


def test_the_pickers_buttons_carry_the_whole_command() -> None:
    pressed = command_from_action("relay:12:kreditoren")
    assert pressed is not None and (pressed.name, pressed.ticket_id, pressed.team) == (
        "relay",
        12,
        "kreditoren",
    )
    assert pressed.from_button and pressed.text == ""


def test_the_team_reads_a_name_only_where_the_complainant_gave_it() -> None:
    ticket = TicketRow(
        anonymous=True, channel="chat", requester_name="Frau Sommer", requester_id="u1"
    )
    assert label(ticket, "B-4711", "de") == "Beschwerde B-4711"
    ticket.anonymous = False
    assert label(ticket, "B-4711", "de") == "Beschwerde B-4711 · Frau Sommer"
    assert label(ticket, "B-4711", "en") == "Complaint B-4711 · Frau Sommer"


@pytest.mark.parametrize(
    ("channel", "name"), [("phone", "Herr Anrufer"), ("chat", None), ("chat", "")]
)
def test_no_name_from_a_phone_note_and_never_the_address(channel: str, name: str | None) -> None:
    ticket = TicketRow(
        anonymous=False, channel=channel, requester_name=name, requester_id="+49 30 1234567"
    )
    assert label(ticket, "B-4711", "de") == "Beschwerde B-4711"


def test_the_relay_reaches_the_leads_or_every_member_of_a_team_without(
    config: OrgConfig,
) -> None:
    team = config.team("kreditoren")
    assert [p.id for p in recipients(team)] == ["kred.wagner"]
    leaderless = replace(team, leads=())
    assert {p.id for p in recipients(leaderless)} == {"kred.wagner", "kred.novak"}


def test_pseudonym_numbers_stay_in_range() -> None:
    numbers = {random_number() for _ in range(200)}
    assert all(LOW <= n <= HIGH for n in numbers) and len(numbers) > 150
