"""Peer schemes: staff-made schemes, coordinators, requests for help (reduced to counts after the
retention period), the anonymous follow-up counts, peer workers and their weekly hours."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.db import Row, Tx


@dataclass(frozen=True)
class SchemeRow:
    id: str
    kind: str
    names: dict[str, str]
    about: dict[str, str]
    how: dict[str, str]
    wings: tuple[str, ...]
    notes_allowed: bool
    urgent: bool
    escalate_after: int
    expect_within: int


@dataclass(frozen=True)
class RequestRow:
    id: int
    scheme_id: str
    person_id: int | None
    wing: str
    note: str | None
    status: str
    created_at: datetime
    arranged_at: datetime | None
    arranged_by: int | None
    escalated_at: datetime | None
    followed_up: bool


@dataclass(frozen=True)
class WorkerRow:
    id: int
    scheme_id: str
    person_id: int | None
    wing: str
    listed_name: str | None
    training: str
    trained_on: date | None
    started_on: date
    ended_on: date | None
    added_by: int | None
    hours: float  # all weeks recorded


def _scheme(row: Row) -> SchemeRow:
    return SchemeRow(
        row["id"],
        row["kind"],
        json.loads(row["names"]),
        json.loads(row["about"]),
        json.loads(row["how"]),
        tuple(json.loads(row["wings"])),
        bool(row["notes_allowed"]),
        bool(row["urgent"]),
        row["escalate_after"],
        row["expect_within"],
    )


_REQUEST = (
    "id, scheme_id, person_id, wing, note, status, created_at, arranged_at, arranged_by,"
    " escalated_at, followed_up"
)


def _time(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


def _day(text: str | None) -> date | None:
    return None if text is None else date.fromisoformat(text)


def _request(row: Row | None) -> RequestRow | None:
    if row is None:
        return None
    return RequestRow(
        row["id"],
        row["scheme_id"],
        row["person_id"],
        row["wing"],
        row["note"],
        row["status"],
        from_db(row["created_at"]),
        _time(row["arranged_at"]),
        row["arranged_by"],
        _time(row["escalated_at"]),
        bool(row["followed_up"]),
    )


_WORKER = (
    "w.id, w.scheme_id, w.person_id, w.wing, w.listed_name, w.training, w.trained_on,"
    " w.started_on, w.ended_on, w.added_by,"
    " (SELECT COALESCE(SUM(hours), 0) FROM peer_hours h WHERE h.worker_id = w.id) AS hours"
)


def _worker(row: Row | None) -> WorkerRow | None:
    if row is None:
        return None
    return WorkerRow(
        row["id"],
        row["scheme_id"],
        row["person_id"],
        row["wing"],
        row["listed_name"],
        row["training"],
        _day(row["trained_on"]),
        date.fromisoformat(row["started_on"]),
        _day(row["ended_on"]),
        row["added_by"],
        float(row["hours"]),
    )


# --- schemes set up by staff, and coordinators --------------------------------------------------


async def staff_schemes(tx: Tx) -> list[SchemeRow]:
    rows = await tx.all(
        "SELECT id, kind, names, about, how, wings, notes_allowed, urgent, escalate_after,"
        " expect_within FROM scheme ORDER BY position, created_at"
    )
    return [_scheme(r) for r in rows]


async def add_scheme(tx: Tx, scheme: SchemeRow, *, created_by: int, now: datetime) -> None:
    position = int(await tx.value("SELECT COUNT(*) FROM scheme"))
    await tx.execute(
        "INSERT INTO scheme (id, kind, names, about, how, wings, notes_allowed, urgent,"
        " escalate_after, expect_within, created_by, position, created_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            scheme.id,
            scheme.kind,
            json.dumps(scheme.names, ensure_ascii=False),
            json.dumps(scheme.about, ensure_ascii=False),
            json.dumps(scheme.how, ensure_ascii=False),
            json.dumps(list(scheme.wings)),
            int(scheme.notes_allowed),
            int(scheme.urgent),
            scheme.escalate_after,
            scheme.expect_within,
            created_by,
            position,
            to_db(now),
        ),
    )


async def coordinator_ids(tx: Tx, scheme_id: str) -> list[int]:
    rows = await tx.all(
        "SELECT person_id FROM scheme_coordinator WHERE scheme_id = ? ORDER BY added_at",
        (scheme_id,),
    )
    return [r[0] for r in rows]


async def add_coordinator(
    tx: Tx, scheme_id: str, person_id: int, *, added_by: int, now: datetime
) -> bool:
    changed = await tx.execute(
        "INSERT OR IGNORE INTO scheme_coordinator (scheme_id, person_id, added_by, added_at)"
        " VALUES (?, ?, ?, ?)",
        (scheme_id, person_id, added_by, to_db(now)),
    )
    return changed == 1


# --- requests ------------------------------------------------------------------------------------


async def insert_request(
    tx: Tx, *, scheme_id: str, person_id: int, wing: str, note: str | None, now: datetime
) -> int:
    return await tx.insert(
        "INSERT INTO scheme_request (scheme_id, person_id, wing, note, created_at)"
        " VALUES (?, ?, ?, ?, ?)",
        (scheme_id, person_id, wing, note, to_db(now)),
    )


async def get_request(tx: Tx, request_id: int) -> RequestRow | None:
    return _request(
        await tx.one(f"SELECT {_REQUEST} FROM scheme_request WHERE id = ?", (request_id,))
    )


async def on_its_way(
    tx: Tx, person_id: int, scheme_id: str, since: datetime | None
) -> RequestRow | None:
    """The person's request for this scheme that is still open, or made since `since` (None:
    only an open one)."""
    # "9999" sorts after every stored time: no request counts as recent.
    after = "9999" if since is None else to_db(since)
    return _request(
        await tx.one(
            f"SELECT {_REQUEST} FROM scheme_request WHERE person_id = ? AND scheme_id = ?"
            " AND (status = 'open' OR created_at >= ?) ORDER BY id DESC LIMIT 1",
            (person_id, scheme_id, after),
        )
    )


async def open_requests(tx: Tx, scheme_id: str, limit: int) -> list[RequestRow]:
    rows = await tx.all(
        f"SELECT {_REQUEST} FROM scheme_request WHERE scheme_id = ? AND status = 'open'"
        " ORDER BY id LIMIT ?",
        (scheme_id, limit),
    )
    return [r for r in map(_request, rows) if r is not None]


async def arrange(tx: Tx, request_id: int, by: int, now: datetime) -> bool:
    """Open -> arranged; False when someone else (or a cancel) got there first."""
    changed = await tx.execute(
        "UPDATE scheme_request SET status = 'arranged', arranged_at = ?, arranged_by = ?"
        " WHERE id = ? AND status = 'open'",
        (to_db(now), by, request_id),
    )
    return changed == 1


async def cancel(tx: Tx, request_id: int, person_id: int, now: datetime) -> bool:
    changed = await tx.execute(
        "UPDATE scheme_request SET status = 'cancelled', cancelled_at = ?"
        " WHERE id = ? AND person_id = ? AND status IN ('open','arranged')",
        (to_db(now), request_id, person_id),
    )
    return changed == 1


async def mark_escalated(tx: Tx, request_id: int, now: datetime) -> None:
    await tx.execute(
        "UPDATE scheme_request SET escalated_at = ? WHERE id = ? AND escalated_at IS NULL",
        (to_db(now), request_id),
    )


async def answer_followup(
    tx: Tx, request_id: int, person_id: int, scheme_id: str, month: str, answer: str
) -> bool:
    """Count the answer once; the request row only learns that it was answered, not how."""
    changed = await tx.execute(
        "UPDATE scheme_request SET followed_up = 1"
        " WHERE id = ? AND person_id = ? AND followed_up = 0 AND status <> 'cancelled'",
        (request_id, person_id),
    )
    if changed != 1:
        return False
    await tx.execute(
        "INSERT INTO scheme_followup (scheme_id, month, answer, count) VALUES (?, ?, ?, 1)"
        " ON CONFLICT(scheme_id, month, answer) DO UPDATE SET count = count + 1",
        (scheme_id, month, answer),
    )
    return True


async def requests_before(tx: Tx, cutoff: datetime) -> list[RequestRow]:
    rows = await tx.all(
        f"SELECT {_REQUEST} FROM scheme_request WHERE created_at < ?", (to_db(cutoff),)
    )
    return [r for r in map(_request, rows) if r is not None]


async def keep_counts(
    tx: Tx,
    scheme_id: str,
    month: str,
    *,
    requests: int,
    arranged: int,
    cancelled: int,
    escalated: int,
    minutes: list[int],
) -> None:
    row = await tx.one(
        "SELECT minutes FROM scheme_request_kept WHERE scheme_id = ? AND month = ?",
        (scheme_id, month),
    )
    kept = json.loads(row["minutes"]) if row else []
    await tx.execute(
        "INSERT INTO scheme_request_kept"
        " (scheme_id, month, requests, arranged, cancelled, escalated, minutes)"
        " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT(scheme_id, month) DO UPDATE SET"
        " requests = requests + excluded.requests, arranged = arranged + excluded.arranged,"
        " cancelled = cancelled + excluded.cancelled, escalated = escalated + excluded.escalated,"
        " minutes = excluded.minutes",
        (
            scheme_id,
            month,
            requests,
            arranged,
            cancelled,
            escalated,
            json.dumps(sorted(kept + minutes)),
        ),
    )


async def delete_requests(tx: Tx, ids: list[int]) -> int:
    total = 0
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        total += await tx.execute(
            f"DELETE FROM scheme_request WHERE id IN ({','.join('?' * len(chunk))})", chunk
        )
    return total


# --- figures for the month's report ------------------------------------------------------------


@dataclass(frozen=True)
class MonthRequests:
    requests: int
    arranged: int
    cancelled: int
    escalated: int
    minutes: list[int]


async def month_requests(
    tx: Tx, scheme_id: str, month: str, start: datetime, end: datetime
) -> MonthRequests:
    rows = await tx.all(
        "SELECT status, created_at, arranged_at, escalated_at FROM scheme_request"
        " WHERE scheme_id = ? AND created_at >= ? AND created_at < ?",
        (scheme_id, to_db(start), to_db(end)),
    )
    minutes = [
        int((from_db(r["arranged_at"]) - from_db(r["created_at"])).total_seconds() // 60)
        for r in rows
        if r["arranged_at"] is not None
    ]
    kept = await tx.one(
        "SELECT requests, arranged, cancelled, escalated, minutes FROM scheme_request_kept"
        " WHERE scheme_id = ? AND month = ?",
        (scheme_id, month),
    )
    base: dict[str, Any] = dict(kept) if kept else {}
    return MonthRequests(
        requests=len(rows) + base.get("requests", 0),
        arranged=sum(1 for r in rows if r["arranged_at"] is not None) + base.get("arranged", 0),
        cancelled=sum(1 for r in rows if r["status"] == "cancelled") + base.get("cancelled", 0),
        escalated=sum(1 for r in rows if r["escalated_at"] is not None) + base.get("escalated", 0),
        minutes=sorted(minutes + json.loads(base.get("minutes", "[]"))),
    )


async def followups(tx: Tx, scheme_id: str, month: str) -> dict[str, int]:
    rows = await tx.all(
        "SELECT answer, count FROM scheme_followup WHERE scheme_id = ? AND month = ?",
        (scheme_id, month),
    )
    return {r["answer"]: r["count"] for r in rows}


async def month_workers(
    tx: Tx, scheme_id: str, first_day: date, last_day: date
) -> tuple[int, float]:
    """Peer workers active at some point in the month, and hours in weeks starting in it."""
    active = await tx.value(
        "SELECT COUNT(*) FROM peer_worker WHERE scheme_id = ? AND started_on <= ?"
        " AND (ended_on IS NULL OR ended_on >= ?)",
        (scheme_id, last_day.isoformat(), first_day.isoformat()),
    )
    hours = await tx.value(
        "SELECT COALESCE(SUM(h.hours), 0) FROM peer_hours h JOIN peer_worker w"
        " ON w.id = h.worker_id WHERE w.scheme_id = ? AND h.week >= ? AND h.week <= ?",
        (scheme_id, first_day.isoformat(), last_day.isoformat()),
    )
    return int(active), float(hours)


# --- peer workers ----------------------------------------------------------------------------


async def add_worker(
    tx: Tx,
    *,
    scheme_id: str,
    person_id: int,
    wing: str,
    listed_name: str | None,
    training: str,
    trained_on: date | None,
    started_on: date,
    added_by: int,
    now: datetime,
) -> int | None:
    """None when the person already holds an active role in this scheme."""
    exists = await tx.value(
        "SELECT 1 FROM peer_worker WHERE scheme_id = ? AND person_id = ? AND ended_on IS NULL",
        (scheme_id, person_id),
    )
    if exists:
        return None
    return await tx.insert(
        "INSERT INTO peer_worker (scheme_id, person_id, wing, listed_name, training, trained_on,"
        " started_on, added_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            scheme_id,
            person_id,
            wing,
            listed_name,
            training,
            None if trained_on is None else trained_on.isoformat(),
            started_on.isoformat(),
            added_by,
            to_db(now),
        ),
    )


async def worker(tx: Tx, worker_id: int) -> WorkerRow | None:
    return _worker(
        await tx.one(f"SELECT {_WORKER} FROM peer_worker w WHERE w.id = ?", (worker_id,))
    )


async def workers(tx: Tx, scheme_id: str, *, active_only: bool = True) -> list[WorkerRow]:
    sql = f"SELECT {_WORKER} FROM peer_worker w WHERE w.scheme_id = ?"
    if active_only:
        sql += " AND w.ended_on IS NULL"
    rows = await tx.all(sql + " ORDER BY w.wing, w.id", (scheme_id,))
    return [w for w in map(_worker, rows) if w is not None]


async def active_worker_for(tx: Tx, scheme_id: str, person_id: int) -> WorkerRow | None:
    return _worker(
        await tx.one(
            f"SELECT {_WORKER} FROM peer_worker w WHERE w.scheme_id = ? AND w.person_id = ?"
            " AND w.ended_on IS NULL",
            (scheme_id, person_id),
        )
    )


async def roles_of(tx: Tx, person_id: int) -> list[WorkerRow]:
    rows = await tx.all(
        f"SELECT {_WORKER} FROM peer_worker w WHERE w.person_id = ? ORDER BY w.started_on, w.id",
        (person_id,),
    )
    return [w for w in map(_worker, rows) if w is not None]


async def end_worker(tx: Tx, worker_id: int, on: date) -> bool:
    changed = await tx.execute(
        "UPDATE peer_worker SET ended_on = ? WHERE id = ? AND ended_on IS NULL",
        (on.isoformat(), worker_id),
    )
    return changed == 1


async def put_hours(
    tx: Tx, entries: list[tuple[int, float]], *, week: date, by: int, now: datetime
) -> None:
    """Hours for one week, per worker: typing the week again replaces, never adds."""
    await tx.executemany(
        "INSERT INTO peer_hours (worker_id, week, hours, recorded_by, recorded_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT(worker_id, week) DO UPDATE SET"
        " hours = excluded.hours, recorded_by = excluded.recorded_by,"
        " recorded_at = excluded.recorded_at",
        [(worker_id, week.isoformat(), hours, by, to_db(now)) for worker_id, hours in entries],
    )


async def last_checker(tx: Tx, person_id: int) -> int | None:
    """The staff member who last recorded something for this person's roles."""
    value = await tx.value(
        "SELECT by_id FROM ("
        " SELECT h.recorded_by AS by_id, h.recorded_at AS at FROM peer_hours h"
        " JOIN peer_worker w ON w.id = h.worker_id WHERE w.person_id = ?"
        " UNION ALL SELECT added_by, created_at FROM peer_worker WHERE person_id = ?"
        ") WHERE by_id IS NOT NULL ORDER BY at DESC LIMIT 1",
        (person_id, person_id),
    )
    return None if value is None else int(value)


# --- the Insider welcome ---------------------------------------------------------------------


async def mark_welcomed(tx: Tx, person_id: int, now: datetime) -> bool:
    changed = await tx.execute(
        "INSERT OR IGNORE INTO scheme_welcome (person_id, sent_at) VALUES (?, ?)",
        (person_id, to_db(now)),
    )
    return changed == 1
