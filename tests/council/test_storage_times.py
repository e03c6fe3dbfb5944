"""Storage speaks datetime: the outbox, timers and ops figures take and return aware datetimes,
and the text they write is the text the database always held (old rows and checksums still
match)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from bot.council import timers as timer_rules
from storage import ops, outbox, timers
from storage.db import Database

AT = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)
STORED = "2026-11-02T10:00:00.000000Z"


async def test_outbox_times_go_in_and_come_out_aware(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    async with db.transaction() as tx:
        await outbox.enqueue(
            tx,
            key="k",
            chat_id=1,
            person_id=None,
            message="common.error",
            params={"when": {"$dt": outbox.time_param(AT)}},
            buttons=None,
            urgent=False,
            not_before=AT,
            expires_at=AT + timedelta(hours=1),
            now=AT,
        )
        raw = await tx.one("SELECT not_before, expires_at, created_at, params FROM outbox")
        (notice,) = await outbox.due(tx, AT, 5)
        assert await outbox.next_due_at(tx) == AT
        await outbox.finish(tx, notice.id, "parked", AT + timedelta(minutes=1), "400 no")
        parked = await outbox.last_parked(tx, 5)
    assert raw is not None
    assert (raw["not_before"], raw["expires_at"], raw["created_at"]) == (
        STORED,
        "2026-11-02T11:00:00.000000Z",
        STORED,
    )
    assert STORED in raw["params"]
    assert notice.not_before == AT and notice.expires_at == AT + timedelta(hours=1)
    assert outbox.param_time(notice.params["when"]["$dt"]) == AT
    assert parked == [("k", "400 no", AT + timedelta(minutes=1))]
    await db.close()


async def test_timer_rows_and_ops_figures_are_datetimes(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    async with db.transaction() as tx:
        await timers.upsert(
            tx, key="t:1", kind="k", subject_id=1, due_at=AT, checksum="c", payload={}
        )
        raw = await tx.value("SELECT due_at FROM timer")
        (due,) = await timers.pending_due(tx, AT)
        await outbox.enqueue(
            tx,
            key="n",
            chat_id=1,
            person_id=None,
            message="m",
            params={},
            buttons=None,
            urgent=False,
            not_before=AT,
            expires_at=None,
            now=AT,
        )
        later = AT + timedelta(minutes=5)
        oldest = await ops.oldest_due(tx, later)
        (figures,) = await ops.outbox_figures(tx, later, "telegram")
        timer_figures = await ops.timer_figures(tx, later)
    assert raw == STORED and due.due_at == AT
    assert list(oldest.values()) == [AT]
    assert figures.oldest_queued_at == AT and figures.oldest_due_at == AT
    assert timer_figures.due_by_kind == {"k": 1}
    await db.close()


def test_a_time_in_a_checksum_is_its_stored_text() -> None:
    # Timers already waiting were checksummed over the stored text: a datetime (or a day) must
    # give the same checksum, or every waiting timer would go stale at the upgrade.
    assert timers.key_time(AT) == STORED
    assert timer_rules.checksum_of(AT, "scheduled") == timer_rules.checksum_of(STORED, "scheduled")
    assert timer_rules.checksum_of(3, date(2026, 11, 9)) == timer_rules.checksum_of(3, "2026-11-09")
