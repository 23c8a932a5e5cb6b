"""Who acts: a platform user, and the team member behind them when they are staff."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.model import OrgConfig, Person, Team


@dataclass(frozen=True)
class Actor:
    """A platform user doing something; requesters and staff alike."""

    platform: str
    user_id: str
    display_name: str | None = None
    locale: str = "de"


def person_of(config: OrgConfig, actor: Actor) -> Person | None:
    """The configured staff member behind a platform user, if any."""
    for team in config.teams:
        person = team.person_for(actor.platform, actor.user_id)
        if person is not None:
            return person
    return None


def teams_of(config: OrgConfig, actor: Actor) -> tuple[Team, ...]:
    """The teams the actor belongs to (empty for requesters)."""
    return config.teams_of(actor.platform, actor.user_id)


def is_staff(config: OrgConfig, actor: Actor) -> bool:
    """Whether the actor is a member of any team."""
    return bool(teams_of(config, actor))


def display_name(config: OrgConfig, person_id: str | None) -> str:
    """A staff member's name for messages, or the raw id when unknown."""
    if person_id is None:
        return "-"
    for team in config.teams:
        for person in team.members:
            if person.id == person_id:
                return person.display_name
    return person_id
