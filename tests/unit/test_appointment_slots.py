"""Reading the slots an agent types (dialogs/appointment_slots.py) and the .ics file
(bot/service/appointment_ics.py): pure, with a fixed clock."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import icalendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.config.loader import load_config
from bot.service.appointment_ics import IcsEvent, appointment_uid, build_ics
from bot.sla.calendar import calendar_for
from dialogs import appointment_dialog as dialog
from dialogs.appointment_slots import SlotProblem, read_slots

BERLIN = ZoneInfo("Europe/Berlin")
NOW = datetime(2026, 11, 30, 9, 0, tzinfo=BERLIN)  # Monday, 09:00
CALENDAR = calendar_for(load_config(None), "haushalt")


def at(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc]


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ("Di 10:00", [at(2026, 12, 1, 10, 0)]),
        ("Mo 10:00", [at(2026, 11, 30, 10, 0)]),  # today, still ahead
        ("Mo 8:45", [at(2026, 12, 7, 8, 45)]),  # today's has passed: next Monday
        ("15.12. 14:30", [at(2026, 12, 15, 14, 30)]),
        ("15.12.2026 14:30", [at(2026, 12, 15, 14, 30)]),
        ("morgen 9 Uhr", [at(2026, 12, 1, 9, 0)]),
        ("am Donnerstag um 13.15", [at(2026, 12, 3, 13, 15)]),
        (
            "Di 10:00, 2.12. 14:30; Do 9:00",
            [at(2026, 12, 1, 10), at(2026, 12, 2, 14, 30), at(2026, 12, 3, 9)],
        ),
        ("Di 10:00 und Di 10:00", [at(2026, 12, 1, 10, 0)]),  # once
        ("12.01. 10:00", [at(2027, 1, 12, 10, 0)]),  # a date already past: next year
    ],
)
def test_slots_are_read_in_berlin_time(typed: str, expected: list[datetime]) -> None:
    assert read_slots(typed, NOW, CALENDAR) == tuple(expected)


@pytest.mark.parametrize(
    ("typed", "key"),
    [
        ("", "appointment.slots_missing"),
        ("Di 10:00, Mi 10:00, Do 10:00, Fr 10:00", "appointment.too_many_slots"),
        ("irgendwann", "appointment.slot_unreadable"),
        ("31.02. 10:00", "appointment.slot_unreadable"),
        ("Di 25:00", "appointment.slot_unreadable"),
        ("Mo 08:00", "appointment.slot_outside_hours"),  # next Monday, before opening
        ("Di 12:15", "appointment.slot_outside_hours"),  # lunch break
        ("Di 11:45", "appointment.slot_outside_hours"),  # 30 minutes do not fit before 12:00
        ("Sa 10:00", "appointment.slot_outside_hours"),
        ("Fr 13:00", "appointment.slot_outside_hours"),  # Friday closes at noon
        ("25.12. 10:00", "appointment.slot_outside_hours"),  # a public holiday
        ("30.11.2026 08:45", "appointment.slot_past"),
    ],
)
def test_slots_that_cannot_be_offered_say_why(typed: str, key: str) -> None:
    problem = read_slots(typed, NOW, CALENDAR)
    assert isinstance(problem, SlotProblem) and problem.key == key


def test_the_dialog_asks_again_with_the_reason_and_proposes_when_fine() -> None:
    asked = dialog.start(12, "de")
    assert asked.asked == dialog.SlotsAsked(12) and "bis zu drei" in asked.notices[0].text
    again = dialog.step(dialog.SlotsAsked(12), "Sa 10:00", NOW, CALENDAR, "de")
    assert again.asked == dialog.SlotsAsked(12) and again.effect is None
    assert "außerhalb der Sprechzeiten" in again.notices[0].text
    done = dialog.step(dialog.SlotsAsked(12), "Di 10:00", NOW, CALENDAR, "de")
    assert done.asked is None and done.effect == dialog.Propose(12, (at(2026, 12, 1, 10),))
    over = dialog.step(dialog.SlotsAsked(12), "abbrechen", NOW, CALENDAR, "de")
    assert over.asked is None and over.effect is None
    assert dialog.SlotsAsked.from_state({"ticket": True}) is None
    assert dialog.SlotsAsked.from_state({"ticket": 3}) == dialog.SlotsAsked(3)


def _event(start: datetime, sequence: int, *, cancelled: bool = False) -> IcsEvent:
    return IcsEvent(
        uid=appointment_uid(7, "hotline.invalid"),
        sequence=sequence,
        start=start,
        end=start + timedelta(minutes=30),
        summary="Termin Hotline Finanzen (Anliegen Nr. 12)",
        description="Termin zu Ihrem Anliegen Nr. 12.",
        organizer="Budget / Haushalt",
        stamp=NOW,
        location=None,
        cancelled=cancelled,
    )


FIRST = datetime(2026, 1, 1)  # noqa: DTZ001 (hypothesis takes naive bounds)


@settings(max_examples=60, deadline=None)
@given(
    # daytime wall-clock moments (appointments lie in office hours, never in a DST gap)
    start=st.datetimes(min_value=FIRST, max_value=FIRST.replace(year=2030)).map(
        lambda naive: naive.replace(
            hour=7 + naive.hour % 12, second=0, microsecond=0, tzinfo=BERLIN
        )
    ),
    sequence=st.integers(min_value=0, max_value=50),
    cancelled=st.booleans(),
)
def test_the_ics_round_trips_to_the_same_instant_uid_and_sequence(
    start: datetime, sequence: int, cancelled: bool
) -> None:
    """Whatever the moment (summer or winter time), a calendar program reading the file gets
    the same instant in Europe/Berlin, the UID, the sequence and the method."""
    parsed = icalendar.Calendar.from_ical(build_ics(_event(start, sequence, cancelled=cancelled)))
    event = parsed.walk("VEVENT")[0]
    assert event.decoded("DTSTART").astimezone(UTC) == start.astimezone(UTC)
    assert event["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert [tz["TZID"] for tz in parsed.walk("VTIMEZONE")] == ["Europe/Berlin"]
    assert str(event["UID"]) == "appointment-7@hotline.invalid"
    assert int(event["SEQUENCE"]) == sequence
    assert parsed["METHOD"] == ("CANCEL" if cancelled else "REQUEST")
    assert str(event["STATUS"]) == ("CANCELLED" if cancelled else "CONFIRMED")


def test_the_vtimezone_names_summer_and_winter_offsets() -> None:
    text = build_ics(_event(at(2026, 7, 1, 10, 0), 0)).decode()
    assert "DTSTART;TZID=Europe/Berlin:20260701T100000" in text
    assert "TZOFFSETTO:+0200" in text and "TZOFFSETTO:+0100" in text


DAYS = ["Mo", "Di", "Mi", "Do", "Fr", "Sa", "So", "heute", "morgen", "übermorgen"]


@settings(max_examples=300, deadline=None)
@given(
    day=st.one_of(
        st.sampled_from(DAYS),
        st.builds(lambda d, m: f"{d}.{m}.", st.integers(1, 31), st.integers(1, 12)),
    ),
    hour=st.integers(0, 23),
    minute=st.sampled_from([0, 5, 15, 30, 45, 59]),
    now=st.datetimes(min_value=FIRST, max_value=FIRST.replace(year=2027)).map(
        lambda naive: naive.replace(tzinfo=BERLIN)
    ),
)
def test_every_accepted_slot_is_ahead_and_fits_one_office_block(
    day: str, hour: int, minute: int, now: datetime
) -> None:
    """Whatever is typed: a slot the reader accepts lies after `now`, within a year, at the
    typed wall-clock time, and all of its 30 minutes inside one office-hours block."""
    read = read_slots(f"{day} {hour}:{minute:02d}", now, CALENDAR)
    if isinstance(read, SlotProblem):
        return
    (slot,) = read
    assert now < slot <= now + timedelta(days=367)
    assert (slot.hour, slot.minute) == (hour, minute) and slot.tzinfo == BERLIN
    blocks = CALENDAR.office_intervals(slot.date())
    assert any(opens <= slot and slot + timedelta(minutes=30) <= closes for opens, closes in blocks)
