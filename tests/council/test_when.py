"""Typed dates and times in the establishment's zone, and reminder times across clock changes."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from bot.council import when

LONDON = ZoneInfo("Europe/London")
NOW = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # Monday 2 Nov 2026, 10:00 GMT


def read(text: str, now: datetime = NOW) -> when.Reading:
    return when.parse(text, now=now, zone=LONDON)


@pytest.mark.parametrize(
    "text",
    [
        "3 Dec 14:00",
        "3 December 14:00",
        "2026-12-03 14:00",
        "3/12/2026 14:00",
        "3/12 14.00",
        "14:00 3 Dec",
        "Dec 3 14:00",
        "3 Dec 2026 at 14:00",
        "3 Rhag 14:00",
        "3 Rhagfyr am 14:00",
        "3rd Dec, 14:00",
    ],
)
def test_the_ways_staff_type_a_date_all_mean_the_same_moment(text: str) -> None:
    reading = read(text)
    assert reading.ok, reading
    assert reading.moment == datetime(2026, 12, 3, 14, 0, tzinfo=UTC)  # GMT in December
    assert not reading.ambiguous


def test_summer_times_are_stored_in_utc() -> None:
    reading = read("2027-06-01 14:00")
    assert reading.moment == datetime(2027, 6, 1, 13, 0, tzinfo=UTC)


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("", when.UNREADABLE),
        ("tomorrow", when.UNREADABLE),
        ("3 Dec", when.UNREADABLE),
        ("3 Foo 14:00", when.UNREADABLE),
        ("3 Dec 14:00 15:00", when.UNREADABLE),
        ("x" * 500, when.UNREADABLE),
        ("31 Feb 14:00", when.NO_SUCH_DATE),
        ("2027-02-29 10:00", when.NO_SUCH_DATE),
        ("31/04/2027 10:00", when.NO_SUCH_DATE),
        ("3 Dec 25:00", when.NO_SUCH_TIME),
        ("3 Dec 14:61", when.NO_SUCH_TIME),
        ("2026-11-01 14:00", when.PAST),
        ("2 Nov 09:59", when.PAST),
        ("2030-01-01 10:00", when.TOO_FAR),
        ("2027-03-28 01:30", when.GAP),
    ],
)
def test_bad_dates_are_named(text: str, problem: str) -> None:
    reading = read(text)
    assert not reading.ok
    assert reading.problem == problem


def test_a_date_without_a_year_long_gone_means_next_year() -> None:
    assert read("5 Jan 10:00").moment == datetime(2027, 1, 5, 10, 0, tzinfo=UTC)
    # Last week is a mistake, not next year.
    assert read("26 Oct 10:00").problem == when.PAST


def test_the_autumn_hour_that_happens_twice_takes_the_first_and_says_so() -> None:
    reading = read("2027-10-31 01:30")
    assert reading.ok and reading.ambiguous
    # The first 01:30 is still summer time: 00:30 UTC.
    assert reading.moment == datetime(2027, 10, 31, 0, 30, tzinfo=UTC)


def test_the_spring_gap_is_refused_and_the_hour_after_is_fine() -> None:
    assert read("28 Mar 2027 01:59").problem == when.GAP
    after = read("28 Mar 2027 02:00")
    assert after.ok and after.moment == datetime(2027, 3, 28, 1, 0, tzinfo=UTC)


def test_day_reminders_keep_the_wall_clock_across_the_clocks_going_back() -> None:
    # Monday 26 Oct 2026 10:00 GMT; the clocks went back on Sunday 25 Oct.
    start = datetime(2026, 10, 26, 10, 0, tzinfo=UTC)
    day_before = when.reminder_due(start, timedelta(days=1), LONDON)
    assert day_before.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 25, 10, 0)
    week_before = when.reminder_due(start, timedelta(days=7), LONDON)
    assert week_before.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 19, 10, 0)
    assert week_before == datetime(2026, 10, 19, 9, 0, tzinfo=UTC)  # summer time then
    # Hour offsets are absolute.
    assert when.reminder_due(start, timedelta(hours=1), LONDON) == start - timedelta(hours=1)
    assert when.reminder_due(start, timedelta(hours=24), LONDON) == start - timedelta(hours=24)


def test_a_day_reminder_that_lands_in_the_spring_gap_goes_an_hour_later() -> None:
    start = datetime(2027, 3, 29, 0, 30, tzinfo=UTC)  # Monday 29 Mar 01:30 BST
    due = when.reminder_due(start, timedelta(days=1), LONDON)
    assert due.astimezone(LONDON).replace(tzinfo=None) == datetime(2027, 3, 28, 2, 30)


def test_due_dates() -> None:
    today = date(2026, 11, 2)
    assert when.parse_day("15 Jan", today=today).day == date(2027, 1, 15)
    assert when.parse_day("2026-12-01", today=today).day == date(2026, 12, 1)
    assert when.parse_day("2 Nov", today=today).day == today
    assert when.parse_day("31 Feb", today=today).problem == when.NO_SUCH_DATE
    assert when.parse_day("1 Nov 2026", today=today).problem == when.PAST
    assert when.parse_day("soon", today=today).problem == when.UNREADABLE
