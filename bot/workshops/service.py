"""Registering for workshops: seats, the waiting list and moving up, the trainer's views.

Seat decisions lock the workshop row (PostgreSQL) or run under SQLite's single writer, so
two people can never both take the last seat.
"""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from bot.config.model import OrgConfig
from bot.domain.errors import (
    NotTrainer,
    WorkshopForOtherGroups,
    WorkshopNotFound,
    WorkshopUnavailable,
)
from bot.i18n import t
from bot.kernel.actions import button
from bot.kernel.clock import Clock
from bot.kernel.markup import literal
from bot.kernel.notices import Choice, Notice, Outgoing, Target
from bot.service import notify, permissions
from bot.service.actors import Actor
from storage.models import WorkshopRegistrationRow, WorkshopRow
from storage.repositories import profiles
from storage.repositories import workshops as repo


def when(row: WorkshopRow, locale: str, tz: ZoneInfo) -> str:
    """ "Mi., 20.01.2027, 09:00–12:00 Uhr" / "Wed 20 Jan 2027, 09:00–12:00"."""
    start, end = row.starts_at.astimezone(tz), row.ends_at.astimezone(tz)
    day = t(f"workshop.weekday.{start.weekday()}", locale)
    return t(
        "workshop.when",
        locale,
        day=day,
        date=start.strftime("%d.%m.%Y"),
        start=start.strftime("%H:%M"),
        end=end.strftime("%H:%M"),
    )


class WorkshopService:
    """Listing, registration and cancellation; the notices for those who move up."""

    def __init__(self, config: OrgConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self.tz = ZoneInfo(config.calendar.timezone)

    async def _group(self, session: AsyncSession, actor: Actor) -> str | None:
        profile = await profiles.get_profile(
            session, platform=actor.platform, user_id=actor.user_id
        )
        return None if profile is None else profile.customer_group_id

    def _for_group(self, row: WorkshopRow, group: str | None) -> bool:
        return not row.groups or group in row.groups

    async def listing(self, session: AsyncSession, actor: Actor) -> Notice:
        """Upcoming workshops for the actor's customer group, with free seats and buttons."""
        loc, group = actor.locale, await self._group(session, actor)
        rows = [
            r
            for r in await repo.upcoming(session, now=self.clock.now())
            if self._for_group(r, group)
        ]
        if not rows:
            return Notice(text=t("workshop.none", loc))
        taken = await repo.taken_seats(session, ids=[r.id for r in rows])
        mine = {
            r.workshop_id: r.status
            for r in await repo.of_person(session, platform=actor.platform, user_id=actor.user_id)
        }
        lines, choices = [], []
        for row in rows:
            free = max(0, row.seats - taken.get(row.id, 0))
            state = (
                t(f"workshop.mine.{mine[row.id]}", loc)
                if row.id in mine
                else (
                    t("workshop.free", loc, free=free, seats=row.seats)
                    if free
                    else t("workshop.full", loc)
                )
            )
            lines.append(
                t(
                    "workshop.line",
                    loc,
                    id=row.id,
                    when=when(row, loc, self.tz),
                    title=literal(row.title),
                    place=literal(row.place),
                    state=state,
                )
            )
            if row.id in mine:
                choices.append(
                    Choice(button("unenrol", row.id), t("workshop.button.unenrol", loc, id=row.id))
                )
            else:
                choices.append(
                    Choice(button("enrol", row.id), t("workshop.button.enrol", loc, id=row.id))
                )
        return Notice(
            title=t("workshop.title", loc),
            text="\n".join(lines),
            choices=tuple(choices[:8]),
            channel_safe=False,
        )

    async def enrol(self, session: AsyncSession, actor: Actor, workshop_id: int) -> Notice:
        """Take a seat, or a place on the waiting list when the workshop is full."""
        loc, now = actor.locale, self.clock.now()
        row = await repo.get(session, workshop_id=workshop_id, lock=True)
        if row is None or row.status != "planned" or row.starts_at <= now:
            raise WorkshopUnavailable("not open for registration", id=workshop_id)
        group = await self._group(session, actor)
        if not self._for_group(row, group):
            names = ", ".join(self.config.customer_group(g).name.get(loc) for g in row.groups)
            raise WorkshopForOtherGroups("other customer groups", id=workshop_id, groups=names)
        existing = await repo.registration(
            session, workshop_id=row.id, platform=actor.platform, user_id=actor.user_id
        )
        if existing is not None and existing.status in repo.ACTIVE:
            return Notice(text=t(f"workshop.already.{existing.status}", loc, id=row.id))
        taken = (await repo.taken_seats(session, ids=[row.id])).get(row.id, 0)
        queue = await repo.registrations(session, workshop_id=row.id, statuses=("waiting",))
        # A free seat goes to the waiting list first (seats can grow with a re-import).
        status = "registered" if taken < row.seats and not queue else "waiting"
        if existing is None:
            existing = WorkshopRegistrationRow(
                workshop_id=row.id, platform=actor.platform, user_id=actor.user_id
            )
            session.add(existing)
        existing.display_name, existing.customer_group_id = actor.display_name, group
        existing.locale, existing.status, existing.registered_at = actor.locale, status, now
        existing.cancelled_at = existing.promoted_at = existing.reminded_at = None
        await session.flush()
        if status == "registered":
            return Notice(
                text=t(
                    "workshop.registered",
                    loc,
                    id=row.id,
                    title=literal(row.title),
                    when=when(row, loc, self.tz),
                    place=literal(row.place),
                )
            )
        position = len(await repo.registrations(session, workshop_id=row.id, statuses=("waiting",)))
        return Notice(
            text=t("workshop.waiting", loc, id=row.id, title=literal(row.title), position=position)
        )

    async def unenrol(self, session: AsyncSession, actor: Actor, workshop_id: int) -> Notice:
        """Give the seat back; the first on the waiting list moves up and is told."""
        loc, now = actor.locale, self.clock.now()
        row = await repo.get(session, workshop_id=workshop_id, lock=True)
        existing = (
            None
            if row is None
            else await repo.registration(
                session, workshop_id=row.id, platform=actor.platform, user_id=actor.user_id
            )
        )
        if row is None or existing is None or existing.status not in repo.ACTIVE:
            return Notice(text=t("workshop.not_registered", loc, id=workshop_id))
        had_seat = existing.status == "registered"
        existing.status, existing.cancelled_at = "cancelled", now
        await session.flush()
        if had_seat and row.starts_at > now:
            await self._move_up(session, row, now)
        return Notice(text=t("workshop.cancelled", loc, id=row.id, title=literal(row.title)))

    async def rescheduled(self, session: AsyncSession, row: WorkshopRow) -> int:
        """The date or time changed: tell everyone registered or waiting, and remind them
        again before the new date. Returns how many were told."""
        now = self.clock.now()
        people = await repo.registrations(session, workshop_id=row.id)
        for person in people:
            person.reminded_at = None
            notice = Notice(
                text=t(
                    "workshop.moved",
                    person.locale,
                    id=row.id,
                    title=literal(row.title),
                    when=when(row, person.locale, self.tz),
                    place=literal(row.place),
                ),
                channel_safe=False,
            )
            target = Target(person.platform, "user", person.user_id)
            stamp = int(row.starts_at.timestamp())
            await notify.send(
                session,
                [Outgoing(target, notice)],
                at=now,
                dedupe_prefix=f"workshop-moved:{person.id}:{stamp}",
            )
        await session.flush()
        return len(people)

    async def fill_seats(self, session: AsyncSession, row: WorkshopRow) -> int:
        """Give every free seat to the waiting list, in order (after seats were added or
        someone was erased); returns how many moved up."""
        now, moved = self.clock.now(), 0
        if row.starts_at <= now or row.status != "planned":
            return 0
        taken = (await repo.taken_seats(session, ids=[row.id])).get(row.id, 0)
        for _ in range(max(0, row.seats - taken)):
            if not await self._move_up(session, row, now):
                break
            moved += 1
        return moved

    async def _move_up(self, session: AsyncSession, row: WorkshopRow, now: datetime) -> bool:
        waiting = await repo.registrations(session, workshop_id=row.id, statuses=("waiting",))
        if not waiting:
            return False
        lucky = waiting[0]
        lucky.status, lucky.promoted_at = "registered", now
        notice = Notice(
            text=t(
                "workshop.moved_up",
                lucky.locale,
                id=row.id,
                title=literal(row.title),
                when=when(row, lucky.locale, self.tz),
                place=literal(row.place),
            ),
            choices=(
                Choice(
                    button("unenrol", row.id), t("workshop.button.unenrol", lucky.locale, id=row.id)
                ),
            ),
            channel_safe=False,
        )
        target = Target(lucky.platform, "user", lucky.user_id)
        await notify.send(
            session,
            [Outgoing(target, notice)],
            at=now,
            dedupe_prefix=f"workshop-up:{lucky.id}:{int(now.timestamp())}",
        )
        await session.flush()
        return True

    def may_see_participants(self, actor: Actor, row: WorkshopRow) -> bool:
        """The trainer team, Team BK (which coordinates trainings) and the leads."""
        teams = {team.id for team in self.config.teams_of(actor.platform, actor.user_id)}
        coordinating = self.config.first_level_team().id
        return bool(teams & {row.trainer_team, coordinating}) or permissions.is_lead(
            self.config, actor
        )

    async def participants(self, session: AsyncSession, actor: Actor, workshop_id: int) -> Notice:
        """Who comes (and who waits), for the trainers."""
        loc = actor.locale
        row = await repo.get(session, workshop_id=workshop_id)
        if row is None:
            raise WorkshopNotFound("no such workshop", id=workshop_id)
        if not self.may_see_participants(actor, row):
            raise NotTrainer("not a trainer", id=workshop_id)
        people = await repo.registrations(session, workshop_id=row.id)
        lines = [
            t(
                "workshop.participant",
                loc,
                name=literal(p.display_name or p.user_id),
                status=t(f"workshop.status.{p.status}", loc),
            )
            for p in people
        ]
        title = t(
            "workshop.participants_title",
            loc,
            id=row.id,
            title=literal(row.title),
            count=sum(p.status == "registered" for p in people),
            seats=row.seats,
        )
        return Notice(
            title=title, text="\n".join(lines) or t("workshop.nobody", loc), channel_safe=False
        )
