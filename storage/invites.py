"""Invite codes (stored only as hashes), wrong-code attempts and lockouts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db, to_db
from storage.db import Tx


@dataclass(frozen=True)
class InviteRow:
    id: int
    role: str
    wing: str | None
    label: str | None
    expires_at: datetime
    used_at: datetime | None
    channel: str | None = None  # None: it may be used on any channel
    person_id: int | None = None  # a link code: one more identity for this existing person


async def secret(tx: Tx, name: str, make: str) -> str:
    """A per-installation secret kept in the database (made once, on first use)."""
    await tx.execute("INSERT OR IGNORE INTO meta (key, value) VALUES (?, ?)", (name, make))
    return str(await tx.value("SELECT value FROM meta WHERE key = ?", (name,)))


async def add(
    tx: Tx,
    *,
    code_hash: str,
    role: str,
    wing: str | None,
    label: str | None,
    created_by: int | None,
    now: datetime,
    expires_at: datetime,
    channel: str | None = None,
    person_id: int | None = None,
) -> int:
    return await tx.insert(
        "INSERT INTO invite (code_hash, role, wing, label, created_by, created_at, expires_at,"
        " channel, person_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            code_hash,
            role,
            wing,
            label,
            created_by,
            to_db(now),
            to_db(expires_at),
            channel,
            person_id,
        ),
    )


async def by_hash(tx: Tx, code_hash: str) -> InviteRow | None:
    row = await tx.one(
        "SELECT id, role, wing, label, expires_at, used_at, channel, person_id FROM invite"
        " WHERE code_hash = ?",
        (code_hash,),
    )
    if row is None:
        return None
    return InviteRow(
        row["id"],
        row["role"],
        row["wing"],
        row["label"],
        from_db(row["expires_at"]),
        None if row["used_at"] is None else from_db(row["used_at"]),
        row["channel"],
        row["person_id"],
    )


async def mark_used(tx: Tx, invite_id: int, person_id: int, now: datetime) -> bool:
    """True only for the one redemption that wins, even if two arrive at once."""
    changed = await tx.execute(
        "UPDATE invite SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL",
        (to_db(now), person_id, invite_id),
    )
    return changed == 1


# Wrong codes and lockouts are per identity (channel, user id): the channel defaults to
# 'telegram' so that callers written before channels keep working.


async def record_failure(tx: Tx, tg_user_id: int, now: datetime, channel: str = "telegram") -> None:
    await tx.execute(
        "INSERT INTO code_attempt (channel, tg_user_id, at) VALUES (?, ?, ?)",
        (channel, tg_user_id, to_db(now)),
    )


async def failures_since(
    tx: Tx, tg_user_id: int, since: datetime, channel: str = "telegram"
) -> int:
    return int(
        await tx.value(
            "SELECT COUNT(*) FROM code_attempt WHERE channel = ? AND tg_user_id = ? AND at >= ?",
            (channel, tg_user_id, to_db(since)),
        )
    )


async def clear_failures(tx: Tx, tg_user_id: int, channel: str = "telegram") -> None:
    await tx.execute(
        "DELETE FROM code_attempt WHERE channel = ? AND tg_user_id = ?", (channel, tg_user_id)
    )


async def lock(tx: Tx, tg_user_id: int, until: datetime, channel: str = "telegram") -> None:
    await tx.execute(
        "INSERT INTO lockout (channel, tg_user_id, until) VALUES (?, ?, ?)"
        " ON CONFLICT(channel, tg_user_id) DO UPDATE SET until = excluded.until",
        (channel, tg_user_id, to_db(until)),
    )


async def locked_until(tx: Tx, tg_user_id: int, channel: str = "telegram") -> datetime | None:
    value = await tx.value(
        "SELECT until FROM lockout WHERE channel = ? AND tg_user_id = ?", (channel, tg_user_id)
    )
    return None if value is None else from_db(str(value))
