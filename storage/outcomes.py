"""Outcome versions of agenda items. A new version clears the old one's latest flag in the same
transaction; the partial unique index makes two latest versions of one item impossible."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from storage.clock import from_db, to_db
from storage.db import Row, Tx

_COLUMNS = (
    "id, item_id, version, latest, kind, text, reason, owner_id, owner_name, follow_up_on,"
    " topic, wing, source, meeting_id, posted_by, posted_at"
)


@dataclass(frozen=True)
class OutcomeRow:
    id: int
    item_id: int
    version: int
    latest: bool
    kind: str
    text: str
    reason: str | None
    owner_id: int | None
    owner_name: str | None
    follow_up_on: date | None  # a day in the establishment's zone
    topic: str
    wing: str
    source: str
    meeting_id: int | None
    posted_by: int | None
    posted_at: datetime


def _outcome(row: Row) -> OutcomeRow:
    return OutcomeRow(
        id=row["id"],
        item_id=row["item_id"],
        version=row["version"],
        latest=bool(row["latest"]),
        kind=row["kind"],
        text=row["text"],
        reason=row["reason"],
        owner_id=row["owner_id"],
        owner_name=row["owner_name"],
        follow_up_on=None
        if row["follow_up_on"] is None
        else date.fromisoformat(row["follow_up_on"]),
        topic=row["topic"],
        wing=row["wing"],
        source=row["source"],
        meeting_id=row["meeting_id"],
        posted_by=row["posted_by"],
        posted_at=from_db(row["posted_at"]),
    )


async def add_version(
    tx: Tx,
    *,
    item_id: int,
    kind: str,
    text: str,
    reason: str | None,
    owner_id: int | None,
    owner_name: str | None,
    follow_up_on: date | None,
    topic: str,
    wing: str,
    source: str,
    meeting_id: int | None,
    posted_by: int | None,
    now: datetime,
) -> OutcomeRow:
    """The next version becomes the latest; earlier ones are kept as history."""
    version = int(
        await tx.value(
            "SELECT COALESCE(MAX(version), 0) + 1 FROM outcome WHERE item_id = ?", (item_id,)
        )
    )
    await tx.execute("UPDATE outcome SET latest = 0 WHERE item_id = ? AND latest = 1", (item_id,))
    outcome_id = await tx.insert(
        "INSERT INTO outcome (item_id, version, latest, kind, text, reason, owner_id, owner_name,"
        " follow_up_on, topic, wing, source, meeting_id, posted_by, posted_at)"
        " VALUES (?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            item_id,
            version,
            kind,
            text,
            reason,
            owner_id,
            owner_name,
            None if follow_up_on is None else follow_up_on.isoformat(),
            topic,
            wing,
            source,
            meeting_id,
            posted_by,
            to_db(now),
        ),
    )
    row = await tx.one(f"SELECT {_COLUMNS} FROM outcome WHERE id = ?", (outcome_id,))
    assert row is not None
    return _outcome(row)


async def latest(tx: Tx, item_id: int) -> OutcomeRow | None:
    row = await tx.one(
        f"SELECT {_COLUMNS} FROM outcome WHERE item_id = ? AND latest = 1", (item_id,)
    )
    return None if row is None else _outcome(row)


async def get(tx: Tx, outcome_id: int) -> OutcomeRow | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM outcome WHERE id = ?", (outcome_id,))
    return None if row is None else _outcome(row)


async def history(tx: Tx, item_id: int) -> list[OutcomeRow]:
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM outcome WHERE item_id = ? ORDER BY version", (item_id,)
    )
    return [_outcome(r) for r in rows]


async def latest_among(tx: Tx, item_ids: list[int]) -> dict[int, OutcomeRow]:
    if not item_ids:
        return {}
    marks = ",".join("?" * len(item_ids))
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM outcome WHERE latest = 1 AND item_id IN ({marks})",
        tuple(item_ids),
    )
    return {int(r["item_id"]): _outcome(r) for r in rows}


async def board_page(
    tx: Tx,
    *,
    wing: str | None,
    since: datetime | None = None,
    limit: int,
    offset: int,
) -> list[OutcomeRow]:
    """Latest outcomes, newest first; one wing or all; optionally only those posted since."""
    where = ["latest = 1"]
    params: list[object] = []
    if wing is not None:
        where.append("wing = ?")
        params.append(wing)
    if since is not None:
        where.append("posted_at >= ?")
        params.append(to_db(since))
    index = "outcome_board_wing" if wing is not None else "outcome_board"
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM outcome INDEXED BY {index} WHERE {' AND '.join(where)}"
        " ORDER BY posted_at DESC, id DESC LIMIT ? OFFSET ?",
        (*params, limit, offset),
    )
    return [_outcome(r) for r in rows]
