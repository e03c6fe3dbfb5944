"""One way for something urgent to reach the people who must act, and to keep reaching them
until one of them takes it. Safeguarding alerts (bot/council/safeguarding.py) and peer scheme
requests (bot/council/schemes.py) both work like this:

1. `tell` queues the notice to everyone who should act, with a "take it" button; a notice is
   counted only when it was queued (people who left or blocked the bot are skipped).
2. `start` puts an escalation timer row in the same transaction: if nobody has taken it within
   the interval, the area's `again` function tells everyone again (contacts and admins), and the
   timer is set once more until `rounds` rounds have gone.
3. `taken` is the first press: storage decides who was first (an UPDATE ... WHERE nobody yet),
   then the timers stop and the press goes to the audit log.

A timer whose subject is no longer open goes stale by its checksum, so a press that races the
timer never sends a needless round.
"""

from __future__ import annotations

import enum
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.config import Settings
from bot.council import audit, notices, timers
from bot.council.access import Person
from bot.council.buttons import ButtonData
from bot.council.clock import Clock
from storage.db import Tx
from storage.timers import TimerRow

# A registered person (the notice follows them to their channel), or a bare chat id from config.
Target = Person | int


class State(enum.StrEnum):
    OPEN = "open"  # nobody has taken it yet
    CLOSED = "closed"  # taken, arranged or withdrawn: nothing left to escalate


# The subject's state now; None when it is gone.
StateFn = Callable[[Tx, int], Awaitable[State | None]]
# Tell everyone again; the round just told, or None when there was nothing to do.
AgainFn = Callable[[Tx, Clock, Settings, int], Awaitable[int | None]]
# When the next round is due, counted from now.
DueFn = Callable[[Tx, Clock, Settings, int], Awaitable[datetime | None]]


def target_key(target: Target) -> str:
    return f"p{target.id}" if isinstance(target, Person) else f"c{target}"


async def tell(
    tx: Tx,
    clock: Clock,
    targets: Iterable[Target],
    *,
    key: Callable[[Target], str],
    message: str,
    params: dict[str, Any],
    take: tuple[str, ButtonData] | None = None,
    urgent: bool = False,
) -> int:
    """Queue the notice to each target (once per key); how many were queued."""
    buttons: list[list[notices.ButtonSpec]] | None = None
    if take is not None:
        label, button = take
        buttons = [[{"m": label, "d": button.pack()}]]
    queued = 0
    for target in targets:
        person, chat_id = (target, None) if isinstance(target, Person) else (None, target)
        told = await notices.notify(
            tx,
            clock,
            key=key(target),
            message=message,
            params=params,
            person=person,
            chat_id=chat_id,
            buttons=buttons,
            urgent=urgent,
        )
        queued += int(told)
    return queued


@dataclass(frozen=True)
class Escalation:
    """One kind of escalating alert: its timer kind, the timer's key (with `{id}`, and
    `{round}` when each round has a timer of its own), how many rounds at most (the first
    telling counts as round 1), and the area's functions."""

    kind: str
    timer_key: str
    rounds: int
    state: StateFn
    again: AgainFn
    due: DueFn

    def _key(self, subject_id: int, round_: int) -> str:
        return self.timer_key.format(id=subject_id, round=round_)

    def _prefix(self, subject_id: int) -> str:
        return self.timer_key.split("{round}", 1)[0].format(id=subject_id)

    async def start(self, tx: Tx, subject_id: int, due_at: datetime, round_: int = 1) -> None:
        """Escalate unless someone takes it by due_at (round_: the round just told)."""
        await timers.schedule(
            tx,
            key=self._key(subject_id, round_),
            kind=self.kind,
            subject_id=subject_id,
            due_at=due_at,
            checksum=timers.checksum_of(subject_id, State.OPEN.value),
        )

    async def stop(self, tx: Tx, clock: Clock, subject_id: int) -> None:
        await timers.cancel(tx, clock, self._prefix(subject_id))

    async def taken(
        self,
        tx: Tx,
        clock: Clock,
        *,
        subject_id: int,
        actor: Person,
        action: str,
        subject: str,
        detail: dict[str, Any],
    ) -> None:
        """After the first press won in storage: no more rounds, and the press is audited."""
        await audit.record(
            tx,
            clock,
            actor_id=actor.id,
            actor_role=actor.role,
            action=action,
            subject=subject,
            detail=detail,
        )
        # Nothing left to escalate: the pending timer goes stale (checksum) and is cancelled.
        await self.stop(tx, clock, subject_id)

    async def _checksum(self, tx: Tx, timer: TimerRow) -> str | None:
        state = await self.state(tx, timer.subject_id)
        return None if state is None else timers.checksum_of(timer.subject_id, state.value)

    async def _fire(self, tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
        if await self.state(tx, timer.subject_id) is not State.OPEN:
            return
        round_ = await self.again(tx, clock, settings, timer.subject_id)
        if round_ is None or round_ >= self.rounds:
            return
        due_at = await self.due(tx, clock, settings, timer.subject_id)
        if due_at is not None:
            await self.start(tx, timer.subject_id, due_at, round_)

    def timer(self) -> timers.Timer:
        """The TIMERS entry (handlers/__init__.py)."""
        return timers.Timer(self.kind, fire=self._fire, checksum=self._checksum)
