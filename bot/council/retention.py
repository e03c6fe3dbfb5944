"""The retention sweep: once a day, at 03:30 establishment time, personal data older than
[retention] days is removed (docs/PRIVACY.md). A timer row of kind "retention_sweep" runs it,
and each run schedules the next, so it survives restarts like every other timer."""

from __future__ import annotations

from datetime import datetime, time, timedelta

from bot.config import Settings
from bot.council import audit, scheme_requests, timers
from bot.council.clock import Clock
from storage import people
from storage import retention as store
from storage.db import Database, Tx
from storage.timers import TimerRow

KIND = "retention_sweep"
SWEEP_AT = time(3, 30)
# A multi-step flow (raising an item, writing a poll) untouched this long was abandoned.
CONVERSATION_IDLE = timedelta(days=30)
# Nothing the sweep depends on can change, so the checksum never does.
CHECKSUM = timers.checksum_of(KIND)


async def sweep(tx: Tx, clock: Clock, settings: Settings) -> dict[str, int]:
    """Remove what is older than the retention period; one audit line with the counts."""
    now = clock.now()
    cutoff = now - settings.retention
    counts: dict[str, int] = {"people": 0}
    # People revoked or left before the cutoff: deleted exactly as if they had left now.
    for person_id in await people.ended_before(tx, cutoff):
        if await people.forget(tx, person_id, now, leaving=False) is not None:
            counts["people"] += 1
    counts.update(
        await store.sweep(
            tx,
            now=now,
            cutoff=cutoff,
            attempts_before=now - settings.invites.failure_window,
            idle_before=now - CONVERSATION_IDLE,
        )
    )
    # Peer scheme requests have their own, shorter period: reduced to counts (docs/SCHEMES.md).
    await scheme_requests.reduce_old_requests(tx, clock, settings)
    await audit.record(
        tx,
        clock,
        actor_id=None,
        actor_role=None,
        action="retention.sweep",
        detail={"days": settings.retention.days, **counts},
    )
    return counts


def next_sweep_at(clock: Clock, settings: Settings) -> datetime:
    """The next 03:30 on the establishment's clock (a calendar day, so summer time is right)."""
    zone = settings.establishment.timezone
    local = clock.now().astimezone(zone)
    due = datetime.combine(local.date(), SWEEP_AT, tzinfo=zone)
    if due <= local:
        due = datetime.combine(local.date() + timedelta(days=1), SWEEP_AT, tzinfo=zone)
    return due


async def schedule_next(tx: Tx, clock: Clock, settings: Settings) -> datetime:
    # One key per day: the firing row is finished as "fired" after this runs, so the next
    # day's sweep must be a row of its own. Scheduling the same day twice replaces, never adds.
    due = next_sweep_at(clock, settings)
    await timers.schedule(
        tx,
        key=f"retention:sweep:{due.date().isoformat()}",
        kind=KIND,
        subject_id=0,
        due_at=due,
        checksum=CHECKSUM,
    )
    return due


async def ensure_scheduled(db: Database, clock: Clock, settings: Settings) -> datetime:
    """At start: make sure the next sweep is in the timer table."""
    async with db.transaction() as tx:
        return await schedule_next(tx, clock, settings)


async def _fire(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    await sweep(tx, clock, settings)
    await schedule_next(tx, clock, settings)


async def _checksum(tx: Tx, timer: TimerRow) -> str:
    return CHECKSUM


TIMER = timers.Timer(KIND, fire=_fire, checksum=_checksum)
