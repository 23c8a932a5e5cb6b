"""Drive the real engine through the bot's situations and collect the notices it queues.

Nothing here builds a notice by hand: every entry is a row the engine, the deadline sweep,
the digests, the workshop jobs or the newsletter dialog wrote into the outbox, read back as
the delivery would read it. One migrated SQLite file, one travelling clock.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from sqlalchemy import func, select

from bot.bundling.bundler import Bundler
from bot.config.loader import load_config
from bot.escalation.digest import Digests
from bot.escalation.sweep import Sweeper
from bot.kernel.clock import FrozenClock
from bot.kernel.notices import Notice
from bot.workshops.jobs import WorkshopJobs
from storage.engine import make_engine, make_sessionmaker
from storage.migrate import upgrade
from storage.models import OutboxRow, TicketRow
from storage.repositories import outbox, workshops
from tests.conftest import berlin
from tests.gallery.appointment_scenario import appointment
from tests.gallery.faq_scenario import faq_proposal
from tests.harness import Harness, button
from tests.service.newsletter_support import subscribe

REQUESTER = "schule.sonne"
AGENT = "hh.weber"  # team Haushalt
AGENT_CHANNEL = "haushalt"  # the team's channel on the local platform
TEAM_LEAD = "hh.schneider"
DEPARTMENT_LEAD = "leitung.hoffmann"
SECOND_REQUESTER = "kita.mond"
THIRD_REQUESTER = "hort.stern"
AUTHOR = "bk.yilmaz"  # Team BK: writes newsletters
TRAINER_TEAM_MEMBER = "bk.schmidt"
PHONE_STAFF = "bk.berger"  # Team BK takes calls (/telefon)


@dataclass(frozen=True)
class Entry:
    """One notice as the outbox holds it, with the situation that produced it."""

    slug: str  # unique file name stem: "03-intake-topic-1"
    situation: str  # what happened, in words
    target: str  # "user:schule.sonne" or "channel:haushalt"
    notice: Notice


class Collector:
    """Reads every outbox row written since the last step and labels it with the step."""

    def __init__(self, hotline: Harness) -> None:
        self.hotline = hotline
        self.entries: list[Entry] = []
        self._seen: set[tuple[int, str]] = set()
        self._step = 0

    async def take(self, situation: str, *, kind: str | None = None) -> list[Notice]:
        """The notices queued since the previous step, recorded under `situation` (only
        those to targets of `kind`, when given; rows folded into a bundle show as it)."""
        async with self.hotline.sessions() as session:
            rows = (await session.scalars(select(OutboxRow).order_by(OutboxRow.id))).all()
        # SQLite gives the ids of taken-back reminders out again: a row is new by its id AND
        # its payload (a plain id cursor would miss the notices after an appointment moves)
        rows = [row for row in rows if _key(row) not in self._seen]
        self._seen.update(_key(row) for row in rows)
        self._step += 1
        notices = []
        rows = [row for row in rows if row.status != outbox.BUNDLED]
        rows = [row for row in rows if kind is None or row.target_kind == kind]
        for index, row in enumerate(rows, 1):
            notice = Notice.from_json(row.payload)
            slug = f"{self._step:02d}-{_slugify(situation)}-{index}"
            target = f"{row.target_kind}:{row.target_address}"
            self.entries.append(Entry(slug, situation, target, notice))
            notices.append(notice)
        return notices


def _key(row: OutboxRow) -> tuple[int, str]:
    return row.id, json.dumps(row.payload, sort_keys=True)


def _slugify(text: str) -> str:
    keep = "".join(c if c.isalnum() else "-" for c in text.lower())
    return "-".join(part for part in keep.split("-") if part)[:40]


async def collect(database: Path) -> list[Entry]:
    """Every situation of the gallery, in the order a week at the hotline brings them (in a
    new SQLite file at `database`)."""
    engine = make_engine(f"sqlite+aiosqlite:///{database}")
    try:
        await upgrade(engine)
        sessions = make_sessionmaker(engine)
        config = load_config(None)
        clock = FrozenClock(berlin(2026, 11, 30, 9, 0))  # Monday, office hours
        hotline = Harness(config, sessions, clock)
        out = Collector(hotline)
        await _intake_and_ticket(hotline, out, clock)
        await _deadlines(hotline, out, clock, Sweeper(config, sessions, clock))
        await _storm(hotline, out, clock, Sweeper(config, sessions, clock))
        await _workshops(hotline, out, clock, WorkshopJobs(config, sessions, clock))
        await _newsletter(hotline, out, clock)
        await _complaint_and_proposals(hotline, out)
        await _requester_views(hotline, out)
        await _digests(out, clock, Digests(config, sessions, clock))
        await _errors(hotline, out)
        await _phone_note(hotline, out, clock)
        await faq_proposal(hotline, out, clock)
        await appointment(hotline, out, clock)
        return out.entries
    finally:
        await engine.dispose()


async def _intake_and_ticket(hotline: Harness, out: Collector, clock: FrozenClock) -> None:
    say = hotline.say
    await say(REQUESTER, "/hilfe")
    await out.take("help")
    await say(REQUESTER, "Hallo")
    await out.take("intake greeting and customer group")
    await say(REQUESTER, "1")
    topics = await out.take("intake topic")
    await say(REQUESTER, action_id=button(topics, "topic:haushalt"))
    offered = await out.take("intake first-level answers")
    for wanted in ("answer:none", "confirm:no"):
        pressed = button(offered[-1:], wanted)
        if pressed is not None:
            await say(REQUESTER, action_id=pressed)
            offered = await out.take("intake declined answer")
    await say(
        REQUESTER, "Mittel für das Projekt Nr. 1 fehlen (Kostenstelle 4711-A)! Bitte um Rückruf."
    )
    await out.take("intake description")
    await say(REQUESTER, "Bitte um Rückruf")
    await out.take("intake invalid reference")
    await say(REQUESTER, "4500012345")
    await out.take("intake summary")
    await say(REQUESTER, "ja")
    confirmed = await out.take("intake confirmation and new team card")
    ticket = next(n.ticket_id for n in confirmed if n.ticket_id is not None)
    clock.set(berlin(2026, 11, 30, 9, 30))
    await say(AGENT, f"/claim {ticket}")
    await out.take("claim")
    await say(AGENT, f"/ask {ticket} Welche Schule genau?")
    await out.take("question back")
    await say(REQUESTER, "Die Grundschule an der Sonne.")
    await out.take("answer to question back")
    await say(AGENT, f"/handoff {ticket} kreditoren Rechnung betroffen")
    await out.take("handoff")
    await say("kred.wagner", f"/claim {ticket}")
    await out.take("claim after handoff")
    await say("kred.wagner", f"/resolve {ticket} Die Mittel sind gebucht.")
    resolved = await out.take("resolved and rating question")
    rate = next((c.id for n in resolved for c in n.choices if c.id.startswith("rate:")), None)
    if rate is not None:
        await say(REQUESTER, action_id=rate)
        await out.take("rating given")
        await say(REQUESTER, "Schnell und freundlich, danke!")
        await out.take("rating comment")
    await say(AGENT, "/queue")
    await out.take("queue listing")


async def _deadlines(
    hotline: Harness, out: Collector, clock: FrozenClock, sweeper: Sweeper
) -> None:
    ticket = await hotline.file_request(SECOND_REQUESTER, topic="haushalt")
    await out.take("second request filed")
    # typed in the team channel: the answer goes into the card's thread, mentioning her
    await hotline.say(AGENT, f"/claim {ticket}", channel=AGENT_CHANNEL)
    await out.take("second claim in the channel")
    for moment, situation in (
        (berlin(2026, 11, 30, 11, 30), "deadline reminder"),
        (berlin(2026, 11, 30, 14, 30), "claim lease released"),
        (berlin(2026, 12, 1, 11, 30), "escalation after silence"),
        (berlin(2026, 12, 2, 9, 30), "escalation repeat and interim"),
    ):
        await _sweep(sweeper, clock, moment)
        await out.take(situation)
    await hotline.say(DEPARTMENT_LEAD, action_id=f"ack:{ticket}")
    await out.take("escalation acknowledged")
    await hotline.say(DEPARTMENT_LEAD, "/eskalationen")
    await out.take("escalated listing")


async def _storm(hotline: Harness, out: Collector, clock: FrozenClock, sweeper: Sweeper) -> None:
    """Many deadlines pass at once: each team lead gets ONE message listing the tickets
    (four: a button each; seven: the command that lists them all)."""
    for index in range(7):
        await hotline.file_request(f"storm.haushalt.{index}", topic="haushalt")
    for index in range(4):
        await hotline.file_request(f"storm.kreditoren.{index}", topic="kreditoren")
    await out.take("storm tickets filed", kind="nobody")
    for _ in range(10):  # on to the moment the deadlines pass, as a running bot would
        await sweeper.sweep()
        await Bundler(hotline.sessions, clock).run(["local"])
        bundled = await out.take("deadline storm bundled", kind="user")
        if any(notice.ticket_id is None for notice in bundled):
            return
        async with hotline.sessions() as session:
            moment = await session.scalar(select(func.min(TicketRow.next_action_at)))
        assert moment is not None
        clock.set(moment)
    raise AssertionError("the storm's deadlines never passed")


async def _sweep(sweeper: Sweeper, clock: FrozenClock, moment: datetime) -> None:
    clock.set(moment)
    await sweeper.sweep()


async def _workshops(
    hotline: Harness, out: Collector, clock: FrozenClock, jobs: WorkshopJobs
) -> None:
    clock.set(berlin(2026, 12, 2, 14, 0))
    values = {
        "code": "beschaffung-1",
        "title": "Beschaffung: Grundlagen",
        "topic": "beschaffung",
        "starts_at": berlin(2026, 12, 4, 9, 0),
        "ends_at": berlin(2026, 12, 4, 11, 0),
        "place": "Raum 3.14",
        "seats": 1,
        "groups": [],
        "trainer_team": "bk",
    }
    async with hotline.sessions() as session, session.begin():
        row, _ = await workshops.upsert(session, values=values, at=clock.now())
        workshop = row.id
    await hotline.say(DEPARTMENT_LEAD, "/bericht")
    await out.take("report command")
    await hotline.say(REQUESTER, "/workshops")
    await out.take("workshop listing")
    await hotline.say(REQUESTER, action_id=f"enrol:{workshop}")
    await out.take("workshop enrolled")
    await hotline.say("kita.mond", f"/anmelden {workshop}")
    await out.take("workshop waiting list")
    clock.set(berlin(2026, 12, 3, 10, 0))
    await jobs.run()
    await out.take("workshop reminder")
    clock.set(berlin(2026, 12, 4, 11, 30))
    await jobs.run()
    await out.take("workshop feedback invitation")
    await hotline.say(REQUESTER, action_id=f"questionnaire:{workshop}")
    await out.take("workshop feedback question")
    await hotline.say(TRAINER_TEAM_MEMBER, f"/teilnehmer {workshop}")
    await out.take("workshop participants")


async def _newsletter(hotline: Harness, out: Collector, clock: FrozenClock) -> None:
    await subscribe(hotline.sessions, clock, "kita.mond", "f4")
    await hotline.say(REQUESTER, "/newsletter")
    await out.take("newsletter subscriptions")
    await hotline.say(REQUESTER, "/abbrechen")
    await out.take("cancelled")
    await hotline.say(AUTHOR, "/newsletter senden")
    await out.take("newsletter groups")
    await hotline.say(AUTHOR, "2")
    await out.take("newsletter group chosen")
    await hotline.say(AUTHOR, "weiter")
    await hotline.say(AUTHOR, "Jahresabschluss 2026")
    await out.take("newsletter title")
    await hotline.say(AUTHOR, "Bitte buchen Sie alle Rechnungen bis zum 15.12.\n\nDanke!")
    await out.take("newsletter preview")


async def _complaint_and_proposals(hotline: Harness, out: Collector) -> None:
    await hotline.file_request(THIRD_REQUESTER, topic="beschwerde", text="Sehr unfreundlich!")
    await out.take("complaint filed")
    for user in (REQUESTER, THIRD_REQUESTER):
        offered = await hotline.say(user, "Hallo")
        await hotline.say(user, action_id=button(offered, "topic:runder_tisch"))
        await hotline.say(user, "Vordrucke für Barauslagen vereinfachen")
        await hotline.say(user, "ja")
    await out.take("round table proposals")
    await hotline.say(DEPARTMENT_LEAD, "/themen")
    await out.take("round table listing")
    await hotline.say(DEPARTMENT_LEAD, "/zusammenfuehren 1 2")
    await out.take("round table merged")


async def _requester_views(hotline: Harness, out: Collector) -> None:
    await hotline.say(REQUESTER, "/meine")
    await out.take("own requests")
    await hotline.say(REQUESTER, "/status 1")
    await out.take("request status")
    await hotline.say(REQUESTER, "/reopen 1 Noch nicht gebucht")
    await out.take("reopened")
    await hotline.say(REQUESTER, "/sprache en")
    await out.take("language english")
    await hotline.say(REQUESTER, "/help")
    await out.take("help in english")
    await hotline.say(REQUESTER, "/sprache de")
    await out.take("language german")


async def _digests(out: Collector, clock: FrozenClock, digests: Digests) -> None:
    clock.set(berlin(2026, 12, 3, 8, 45))
    await digests.daily()
    await out.take("daily digest")
    clock.set(berlin(2026, 12, 7, 8, 45))  # Monday: the weekly report as well
    await digests.daily()
    await out.take("weekly report")


async def _errors(hotline: Harness, out: Collector) -> None:
    await hotline.say(REQUESTER, "/gibtsnicht")
    await out.take("unknown command")
    await hotline.say(AGENT, "/claim 999")
    await out.take("unknown ticket")
    await hotline.say(REQUESTER, "/claim 1")
    await out.take("not permitted")
    await hotline.say(REQUESTER, "Hallo")
    await hotline.say(REQUESTER, "42")
    await out.take("invalid choice")


async def _phone_note(hotline: Harness, out: Collector, clock: FrozenClock) -> None:
    """Team BK records a call: the dialog, the callback card, "Rückruf erfolgt?"."""
    clock.set(berlin(2026, 12, 7, 10, 0))
    say = hotline.say
    await say(PHONE_STAFF, "/telefon")
    await out.take("phone note caller")
    await say(PHONE_STAFF, "Frau Sommer, Grundschule an der Sonne")
    await out.take("phone note customer group")
    await say(PHONE_STAFF, "1")
    topics = await out.take("phone note topic")
    await say(PHONE_STAFF, action_id=button(topics, "ptopic:haushalt"))
    await out.take("phone note description")
    await say(PHONE_STAFF, "Mittel für Lehrmittel reichen nicht, bittet um Rückruf")
    await out.take("phone note contact")
    await say(PHONE_STAFF, "0221")
    await out.take("phone note invalid number")
    asked = await say(PHONE_STAFF, "+49 221 123-4567")
    await out.take("phone note solved on the spot")
    await say(PHONE_STAFF, action_id=button(asked, "psolved:no"))
    await out.take("phone note summary")
    await say(PHONE_STAFF, "ja")
    saved = await out.take("phone note saved and callback card")
    ticket = next(n.ticket_id for n in saved if n.ticket_id is not None)
    await say(AGENT, f"/erledigt {ticket} Mittel aus der Reserve bewilligt.")
    await out.take("callback confirmation question")
