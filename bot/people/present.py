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
from bot.people.availability import Absence, recipients
from storage.models import AbsenceRow
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
