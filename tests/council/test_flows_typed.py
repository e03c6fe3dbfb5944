"""Typed flows (bot/council/flows.py): one way to read and save a flow's step and draft, in the
same transaction as the change; damaged or foreign rows read as "not in this flow"."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from bot.council.flows import Draft, Flow
from storage import conversation
from storage.db import Database


class _Step(enum.StrEnum):
    QUESTION = "question"
    OPTIONS = "options"


class _Kind(enum.StrEnum):
    SINGLE = "single"
    MULTI = "multi"


@dataclass(frozen=True)
class _Draft(Draft):
    question: str = ""
    options: tuple[str, ...] = ()
    kind: _Kind | None = None
    closes: datetime | None = None
    version: int = 0


_FLOW = Flow("test_poll_typed", _Step, _Draft)
NOW = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


async def test_save_and_read_round_trip(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO person (id, role, joined_at, updated_at) VALUES (1, 'staff', ?, ?)",
            ("x", "x"),
        )
        draft = _Draft("Lunch?", ("Yes", "No"), _Kind.MULTI, NOW, 3)
        await _FLOW.save(tx, 1, _Step.OPTIONS, draft, NOW)
    async with db.transaction() as tx:
        state = await conversation.get(tx, 1)
        at = _FLOW.read(state)
        assert at is not None
        assert at.step is _Step.OPTIONS
        assert at.draft == draft
        await _FLOW.save(tx, 1, _Step.QUESTION, replace(at.draft, question="Tea?"), NOW)
    async with db.transaction() as tx:
        at = _FLOW.read(await conversation.get(tx, 1))
        assert at is not None and at.draft.question == "Tea?" and at.step is _Step.QUESTION
        assert await Flow.end(tx, 1)
        assert _FLOW.read(await conversation.get(tx, 1)) is None
    await db.close()


def test_foreign_or_damaged_rows_are_not_this_flow() -> None:
    assert _FLOW.read(None) is None
    assert _FLOW.read(conversation.ConversationRow(1, "other", "question", {})) is None
    assert _FLOW.read(conversation.ConversationRow(1, _FLOW.name, "nowhere", {})) is None
    bad_kind = {"kind": "both"}
    assert _FLOW.read(conversation.ConversationRow(1, _FLOW.name, "options", bad_kind)) is None
    assert _FLOW.read(conversation.ConversationRow(1, _FLOW.name, "options", {})) is not None
    assert "test_poll_typed" in Flow.all()
