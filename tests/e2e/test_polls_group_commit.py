"""Group commit (storage/db.py): votes handled in the same turn of the event loop share one
SQLite transaction and one COMMIT, each in its own savepoint. A voter's answer waits for the
commit; a block that fails undoes only itself; the counts stay exact."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from storage import people
from storage import polls as poll_store
from storage.db import Database
from storage.sealing import Sealer
from tests.e2e.test_polls import add_people, create_poll
from tests.support.harness import Harness


def count_commits(db: Database) -> list[str]:
    seen: list[str] = []
    db._conn.set_trace_callback(lambda sql: seen.append(sql) if sql == "COMMIT" else None)
    return seen


async def test_concurrent_blocks_share_one_commit_and_each_sees_it_done(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3", sealer=Sealer.generate())
    commits = count_commits(db)

    async def write(n: int) -> bool:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'v')", (f"k{n}",))
        # Once the block is over, the write is committed: the read-only connection sees it.
        async with db.snapshot() as snap:
            found = await snap.value("SELECT COUNT(*) FROM meta WHERE key = ?", (f"k{n}",))
            return bool(found == 1)

    assert await asyncio.gather(*(write(n) for n in range(20))) == [True] * 20
    assert len(commits) == 1  # twenty blocks, one COMMIT
    await db.close()


async def test_a_failed_block_undoes_only_itself(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")

    async def write(n: int) -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'v')", (f"k{n}",))
            if n == 1:
                raise RuntimeError("boom")

    results = await asyncio.gather(*(write(n) for n in range(3)), return_exceptions=True)
    assert [type(r) for r in results] == [type(None), RuntimeError, type(None)]
    async with db.transaction() as tx:
        keys = [r[0] for r in await tx.all("SELECT key FROM meta ORDER BY key")]
    assert keys == ["k0", "k2"]
    await db.close()


async def test_a_commit_that_fails_fails_every_block_of_the_group(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    # A deferred foreign key is checked at COMMIT: the group's commit fails as a whole.
    async with db.transaction() as tx:
        await tx.execute("PRAGMA defer_foreign_keys = ON")

    async def write(n: int, bad: bool) -> None:
        async with db.transaction() as tx:
            await tx.execute("PRAGMA defer_foreign_keys = ON")
            await tx.execute("INSERT INTO meta (key, value) VALUES (?, 'v')", (f"k{n}",))
            if bad:
                await tx.execute("INSERT INTO poll_tally (poll_id, sealed) VALUES (999, x'00')")

    results = await asyncio.gather(write(0, False), write(1, True), return_exceptions=True)
    assert all(isinstance(r, Exception) for r in results)
    async with db.transaction() as tx:
        assert await tx.value("SELECT COUNT(*) FROM meta") == 0
    # And the next group works as usual.
    await write(2, False)
    async with db.transaction() as tx:
        assert await tx.value("SELECT COUNT(*) FROM meta") == 1
    await db.close()


async def test_concurrent_votes_are_one_commit_with_exact_counts(h: Harness) -> None:
    staff = await h.join("staff", wing=None)
    users = await add_people(h, 12)
    poll_id = await create_poll(h, staff, "Which day for the gym?", ["Monday", "Tuesday"])
    await h.deliver()
    commits = count_commits(h.db)
    await asyncio.gather(
        *(h.tg.press(u, "Monday" if n % 3 else "Tuesday") for n, u in enumerate(users))
    )
    commits.clear()
    await asyncio.gather(*(h.tg.press(u, "Yes, cast my vote") for u in users))
    assert 1 <= len(commits) < len(users)  # batched: fewer commits than votes
    for user in users:
        assert "Your vote is recorded" in h.tg.last_text(user)
    async with h.db.transaction() as tx:
        assert await poll_store.counts_now(tx, poll_id) == [8, 4]


@pytest.mark.parametrize("n", [1])
async def test_a_lone_vote_is_still_its_own_commit(h: Harness, n: int) -> None:
    staff = await h.join("staff", wing=None)
    (user,) = await add_people(h, n)
    await create_poll(h, staff, "Which day for the gym?", ["Monday", "Tuesday"])
    await h.deliver()
    await h.tg.press(user, "Monday")
    commits = count_commits(h.db)
    await h.tg.press(user, "Yes, cast my vote")
    assert len(commits) == 1


async def _poll_with_electors(h: Harness, count: int) -> tuple[int, list[int]]:
    staff = await h.join("staff", wing=None)
    users = await add_people(h, count)
    poll_id = await create_poll(h, staff, "Which day for the gym?", ["Monday", "Tuesday"])
    async with h.db.transaction() as tx:
        ids = []
        for user in users:
            person = await people.by_identity(tx, people.TELEGRAM, user)
            assert person is not None
            ids.append(person.id)
    return poll_id, ids


async def test_a_failed_block_takes_its_ballot_with_it(h: Harness) -> None:
    poll_id, (a, b, c) = await _poll_with_electors(h, 3)

    async def vote(person_id: int, *, fail: bool = False) -> None:
        async with h.db.transaction() as tx:
            assert await poll_store.cast(tx, poll_id, person_id, 0b01, h.clock.now())
            if fail:
                raise RuntimeError("after the ballot, before the commit")

    results = await asyncio.gather(vote(a), vote(b, fail=True), vote(c), return_exceptions=True)
    assert isinstance(results[1], RuntimeError)
    async with h.db.transaction() as tx:
        assert await poll_store.counts_now(tx, poll_id) == [2, 0]
        assert await poll_store.has_voted(tx, poll_id, b) is False
    # b may still vote, and is counted once.
    await vote(b)
    async with h.db.transaction() as tx:
        assert await poll_store.counts_now(tx, poll_id) == [3, 0]


async def test_a_close_in_the_same_group_counts_the_ballots_before_it(h: Harness) -> None:
    poll_id, (a, b, c) = await _poll_with_electors(h, 3)

    async def vote(person_id: int, mask: int) -> bool:
        async with h.db.transaction() as tx:
            return await poll_store.cast(tx, poll_id, person_id, mask, h.clock.now())

    async def close() -> bool:
        async with h.db.transaction() as tx:
            return await poll_store.close(tx, poll_id, h.clock.now(), early=True)

    commits = count_commits(h.db)
    done = await asyncio.gather(vote(a, 0b01), vote(b, 0b10), close(), vote(c, 0b01))
    assert done == [True, True, True, False]  # c pressed after the close: refused
    assert len(commits) == 1
    async with h.db.transaction() as tx:
        assert await poll_store.tallies(tx, poll_id) == [("Monday", 1), ("Tuesday", 1)]
        assert await tx.value("SELECT COUNT(*) FROM poll_tally WHERE poll_id = ?", (poll_id,)) == 0


async def test_a_caller_cancelled_while_waiting_is_still_committed_and_heard(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    seen: list[tuple[str, object]] = []
    db.listen(lambda kind, payload: seen.append((kind, payload)))
    inside = asyncio.Event()

    async def write() -> None:
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
            tx.after_commit("timer", "t1")
            inside.set()
        await asyncio.sleep(3600)  # never reached: cancelled while waiting for the commit

    task = asyncio.create_task(write())
    await inside.wait()
    task.cancel()  # the block is done, its commit is not yet
    with pytest.raises(asyncio.CancelledError):
        await task
    async with db.transaction() as tx:
        assert await tx.value("SELECT value FROM meta WHERE key = 'k'") == "v"
    assert seen == [("timer", "t1")]
    await db.close()
