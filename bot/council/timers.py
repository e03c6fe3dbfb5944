"""Timers are rows; the scheduler is only a cache of them. A timer fires at most once, late
only within the grace period, and never when what it depends on has changed (checksum).

Every timer kind is declared beside its fire function as a `Timer` and listed once in the
`TIMERS` table in handlers/__init__.py (beside BUTTONS); the application installs that table at
build, and a pending row of a kind the table does not know stops the start with an error.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.council.clock import Clock
from storage import timers as timer_store
from storage.db import Database, Tx
from storage.timers import TimerRow

log = logging.getLogger(__name__)

FireFn = Callable[[Tx, Clock, Settings, TimerRow], Awaitable[None]]
# The checksum of the subject as it is now; None when the subject is gone.
ChecksumFn = Callable[[Tx, TimerRow], Awaitable[str | None]]


@dataclass(frozen=True)
class Timer:
    """One timer kind: its name in the timer rows, what it does when due, what makes it stale."""

    kind: str
    fire: FireFn
    checksum: ChecksumFn


class UnknownTimerKind(RuntimeError):
    """A timer row (or a schedule call) names a kind missing from the TIMERS table."""


# The installed table: kind -> Timer. Filled by install() from handlers.TIMERS at build.
KINDS: dict[str, Timer] = {}


def table(*declared: Timer) -> dict[str, Timer]:
    """The TIMERS table from the declarations; a kind listed twice is an error at import."""
    found: dict[str, Timer] = {}
    for timer in declared:
        if timer.kind in found:
            raise ValueError(f"timer kind {timer.kind!r} is listed twice in TIMERS")
        found[timer.kind] = timer
    return found


def install(timers: Mapping[str, Timer]) -> None:
    """Make the table's kinds known (at build; idempotent). Two handlers for a kind is an error."""
    for kind, timer in timers.items():
        if kind != timer.kind:
            raise ValueError(f"TIMERS lists {timer.kind!r} under {kind!r}")
        known = KINDS.get(kind)
        if known is not None and known != timer:
            raise ValueError(f"timer kind {kind!r} has two handlers")
        KINDS[kind] = timer


async def check_kinds(db: Database) -> None:
    """At start: every pending timer row's kind must be in the table, or the start stops here
    (a kind dropped from TIMERS with rows still waiting would otherwise never fire)."""
    unknown = sorted({t.kind for t in await pending(db) if t.kind not in KINDS})
    if unknown:
        raise UnknownTimerKind(
            f"pending timers of unknown kind {', '.join(unknown)}: "
            "list the kind in handlers.TIMERS, or cancel its rows"
        )


def checksum_of(*parts: Any) -> str:
    # A datetime in its key form (storage.timers.key_time): checksums of timers already
    # waiting stay the same whether a row's time is read as a datetime or its stored text.
    text = "|".join(timer_store.key_time(p) if isinstance(p, datetime) else str(p) for p in parts)
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
        raise UnknownTimerKind(f"timer kind {kind!r} is not in handlers.TIMERS")
    await timer_store.upsert(
        tx,
        key=key,
        kind=kind,
        subject_id=subject_id,
        due_at=due_at,
        checksum=checksum,
        payload=payload or {},
    )
    tx.after_commit("timer", (key, due_at))


async def cancel(tx: Tx, clock: Clock, key_prefix: str) -> list[str]:
    keys = await timer_store.cancel_prefix(tx, key_prefix, clock.now())
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
        due = timer.due_at
        if due > now:
            return "not_due"
        if now - due > settings.delivery.timer_grace:
            await timer_store.finish(tx, timer.id, "missed", now)
            log.warning("timer %s missed: %s late", key, now - due)
            return "missed"
        kind = KINDS.get(timer.kind)
        if kind is None:
            # Not a stale: check_kinds refused the start, so this is a bug; the row stays pending.
            raise UnknownTimerKind(f"timer {key} has unknown kind {timer.kind!r}")
        if await kind.checksum(tx, timer) != timer.checksum:
            await timer_store.finish(tx, timer.id, "stale", now)
            return "stale"
        await kind.fire(tx, clock, settings, timer)
        await timer_store.finish(tx, timer.id, "fired", now)
        return "fired"


async def fire_due(db: Database, clock: Clock, settings: Settings) -> dict[str, int]:
    """Fire (or miss) every pending timer whose time has come: used at start-up and by tests."""
    await check_kinds(db)
    async with db.transaction() as tx:
        due = await timer_store.pending_due(tx, clock.now())
    outcome: dict[str, int] = {}
    for timer in due:
        result = await fire(db, clock, settings, timer.key)
        outcome[result] = outcome.get(result, 0) + 1
    return outcome


async def pending(db: Database) -> list[TimerRow]:
    async with db.transaction() as tx:
        return await timer_store.pending(tx)
