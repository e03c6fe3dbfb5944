"""Timers are rows; the scheduler is only a cache of them. A timer fires at most once, late
only within the grace period, and never when what it depends on has changed (checksum)."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.council.clock import Clock
from storage import timers as timer_store
from storage.clock import from_db, to_db
from storage.db import Database, Tx
from storage.timers import TimerRow

log = logging.getLogger(__name__)

FireFn = Callable[[Tx, Clock, Settings, TimerRow], Awaitable[None]]
# The checksum of the subject as it is now; None when the subject is gone.
ChecksumFn = Callable[[Tx, TimerRow], Awaitable[str | None]]


@dataclass(frozen=True)
class TimerKind:
    fire: FireFn
    checksum: ChecksumFn


KINDS: dict[str, TimerKind] = {}


def register(kind: str, *, fire: FireFn, checksum: ChecksumFn) -> None:
    KINDS[kind] = TimerKind(fire, checksum)


def checksum_of(*parts: Any) -> str:
    text = "|".join(str(p) for p in parts)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


async def schedule(
    tx: Tx,
    *,
    key: str,
    kind: str,
    subject_id: int,
    due_at: datetime,
    checksum: str,
    payload: dict[str, Any] | None = None,
) -> None:
    if kind not in KINDS:
        raise ValueError(f"unknown timer kind {kind!r}")
    await timer_store.upsert(
        tx,
        key=key,
        kind=kind,
        subject_id=subject_id,
        due_at=to_db(due_at),
        checksum=checksum,
        payload=payload or {},
    )
    tx.after_commit("timer", (key, due_at))


async def cancel(tx: Tx, clock: Clock, key_prefix: str) -> list[str]:
    keys = await timer_store.cancel_prefix(tx, key_prefix, to_db(clock.now()))
    for key in keys:
        tx.after_commit("timer_cancelled", key)
    return keys


async def fire(db: Database, clock: Clock, settings: Settings, key: str) -> str:
    """Fire one timer if it is due. Returns what happened: fired, stale, missed, not_due, done."""
    async with db.transaction() as tx:
        timer = await timer_store.get(tx, key)
        if timer is None or timer.status != "pending":
            return "done"
        now = clock.now()
        due = from_db(timer.due_at)
        if due > now:
            return "not_due"
        if now - due > settings.delivery.timer_grace:
            await timer_store.finish(tx, timer.id, "missed", to_db(now))
            log.warning("timer %s missed: %s late", key, now - due)
            return "missed"
        kind = KINDS.get(timer.kind)
        if kind is None:
            await timer_store.finish(tx, timer.id, "stale", to_db(now))
            log.error("timer %s has unknown kind %s", key, timer.kind)
            return "stale"
        if await kind.checksum(tx, timer) != timer.checksum:
            await timer_store.finish(tx, timer.id, "stale", to_db(now))
            return "stale"
        await kind.fire(tx, clock, settings, timer)
        await timer_store.finish(tx, timer.id, "fired", to_db(now))
        return "fired"


async def fire_due(db: Database, clock: Clock, settings: Settings) -> dict[str, int]:
    """Fire (or miss) every pending timer whose time has come: used at start-up and by tests."""
    async with db.transaction() as tx:
        due = await timer_store.pending_due(tx, to_db(clock.now()))
    outcome: dict[str, int] = {}
    for timer in due:
        result = await fire(db, clock, settings, timer.key)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


async def pending(db: Database) -> list[TimerRow]:
    async with db.transaction() as tx:
        return await timer_store.pending(tx)
