"""Durations as written in the config: parsing, formatting, round trips, bad input."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.config.durations import format_duration, parse_duration


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2h", timedelta(hours=2)),
        ("30m", timedelta(minutes=30)),
        ("45s", timedelta(seconds=45)),
        ("1h30m", timedelta(hours=1, minutes=30)),
        ("16h", timedelta(hours=16)),
        ("1h2m3s", timedelta(hours=1, minutes=2, seconds=3)),
        ("90m", timedelta(minutes=90)),
        ("-2h", timedelta(hours=-2)),
        ("0", timedelta(0)),
        (" 1h 30m ", timedelta(hours=1, minutes=30)),
        ("2H", timedelta(hours=2)),
    ],
)
def test_parse_duration(text: str, expected: timedelta) -> None:
    assert parse_duration(text) == expected


@pytest.mark.parametrize(
    "text", ["", "h", "2", "1.5h", "2d", "30m1h", "1h1h", "--2h", "2 hours", "abc", "0h-5m"]
)
def test_parse_duration_rejects_bad_strings(text: str) -> None:
    with pytest.raises(ValueError, match="duration"):
        parse_duration(text)


def test_parse_duration_rejects_non_strings() -> None:
    with pytest.raises(ValueError, match="duration string"):
        parse_duration(2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("delta", "text"),
    [
        (timedelta(hours=1, minutes=30), "1h30m"),
        (timedelta(hours=16), "16h"),
        (timedelta(seconds=45), "45s"),
        (timedelta(days=2), "48h"),
        (timedelta(hours=-2), "-2h"),
        (timedelta(0), "0"),
        (timedelta(hours=1, seconds=5), "1h5s"),
    ],
)
def test_format_duration(delta: timedelta, text: str) -> None:
    assert format_duration(delta) == text
    assert parse_duration(text) == delta


@pytest.mark.parametrize("seconds", [0, 1, 59, 60, 61, 3599, 3600, 3661, 86400, 123456, -5400])
def test_round_trip(seconds: int) -> None:
    delta = timedelta(seconds=seconds)
    assert parse_duration(format_duration(delta)) == delta


def test_format_rejects_fractions_of_a_second() -> None:
    with pytest.raises(ValueError, match="fractions"):
        format_duration(timedelta(milliseconds=1500))
