"""One aiosqlite connection (WAL, foreign keys, busy timeout), numbered migrations, transactions."""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]


class StorageError(Exception):
    """A database that cannot be used as it is; the message says what to do."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str


def bundled_migrations() -> list[Migration]:
    out: list[Migration] = []
    for entry in resources.files("storage.migrations").iterdir():
        name = entry.name
        if not name.endswith(".sql"):
            continue
        version = int(name.split("_", 1)[0])
        out.append(Migration(version, name, entry.read_text(encoding="utf-8")))
    out.sort(key=lambda m: m.version)
    versions = [m.version for m in out]
    if len(set(versions)) != len(versions):
        raise StorageError(f"two migrations share a number: {versions}")
    return out


@dataclass
class Tx:
    """One open transaction. Events are delivered to listeners only after commit."""

    conn: aiosqlite.Connection
    events: list[tuple[str, Any]] = field(default_factory=list)

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self.conn.execute(sql, params)
        rowcount = cursor.rowcount
        await cursor.close()
        return rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        cursor = await self.conn.execute(sql, params)
        rowid = cursor.lastrowid
        await cursor.close()
        return int(rowid or 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        await self.conn.executemany(sql, rows)

    # One trip to the database thread per read (execute and fetch together), not three: every
    # update runs a few of these while holding the database lock (see bench/vote_burst.py).
    async def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = list(await self.conn.execute_fetchall(sql, params))
        return rows[0] if rows else None

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self.conn.execute_fetchall(sql, params))

    async def value(self, sql: str, params: Params = ()) -> Any:
        row = await self.one(sql, params)
        return None if row is None else row[0]

    def after_commit(self, kind: str, payload: Any = None) -> None:
        self.events.append((kind, payload))


Listener = Callable[[str, Any], None]


class Database:
    """The one connection. Transactions are serialised by a lock: SQLite has one writer anyway,
    and it keeps a half-done transaction invisible to every other coroutine."""

    def __init__(self, conn: aiosqlite.Connection, path: Path) -> None:
        self._conn = conn
        self._lock = asyncio.Lock()
        self._reader: aiosqlite.Connection | None = None
        self._reader_lock = asyncio.Lock()
        self._listeners: list[Listener] = []
        self.path = path

    @classmethod
    async def open(cls, path: str | Path, *, migrate: bool = True) -> Database:
        path = Path(path)
        if str(path) != ":memory:":
            path.parent.mkdir(parents=True, exist_ok=True)
        conn = await aiosqlite.connect(str(path), isolation_level=None)
        conn.row_factory = sqlite3.Row
        for pragma in (
            "PRAGMA journal_mode=WAL",
            "PRAGMA foreign_keys=ON",
            "PRAGMA busy_timeout=5000",
            "PRAGMA synchronous=NORMAL",
        ):
            await conn.execute(pragma)
        db = cls(conn, path)
        try:
            await db._check_version(apply=migrate)
        except BaseException:
            await conn.close()
            raise
        return db

    async def close(self) -> None:
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        await self._conn.close()

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Tx]:
        """A read-only, consistent view on a second connection. Long reads (reports, the board,
        exports) run here: WAL lets them read while the writer goes on, so nobody waits."""
        async with self._reader_lock:
            if self._reader is None:
                uri = f"{self.path.resolve().as_uri()}?mode=ro"
                self._reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
                self._reader.row_factory = sqlite3.Row
                await self._reader.execute("PRAGMA busy_timeout=5000")
            reader = self._reader
            await reader.execute("BEGIN")
            try:
                yield Tx(reader)
            finally:
                await reader.execute("ROLLBACK")

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        async with self._lock:
            tx = Tx(self._conn)
            await self._conn.execute("BEGIN IMMEDIATE")
            try:
                yield tx
            except BaseException:
                await self._conn.execute("ROLLBACK")
                raise
            await self._conn.execute("COMMIT")
        for kind, payload in tx.events:
            for listener in self._listeners:
                listener(kind, payload)

    async def schema_version(self) -> int:
        async with self._lock:
            return await self._version()

    async def _version(self) -> int:
        await self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"
        )
        async with self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version") as c:
            row = await c.fetchone()
        return int(row[0]) if row else 0

    async def _check_version(self, *, apply: bool) -> list[str]:
        migrations = bundled_migrations()
        known = migrations[-1].version if migrations else 0
        async with self._lock:
            current = await self._version()
            if current > known:
                raise StorageError(
                    f"The database {self.path} was written by a newer version of the bot "
                    f"(schema {current}; this version knows up to {known}). "
                    "Upgrade the bot, or restore a backup made by this version."
                )
            applied: list[str] = []
            if not apply:
                return applied
            async with self._conn.execute("SELECT version FROM schema_version") as cursor:
                done = {int(row[0]) for row in await cursor.fetchall()}
            for migration in migrations:
                # Any bundled migration not yet recorded runs, even one numbered below the
                # newest applied (a branch merged late), in number order.
                if migration.version in done:
                    continue
                # executescript commits on its own, so the version row goes in the same script.
                script = (
                    "BEGIN;\n"
                    + migration.sql
                    + f"\nINSERT INTO schema_version (version, name) VALUES ({migration.version},"
                    f" '{migration.name}');\nCOMMIT;"
                )
                try:
                    await self._conn.executescript(script)
                except sqlite3.Error as exc:
                    if self._conn.in_transaction:
                        await self._conn.execute("ROLLBACK")
                    raise StorageError(f"migration {migration.name} failed: {exc}") from exc
                applied.append(migration.name)
            return applied

    async def migrate(self) -> list[str]:
        return await self._check_version(apply=True)

    async def backup(self, target: str | Path) -> None:
        """SQLite's online backup: a consistent copy while the bot runs."""
        target = Path(target)
        target.parent.mkdir(parents=True, exist_ok=True)
        async with self._lock:
            dest = await aiosqlite.connect(str(target))
            try:
                await self._conn.backup(dest)
            finally:
                await dest.close()
