"""What the fuzz types and presses: random texts, commands with random arguments, and button
payloads that are valid (offered to this user now), stale (offered earlier), forged (a real
verb with made-up arguments or someone else's prompt) or garbage. Seeded: one seed, one run.
"""

from __future__ import annotations

import random
import string
from dataclasses import dataclass, field

from bot.config.model import OrgConfig
from dialogs.command_specs import SPECS, Args

WORDS = [
    "ja", "nein", "Ja!", "yes", "no", "zurück", "abbrechen", "back", "cancel", "-",
    "weiß nicht", "Hallo", "hilfe", "1", "2", "3", "4", "5", "0", "9", "12", "-1", "1.5",
    "Haushalt", "Kreditoren", "Beschwerde", "Idee", "Senden", "Ändern", "vielleicht",
]  # fmt: skip
ODD = [
    "", " ", "\n\n", "\x00", "\x1b[31m", "\u202e", "🙂" * 3, "<b>x</b>", "**fett**", "@room",
    "%s %d {0} {x}", "'; DROP TABLE tickets; --", "\\", "/", "!", "//", "/ hilfe", "@", ":",
    "topic:@", "9" * 30, "ß" * 5, "\ufeff", "\u00a0",
]  # fmt: skip
VERBS = [
    "claim", "unclaim", "topic", "group", "answer", "confirm", "back", "rate", "history",
    "handoff", "resolve", "reopen", "ack", "enrol", "unenrol", "questionnaire", "newsletter",
    "team", "which", "send", "edit", "stale", "comment", "subscribe",
]  # fmt: skip


@dataclass
class Offers:
    """The buttons each user has been offered, newest last (the valid and stale ones)."""

    latest: dict[str, list[str]] = field(default_factory=dict)
    earlier: dict[str, list[str]] = field(default_factory=dict)

    def offer(self, user: str, ids: list[str]) -> None:
        if not ids:
            return
        self.earlier.setdefault(user, []).extend(self.latest.get(user, []))
        del self.earlier[user][:-200]
        self.latest[user] = ids


class Inputs:
    """Draws one message or button press at a time."""

    def __init__(self, config: OrgConfig, rng: random.Random) -> None:
        self.rng = rng
        self.teams = [team.id for team in config.teams]
        people = [person for team in config.teams for person in team.members]
        self.people = [*(p.id for p in people), *(p.display_name for p in people), "Niemand"]
        self.topics = [topic.id for topic in config.topics]
        self.groups = [group.id for group in config.customer_groups]
        self.max_length = config.dialogs.max_message_length
        self.tickets = 0  # highest ticket number seen so far

    def text(self) -> str:
        """Random text: words, odd strings, noise, or one past the length limit."""
        pick = self.rng.random()
        if pick < 0.45:
            return self.rng.choice(WORDS)
        if pick < 0.65:
            return self.rng.choice(ODD)
        if pick < 0.72:
            return "x" * self.rng.choice([self.max_length, self.max_length + 1, 5000])
        size = self.rng.randint(1, 80)
        alphabet = string.printable + "äöüßÄÖÜ€—🙂\u200b"
        return "".join(self.rng.choice(alphabet) for _ in range(size))

    def ticket(self) -> str:
        """A ticket number: mostly existing, sometimes next, huge, zero or not a number."""
        pick = self.rng.random()
        if pick < 0.7 and self.tickets:
            return str(self.rng.randint(1, self.tickets))
        return self.rng.choice(
            [str(self.tickets + 1), "0", "-3", "99999999", "9" * 25, "abc", "#1", "1e3", ""]
        )

    def command(self) -> str:
        """A command of the registry by a random alias, with random (often fitting) args."""
        spec = self.rng.choice(SPECS)
        word = self.rng.choice(spec.aliases)
        prefix = self.rng.choice(["/", "/", "!", "/ "])
        args = self._args(spec.args) if self.rng.random() < 0.85 else self.text()
        return f"{prefix}{word} {args}".rstrip()

    def _args(self, shape: Args) -> str:
        team, text = self.rng.choice([*self.teams, "unbekannt", ""]), self.text()
        return {
            Args.NONE: "",
            Args.OPTIONAL_ID: self.rng.choice(["", self.ticket()]),
            Args.ID: self.ticket(),
            Args.ID_TEXT: f"{self.ticket()} {text}",
            Args.ID_OPTIONAL_TEXT: f"{self.ticket()} {self.rng.choice(['', text])}",
            Args.ID_TEAM_TEXT: f"{self.ticket()} {team} {self.rng.choice(['', text])}",
            Args.ID_ID: f"{self.ticket()} {self.ticket()}",
            Args.ID_PERSON_TEXT: f"{self.ticket()} {self.rng.choice(self.people)} {text}",
            Args.OPTIONAL_TEXT: self.rng.choice(["", text, "senden", "einladen 1"]),
            Args.WORD: self.rng.choice(["de", "en", "fr", "", text]),
        }[shape]

    def button(self, user: str, offers: Offers) -> tuple[str, str]:
        """(kind, payload): valid, stale, forged or garbage."""
        latest, earlier = offers.latest.get(user, []), offers.earlier.get(user, [])
        others = [i for ids in offers.latest.values() for i in ids]
        pick = self.rng.random()
        if pick < 0.55 and latest:
            return "valid", self.rng.choice(latest)
        if pick < 0.65 and earlier:
            return "stale", self.rng.choice(earlier)
        if pick < 0.85:
            return "forged", self._forged(others)
        return "garbage", self.rng.choice([*ODD, "x" * 201, "a:" * 120, self.text()])

    def _forged(self, others: list[str]) -> str:
        if others and self.rng.random() < 0.4:
            return self.rng.choice(others)  # someone else's button, prompt id and all
        verb = self.rng.choice(VERBS)
        args = [
            self.rng.choice([self.ticket(), *self.teams, *self.topics, *self.groups, "x"])
            for _ in range(self.rng.randint(0, 3))
        ]
        body = ":".join([verb, *args])
        mark = self.rng.choice(["", "", f"@{self.rng.randint(0, 300)}", "@x", "@"])
        return body + mark
