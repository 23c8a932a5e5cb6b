"""The availability rule applied to stored absences, in the caller's transaction.

`bot.people.availability` is pure; this module reads the absences running now and hands
them to it, so the places that pick recipients (deadline actions, digests, /ack) change by
one call each.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig, Person
from bot.i18n import t
from bot.people.availability import Absence, recipients, stands_in_for
from bot.people.wording import absence_line
from bot.service import permissions
from bot.service.actors import Actor
from storage.models import AbsenceRow, TicketRow
from storage.repositories import absences as repo


def as_absence(row: AbsenceRow) -> Absence:
    """The stored row as the rule's value."""
    return Absence(row.person_id, row.starts_at, row.ends_at, row.deputy_id)


async def absences_at(session: AsyncSession, at: datetime) -> list[Absence]:
    """The absences running at `at`."""
    return [as_absence(row) for row in await repo.active(session, at=at)]


async def present(
    session: AsyncSession, config: OrgConfig, people: Iterable[Person], at: datetime
) -> tuple[Person, ...]:
    """`people`, with everyone away at `at` replaced by who stands in for them."""
    wanted: Sequence[Person] = tuple(people)
    if not wanted:
        return ()
    return recipients(config, await absences_at(session, at), wanted, at)


async def standing_in(
    session: AsyncSession, config: OrgConfig, person_id: str, at: datetime
) -> tuple[Person, ...]:
    """The people away at `at` whose messages go to `person_id` now."""
    return stands_in_for(config, await absences_at(session, at), person_id, at)


async def deputy_lead_on(
    session: AsyncSession, config: OrgConfig, actor: Actor, ticket: TicketRow, at: datetime
) -> Person | None:
    """The actor as deputy of an absent lead of `ticket` (who may then /ack it), or None."""
    me = config.person_by_platform(actor.platform, actor.user_id)
    if me is None:
        return None
    for absent in await standing_in(session, config, me.id, at):
        # lead_on judges an actor: the absent lead as seen on any platform they are known on
        accounts = [Actor(platform, uid) for platform, uid in absent.platform_ids.items()]
        if any(permissions.lead_on(config, account, ticket) for account in accounts[:1]):
            return me
    return None


async def team_absence_lines(
    session: AsyncSession, config: OrgConfig, team_ids: Sequence[str], now: datetime, locale: str
) -> list[str]:
    """Who of these teams is away or will be (for /queue): a heading and one line each."""
    members = {m.id for team in config.teams if team.id in team_ids for m in team.members}
    if not members:
        return []
    known = [as_absence(row) for row in await repo.current_and_planned(session, now=now)]
    mine = [absence for absence in known if absence.person_id in members]
    if not mine:
        return []
    lines = [absence_line(config, absence, known, now, locale) for absence in mine]
    return [t("away.heading", locale), *lines]
