"""The .ics ORGANIZER: the hotline's configured address (`organisation.email`), mailto: with
the team as CN; without one only a CONTACT with the team's name. Checked by parsing the
file with icalendar; the address is validated by check-config with key path and line."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import icalendar

from bot.config.loader import load_config
from bot.service.appointment_ics import IcsEvent, build_ics
from tests.unit.config_validate_support import assert_issue_at, issue_cases

BERLIN = ZoneInfo("Europe/Berlin")
OLD = "  email: hotline-finanzen@stadt.example"


def event(email: str | None) -> icalendar.Event:
    start = datetime(2026, 12, 1, 10, 0, tzinfo=BERLIN)
    data = build_ics(
        IcsEvent(
            uid="appointment-1@hotline.invalid",
            sequence=0,
            start=start,
            end=start + timedelta(minutes=30),
            summary="Termin",
            description="Termin zu Ihrem Anliegen Nr. 1",
            organizer="Budget / Haushalt",
            stamp=start - timedelta(days=1),
            organizer_email=email,
        )
    )
    return icalendar.Calendar.from_ical(data).walk("VEVENT")[0]


def test_a_configured_address_is_the_organizer_with_the_team_as_cn() -> None:
    vevent = event("hotline-finanzen@stadt.example")
    organizer = vevent["ORGANIZER"]
    assert str(organizer) == "mailto:hotline-finanzen@stadt.example"
    assert organizer.params["CN"] == "Budget / Haushalt"
    assert "CONTACT" not in vevent


def test_without_an_address_only_the_contact_name() -> None:
    vevent = event(None)
    assert "ORGANIZER" not in vevent
    assert str(vevent["CONTACT"]) == "Budget / Haushalt"


def test_the_sample_names_the_hotline_address() -> None:
    assert load_config(None).email == "hotline-finanzen@stadt.example"


CASES: list[tuple[str, str, str, str, str | None]] = [
    (OLD, "  email: Hotline Finanzen", "organisation.email", "expected one e-mail address", None),
    (OLD, "  email: mailto:a@b.example", "organisation.email", "expected one e-mail", None),
    (OLD, "  email: a@b.example, c@d.example", "organisation.email", "expected one e-mail", None),
    (OLD, "  email: 42", "organisation.email", "expected an e-mail address", None),
]


@issue_cases(CASES)
def test_a_wrong_address_is_named_with_path_and_line(
    tmp_path: Path, old: str, new: str, path: str, fragment: str, marker: str | None
) -> None:
    assert_issue_at(tmp_path, old, new, path, fragment, marker)
