"""The append-only audit log of staff and admin actions."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.db import Tx


@dataclass(frozen=True)
class AuditRow:
    id: int
    at: datetime
    actor_id: int | None
    actor_role: str | None
    action: str
    subject: str | None
    detail: dict[str, Any]


async def append(
    tx: Tx,
    *,
    at: datetime,
    actor_id: int | None,
    actor_role: str | None,
    action: str,
    subject: str | None,
    detail: dict[str, Any],
) -> int:
    return await tx.insert(
        "INSERT INTO audit_log (at, actor_id, actor_role, action, subject, detail)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (
            to_db(at),
            actor_id,
            actor_role,
            action,
            subject,
            json.dumps(detail, ensure_ascii=False, sort_keys=True, default=_db_time),
        ),
    )


def _db_time(value: object) -> str:
    """A datetime in a detail is written as the database writes times (callers pass datetimes)."""
    if isinstance(value, datetime):
        return to_db(value)
    raise TypeError(f"{type(value).__name__} cannot go in an audit detail")


async def page(tx: Tx, *, limit: int, before_id: int | None = None) -> list[AuditRow]:
    sql = "SELECT id, at, actor_id, actor_role, action, subject, detail FROM audit_log"
    params: list[Any] = []
    if before_id is not None:
        sql += " WHERE id < ?"
        params.append(before_id)
    rows = await tx.all(sql + " ORDER BY id DESC LIMIT ?", [*params, limit])
    return [
        AuditRow(
            r["id"],
            from_db(r["at"]),
            r["actor_id"],
            r["actor_role"],
            r["action"],
            r["subject"],
            json.loads(r["detail"]),
        )
        for r in rows
    ]


async def count(tx: Tx) -> int:
    return int(await tx.value("SELECT COUNT(*) FROM audit_log"))
