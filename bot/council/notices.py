"""Queue a notice: the one road out of the bot for anyone who did not just act.
The row is written in the caller's transaction, so the change and its notice commit together."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from bot.council.clock import Clock
from storage import outbox
from storage.clock import to_db
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
) -> bool:
    """Queue once per key. People who left, were revoked or blocked the bot get nothing queued."""
    if person is not None:
        if person.status != "active" or person.unreachable or person.tg_user_id is None:
            return False
        chat_id = person.tg_user_id
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
        not_before=to_db(not_before or now),
        expires_at=None if expires_at is None else to_db(expires_at),
        now=to_db(now),
    )
    if queued:
        tx.after_commit("outbox", key)
    return queued


async def withdraw(tx: Tx, clock: Clock, key_prefix: str, reason: str) -> int:
    """Withdraw still-queued notices (a cancelled meeting's reminders)."""
    return await outbox.withdraw_prefix(tx, key_prefix, to_db(clock.now()), reason)


def when(moment: datetime) -> dict[str, str]:
    """A time parameter, formatted in the recipient's language and the establishment's zone."""
    return {"$dt": to_db(moment)}


def labelled(labels: dict[str, str]) -> dict[str, dict[str, str]]:
    """A configured label (topic, wing) shown in the recipient's language."""
    return {"$label": labels}


def catalogue(message_id: str) -> dict[str, str]:
    """A parameter that is itself a catalogue sentence, shown in the recipient's language."""
    return {"$msg": message_id}
