"""Storage: migrations, version refusal, the append-only audit log, online backup."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from storage.db import Database, StorageError, bundled_migrations


async def test_migrations_apply_once_and_record_version(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    latest = bundled_migrations()[-1].version
    assert await db.schema_version() == latest
    assert await db.migrate() == []  # nothing left to apply
    async with db.transaction() as tx:
        assert await tx.value("PRAGMA journal_mode") == "wal"
        assert await tx.value("PRAGMA foreign_keys") == 1
    await db.close()


async def test_database_from_a_newer_version_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    db = await Database.open(path)
    await db.close()
    with sqlite3.connect(path) as conn:
        conn.execute("INSERT INTO schema_version (version, name) VALUES (999, '0999_future.sql')")
    with pytest.raises(StorageError, match="newer version"):
        await Database.open(path)


async def test_audit_log_cannot_be_changed_or_deleted(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    async with db.transaction() as tx:
        await tx.execute(
            "INSERT INTO audit_log (at, actor_id, actor_role, action) VALUES ('t', 1, 'staff', 'x')"
        )
    for sql in ("UPDATE audit_log SET action = 'y'", "DELETE FROM audit_log"):
        with pytest.raises(sqlite3.IntegrityError, match="append-only"):
            async with db.transaction() as tx:
                await tx.execute(sql)
    async with db.transaction() as tx:
        assert await tx.value("SELECT action FROM audit_log") == "x"
    await db.close()


async def test_failed_transaction_leaves_nothing(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            await tx.execute("INSERT INTO meta (key, value) VALUES ('a', 'b')")
            raise RuntimeError("boom")
    async with db.transaction() as tx:
        assert await tx.value("SELECT COUNT(*) FROM meta") == 0
    await db.close()


async def test_events_reach_listeners_only_after_commit(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    seen: list[tuple[str, object]] = []
    db.listen(lambda kind, payload: seen.append((kind, payload)))
    with pytest.raises(RuntimeError):
        async with db.transaction() as tx:
            tx.after_commit("outbox", "k1")
            raise RuntimeError("rolled back")
    async with db.transaction() as tx:
        tx.after_commit("outbox", "k2")
        assert seen == []
    assert seen == [("outbox", "k2")]
    await db.close()


async def test_online_backup_is_a_consistent_copy(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('k', 'v')")
    await db.backup(tmp_path / "backup" / "copy.sqlite3")
    await db.close()
    with sqlite3.connect(tmp_path / "backup" / "copy.sqlite3") as conn:
        assert conn.execute("SELECT value FROM meta WHERE key = 'k'").fetchone() == ("v",)


async def test_a_missing_lower_numbered_migration_is_still_applied(tmp_path: Path) -> None:
    path = tmp_path / "c.sqlite3"
    db = await Database.open(path)
    await db.close()
    second = bundled_migrations()[1]
    with sqlite3.connect(path) as conn:
        # Pretend the database never saw the second migration (merged after a later one ran).
        conn.execute("DELETE FROM schema_version WHERE version = ?", (second.version,))
        for (name,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type IN ('table','trigger','index')"
            " AND sql IS NOT NULL"
        ).fetchall():
            if (
                f"CREATE TABLE {name}" in second.sql
                or f"CREATE TABLE IF NOT EXISTS {name}" in second.sql
            ):
                conn.execute(f"DROP TABLE {name}")
    db = await Database.open(path)
    async with db.transaction() as tx:
        assert (
            await tx.value(
                "SELECT COUNT(*) FROM schema_version WHERE version = ?", (second.version,)
            )
            == 1
        )
    await db.close()


async def test_a_snapshot_reads_committed_data_and_cannot_write(tmp_path: Path) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('k', 'v1')")
    async with db.snapshot() as snap:
        assert await snap.value("SELECT value FROM meta WHERE key = 'k'") == "v1"
        # The writer goes on while the snapshot is open, and the snapshot keeps its view.
        async with db.transaction() as tx:
            await tx.execute("UPDATE meta SET value = 'v2' WHERE key = 'k'")
        assert await snap.value("SELECT value FROM meta WHERE key = 'k'") == "v1"
        with pytest.raises(sqlite3.OperationalError, match="readonly"):
            await snap.execute("DELETE FROM meta")
    async with db.snapshot() as snap:
        assert await snap.value("SELECT value FROM meta WHERE key = 'k'") == "v2"
    await db.close()
