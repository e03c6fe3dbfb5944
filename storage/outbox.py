"""The outbox: every notice is a row before it is a message. Keys make queueing idempotent."""

from __future__ import annotations

import json
from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.db import Tx
from storage.keys import key_range


@dataclass(frozen=True)
class NoticeRow:
    id: int
    key: str
    chat_id: int
    person_id: int | None
    message: str
    params: dict[str, Any]
    buttons: list[list[dict[str, str]]] | None
    urgent: bool
    not_before: datetime
    expires_at: datetime | None
    status: str
    attempts: int
    channel: str = "telegram"  # the channel it goes out on; chat_id is the id there


_COLUMNS = (
    "id, key, chat_id, person_id, message, params, buttons, urgent, not_before, expires_at,"
    " status, attempts, channel"
)


def time_param(moment: datetime) -> str:
    """A time parameter of a notice ({"$dt": ...}): kept in the params as the database writes
    times, so notices queued by earlier versions still read the same."""
    return to_db(moment)


def param_time(text: str) -> datetime:
    """The time in a notice's {"$dt": ...} parameter (see time_param)."""
    return from_db(text)


def _notice(row: Any) -> NoticeRow:
    return NoticeRow(
        id=row["id"],
        key=row["key"],
        chat_id=row["chat_id"],
        person_id=row["person_id"],
        message=row["message"],
        params=json.loads(row["params"]),
        buttons=json.loads(row["buttons"]) if row["buttons"] else None,
        urgent=bool(row["urgent"]),
        not_before=from_db(row["not_before"]),
        expires_at=None if row["expires_at"] is None else from_db(row["expires_at"]),
        status=row["status"],
        attempts=row["attempts"],
        channel=row["channel"],
    )


async def enqueue(
    tx: Tx,
    *,
    key: str,
    chat_id: int,
    person_id: int | None,
    message: str,
    params: dict[str, Any],
    buttons: list[list[dict[str, str]]] | None,
    urgent: bool,
    not_before: datetime,
    expires_at: datetime | None,
    now: datetime,
    channel: str = "telegram",
) -> bool:
    """True if queued now; False if a notice with this key was queued before (never twice)."""
    changed = await tx.execute(
        "INSERT OR IGNORE INTO outbox (key, chat_id, person_id, message, params, buttons, urgent,"
        " not_before, expires_at, created_at, channel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            key,
            chat_id,
            person_id,
            message,
            json.dumps(params, ensure_ascii=False, sort_keys=True),
            json.dumps(buttons, ensure_ascii=False) if buttons else None,
            int(urgent),
            to_db(not_before),
            None if expires_at is None else to_db(expires_at),
            to_db(now),
            channel,
        ),
    )
    return changed == 1


async def due(
    tx: Tx,
    now: datetime,
    limit: int,
    *,
    skip_ids: Collection[int] = (),
    skip_chats: Collection[int] = (),
    channel: str | None = None,
) -> list[NoticeRow]:
    """Queued notices whose time has come, urgent then oldest first; 'sending' ones are crash
    leftovers.
    The sender skips the ones it has in flight and the chats it must not write to yet.
    Each channel's sender asks for its own channel's notices only."""
    sql = f"SELECT {_COLUMNS} FROM outbox WHERE status IN ('queued','sending') AND not_before <= ?"
    params: list[Any] = [to_db(now)]
    if channel is not None:
        sql += " AND channel = ?"
        params.append(channel)
    if skip_ids:
        sql += f" AND id NOT IN ({','.join('?' * len(skip_ids))})"
        params.extend(skip_ids)
    if skip_chats:
        sql += f" AND chat_id NOT IN ({','.join('?' * len(skip_chats))})"
        params.extend(skip_chats)
    # Urgent notices (safeguarding alerts) first, whatever else is waiting.
    urgent = await tx.all(
        sql + " AND urgent = 1 AND status IN ('queued','sending') ORDER BY not_before, id LIMIT ?",
        [*params, limit],
    )
    rows = list(urgent)
    if len(rows) < limit:
        taken = {r["id"] for r in rows}
        rest = await tx.all(sql + " ORDER BY not_before, id LIMIT ?", [*params, limit])
        rows += [r for r in rest if r["id"] not in taken][: limit - len(rows)]
    return [_notice(r) for r in rows]


async def next_due_at(tx: Tx, channel: str | None = None) -> datetime | None:
    if channel is None:
        value = await tx.value(
            "SELECT MIN(not_before) FROM outbox WHERE status IN ('queued','sending')"
        )
    else:
        value = await tx.value(
            "SELECT MIN(not_before) FROM outbox WHERE channel = ?"
            " AND status IN ('queued','sending')",
            (channel,),
        )
    return None if value is None else from_db(str(value))


async def get(tx: Tx, notice_id: int) -> NoticeRow | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM outbox WHERE id = ?", (notice_id,))
    return None if row is None else _notice(row)


async def by_key(tx: Tx, key: str) -> NoticeRow | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM outbox WHERE key = ?", (key,))
    return None if row is None else _notice(row)


@dataclass(frozen=True)
class Sendable:
    """A notice with what the sender must know of its recipient now (None: a chat-only notice,
    or the person is gone)."""

    notice: NoticeRow
    person_status: str | None
    person_language: str | None
    person_unreachable: bool


async def for_sending(tx: Tx, notice_ids: Collection[int]) -> list[Sendable]:
    """The notices still waiting to be sent, with their recipients, in queue order."""
    if not notice_ids:
        return []
    marks = ",".join("?" * len(notice_ids))
    columns = ", ".join(f"o.{c.strip()}" for c in _COLUMNS.split(","))
    rows = await tx.all(
        f"SELECT {columns}, p.status AS person_status, p.language AS person_language,"
        # The identity this notice goes to decides: a person may be reachable on another.
        " COALESCE(i.unreachable, p.unreachable) AS person_unreachable"
        " FROM outbox o LEFT JOIN person p ON p.id = o.person_id"
        " LEFT JOIN identity i ON i.channel = o.channel AND i.user_id = o.chat_id"
        f" WHERE o.id IN ({marks}) AND o.status IN ('queued','sending')"
        " ORDER BY o.urgent DESC, o.not_before, o.id",
        list(notice_ids),
    )
    return [
        Sendable(
            _notice(r), r["person_status"], r["person_language"], bool(r["person_unreachable"])
        )
        for r in rows
    ]


async def mark_sending_many(tx: Tx, notice_ids: Collection[int]) -> None:
    """Committed before the calls: after a crash these are sent again (at most once more)."""
    if notice_ids:
        marks = ",".join("?" * len(notice_ids))
        await tx.execute(
            f"UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id IN ({marks})",
            list(notice_ids),
        )


async def mark_sent_many(tx: Tx, sent: list[tuple[int, datetime, int | None]]) -> None:
    """(notice id, when, Telegram message id) for notices Telegram took."""
    await tx.executemany(
        "UPDATE outbox SET status = 'sent', done_at = ?, tg_message_id = ?, last_error = NULL"
        " WHERE id = ?",
        [(to_db(when), message_id, notice_id) for notice_id, when, message_id in sent],
    )


async def mark_sending(tx: Tx, notice_id: int) -> None:
    await tx.execute(
        "UPDATE outbox SET status = 'sending', attempts = attempts + 1 WHERE id = ?", (notice_id,)
    )


async def mark_sent(tx: Tx, notice_id: int, now: datetime, tg_message_id: int | None) -> None:
    await tx.execute(
        "UPDATE outbox SET status = 'sent', done_at = ?, tg_message_id = ?, last_error = NULL"
        " WHERE id = ?",
        (to_db(now), tg_message_id, notice_id),
    )


async def retry_later(tx: Tx, notice_id: int, not_before: datetime, error: str) -> None:
    await tx.execute(
        "UPDATE outbox SET status = 'queued', not_before = ?, last_error = ? WHERE id = ?",
        (to_db(not_before), error[:300], notice_id),
    )


async def hold(tx: Tx, notice_id: int, not_before: datetime) -> None:
    """Not yet (quiet hours): stays queued, released at not_before."""
    await tx.execute(
        "UPDATE outbox SET status = 'queued', not_before = ? WHERE id = ?",
        (to_db(not_before), notice_id),
    )


async def requeue(tx: Tx, notice_id: int, not_before: datetime, error: str) -> None:
    """Telegram said wait (429): queued again, and the wait does not use up a try."""
    await tx.execute(
        "UPDATE outbox SET status = 'queued', not_before = ?, last_error = ?,"
        " attempts = MAX(attempts - 1, 0) WHERE id = ?",
        (to_db(not_before), error[:300], notice_id),
    )


async def delay_chat(tx: Tx, chat_id: int, not_before: datetime, channel: str = "telegram") -> None:
    """Hold everything queued to a chat until not_before, so a retried notice keeps its place
    and the one queued after it cannot overtake it."""
    await tx.execute(
        "UPDATE outbox SET not_before = ? WHERE channel = ? AND chat_id = ? AND status = 'queued'"
        " AND not_before < ?",
        (to_db(not_before), channel, chat_id, to_db(not_before)),
    )


async def finish(tx: Tx, notice_id: int, status: str, now: datetime, reason: str) -> None:
    """End a notice without sending it: parked (dead letter), dropped (too late) or withdrawn."""
    await tx.execute(
        "UPDATE outbox SET status = ?, done_at = ?, last_error = ? WHERE id = ?",
        (status, to_db(now), reason[:300], notice_id),
    )


# Keys of the admins' "an urgent notice could not be delivered" notices: never alerted on again.
LOST_PREFIX = "urgent-lost:"


async def urgent_among(tx: Tx, ids: Collection[int]) -> list[tuple[int, str]]:
    """The urgent ones (a safeguarding alert, a Listener request) among these notices."""
    if not ids:
        return []
    marks = ",".join("?" * len(ids))
    rows = await tx.all(
        f"SELECT id, key FROM outbox WHERE urgent = 1 AND id IN ({marks}) ORDER BY id",
        list(ids),
    )
    return [(int(r["id"]), str(r["key"])) for r in rows if not r["key"].startswith(LOST_PREFIX)]


async def urgent_queued_for_chat(tx: Tx, chat_id: int, channel: str) -> list[int]:
    rows = await tx.all(
        "SELECT id FROM outbox WHERE channel = ? AND chat_id = ? AND urgent = 1"
        " AND status IN ('queued','sending')",
        (channel, chat_id),
    )
    return [int(r["id"]) for r in rows]


async def park_chat(
    tx: Tx, chat_id: int, now: datetime, reason: str, channel: str = "telegram"
) -> int:
    """Everything still queued to a chat that blocked the bot stops here."""
    return await tx.execute(
        "UPDATE outbox SET status = 'parked', done_at = ?, last_error = ?"
        " WHERE channel = ? AND chat_id = ? AND status IN ('queued','sending')",
        (to_db(now), reason, channel, chat_id),
    )


async def withdraw_prefix(tx: Tx, key_prefix: str, now: datetime, reason: str) -> int:
    """Withdraw queued notices whose key starts with a prefix (a cancelled meeting's reminders).
    A key range on the queued rows' key index: the cost follows the notices withdrawn, not the
    outbox's size."""
    low, high = key_range(key_prefix)
    return await tx.execute(
        "UPDATE outbox INDEXED BY outbox_key_queued SET status = 'withdrawn', done_at = ?,"
        " last_error = ? WHERE status = 'queued' AND key >= ? AND key < ?",
        (to_db(now), reason, low, high),
    )


async def counts(tx: Tx) -> dict[str, int]:
    rows = await tx.all("SELECT status, COUNT(*) AS n FROM outbox GROUP BY status")
    return {r["status"]: r["n"] for r in rows}


async def last_parked(tx: Tx, limit: int) -> list[tuple[str, str, datetime | None]]:
    """(key, reason, when parked) of the latest dead letters, for the admin's /delivery."""
    rows = await tx.all(
        "SELECT key, COALESCE(last_error, ''), done_at FROM outbox"
        " WHERE status = 'parked' ORDER BY done_at DESC, id DESC LIMIT ?",
        (limit,),
    )
    return [(r[0], r[1], None if r[2] is None else from_db(r[2])) for r in rows]


async def unreachable_people(tx: Tx) -> int:
    """Active people the sender cannot reach (they blocked the bot), for the admin's view."""
    return int(
        await tx.value("SELECT COUNT(*) FROM person WHERE status = 'active' AND unreachable = 1")
    )


async def waiting_by_channel(tx: Tx) -> dict[str, int]:
    """Notices still to send, per channel, for the admin's /delivery."""
    rows = await tx.all(
        "SELECT channel, COUNT(*) FROM outbox WHERE status IN ('queued','sending') GROUP BY channel"
    )
    return {str(r[0]): int(r[1]) for r in rows}
