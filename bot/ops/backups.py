"""Backups: a nightly online copy of the database, and `restore` to put one back.

The nightly backup is a timer row of kind "nightly_backup" at [backups] time (establishment
clock); each run schedules the next, so it survives restarts like every other timer, and one
missed while the bot was down runs late within the grace period. The timer only asks for the
backup (a post-commit event); the copy itself is SQLite's online backup on the read-only
connection, so no write waits for it. Files are 0600 in a 0700 folder; the newest [backups]
keep are kept. The sealing key ([secrecy] key_file) is never in a backup: keep it apart.
"""

from __future__ import annotations

import asyncio
import logging
import os
import shutil
import sqlite3
import weakref
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from bot.config import Settings
from bot.council import timers
from bot.council.clock import Clock
from bot.ops.metrics import BACKUP_PATTERN
from bot.ops.runlock import AlreadyRunning, RunLock
from bot.services import Services
from storage.db import Database, Tx, bundled_migrations
from storage.timers import TimerRow

log = logging.getLogger(__name__)

KIND = "nightly_backup"
KEY_PREFIX = "backup:nightly:"
CHECKSUM = timers.checksum_of(KIND)
_EVENT = "backup_due"


def key_file_note(settings: Settings) -> str:
    return (
        f"The key file {settings.key_path} is not in the backup. Keep a copy of it apart from"
        " the backups: a restore needs it, and the two together must never leave the building."
    )


# -- the schedule ------------------------------------------------------------------------------


def next_backup_at(clock: Clock, settings: Settings) -> datetime:
    """The next [backups] time on the establishment's clock (a calendar day: summer time holds)."""
    zone = settings.establishment.timezone
    local = clock.now().astimezone(zone)
    due = datetime.combine(local.date(), settings.backups.at, tzinfo=zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), settings.backups.at, tzinfo=zone)
    return due


async def schedule_next(tx: Tx, clock: Clock, settings: Settings) -> datetime:
    # One key per night: the firing row ends "fired", so the next night needs a row of its own.
    due = next_backup_at(clock, settings)
    await timers.schedule(
        tx,
        key=f"{KEY_PREFIX}{due.date().isoformat()}",
        kind=KIND,
        subject_id=0,
        due_at=due,
        checksum=CHECKSUM,
    )
    return due


async def ensure_scheduled(db: Database, clock: Clock, settings: Settings) -> datetime | None:
    """At start: the next backup is in the timer table, or none when backups are off."""
    async with db.transaction() as tx:
        if not settings.backups.enabled:
            await timers.cancel(tx, clock, KEY_PREFIX)
            return None
        return await schedule_next(tx, clock, settings)


async def _fire(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    tx.after_commit(_EVENT, timer.key)
    if settings.backups.enabled:
        await schedule_next(tx, clock, settings)


async def _checksum(tx: Tx, timer: TimerRow) -> str:
    return CHECKSUM


TIMER = timers.Timer(KIND, fire=_fire, checksum=_checksum)


class Runner:
    """Makes the backup a fired timer asked for, once per database whatever the channels."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self.tasks: set[asyncio.Task[Path | None]] = set()

    def on_commit(self, kind: str, payload: object) -> None:
        if kind == _EVENT and self.services.settings.backups.enabled:
            task = asyncio.get_running_loop().create_task(self.run(), name="nightly-backup")
            self.tasks.add(task)
            task.add_done_callback(self.tasks.discard)

    async def run(self) -> Path | None:
        svc = self.services
        try:
            made = await backup_now(svc.db, svc.clock, svc.settings)
        except Exception:
            log.exception("the nightly backup failed")
            return None
        log.info("nightly backup written to %s", made)
        return made

    async def settle(self) -> None:
        while self.tasks:
            await asyncio.gather(*list(self.tasks), return_exceptions=True)


_runners: weakref.WeakKeyDictionary[Database, Runner] = weakref.WeakKeyDictionary()


async def start(services: Services) -> Runner:
    """Before the timers are rebuilt: listen for due backups, and make sure of the next one."""
    runner = _runners.get(services.db)
    if runner is None:
        runner = Runner(services)
        _runners[services.db] = runner
        services.db.listen(runner.on_commit)
    await ensure_scheduled(services.db, services.clock, services.settings)
    return runner


async def settle(db: Database) -> None:
    """Wait for backups in progress (at stop, and in tests)."""
    runner = _runners.get(db)
    if runner is not None:
        await runner.settle()


# -- making one --------------------------------------------------------------------------------


def _private_folder(folder: Path) -> None:
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    try:
        os.chmod(folder, 0o700)
    except PermissionError:
        pass  # a mount point the bot does not own: the files in it are 0600 all the same


async def backup_now(
    db: Database, clock: Clock, settings: Settings, target: Path | None = None
) -> Path:
    """An online backup: into [backups] directory (then the oldest beyond keep are removed), or
    to target. Written beside as .part and renamed, so a backup file is always whole."""
    folder = settings.backups.folder(settings.database_path)
    if target is None:
        _private_folder(folder)
        stamp = clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        target = folder / f"council-{stamp}.sqlite3"
    else:
        target.parent.mkdir(parents=True, exist_ok=True)
    part = target.with_name(target.name + ".part")
    part.unlink(missing_ok=True)
    os.close(os.open(part, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))
    try:
        await db.backup(part)
        os.chmod(part, 0o600)
        os.replace(part, target)
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    if target.parent == folder:
        prune(folder, settings.backups.keep)
    return target


def prune(folder: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` nightly backups (names sort by time)."""
    found = sorted(folder.glob(BACKUP_PATTERN))
    removed = found[: max(len(found) - keep, 0)]
    for old in removed:
        old.unlink(missing_ok=True)
    return removed


# -- putting one back --------------------------------------------------------------------------


class RestoreRefused(Exception):
    """The restore did not happen; the message says why and what to do."""


@dataclass(frozen=True)
class Restored:
    database: Path
    kept_aside: list[Path]
    schema_version: int


def check_backup(backup: Path) -> int:
    """PRAGMA quick_check and the schema version of a backup file; raises RestoreRefused."""
    if not backup.is_file():
        raise RestoreRefused(f"There is no backup file at {backup}.")
    try:
        conn = sqlite3.connect(f"{backup.resolve().as_uri()}?mode=ro", uri=True)
        try:
            result = [r[0] for r in conn.execute("PRAGMA quick_check").fetchall()]
            version = conn.execute("SELECT MAX(version) FROM schema_version").fetchone()
        finally:
            conn.close()
    except sqlite3.DatabaseError as exc:
        raise RestoreRefused(
            f"{backup} is not a council bot database that can be read ({exc})."
        ) from None
    if result != ["ok"]:
        raise RestoreRefused(
            f"{backup} is damaged (quick_check: {'; '.join(result[:3])}). Use an older backup."
        )
    known = max(m.version for m in bundled_migrations())
    have = int(version[0]) if version and version[0] is not None else 0
    if have > known:
        raise RestoreRefused(
            f"{backup} was made by a newer version of the bot (schema {have}; this version"
            f" knows up to {known}). Restore it with that version."
        )
    return have


def restore(settings: Settings, backup: Path, clock: Clock) -> Restored:
    """Put a backup in place of the database. Refuses while the bot runs and when the backup
    fails its check; the database it replaces (with its -wal and -shm) is kept aside."""
    database = settings.database_path
    lock = RunLock(database)
    try:
        lock.acquire()
    except AlreadyRunning as exc:
        raise RestoreRefused(
            f"The bot is running on {database} (pid {exc.pid or '?'}). Stop it first"
            " (systemctl stop council-bot, or docker compose stop bot), then restore."
        ) from None
    try:
        version = check_backup(backup)
        database.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        incoming = database.with_name(database.name + ".restoring")
        incoming.unlink(missing_ok=True)
        fd = os.open(incoming, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with backup.open("rb") as source, os.fdopen(fd, "wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
            out.flush()
            os.fsync(out.fileno())
        stamp = clock.now().astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")
        aside: list[Path] = []
        # The -wal and -shm move with their file: a stale log beside the restored file
        # would be replayed into it.
        for suffix in ("", "-wal", "-shm"):
            current = database.with_name(database.name + suffix)
            if current.exists():
                moved = database.with_name(f"{database.name}.replaced-{stamp}{suffix}")
                os.replace(current, moved)
                os.chmod(moved, 0o600)
                aside.append(moved)
        os.replace(incoming, database)
        return Restored(database, aside, version)
    finally:
        lock.release()
