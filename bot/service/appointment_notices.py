"""What appointments say: the proposal with a button per slot, the confirmation with its
calendar file, reminders, and the staff member's side. Pure functions of their inputs.

Buttons carry the appointment and the version they were shown for ("appt:pick:4:2:1":
appointment 4, proposal 2, slot 1; "appt:cancel:4:1": sequence 1), so a button of an older
proposal or appointment is stale and is answered as such.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from bot.config.model import OrgConfig
from bot.i18n import t
from bot.i18n.formatting import format_day
from bot.kernel.actions import ButtonAction, button
from bot.kernel.notices import Choice, FileData, Notice
from bot.service.appointment_ics import MIME, IcsEvent, appointment_uid, build_ics, file_name
from storage.models import AppointmentRow, TicketRow

VERB = "appt"
PICK, OTHER, MOVE, CANCEL = "pick", "other", "move", "cancel"
UID_DOMAIN = "hotline.invalid"  # no real host is claimed; the UID only has to be unique


def parse(action_id: str | None) -> ButtonAction | None:
    """An appointment button, or None for anything else."""
    pressed = None if action_id is None else ButtonAction.decode(action_id)
    if pressed is None or pressed.verb != VERB or not pressed.args:
        return None
    if not all(arg.isdecimal() and len(arg) < 19 for arg in pressed.args[1:]):
        return None
    return pressed


def slots_of(row: AppointmentRow) -> list[datetime]:
    """The proposed slots as aware datetimes."""
    return [datetime.fromisoformat(slot) for slot in row.slots]


def when(moment: datetime, locale: str, tz: ZoneInfo) -> str:
    """ "Montag, 14.12.2026, 10:00 Uhr" / "Monday, 14 December 2026, 10:00"."""
    local = moment.astimezone(tz)
    return t("appointment.at", locale, day=format_day(local.date(), locale), time=f"{local:%H:%M}")


def title(ticket: TicketRow, locale: str, *, staff: bool) -> str:
    """ "Termin zu Anliegen Nr. 12" (requester) / "Termin zu Ticket 12" (staff)."""
    return t("appointment_staff.title" if staff else "appointment.title", locale, id=ticket.id)


def link(config: OrgConfig, ticket: TicketRow, row: AppointmentRow) -> str | None:
    """The screen-sharing link from the team's template; None where none is configured."""
    template = config.team(ticket.team_id).screen_sharing_url
    if template is None:
        return None
    return template.format(appointment_id=row.id, ticket_id=ticket.id)


def proposal(config: OrgConfig, ticket: TicketRow, row: AppointmentRow) -> Notice:
    """To the requester: the slots as buttons (or their numbers), and "Andere Termine"."""
    loc, tz = ticket.requester_locale, ZoneInfo(config.calendar.timezone)
    team = config.team(ticket.team_id).shown_to_requesters(loc)
    choices = [
        Choice(button(VERB, PICK, row.id, row.proposal, index), when(slot, loc, tz))
        for index, slot in enumerate(slots_of(row))
    ]
    choices.append(
        Choice(button(VERB, OTHER, row.id, row.proposal), t("appointment.other_times", loc))
    )
    return Notice(
        title=t("appointment.title", loc, id=ticket.id),
        text=t("appointment.proposed", loc, id=ticket.id, team=team),
        choices=tuple(choices),
        ticket_id=ticket.id,
        channel_safe=False,
    )


def confirmation(
    config: OrgConfig, ticket: TicketRow, row: AppointmentRow, locale: str, *, staff: bool
) -> Notice:
    """The confirmed appointment, with "Verschieben" and "Absagen" (for this sequence)."""
    assert row.start_at is not None
    at = when(row.start_at, locale, ZoneInfo(config.calendar.timezone))
    key = "appointment_staff.confirmed" if staff else "appointment.confirmed"
    text = t(key, locale, id=ticket.id, when=at)
    url = link(config, ticket, row)
    if url is not None:
        text += "\n\n" + t("appointment.link", locale, url=url)
    return Notice(
        title=title(ticket, locale, staff=staff),
        text=text,
        choices=(
            Choice(button(VERB, MOVE, row.id, row.sequence), t("appointment.move", locale)),
            Choice(button(VERB, CANCEL, row.id, row.sequence), t("appointment.cancel", locale)),
        ),
        ticket_id=ticket.id,
        channel_safe=False,
    )


def calendar_file(
    config: OrgConfig,
    ticket: TicketRow,
    row: AppointmentRow,
    locale: str,
    now: datetime,
    *,
    cancelled: bool = False,
) -> Notice:
    """The .ics of the appointment as it is now (cancelled: METHOD:CANCEL), as a notice."""
    assert row.start_at is not None and row.end_at is not None
    tz = ZoneInfo(config.calendar.timezone)
    team = config.team(ticket.team_id).shown_to_requesters(locale)
    event = IcsEvent(
        uid=appointment_uid(row.id, UID_DOMAIN),
        sequence=row.sequence,
        start=row.start_at.astimezone(tz),
        end=row.end_at.astimezone(tz),
        summary=t("appointment.summary", locale, id=ticket.id),
        description=t("appointment.description", locale, id=ticket.id, team=team),
        organizer=team,
        organizer_email=config.email,
        stamp=now,
        location=link(config, ticket, row),
        cancelled=cancelled,
    )
    data = build_ics(event)
    return Notice(
        text=t("appointment.calendar_file", locale, id=ticket.id),
        file=FileData(data=data, mime=MIME, name=file_name(row.id, row.sequence)),
        ticket_id=ticket.id,
        channel_safe=False,
    )


def said(key: str, ticket: TicketRow, locale: str, **args: object) -> Notice:
    """A short message about the ticket's appointment (a staff key: titled "Ticket")."""
    return Notice(
        title=title(ticket, locale, staff=key.startswith("appointment_staff.")),
        text=t(key, locale, id=ticket.id, **args),
        ticket_id=ticket.id,
        channel_safe=False,
    )


def reminder_moments(
    start: datetime, calendar_day_before: datetime | None, now: datetime
) -> dict[str, datetime]:
    """When the reminders go: "day" (the working day before) and "soon" (15 minutes before);
    the ones already past are left out."""
    moments = {"soon": start - timedelta(minutes=15)}
    if calendar_day_before is not None:
        moments["day"] = calendar_day_before
    return {kind: at for kind, at in moments.items() if at > now}


def resolve_mention(ended: str | None, locale: str) -> str:
    """What the resolve confirmation adds about the ticket's appointment ("" if none)."""
    if ended is None:
        return ""
    if not ended:
        return " " + t("appointment_staff.resolve_withdrawn", locale)
    return " " + t("appointment_staff.resolve_cancelled", locale, when=ended)
