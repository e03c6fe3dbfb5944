"""What the IT team's metrics and health check read: counts only, never a person or a choice."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from storage.clock import from_db, to_db
from storage.db import Tx

# Why a notice was parked, in a handful of kinds: the stored reason is free text from the
# Bot API, and a metric label must stay small and say nothing about the recipient.
_PARK_REASON = """CASE
    WHEN last_error LIKE '403%' OR last_error LIKE 'recipient unreachable%' THEN 'blocked'
    WHEN last_error LIKE '400%' THEN 'rejected'
    WHEN last_error LIKE 'gave up%' THEN 'network'
    WHEN last_error LIKE 'cannot render%' THEN 'render'
    WHEN last_error LIKE 'unexpected%' THEN 'unexpected'
    ELSE 'other' END"""


@dataclass(frozen=True)
class OutboxFigures:
    channel: str
    by_status: dict[str, int]
    parked_by_reason: dict[str, int]
    oldest_queued_at: datetime | None  # created_at of the oldest notice still to send
    oldest_due_at: datetime | None  # not_before of the oldest notice due now and not yet sent


@dataclass(frozen=True)
class TimerFigures:
    by_kind_status: dict[tuple[str, str], int]
    due_by_kind: dict[str, int]  # pending and past due: should be none while the bot runs


async def _channel_column(tx: Tx) -> bool:
    # The outbox gains a channel column when channels are first-class; until then one channel.
    rows = await tx.all("PRAGMA table_info(outbox)")
    return any(r["name"] == "channel" for r in rows)


async def outbox_figures(tx: Tx, now: datetime, default_channel: str) -> list[OutboxFigures]:
    """Per channel. Each query is answered from the outbox_due (status, not_before) index
    alone until the outbox has a channel column."""
    per_channel = await _channel_column(tx)
    group = "channel, " if per_channel else ""

    def channel_of(row: sqlite3.Row) -> str:
        return str(row["channel"]) if per_channel else default_channel

    statuses: dict[str, dict[str, int]] = {}
    for r in await tx.all(
        f"SELECT {group}status, COUNT(*) AS n FROM outbox GROUP BY {group}status"
    ):
        statuses.setdefault(channel_of(r), {})[r["status"]] = int(r["n"])
    parked: dict[str, dict[str, int]] = {}
    for r in await tx.all(
        f"SELECT {group}{_PARK_REASON} AS reason, COUNT(*) AS n FROM outbox"
        f" WHERE status = 'parked' GROUP BY {group}reason"
    ):
        parked.setdefault(channel_of(r), {})[r["reason"]] = int(r["n"])
    oldest: dict[str, tuple[datetime | None, datetime | None]] = {}
    for r in await tx.all(
        f"SELECT {group}MIN(created_at) AS queued,"
        " MIN(CASE WHEN not_before <= ? THEN not_before END) AS due"
        " FROM outbox WHERE status IN ('queued','sending')"
        + (" GROUP BY channel" if per_channel else ""),
        (to_db(now),),
    ):
        oldest[channel_of(r)] = (_time(r["queued"]), _time(r["due"]))
    names = sorted(set(statuses) | {default_channel})
    return [
        OutboxFigures(
            channel=name,
            by_status=statuses.get(name, {}),
            parked_by_reason=parked.get(name, {}),
            oldest_queued_at=oldest.get(name, (None, None))[0],
            oldest_due_at=oldest.get(name, (None, None))[1],
        )
        for name in names
    ]


def _time(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


async def oldest_due(tx: Tx, now: datetime) -> dict[str, datetime]:
    """Per channel, when the oldest notice due now and not yet sent came due (the index range
    of due notices only: the health check runs often)."""
    per_channel = await _channel_column(tx)
    group = "channel, " if per_channel else ""
    rows = await tx.all(
        f"SELECT {group}MIN(not_before) AS due FROM outbox"
        " WHERE status IN ('queued','sending') AND not_before <= ?"
        + (" GROUP BY channel" if per_channel else ""),
        (to_db(now),),
    )
    return {
        (str(r["channel"]) if per_channel else ""): from_db(str(r["due"]))
        for r in rows
        if r["due"] is not None
    }


async def timer_figures(tx: Tx, now: datetime) -> TimerFigures:
    by_kind_status = {
        (r["kind"], r["status"]): int(r["n"])
        for r in await tx.all("SELECT kind, status, COUNT(*) AS n FROM timer GROUP BY kind, status")
    }
    due = {
        r["kind"]: int(r["n"])
        for r in await tx.all(
            "SELECT kind, COUNT(*) AS n FROM timer WHERE status = 'pending' AND due_at <= ?"
            " GROUP BY kind",
            (to_db(now),),
        )
    }
    return TimerFigures(by_kind_status, due)


def heartbeat(path: Path, now: datetime, *, timeout_s: float) -> None:
    """Write the heartbeat row on a connection of its own: proof that the file takes writes
    now, whatever the bot's own connection is doing. Raises sqlite3.Error when it cannot."""
    conn = sqlite3.connect(
        f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=timeout_s, isolation_level=None
    )
    try:
        conn.execute("BEGIN IMMEDIATE")
        conn.execute(
            "INSERT INTO ops_heartbeat (id, beat_at) VALUES (1, ?)"
            " ON CONFLICT (id) DO UPDATE SET beat_at = excluded.beat_at",
            (to_db(now),),
        )
        conn.execute("COMMIT")
    finally:
        conn.close()


def database_bytes(path: Path) -> dict[str, int]:
    """The database file and its write-ahead log, as they are on disk."""
    sizes: dict[str, int] = {}
    for part, file in (("main", path), ("wal", path.with_name(path.name + "-wal"))):
        try:
            sizes[part] = file.stat().st_size
        except FileNotFoundError:
            sizes[part] = 0
    return sizes
