"""People admitted to the council bot and their roles."""

from __future__ import annotations

from dataclasses import dataclass

from storage.db import Row, Tx

_COLUMNS = "id, tg_user_id, role, status, language, language_chosen, wing, label, unreachable"


@dataclass(frozen=True)
class PersonRow:
    id: int
    tg_user_id: int | None
    role: str
    status: str
    language: str
    language_chosen: bool
    wing: str | None
    label: str | None
    unreachable: bool


def _person(row: Row | None) -> PersonRow | None:
    if row is None:
        return None
    return PersonRow(
        id=row["id"],
        tg_user_id=row["tg_user_id"],
        role=row["role"],
        status=row["status"],
        language=row["language"],
        language_chosen=bool(row["language_chosen"]),
        wing=row["wing"],
        label=row["label"],
        unreachable=bool(row["unreachable"]),
    )


async def by_tg_user(tx: Tx, tg_user_id: int) -> PersonRow | None:
    return _person(
        await tx.one(f"SELECT {_COLUMNS} FROM person WHERE tg_user_id = ?", (tg_user_id,))
    )


async def by_id(tx: Tx, person_id: int) -> PersonRow | None:
    return _person(await tx.one(f"SELECT {_COLUMNS} FROM person WHERE id = ?", (person_id,)))


async def upsert_member(
    tx: Tx,
    *,
    tg_user_id: int,
    role: str,
    wing: str | None,
    label: str | None,
    language: str,
    now: str,
) -> int:
    """Admit a Telegram user; a revoked or departed person coming back gets the same row."""
    return int(
        await tx.value(
            "INSERT INTO person (tg_user_id, role, status, language, wing, label, joined_at, updated_at)"
            " VALUES (?, ?, 'active', ?, ?, ?, ?, ?)"
            " ON CONFLICT(tg_user_id) DO UPDATE SET role = excluded.role, status = 'active',"
            " wing = excluded.wing, label = excluded.label, unreachable = 0,"
            " updated_at = excluded.updated_at"
            " RETURNING id",
            (tg_user_id, role, language, wing, label, now, now),
        )
    )


async def set_language(tx: Tx, person_id: int, language: str, now: str) -> None:
    await tx.execute(
        "UPDATE person SET language = ?, language_chosen = 1, updated_at = ? WHERE id = ?",
        (language, now, person_id),
    )


async def set_status(tx: Tx, person_id: int, status: str, now: str) -> int:
    return await tx.execute(
        "UPDATE person SET status = ?, updated_at = ? WHERE id = ? AND status != ?",
        (status, now, person_id, status),
    )


async def set_unreachable(tx: Tx, person_id: int, unreachable: bool, now: str) -> None:
    await tx.execute(
        "UPDATE person SET unreachable = ?, updated_at = ? WHERE id = ?",
        (int(unreachable), now, person_id),
    )


async def active_page(tx: Tx, *, limit: int, offset: int) -> list[PersonRow]:
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM person WHERE status = 'active' ORDER BY id LIMIT ? OFFSET ?",
        (limit, offset),
    )
    return [p for p in map(_person, rows) if p is not None]


async def count_active(tx: Tx) -> int:
    return int(await tx.value("SELECT COUNT(*) FROM person WHERE status = 'active'"))


async def active_with_roles(
    tx: Tx, roles: tuple[str, ...], wing: str | None = None
) -> list[PersonRow]:
    marks = ",".join("?" * len(roles))
    sql = f"SELECT {_COLUMNS} FROM person WHERE status = 'active' AND role IN ({marks})"
    params: list[object] = list(roles)
    if wing is not None:
        sql += " AND wing = ?"
        params.append(wing)
    rows = await tx.all(sql + " ORDER BY id", params)
    return [p for p in map(_person, rows) if p is not None]
