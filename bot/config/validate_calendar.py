"""Validate the `calendar` section: time zone, office hours, holidays, closure days."""

from __future__ import annotations

import re
from datetime import date, datetime
from itertools import pairwise
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import holidays

from bot.config.model import CalendarConfig, MonthDay, OfficeInterval
from bot.config.validate_base import Checker, known, parse_clock
from bot.config.yaml_lines import KeyPath

WEEKDAYS: tuple[str, ...] = (
    "monday",
    "tuesday",
    "wednesday",
    "thursday",
    "friday",
    "saturday",
    "sunday",
)
_INTERVAL = re.compile(r"\s*(\S+)\s*-\s*(\S+)\s*")
_MONTH_DAY = re.compile(r"(\d{2})-(\d{2})")
_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def check_calendar(ck: Checker, raw: object, path: KeyPath) -> CalendarConfig | None:
    """The calendar, or None when it has issues (all of them reported)."""
    start = len(ck.issues)
    node = ck.mapping(
        raw, path, required=("timezone", "office_hours", "holidays"), optional=("closure_days",)
    )
    if node is None:
        return None
    timezone = (
        _timezone(ck, node.get("timezone"), (*path, "timezone")) if "timezone" in node else None
    )
    hours = (
        _office_hours(ck, node["office_hours"], (*path, "office_hours"))
        if "office_hours" in node
        else None
    )
    region = _holidays(ck, node["holidays"], (*path, "holidays")) if "holidays" in node else None
    closures = closure_days(ck, node.get("closure_days"), (*path, "closure_days"), recurring=True)
    if len(ck.issues) > start or timezone is None or hours is None or region is None:
        return None
    country, subdivision, categories = region
    return CalendarConfig(
        timezone=timezone,
        office_hours=hours,
        holiday_country=country,
        holiday_subdivision=subdivision,
        holiday_categories=categories,
        closure_days=tuple(closures or ()),
    )


def _timezone(ck: Checker, raw: object, path: KeyPath) -> str | None:
    name = ck.string(raw, path, "an IANA time zone name like 'Europe/Berlin'")
    if name is None:
        return None
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        ck.report(path, f"unknown time zone {name!r}; use an IANA name like 'Europe/Berlin'")
        return None
    return name


def weekly_intervals(
    ck: Checker, raw: object, path: KeyPath
) -> dict[int, tuple[OfficeInterval, ...]] | None:
    """A mapping of weekday -> intervals in the office-hours form (also a person's hours)."""
    return _office_hours(ck, raw, path)


def _office_hours(
    ck: Checker, raw: object, path: KeyPath
) -> dict[int, tuple[OfficeInterval, ...]] | None:
    node = ck.mapping(
        raw, path, what="a mapping of weekday -> list of 'HH:MM-HH:MM'", check_keys=False
    )
    if node is None:
        return None
    result: dict[int, tuple[OfficeInterval, ...]] = {}
    ok = True
    for day_name, value in node.items():
        day_path = (*path, day_name)
        if day_name not in WEEKDAYS:
            ck.report(day_path, f"unknown weekday '{day_name}'; use {', '.join(WEEKDAYS)}")
            ok = False
            continue
        items = ck.optional_sequence(value, day_path, "a list of 'HH:MM-HH:MM' intervals")
        if items is None:
            ok = False
            continue
        intervals: list[tuple[int, OfficeInterval]] = []
        for index, item in enumerate(items):
            interval = _interval(ck, item, (*day_path, index))
            if interval is None:
                ok = False
            else:
                intervals.append((index, interval))
        ok = _check_overlaps(ck, intervals, day_path) and ok
        if intervals:
            result[WEEKDAYS.index(day_name)] = tuple(
                sorted((i for _, i in intervals), key=lambda i: i.start)
            )
    if ok and not result:
        ck.report(path, "no office hours at all; at least one weekday needs an interval")
        return None
    return result if ok else None


def _interval(ck: Checker, raw: object, path: KeyPath) -> OfficeInterval | None:
    if not isinstance(raw, str):
        ck.expect(raw, path, 'an interval like "08:30-12:00" (in quotes)')
        return None
    match = _INTERVAL.fullmatch(raw)
    start = parse_clock(match.group(1)) if match else None
    end = parse_clock(match.group(2)) if match else None
    if start is None or end is None:
        ck.report(path, f'invalid interval {raw!r}: expected "HH:MM-HH:MM", e.g. "08:30-12:00"')
        return None
    if end <= start:
        ck.report(path, f"office hours {raw!r} end before or when they start")
        return None
    return OfficeInterval(start=start, end=end)


def _check_overlaps(
    ck: Checker, intervals: list[tuple[int, OfficeInterval]], day_path: KeyPath
) -> bool:
    ordered = sorted(intervals, key=lambda pair: pair[1].start)
    ok = True
    for (_, earlier), (index, later) in pairwise(ordered):
        if later.start < earlier.end:
            ck.report(
                (*day_path, index),
                f"interval {later.start:%H:%M}-{later.end:%H:%M} overlaps "
                f"{earlier.start:%H:%M}-{earlier.end:%H:%M} on the same day",
            )
            ok = False
    return ok


def _holidays(
    ck: Checker, raw: object, path: KeyPath
) -> tuple[str, str | None, tuple[str, ...]] | None:
    node = ck.mapping(raw, path, required=("country",), optional=("subdivision", "categories"))
    if node is None or "country" not in node:
        return None
    country = ck.string(node["country"], (*path, "country"), "a country code like 'DE'")
    if country is None:
        return None
    supported = holidays.list_supported_countries(include_aliases=False)
    if country not in supported:
        ck.report(
            (*path, "country"), f"unknown holiday country {country!r}; use an ISO code like 'DE'"
        )
        return None
    entity = getattr(holidays, country)
    ok = True
    subdivision: str | None = None
    if node.get("subdivision") is not None:
        sub_path = (*path, "subdivision")
        subdivision = ck.string(node["subdivision"], sub_path, "a subdivision code like 'BY'")
        aliases = getattr(entity, "subdivisions_aliases", {}) or {}
        if subdivision is None:
            ok = False
        elif subdivision not in supported[country] and subdivision not in aliases:
            ck.report(
                sub_path,
                f"unknown subdivision {subdivision!r} for {country}; known: "
                f"{known(supported[country])}",
            )
            ok = False
    categories: list[str] = ["public"]
    if "categories" in node:
        cat_path = (*path, "categories")
        items = ck.sequence(node["categories"], cat_path, "a list of holiday categories")
        if items is None:
            return None
        supported_categories: tuple[str, ...] = tuple(entity.supported_categories)
        categories = []
        for index, item in enumerate(items):
            name = ck.string(item, (*cat_path, index), "a category name")
            if name is None:
                ok = False
            elif name not in supported_categories:
                ck.report(
                    (*cat_path, index),
                    f"unknown holiday category {name!r} for {country}; "
                    f"known: {known(supported_categories)}",
                )
                ok = False
            else:
                categories.append(name)
    return (country, subdivision, tuple(categories)) if ok else None


def closure_days(
    ck: Checker, raw: object, path: KeyPath, *, recurring: bool
) -> list[date | MonthDay] | None:
    """Closure days: "YYYY-MM-DD" dates, and "MM-DD" yearly days when `recurring`."""
    form = '"YYYY-MM-DD" or "MM-DD"' if recurring else '"YYYY-MM-DD"'
    items = ck.optional_sequence(raw, path, f"a list of dates {form}")
    if items is None:
        return None
    days: list[date | MonthDay] = []
    for index, item in enumerate(items):
        day = _closure_day(item, recurring)
        if day is None:
            ck.report((*path, index), f"invalid closure day {item!r}: expected {form}")
            continue
        days.append(day)
    return days if len(days) == len(items) else None


def _closure_day(raw: object, recurring: bool) -> date | MonthDay | None:
    if isinstance(raw, date) and not isinstance(raw, datetime):
        return raw  # YAML reads an unquoted 2025-12-24 as a date
    if not isinstance(raw, str):
        return None
    text = raw.strip()
    if _DATE.fullmatch(text):
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
    match = _MONTH_DAY.fullmatch(text)
    if not recurring or match is None:
        return None
    month, day = int(match.group(1)), int(match.group(2))
    try:
        date(2024, month, day)  # a leap year, so 02-29 is allowed
    except ValueError:
        return None
    return MonthDay(month=month, day=day)
