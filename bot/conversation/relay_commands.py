"""The complaint relay's commands (bot/service/complaint_relay.py), both direct-only:

- `/weiterleiten N TEAM [Text]` (`/relay`): a complaint manager forwards complaint N, or
  the text they write, to TEAM under the complaint's pseudonym;
- `/rueckfrage B-4711 Frage` (also `/beschwerdefrage`, `/relayask`): a member of that team
  asks the complainant, through the hotline.

Answers are never channel-safe: nothing of the relay appears in a team channel.
"""

from __future__ import annotations

from bot.config.model import OrgConfig
from bot.conversation.command_table import Handler, ticket_of
from bot.conversation.turn import Turn
from bot.domain.errors import UnknownTeam
from bot.i18n import t
from bot.kernel.actions import button
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Notice
from bot.service.complaint_relay import ComplaintRelay, relay_card
from dialogs.commands import Command
from dialogs.pseudonyms import read_pseudonym


class RelayCommands:
    """The relay's share of the command table."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.relay = ComplaintRelay(config, clock)

    def handlers(self) -> dict[str, Handler]:
        """This module's rows of the command table."""
        return {"relay": self.forward, "relay_ask": self.ask}

    async def forward(self, turn: Turn, command: Command) -> list[Notice]:
        """/weiterleiten N TEAM [Text]; without a team (/weiterleiten N) the teams to pick."""
        ticket_id, loc = ticket_of(command), turn.actor.locale
        if command.team is None:
            await self.relay.check_forward(turn.session, ticket_id=ticket_id, actor=turn.actor)
            return [self._pick(ticket_id, loc)]
        team = self._team(command.team)
        _, pseudonym = await self.relay.forward(
            turn.session, ticket_id=ticket_id, actor=turn.actor, team_id=team, text=command.text
        )
        name = self.config.team(team).name.get(loc)
        text = t("relay.forwarded_ok", loc, id=ticket_id, pseudonym=pseudonym, team=name)
        return [Notice(text=text, ticket_id=ticket_id, channel_safe=False)]

    async def ask(self, turn: Turn, command: Command) -> list[Notice]:
        """/rueckfrage B-4711 Frage."""
        loc = turn.actor.locale
        words = command.text.split(maxsplit=1)
        pseudonym = read_pseudonym(words[0]) if words else None
        if pseudonym is None or len(words) < 2 or not words[1].strip():
            usage = t("usage.relay_ask", loc, cmd=f"{command.prefix}rueckfrage")
            return [Notice(text=t("cmd.usage", loc, usage=usage), channel_safe=False)]
        relay, question = await self.relay.ask(
            turn.session, pseudonym=pseudonym, actor=turn.actor, question=words[1].strip()
        )
        text = t("relay.asked_ok", loc, pseudonym=pseudonym)
        # the number only keys the outbox row (erased with the complaint); no adapter shows it
        card = relay_card(relay.ticket_id, f"q{question.id}")
        return [Notice(text=text, ticket_id=relay.ticket_id, channel_safe=False, card=card)]

    def _pick(self, ticket_id: int, loc: str) -> Notice:
        """The teams to forward to, as buttons that carry the whole command ("relay:12:kred"):
        pressed, they forward the description (a chosen part: the command with a text)."""
        choices = tuple(
            Choice(button("relay", ticket_id, team.id), team.name.get(loc))
            for team in self.config.teams
        )
        teams = ", ".join(team.id for team in self.config.teams)
        text = t("relay.pick_team", loc, id=ticket_id, teams=teams)
        return Notice(text=text, choices=choices, ticket_id=ticket_id, channel_safe=False)

    def _team(self, name: str) -> str:
        for team in self.config.teams:
            if name in (team.id, team.name.de.casefold(), team.name.en.casefold()):
                return team.id
        raise UnknownTeam(
            name, team=literal(name), known=", ".join(team.id for team in self.config.teams)
        )
