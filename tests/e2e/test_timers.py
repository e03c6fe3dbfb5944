"""Timers are rows; the real job queue only mirrors them, and is rebuilt from them at start.
A test kind with a checksum over a small dict stands in for meetings (which come later)."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest

from bot.app import start_background, stop_background
from bot.config import Settings
from bot.council import notices, timers
from bot.council.clock import Clock
from bot.scheduler import scheduler_of
from storage import people
from storage import timers as timer_store
from storage.db import Tx
from storage.timers import TimerRow
from tests.support.delivery import seed_people
from tests.support.harness import START, Harness, make_harness

# What the test timers depend on: "subject id -> its start time", like a meeting's.
SUBJECTS: dict[int, str] = {}


async def _fire(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    person = await people.by_id(tx, int(timer.payload["person"]))
    await notices.notify(
        tx,
        clock,
        key=f"{timer.key}:notice",
        message="announce.notice",
        params={"establishment": "HMP Example", "text": f"ping {timer.subject_id}"},
        person=person,
    )


async def _checksum(tx: Tx, timer: TimerRow) -> str | None:
    start = SUBJECTS.get(timer.subject_id)
    return None if start is None else timers.checksum_of(timer.subject_id, start)


# The test kind is installed beside the application's own TIMERS table (install is additive).
PING = timers.Timer("test.ping", fire=_fire, checksum=_checksum)
timers.install({PING.kind: PING})


async def schedule(h: Harness, subject: int, due: datetime, person_id: int) -> str:
    key = f"test:ping:{subject}"
    async with h.db.transaction() as tx:
        await timers.schedule(
            tx,
            key=key,
            kind="test.ping",
            subject_id=subject,
            due_at=due,
            checksum=timers.checksum_of(subject, SUBJECTS[subject]),
            payload={"person": person_id},
        )
    return key


def jobs(h: Harness) -> dict[str, object]:
    assert h.app.job_queue is not None
    # The nightly retention sweep (docs/PRIVACY.md) and backup (docs/DEPLOY.md) are scheduled
    # at start too: not these tests'.
    return {
        job.name: job
        for job in h.app.job_queue.jobs()
        if job.name and not job.name.startswith(("retention:", "backup:"))
    }


async def statuses(h: Harness) -> dict[str, str]:
    rows = await h.rows(
        "SELECT key, status FROM timer WHERE key NOT LIKE 'retention:%' AND key NOT LIKE 'backup:%'"
    )
    return {r["key"]: r["status"] for r in rows}


def pings(h: Harness, chat: int) -> list[str]:
    return [t for t in h.double.sent_texts(chat) if "ping" in t]


async def test_the_job_queue_mirrors_schedule_move_cancel_and_fires_once(tmp_path: Path) -> None:
    h = await make_harness(tmp_path)
    try:
        (person,) = await seed_people(h, 1)
        chat = person.tg_user_id
        assert chat is not None
        SUBJECTS.update({1: "a", 2: "b", 3: "c"})
        await start_background(h.app)
        for subject in (1, 2, 3):
            await schedule(h, subject, START + timedelta(hours=subject), person.id)
        found = jobs(h)
        assert sorted(found) == ["test:ping:1", "test:ping:2", "test:ping:3"]
        job = h.app.job_queue.get_jobs_by_name("test:ping:2")[0]  # type: ignore[union-attr]
        assert job.data == {"due_at": START + timedelta(hours=2)}
        assert job.next_t is not None

        # Moved: the job is replaced, never doubled. Cancelled: the job is gone.
        await schedule(h, 2, START + timedelta(minutes=90), person.id)
        moved = h.app.job_queue.get_jobs_by_name("test:ping:2")  # type: ignore[union-attr]
        assert len(moved) == 1
        assert moved[0].data == {"due_at": START + timedelta(minutes=90)}
        async with h.db.transaction() as tx:
            assert await timers.cancel(tx, h.clock, "test:ping:3") == ["test:ping:3"]
        assert sorted(jobs(h)) == ["test:ping:1", "test:ping:2"]

        # Time moves (the test's clock); the real job's callback runs; the row decides.
        first = h.app.job_queue.get_jobs_by_name("test:ping:1")[0]  # type: ignore[union-attr]
        await first.run(h.app)  # too early: nothing happens
        assert (await statuses(h))["test:ping:1"] == "pending"
        h.clock.advance(timedelta(hours=1))
        await first.run(h.app)
        await first.run(h.app)  # a second run (a stale job) finds it done
        await h.deliver()
        assert pings(h, chat) == ["Announcement from HMP Example:\n\nping 1"]

        # The subject moved after the timer was set: the old timer is stale and says nothing.
        SUBJECTS[2] = "b, but later"
        h.clock.advance(timedelta(minutes=30))
        second = h.app.job_queue.get_jobs_by_name("test:ping:2")[0]  # type: ignore[union-attr]
        await second.run(h.app)
        await h.deliver()
        assert await statuses(h) == {
            "test:ping:1": "fired",
            "test:ping:2": "stale",
            "test:ping:3": "cancelled",
        }
        assert pings(h, chat) == ["Announcement from HMP Example:\n\nping 1"]
    finally:
        await stop_background(h.app)
        await h.close()


async def test_after_a_restart_timers_fire_late_once_or_are_missed(tmp_path: Path) -> None:
    SUBJECTS.update({11: "a", 12: "b", 13: "c", 14: "d"})
    first = await make_harness(tmp_path)
    try:
        (person,) = await seed_people(first, 1)
        chat = person.tg_user_id
        assert chat is not None
        await start_background(first.app)
        await schedule(first, 11, START + timedelta(hours=1), person.id)  # 7 h late: missed
        await schedule(first, 12, START + timedelta(hours=3), person.id)  # 5 h late: fires
        await schedule(first, 13, START + timedelta(hours=30), person.id)  # future: a job
        await schedule(first, 14, START + timedelta(hours=4), person.id)  # moved while down
        assert len(jobs(first)) == 4
    finally:
        await stop_background(first.app)
        await first.close()

    SUBJECTS[14] = "d, moved"
    for restart in (1, 2):  # a second restart must fire nothing again
        again = await make_harness(tmp_path)  # a fresh Application on the same database file
        try:
            again.double.user(chat)
            again.clock.set(START + timedelta(hours=8))
            await start_background(again.app)
            await again.deliver()
            assert await statuses(again) == {
                "test:ping:11": "missed",
                "test:ping:12": "fired",
                "test:ping:13": "pending",
                "test:ping:14": "stale",
            }
            assert sorted(jobs(again)) == ["test:ping:13"]
            job = again.app.job_queue.get_jobs_by_name("test:ping:13")[0]  # type: ignore[union-attr]
            assert job.data == {"due_at": START + timedelta(hours=30)}
            expected = ["Announcement from HMP Example:\n\nping 12"] if restart == 1 else []
            assert pings(again, chat) == expected
            fired = await again.rows("SELECT key, status FROM outbox")
            assert fired == [{"key": "test:ping:12:notice", "status": "sent"}]
            admin = await again.admin()
            await again.tg.send(admin, "/delivery")
            # Three waiting: test:ping:13, the nightly retention sweep and the nightly backup.
            assert "Timers waiting: 3. Missed while the bot was down: 1." in again.tg.last_text(
                admin
            )
        finally:
            await stop_background(again.app)
            await again.close()


def test_every_declared_timer_kind_is_in_the_timers_table() -> None:
    import importlib
    import pkgutil

    import bot
    import handlers

    declared: set[str] = set()
    for module in pkgutil.walk_packages(bot.__path__, "bot."):
        if module.name.startswith(("bot.local", "bot.__main__")):
            continue
        found = importlib.import_module(module.name)
        declared |= {v.kind for v in vars(found).values() if isinstance(v, timers.Timer)}
    assert "meeting_reminder" in declared
    assert declared == set(handlers.TIMERS)
    assert all(handlers.TIMERS[k].kind == k for k in handlers.TIMERS)


async def test_a_pending_timer_of_unknown_kind_stops_the_start(tmp_path: Path) -> None:
    h = await make_harness(tmp_path)
    try:
        async with h.db.transaction() as tx:
            await timer_store.upsert(
                tx,
                key="gone:1",
                kind="gone_kind",
                subject_id=1,
                due_at=START + timedelta(hours=1),
                checksum="x",
                payload={},
            )
        # The start step that rebuilds the job queue from the rows (start_background).
        with pytest.raises(timers.UnknownTimerKind, match="gone_kind"):
            await scheduler_of(h.app).rebuild()
        async with h.db.transaction() as tx:
            with pytest.raises(timers.UnknownTimerKind):
                await timers.schedule(
                    tx, key="gone:2", kind="gone_kind", subject_id=2, due_at=START, checksum="x"
                )
    finally:
        await h.close()
