"""Words staff write for others, in each content language: drafts while a wizard runs, the
translation the bot waits for, and the kept texts by kind, id and field."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from storage.db import Tx


@dataclass(frozen=True)
class Pending:
    flow: str
    step: str
    field: str
    lang: str
    primary_text: str
    next_reply: dict[str, Any]


async def clear_drafts(tx: Tx, person_id: int) -> None:
    await tx.execute("DELETE FROM content_draft WHERE person_id = ?", (person_id,))
    await tx.execute("DELETE FROM content_pending WHERE person_id = ?", (person_id,))


async def put_draft(tx: Tx, person_id: int, field: str, lang: str, text: str) -> None:
    await tx.execute(
        "INSERT INTO content_draft (person_id, field, lang, text) VALUES (?, ?, ?, ?)"
        " ON CONFLICT (person_id, field, lang) DO UPDATE SET text = excluded.text",
        (person_id, field, lang, text),
    )


async def drafts(tx: Tx, person_id: int) -> dict[tuple[str, str], str]:
    rows = await tx.all(
        "SELECT field, lang, text FROM content_draft WHERE person_id = ?", (person_id,)
    )
    return {(r["field"], r["lang"]): r["text"] for r in rows}


async def set_pending(tx: Tx, person_id: int, pending: Pending) -> None:
    await tx.execute(
        "INSERT INTO content_pending (person_id, flow, step, field, lang, primary_text,"
        " next_reply) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET"
        " flow = excluded.flow, step = excluded.step, field = excluded.field,"
        " lang = excluded.lang, primary_text = excluded.primary_text,"
        " next_reply = excluded.next_reply",
        (
            person_id,
            pending.flow,
            pending.step,
            pending.field,
            pending.lang,
            pending.primary_text,
            json.dumps(pending.next_reply, ensure_ascii=False),
        ),
    )


async def get_pending(tx: Tx, person_id: int) -> Pending | None:
    row = await tx.one(
        "SELECT flow, step, field, lang, primary_text, next_reply FROM content_pending"
        " WHERE person_id = ?",
        (person_id,),
    )
    if row is None:
        return None
    return Pending(
        row["flow"],
        row["step"],
        row["field"],
        row["lang"],
        row["primary_text"],
        json.loads(row["next_reply"]),
    )


async def clear_pending(tx: Tx, person_id: int) -> None:
    await tx.execute("DELETE FROM content_pending WHERE person_id = ?", (person_id,))


async def keep(
    tx: Tx, person_id: int, kind: str, ref_id: int, fields: dict[str, str], *, clear: bool = True
) -> None:
    """Move the person's drafts to content_text; fields maps a draft field to the kept one."""
    for (field, lang), text in (await drafts(tx, person_id)).items():
        if field not in fields:
            continue
        await tx.execute(
            "INSERT INTO content_text (kind, ref_id, field, lang, text) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT (kind, ref_id, field, lang) DO UPDATE SET text = excluded.text",
            (kind, ref_id, fields[field], lang, text),
        )
    if clear:
        await clear_drafts(tx, person_id)


async def texts(tx: Tx, kind: str, ref_id: int) -> dict[tuple[str, str], str]:
    rows = await tx.all(
        "SELECT field, lang, text FROM content_text WHERE kind = ? AND ref_id = ?",
        (kind, ref_id),
    )
    return {(r["field"], r["lang"]): r["text"] for r in rows}
