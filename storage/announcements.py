"""Staff announcements: drafted at preview, sent once (draft -> sent is one guarded update)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db, to_db
from storage.db import Row, Tx


@dataclass(frozen=True)
class AnnouncementRow:
    id: int
    author_id: int | None
    audience: str
    text: str
    status: str
    recipients: int | None
    created_at: datetime


_COLUMNS = "id, author_id, audience, text, status, recipients, created_at"


def _row(row: Row) -> AnnouncementRow:
    return AnnouncementRow(
        row["id"],
        row["author_id"],
        row["audience"],
        row["text"],
        row["status"],
        row["recipients"],
        from_db(row["created_at"]),
    )


async def add_draft(tx: Tx, *, author_id: int, audience: str, text: str, now: datetime) -> int:
    return await tx.insert(
        "INSERT INTO announcement (author_id, audience, text, created_at) VALUES (?, ?, ?, ?)",
        (author_id, audience, text, to_db(now)),
    )


async def get(tx: Tx, announcement_id: int) -> AnnouncementRow | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM announcement WHERE id = ?", (announcement_id,))
    return None if row is None else _row(row)


async def finish_draft(
    tx: Tx, announcement_id: int, status: str, now: datetime, recipients: int | None = None
) -> bool:
    """Move a draft to 'sent' or 'cancelled'; False if a press before this one already did."""
    changed = await tx.execute(
        "UPDATE announcement SET status = ?, done_at = ?, recipients = ?"
        " WHERE id = ? AND status = 'draft'",
        (status, to_db(now), recipients, announcement_id),
    )
    return changed == 1


async def set_recipients(tx: Tx, announcement_id: int, recipients: int) -> None:
    await tx.execute(
        "UPDATE announcement SET recipients = ? WHERE id = ?", (recipients, announcement_id)
    )
