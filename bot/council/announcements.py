"""Staff announcements to an audience: a draft (the preview), then one confirm that queues a
notice to everyone in the audience through the outbox and writes the audit line."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.config import Settings
from bot.council import audit, content, notices, roles
from bot.council.access import Person
from bot.council.clock import Clock
from bot.council.roles import NotAllowed
from storage import announcements as store
from storage import people
from storage.clock import from_db, to_db
from storage.db import Tx

AUDIENCES: dict[str, tuple[str, ...]] = {
    "members": (roles.MEMBER, roles.CHAIR),
    "families": (roles.FAMILY,),
    "staff": (roles.STAFF, roles.ADMIN),
    "everyone": tuple(sorted(roles.ALL)),
}
MAY_ANNOUNCE = roles.STAFF_SIDE
MIN_LEN = 2
MAX_LEN = 1000
# A preview left this long is out of date: the audience may have changed since.
DRAFT_LIFETIME = timedelta(hours=24)


async def audience(tx: Tx, name: str, *, actor: Person) -> list[Person]:
    """Who an announcement to this audience reaches now; the author saw the preview already."""
    if name not in AUDIENCES:
        raise ValueError(f"unknown audience {name!r}")
    found = await people.active_with_roles(tx, AUDIENCES[name])
    return [p for p in found if p.id != actor.id and not p.unreachable]


@dataclass(frozen=True)
class Draft:
    id: int
    audience: str
    text: str
    count: int


async def draft(tx: Tx, clock: Clock, *, actor: Person, audience_name: str, text: str) -> Draft:
    if actor.role not in MAY_ANNOUNCE:
        raise NotAllowed(actor.role)
    reached = await audience(tx, audience_name, actor=actor)
    draft_id = await store.add_draft(
        tx, author_id=actor.id, audience=audience_name, text=text, now=to_db(clock.now())
    )
    return Draft(draft_id, audience_name, text, len(reached))


@dataclass(frozen=True)
class Outcome:
    """What came of a confirm or cancel press: done, already, cancelled, expired, not_yours,
    unknown or nobody. count is the number of notices queued."""

    result: str
    count: int = 0


async def send(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, draft_id: int
) -> Outcome:
    if actor.role not in MAY_ANNOUNCE:
        raise NotAllowed(actor.role)
    row = await store.get(tx, draft_id)
    if row is None:
        return Outcome("unknown")
    if row.author_id != actor.id:
        return Outcome("not_yours")
    if row.status != "draft":
        return Outcome("already" if row.status == "sent" else "cancelled", row.recipients or 0)
    now = clock.now()
    if now - from_db(row.created_at) > DRAFT_LIFETIME:
        await store.finish_draft(tx, row.id, "cancelled", to_db(now))
        return Outcome("expired")
    reached = await audience(tx, row.audience, actor=actor)
    if not reached:
        await store.finish_draft(tx, row.id, "cancelled", to_db(now), 0)
        return Outcome("nobody")
    # Claimed first: a second press (or a concurrent one) finds it sent and queues nothing.
    if not await store.finish_draft(tx, row.id, "sent", to_db(now)):
        return Outcome("already")
    # Each reader gets the words in their language (or the first language's, marked).
    text = content.param(
        settings, await content.versions(tx, settings, "announcement", row.id, "text", row.text)
    )
    count = 0
    for person in reached:
        queued = await notices.notify(
            tx,
            clock,
            key=f"announce:{row.id}:person:{person.id}",
            message="announce.notice",
            params={"establishment": settings.establishment.name, "text": text},
            person=person,
        )
        count += int(queued)
    await store.set_recipients(tx, row.id, count)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="announce.send",
        subject=f"announcement:{row.id}",
        detail={"audience": row.audience, "recipients": count, "text": row.text},
    )
    return Outcome("done", count)


async def cancel(tx: Tx, clock: Clock, *, actor: Person, draft_id: int) -> Outcome:
    row = await store.get(tx, draft_id)
    if row is None:
        return Outcome("unknown")
    if row.author_id != actor.id:
        return Outcome("not_yours")
    if not await store.finish_draft(tx, row.id, "cancelled", to_db(clock.now())):
        return Outcome("already" if row.status == "sent" else "cancelled")
    return Outcome("cancelled")
