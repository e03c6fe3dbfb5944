"""Where each person is in a multi-step flow, so half-written input survives a restart."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import to_db
from storage.db import Tx


@dataclass(frozen=True)
class ConversationRow:
    person_id: int
    flow: str
    step: str
    data: dict[str, Any]


async def get(tx: Tx, person_id: int) -> ConversationRow | None:
    row = await tx.one(
        "SELECT flow, step, data FROM conversation WHERE person_id = ?", (person_id,)
    )
    if row is None:
        return None
    return ConversationRow(person_id, row["flow"], row["step"], json.loads(row["data"]))


async def put(
    tx: Tx, person_id: int, flow: str, step: str, data: dict[str, Any], now: datetime
) -> None:
    await tx.execute(
        "INSERT INTO conversation (person_id, flow, step, data, updated_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT(person_id) DO UPDATE SET flow = excluded.flow, step = excluded.step,"
        " data = excluded.data, updated_at = excluded.updated_at",
        (person_id, flow, step, json.dumps(data, ensure_ascii=False), to_db(now)),
    )


async def clear(tx: Tx, person_id: int) -> bool:
    return await tx.execute("DELETE FROM conversation WHERE person_id = ?", (person_id,)) > 0
