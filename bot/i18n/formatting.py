"""Dates and deadlines in plain words ("Dienstag, 28.12.2026, 15:30 Uhr")."""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from bot.i18n import normalise_locale

_WEEKDAYS = {
    "de": ("Montag", "Dienstag", "Mittwoch", "Donnerstag", "Freitag", "Samstag", "Sonntag"),
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
}

# Not strftime("%B"): that follows the process locale (LC_TIME) and could print "Dezember".
_MONTHS_EN = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_deadline(moment: datetime, locale: str, tz: ZoneInfo, now: datetime) -> str:
    """A deadline as a person would say it: "heute, 15:30 Uhr", "morgen, Dienstag, 15:30 Uhr",
    "Dienstag, 01.12.2026, 15:30 Uhr" (English: "tomorrow, Tuesday, 15:30")."""
    lang = normalise_locale(locale)
    local = moment.astimezone(tz)
    days_ahead = (local.date() - now.astimezone(tz).date()).days
    weekday = _WEEKDAYS[lang][local.weekday()]
    clock = local.strftime("%H:%M")
    if lang == "de":
        date_text = local.strftime("%d.%m.%Y")
        day = {0: "heute", 1: f"morgen, {weekday}"}.get(days_ahead, f"{weekday}, {date_text}")
        return f"{day}, {clock} Uhr"
    date_text = f"{local.day} {_MONTHS_EN[local.month - 1]} {local.year}"
    day = {0: "today", 1: f"tomorrow, {weekday}"}.get(days_ahead, f"{weekday}, {date_text}")
    return f"{day}, {clock}"


def format_moment(moment: datetime, locale: str, tz: ZoneInfo) -> str:
    """A past instant for lists and audit trails: 27.11.2026 14:05 / 2026-11-27 14:05."""
    local = moment.astimezone(tz)
    if normalise_locale(locale) == "de":
        return local.strftime("%d.%m.%Y %H:%M")
    return local.strftime("%Y-%m-%d %H:%M")


def format_day(day: date, locale: str) -> str:
    """A day as a person would write it: "Freitag, 18.12.2026" / "Friday, 18 December 2026"."""
    lang = normalise_locale(locale)
    weekday = _WEEKDAYS[lang][day.weekday()]
    if lang == "de":
        return f"{weekday}, {day.strftime('%d.%m.%Y')}"
    return f"{weekday}, {day.day} {_MONTHS_EN[day.month - 1]} {day.year}"
