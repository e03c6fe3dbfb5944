"""Invite codes (stored only as hashes), wrong-code attempts and lockouts."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Tx


@dataclass(frozen=True)
class InviteRow:
    id: int
    role: str
    wing: str | None
    label: str | None
    expires_at: str
    used_at: str | None


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
    now: str,
    expires_at: str,
) -> int:
    return await tx.insert(
        "INSERT INTO invite (code_hash, role, wing, label, created_by, created_at, expires_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (code_hash, role, wing, label, created_by, now, expires_at),
    )


async def by_hash(tx: Tx, code_hash: str) -> InviteRow | None:
    row = await tx.one(
        "SELECT id, role, wing, label, expires_at, used_at FROM invite WHERE code_hash = ?",
        (code_hash,),
    )
    if row is None:
        return None
    return InviteRow(
        row["id"], row["role"], row["wing"], row["label"], row["expires_at"], row["used_at"]
    )


async def mark_used(tx: Tx, invite_id: int, person_id: int, now: str) -> bool:
    """True only for the one redemption that wins, even if two arrive at once."""
    changed = await tx.execute(
        "UPDATE invite SET used_at = ?, used_by = ? WHERE id = ? AND used_at IS NULL",
        (now, person_id, invite_id),
    )
    return changed == 1


async def record_failure(tx: Tx, tg_user_id: int, now: str) -> None:
    await tx.execute("INSERT INTO code_attempt (tg_user_id, at) VALUES (?, ?)", (tg_user_id, now))


async def failures_since(tx: Tx, tg_user_id: int, since: str) -> int:
    return int(
        await tx.value(
            "SELECT COUNT(*) FROM code_attempt WHERE tg_user_id = ? AND at >= ?",
            (tg_user_id, since),
        )
    )


async def clear_failures(tx: Tx, tg_user_id: int) -> None:
    await tx.execute("DELETE FROM code_attempt WHERE tg_user_id = ?", (tg_user_id,))


async def lock(tx: Tx, tg_user_id: int, until: str) -> None:
    await tx.execute(
        "INSERT INTO lockout (tg_user_id, until) VALUES (?, ?)"
        " ON CONFLICT(tg_user_id) DO UPDATE SET until = excluded.until",
        (tg_user_id, until),
    )


async def locked_until(tx: Tx, tg_user_id: int) -> str | None:
    value = await tx.value("SELECT until FROM lockout WHERE tg_user_id = ?", (tg_user_id,))
    return None if value is None else str(value)
