"""Notes kept beside an agenda item for staff: a member's answer that arrived late."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db, to_db
from storage.db import Tx


@dataclass(frozen=True)
class NoteRow:
    id: int
    item_id: int
    author_id: int | None
    text: str
    created_at: datetime


async def add(tx: Tx, *, item_id: int, author_id: int | None, text: str, at: datetime) -> int:
    return await tx.insert(
        "INSERT INTO agenda_note (item_id, author_id, text, created_at) VALUES (?, ?, ?, ?)",
        (item_id, author_id, text, to_db(at)),
    )


async def for_item(tx: Tx, item_id: int) -> list[NoteRow]:
    rows = await tx.all(
        "SELECT id, item_id, author_id, text, created_at FROM agenda_note"
        " WHERE item_id = ? ORDER BY id",
        (item_id,),
    )
    return [
        NoteRow(r["id"], r["item_id"], r["author_id"], r["text"], from_db(r["created_at"]))
        for r in rows
    ]


async def last_asker(tx: Tx, subject: str) -> int | None:
    """Who last asked the member a question about this item (the audit log keeps it)."""
    row = await tx.one(
        "SELECT actor_id FROM audit_log WHERE action = 'agenda.ask_info' AND subject = ?"
        " ORDER BY id DESC LIMIT 1",
        (subject,),
    )
    return None if row is None else row["actor_id"]
