"""Who acts: a platform user, and the staff member behind them when there is one."""

from __future__ import annotations

from dataclasses import dataclass

from bot.config.model import OrgConfig


@dataclass(frozen=True)
class Actor:
    """A platform user doing something; requesters and staff alike."""

    platform: str
    user_id: str
    display_name: str | None = None
    locale: str = "de"


def display_name(config: OrgConfig, person_id: str | None) -> str:
    """A staff member's name for messages, or the raw id when unknown."""
    if person_id is None:
        return "-"
    person = config.person(person_id)
    return person_id if person is None else person.display_name
