"""The evidence report for one month: figures, CSV files and PNG charts. See docs/REPORTS.md.

Counts only. Any count below settings.report_min_cell is shown as "<N" (N the minimum), and when
exactly one count in a column is hidden, the next smallest is hidden too, so a total cannot give
it away. Medians, shares and turnout over fewer than the minimum are not shown at all.
The charts and CSV files are drawn in bot/documents/reports.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

from bot import i18n
from bot.config import Settings
from bot.council import roles
from bot.council.access import Person
from bot.council.clock import Clock
from bot.council.roles import NotAllowed
from storage import reports as store
from storage.db import Tx

READERS = roles.READERS  # staff, admin and the observer (read-only)
# Phones show a few bars well; the CSV has every row.
_MONTH = re.compile(r"^\s*(\d{4})-(\d{1,2})\s*$")


def may_read(person: Person) -> bool:
    return person.role in READERS


@dataclass(frozen=True)
class Month:
    year: int
    month: int

    @property
    def label(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"

    def next(self) -> Month:
        return Month(self.year + (self.month == 12), self.month % 12 + 1)

    def bounds(self, settings: Settings) -> tuple[datetime, datetime]:
        """Start and end of the month in the establishment's zone (aware datetimes)."""
        zone = settings.establishment.timezone
        following = self.next()
        return (
            datetime(self.year, self.month, 1, tzinfo=zone),
            datetime(following.year, following.month, 1, tzinfo=zone),
        )

    def first_day(self) -> date:
        return date(self.year, self.month, 1)

    def shifted(self, months: int) -> Month:
        index = self.year * 12 + (self.month - 1) + months
        return Month(index // 12, index % 12 + 1)


def parse_month(text: str | None) -> Month | None:
    match = _MONTH.match(text or "")
    if not match:
        return None
    year, month = int(match.group(1)), int(match.group(2))
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        return None
    return Month(year, month)


def this_month(clock: Clock, settings: Settings) -> Month:
    local = clock.now().astimezone(settings.establishment.timezone)
    return Month(local.year, local.month)


def last_full_month(clock: Clock, settings: Settings) -> Month:
    local = clock.now().astimezone(settings.establishment.timezone)
    return Month(local.year - (local.month == 1), (local.month - 2) % 12 + 1)


def is_future(month: Month, clock: Clock, settings: Settings) -> bool:
    return month.bounds(settings)[0] > clock.now()


# --- the figures -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Breakdown:
    """Raised, resolved and still open, by one dimension (topic or wing ids)."""

    keys: list[str]
    raised: dict[str, int]
    resolved: dict[str, int]
    open: dict[str, int]


@dataclass(frozen=True)
class Spread:
    count: int
    median: float | None
    p90: float | None


@dataclass
class Report:
    month: Month
    made_at: datetime
    by_topic: Breakdown
    by_wing: Breakdown
    to_first_answer: Spread
    to_outcome: Spread
    raised_total: int
    with_outcome: int
    polls: list[store.PollTurnout] = field(default_factory=list)
    consultations: list[store.Participation] = field(default_factory=list)
    meetings: list[store.Attendance] = field(default_factory=list)

    @property
    def empty(self) -> bool:
        return not (
            sum(self.by_topic.raised.values())
            or sum(self.by_topic.resolved.values())
            or sum(self.by_topic.open.values())
            or self.to_first_answer.count
            or self.to_outcome.count
            or self.polls
            or self.consultations
            or self.meetings
        )


def percentile(values: list[float], q: float) -> float | None:
    """Linear interpolation between closest ranks (as numpy's default)."""
    if not values:
        return None
    ordered = sorted(values)
    position = q * (len(ordered) - 1)
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def spread(pairs: list[tuple[datetime, datetime]]) -> Spread:
    days = [(end - start).total_seconds() / 86400 for start, end in pairs]
    days = [max(0.0, d) for d in days]
    return Spread(len(days), percentile(days, 0.5), percentile(days, 0.9))


def _breakdown(cells: dict[str, list[store.Cell]], key: str, order: list[str]) -> Breakdown:
    totals: dict[str, dict[str, int]] = {}
    for measure, rows in cells.items():
        counts: dict[str, int] = {}
        for cell in rows:
            name = cell.topic if key == "topic" else cell.wing
            counts[name] = counts.get(name, 0) + cell.count
        totals[measure] = counts
    seen = {k for counts in totals.values() for k, v in counts.items() if v}
    keys = [k for k in order if k in seen] + sorted(seen - set(order))
    return Breakdown(keys, totals["raised"], totals["resolved"], totals["open"])


async def build(
    tx: Tx, clock: Clock, settings: Settings, *, viewer: Person | None, month: Month
) -> Report:
    """viewer None: the server console (python -m bot report)."""
    if viewer is not None and not may_read(viewer):
        raise NotAllowed(f"{viewer.role} may not read reports")
    start_at, end_at = month.bounds(settings)
    start, end = start_at, end_at
    now = clock.now()
    # "Still open" is at the month's end, or now for the month still running.
    open_end = min(end_at, now)
    cells = {
        "raised": await store.raised(tx, start, end),
        "resolved": await store.resolved(tx, start, end),
        "open": await store.open_at(tx, open_end),
    }
    raised_total, with_outcome = await store.with_outcome(tx, start, end)
    return Report(
        month=month,
        made_at=now,
        by_topic=_breakdown(cells, "topic", [t.id for t in settings.topics]),
        by_wing=_breakdown(cells, "wing", [w.id for w in settings.wings]),
        to_first_answer=spread(await store.first_answers(tx, start, end)),
        to_outcome=spread(await store.first_outcomes(tx, start, end)),
        raised_total=raised_total,
        with_outcome=with_outcome,
        polls=await store.poll_turnout(tx, start, end),
        consultations=await store.consultation_participation(tx, start, end),
        meetings=await store.meeting_attendance(tx, start, end, now),
    )


# --- small numbers -----------------------------------------------------------------------------


def hidden_mark(settings: Settings) -> str:
    return f"<{settings.report_min_cell}"


def suppress(values: list[int], minimum: int) -> list[int | None]:
    """None where a count must not be shown: below the minimum (zero is shown: it names nobody),
    plus the smallest other count when only one in the column would be hidden."""
    shown: list[int | None] = [None if 0 < v < minimum else v for v in values]
    hidden = [i for i, v in enumerate(shown) if v is None]
    if len(hidden) == 1:
        candidates = [i for i, v in enumerate(shown) if v]
        if candidates:
            smallest = min(candidates, key=lambda i: values[i])
            shown[smallest] = None
    return shown


def small(value: int, minimum: int) -> int | None:
    return None if 0 < value < minimum else value


def share_percent(part: int, whole: int, minimum: int) -> float | None:
    """A percentage that cannot give a withheld count away: None when the whole is small, or
    when the part or the rest (whole - part) is a small count, since either times the whole
    would recover it ("40% of 5" is 2)."""
    if whole < minimum or 0 < part < minimum or 0 < whole - part < minimum:
        return None
    return 100.0 * part / whole


@dataclass(frozen=True)
class Table:
    """A shown table: header ids and rows of text cells (counts already suppressed)."""

    name: str
    header: list[str]
    rows: list[list[str]]
    # Numbers for the chart: None where hidden.
    values: list[list[float | None]] = field(default_factory=list)


def _day(moment: datetime) -> str:
    """The UTC day of a moment, as the figures files have always written it."""
    return moment.astimezone(UTC).date().isoformat()


def _cell(value: int | float | None, mark: str, digits: int = 0) -> str:
    if value is None:
        return mark
    if isinstance(value, float):
        return f"{value:.{digits}f}"
    return str(value)


def _breakdown_table(
    report: Report, breakdown: Breakdown, name: str, label: Any, settings: Settings
) -> Table:
    minimum, mark = settings.report_min_cell, hidden_mark(settings)
    columns = [
        [breakdown.raised.get(k, 0) for k in breakdown.keys],
        [breakdown.resolved.get(k, 0) for k in breakdown.keys],
        [breakdown.open.get(k, 0) for k in breakdown.keys],
    ]
    shown = [suppress(column, minimum) for column in columns]
    totals = [small(sum(column), minimum) for column in columns]
    rows: list[list[str]] = []
    values: list[list[float | None]] = []
    for index, key in enumerate(breakdown.keys):
        cells = [shown[c][index] for c in range(3)]
        rows.append([key, label(key), *(_cell(v, mark) for v in cells)])
        values.append([None if v is None else float(v) for v in cells])
    rows.append(["all", label("all"), *(_cell(v, mark) for v in totals)])
    return Table(
        name, [name.split("_")[-1], "label", "raised", "resolved", "still_open"], rows, values
    )


def tables(report: Report, settings: Settings, lang: str) -> list[Table]:
    minimum, mark = settings.report_min_cell, hidden_mark(settings)

    def topic_label(key: str) -> str:
        if key == "all":
            return i18n.t(lang, "outcomes.report.all_topics")
        found = settings.topic(key)
        return found.label(lang) if found else key

    def wing_label(key: str) -> str:
        if key == "all":
            return i18n.t(lang, "outcomes.report.all_wings")
        found = settings.wing(key)
        return found.label(lang) if found else key

    out = [
        _breakdown_table(report, report.by_topic, "items_by_topic", topic_label, settings),
        _breakdown_table(report, report.by_wing, "items_by_wing", wing_label, settings),
    ]

    timing_rows: list[list[str]] = []
    timing_values: list[list[float | None]] = []
    for key, measured in (("first_answer", report.to_first_answer), ("outcome", report.to_outcome)):
        # Days are not people: show the real figures whenever there is one (issue 17). The
        # number of items behind them still follows the small-number rule.
        median = measured.median if measured.count else None
        p90 = measured.p90 if measured.count else None
        timing_rows.append(
            [
                key,
                _cell(small(measured.count, minimum), mark),
                _cell(median, mark, 1),
                _cell(p90, mark, 1),
            ]
        )
        timing_values.append([median, p90])
    share = share_percent(report.with_outcome, report.raised_total, minimum)
    timing_rows.append(
        [
            "share_with_outcome_percent",
            _cell(small(report.raised_total, minimum), mark),
            _cell(share, mark, 0),
            "",
        ]
    )
    out.append(
        Table(
            "timeliness",
            ["measure", "items", "median_days", "p90_days"],
            timing_rows,
            timing_values,
        )
    )

    poll_rows: list[list[str]] = []
    poll_values: list[list[float | None]] = []
    for poll in report.polls:
        ballots = small(poll.ballots, minimum)
        turnout = (
            100.0 * poll.ballots / poll.electorate
            if ballots is not None and poll.electorate
            else None
        )
        poll_rows.append(
            [
                str(poll.id),
                poll.question,
                poll.audience,
                poll.wing or "",
                _day(poll.closed_at),
                _cell(small(poll.electorate, minimum), mark),
                _cell(ballots, mark),
                _cell(turnout, mark, 0),
            ]
        )
        poll_values.append([turnout])
    out.append(
        Table(
            "poll_turnout",
            [
                "poll",
                "question",
                "audience",
                "wing",
                "closed",
                "electorate",
                "voted",
                "turnout_percent",
            ],
            poll_rows,
            poll_values,
        )
    )

    consult_rows: list[list[str]] = []
    consult_values: list[list[float | None]] = []
    for c in report.consultations:
        families, members = small(c.families, minimum), small(c.members, minimum)
        total = small(c.families + c.members, minimum)
        if (families is None) != (members is None) and total is not None:
            # One group hidden and the total shown would give it away: hide both groups.
            families = members = None
        consult_rows.append(
            [
                str(c.id),
                c.title,
                c.audience,
                _day(c.closed_at),
                _cell(families, mark),
                _cell(members, mark),
                _cell(total, mark),
            ]
        )
        consult_values.append([None if total is None else float(total)])
    out.append(
        Table(
            "consultation_participation",
            ["consultation", "title", "audience", "closed", "families", "members", "took_part"],
            consult_rows,
            consult_values,
        )
    )

    meeting_rows: list[list[str]] = []
    meeting_values: list[list[float | None]] = []
    for m in report.meetings:
        going, came = small(m.going, minimum), small(m.attended, minimum)
        meeting_rows.append(
            [str(m.id), m.title, m.kind, _day(m.starts_at), _cell(going, mark), _cell(came, mark)]
        )
        meeting_values.append(
            [None if going is None else float(going), None if came is None else float(came)]
        )
    out.append(
        Table(
            "meeting_attendance",
            ["meeting", "title", "kind", "date", "said_going", "attended"],
            meeting_rows,
            meeting_values,
        )
    )
    return out


def month_title(month: Month, lang: str) -> str:
    from babel.dates import format_date

    return str(format_date(month.first_day(), "MMMM y", locale=lang))


@dataclass(frozen=True)
class Summary:
    """The headline figures for the chat message (counts already suppressed)."""

    raised: str
    resolved: str
    open: str
    share: str


def summary(report: Report, settings: Settings) -> Summary:
    minimum, mark = settings.report_min_cell, hidden_mark(settings)
    percent = share_percent(report.with_outcome, report.raised_total, minimum)
    share = mark if percent is None else f"{percent:.0f}%"
    return Summary(
        raised=_cell(small(sum(report.by_topic.raised.values()), minimum), mark),
        resolved=_cell(small(sum(report.by_topic.resolved.values()), minimum), mark),
        open=_cell(small(sum(report.by_topic.open.values()), minimum), mark),
        share=share,
    )
