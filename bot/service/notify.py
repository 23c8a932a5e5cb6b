"""Addressing notices: requesters, team channels and staff, on every enabled platform.

Everything goes into the outbox in the caller's transaction; a sender delivers after commit.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

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


def person_targets(config: OrgConfig, person: Person, *, prefer: str | None = None) -> list[Target]:
    """A staff member's DM on every enabled platform they are known on. With `prefer` (the
    platform they work on the matter from), only there when they are known there: someone
    listed on Matrix and Teams who claimed a ticket in Teams reads about it in Teams, not
    twice."""
    everywhere = [
        Target(platform, "user", person.platform_ids[platform])
        for platform in enabled_platforms(config)
        if platform in person.platform_ids
    ]
    preferred = [target for target in everywhere if target.platform == prefer]
    return preferred or everywhere


async def send(
    session: AsyncSession,
    outgoing: list[Outgoing],
    *,
    at: datetime,
    dedupe_prefix: str | None = None,
    bundle: Mapping[str, Any] | None = None,
    not_before: datetime | None = None,
) -> None:
    """Write notices to the outbox; complaint content never reaches a channel. With a
    `bundle` entry (bot/bundling/notice.py) the DMs among them are held for the
    bundler, which sends them alone or folded into one message per person and kind. With
    `not_before` the rows wait until then (pings to a person off work: bot/people)."""
    for index, item in enumerate(outgoing):
        if item.target.kind == "channel" and not item.notice.channel_safe:
            raise ValueError("a confidential notice may not be posted into a team channel")
        key = None if dedupe_prefix is None else f"{dedupe_prefix}:{index}"
        payload, kind = item.notice.to_json(), None
        if bundle is not None and item.target.kind == "user":
            payload["bundle"], kind = dict(bundle), str(bundle["kind"])
        await outbox.enqueue(
            session,
            target=item.target,
            payload=payload,
            at=at,
            dedupe_key=key,
            bundle_kind=kind,
            not_before=not_before,
        )


def to_all(targets: list[Target], notice: Notice) -> list[Outgoing]:
    """One notice for several targets."""
    return [Outgoing(target, notice) for target in targets]
