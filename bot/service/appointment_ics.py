"""The iCalendar file (.ics) of an appointment, built with the `icalendar` library.

One UID per appointment for its whole life: the confirmation and every reschedule are
METHOD:REQUEST with a higher SEQUENCE, a cancellation is METHOD:CANCEL with the same UID,
so calendar programs update or remove the one entry they already have. With the hotline's
address configured (`organisation.email`) the file names it as ORGANIZER (mailto:, with the
team as CN); without it only a CONTACT with the team's name. Times carry the
team calendar's zone (TZID=Europe/Berlin) with its VTIMEZONE, so the entry stays at 10:00
local time across a daylight-saving change.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from icalendar import Calendar, Event, vCalAddress, vText

PRODID = "-//Hotline Finanzen//Termine//DE"
MIME = "text/calendar"


@dataclass(frozen=True)
class IcsEvent:
    """What the file says: the appointment's identity, time and words."""

    uid: str
    sequence: int
    start: datetime  # aware, in the zone the file names
    end: datetime
    summary: str
    description: str
    organizer: str  # the team's name, shown as the organiser
    stamp: datetime
    location: str | None = None  # the screen-sharing link, where one is configured
    cancelled: bool = False
    organizer_email: str | None = None  # the hotline's configured address; never invented


def appointment_uid(appointment_id: int, domain: str) -> str:
    """The appointment's UID: stable for its whole life."""
    return f"appointment-{appointment_id}@{domain}"


def build_ics(event: IcsEvent) -> bytes:
    """The .ics bytes: a VCALENDAR with one VEVENT and the VTIMEZONE of its zone."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "CANCEL" if event.cancelled else "REQUEST")
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("sequence", event.sequence)
    vevent.add("dtstamp", event.stamp.astimezone(UTC))
    vevent.add("dtstart", event.start)
    vevent.add("dtend", event.end)
    vevent.add("summary", event.summary)
    vevent.add("description", event.description)
    if event.organizer_email:  # ORGANIZER needs an address: only a configured one
        organizer = vCalAddress(f"mailto:{event.organizer_email}")
        organizer.params["cn"] = vText(event.organizer)
        vevent.add("organizer", organizer)
    else:
        vevent.add("contact", event.organizer)  # a name only: no mail address is invented
    vevent.add("status", "CANCELLED" if event.cancelled else "CONFIRMED")
    if event.location:
        vevent.add("location", event.location)
        vevent.add("url", event.location)
    calendar.add_component(vevent)
    # the zone's rules around the appointment only: a small file, the same local times
    calendar.add_missing_timezones(
        first_date=event.start.date() - timedelta(days=366), last_date=event.end.date()
    )
    return bytes(calendar.to_ical())


def file_name(appointment_id: int, sequence: int) -> str:
    """The attachment's name: one per version, so a client never shows an older one."""
    return f"termin-{appointment_id}-{sequence}.ics"
