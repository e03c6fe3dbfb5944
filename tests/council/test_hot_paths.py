"""Hot paths that stay flat: withdraw and cancel by key range (never LIKE), and the triage count
kept by triggers. The plans are checked, not the time: a test never asserts on wall-clock time."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from storage import agenda as agenda_store
from storage import outbox, timers
from storage.db import Database
from storage.keys import key_range

NOW = "2026-11-02T10:00:00+00:00"
AT = datetime(2026, 11, 2, 10, tzinfo=UTC)


def test_key_range_holds_exactly_the_prefix() -> None:
    low, high = key_range("meeting:1:")
    keys = ["meeting:1:a", "meeting:1:", "meeting:10:a", "meeting:1;", "meeting:2:a", "meeting:1"]
    assert [k for k in keys if low <= k < high] == ["meeting:1:a", "meeting:1:"]
    with pytest.raises(ValueError):
        key_range("")


async def _queue(db: Database, keys: list[str], status: str = "queued") -> None:
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO outbox (key, chat_id, message, not_before, status, created_at)"
            " VALUES (?, 1, 'm', ?, ?, ?)",
            [(k, NOW, status, NOW) for k in keys],
        )


async def test_withdraw_touches_only_the_prefix_and_uses_the_index(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    await _queue(db, ["meeting:1:reminder:p5:1", "meeting:1:reminder:p50:1", "meeting:10:x"])
    await _queue(db, ["meeting:1:reminder:p5:2"], status="sent")
    async with db.transaction() as tx:
        assert await outbox.withdraw_prefix(tx, "meeting:1:reminder:p5:", AT, "can't go") == 1
        rows = await tx.all("SELECT key, status FROM outbox ORDER BY key")
        plan = await tx.all(
            "EXPLAIN QUERY PLAN UPDATE outbox INDEXED BY outbox_key_queued SET status = 'x'"
            " WHERE status = 'queued' AND key >= ? AND key < ?",
            ("a", "b"),
        )
    assert {r["key"]: r["status"] for r in rows} == {
        "meeting:1:reminder:p5:1": "withdrawn",
        "meeting:1:reminder:p5:2": "sent",
        "meeting:1:reminder:p50:1": "queued",
        "meeting:10:x": "queued",
    }
    assert any("outbox_key_queued (key>? AND key<?)" in str(r[3]) for r in plan)
    await db.close()


async def test_timer_cancel_by_range(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    async with db.transaction() as tx:
        for key in ("meeting:3:reminder:60", "meeting:3:reminder:3600", "meeting:30:reminder:60"):
            await timers.upsert(
                tx, key=key, kind="k", subject_id=3, due_at=AT, checksum="c", payload={}
            )
        cancelled = await timers.cancel_prefix(tx, "meeting:3:reminder:", AT)
        left = await tx.all("SELECT key FROM timer WHERE status = 'pending'")
    assert sorted(cancelled) == ["meeting:3:reminder:3600", "meeting:3:reminder:60"]
    assert [r["key"] for r in left] == ["meeting:30:reminder:60"]
    await db.close()


async def test_triage_count_follows_every_write(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO person (id, role, joined_at, updated_at) VALUES (1, 'member', ?, ?)",
            (NOW, NOW),
        )
        await tx.executemany(
            "INSERT INTO agenda_item (topic, wing, text, status, submitter_id, created_at,"
            " updated_at) VALUES ('food', 'a', 'Cold food on the wing', ?, 1, ?, ?)",
            [(s, NOW, NOW) for s in ("new", "new", "new", "accepted")],
        )
        assert await agenda_store.count_in_status(tx, "new") == 3
        await tx.execute("UPDATE agenda_item SET status = 'accepted' WHERE id = 1")
        await tx.execute("UPDATE agenda_item SET text = 'Changed text here' WHERE id = 2")
        await tx.execute("DELETE FROM agenda_item WHERE id = 3")
        assert await agenda_store.count_in_status(tx, "new") == 1
        assert await agenda_store.count_in_status(tx, "accepted") == 2
        assert await agenda_store.count_in_status(tx, "declined") == 0
        truth = await tx.value("SELECT COUNT(*) FROM agenda_item WHERE status = 'new'")
    assert truth == 1
    await db.close()
