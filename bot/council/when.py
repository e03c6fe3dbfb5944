"""Dates and times typed by staff, read in the establishment's zone.

Accepted: `3 Dec 14:00`, `3 December 2026 14:00`, `2026-12-03 14:00`, `3/12/2026 14:00`,
`3/12 14:00`, the time first or last, `14.00` for `14:00`, month names in English or Welsh.
Without a year the date is this year, or next year when this year's date is more than
RECENT_PAST ago (so `5 Jan` typed in December means next January, but yesterday is "past").

The clocks change twice a year. A wall time in the spring-forward gap does not exist: refused.
A wall time in the autumn hour that happens twice is ambiguous: the FIRST one (summer time) is
used, and the result says so, so the confirm message can tell staff (see docs/MEETINGS.md).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

# A date without a year that was this long ago or less is "in the past", not next year's.
RECENT_PAST = timedelta(days=60)
# Meetings further ahead than this are almost always a typing mistake.
FURTHEST = timedelta(days=2 * 366)

_MONTHS = (
    ("january", "ionawr"),
    ("february", "chwefror"),
    ("march", "mawrth"),
    ("april", "ebrill"),
    ("may", "mai"),
    ("june", "mehefin"),
    ("july", "gorffennaf"),
    ("august", "awst"),
    ("september", "medi"),
    ("october", "hydref"),
    ("november", "tachwedd"),
    ("december", "rhagfyr"),
)
_TIME = re.compile(r"(?<![\d/.:-])(\d{1,2})[:.](\d{2})(?![\d/.:-])")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_SLASHED = re.compile(r"^(\d{1,2})/(\d{1,2})(?:/(\d{2}|\d{4}))?$")
_FILLER = {"at", "am", "on", "ar", ","}


class Problem(StrEnum):
    """Why a typed date or time cannot be used."""

    UNREADABLE = "unreadable"
    NO_SUCH_DATE = "no_such_date"
    NO_SUCH_TIME = "no_such_time"
    PAST = "past"
    GAP = "gap"
    TOO_FAR = "too_far"


UNREADABLE, NO_SUCH_DATE, NO_SUCH_TIME = (
    Problem.UNREADABLE,
    Problem.NO_SUCH_DATE,
    Problem.NO_SUCH_TIME,
)
PAST, GAP, TOO_FAR = Problem.PAST, Problem.GAP, Problem.TOO_FAR


@dataclass(frozen=True)
class Reading:
    """A typed moment: `moment` (UTC) when it could be used, else `problem` says why not.
    `ambiguous` marks the autumn hour that happens twice (the first one was taken)."""

    moment: datetime | None = None
    problem: Problem | None = None
    ambiguous: bool = False

    @property
    def ok(self) -> bool:
        return self.moment is not None and self.problem is None


def month_number(word: str) -> int | None:
    word = word.casefold().rstrip(".")
    if len(word) < 3:
        return None
    found = {
        number
        for number, names in enumerate(_MONTHS, start=1)
        for name in names
        if name.startswith(word)
    }
    return found.pop() if len(found) == 1 else None


def local_moment(day: date, wall: time, zone: ZoneInfo) -> Reading:
    """A wall-clock date and time in the zone: refused in the spring gap, first of two in autumn."""
    first = datetime.combine(day, wall, tzinfo=zone)  # fold=0: the first of two, in autumn
    back = first.astimezone(UTC).astimezone(zone)
    if back.replace(tzinfo=None) != first.replace(tzinfo=None):
        return Reading(problem=GAP)
    ambiguous = first.utcoffset() != first.replace(fold=1).utcoffset()
    return Reading(moment=first.astimezone(UTC), ambiguous=ambiguous)


# Days by name, in both languages: "today 19:54", "heddiw 19:54", "tomorrow 10:00".
_RELATIVE_DAYS = {"today": 0, "heddiw": 0, "tomorrow": 1, "yfory": 1}


def _date_part(words: list[str], today: date) -> tuple[int | None, int, int] | Problem:
    """(year or None, month, day), or a problem."""
    if len(words) == 1 and words[0].casefold() in _RELATIVE_DAYS:
        day = today + timedelta(days=_RELATIVE_DAYS[words[0].casefold()])
        return day.year, day.month, day.day
    text = " ".join(words)
    if match := _ISO.match(text):
        return int(match.group(1)), int(match.group(2)), int(match.group(3))
    if match := _SLASHED.match(text):
        typed = match.group(3)
        full = None if typed is None else int(typed) + (2000 if len(typed) == 2 else 0)
        return full, int(match.group(2)), int(match.group(1))
    if len(words) in (2, 3):
        day_word, month_word = words[0], words[1]
        if not day_word.isdigit() and month_word.isdigit():
            day_word, month_word = month_word, day_word  # "Dec 3"
        day_word = re.sub(r"(st|nd|rd|th|af|ed|fed|ydd)$", "", day_word.casefold())
        month = month_number(month_word)
        if not day_word.isdigit() or month is None:
            return UNREADABLE
        year: int | None = None
        if len(words) == 3:
            if not re.fullmatch(r"\d{4}", words[2]):
                return UNREADABLE
            year = int(words[2])
        return year, month, int(day_word)
    return UNREADABLE


def parse(text: str | None, *, now: datetime, zone: ZoneInfo) -> Reading:
    raw = (text or "").strip()
    if not raw or len(raw) > 60:
        return Reading(problem=UNREADABLE)
    times = list(_TIME.finditer(raw))
    if len(times) != 1:
        return Reading(problem=UNREADABLE)
    found = times[0]
    hour, minute = int(found.group(1)), int(found.group(2))
    rest = (raw[: found.start()] + " " + raw[found.end() :]).replace(",", " ")
    words = [w for w in rest.split() if w.casefold() not in _FILLER]
    today = now.astimezone(zone).date()
    part = _date_part(words, today)
    if isinstance(part, Problem):
        return Reading(problem=part)
    year, month, day_number = part
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return Reading(problem=NO_SUCH_TIME)
    wall = time(hour, minute)
    try:
        day = date(year or today.year, month, day_number)
    except ValueError:
        # 31 February, or 29 February in a year without it.
        if year is None and month == 2 and day_number == 29:
            try:
                day = date(today.year + 1, month, day_number)
            except ValueError:
                return Reading(problem=NO_SUCH_DATE)
        else:
            return Reading(problem=NO_SUCH_DATE)
    if year is None:
        guess = local_moment(day, wall, zone)
        if guess.moment is not None and now - guess.moment > RECENT_PAST:
            try:
                day = day.replace(year=day.year + 1)
            except ValueError:
                return Reading(problem=NO_SUCH_DATE)
    return check_future(local_moment(day, wall, zone), now=now)


def check_future(reading: Reading, *, now: datetime) -> Reading:
    if reading.moment is None:
        return reading
    if reading.moment <= now:
        return Reading(problem=PAST)
    if reading.moment - now > FURTHEST:
        return Reading(problem=TOO_FAR)
    return reading


def reminder_due(starts_at: datetime, offset: timedelta, zone: ZoneInfo) -> datetime:
    """When to remind. Whole-day offsets keep the wall-clock time across a clock change (a 10:00
    meeting is reminded at 10:00 local the day before); shorter offsets are absolute."""
    if offset % timedelta(days=1) == timedelta(0):
        local = starts_at.astimezone(zone)
        day = local.date() - timedelta(days=offset.days)
        reading = local_moment(day, local.time().replace(tzinfo=None, fold=0), zone)
        if reading.moment is not None:
            return reading.moment
        # The same wall time does not exist that day (spring gap): an hour later, as clocks do.
        shifted = datetime.combine(day, local.time().replace(tzinfo=None), tzinfo=zone)
        return shifted.astimezone(UTC)
    return starts_at - offset


# Every problem parse_day can report.
DAY_PROBLEMS = (Problem.UNREADABLE, Problem.NO_SUCH_DATE, Problem.PAST, Problem.TOO_FAR)


@dataclass(frozen=True)
class DayReading:
    day: date | None = None
    problem: Problem | None = None


def parse_day(text: str | None, *, today: date) -> DayReading:
    """A date without a time (a due date): today or later, within FURTHEST."""
    words = [w for w in (text or "").replace(",", " ").split() if w.casefold() not in _FILLER]
    if not words or len(" ".join(words)) > 40:
        return DayReading(problem=UNREADABLE)
    part = _date_part(words, today)
    if isinstance(part, Problem):
        return DayReading(problem=part)
    year, month, day_number = part
    try:
        day = date(year or today.year, month, day_number)
    except ValueError:
        return DayReading(problem=NO_SUCH_DATE)
    if year is None and today - day > RECENT_PAST:
        day = day.replace(year=day.year + 1) if (month, day_number) != (2, 29) else day
    if day < today:
        return DayReading(problem=PAST)
    if day - today > FURTHEST:
        return DayReading(problem=TOO_FAR)
    return DayReading(day=day)
