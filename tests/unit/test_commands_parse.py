"""Slash commands: every alias with both prefixes, and a precise error for every mistake."""

from __future__ import annotations

import string
from dataclasses import replace

import pytest

from bot.i18n import _catalogue, t
from dialogs.commands import (
    SPECS,
    Audience,
    Command,
    CommandError,
    command_from_action,
    help_line,
    is_command,
    parse_command,
)

# alias -> canonical name, written out by hand (German and English names).
ALIASES = {
    "hilfe": "help",
    "help": "help",
    "h": "help",
    "?": "help",
    "neu": "new",
    "new": "new",
    "start": "new",
    "status": "status",
    "meine": "mine",
    "mine": "mine",
    "my": "mine",
    "abbrechen": "cancel",
    "cancel": "cancel",
    "stop": "cancel",
    "queue": "queue",
    "warteschlange": "queue",
    "claim": "claim",
    "uebernehmen": "claim",
    "übernehmen": "claim",
    "unclaim": "unclaim",
    "zurueckgeben": "unclaim",
    "zurückgeben": "unclaim",
    "handoff": "handoff",
    "abgabe": "handoff",
    "weitergeben": "handoff",
    "ask": "ask",
    "rueckfrage": "ask",
    "rückfrage": "ask",
    "note": "note",
    "notiz": "note",
    "resolve": "resolve",
    "erledigt": "resolve",
    "antwort": "reply",
    "reply": "reply",
    "reopen": "reopen",
    "wiedereroeffnen": "reopen",
    "oeffnen": "reopen",
    "sprache": "language",
    "language": "language",
    "lang": "language",
    "beschwerde": "complaint",
    "complaint": "complaint",
    "idee": "idea",
    "idea": "idea",
    "anregung": "idea",
    "suggestion": "idea",
    "thema": "proposal",
    "proposal": "proposal",
    "themen": "proposals",
    "proposals": "proposals",
    "workshops": "workshops",
    "schulungen": "workshops",
    "termine": "workshops",
    "anmelden": "enrol",
    "enrol": "enrol",
    "abmelden": "unenrol",
    "unenrol": "unenrol",
    "teilnehmer": "participants",
    "participants": "participants",
    "rueckmeldungen": "workshop_feedback",
    "workshopfeedback": "workshop_feedback",
    "fragebogen": "questionnaire",
    "questionnaire": "questionnaire",
    "newsletter": "newsletter",
    "rundbrief": "newsletter",
    "bericht": "report",
    "report": "report",
    "auswertung": "report",
    "zusammenfuehren": "merge",
    "zusammenführen": "merge",
    "merge": "merge",
    "vormerken": "schedule",
    "schedule": "schedule",
    "eskalationen": "escalations",
    "escalations": "escalations",
    "ueberfaellig": "overdue",
    "überfällig": "overdue",
    "overdue": "overdue",
    "ack": "ack",
    "kenntnis": "ack",
    "quittieren": "ack",
    "zuweisen": "assign",
    "assign": "assign",
    "bewertung": "rate",
    "bewerten": "rate",
    "rate": "rate",
}
AUDIENCE = {
    "proposals": Audience.LEADS,
    "report": Audience.LEADS,
    "merge": Audience.LEADS,
    "schedule": Audience.LEADS,
    "escalations": Audience.OVERSIGHT,
    "overdue": Audience.OVERSIGHT,
    "ack": Audience.OVERSIGHT,
}
STAFF_ONLY = {
    "assign",
    "queue",
    "claim",
    "unclaim",
    "handoff",
    "ask",
    "note",
    "resolve",
    "participants",
    "workshop_feedback",
}

# canonical name -> (arguments to append, expected ticket id, team, text)
VALID_ARGS: dict[str, tuple[str, int | None, str | None, str]] = {
    "help": ("", None, None, ""),
    "new": ("", None, None, ""),
    "status": ("12", 12, None, ""),
    "mine": ("", None, None, ""),
    "cancel": ("", None, None, ""),
    "queue": ("", None, None, ""),
    "claim": ("12", 12, None, ""),
    "unclaim": ("12", 12, None, ""),
    "handoff": ("12 CCC SRM-Bestellung hängt", 12, "ccc", "SRM-Bestellung hängt"),
    "ask": ("12 Welche Kostenstelle?", 12, None, "Welche Kostenstelle?"),
    "note": ("12 Rückruf vereinbart", 12, None, "Rückruf vereinbart"),
    "resolve": ("12 Ist gebucht.", 12, None, "Ist gebucht."),
    "reply": ("12 Kostenstelle 4711", 12, None, "Kostenstelle 4711"),
    "reopen": ("12 Doch nicht gebucht", 12, None, "Doch nicht gebucht"),
    "language": ("EN", None, None, "en"),
    "complaint": ("Zu lange Wartezeit", None, None, "Zu lange Wartezeit"),
    "idea": ("", None, None, ""),
    "proposal": ("Neues Vergabeverfahren", None, None, "Neues Vergabeverfahren"),
    "proposals": ("", None, None, ""),
    "report": ("2026-11", None, None, "2026-11"),
    "workshops": ("", None, None, ""),
    "enrol": ("4", 4, None, ""),
    "unenrol": ("4", 4, None, ""),
    "participants": ("4", 4, None, ""),
    "workshop_feedback": ("4", 4, None, ""),
    "questionnaire": ("4", 4, None, ""),
    "newsletter": ("senden", None, None, "senden"),
    "merge": ("12 13", 12, None, ""),
    "schedule": ("12", 12, None, ""),
    "escalations": ("", None, None, ""),
    "overdue": ("", None, None, ""),
    "ack": ("12", 12, None, ""),
    "assign": ("12 Julia Weber: bitte morgen", 12, None, "Julia Weber: bitte morgen"),
    "rate": ("12 4 Sehr schnell, danke", 12, None, "4 Sehr schnell, danke"),
}
NO_ARGS = ["help", "new", "mine", "cancel", "queue", "proposals"]
ID_ONLY = ["claim", "unclaim"]
ID_TEXT = ["ask", "note", "resolve", "reply"]
PREFIXES = ["/", "!"]


def parsed(text: str) -> Command:
    assert is_command(text), text
    result = parse_command(text)
    assert isinstance(result, Command), result
    return result


def error(text: str) -> CommandError:
    assert is_command(text), text
    result = parse_command(text)
    assert isinstance(result, CommandError), result
    return result


def placeholders(template: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(template) if name}


def test_the_alias_table_names_every_command() -> None:
    assert set(ALIASES.values()) == set(VALID_ARGS)


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize(("alias", "name"), sorted(ALIASES.items()))
def test_every_alias_with_both_prefixes(prefix: str, alias: str, name: str) -> None:
    args, ticket_id, team, text = VALID_ARGS[name]
    command = parsed(f"{prefix}{alias} {args}".rstrip())
    assert command == Command(
        name=name,
        prefix=prefix,
        ticket_id=ticket_id,
        team=team,
        text=text,
        audience=Audience.STAFF if name in STAFF_ONLY else AUDIENCE.get(name, Audience.EVERYONE),
        other_id=13 if name == "merge" else None,
    )


@pytest.mark.parametrize("text", ["/HILFE", "/Übernehmen 3", "!Claim 3", "  /neu  ", "/Status"])
def test_command_names_are_case_insensitive_and_trimmed(text: str) -> None:
    assert parsed(text).name in {"help", "claim", "new", "status"}


def test_status_number_is_optional() -> None:
    assert parsed("/status") == Command("status")
    assert parsed("!status #7") == Command("status", prefix="!", ticket_id=7)


@pytest.mark.parametrize("text", ["/claim #12", "/claim 12", "/claim  12 ", "/claim\t12"])
def test_hash_and_spacing_around_the_number(text: str) -> None:
    assert parsed(text).ticket_id == 12


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("head", ["foo", "hilfen", "claimx", "Klaim"])
def test_unknown_command(prefix: str, head: str) -> None:
    assert error(f"{prefix}{head} 12") == CommandError(
        "cmd.unknown", {"name": prefix + head, "p": prefix}
    )


@pytest.mark.parametrize(
    ("text", "usage"),
    [
        ("/claim", "/claim Nr."),
        ("!claim", "!claim Nr."),
        ("/unclaim", "/unclaim Nr. [Notiz]"),
        ("/ask", "/ask Nr. Frage"),
        ("/note", "/note Nr. Text"),
        ("!resolve", "!resolve Nr. Antwort"),
        ("/reopen", "/reopen Nr. [Grund]"),
        ("/handoff", "/handoff Nr. TEAM [Grund]"),
    ],
)
def test_missing_number(text: str, usage: str) -> None:
    assert error(text) == CommandError("cmd.usage", {"usage": usage})


@pytest.mark.parametrize("prefix", PREFIXES)
@pytest.mark.parametrize("name", ["status", *ID_ONLY, *ID_TEXT, "reopen", "handoff"])
@pytest.mark.parametrize("value", ["abc", "#", "#x", "12a", "-3", "1.5", "²", "9" * 19])
def test_not_a_number(prefix: str, name: str, value: str) -> None:
    assert error(f"{prefix}{name} {value} rest") == CommandError(
        "cmd.bad_number", {"value": value, "p": prefix}
    )


def test_long_but_possible_ticket_number() -> None:
    assert parsed("/claim " + "9" * 18).ticket_id == 999_999_999_999_999_999


@pytest.mark.parametrize("name", NO_ARGS)
def test_extra_arguments_where_none_are_allowed(name: str) -> None:
    result = error(f"/{name} 12")
    assert result.key == "cmd.usage"
    assert result.args["usage"].startswith("/")


@pytest.mark.parametrize("text", ["/claim 12 bitte", "!ack 12 13", "/status 12 x"])
def test_extra_arguments_after_the_number(text: str) -> None:
    assert error(text).key == "cmd.usage"


@pytest.mark.parametrize("name", ID_TEXT)
@pytest.mark.parametrize("prefix", PREFIXES)
def test_text_commands_need_a_text(prefix: str, name: str) -> None:
    result = error(f"{prefix}{name} 12   ")
    assert result.key == "cmd.missing_text"
    assert result.args["usage"].startswith(f"{prefix}{name} ")


def test_reopen_text_is_optional() -> None:
    assert parsed("/reopen 12") == Command("reopen", ticket_id=12)


def test_handoff_without_team() -> None:
    assert error("/handoff 12") == CommandError("cmd.usage", {"usage": "/handoff Nr. TEAM [Grund]"})


def test_handoff_team_is_lower_cased_and_the_reason_kept() -> None:
    command = parsed("!abgabe #5 KrEdItOrEn  Rechnung   von Lieferant X  ")
    assert command.team == "kreditoren"
    assert command.text == "Rechnung   von Lieferant X"
    assert command.ticket_id == 5
    assert command.prefix == "!"


def test_handoff_without_reason() -> None:
    command = parsed("/handoff 5 zib")
    assert (command.team, command.text) == ("zib", "")


def test_handoff_team_ends_at_a_line_break() -> None:
    command = parsed("/handoff 5 ccc\nBitte die Bestellung prüfen")
    assert (command.team, command.text) == ("ccc", "Bitte die Bestellung prüfen")


def test_multi_line_answer_is_kept() -> None:
    assert parsed("/resolve 3 Zeile eins\nZeile zwei").text == "Zeile eins\nZeile zwei"


@pytest.mark.parametrize(
    "text",
    ["/hilfe", "!neu", "  /status 3", "/?", "!?", "/übernehmen 1", "/x", "!foo bar"],
)
def test_is_command(text: str) -> None:
    assert is_command(text)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "/",
        "!",
        "/ ",
        "/ hilfe",
        "! neu",
        "/1",
        "/12 claim",
        "!!",
        "/#12",
        "hilfe",
        "Hallo /neu",
    ],
)
def test_is_not_a_command(text: str) -> None:
    assert not is_command(text)


@pytest.mark.parametrize(
    "text",
    [
        "/foo",
        "/claim",
        "/claim abc",
        "/ask 3",
        "/hilfe x",
        "/handoff 3",
        "!status 1 2",
    ],
)
def test_error_arguments_fill_their_message(text: str) -> None:
    result = error(text)
    for locale in ("de", "en"):
        template = _catalogue()[result.key][locale]
        assert placeholders(template) == set(result.args)
        assert "{" not in t(result.key, locale, **result.args)


@pytest.mark.parametrize(
    ("action_id", "expected"),
    [
        ("claim:12", Command("claim", ticket_id=12, audience=Audience.STAFF)),
        ("unclaim:3", Command("unclaim", ticket_id=3, audience=Audience.STAFF)),
        ("status:7", Command("status", ticket_id=7)),
        ("reopen:7", Command("reopen", ticket_id=7)),
        ("rate:7:4", Command("rate", ticket_id=7, text="4")),
        ("ack:9", Command("ack", ticket_id=9, audience=Audience.OVERSIGHT)),
    ],
)
def test_command_from_action(action_id: str, expected: Command) -> None:
    assert command_from_action(action_id) == replace(expected, from_button=True)


@pytest.mark.parametrize(
    "action_id",
    [
        "claim:",
        "claim",
        "claim:abc",
        "claim:-1",
        "claim:1.5",
        "claim:²",
        "claim:" + "1" * 19,
        "Claim:12",
        "ask:12",
        "resolve:12:x",
        "handoff:x:kred",
        "rate:12",
        "rate:12:6",
        "rate:12:45",
        "rate:12:x",
        "claim:12:1",
        "help:1",
        "topic:haushalt",
        "group:kern",
        "confirm:yes",
        "back",
        "",
    ],
)
def test_unknown_or_invalid_action_ids(action_id: str) -> None:
    assert command_from_action(action_id) is None


def test_card_buttons_hand_off_and_resolve() -> None:
    """The card's "Weitergeben" asks for a team, its picker names one; "Erledigt" asks."""
    picker = command_from_action("handoff:12")
    assert picker is not None and (picker.name, picker.ticket_id, picker.team) == (
        "handoff",
        12,
        None,
    )
    chosen = command_from_action("handoff:12:KRED")
    assert chosen is not None and (chosen.ticket_id, chosen.team, chosen.text) == (12, "kred", "")
    resolve = command_from_action("resolve:12")
    assert resolve is not None and (resolve.name, resolve.ticket_id, resolve.text) == (
        "resolve",
        12,
        "",
    )


@pytest.mark.parametrize("text", ["/zusammenfuehren 1", "/zusammenfuehren 1 x", "/merge 1 2 3"])
def test_merge_needs_exactly_two_numbers(text: str) -> None:
    assert error(text).key in ("cmd.usage", "cmd.bad_number")


@pytest.mark.parametrize(
    ("text", "locale", "usage"),
    [
        ("/claim", "en", "/claim no."),
        ("!uebernehmen", "en", "!uebernehmen no."),
        ("/Übernehmen", "de", "/übernehmen Nr."),
        ("/handoff 12", "en", "/handoff no. TEAM [reason]"),
        ("/abgabe 12", "de", "/abgabe Nr. TEAM [Grund]"),
        ("/hilfe 12", "de", "/hilfe (ohne weitere Angaben)"),
        ("/help 12", "en", "/help (with nothing after it)"),
        ("/antwort", "de", "/antwort Nr. Ihre Antwort auf die Rückfrage"),
    ],
)
def test_usage_is_in_the_users_language_with_the_alias_typed(
    text: str, locale: str, usage: str
) -> None:
    assert parse_command(text, locale) == CommandError("cmd.usage", {"usage": usage})


def test_a_reply_button_is_no_command() -> None:
    assert command_from_action("reply:12") is None


def test_every_declared_command_has_its_help_line_in_both_languages() -> None:
    """/hilfe is generated from the declarations: a command without a line is a defect."""
    for spec in SPECS:
        for locale in ("de", "en"):
            line = help_line(spec, "/", locale)
            assert line.startswith("/" + spec.shown_as(locale)), line
            assert " – " in line and "{" not in line
    assert {spec.shown_as("en") for spec in SPECS} <= {a for s in SPECS for a in s.aliases}


@pytest.mark.parametrize(
    ("text", "usage"),
    [("/zuweisen", "/zuweisen Nr. PERSON [Notiz]"), ("!assign", "!assign Nr. PERSON [Notiz]")],
)
def test_assign_without_a_number_shows_the_usage(text: str, usage: str) -> None:
    assert error(text) == CommandError("cmd.usage", {"usage": usage})


@pytest.mark.parametrize("text", ["/zuweisen 12", "/zuweisen 12   ", "/assign #12\n"])
def test_assign_without_a_person_asks_for_one(text: str) -> None:
    result = error(text)
    assert result.key == "cmd.missing_person"
    assert result.args["usage"].endswith("Nr. PERSON [Notiz]")


def test_unclaim_takes_a_handover_note_and_keeps_its_lines() -> None:
    command = parsed("/zurueckgeben 3 Bin ab morgen im Urlaub.\nKunde ruft zurück")
    assert (command.name, command.ticket_id) == ("unclaim", 3)
    assert command.text == "Bin ab morgen im Urlaub.\nKunde ruft zurück"
    assert parsed("/unclaim 3").text == ""
