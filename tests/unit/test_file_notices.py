"""A notice with a file (an appointment's .ics) on every platform: Matrix m.file, a Teams
attachment, the local chat's saved file; and through the outbox's JSON unchanged."""

from __future__ import annotations

from pathlib import Path

from adapters.local.render import render_text, save_file
from adapters.matrix import render as matrix
from adapters.teams import render as teams
from bot.kernel.notices import FileData, Notice

ICS = b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nEND:VCALENDAR\r\n"
NOTICE = Notice(
    text="Kalendereintrag zum Termin (Anliegen Nr. 12)",
    file=FileData(data=ICS, mime="text/calendar", name="termin-3-0.ics"),
    ticket_id=12,
    channel_safe=False,
)


def test_the_file_survives_the_outbox_json() -> None:
    assert Notice.from_json(NOTICE.to_json()) == NOTICE
    assert "file" not in Notice(text="x").to_json()


def test_matrix_sends_an_m_file_with_the_caption() -> None:
    content = matrix.media_content(NOTICE, NOTICE.file, {"url": "mxc://hs/abc"})  # type: ignore[arg-type]
    assert content["msgtype"] == "m.file"
    assert content["filename"] == "termin-3-0.ics"
    assert content["body"] == "Kalendereintrag zum Termin (Anliegen Nr. 12)"
    assert content["info"] == {"mimetype": "text/calendar", "size": len(ICS)}
    assert content["url"] == "mxc://hs/abc"


def test_teams_attaches_the_file_inline() -> None:
    activity = teams.activity(NOTICE)
    (attachment,) = activity["attachments"]
    assert attachment["contentType"] == "text/calendar"
    assert attachment["name"] == "termin-3-0.ics"
    assert attachment["contentUrl"].startswith("data:text/calendar;base64,")
    assert activity["text"] == "Kalendereintrag zum Termin (Anliegen Nr. 12)"
    assert not teams.is_plain(NOTICE)


def test_the_local_chat_names_and_saves_the_file(tmp_path: Path) -> None:
    assert "[termin-3-0.ics, 1 KB]" in render_text(NOTICE)
    saved = save_file(NOTICE, tmp_path / "files")
    assert saved == tmp_path / "files" / "termin-3-0.ics"
    assert saved.read_bytes() == ICS
    assert save_file(Notice(text="x"), tmp_path) is None
    sneaky = Notice(text="x", file=FileData(data=b"", mime="text/calendar", name="../x.ics"))
    assert save_file(sneaky, tmp_path / "f") == tmp_path / "f" / "x.ics"
