"""Consultations, their questions, participants' answers and who took part (leaving is
storage/people.forget).

While a consultation is open a participant row names its person, so they can change answers.
At close (or when the person leaves) that link is cut: answers stay, anonymous. Times go in and
come out as aware datetimes; the text form is this module's business (storage/clock.py)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

from storage.clock import from_db, to_db
from storage.db import Row, Tx

_COLUMNS = (
    "id, title, background, audience, status, opened_at, closes_at, closed_at, created_by,"
    " heard, will_do, reported_at"
)


Audience = Literal["families", "members", "both"]  # the CHECK constraint's values
Status = Literal["open", "closed"]
Group = Literal["family", "member"]  # the group an answer is counted in
Kind = Literal["text", "single", "multiple"]


@dataclass(frozen=True)
class ConsultationRow:
    id: int
    title: str
    background: str
    audience: Audience
    status: Status
    opened_at: datetime
    closes_at: datetime
    closed_at: datetime | None
    created_by: int | None
    heard: str | None
    will_do: str | None
    reported_at: datetime | None


@dataclass(frozen=True)
class QuestionRow:
    position: int
    kind: Kind
    prompt: str
    options: list[str]


@dataclass(frozen=True)
class ParticipantRow:
    id: int
    consultation_id: int
    person_id: int | None
    grp: Group
    submitted_at: datetime | None
    name: str | None


@dataclass(frozen=True)
class AnswerRow:
    position: int
    choice: list[int] | None
    answer: str | None


def _time(text: str | None) -> datetime | None:
    return None if text is None else from_db(text)


def _consultation(row: Row | None) -> ConsultationRow | None:
    if row is None:
        return None
    return ConsultationRow(
        id=row["id"],
        title=row["title"],
        background=row["background"],
        audience=row["audience"],
        status=row["status"],
        opened_at=from_db(row["opened_at"]),
        closes_at=from_db(row["closes_at"]),
        closed_at=_time(row["closed_at"]),
        created_by=row["created_by"],
        heard=row["heard"],
        will_do=row["will_do"],
        reported_at=_time(row["reported_at"]),
    )


def _participant(row: Row | None) -> ParticipantRow | None:
    if row is None:
        return None
    return ParticipantRow(
        row["id"],
        row["consultation_id"],
        row["person_id"],
        row["grp"],
        _time(row["submitted_at"]),
        row["name"],
    )


def _answer(row: Row) -> AnswerRow:
    return AnswerRow(
        row["position"], json.loads(row["choice"]) if row["choice"] else None, row["answer"]
    )


# --- consultations and questions -------------------------------------------------------------


async def add(
    tx: Tx,
    *,
    title: str,
    background: str,
    audience: str,
    opened_at: datetime,
    closes_at: datetime,
    created_by: int | None,
    questions: list[tuple[Kind, str, list[str]]],
) -> int:
    """A consultation and its questions (kind, prompt, options), numbered from 1."""
    consultation_id = await tx.insert(
        "INSERT INTO consultation (title, background, audience, opened_at, closes_at, created_by)"
        " VALUES (?, ?, ?, ?, ?, ?)",
        (title, background, audience, to_db(opened_at), to_db(closes_at), created_by),
    )
    await tx.executemany(
        "INSERT INTO consultation_question (consultation_id, position, kind, prompt, options)"
        " VALUES (?, ?, ?, ?, ?)",
        [
            (consultation_id, pos, kind, prompt, json.dumps(options, ensure_ascii=False))
            for pos, (kind, prompt, options) in enumerate(questions, start=1)
        ],
    )
    return consultation_id


async def get(tx: Tx, consultation_id: int) -> ConsultationRow | None:
    return _consultation(
        await tx.one(f"SELECT {_COLUMNS} FROM consultation WHERE id = ?", (consultation_id,))
    )


async def questions(tx: Tx, consultation_id: int) -> list[QuestionRow]:
    rows = await tx.all(
        "SELECT position, kind, prompt, options FROM consultation_question"
        " WHERE consultation_id = ? ORDER BY position",
        (consultation_id,),
    )
    return [
        QuestionRow(r["position"], r["kind"], r["prompt"], json.loads(r["options"])) for r in rows
    ]


async def listed(
    tx: Tx, *, status: str, audiences: tuple[str, ...], limit: int
) -> list[ConsultationRow]:
    """Open ones soonest-closing first; closed ones newest first."""
    marks = ",".join("?" * len(audiences))
    order = "closes_at, id" if status == "open" else "closes_at DESC, id DESC"
    rows = await tx.all(
        f"SELECT {_COLUMNS} FROM consultation WHERE status = ? AND audience IN ({marks})"
        f" ORDER BY {order} LIMIT ?",
        (status, *audiences, limit),
    )
    return [c for c in map(_consultation, rows) if c is not None]


async def overdue(tx: Tx, now: datetime) -> list[int]:
    rows = await tx.all(
        "SELECT id FROM consultation WHERE status = 'open' AND closes_at <= ? ORDER BY id",
        (to_db(now),),
    )
    return [r[0] for r in rows]


async def close(tx: Tx, consultation_id: int, now: datetime) -> bool:
    """Open -> closed, once: False if it was closed already (a second timer, a double press)."""
    changed = await tx.execute(
        "UPDATE consultation SET status = 'closed', closed_at = ? WHERE id = ? AND status = 'open'",
        (to_db(now), consultation_id),
    )
    return changed == 1


async def set_report(
    tx: Tx, consultation_id: int, *, heard: str, will_do: str, by: int, now: datetime
) -> bool:
    """The report back, once, on a closed consultation."""
    changed = await tx.execute(
        "UPDATE consultation SET heard = ?, will_do = ?, reported_at = ?, reported_by = ?"
        " WHERE id = ? AND status = 'closed' AND reported_at IS NULL",
        (heard, will_do, to_db(now), by, consultation_id),
    )
    return changed == 1


# --- participants and answers ----------------------------------------------------------------


async def participant(tx: Tx, consultation_id: int, person_id: int) -> ParticipantRow | None:
    return _participant(
        await tx.one(
            "SELECT id, consultation_id, person_id, grp, submitted_at, name"
            " FROM consultation_participant WHERE consultation_id = ? AND person_id = ?",
            (consultation_id, person_id),
        )
    )


async def join(tx: Tx, consultation_id: int, person_id: int, grp: Group) -> ParticipantRow:
    """The person's participant row, made on first use; never two (UNIQUE, conflict ignored)."""
    await tx.execute(
        "INSERT INTO consultation_participant (consultation_id, person_id, grp) VALUES (?, ?, ?)"
        " ON CONFLICT (consultation_id, person_id) DO NOTHING",
        (consultation_id, person_id, grp),
    )
    found = await participant(tx, consultation_id, person_id)
    assert found is not None
    return found


async def answers(tx: Tx, participant_id: int) -> dict[int, AnswerRow]:
    rows = await tx.all(
        "SELECT position, choice, answer FROM consultation_answer WHERE participant_id = ?",
        (participant_id,),
    )
    return {r["position"]: _answer(r) for r in rows}


async def put_answer(
    tx: Tx, participant_id: int, position: int, *, choice: list[int] | None, answer: str | None
) -> None:
    """One row per (participant, question): a new answer replaces the old one."""
    await tx.execute(
        "INSERT INTO consultation_answer (participant_id, position, choice, answer)"
        " VALUES (?, ?, ?, ?) ON CONFLICT (participant_id, position)"
        " DO UPDATE SET choice = excluded.choice, answer = excluded.answer",
        (participant_id, position, None if choice is None else json.dumps(choice), answer),
    )


async def clear_answer(tx: Tx, participant_id: int, position: int) -> None:
    await tx.execute(
        "DELETE FROM consultation_answer WHERE participant_id = ? AND position = ?",
        (participant_id, position),
    )


async def submit(tx: Tx, participant_id: int, now: datetime) -> bool:
    """Submitted once: of two presses at once, one wins and the other changes nothing."""
    changed = await tx.execute(
        "UPDATE consultation_participant SET submitted_at = ?"
        " WHERE id = ? AND submitted_at IS NULL",
        (to_db(now), participant_id),
    )
    return changed == 1


async def set_name(tx: Tx, participant_id: int, name: str | None) -> None:
    await tx.execute(
        "UPDATE consultation_participant SET name = ? WHERE id = ?", (name, participant_id)
    )


async def counts(tx: Tx, consultation_id: int) -> dict[str, tuple[int, int]]:
    """Per group (family, member): (submitted, started but not submitted)."""
    rows = await tx.all(
        "SELECT grp, COUNT(submitted_at) AS done, COUNT(*) - COUNT(submitted_at) AS draft"
        " FROM consultation_participant WHERE consultation_id = ? GROUP BY grp",
        (consultation_id,),
    )
    return {r["grp"]: (r["done"], r["draft"]) for r in rows}


async def drop_drafts(tx: Tx, consultation_id: int) -> int:
    """At close, answers never submitted are not counted: they go."""
    return await tx.execute(
        "DELETE FROM consultation_participant WHERE consultation_id = ? AND submitted_at IS NULL",
        (consultation_id,),
    )


async def detach(tx: Tx, consultation_id: int) -> None:
    """At close: keep who took part (to tell them the outcome) apart from what they said."""
    await tx.execute(
        "INSERT OR IGNORE INTO consultation_taker (consultation_id, person_id)"
        " SELECT consultation_id, person_id FROM consultation_participant"
        " WHERE consultation_id = ? AND person_id IS NOT NULL AND submitted_at IS NOT NULL",
        (consultation_id,),
    )
    await tx.execute(
        "UPDATE consultation_participant SET person_id = NULL WHERE consultation_id = ?",
        (consultation_id,),
    )


async def takers(tx: Tx, consultation_id: int) -> list[int]:
    rows = await tx.all(
        "SELECT person_id FROM consultation_taker WHERE consultation_id = ? ORDER BY person_id",
        (consultation_id,),
    )
    return [r[0] for r in rows]


async def took_part(tx: Tx, consultation_id: int, person_id: int) -> bool:
    row = await tx.one(
        "SELECT 1 FROM consultation_taker WHERE consultation_id = ? AND person_id = ?",
        (consultation_id, person_id),
    )
    return row is not None


async def submitted_answers(tx: Tx, consultation_id: int) -> list[tuple[int, Group, str | None]]:
    """(participant id, group, name) of every submitted participant, in id order."""
    rows = await tx.all(
        "SELECT id, grp, name FROM consultation_participant"
        " WHERE consultation_id = ? AND submitted_at IS NOT NULL ORDER BY id",
        (consultation_id,),
    )
    return [(r["id"], r["grp"], r["name"]) for r in rows]


async def all_answers(tx: Tx, consultation_id: int) -> dict[int, dict[int, AnswerRow]]:
    """Every submitted answer, by participant id then question position."""
    rows = await tx.all(
        "SELECT a.participant_id, a.position, a.choice, a.answer FROM consultation_answer a"
        " JOIN consultation_participant p ON p.id = a.participant_id"
        " WHERE p.consultation_id = ? AND p.submitted_at IS NOT NULL",
        (consultation_id,),
    )
    out: dict[int, dict[int, AnswerRow]] = {}
    for r in rows:
        out.setdefault(r["participant_id"], {})[r["position"]] = _answer(r)
    return out
