"""The round table: leads merge duplicate proposals and put one on the agenda; the
proposers are told (SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.config.model import OrgConfig
from bot.kernel.clock import FrozenClock
from storage.models import AuditLogRow, ProposalRow
from tests.harness import Harness, texts
from tests.service.sweep_support import Sessions

LEAD = "leitung.hoffmann"


@pytest.fixture
def hotline(config: OrgConfig, sessions: Sessions, clock: FrozenClock) -> Harness:
    return Harness(config, sessions, clock)


async def propose(hotline: Harness, user: str, text: str) -> None:
    await hotline.say(user, "Hallo")
    await hotline.say(user, "1")
    await hotline.say(user, action_id="topic:runder_tisch")
    await hotline.say(user, text)
    assert "Vorschlag Nr." in texts(await hotline.say(user, "ja"))


async def test_merge_duplicates_then_schedule_tells_every_proposer(hotline: Harness) -> None:
    await propose(hotline, "schule.sonne", "Fristen beim Jahresabschluss besprechen")
    await propose(hotline, "schule.mond", "Jahresabschluss: Fristen klären")
    await propose(hotline, "kita.stern", "Neue Formulare für Lernmittel")

    merged = texts(await hotline.say(LEAD, "/zusammenfuehren 1 2"))
    assert "Vorschlag Nr. 2 ist jetzt Teil von Nr. 1." in merged
    assert "zusammengeführt" in texts(await hotline.dm("schule.mond"))
    listing = texts(await hotline.say(LEAD, "/themen"))
    assert "Nr. 1 " in listing and "zusammengeführt mit 1 weiteren" in listing
    assert "Nr. 2 " not in listing and "Nr. 3 " in listing

    scheduled = texts(await hotline.say(LEAD, "/vormerken 1"))
    assert "2 Personen, die ihn vorgeschlagen haben, sind informiert" in scheduled
    for proposer in ("schule.sonne", "schule.mond"):
        told = texts(await hotline.dm(proposer))
        assert "Tagesordnung des nächsten Runden Tischs" in told
        assert "Fristen beim Jahresabschluss besprechen" in told
    assert "Runden Tischs" not in texts(await hotline.dm("kita.stern"))
    assert "vorgemerkt" in texts(await hotline.say(LEAD, "/themen"))

    async with hotline.sessions() as session:
        rows = (await session.scalars(select(ProposalRow).order_by(ProposalRow.id))).all()
        audit = (await session.scalars(select(AuditLogRow.action))).all()
    assert [(row.status, row.merged_into) for row in rows] == [
        ("scheduled", None),
        ("merged", 1),
        ("open", None),
    ]
    assert {"proposal_merge", "proposal_schedule"} <= set(audit)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("/zusammenfuehren 1 1", "zwei verschiedene offene Vorschläge"),
        ("/zusammenfuehren 1 9", "Einen Vorschlag Nr. 9 gibt es nicht."),
        ("/zusammenfuehren 1", "So geht es"),
        ("/zusammenfuehren 1 zwei", "So geht es: /zusammenfuehren Nr. Nr."),
        ("/vormerken 7", "Einen Vorschlag Nr. 7 gibt es nicht."),
    ],
)
async def test_mistakes_are_answered_politely(hotline: Harness, text: str, expected: str) -> None:
    await propose(hotline, "schule.sonne", "Fristen beim Jahresabschluss besprechen")
    assert expected in texts(await hotline.say(LEAD, text))


async def test_only_leads_manage_the_round_table(hotline: Harness) -> None:
    await propose(hotline, "schule.sonne", "Fristen beim Jahresabschluss besprechen")
    refused = texts(await hotline.say("schule.sonne", "/vormerken 1"))
    assert "Abteilungsleitungen" in refused
