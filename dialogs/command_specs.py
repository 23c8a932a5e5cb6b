"""The command registry: one declaration per command, from which the rest is derived.

Parsing and the usage hints (dialogs/commands.py), /hilfe, the audience checks, the Teams
manifest's command lists and the handler table of the conversation layer
(bot/conversation/command_table.py, checked complete when the bot starts) all read SPECS,
so a command is added, renamed or restricted here and nowhere else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum, StrEnum


class Args(Enum):
    """The argument shapes commands take."""

    NONE = "none"
    OPTIONAL_ID = "[N]"
    ID = "N"
    ID_TEXT = "N text"
    ID_OPTIONAL_TEXT = "N [text]"
    ID_TEAM_TEXT = "N TEAM [text]"
    # A colleague and a note: names have spaces, so the words stay together (as `text`)
    # until the conversation layer reads them against the config (bot/service/assignees.py).
    ID_PERSON_TEXT = "N PERSON [text]"
    ID_ID = "N M"
    OPTIONAL_TEXT = "[text]"
    WORD = "word"


class Audience(StrEnum):
    """Who may use a command."""

    EVERYONE = "everyone"
    STAFF = "staff"  # any team member, complaint manager or admin
    LEADS = "leads"  # team leads, department leads and admins
    OVERSIGHT = "oversight"  # the leads plus the complaint managers (escalations)


class Menu(StrEnum):
    """The command menus a chat platform offers beside the text box (Teams' commandLists):
    the personal chat's, and the one of team channels and group chats."""

    PERSONAL = "personal"
    TEAM = "team"


@dataclass(frozen=True)
class MenuPlace:
    """Where a command appears in a menu: the menu, and its place there counted from 1."""

    menu: Menu
    position: int


def personal(position: int) -> MenuPlace:
    """The command's place in the personal chat's menu."""
    return MenuPlace(Menu.PERSONAL, position)


def team(position: int) -> MenuPlace:
    """The command's place in the menu of team channels and group chats."""
    return MenuPlace(Menu.TEAM, position)


@dataclass(frozen=True)
class Spec:
    """One declaration per command: its canonical name, its aliases (the German one first),
    argument shape, audience, whether it runs in a direct chat only, and the catalogue key
    of its usage line ("{cmd} Nr." in German, "{cmd} no." in English), and the menus that
    offer it. Parsing, the permission checks, /hilfe (one line per command from
    `help.<name>`) and the Teams manifest's command lists (`menu.<menu>.<name>`) are
    derived from it."""

    name: str
    aliases: tuple[str, ...]
    args: Args
    audience: Audience
    usage: str
    english: str = ""  # the alias shown in English help, when it is not the name
    help_usage: bool = True  # False: /hilfe shows the bare command (its line explains more)
    # Answered with "cmd.direct_only" in a channel: it starts, ends or answers a dialog kept
    # in the person's direct chat, which a channel must not see (a complaint beginning).
    direct_only: bool = False
    # The platform menus that list it (at most 10 each, Teams' limit), with its place there.
    menus: tuple[MenuPlace, ...] = ()
    # True: whoever stands in for an absent person of the audience may use it as well
    # (the deputy of an absent lead acknowledges the escalations sent to them: /ack).
    deputies: bool = False

    @property
    def summary(self) -> str:
        """The catalogue key of the command's line in /hilfe."""
        return f"help.{self.name}"

    def menu_text(self, menu: Menu) -> str:
        """The catalogue key of the command's description in `menu`."""
        return f"menu.{menu.value}.{self.name}"

    def shown_as(self, locale: str) -> str:
        """The alias /hilfe shows in `locale`: the first (German) one, or the English one."""
        return (self.english or self.name) if locale == "en" else self.aliases[0]


E, S, L, OV = Audience.EVERYONE, Audience.STAFF, Audience.LEADS, Audience.OVERSIGHT
BARE = "usage.bare"  # commands without arguments: "/hilfe (ohne weitere Angaben)"
SPECS: tuple[Spec, ...] = (
    Spec("help", ("hilfe", "help", "h", "?"), Args.NONE, E, BARE, menus=(personal(1), team(1))),
    Spec(
        "new", ("neu", "new", "start"), Args.NONE, E, BARE, direct_only=True, menus=(personal(2),)
    ),
    Spec("status", ("status",), Args.OPTIONAL_ID, E, "usage.status", menus=(personal(3), team(3))),
    Spec("mine", ("meine", "mine", "my"), Args.NONE, E, BARE, menus=(personal(4),)),
    Spec("history", ("verlauf", "history"), Args.ID, E, "usage.history", menus=(personal(5),)),
    Spec(
        "cancel",
        ("abbrechen", "cancel", "stop"),
        Args.NONE,
        E,
        BARE,
        direct_only=True,
        menus=(personal(6),),
    ),
    Spec(
        "language",
        ("sprache", "language", "lang"),
        Args.WORD,
        E,
        "usage.language",
        menus=(personal(10),),
    ),
    Spec(
        "complaint",
        ("beschwerde", "complaint"),
        Args.OPTIONAL_TEXT,
        E,
        "usage.complaint",
        direct_only=True,
        menus=(personal(7),),
    ),
    Spec(
        "idea",
        ("idee", "idea", "anregung", "suggestion"),
        Args.OPTIONAL_TEXT,
        E,
        "usage.idea",
        direct_only=True,
        menus=(personal(8),),
    ),
    Spec(
        "proposal",
        ("thema", "proposal"),
        Args.OPTIONAL_TEXT,
        E,
        "usage.proposal",
        direct_only=True,
        menus=(personal(9),),
    ),
    Spec("proposals", ("themen", "proposals"), Args.NONE, L, BARE),
    Spec("merge", ("zusammenfuehren", "zusammenführen", "merge"), Args.ID_ID, L, "usage.merge"),
    Spec("schedule", ("vormerken", "schedule"), Args.ID, L, "usage.schedule"),
    Spec("report", ("bericht", "report", "auswertung"), Args.OPTIONAL_TEXT, L, "usage.report"),
    Spec("escalations", ("eskalationen", "escalations"), Args.NONE, OV, BARE),
    Spec("overdue", ("ueberfaellig", "überfällig", "overdue"), Args.NONE, OV, BARE),
    Spec("ack", ("ack", "kenntnis", "quittieren"), Args.ID, OV, "usage.ack", deputies=True),
    Spec("queue", ("queue", "warteschlange"), Args.NONE, S, BARE, menus=(team(2),)),
    Spec("away", ("abwesend", "away", "abwesenheit"), Args.OPTIONAL_TEXT, S, "usage.away"),
    # personal working hours (issue 16): shown, set or reset; pings wait for them
    Spec(
        "hours",
        ("arbeitszeit", "hours", "arbeitszeiten", "workinghours"),
        Args.OPTIONAL_TEXT,
        S,
        "usage.hours",
        help_usage=False,
        direct_only=True,  # a person's hours are theirs to tell, not the channel's
    ),
    Spec(
        "claim", ("claim", "uebernehmen", "übernehmen"), Args.ID, S, "usage.claim", menus=(team(4),)
    ),
    Spec(
        "unclaim",
        ("unclaim", "zurueckgeben", "zurückgeben"),
        Args.ID_OPTIONAL_TEXT,
        S,
        "usage.unclaim",
        menus=(team(5),),
    ),
    Spec(
        "handoff",
        ("handoff", "abgabe", "weitergeben"),
        Args.ID_TEAM_TEXT,
        S,
        "usage.handoff",
        menus=(team(6),),
    ),
    Spec(
        "assign",
        ("zuweisen", "assign"),
        Args.ID_PERSON_TEXT,
        S,
        "usage.assign",
    ),
    Spec("ask", ("ask", "rueckfrage", "rückfrage"), Args.ID_TEXT, S, "usage.ask", menus=(team(7),)),
    Spec("note", ("note", "notiz"), Args.ID_TEXT, S, "usage.note", menus=(team(8),)),
    Spec("resolve", ("resolve", "erledigt"), Args.ID_TEXT, S, "usage.resolve", menus=(team(9),)),
    # Team BK records a call (Telefonnotiz): a dialog in the direct chat, like the intake
    Spec("phone", ("telefon", "phone", "anruf"), Args.NONE, S, BARE, direct_only=True),
    # The complaint relay: a complaint manager forwards a complaint to the team concerned,
    # whose members ask under its pseudonym ("/rueckfrage B-4711 Frage" is read as relay_ask)
    Spec("relay", ("weiterleiten", "relay"), Args.ID_TEAM_TEXT, S, "usage.relay", direct_only=True),
    Spec(
        "relay_ask",
        ("beschwerdefrage", "relayask"),
        Args.OPTIONAL_TEXT,
        S,
        "usage.relay_ask",
        english="relayask",
        direct_only=True,
    ),
    # a resolved ticket's answer proposed as an FAQ entry; Team BK reviews (issue 17)
    Spec("faq", ("faq",), Args.ID_OPTIONAL_TEXT, S, "usage.faq"),
    Spec(
        "faq_review",
        ("faqpruefen", "faqprüfen", "faqreview"),
        Args.OPTIONAL_TEXT,
        S,
        "usage.faq_review",
        english="faqreview",
    ),
    # an appointment with screen sharing on a ticket: the agent proposes, the requester picks
    Spec(
        "appointment",
        ("termin", "appointment"),
        Args.ID_OPTIONAL_TEXT,
        E,
        "usage.appointment",
        direct_only=True,
    ),
    # the requester's answer to a question back on one particular request
    Spec("reply", ("antwort", "reply"), Args.ID_TEXT, E, "usage.reply", direct_only=True),
    Spec("workshops", ("workshops", "schulungen", "termine"), Args.NONE, E, BARE, direct_only=True),
    Spec("enrol", ("anmelden", "enrol"), Args.ID, E, "usage.enrol", direct_only=True),
    Spec("unenrol", ("abmelden", "unenrol"), Args.ID, E, "usage.unenrol", direct_only=True),
    Spec(
        "participants",
        ("teilnehmer", "participants"),
        Args.ID,
        S,
        "usage.participants",
        direct_only=True,
    ),
    Spec(
        "workshop_feedback",
        ("rueckmeldungen", "workshopfeedback"),
        Args.ID,
        S,
        "usage.workshop_feedback",
        english="workshopfeedback",
        direct_only=True,
    ),
    Spec(
        "questionnaire",
        ("fragebogen", "questionnaire"),
        Args.ID,
        E,
        "usage.questionnaire",
        direct_only=True,
    ),
    Spec(
        "newsletter",
        ("newsletter", "rundbrief"),
        Args.OPTIONAL_TEXT,
        E,
        "usage.newsletter",
        help_usage=False,
        direct_only=True,
    ),
    Spec(
        "rate", ("bewertung", "bewerten", "rate"), Args.ID_TEXT, E, "usage.rate", direct_only=True
    ),
    Spec(
        "reopen",
        ("reopen", "wiedereroeffnen", "oeffnen"),
        Args.ID_OPTIONAL_TEXT,
        E,
        "usage.reopen",
        menus=(team(10),),
    ),
)
