"""Read-only figures for the evidence report and a member's own record. Counts only: nothing
here reads a ballot choice, a consultation answer, or who raised a hidden-name item for anyone
but that person. Every query is bounded by a month [start, end) of aware datetimes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.db import Row, Tx

# Items that ended without an outcome of their own: declined, or merged into another.
_ENDED = "('declined','merged')"


@dataclass(frozen=True)
class Cell:
    """One count by topic and wing."""

    topic: str
    wing: str
    count: int


def _timed(row: Row, width: int, at: int) -> tuple[Any, ...]:
    """A row's first `width` columns, the one at `at` read as an aware datetime."""
    return tuple(from_db(row[i]) if i == at else row[i] for i in range(width))


async def _cells(tx: Tx, sql: str, params: tuple[object, ...]) -> list[Cell]:
    return [Cell(r[0], r[1], int(r[2])) for r in await tx.all(sql, params)]


async def raised(tx: Tx, start: datetime, end: datetime) -> list[Cell]:
    return await _cells(
        tx,
        "SELECT topic, wing, COUNT(*) FROM agenda_item INDEXED BY agenda_created"
        " WHERE created_at >= ? AND created_at < ? GROUP BY topic, wing",
        (to_db(start), to_db(end)),
    )


async def resolved(tx: Tx, start: datetime, end: datetime) -> list[Cell]:
    """Items with a 'resolved' outcome version posted in the month (each item once)."""
    return await _cells(
        tx,
        "SELECT topic, wing, COUNT(DISTINCT item_id) FROM outcome INDEXED BY outcome_month"
        " WHERE posted_at >= ? AND posted_at < ? AND kind = 'resolved' GROUP BY topic, wing",
        (to_db(start), to_db(end)),
    )


async def open_at(tx: Tx, end: datetime) -> list[Cell]:
    """Items raised before `end` that were not finished by then: no resolved or not-possible
    outcome posted before it (partly resolved and in progress are still open), and not declined
    or merged before it (both final, so updated_at is when they ended)."""
    return await _cells(
        tx,
        "SELECT a.topic, a.wing, COUNT(*) FROM agenda_item a INDEXED BY agenda_created"
        " WHERE a.created_at < ?"
        f" AND NOT (a.status IN {_ENDED} AND a.updated_at < ?)"
        " AND NOT EXISTS (SELECT 1 FROM outcome o WHERE o.item_id = a.id"
        " AND o.kind IN ('resolved','not_possible') AND o.posted_at < ?)"
        " GROUP BY a.topic, a.wing",
        (to_db(end), to_db(end), to_db(end)),
    )


async def first_answers(tx: Tx, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """(raised, first answered) for items first answered in the month: accepted or answered
    (published_at), or declined (updated_at, final)."""
    published = await tx.all(
        "SELECT created_at, published_at FROM agenda_item INDEXED BY agenda_published"
        " WHERE published_at >= ? AND published_at < ?",
        (to_db(start), to_db(end)),
    )
    declined = await tx.all(
        "SELECT created_at, updated_at FROM agenda_item"
        " WHERE status = 'declined' AND updated_at >= ? AND updated_at < ?",
        (to_db(start), to_db(end)),
    )
    return [(from_db(r[0]), from_db(r[1])) for r in [*published, *declined]]


async def first_outcomes(tx: Tx, start: datetime, end: datetime) -> list[tuple[datetime, datetime]]:
    """(raised, first outcome) for items whose first outcome was posted in the month."""
    rows = await tx.all(
        "SELECT a.created_at, o.posted_at FROM outcome o INDEXED BY outcome_month"
        " JOIN agenda_item a ON a.id = o.item_id"
        " WHERE o.posted_at >= ? AND o.posted_at < ? AND o.version = 1",
        (to_db(start), to_db(end)),
    )
    return [(from_db(r[0]), from_db(r[1])) for r in rows]


async def with_outcome(tx: Tx, start: datetime, end: datetime) -> tuple[int, int]:
    """Of the items raised in the month (not merged away), how many have an outcome now."""
    row = await tx.one(
        "SELECT COUNT(*), SUM(EXISTS (SELECT 1 FROM outcome o WHERE o.item_id = a.id))"
        " FROM agenda_item a INDEXED BY agenda_created"
        " WHERE a.created_at >= ? AND a.created_at < ? AND a.status <> 'merged'",
        (to_db(start), to_db(end)),
    )
    assert row is not None
    return int(row[0] or 0), int(row[1] or 0)


@dataclass(frozen=True)
class PollTurnout:
    id: int
    question: str
    audience: str
    wing: str | None
    closed_at: datetime
    electorate: int
    ballots: int


async def poll_turnout(tx: Tx, start: datetime, end: datetime) -> list[PollTurnout]:
    """Polls closed in the month: electorate and ballots cast. Never the options or counts."""
    rows = await tx.all(
        "SELECT id, question, audience, wing, closed_at, electorate, ballots FROM poll"
        " INDEXED BY poll_closed WHERE closed_at >= ? AND closed_at < ? AND status = 'closed'"
        " ORDER BY closed_at, id",
        (to_db(start), to_db(end)),
    )
    return [PollTurnout(*_timed(r, 7, 4)) for r in rows]


@dataclass(frozen=True)
class Participation:
    id: int
    title: str
    audience: str
    closed_at: datetime
    families: int
    members: int


async def consultation_participation(tx: Tx, start: datetime, end: datetime) -> list[Participation]:
    """Consultations closed in the month and how many people sent answers, by group."""
    rows = await tx.all(
        "SELECT c.id, c.title, c.audience, c.closed_at,"
        " (SELECT COUNT(*) FROM consultation_participant p WHERE p.consultation_id = c.id"
        "  AND p.grp = 'family' AND p.submitted_at IS NOT NULL),"
        " (SELECT COUNT(*) FROM consultation_participant p WHERE p.consultation_id = c.id"
        "  AND p.grp = 'member' AND p.submitted_at IS NOT NULL)"
        " FROM consultation c INDEXED BY consultation_closed"
        " WHERE c.closed_at >= ? AND c.closed_at < ? ORDER BY c.closed_at, c.id",
        (to_db(start), to_db(end)),
    )
    return [Participation(*_timed(r, 6, 3)) for r in rows]


@dataclass(frozen=True)
class Attendance:
    id: int
    title: str
    kind: str
    starts_at: datetime
    going: int
    attended: int  # people marked present plus others who came


async def meeting_attendance(
    tx: Tx, start: datetime, end: datetime, now: datetime
) -> list[Attendance]:
    """Meetings held in the month (not cancelled, already started): RSVPs against attendance."""
    rows = await tx.all(
        "SELECT m.id, m.title, m.kind, m.starts_at,"
        # Rows deleted by the retention sweep or a leaver live on as the *_kept counts.
        " (SELECT COUNT(*) FROM meeting_rsvp r WHERE r.meeting_id = m.id AND r.answer = 'going')"
        " + m.going_kept,"
        " (SELECT COUNT(*) FROM meeting_attendance t WHERE t.meeting_id = m.id) + m.others_count"
        " + m.attended_kept"
        " FROM meeting m WHERE m.status = 'scheduled' AND m.starts_at >= ? AND m.starts_at < ?"
        " AND m.starts_at <= ? ORDER BY m.starts_at, m.id",
        (to_db(start), to_db(end), to_db(now)),
    )
    return [Attendance(*_timed(r, 6, 3)) for r in rows]


# --- one person's own record ---------------------------------------------------------------


async def meetings_attended(
    tx: Tx, person_id: int, *, limit: int
) -> tuple[int, list[tuple[str, datetime]]]:
    """How many meetings they were marked present at, and the latest titles with dates."""
    count = int(
        await tx.value("SELECT COUNT(*) FROM meeting_attendance WHERE person_id = ?", (person_id,))
    )
    rows = await tx.all(
        "SELECT m.title, m.starts_at FROM meeting_attendance t JOIN meeting m ON m.id = t.meeting_id"
        " WHERE t.person_id = ? ORDER BY m.starts_at DESC LIMIT ?",
        (person_id, limit),
    )
    return count, [(str(r[0]), from_db(r[1])) for r in rows]


async def consultations_answered(tx: Tx, person_id: int, *, limit: int) -> tuple[int, list[str]]:
    """Consultations they sent answers to (closed ones keep only that they took part)."""
    rows = await tx.all(
        "SELECT c.title, c.closes_at FROM consultation c WHERE c.id IN ("
        " SELECT consultation_id FROM consultation_taker WHERE person_id = ?"
        " UNION SELECT consultation_id FROM consultation_participant"
        "  WHERE person_id = ? AND submitted_at IS NOT NULL)"
        " ORDER BY c.closes_at DESC",
        (person_id, person_id),
    )
    return len(rows), [str(r[0]) for r in rows[:limit]]


async def items_raised(tx: Tx, person_id: int, *, limit: int) -> tuple[int, list[tuple[int, str]]]:
    """Their own items (id, status), newest first."""
    count = int(
        await tx.value("SELECT COUNT(*) FROM agenda_item WHERE submitter_id = ?", (person_id,))
    )
    rows = await tx.all(
        "SELECT id, status FROM agenda_item WHERE submitter_id = ? ORDER BY id DESC LIMIT ?",
        (person_id, limit),
    )
    return count, [(int(r[0]), str(r[1])) for r in rows]


async def joined_at(tx: Tx, person_id: int) -> datetime | None:
    value = await tx.value("SELECT joined_at FROM person WHERE id = ?", (person_id,))
    return None if value is None else from_db(str(value))


async def took_part_in(tx: Tx, person_id: int) -> list[int]:
    """Consultations a person answered (for the families' board)."""
    rows = await tx.all(
        "SELECT consultation_id FROM consultation_taker WHERE person_id = ?"
        " UNION SELECT consultation_id FROM consultation_participant"
        " WHERE person_id = ? AND submitted_at IS NOT NULL",
        (person_id, person_id),
    )
    return [int(r[0]) for r in rows]


@dataclass(frozen=True)
class ReportBack:
    id: int
    title: str
    heard: str
    will_do: str
    reported_at: datetime


async def reports_back(
    tx: Tx, consultation_ids: list[int], *, limit: int, offset: int
) -> list[ReportBack]:
    """Published "what we heard and what we will do", newest first."""
    if not consultation_ids:
        return []
    marks = ",".join("?" * len(consultation_ids))
    rows = await tx.all(
        "SELECT id, title, heard, will_do, reported_at FROM consultation"
        f" WHERE id IN ({marks}) AND reported_at IS NOT NULL"
        " ORDER BY reported_at DESC, id DESC LIMIT ? OFFSET ?",
        (*consultation_ids, limit, offset),
    )
    return [ReportBack(*_timed(r, 5, 4)) for r in rows]
