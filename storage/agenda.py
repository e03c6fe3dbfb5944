"""Agenda items and their supporters. Status changes are conditional, so two staff acting on
the same item at once cannot both win; which changes are allowed is decided in bot.council."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from storage.clock import from_db, to_db
from storage.db import Row, Tx

# Open for support and listed by browse. Written out literally (not as parameters) because the
# partial indexes in 0003_agenda.sql carry the same WHERE, and SQLite matches them by text.
OPEN_SQL = "status IN ('accepted','on_agenda')"

_COLUMNS = (
    "id, topic, wing, text, status, version, submitter_id, name_hidden, keyed_in, keyed_by,"
    " keyed_reason, info_question, info_reply, answer, merged_into, meeting_id, support_count,"
    " created_at, updated_at, published_at"
)

# Columns a status change may set besides status, version and updated_at.
_CHANGEABLE = frozenset(
    {"info_question", "info_reply", "answer", "merged_into", "meeting_id", "published_at"}
)


@dataclass(frozen=True)
class ItemRow:
    id: int
    topic: str
    wing: str
    text: str
    status: str
    version: int
    submitter_id: int | None
    name_hidden: bool
    keyed_in: bool
    keyed_by: int | None
    keyed_reason: str | None
    info_question: str | None
    info_reply: str | None
    answer: str | None
    merged_into: int | None
    meeting_id: int | None
    support_count: int
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None


def _db(value: Any) -> Any:
    return to_db(value) if isinstance(value, datetime) else value


def _item(row: Row) -> ItemRow:
    return ItemRow(
        id=row["id"],
        topic=row["topic"],
        wing=row["wing"],
        text=row["text"],
        status=row["status"],
        version=row["version"],
        submitter_id=row["submitter_id"],
        name_hidden=bool(row["name_hidden"]),
        keyed_in=bool(row["keyed_in"]),
        keyed_by=row["keyed_by"],
        keyed_reason=row["keyed_reason"],
        info_question=row["info_question"],
        info_reply=row["info_reply"],
        answer=row["answer"],
        merged_into=row["merged_into"],
        meeting_id=row["meeting_id"],
        support_count=row["support_count"],
        created_at=from_db(row["created_at"]),
        updated_at=from_db(row["updated_at"]),
        published_at=None if row["published_at"] is None else from_db(row["published_at"]),
    )


async def insert(
    tx: Tx,
    *,
    topic: str,
    wing: str,
    text: str,
    submitter_id: int | None,
    name_hidden: bool,
    keyed_by: int | None,
    keyed_reason: str | None,
    now: datetime,
) -> int:
    return await tx.insert(
        "INSERT INTO agenda_item (topic, wing, text, submitter_id, name_hidden, keyed_in,"
        " keyed_by, keyed_reason, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        (
            topic,
            wing,
            text,
            submitter_id,
            int(name_hidden),
            int(keyed_by is not None),
            keyed_by,
            keyed_reason,
            to_db(now),
            to_db(now),
        ),
    )


async def get(tx: Tx, item_id: int) -> ItemRow | None:
    row = await tx.one(f"SELECT {_COLUMNS} FROM agenda_item WHERE id = ?", (item_id,))
    return None if row is None else _item(row)


async def change_status(
    tx: Tx,
    item_id: int,
    *,
    expected: str,
    version: int,
    new: str,
    now: datetime,
    fields: dict[str, Any] | None = None,
) -> bool:
    """True only for the one change that finds the item as the caller saw it. A time among the
    fields (published_at) is an aware datetime like `now`."""
    fields = fields or {}
    unknown = set(fields) - _CHANGEABLE
    if unknown:
        raise ValueError(f"agenda_item columns not changeable here: {sorted(unknown)}")
    sets = "".join(f", {name} = ?" for name in fields)
    changed = await tx.execute(
        f"UPDATE agenda_item SET status = ?, version = version + 1, updated_at = ?{sets}"
        " WHERE id = ? AND status = ? AND version = ?",
        (new, to_db(now), *(_db(v) for v in fields.values()), item_id, expected, version),
    )
    return changed == 1


async def next_in_queue(tx: Tx, status: str, after: ItemRow | None = None) -> ItemRow | None:
    """The oldest item in a status, or the next one after a given item (Skip)."""
    if after is None:
        row = await tx.one(
            f"SELECT {_COLUMNS} FROM agenda_item WHERE status = ? ORDER BY created_at, id LIMIT 1",
            (status,),
        )
    else:
        row = await tx.one(
            f"SELECT {_COLUMNS} FROM agenda_item WHERE status = ?"
            " AND (created_at, id) > (?, ?) ORDER BY created_at, id LIMIT 1",
            (status, to_db(after.created_at), after.id),
        )
    return None if row is None else _item(row)


async def count_in_status(tx: Tx, status: str) -> int:
    """Kept by triggers (migration 0015): one row, however long the backlog."""
    value = await tx.value("SELECT n FROM agenda_status_count WHERE status = ?", (status,))
    return 0 if value is None else int(value)


async def by_submitter(tx: Tx, person_id: int, *, limit: int, offset: int) -> list[ItemRow]:
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM agenda_item WHERE submitter_id = ? ORDER BY id DESC"
        " LIMIT ? OFFSET ?",
        (person_id, limit, offset),
    )
    return [_item(r) for r in rows]


async def open_page(
    tx: Tx, *, wing: str | None, most_supported: bool, limit: int, offset: int
) -> list[ItemRow]:
    """Items open for support, newest (by when published) or most supported first."""
    order = "support_count DESC, id DESC" if most_supported else "published_at DESC, id DESC"
    if wing is None:
        index = "agenda_open_top" if most_supported else "agenda_open_new"
        rows = await tx.all(
            f"SELECT {_COLUMNS} FROM agenda_item INDEXED BY {index} WHERE {OPEN_SQL}"
            f" ORDER BY {order} LIMIT ? OFFSET ?",
            (limit, offset),
        )
    else:
        index = "agenda_open_wing_top" if most_supported else "agenda_open_wing_new"
        rows = await tx.all(
            f"SELECT {_COLUMNS} FROM agenda_item INDEXED BY {index} WHERE {OPEN_SQL}"
            f" AND wing = ? ORDER BY {order} LIMIT ? OFFSET ?",
            (wing, limit, offset),
        )
    return [_item(r) for r in rows]


# --- support --------------------------------------------------------------------------------


async def add_support(tx: Tx, item_id: int, person_id: int, now: datetime) -> bool:
    """True if this person now supports the item for the first time (a trigger keeps the count)."""
    changed = await tx.execute(
        "INSERT OR IGNORE INTO agenda_support (item_id, person_id, at) VALUES (?, ?, ?)",
        (item_id, person_id, to_db(now)),
    )
    return changed == 1


async def supports(tx: Tx, item_id: int, person_id: int) -> bool:
    found = await tx.value(
        "SELECT 1 FROM agenda_support WHERE item_id = ? AND person_id = ?", (item_id, person_id)
    )
    return found is not None


async def supported_among(tx: Tx, person_id: int, item_ids: Iterable[int]) -> set[int]:
    ids = list(item_ids)
    if not ids:
        return set()
    marks = ",".join("?" * len(ids))
    rows = await tx.all(
        f"SELECT item_id FROM agenda_support WHERE person_id = ? AND item_id IN ({marks})",
        (person_id, *ids),
    )
    return {int(r[0]) for r in rows}


async def supporter_ids(tx: Tx, item_id: int) -> list[int]:
    rows = await tx.all(
        "SELECT person_id FROM agenda_support WHERE item_id = ? ORDER BY person_id", (item_id,)
    )
    return [int(r[0]) for r in rows]


async def count_supporters(tx: Tx, item_id: int) -> int:
    return int(await tx.value("SELECT COUNT(*) FROM agenda_support WHERE item_id = ?", (item_id,)))


async def move_supporters(
    tx: Tx, from_id: int, to_id: int, *, skip_person: int | None, now: datetime
) -> None:
    """A merged item's supporters now support the original (once each); the copy keeps none."""
    await tx.execute(
        "INSERT OR IGNORE INTO agenda_support (item_id, person_id, at)"
        " SELECT ?, person_id, ? FROM agenda_support WHERE item_id = ? AND person_id IS NOT ?",
        (to_id, to_db(now), from_id, skip_person),
    )
    await tx.execute("DELETE FROM agenda_support WHERE item_id = ?", (from_id,))
    # Supports of people whose details were deleted (docs/PRIVACY.md) follow as counts.
    await tx.execute(
        "UPDATE agenda_item SET support_count = support_count + c.n,"
        " anonymous_supports = anonymous_supports + c.n"
        " FROM (SELECT anonymous_supports AS n FROM agenda_item WHERE id = ?) AS c"
        " WHERE agenda_item.id = ? AND c.n > 0",
        (from_id, to_id),
    )
    await tx.execute(
        "UPDATE agenda_item SET support_count = support_count - anonymous_supports,"
        " anonymous_supports = 0 WHERE id = ? AND anonymous_supports > 0",
        (from_id,),
    )


async def repoint_merged(tx: Tx, from_id: int, to_id: int) -> int:
    """Items merged into a copy now point at its original, so chains stay one step long."""
    return await tx.execute(
        "UPDATE agenda_item SET merged_into = ? WHERE merged_into = ?", (to_id, from_id)
    )


async def in_statuses(tx: Tx, statuses: Iterable[str], *, limit: int, offset: int) -> list[ItemRow]:
    """Items in any of these statuses, oldest first (the "Post an outcome" list)."""
    wanted = list(statuses)
    marks = ",".join("?" for _ in wanted)
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM agenda_item WHERE status IN ({marks})"
        " ORDER BY created_at, id LIMIT ? OFFSET ?",
        (*wanted, limit, offset),
    )
    return [_item(r) for r in rows]
