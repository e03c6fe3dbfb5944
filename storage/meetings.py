"""Meetings, their series, who was told, answers (RSVP), agenda order and minutes.
Moves and cancels are conditional on the version the actor saw, so two presses cannot both win."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from storage.clock import from_db, to_db
from storage.db import Row, Tx

_COLUMNS = (
    "id, series_id, kind, title, place, audience, wing, starts_at, status, version, created_by,"
    " created_at, updated_at, minuted_at, others_count"
)


@dataclass(frozen=True)
class MeetingRow:
    id: int
    series_id: int | None
    kind: str
    title: str
    place: str
    audience: str
    wing: str | None
    starts_at: datetime
    status: str
    version: int
    created_by: int | None
    created_at: datetime
    updated_at: datetime
    minuted_at: datetime | None
    others_count: int


def _meeting(row: Row) -> MeetingRow:
    return MeetingRow(
        id=row["id"],
        series_id=row["series_id"],
        kind=row["kind"],
        title=row["title"],
        place=row["place"],
        audience=row["audience"],
        wing=row["wing"],
        starts_at=from_db(row["starts_at"]),
        status=row["status"],
        version=row["version"],
        created_by=row["created_by"],
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        minuted_at=None if row["minuted_at"] is None else from_db(row["minuted_at"]),
        others_count=row["others_count"],
    )


async def add_series(
    tx: Tx,
    *,
    rule: str,
    every: int,
    nth: int | None,
    weekday: int | None,
    created_by: int | None,
    now: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO meeting_series (rule, every, nth, weekday, created_by, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (rule, every, nth, weekday, created_by, to_db(now)),
    )


async def insert(
    tx: Tx,
    *,
    series_id: int | None,
    kind: str,
    title: str,
    place: str,
    audience: str,
    wing: str | None,
    starts_at: datetime,
    created_by: int | None,
    now: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO meeting (series_id, kind, title, place, audience, wing, starts_at,"
        " created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            series_id,
            kind,
            title,
            place,
            audience,
            wing,
            to_db(starts_at),
            created_by,
            to_db(now),
            to_db(now),
        ),
    )


async def get(tx: Tx, meeting_id: int) -> MeetingRow | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM meeting WHERE id = ?", (meeting_id,))
    return None if row is None else _meeting(row)


async def upcoming(
    tx: Tx,
    now: datetime,
    *,
    limit: int,
    audiences: Sequence[str] | None = None,
    wing: str | None = None,
) -> list[MeetingRow]:
    """Scheduled meetings still to start, soonest first. With audiences: only those meetings;
    with a wing too: only meetings for all wings or for that wing."""
    sql = f"SELECT {_COLUMNS} FROM meeting WHERE status = 'scheduled' AND starts_at > ?"
    params: list[object] = [to_db(now)]
    if audiences is not None:
        sql += f" AND audience IN ({','.join('?' * len(audiences))})"
        params.extend(audiences)
        if wing is not None:
            sql += " AND (wing IS NULL OR wing = ?)"
            params.append(wing)
    rows = await tx.all(sql + " ORDER BY starts_at, id LIMIT ?", [*params, limit])
    return [_meeting(r) for r in rows]


async def held_unminuted(tx: Tx, now: datetime, *, limit: int) -> list[MeetingRow]:
    """Meetings that have started and have no minutes yet, latest first."""
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM meeting WHERE status = 'scheduled' AND starts_at <= ?"
        " AND minuted_at IS NULL ORDER BY starts_at DESC, id DESC LIMIT ?",
        (to_db(now), limit),
    )
    return [_meeting(r) for r in rows]


async def in_series(tx: Tx, series_id: int) -> list[MeetingRow]:
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM meeting WHERE series_id = ? ORDER BY starts_at, id", (series_id,)
    )
    return [_meeting(r) for r in rows]


async def move(
    tx: Tx, meeting_id: int, *, version: int, starts_at: datetime, now: datetime
) -> bool:
    changed = await tx.execute(
        "UPDATE meeting SET starts_at = ?, version = version + 1, updated_at = ?"
        " WHERE id = ? AND version = ? AND status = 'scheduled'",
        (to_db(starts_at), to_db(now), meeting_id, version),
    )
    return changed == 1


async def cancel(tx: Tx, meeting_id: int, *, version: int, now: datetime) -> bool:
    changed = await tx.execute(
        "UPDATE meeting SET status = 'cancelled', version = version + 1, updated_at = ?"
        " WHERE id = ? AND version = ? AND status = 'scheduled'",
        (to_db(now), meeting_id, version),
    )
    return changed == 1


# --- who was told -------------------------------------------------------------------------------


async def add_told(tx: Tx, meeting_id: int, person_ids: Iterable[int]) -> None:
    await tx.executemany(
        "INSERT OR IGNORE INTO meeting_told (meeting_id, person_id) VALUES (?, ?)",
        [(meeting_id, p) for p in person_ids],
    )


async def told(tx: Tx, meeting_id: int) -> list[int]:
    rows = await tx.all(
        "SELECT person_id FROM meeting_told WHERE meeting_id = ? ORDER BY person_id",
        (meeting_id,),
    )
    return [int(r[0]) for r in rows]


# --- answers ------------------------------------------------------------------------------------


async def set_answer(tx: Tx, meeting_id: int, person_id: int, answer: str, now: datetime) -> bool:
    """True when the stored answer changed (a repeated press changes nothing)."""
    changed = await tx.execute(
        "INSERT INTO meeting_rsvp (meeting_id, person_id, answer, at) VALUES (?, ?, ?, ?)"
        " ON CONFLICT(meeting_id, person_id) DO UPDATE SET answer = excluded.answer,"
        " at = excluded.at WHERE meeting_rsvp.answer != excluded.answer",
        (meeting_id, person_id, answer, to_db(now)),
    )
    return changed == 1


async def answer_of(tx: Tx, meeting_id: int, person_id: int) -> str | None:
    value = await tx.value(
        "SELECT answer FROM meeting_rsvp WHERE meeting_id = ? AND person_id = ?",
        (meeting_id, person_id),
    )
    return None if value is None else str(value)


async def answers_of(tx: Tx, person_id: int, meeting_ids: Sequence[int]) -> dict[int, str]:
    if not meeting_ids:
        return {}
    marks = ",".join("?" * len(meeting_ids))
    rows = await tx.all(
        f"SELECT meeting_id, answer FROM meeting_rsvp WHERE person_id = ? AND meeting_id IN ({marks})",
        (person_id, *meeting_ids),
    )
    return {int(r[0]): str(r[1]) for r in rows}


async def answers(tx: Tx, meeting_id: int) -> list[tuple[int, str]]:
    rows = await tx.all(
        "SELECT person_id, answer FROM meeting_rsvp WHERE meeting_id = ? ORDER BY answer, person_id",
        (meeting_id,),
    )
    return [(int(r[0]), str(r[1])) for r in rows]


async def cant_go(tx: Tx, meeting_id: int) -> set[int]:
    rows = await tx.all(
        "SELECT person_id FROM meeting_rsvp WHERE meeting_id = ? AND answer = 'cant'",
        (meeting_id,),
    )
    return {int(r[0]) for r in rows}


# --- agenda order -------------------------------------------------------------------------------


async def agenda(tx: Tx, meeting_id: int) -> list[int]:
    rows = await tx.all(
        "SELECT item_id FROM meeting_agenda WHERE meeting_id = ? ORDER BY position, item_id",
        (meeting_id,),
    )
    return [int(r[0]) for r in rows]


async def add_to_agenda(tx: Tx, meeting_id: int, item_id: int) -> bool:
    changed = await tx.execute(
        "INSERT OR IGNORE INTO meeting_agenda (meeting_id, item_id, position)"
        " SELECT ?, ?, COALESCE(MAX(position), 0) + 1 FROM meeting_agenda WHERE meeting_id = ?",
        (meeting_id, item_id, meeting_id),
    )
    return changed == 1


async def set_order(tx: Tx, meeting_id: int, item_ids: Sequence[int]) -> None:
    await tx.executemany(
        "UPDATE meeting_agenda SET position = ? WHERE meeting_id = ? AND item_id = ?",
        [(index + 1, meeting_id, item) for index, item in enumerate(item_ids)],
    )


async def remove_from_agenda(tx: Tx, meeting_id: int, item_id: int) -> bool:
    changed = await tx.execute(
        "DELETE FROM meeting_agenda WHERE meeting_id = ? AND item_id = ?", (meeting_id, item_id)
    )
    return changed == 1


# --- minutes ------------------------------------------------------------------------------------


async def set_attended(tx: Tx, meeting_id: int, person_id: int, attended: bool) -> None:
    if attended:
        await tx.execute(
            "INSERT OR IGNORE INTO meeting_attendance (meeting_id, person_id) VALUES (?, ?)",
            (meeting_id, person_id),
        )
    else:
        await tx.execute(
            "DELETE FROM meeting_attendance WHERE meeting_id = ? AND person_id = ?",
            (meeting_id, person_id),
        )


async def attended(tx: Tx, meeting_id: int) -> set[int]:
    rows = await tx.all(
        "SELECT person_id FROM meeting_attendance WHERE meeting_id = ?", (meeting_id,)
    )
    return {int(r[0]) for r in rows}


async def set_others(tx: Tx, meeting_id: int, others: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE meeting SET others_count = ?, updated_at = ? WHERE id = ?",
        (others, to_db(now), meeting_id),
    )


async def finish_minutes(tx: Tx, meeting_id: int, now: datetime) -> bool:
    changed = await tx.execute(
        "UPDATE meeting SET minuted_at = ?, updated_at = ? WHERE id = ? AND minuted_at IS NULL",
        (to_db(now), to_db(now), meeting_id),
    )
    return changed == 1


@dataclass(frozen=True)
class DecisionRow:
    meeting_id: int
    item_id: int
    kind: str
    decision: str
    owner: str
    due_on: date


async def put_decision(
    tx: Tx,
    *,
    meeting_id: int,
    item_id: int,
    kind: str,
    decision: str,
    owner: str,
    due_on: date,
    recorded_by: int | None,
    now: datetime,
) -> bool:
    """False when this item already has a decision in these minutes (a second press)."""
    changed = await tx.execute(
        "INSERT OR IGNORE INTO meeting_decision (meeting_id, item_id, kind, decision, owner,"
        " due_on, recorded_by, recorded_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
        (meeting_id, item_id, kind, decision, owner, due_on.isoformat(), recorded_by, to_db(now)),
    )
    return changed == 1


async def decisions(tx: Tx, meeting_id: int) -> list[DecisionRow]:
    rows = await tx.all(
        "SELECT meeting_id, item_id, kind, decision, owner, due_on FROM meeting_decision"
        " WHERE meeting_id = ? ORDER BY item_id",
        (meeting_id,),
    )
    return [DecisionRow(r[0], r[1], r[2], r[3], r[4], date.fromisoformat(r[5])) for r in rows]
