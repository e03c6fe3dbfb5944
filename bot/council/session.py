"""What the one wrapper (handlers/base.py) needs before any handler runs, and the flow state it
keeps for handlers: who is calling (admitting a configured admin on first contact), the channel
they used, and where they are in a multi-step flow. Handlers reach storage only through the
council; the transaction and database types are named here for them."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Any

from bot.config import Settings
from bot.council import access
from bot.council.access import Person
from bot.council.clock import Clock
from storage import conversation
from storage import people as people_store
from storage.conversation import ConversationRow
from storage.db import Database, Tx

__all__ = ["Caller", "ConversationRow", "Database", "Tx", "begin", "caller", "end_flow"]


@dataclass(frozen=True)
class Caller:
    """The person behind an update (None: a stranger) and their place in a flow."""

    person: Person | None
    state: ConversationRow | None


async def caller(tx: Tx, clock: Clock, settings: Settings, user_id: int, channel: str) -> Caller:
    person = await access.load(tx, user_id, channel)
    if person is None and settings.is_configured_admin(channel, user_id):
        person = await access.admit_configured_admin(tx, clock, settings, user_id, channel)
    if person is None:
        return Caller(None, None)
    # Notices follow them to the channel they used last; any update from them also proves
    # they unblocked the bot there, so notices may be queued again.
    await people_store.used_channel(tx, person.id, channel, user_id, clock.now())
    if person.unreachable:
        person = replace(person, unreachable=False)
    return Caller(person, await conversation.get(tx, person.id))


async def begin(
    tx: Tx, clock: Clock, person_id: int, flow: str, step: str, data: dict[str, Any]
) -> None:
    """An untyped flow's step (typed flows save through bot.council.flows.Flow.save)."""
    await conversation.put(tx, person_id, flow, step, data, clock.now())


async def end_flow(tx: Tx, person_id: int) -> bool:
    return await conversation.clear(tx, person_id)
