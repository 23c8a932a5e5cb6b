"""Addressing notices: requesters, team channels and staff, on every enabled platform.

Everything goes into the outbox in the caller's transaction; a sender delivers after commit.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig, Person, Team
from bot.kernel.notices import Notice, Outgoing, Target
from storage.repositories import outbox


def enabled_platforms(config: OrgConfig) -> tuple[str, ...]:
    """The platforms the bot serves now."""
    return tuple(name for name, platform in config.platforms.items() if platform.enabled)


def channel_targets(config: OrgConfig, team: Team) -> list[Target]:
    """The team's channel on every enabled platform."""
    return [
        Target(platform, "channel", team.channels[platform])
        for platform in enabled_platforms(config)
        if platform in team.channels
    ]


def person_targets(config: OrgConfig, person: Person) -> list[Target]:
    """A staff member's DM on every enabled platform they are known on."""
    return [
        Target(platform, "user", person.platform_ids[platform])
        for platform in enabled_platforms(config)
        if platform in person.platform_ids
    ]


async def send(
    session: AsyncSession,
    outgoing: list[Outgoing],
    *,
    at: datetime,
    dedupe_prefix: str | None = None,
    not_before: datetime | None = None,
) -> None:
    """Write notices to the outbox; complaint content never reaches a channel. With
    `not_before` the rows wait until then (pings to a person off work: bot/people)."""
    for index, item in enumerate(outgoing):
        if item.target.kind == "channel" and not item.notice.channel_safe:
            raise ValueError("a confidential notice may not be posted into a team channel")
        key = None if dedupe_prefix is None else f"{dedupe_prefix}:{index}"
        await outbox.enqueue(
            session,
            target=item.target,
            payload=item.notice.to_json(),
            at=at,
            dedupe_key=key,
            not_before=not_before,
        )


def to_all(targets: list[Target], notice: Notice) -> list[Outgoing]:
    """One notice for several targets."""
    return [Outgoing(target, notice) for target in targets]
