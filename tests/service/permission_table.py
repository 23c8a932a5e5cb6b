"""The expectation table of tests/service/test_permission_matrix.py: every command and
button x every role, written from the README and the concept, not from the permission code.
Kept apart so the test module stays readable and small."""

from __future__ import annotations

import re
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from bot.i18n import _catalogue
from dialogs.commands import SPECS
from tests.service import faq_support as fs
from tests.service import matrix_support as ms
from tests.service.matrix_support import Effect, Setup

Sessions = async_sessionmaker[AsyncSession]

# The roles, each a real person of bot/config/sample.yaml; the normal ticket is Haushalt's.
PEOPLE: dict[str, str] = {
    "requester": ms.REQUESTER,  # filed every ticket of the table
    "agent": ms.AGENT,  # Haushalt, not a lead
    "other_agent": "kred.novak",  # Kreditoren, not a lead
    "team_lead": "hh.schneider",  # leads Haushalt
    "other_lead": "kred.wagner",  # leads Kreditoren
    "department_lead": "leitung.meyer",  # level 3
    "complaint_manager": ms.COMPLAINT_MANAGER,  # Team BK member, not a lead, not an admin
    "admin": "bk.berger",  # leads Team BK, complaint manager and admin
}
ROLES = tuple(PEOPLE)

Y = "allowed"
STAFF = "error.staff_only"  # a requester tries a staff command
LEADS = "error.leads_only"  # a non-lead tries a lead command
TEAM = "error.not_allowed"  # staff, but not for this ticket (or workshop)
STAYS = "error.complaint_stays"  # complaints are not handed off, by anyone
OWN = "error.rate_own_only"  # only the requester rates
YOURS = "error.not_your_request"  # only the requester answers (/antwort N Text)
BK = "newsletter.bk_only"  # only Team BK and admins send newsletters
FL = "phone.first_level_only"  # only Team BK records calls (/telefon)
MGR = "relay.managers_only"  # only complaint managers forward complaints (/weiterleiten)
NYR = "relay.not_yours"  # only the team a complaint was forwarded to asks (/rueckfrage B-N)
RB = "faq.bk_only"  # only Team BK reviews FAQ proposals (/faqpruefen)
NOFAQ = "faq.no_complaint"  # a complaint never becomes an FAQ entry
HINT = "reply.staff_use_resolve"  # staff on the ticket who type /antwort: use /erledigt
HIDDEN = "hidden:"  # refused, but worded as for a number that does not exist (a complaint)
H_TEAM, H_OWN, H_YOURS = HIDDEN + TEAM, HIDDEN + OWN, HIDDEN + YOURS
REFUSALS = (STAFF, LEADS, TEAM, STAYS, OWN, YOURS, BK, HINT, H_TEAM, H_OWN, H_YOURS, FL, RB)
REFUSALS += (NOFAQ, MGR, NYR)

#            requester agent other_agent team_lead other_lead dep_lead compl_mgr admin
ALL = (Y, Y, Y, Y, Y, Y, Y, Y)
VIEW_N = (Y, Y, TEAM, Y, TEAM, Y, TEAM, Y)
VIEW_C = (Y, H_TEAM, H_TEAM, H_TEAM, H_TEAM, H_TEAM, Y, Y)
WORK_N = (STAFF, Y, TEAM, Y, TEAM, Y, TEAM, Y)
WORK_C = (STAFF, H_TEAM, H_TEAM, H_TEAM, H_TEAM, H_TEAM, Y, Y)
HANDOFF_C = (STAFF, H_TEAM, H_TEAM, H_TEAM, H_TEAM, H_TEAM, STAYS, STAYS)
REOPEN_N = (Y, Y, TEAM, Y, TEAM, Y, TEAM, Y)
REOPEN_C = (Y, H_TEAM, H_TEAM, H_TEAM, H_TEAM, H_TEAM, Y, Y)
RATE = (Y, OWN, OWN, OWN, OWN, OWN, OWN, OWN)
RATE_C = (Y, H_OWN, H_OWN, H_OWN, H_OWN, H_OWN, OWN, OWN)
REPLY_N = (Y, HINT, YOURS, HINT, YOURS, HINT, YOURS, HINT)
REPLY_C = (Y, H_YOURS, H_YOURS, H_YOURS, H_YOURS, H_YOURS, HINT, HINT)
LEADS_ONLY = (LEADS, LEADS, LEADS, Y, Y, Y, LEADS, Y)
OVERSIGHT = (LEADS, LEADS, LEADS, Y, Y, Y, Y, Y)
ACK_N = (LEADS, LEADS, LEADS, Y, TEAM, Y, TEAM, Y)
ACK_C = (LEADS, LEADS, LEADS, H_TEAM, H_TEAM, H_TEAM, Y, Y)
ANY_STAFF = (STAFF, Y, Y, Y, Y, Y, Y, Y)
TRAINERS = (STAFF, TEAM, TEAM, Y, Y, Y, Y, Y)  # Team BK (trainer, coordinator) and leads
SENDERS = (BK, BK, BK, BK, BK, BK, Y, Y)
CALLERS = (STAFF, FL, FL, FL, FL, FL, Y, Y)
FORWARDERS = (STAFF, MGR, MGR, MGR, MGR, MGR, Y, Y)
HAUSHALT_ASKS = (STAFF, Y, NYR, Y, NYR, NYR, NYR, NYR)  # forwarded to Haushalt
FAQ_C = (STAFF, H_TEAM, H_TEAM, H_TEAM, H_TEAM, H_TEAM, NOFAQ, NOFAQ)
REVIEWERS = (STAFF, RB, RB, RB, RB, RB, Y, Y)  # Team BK: the complaint manager and admin


def said(key: str, locale: str = "de") -> str:
    """The longest fixed part of a catalogue message (between its placeholders)."""
    stem = max(re.split(r"\{[^}]*\}", _catalogue()[key][locale]), key=len).strip()
    assert len(stem) >= 8, f"{key} has no distinctive fixed text"
    return stem


@dataclass(frozen=True)
class Row:
    """One command in one ticket set-up, and what each role in ROLES may do with it."""

    command: str  # the spec name in dialogs/commands.py
    text: str  # {t} ticket, {p} {q} proposals, {w} workshop
    setup: Setup
    expected: tuple[str, ...]
    answers: tuple[str, ...]  # an allowed answer contains one of these
    effect: Effect | None = None

    @property
    def id(self) -> str:
        """The parametrize id."""
        return self.text.split(" {", 1)[0] + (" complaint" if "_C" in self.setup_name else "")

    @property
    def setup_name(self) -> str:
        """The set-up's name (complaint set-ups end in _C)."""
        return getattr(self.setup, "__qualname__", "")


def complaint(state: str) -> Setup:
    """A complaint in `state`, one per role (named so that the row id says 'complaint')."""
    setup = ms.tickets(state, complaint=True)
    setup.__qualname__ = f"{state}_C"
    return setup


APPT_ASK = "bis zu drei Termine"  # appointment_staff.ask_slots
APPT_NONE = "kein Termin vereinbart"  # appointment.none
Q, C, R, E = ms.tickets("queued"), ms.tickets("claimed"), ms.tickets("resolved"), ms.tickets
ROWS: tuple[Row, ...] = (
    Row("help", "/hilfe", ms.nothing, ALL, (said("cmd.help"),)),
    Row("new", "/neu", ms.nothing, ALL, (said("intake.greeting"),)),
    Row("status", "/status {t}", Q, VIEW_N, (said("cmd.status_title"),)),
    Row("status", "/status {t}", complaint("queued"), VIEW_C, (said("cmd.status_title"),)),
    Row("mine", "/meine", Q, ALL, (said("cmd.mine_title"), said("cmd.mine_empty"))),
    Row("history", "/verlauf {t}", Q, VIEW_N, (said("cmd.history_title"),)),
    Row("history", "/verlauf {t}", complaint("queued"), VIEW_C, (said("cmd.history_title"),)),
    Row("cancel", "/abbrechen", ms.running_intake, ALL, (said("intake.cancelled"),)),
    Row("language", "/sprache en", ms.nothing, ALL, (said("cmd.language_ok", "en"),), ms.english),
    Row("complaint", "/beschwerde", ms.nothing, ALL, (said("intake.describe.complaint"),)),
    Row("idea", "/idee", ms.nothing, ALL, (said("intake.describe.idea"),)),
    Row("proposal", "/thema", ms.nothing, ALL, (said("intake.describe.round_table"),)),
    Row("proposals", "/themen", ms.two_proposals, LEADS_ONLY, (said("cmd.proposals_title"),)),
    Row(
        "merge",
        "/zusammenfuehren {p} {q}",
        ms.two_proposals,
        LEADS_ONLY,
        (said("cmd.merge_ok"),),
        ms.merged,
    ),
    Row(
        "schedule",
        "/vormerken {p}",
        ms.two_proposals,
        LEADS_ONLY,
        (said("cmd.schedule_ok_one"),),  # one proposer each
        ms.scheduled,
    ),
    Row("report", "/bericht", ms.nothing, LEADS_ONLY, (said("report.title"),)),
    Row(
        "escalations",
        "/eskalationen",
        E("escalated"),
        OVERSIGHT,
        (said("cmd.escalations_title"), said("cmd.escalations_empty")),
    ),
    Row(
        "overdue",
        "/ueberfaellig",
        Q,
        OVERSIGHT,
        (said("cmd.overdue_title"), said("cmd.overdue_empty")),
    ),
    Row("ack", "/ack {t}", E("escalated"), ACK_N, (said("cmd.ack_ok"),), ms.acknowledged),
    Row("ack", "/ack {t}", complaint("escalated"), ACK_C, (said("cmd.ack_ok"),), ms.acknowledged),
    Row("queue", "/queue", Q, ANY_STAFF, (said("cmd.queue_title"), said("cmd.queue_empty"))),
    Row("away", "/abwesend bis Freitag", ms.nothing, ANY_STAFF, (said("away.saved"),)),
    Row("hours", "/arbeitszeit Mo-Do 08:30-12:00", ms.nothing, ANY_STAFF, (said("hours.set"),)),
    Row("claim", "/claim {t}", Q, WORK_N, (said("cmd.claimed_ok"),), ms.claimed),
    Row("claim", "/claim {t}", complaint("queued"), WORK_C, (said("cmd.claimed_ok"),), ms.claimed),
    Row("unclaim", "/unclaim {t}", C, WORK_N, (said("cmd.unclaimed_ok"),), ms.unclaimed),
    Row(
        "unclaim",
        "/unclaim {t}",
        complaint("claimed"),
        WORK_C,
        (said("cmd.unclaimed_ok"),),
        ms.unclaimed,
    ),
    Row(
        "assign",
        "/zuweisen {t} Julia Weber Rückruf morgen",
        Q,
        WORK_N,
        (said("cmd.assign_ok"),),
        ms.assigned_to(ms.AGENT),
    ),
    Row(
        "assign",
        "/zuweisen {t} Deniz Yılmaz",
        complaint("queued"),
        WORK_C,
        (said("cmd.assign_ok"),),
        ms.assigned_to(ms.COMPLAINT_MANAGER),
    ),
    Row(
        "handoff",
        "/handoff {t} ccc passt nicht",
        C,
        WORK_N,
        (said("cmd.handoff_ok"),),
        ms.handed_off,
    ),
    Row("handoff", "/handoff {t} kreditoren bitte", complaint("claimed"), HANDOFF_C, ()),
    Row("ask", "/ask {t} Welche Kostenstelle?", C, WORK_N, (said("cmd.ask_ok"),), ms.asked),
    Row(
        "ask",
        "/ask {t} Wann genau war das?",
        complaint("claimed"),
        WORK_C,
        (said("cmd.ask_ok"),),
        ms.asked,
    ),
    Row("note", "/note {t} intern geprüft", C, WORK_N, (said("cmd.note_ok"),), ms.noted),
    Row(
        "note",
        "/note {t} intern geprüft",
        complaint("claimed"),
        WORK_C,
        (said("cmd.note_ok"),),
        ms.noted,
    ),
    Row("resolve", "/resolve {t} Mittel frei", C, WORK_N, (said("cmd.resolve_ok"),), ms.resolved),
    Row(
        "resolve",
        "/resolve {t} Wir bitten um Entschuldigung",
        complaint("claimed"),
        WORK_C,
        (said("cmd.resolve_ok"),),
        ms.resolved,
    ),
    Row("reopen", "/reopen {t} noch offen", R, REOPEN_N, (said("cmd.reopen_ok"),), ms.reopened),
    Row(
        "reopen",
        "/reopen {t} noch offen",
        complaint("resolved"),
        REOPEN_C,
        (said("cmd.reopen_ok"),),
        ms.reopened,
    ),
    Row("rate", "/bewertung {t} 4", R, RATE, (said("csat.thanks_ask_comment"),), ms.rated),
    Row(
        "rate",
        "/bewertung {t} 4",
        complaint("resolved"),
        RATE_C,
        (said("csat.thanks_ask_comment"),),
        ms.rated,
    ),
    Row("reply", "/antwort {t} Kostenstelle 4711", C, REPLY_N, (said("ticket.info_added"),)),
    Row(
        "reply",
        "/antwort {t} Kostenstelle 4711",
        complaint("claimed"),
        REPLY_C,
        (said("ticket.info_added"),),
    ),
    Row("workshops", "/workshops", ms.upcoming_workshop, ALL, (said("workshop.title"),)),
    Row(
        "enrol",
        "/anmelden {w}",
        ms.upcoming_workshop,
        ALL,
        (said("workshop.registered"),),
        ms.enrolled,
    ),
    Row(
        "unenrol",
        "/abmelden {w}",
        ms.my_upcoming_workshop,
        ALL,
        (said("workshop.cancelled"),),
        ms.unenrolled,
    ),
    Row(
        "participants",
        "/teilnehmer {w}",
        ms.my_upcoming_workshop,
        TRAINERS,
        (said("workshop.participants_title"),),
    ),
    Row(
        "workshop_feedback",
        "/rueckmeldungen {w}",
        ms.my_past_workshop,
        TRAINERS,
        (said("questionnaire.summary_title"),),
    ),
    Row(
        "questionnaire",
        "/fragebogen {w}",
        ms.my_past_workshop,
        ALL,
        (said("questionnaire.title"),),
    ),
    Row("newsletter", "/newsletter", ms.nothing, ALL, (said("newsletter.menu"),)),
    Row("newsletter", "/newsletter senden", ms.nothing, SENDERS, (said("newsletter.ask_groups"),)),
    Row("phone", "/telefon", ms.nothing, CALLERS, (said("phone.ask_caller"),)),
    Row(
        "relay",
        "/weiterleiten {t} haushalt Bitte Ablauf prüfen",
        complaint("claimed"),
        FORWARDERS,
        (said("relay.forwarded_ok"),),
        ms.forwarded,
    ),
    # {w}: the number of the complaint's pseudonym (B-{w}), forwarded to Haushalt
    Row(
        "relay_ask",
        "/rueckfrage B-{w} Wann genau war das?",
        ms.forwarded_complaint,
        HAUSHALT_ASKS,
        (said("relay.asked_ok"),),
        ms.asked,
    ),
    Row("faq", "/faq {t}", R, WORK_N, (said("faq.proposed"),), fs.proposed),
    Row("faq", "/faq {t}", complaint("resolved"), FAQ_C, ()),
    Row(
        "faq_review",
        "/faqpruefen {p} annehmen",
        fs.faq_proposal,
        REVIEWERS,
        (said("faq.accepted"),),
        fs.accepted,
    ),
    # /termin N: the team asks for slots, the requester reads that none is arranged yet
    Row("appointment", "/termin {t}", C, VIEW_N, (APPT_ASK, said("appointment.none"))),
    Row("appointment", "/termin {t}", complaint("claimed"), VIEW_C, (APPT_ASK, APPT_NONE)),
)


BUTTON = "button:"
PRESSABLE = {"status", "history", "ack", "claim", "unclaim", "reopen", "rate", "enrol"}
PRESSABLE |= {"unenrol", "participants", "workshop_feedback", "questionnaire"}


def as_button(row: Row) -> Row:
    """The same command as the button a card or survey offers ("claim:12", "rate:12:4")."""
    head = row.text.split()[0].removeprefix("/")
    number = "{w}" if "{w}" in row.text else "{t}"
    name = next(spec.name for spec in SPECS if head in spec.aliases)
    score = ":4" if name == "rate" else ""
    return replace(row, text=f"{BUTTON}{name}:{number}{score}")


# The card's "Weitergeben" (a private team picker, then the handoff) and "Erledigt" (asks
# for the answer): refused and allowed like /handoff and /resolve.
CARD_ROWS = (
    Row("handoff", f"{BUTTON}handoff:{{t}}", C, WORK_N, (said("card.pick_team"),)),
    Row("handoff", f"{BUTTON}handoff:{{t}}", complaint("claimed"), HANDOFF_C, ()),
    Row(
        "handoff",
        f"{BUTTON}handoff:{{t}}:ccc",
        C,
        WORK_N,
        (said("cmd.handoff_ok"),),
        ms.handed_off,
    ),
    Row("resolve", f"{BUTTON}resolve:{{t}}", C, WORK_N, (said("card.answer_prompt"),)),
    # The complaint card's "Weiterleiten": the teams to pick, then the forwarding.
    Row(
        "relay",
        f"{BUTTON}relay:{{t}}",
        complaint("claimed"),
        FORWARDERS,
        (said("relay.pick_team"),),
    ),
    Row(
        "relay",
        f"{BUTTON}relay:{{t}}:haushalt",
        complaint("claimed"),
        FORWARDERS,
        (said("relay.forwarded_ok"),),
        ms.forwarded,
    ),
    Row(
        "resolve",
        f"{BUTTON}resolve:{{t}}",
        complaint("claimed"),
        WORK_C,
        (said("card.answer_prompt"),),
    ),
)
CARD_ROWS += (  # the resolved card's "Als FAQ vorschlagen", the review card's "Annehmen"
    Row("faq", f"{BUTTON}faq:{{t}}", R, WORK_N, (said("faq.proposed"),), fs.proposed),
    Row(
        "faq_review",
        f"{BUTTON}faq_review:{{p}}:accept",
        fs.faq_proposal,
        REVIEWERS,
        (said("faq.accepted"),),
        fs.accepted,
    ),
)
BUTTON_ROWS = (
    *(as_button(row) for row in ROWS if row.command in PRESSABLE and "{" in row.text),
    *CARD_ROWS,
)
