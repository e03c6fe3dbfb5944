"""The SQLite file (WAL, foreign keys, busy timeout): numbered migrations, short write
transactions on the event loop, read-only snapshots and backups through aiosqlite."""

from __future__ import annotations

import asyncio
import functools
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Hashable, Iterable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import aiosqlite

from storage import files
from storage.sealing import Sealer

Row = sqlite3.Row
Params = Sequence[Any] | dict[str, Any]
Deferred = Callable[["Tx", list[Any]], Awaitable[None]]

# After-commit events: checkpoint the WAL and truncate it to nothing now (a poll closed), or
# soon (a vote: once votes pause, or after a number of them), so the WAL never holds more than a
# short run of votes for someone who also has the key (docs/BALLOT_SECRECY.md).
CHECKPOINT = "storage.checkpoint"
CHECKPOINT_SOON = "storage.checkpoint_soon"
RESTORE_HINT = "Stop the bot and restore the latest backup: python -m bot restore BACKUP"


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


class Tx:
    """One open transaction. Events are delivered to listeners only after commit.

    The methods are async so that callers never care which connection serves them: the writer
    (a plain sqlite3 connection on the event loop) or a snapshot (aiosqlite, off the loop)."""

    def __init__(self) -> None:
        self.events: list[tuple[str, Any]] = []
        self._sealer: Sealer | None = None
        # Work put off until just before the group's COMMIT (defer()): this block's own items,
        # and the group's (items of blocks already done, shared by every block of the group).
        self._deferred: dict[str, tuple[Deferred, list[Any]]] = {}
        self._group_deferred: dict[str, tuple[Deferred, list[Any]]] = {}
        # The database's memo of facts that never change once written (Database.memo).
        self.memo: dict[Hashable, Any] = {}

    @property
    def sealer(self) -> Sealer:
        """The key that seals open polls' counts and ranked ballots (storage/sealing.py)."""
        if self._sealer is None:
            raise StorageError(
                "this database was opened without its key file, so sealed values cannot be used"
            )
        return self._sealer

    async def execute(self, sql: str, params: Params = ()) -> int:
        raise NotImplementedError

    async def insert(self, sql: str, params: Params = ()) -> int:
        raise NotImplementedError

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        raise NotImplementedError

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        raise NotImplementedError

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        rows = await self.all(sql, params)
        return rows[0] if rows else None

    async def value(self, sql: str, params: Params = ()) -> Any:
        row = await self.one(sql, params)
        return None if row is None else row[0]

    def after_commit(self, kind: str, payload: Any = None) -> None:
        self.events.append((kind, payload))

    def defer(self, key: str, item: Any, apply: Deferred) -> None:
        """Add item to work done once for the whole group of transactions, just before its
        COMMIT: apply(tx, items) gets every item deferred under key by the group's blocks that
        succeeded (a block that fails takes its items with it). Only on the writer; apply must
        not wait for anything but its own statements."""
        self._deferred.setdefault(key, (apply, []))[1].append(item)

    def deferred(self, key: str) -> list[Any]:
        """Items deferred under key and not yet applied, the group's then this block's, so a
        read can add them to what is stored."""
        group = self._group_deferred.get(key)
        own = self._deferred.get(key)
        return [*(group[1] if group else ()), *(own[1] if own else ())]


class _WriteTx(Tx):
    """Runs each statement right here on the event loop: a short indexed statement takes a few
    microseconds, less than handing it to a thread and back (bench/vote_burst.py: 0.39 ms a
    vote against 1.26 ms through aiosqlite's thread)."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        super().__init__()
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        return self.conn.execute(sql, params).rowcount

    async def insert(self, sql: str, params: Params = ()) -> int:
        return int(self.conn.execute(sql, params).lastrowid or 0)

    async def executemany(self, sql: str, rows: Iterable[Params]) -> None:
        self.conn.executemany(sql, rows)

    async def one(self, sql: str, params: Params = ()) -> Row | None:
        row: Row | None = self.conn.execute(sql, params).fetchone()
        return row

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        return self.conn.execute(sql, params).fetchall()


class _ReadTx(Tx):
    """A read-only snapshot served by aiosqlite's thread, so a long read never blocks the loop."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        super().__init__()
        self.conn = conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        cursor = await self.conn.execute(sql, params)
        rowcount = cursor.rowcount
        await cursor.close()
        return rowcount

    async def all(self, sql: str, params: Params = ()) -> list[Row]:
        return list(await self.conn.execute_fetchall(sql, params))


Listener = Callable[[str, Any], None]

_PRAGMAS = (
    "PRAGMA journal_mode=WAL",
    "PRAGMA foreign_keys=ON",
    "PRAGMA busy_timeout=5000",
    "PRAGMA synchronous=NORMAL",
    # Deleted content is overwritten with zeros, not left in free pages of the file.
    "PRAGMA secure_delete=ON",
    # 16 MiB of page cache (the default is 2 MiB): at ten times the data the outbox's and the
    # people's index pages no longer fit in 2 MiB, and a meeting's notices cost disk reads.
    "PRAGMA cache_size=-16384",
)


class Database:
    """One writer connection, with transactions serialised by a lock: SQLite has one writer
    anyway, and the lock keeps a half-done transaction invisible to every other coroutine.
    Write transactions are short and run on the event loop; long reads (reports, the board,
    exports) take a snapshot on a second, read-only connection served by aiosqlite, and the
    online backup runs there too, so neither blocks the bot."""

    def __init__(self, conn: sqlite3.Connection, path: Path, sealer: Sealer | None = None) -> None:
        self._conn = conn
        self.sealer = sealer
        self._lock = asyncio.Lock()
        self._reader: aiosqlite.Connection | None = None
        self._reader_lock = asyncio.Lock()
        self._listeners: list[Listener] = []
        self._checkpoint_wanted = False
        # Votes wait for a pause of this many seconds, or for this many votes, before the WAL
        # is truncated. None turns it off (tests that want every vote left in the WAL).
        self.checkpoint_quiet_s: float | None = 2.0
        self.checkpoint_every: int = 1000
        self._soon_count = 0
        self._soon_handle: asyncio.TimerHandle | None = None
        # Group commit: the SQLite transaction that transactions begun in the same turn of the
        # event loop share (each is a savepoint in it), and the future its COMMIT resolves.
        self._group: asyncio.Future[None] | None = None
        self._group_kinds: set[str] = set()
        self._group_soon = 0
        self._group_deferred: dict[str, tuple[Deferred, list[Any]]] = {}
        self._flush_when_free = False
        self._flushing_under_lock = False
        # Facts that never change once committed (an open poll's question, options and closing
        # time), kept for this database's lifetime so a hot path does not read them each time.
        # Only for what no statement ever updates; whoever writes such a fact forgets it here.
        self.memo: dict[Hashable, Any] = {}
        self.path = path

    @classmethod
    async def open(
        cls, path: str | Path, *, migrate: bool = True, sealer: Sealer | None = None
    ) -> Database:
        path = Path(path)
        wal, shm = Path(f"{path}-wal"), Path(f"{path}-shm")
        problem = files.exposed([path, wal, shm])
        if problem:
            raise StorageError(problem)
        files.private_file(path)
        conn = sqlite3.connect(str(path), isolation_level=None)
        conn.row_factory = sqlite3.Row
        try:
            for pragma in _PRAGMAS:
                conn.execute(pragma)
            # A damaged page anywhere in the file is found now, not in the middle of a vote.
            found = [str(r[0]) for r in conn.execute("PRAGMA quick_check(3)")]
        except sqlite3.DatabaseError as exc:
            conn.close()
            raise StorageError(
                f"The database {path} cannot be read ({exc}). {RESTORE_HINT}"
            ) from exc
        if found != ["ok"]:
            conn.close()
            raise StorageError(
                f"The database {path} is damaged ({'; '.join(found)}). {RESTORE_HINT}"
            )
        for made in (wal, shm):
            files.tighten(made)
        db = cls(conn, path, sealer)
        try:
            await db._check_version(apply=migrate)
        except BaseException:
            conn.close()
            raise
        return db

    async def close(self) -> None:
        async with self._lock:
            self._flush_locked()
        if self._soon_handle is not None:
            self._soon_handle.cancel()
            self._soon_handle = None
        if self._reader is not None:
            await self._reader.close()
            self._reader = None
        self._conn.close()

    async def _read_connection(self) -> aiosqlite.Connection:
        if self._reader is None:
            uri = f"{self.path.resolve().as_uri()}?mode=ro"
            self._reader = await aiosqlite.connect(uri, uri=True, isolation_level=None)
            self._reader.row_factory = sqlite3.Row
            await self._reader.execute("PRAGMA busy_timeout=5000")
        return self._reader

    @asynccontextmanager
    async def snapshot(self) -> AsyncIterator[Tx]:
        """A read-only, consistent view on the second connection. WAL lets it read while the
        writer goes on, so a report over two years of data holds nobody up."""
        async with self._reader_lock:
            reader = await self._read_connection()
            await reader.execute("BEGIN")
            try:
                tx = _ReadTx(reader)
                tx._sealer = self.sealer
                tx.memo = self.memo
                yield tx
            finally:
                await reader.execute("ROLLBACK")

    def listen(self, listener: Listener) -> None:
        self._listeners.append(listener)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Tx]:
        """One transaction, committed when the block ends: the caller goes on only once its
        writes are on disk (in the WAL), and listeners hear its events only then.

        Group commit: transactions that begin in the same turn of the event loop (a flood of
        updates handled at once) share one SQLite transaction, each inside its own savepoint,
        and one COMMIT at the start of the next turn ends them all. Each block still sees
        nothing half-done (the lock serialises them, and a block that fails rolls back its own
        savepoint only); a commit that fails fails every block of its group. One BEGIN, one
        COMMIT and one copy of each changed page in the WAL for the group, instead of one per
        update (bench/vote_burst.py; docs/BALLOT_SECRECY.md says what it changes for a WAL copy)."""
        async with self._lock:
            group = self._group
            if group is None:
                self._conn.execute("BEGIN IMMEDIATE")
                group = self._group = asyncio.get_running_loop().create_future()
                asyncio.get_running_loop().call_soon(self._flush)
            tx = _WriteTx(self._conn)
            tx._sealer = self.sealer
            tx._group_deferred = self._group_deferred
            tx.memo = self.memo
            self._conn.execute("SAVEPOINT tx")
            try:
                yield tx
            except BaseException as exc:
                self._undo(exc)
                raise
            else:
                self._conn.execute("RELEASE tx")
                for key, (apply, items) in tx._deferred.items():
                    self._group_deferred.setdefault(key, (apply, []))[1].extend(items)
                if tx.events:
                    kinds = {kind for kind, _ in tx.events}
                    self._group_kinds |= kinds
                    if CHECKPOINT_SOON in kinds:
                        self._group_soon += 1
            finally:
                if self._flush_when_free:  # the group's commit waited for this block to end
                    self._flush_when_free = False
                    asyncio.get_running_loop().call_soon(self._flush)
        if tx.events and self._listeners:
            # Heard once the group commits, before any caller goes on, and even if this caller
            # is cancelled while it waits (a timer or a notice must not be missed for that).
            group.add_done_callback(functools.partial(self._tell, tx.events))
        # Shielded: a caller cancelled while waiting must not cancel the others' commit.
        await asyncio.shield(group)

    def _tell(self, events: list[tuple[str, Any]], group: asyncio.Future[None]) -> None:
        if group.cancelled() or group.exception() is not None:
            return
        for kind, payload in events:
            for listener in self._listeners:
                listener(kind, payload)

    def _undo(self, exc: BaseException) -> None:
        """A block failed: roll back its savepoint alone; if SQLite already rolled back the
        whole transaction (a full disk, an I/O error), the group's other blocks fail too."""
        try:
            if self._conn.in_transaction:
                self._conn.execute("ROLLBACK TO tx")
                self._conn.execute("RELEASE tx")
                return
        except sqlite3.Error:
            pass
        self._end_group(StorageError(f"a transaction of the group failed: {exc!r}"))

    def _end_group(self, failure: BaseException) -> None:
        if self._conn.in_transaction:
            self._conn.execute("ROLLBACK")
        group, self._group = self._group, None
        self._group_kinds, self._group_soon = set(), 0
        self._group_deferred = {}
        if group is not None and not group.done():
            group.set_exception(failure)
            group.exception()  # retrieved: a group nobody else waits for is not an error

    def _flush(self) -> None:
        """Commit the open group (called at the start of the next turn of the loop, or under
        the lock before work that needs no transaction open)."""
        if self._group is None:
            return
        if self._lock.locked() and not self._flushing_under_lock:
            # A block holds the lock across an await: commit once it ends, never in its middle.
            self._flush_when_free = True
            return
        try:
            self._apply_deferred()
            self._conn.execute("COMMIT")
        except Exception as exc:  # a deferred write or the commit: the whole group fails
            self._end_group(exc)
            return
        group, self._group = self._group, None
        kinds, self._group_kinds = self._group_kinds, set()
        soon, self._group_soon = self._group_soon, 0
        if soon and self.checkpoint_quiet_s is not None:
            self._soon_count += soon
            if self._soon_count >= self.checkpoint_every:
                kinds.add(CHECKPOINT)
            else:
                self._checkpoint_later(self.checkpoint_quiet_s)
        if self._checkpoint_wanted or CHECKPOINT in kinds:
            self._checkpoint()
        if not group.done():
            group.set_result(None)

    def _apply_deferred(self) -> None:
        """Run the group's deferred work (Tx.defer) in the group's transaction, before COMMIT.
        The writer's statements never wait, so each coroutine finishes in one step."""
        work, self._group_deferred = self._group_deferred, {}
        for apply, items in work.values():
            tx = _WriteTx(self._conn)
            tx._sealer = self.sealer
            tx.memo = self.memo
            step = apply(tx, items).__await__()
            try:
                next(step)
            except StopIteration:
                continue
            step.close()
            raise StorageError("deferred work must not wait: it runs just before the commit")

    def _flush_locked(self) -> None:
        """Under the lock: commit any open group first (checkpoints, migrations, closing)."""
        self._flushing_under_lock = True
        try:
            self._flush()
        finally:
            self._flushing_under_lock = False

    def _checkpoint_later(self, delay: float) -> None:
        """(Re)start the quiet-time countdown: a burst of votes is checkpointed once it pauses."""
        if self._soon_handle is not None:
            self._soon_handle.cancel()
        self._soon_handle = asyncio.get_running_loop().call_later(delay, self._checkpoint_quiet)

    def _checkpoint_quiet(self) -> None:
        self._soon_handle = None
        if self._lock.locked():  # a transaction is open: try again once it is done
            self._checkpoint_later(0.05)
            return
        self._flush()  # a group waiting for its commit is committed first
        self._checkpoint()

    def _checkpoint(self) -> None:
        """Copy the WAL into the database and truncate it to zero bytes, so the frames written
        while a poll was open are no longer in any file. A reader in the middle of a snapshot
        makes it wait: then it is tried again after the next commit, never blocking the loop."""
        self._conn.execute("PRAGMA busy_timeout=0")
        try:
            busy = self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()[0]
        except sqlite3.OperationalError:
            busy = 1
        finally:
            self._conn.execute("PRAGMA busy_timeout=5000")
        self._checkpoint_wanted = bool(busy)
        if not busy:
            self._soon_count = 0
            if self._soon_handle is not None:
                self._soon_handle.cancel()
                self._soon_handle = None

    async def checkpoint(self) -> bool:
        """Checkpoint and truncate the WAL now; False if a reader held it up (retried later)."""
        async with self._lock:
            self._flush_locked()
            self._checkpoint()
            return not self._checkpoint_wanted

    async def schema_version(self) -> int:
        async with self._lock:
            self._flush_locked()
            return self._version()

    def _version(self) -> int:
        self._conn.execute(
            "CREATE TABLE IF NOT EXISTS schema_version (version INTEGER NOT NULL, name TEXT NOT NULL,"
            " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"
        )
        row = self._conn.execute("SELECT COALESCE(MAX(version), 0) FROM schema_version").fetchone()
        return int(row[0]) if row else 0

    async def _check_version(self, *, apply: bool) -> list[str]:
        migrations = bundled_migrations()
        known = migrations[-1].version if migrations else 0
        async with self._lock:
            self._flush_locked()
            current = self._version()
            if current > known:
                raise StorageError(
                    f"The database {self.path} was written by a newer version of the bot "
                    f"(schema {current}; this version knows up to {known}). "
                    "Upgrade the bot, or restore a backup made by this version."
                )
            applied: list[str] = []
            if not apply:
                return applied
            done = {int(r[0]) for r in self._conn.execute("SELECT version FROM schema_version")}
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
                    self._conn.executescript(script)
                except sqlite3.Error as exc:
                    if self._conn.in_transaction:
                        self._conn.execute("ROLLBACK")
                    raise StorageError(f"migration {migration.name} failed: {exc}") from exc
                applied.append(migration.name)
            return applied

    async def migrate(self) -> list[str]:
        return await self._check_version(apply=True)

    async def backup(self, target: str | Path) -> None:
        """SQLite's online backup from the read-only connection: a consistent copy while the
        bot runs, made off the event loop."""
        target = Path(target)
        files.private_file(target)  # a backup is as secret as the database
        async with self._reader_lock:
            reader = await self._read_connection()
            dest = await aiosqlite.connect(str(target))
            try:
                await reader.backup(dest)
            finally:
                await dest.close()
