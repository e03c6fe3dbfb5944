"""Queue a notice: the one road out of the bot for anyone who did not just act.
The row is written in the caller's transaction, so the change and its notice commit together."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.council.clock import Clock
from storage import outbox
from storage import people as people_store
from storage import timers as timer_store
from storage.db import Tx
from storage.people import PersonRow

# A button in a queued notice: {"m": catalogue id} or {"x": literal text}, and {"d": callback data}.
ButtonSpec = dict[str, str]


async def notify(
    tx: Tx,
    clock: Clock,
    *,
    key: str,
    message: str,
    params: dict[str, Any] | None = None,
    person: PersonRow | None = None,
    chat_id: int | None = None,
    buttons: list[list[ButtonSpec]] | None = None,
    urgent: bool = False,
    not_before: datetime | None = None,
    expires_at: datetime | None = None,
    channel: str | None = None,
) -> bool:
    """Queue once per key. People who left, were revoked or blocked the bot get nothing queued.
    A notice to a person goes to their chosen channel, else the one they used last (routed
    here, so the row names its channel); a chat-only notice goes on `channel`, by default the
    'telegram' one (chat ids in config were Telegram's before channels existed)."""
    if person is not None:
        if person.status != "active" or person.unreachable:
            return False
        found = await route(tx, person)
        if found is None:
            return False
        channel, chat_id = found
    if chat_id is None:
        raise ValueError("a notice needs a person or a chat id")
    now = clock.now()
    queued = await outbox.enqueue(
        tx,
        key=key,
        chat_id=chat_id,
        person_id=None if person is None else person.id,
        message=message,
        params=params or {},
        buttons=buttons,
        urgent=urgent,
        not_before=not_before or now,
        expires_at=expires_at,
        now=now,
        channel=channel or people_store.TELEGRAM,
    )
    if queued:
        tx.after_commit("outbox", key)
    return queued


async def route(tx: Tx, person: PersonRow) -> tuple[str, int] | None:
    """The person's current channel and their chat id on it (None: nothing reaches them).
    Code that needs "where does this person read the bot now" asks here, never tg_user_id."""
    return await people_store.route(tx, person.id)


async def withdraw(tx: Tx, clock: Clock, key_prefix: str, reason: str) -> int:
    """Withdraw still-queued notices (a cancelled meeting's reminders)."""
    return await outbox.withdraw_prefix(tx, key_prefix, clock.now(), reason)


@dataclass(frozen=True)
class DeliveryState:
    """The admin's /delivery view: notices and timers by status, people the sender cannot
    reach, and the last parked notices (key, reason, when parked)."""

    notices: dict[str, int]
    timers: dict[str, int]
    unreachable: int
    parked: list[tuple[str, str, datetime | None]]


async def delivery_state(tx: Tx, parked: int) -> DeliveryState:
    return DeliveryState(
        notices=await outbox.counts(tx),
        timers=await timer_store.counts(tx),
        unreachable=await outbox.unreachable_people(tx),
        parked=await outbox.last_parked(tx, parked),
    )


async def waiting_by_channel(tx: Tx) -> dict[str, int]:
    """Notices still to send, per channel."""
    return await outbox.waiting_by_channel(tx)


def when(moment: datetime) -> dict[str, str]:
    """A time parameter, formatted in the recipient's language and the establishment's zone."""
    return {"$dt": outbox.time_param(moment)}


def labelled(labels: dict[str, str]) -> dict[str, dict[str, str]]:
    """A configured label (topic, wing) shown in the recipient's language."""
    return {"$label": labels}


def catalogue(message_id: str) -> dict[str, str]:
    """A parameter that is itself a catalogue sentence, shown in the recipient's language."""
    return {"$msg": message_id}


async def urgent_undelivered(tx: Tx, clock: Clock, lost: list[tuple[int, str]]) -> int:
    """An urgent notice (a safeguarding alert, a Listener request) that could not be delivered:
    every admin hears of it at once, on whatever channel reaches them, so a person at risk is
    never left with a promise nobody received. The notice names its kind, never its words."""
    told = 0
    admins = await people_store.active_with_roles(tx, ("admin",))
    for notice_id, key in lost:
        what = key.split(":", 1)[0]
        for admin in admins:
            told += await notify(
                tx,
                clock,
                key=f"{outbox.LOST_PREFIX}{notice_id}:{admin.id}",
                message="delivery.urgent_lost",
                params={"what": what},
                person=admin,
                urgent=True,
            )
    return told
