"""Staff announcements to an audience: a draft (the preview), then one confirm that queues a
notice to everyone in the audience through the outbox and writes the audit line."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import timedelta
from typing import Literal

from bot.config import Settings
from bot.council import audit, content, notices, roles
from bot.council.access import Person
from bot.council.buttons import ButtonData
from bot.council.clock import Clock
from bot.council.flows import Draft as FlowDraft
from bot.council.flows import Flow
from storage import announcements as store
from storage import people
from storage.db import Tx

Audience = Literal["members", "families", "staff", "everyone"]
AUDIENCES: dict[Audience, tuple[str, ...]] = {
    "members": (roles.MEMBER, roles.CHAIR),
    "families": (roles.FAMILY,),
    "staff": (roles.STAFF, roles.ADMIN),
    "everyone": tuple(sorted(roles.ALL)),
}
MAY_ANNOUNCE = roles.STAFF_SIDE


class AnnounceStep(enum.StrEnum):
    TEXT = "text"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class Announcing(FlowDraft):
    """/announce in progress: the audience picked, then the draft shown in the preview."""

    audience: str = ""
    draft: int | None = None


FLOW = Flow("announce", AnnounceStep, Announcing)


@dataclass(frozen=True)
class PickAudience(ButtonData, prefix="ann"):
    audience: Audience


@dataclass(frozen=True)
class SendAnnouncement(ButtonData, prefix="anny"):
    draft_id: int


@dataclass(frozen=True)
class CancelAnnouncement(ButtonData, prefix="annn"):
    draft_id: int


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


class Drafting(enum.StrEnum):
    """What came of the words for an announcement."""

    PREVIEW = "preview"  # a draft to confirm, reaching `count` people
    NOBODY = "nobody"  # the audience reaches nobody now
    UNKNOWN_AUDIENCE = "unknown_audience"  # an old or damaged flow
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class Draft:
    result: Drafting
    id: int = 0
    audience: str = ""
    text: str = ""
    count: int = 0


async def draft(tx: Tx, clock: Clock, *, actor: Person, audience_name: str, text: str) -> Draft:
    if actor.role not in MAY_ANNOUNCE:
        return Draft(Drafting.NOT_ALLOWED)
    if audience_name not in AUDIENCES:
        return Draft(Drafting.UNKNOWN_AUDIENCE)
    reached = await audience(tx, audience_name, actor=actor)
    draft_id = await store.add_draft(
        tx, author_id=actor.id, audience=audience_name, text=text, now=clock.now()
    )
    result = Drafting.PREVIEW if reached else Drafting.NOBODY
    return Draft(result, draft_id, audience_name, text, len(reached))


class Result(enum.StrEnum):
    """What came of a confirm or cancel press."""

    DONE = "done"
    ALREADY = "already"
    CANCELLED = "cancelled"
    EXPIRED = "expired"
    NOT_YOURS = "not_yours"
    UNKNOWN = "unknown"
    NOBODY = "nobody"
    NOT_ALLOWED = "not_allowed"


@dataclass(frozen=True)
class Outcome:
    """The result, and count: the number of notices queued."""

    result: Result
    count: int = 0


async def send(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, draft_id: int
) -> Outcome:
    if actor.role not in MAY_ANNOUNCE:
        return Outcome(Result.NOT_ALLOWED)
    row = await store.get(tx, draft_id)
    if row is None:
        return Outcome(Result.UNKNOWN)
    if row.author_id != actor.id:
        return Outcome(Result.NOT_YOURS)
    if row.status != "draft":
        done = Result.ALREADY if row.status == "sent" else Result.CANCELLED
        return Outcome(done, row.recipients or 0)
    now = clock.now()
    if now - row.created_at > DRAFT_LIFETIME:
        await store.finish_draft(tx, row.id, "cancelled", now)
        return Outcome(Result.EXPIRED)
    reached = await audience(tx, row.audience, actor=actor)
    if not reached:
        await store.finish_draft(tx, row.id, "cancelled", now, 0)
        return Outcome(Result.NOBODY)
    # Claimed first: a second press (or a concurrent one) finds it sent and queues nothing.
    if not await store.finish_draft(tx, row.id, "sent", now):
        return Outcome(Result.ALREADY)
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
    return Outcome(Result.DONE, count)


async def cancel(tx: Tx, clock: Clock, *, actor: Person, draft_id: int) -> Outcome:
    row = await store.get(tx, draft_id)
    if row is None:
        return Outcome(Result.UNKNOWN)
    if row.author_id != actor.id:
        return Outcome(Result.NOT_YOURS)
    if not await store.finish_draft(tx, row.id, "cancelled", clock.now()):
        return Outcome(Result.ALREADY if row.status == "sent" else Result.CANCELLED)
    return Outcome(Result.CANCELLED)
