"""storage/consultations.py speaks aware datetimes: times go in and come out as datetimes, and the
database keeps its one text form (UTC, fixed width), so rows written before read the same."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from storage import consultations as store
from storage.db import Database

LONDON = ZoneInfo("Europe/London")
OPENED = datetime(2026, 7, 1, 9, 30, tzinfo=LONDON)  # summer time: 08:30 UTC
CLOSES = datetime(2026, 7, 8, 17, 0, tzinfo=LONDON)


async def test_times_go_in_and_come_out_aware(db: Database) -> None:
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO person (id, role, joined_at, updated_at) VALUES (1, 'family', ?, ?)",
            ("x", "x"),
        )
        cid = await store.add(
            tx,
            title="Visits",
            background="Why",
            audience="families",
            opened_at=OPENED,
            closes_at=CLOSES,
            created_by=None,
            questions=[("text", "What would help?", [])],
        )
        found = await store.get(tx, cid)
        assert found is not None
        assert found.opened_at == OPENED and found.closes_at == CLOSES
        assert found.closes_at.tzinfo is not None and found.closed_at is None
        row = await tx.one("SELECT opened_at, closes_at FROM consultation WHERE id = ?", (cid,))
        assert row is not None
        assert (row["opened_at"], row["closes_at"]) == (
            "2026-07-01T08:30:00.000000Z",
            "2026-07-08T16:00:00.000000Z",
        )

        assert await store.overdue(tx, CLOSES - timedelta(seconds=1)) == []
        assert await store.overdue(tx, CLOSES) == [cid]

        mine = await store.join(tx, cid, 1, "family")
        assert mine.submitted_at is None
        sent = datetime(2026, 7, 2, 12, 0, tzinfo=UTC)
        assert await store.submit(tx, mine.id, sent)
        again = await store.participant(tx, cid, 1)
        assert again is not None and again.submitted_at == sent

        shut = datetime(2026, 7, 8, 16, 0, 5, tzinfo=UTC)
        assert await store.close(tx, cid, shut)
        reported = shut + timedelta(days=2)
        assert await store.set_report(tx, cid, heard="h", will_do="w", by=1, now=reported)
        closed = await store.get(tx, cid)
        assert closed is not None
        assert closed.status == "closed" and closed.closed_at == shut
        assert closed.reported_at == reported
