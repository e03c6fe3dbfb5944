"""/healthz: is the bot doing its job? Three checks, each a line an operator can act on.

- database: a write on a connection of its own goes through (the file is there and writable);
- each channel: its Bot API answered lately, or answers a getMe now;
- each channel's outbox sender: its task runs and nothing due has waited long for it.

Nothing here names a person or a choice: only states, ages and error classes.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from bot.ops.channels import Channel
from bot.services import Services
from storage import ops as store

# How long a notice due now may wait before the sender counts as stuck. The sender paces at
# about 25 a second, so only a very large broadcast comes near it.
SENDER_STALL = timedelta(minutes=10)
PROBE_TIMEOUT_S = 10.0
DB_TIMEOUT_S = 2.0


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


@dataclass(frozen=True)
class Report:
    checks: tuple[Check, ...]

    @property
    def healthy(self) -> bool:
        return all(c.ok for c in self.checks)

    def as_json(self) -> dict[str, Any]:
        return {
            "status": "ok" if self.healthy else "unhealthy",
            "checks": {c.name: {"ok": c.ok, "detail": c.detail} for c in self.checks},
        }

    def lines(self) -> list[str]:
        return [f"{'ok  ' if c.ok else 'FAIL'} {c.name}: {c.detail}" for c in self.checks]


async def check_database(services: Services) -> Check:
    stamp = services.clock.now()
    try:
        # Off the event loop: a locked or failing disk must not stall the bot while we wait.
        await asyncio.to_thread(store.heartbeat, services.db.path, stamp, timeout_s=DB_TIMEOUT_S)
    except sqlite3.Error as exc:
        return Check("database", False, f"cannot write ({exc})")
    return Check("database", True, "reachable and writable")


async def check_channel(services: Services, channel: Channel) -> Check:
    name = f"channel:{channel.name}"
    now = services.clock.now()
    silence = services.settings.monitoring.api_silence
    if channel.last_answer is not None and now - channel.last_answer <= silence:
        ago = int((now - channel.last_answer).total_seconds())
        return Check(name, True, f"Bot API answered {ago} s ago")
    try:
        # Quiet for a while (a webhook bot at night): ask the server itself.
        await asyncio.wait_for(channel.app.bot.get_me(), PROBE_TIMEOUT_S)
    except Exception as exc:
        return Check(name, False, f"Bot API does not answer ({type(exc).__name__})")
    return Check(name, True, "Bot API answered a getMe just now")


async def check_sender(services: Services, channel: Channel) -> Check:
    name = f"sender:{channel.name}"
    sender = channel.app.bot_data.get("sender")
    task = getattr(sender, "_task", None)
    if not isinstance(task, asyncio.Task) or task.done():
        return Check(name, False, "the outbox sender is not running")
    now = services.clock.now()
    async with services.db.snapshot() as tx:
        due = await store.oldest_due(tx, now)
    # Keyed by channel once the outbox has one; "" while every notice is this channel's.
    found = due.get(channel.name, due.get(""))
    waits = [] if found is None else [now - found]
    if waits and max(waits) > SENDER_STALL:
        minutes = int(max(waits).total_seconds() // 60)
        return Check(name, False, f"a notice due {minutes} min ago is still waiting")
    return Check(name, True, "running")


async def check(services: Services, channels: Sequence[Channel]) -> Report:
    found = [await check_database(services)]
    for channel in channels:
        found.append(await check_channel(services, channel))
        found.append(await check_sender(services, channel))
    return Report(tuple(found))
