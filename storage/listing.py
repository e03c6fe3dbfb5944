"""Short lists for the server console (`python -m bot list ...`): ids, state and a title, so the
other console commands can be given an id."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from storage.clock import from_db
from storage.db import Tx


@dataclass(frozen=True)
class Listed:
    id: int
    status: str
    title: str
    when: datetime  # closing or starting time


_QUERIES = {
    "consultations": "SELECT id, status, title, closes_at AS at FROM consultation ORDER BY id",
    "polls": "SELECT id, status, question AS title, closes_at AS at FROM poll ORDER BY id",
    "meetings": "SELECT id, status, title, starts_at AS at FROM meeting ORDER BY id",
}
KINDS = tuple(_QUERIES)


async def listed(tx: Tx, kind: str) -> list[Listed]:
    rows = await tx.all(_QUERIES[kind])
    return [Listed(r["id"], r["status"], r["title"], from_db(r["at"])) for r in rows]
