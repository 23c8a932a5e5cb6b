"""Slash commands: strict, pure parsing with a helpful error for every mistake.

Both "/" and "!" work as prefix (Matrix clients swallow some "/" commands), and every
command has a German and an English name.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from bot.i18n import t
from bot.kernel.actions import ButtonAction
from bot.kernel.markup import literal
from dialogs.command_specs import BARE, SPECS, Args, Audience, Spec
from dialogs.pseudonyms import starts_with_pseudonym

_BY_ALIAS = {alias: spec for spec in SPECS for alias in spec.aliases}
_RELAY_ASK = next(spec for spec in SPECS if spec.name == "relay_ask")
PREFIXES = ("/", "!")
MAX_ID_DIGITS = 18  # ticket ids are 64-bit integers; longer numbers cannot exist


@dataclass(frozen=True)
class Command:
    """A parsed command."""

    name: str
    prefix: str = "/"
    ticket_id: int | None = None
    team: str | None = None
    text: str = ""
    other_id: int | None = None  # the second number of "/zusammenfuehren 1 2"
    audience: Audience = Audience.EVERYONE
    from_button: bool = False  # pressed on a card (answers it once), not typed on purpose


@dataclass(frozen=True)
class CommandError:
    """A command that could not be parsed: a catalogue key and its arguments."""

    key: str
    args: dict[str, str]


def is_command(text: str) -> bool:
    """Whether the text starts with a command prefix followed by a word (or an alias: "/?")."""
    stripped = text.lstrip()
    if len(stripped) < 2 or stripped[0] not in PREFIXES or stripped[1].isspace():
        return False
    head = stripped[1:].split(maxsplit=1)[0]
    return head[0].isalpha() or head.casefold() in _BY_ALIAS


def parse_command(text: str, locale: str = "de") -> Command | CommandError:
    """Parse "/claim 12" and friends; call only when `is_command(text)`.

    A usage hint in an error is in `locale` and names the command as the user typed it.
    """
    stripped = text.strip()
    prefix = stripped[0]
    head, rest = _split_word(stripped[1:])
    spec = _BY_ALIAS.get(head.casefold())
    if spec is None:
        return CommandError("cmd.unknown", {"name": literal(prefix + head), "p": prefix})
    if spec.name == "ask" and starts_with_pseudonym(rest):  # a question on a relayed complaint
        spec = _RELAY_ASK
    return _parse_args(spec, prefix, usage(spec, prefix + head.casefold(), locale), rest.strip())


def usage(spec: Spec, typed: str, locale: str) -> str:
    """The usage line of a command in `locale`, e.g. "/claim Nr." or "!uebernehmen no."."""
    return t(spec.usage, locale, cmd=typed)


def help_line(spec: Spec, prefix: str, locale: str) -> str:
    """The command's line in /hilfe: "/status [Nr.] – Stand Ihrer Anliegen"."""
    typed = prefix + spec.shown_as(locale)
    shown = typed if spec.usage == BARE or not spec.help_usage else usage(spec, typed, locale)
    return f"{shown} – {t(spec.summary, locale, p=prefix)}"


def command_from_action(action_id: str) -> Command | None:
    """Buttons such as "claim:12", "reopen:12", "rate:12:4" or "handoff:12:kred" carry a
    command; other ids belong to dialogs. "handoff:12" and "resolve:12" come without the team
    or the answer: the handlers ask for it."""
    pressed = ButtonAction.decode(action_id)
    if pressed is None or pressed.prompt is not None or len(pressed.args) > 2:
        return None  # a prompt's button is that prompt's (the router's first route)
    name, number, extra = pressed.verb, pressed.arg(0) or "", pressed.arg(1) or ""
    spec = next((s for s in SPECS if s.name == name), None)
    if spec is None or not _is_id(number):
        return None
    base = Command(spec.name, ticket_id=int(number), audience=spec.audience, from_button=True)
    if not extra and spec.args in (Args.ID, Args.OPTIONAL_ID, Args.ID_OPTIONAL_TEXT):
        return base
    if spec.name in ("handoff", "relay"):  # "handoff:12" asks for the team, "…:12:kred" goes
        return base if not extra else replace(base, team=extra.casefold())
    if spec.name == "resolve" and not extra:  # "resolve:12" asks for the answer
        return base
    if spec.name == "faq_review" and extra:  # "faq_review:7:accept": 7 is no ticket
        return replace(base, ticket_id=None, text=f"{number} {extra}")
    if spec.name == "rate" and len(extra) == 1 and extra in "12345":
        return replace(base, text=extra)
    return None


def _parse_args(spec: Spec, prefix: str, usage: str, rest: str) -> Command | CommandError:
    base = Command(spec.name, prefix=prefix, audience=spec.audience)
    if spec.args is Args.NONE:
        return CommandError("cmd.usage", {"usage": usage}) if rest else base
    if spec.args is Args.OPTIONAL_TEXT:
        return _with(base, text=rest)
    if spec.args is Args.WORD:
        word, extra = _split_word(rest)
        if not word or extra:
            return CommandError("cmd.usage", {"usage": usage})
        return _with(base, text=word.casefold())
    words = rest.split(maxsplit=1)
    if not words:
        if spec.args is Args.OPTIONAL_ID:
            return base
        return CommandError("cmd.usage", {"usage": usage})
    number = words[0].lstrip("#")
    if not _is_id(number):
        return CommandError("cmd.bad_number", {"value": literal(words[0]), "p": prefix})
    ticket_id = int(number)
    remainder = words[1].strip() if len(words) > 1 else ""
    if spec.args in (Args.ID, Args.OPTIONAL_ID):
        if remainder:
            return CommandError("cmd.usage", {"usage": usage})
        return _with(base, ticket_id=ticket_id)
    if spec.args is Args.ID_OPTIONAL_TEXT:
        return _with(base, ticket_id=ticket_id, text=remainder)
    if spec.args is Args.ID_TEXT:
        if not remainder:
            return CommandError("cmd.missing_text", {"usage": usage})
        return _with(base, ticket_id=ticket_id, text=remainder)
    if spec.args is Args.ID_PERSON_TEXT:  # the person is read later, against the config
        if not remainder:
            return CommandError("cmd.missing_person", {"usage": usage})
        return _with(base, ticket_id=ticket_id, text=remainder)
    if spec.args is Args.ID_ID:
        second = remainder.lstrip("#")
        if not _is_id(second):
            return CommandError("cmd.usage", {"usage": usage})
        return _with(base, ticket_id=ticket_id, other_id=int(second))
    team, reason = _split_word(remainder)
    if not team and spec.name == "relay":  # "/weiterleiten 12": the bot offers the teams
        return _with(base, ticket_id=ticket_id)
    if not team:
        return CommandError("cmd.usage", {"usage": usage})
    return _with(base, ticket_id=ticket_id, team=team.casefold(), text=reason.strip())


def _is_id(value: str) -> bool:
    """A plausible ticket number: decimal digits that int() accepts and a 64-bit id can hold."""
    return value.isdecimal() and len(value) <= MAX_ID_DIGITS


def _split_word(text: str) -> tuple[str, str]:
    """The first word and the stripped rest, split at any whitespace (a newline too)."""
    parts = text.split(maxsplit=1)
    if not parts:
        return "", ""
    return parts[0], parts[1].strip() if len(parts) > 1 else ""


def _with(base: Command, **changes: object) -> Command:
    return replace(base, **changes)  # type: ignore[arg-type]


def as_command_word(text: str, *, addressed: bool) -> str:
    """Teams' command menu sends "hilfe" or "claim 12" without a prefix: make it "/hilfe".

    In a channel (`addressed`: the message @mentioned the bot) a leading command word is
    enough; in a personal chat only a bare command (optionally with a number), so that a
    description such as "Status der Bestellung unklar" stays text.
    """
    stripped = text.strip()
    if not stripped or stripped[0] in PREFIXES:
        return text
    head, rest = _split_word(stripped)
    if head.casefold() not in _BY_ALIAS:
        return text
    if addressed or not rest or _is_id(rest.lstrip("#")):
        return "/" + stripped
    return text
