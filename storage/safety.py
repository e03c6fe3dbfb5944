"""Safer-custody contacts (people flagged by an admin), safeguarding alerts (who and where,
never the text) and the establishment-wide pause on invite codes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage import people
from storage.clock import from_db, to_db
from storage.db import Row, Tx
from storage.people import PersonRow


# People are read with storage.people's own columns and row mapping, so a change to the person
# table (channel identities) needs no change here.
def _people(rows: list[Row]) -> list[PersonRow]:
    return [p for p in (people._person(r) for r in rows) if p is not None]


# --- contacts ---------------------------------------------------------------------------------


async def contacts(tx: Tx) -> list[PersonRow]:
    """Active safer-custody contacts, by reference."""
    rows = await tx.all(
        f"SELECT {people._COLUMNS} FROM person WHERE status = 'active'"
        " AND id IN (SELECT person_id FROM safer_custody_contact) ORDER BY id"
    )
    return _people(rows)


async def contact_ids(tx: Tx) -> set[int]:
    rows = await tx.all(
        "SELECT c.person_id FROM safer_custody_contact c JOIN person p ON p.id = c.person_id"
        " WHERE p.status = 'active'"
    )
    return {int(r[0]) for r in rows}


async def is_contact(tx: Tx, person_id: int) -> bool:
    return (
        await tx.value("SELECT 1 FROM safer_custody_contact WHERE person_id = ?", (person_id,))
        is not None
    )


async def add_contact(tx: Tx, person_id: int, added_by: int | None, now: datetime) -> bool:
    changed = await tx.execute(
        "INSERT OR IGNORE INTO safer_custody_contact (person_id, added_by, added_at)"
        " VALUES (?, ?, ?)",
        (person_id, added_by, to_db(now)),
    )
    return changed == 1


async def remove_contact(tx: Tx, person_id: int) -> bool:
    changed = await tx.execute(
        "DELETE FROM safer_custody_contact WHERE person_id = ?", (person_id,)
    )
    return changed == 1


async def mark_invite(tx: Tx, invite_id: int) -> None:
    await tx.execute("UPDATE invite SET safer_custody = 1 WHERE id = ?", (invite_id,))


async def invite_makes_contact(tx: Tx, invite_id: int) -> bool:
    value = await tx.value("SELECT safer_custody FROM invite WHERE id = ?", (invite_id,))
    return bool(value)


async def pending_contact_invites(tx: Tx, now: datetime) -> int:
    """Unused, unexpired invites that will make a safer-custody contact when redeemed."""
    return int(
        await tx.value(
            "SELECT COUNT(*) FROM invite WHERE safer_custody = 1 AND used_at IS NULL"
            " AND expires_at > ?",
            (to_db(now),),
        )
    )


async def admins(tx: Tx) -> list[PersonRow]:
    rows = await tx.all(
        f"SELECT {people._COLUMNS} FROM person WHERE role = 'admin' AND status = 'active'"
        " ORDER BY id"
    )
    return _people(rows)


# --- alerts -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertRow:
    id: int
    person_id: int | None
    wing: str | None
    flow: str
    raised_at: datetime
    rounds: int
    taken_by: int | None
    taken_at: datetime | None


_ALERT = "id, person_id, wing, flow, raised_at, rounds, taken_by, taken_at"


def _alert(r: Row) -> AlertRow:
    return AlertRow(
        r["id"],
        r["person_id"],
        r["wing"],
        r["flow"],
        from_db(r["raised_at"]),
        r["rounds"],
        r["taken_by"],
        None if r["taken_at"] is None else from_db(r["taken_at"]),
    )


async def raise_alert(
    tx: Tx, *, person_id: int, digest: str, wing: str | None, flow: str, now: datetime
) -> int | None:
    """A new alert, or None when the same person already raised the same words."""
    row = await tx.one(
        "INSERT INTO safeguarding_alert (person_id, digest, wing, flow, raised_at)"
        " VALUES (?, ?, ?, ?, ?) ON CONFLICT (person_id, digest) DO NOTHING RETURNING id",
        (person_id, digest, wing, flow, to_db(now)),
    )
    return None if row is None else int(row[0])


async def alert(tx: Tx, alert_id: int) -> AlertRow | None:
    row = await tx.one(f"SELECT {_ALERT} FROM safeguarding_alert WHERE id = ?", (alert_id,))
    return None if row is None else _alert(row)


async def take(tx: Tx, alert_id: int, person_id: int, now: datetime) -> bool:
    """The first press wins; False if someone already took it (or no such alert)."""
    changed = await tx.execute(
        "UPDATE safeguarding_alert SET taken_by = ?, taken_at = ? WHERE id = ? AND taken_by IS NULL",
        (person_id, to_db(now), alert_id),
    )
    return changed == 1


async def next_round(tx: Tx, alert_id: int) -> int:
    await tx.execute("UPDATE safeguarding_alert SET rounds = rounds + 1 WHERE id = ?", (alert_id,))
    return int(await tx.value("SELECT rounds FROM safeguarding_alert WHERE id = ?", (alert_id,)))


async def forget_before(tx: Tx, cutoff: datetime) -> int:
    """Alerts raised before the cutoff go (retention)."""
    return await tx.execute("DELETE FROM safeguarding_alert WHERE raised_at < ?", (to_db(cutoff),))


# --- the establishment-wide pause on invite codes ----------------------------------------------


async def failures_since(tx: Tx, since: datetime) -> int:
    """Wrong codes typed by anyone since a moment."""
    return int(await tx.value("SELECT COUNT(*) FROM code_attempt WHERE at >= ?", (to_db(since),)))


async def pause_until(tx: Tx) -> datetime | None:
    value = await tx.value("SELECT until FROM invite_pause WHERE id = 1")
    return None if value is None else from_db(str(value))


async def pause(tx: Tx, until: datetime, now: datetime) -> bool:
    """Start (or extend) the pause; True when admins have not been told of a pause yet at this
    moment (one alert per pause, not per wrong code)."""
    current = await tx.one("SELECT until, alerted_at FROM invite_pause WHERE id = 1")
    if current is not None and from_db(str(current[0])) > now:
        await tx.execute("UPDATE invite_pause SET until = ? WHERE id = 1", (to_db(until),))
        return False
    await tx.execute(
        "INSERT INTO invite_pause (id, until, alerted_at) VALUES (1, ?, ?)"
        " ON CONFLICT (id) DO UPDATE SET until = excluded.until, alerted_at = excluded.alerted_at",
        (to_db(until), to_db(now)),
    )
    return True


async def person(tx: Tx, person_id: int) -> PersonRow | None:
    return await people.by_id(tx, person_id)
