"""Timers: everything that must happen at a time is a row; the scheduler only mirrors them."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.db import Tx
from storage.keys import key_range


def key_time(moment: datetime) -> str:
    """A time as it is written into a timer's key or checksum: the database's text form, so
    the checksums of timers already waiting stay the same across versions."""
    return to_db(moment)


@dataclass(frozen=True)
class TimerRow:
    id: int
    key: str
    kind: str
    subject_id: int
    due_at: datetime
    checksum: str
    payload: dict[str, Any]
    status: str


_COLUMNS = "id, key, kind, subject_id, due_at, checksum, payload, status"


def _timer(row: Any) -> TimerRow:
    return TimerRow(
        row["id"],
        row["key"],
        row["kind"],
        row["subject_id"],
        from_db(row["due_at"]),
        row["checksum"],
        json.loads(row["payload"]),
        row["status"],
    )


async def upsert(
    tx: Tx,
    *,
    key: str,
    kind: str,
    subject_id: int,
    due_at: datetime,
    checksum: str,
    payload: dict[str, Any],
) -> None:
    """Same key, new time: the timer is replaced, never duplicated."""
    await tx.execute(
        "INSERT INTO timer (key, kind, subject_id, due_at, checksum, payload) VALUES (?, ?, ?, ?, ?, ?)"
        " ON CONFLICT(key) DO UPDATE SET kind = excluded.kind, subject_id = excluded.subject_id,"
        " due_at = excluded.due_at, checksum = excluded.checksum, payload = excluded.payload,"
        " status = 'pending', done_at = NULL",
        (key, kind, subject_id, to_db(due_at), checksum, json.dumps(payload, sort_keys=True)),
    )


async def get(tx: Tx, key: str) -> TimerRow | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM timer WHERE key = ?", (key,))
    return None if row is None else _timer(row)


async def pending(tx: Tx) -> list[TimerRow]:
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM timer WHERE status = 'pending' ORDER BY due_at, id"
    )
    return [_timer(r) for r in rows]


async def pending_due(tx: Tx, now: datetime) -> list[TimerRow]:
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM timer WHERE status = 'pending' AND due_at <= ? ORDER BY due_at, id",
        (to_db(now),),
    )
    return [_timer(r) for r in rows]


async def finish(tx: Tx, timer_id: int, status: str, now: datetime) -> bool:
    """Move a pending timer to its end state; False if another path already did (fires once)."""
    changed = await tx.execute(
        "UPDATE timer SET status = ?, done_at = ? WHERE id = ? AND status = 'pending'",
        (status, to_db(now), timer_id),
    )
    return changed == 1


async def cancel_prefix(tx: Tx, key_prefix: str, now: datetime) -> list[str]:
    """Cancel the pending timers whose key starts with a prefix: a key range on the pending
    rows' key index, so the cost follows the timers cancelled, not the table's size."""
    low, high = key_range(key_prefix)
    rows = await tx.all(
        "UPDATE timer INDEXED BY timer_key_pending SET status = 'cancelled', done_at = ?"
        " WHERE status = 'pending' AND key >= ? AND key < ? RETURNING key",
        (to_db(now), low, high),
    )
    return [r[0] for r in rows]


async def counts(tx: Tx) -> dict[str, int]:
    rows = await tx.all("SELECT status, COUNT(*) AS n FROM timer GROUP BY status")
    return {r["status"]: r["n"] for r in rows}
