"""Triage: staff and the chair take the oldest new item and accept it, decline it with a reason,
ask its writer a question, or merge it into its original ("answer now" is an outcome:
bot.council.outcomes.post). Every decision goes through the agenda's one road for a change of
status (bot.council.agenda.decide): conditional on the version staff saw, audit-logged, told."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from bot.config import Settings
from bot.council import agenda, content, roles
from bot.council.access import Person, person_ref
from bot.council.agenda import (
    ACCEPTED,
    CLOSED,
    DECLINED,
    MERGED,
    NEEDS_INFO,
    NEW,
    Decision,
    ItemRow,
    Verdict,
    look_up,
    may_move,
    ref,
)
from bot.council.agenda_buttons import ReplyStart
from bot.council.clock import Clock
from bot.council.roles import NotAllowed
from storage import agenda as store
from storage import notes as notes_store
from storage import people
from storage.db import Tx

_MERGE_CHAIN_LIMIT = 50


class Writer(StrEnum):
    YOU = "you"
    NONE = "none"  # other members never learn who raised an item
    HIDDEN = "hidden"
    NAMED = "named"
    KEYED = "keyed"  # a paper slip: the keyer is shown


@dataclass(frozen=True)
class Byline:
    """Who raised an item, as this viewer may see it."""

    kind: Writer
    ref: str = ""
    label: str = ""


async def byline(tx: Tx, item: ItemRow, viewer: Person) -> Byline:
    if item.submitter_id is not None and item.submitter_id == viewer.id:
        return Byline(Writer.YOU)
    if viewer.role not in roles.TRIAGE:
        # Other members never learn who raised an item.
        return Byline(Writer.NONE)
    if item.keyed_in:
        return Byline(Writer.KEYED, person_ref(item.keyed_by) if item.keyed_by else "-")
    if item.name_hidden or item.submitter_id is None:
        return Byline(Writer.HIDDEN)
    submitter = await people.by_id(tx, item.submitter_id)
    return Byline(
        Writer.NAMED, person_ref(item.submitter_id), (submitter.label if submitter else "") or ""
    )


async def may_decide(tx: Tx, viewer: Person, item_id: int, version: int, new: str) -> Decision:
    """Whether staff may still take an item (as they saw it, at `version`) to `new`: DONE with
    the item, HANDLED when it changed since, UNKNOWN when this viewer cannot see it. Nothing
    changes here: the decision itself checks again."""
    seen = await look_up(tx, viewer, item_id)
    if seen is None:
        return Decision(Verdict.UNKNOWN)
    if seen.item.version != version or not may_move(seen.item.status, new):
        return Decision(Verdict.HANDLED, seen.item)
    return Decision(Verdict.DONE, seen.item)


async def notes(tx: Tx, item_id: int) -> list[notes_store.NoteRow]:
    """Late answers kept beside an item, for staff."""
    return await notes_store.for_item(tx, item_id)


async def writer_language(tx: Tx, item: ItemRow) -> str | None:
    """The language a member wrote the item in, to mark it for a reader of another. None for a
    hidden name (the language would hint at who wrote it), a paper slip, or no writer."""
    if item.name_hidden or item.submitter_id is None or item.keyed_in:
        return None
    writer = await people.by_id(tx, item.submitter_id)
    return None if writer is None else writer.language


@dataclass(frozen=True)
class Queue:
    item: ItemRow | None
    waiting: int


async def queue(tx: Tx, viewer: Person, *, after: int | None = None) -> Queue:
    """The oldest new item (or the next one after a skipped item) and how many are waiting."""
    _need_triage(viewer)
    skipped = await store.get(tx, after) if after is not None else None
    item = await store.next_in_queue(tx, NEW, skipped)
    if item is None and skipped is not None:
        item = await store.next_in_queue(tx, NEW)  # past the end: start again from the oldest
    return Queue(item, await store.count_in_status(tx, NEW))


def _need_triage(actor: Person) -> None:
    if actor.role not in roles.TRIAGE:
        raise NotAllowed(f"{actor.role} may not triage")


async def accept(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, item_id: int, version: int
) -> Decision:
    """Accepted, awaiting a meeting (see attach_to_meeting, called by the meetings work)."""
    _need_triage(actor)
    return await agenda.decide(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item_id,
        version=version,
        new=ACCEPTED,
        action="agenda.accept",
        message="agenda.notice.accepted",
        fields={"published_at": clock.now()},
    )


# "Answer directly" is an outcome: bot.council.outcomes.post moves the item new -> answered
# (and on to closed when resolved or not possible), keeps the version and tells everyone.


async def decline(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    item_id: int,
    version: int,
    reason: str,
) -> Decision:
    """The reason in each content language the decliner typed (bot.council.content)."""
    _need_triage(actor)
    cleaned = agenda.checked_note(reason)
    await content.keep(tx, actor.id, "decline", item_id, {"reason": "reason"})
    versions = await content.versions(tx, settings, "decline", item_id, "reason", cleaned)
    return await agenda.decide(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item_id,
        version=version,
        new=DECLINED,
        action="agenda.decline",
        message="agenda.notice.declined",
        fields={"answer": cleaned},
        params={"reason": content.param(settings, versions)},
    )


async def ask_info(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    item_id: int,
    version: int,
    question: str,
) -> Decision:
    """The member gets the question with a button to reply."""
    _need_triage(actor)
    cleaned = agenda.checked_note(question)
    return await agenda.decide(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item_id,
        version=version,
        new=NEEDS_INFO,
        action="agenda.ask_info",
        message="agenda.notice.needs_info",
        fields={"info_question": cleaned},
        params={"question": cleaned},
        buttons=[[{"m": "agenda.notice.reply_button", "d": ReplyStart(item_id).pack()}]],
    )


async def merge(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    item_id: int,
    version: int,
    target_id: int,
) -> Decision:
    """Merge a copy into its original: the copy's supporters and submitter support the original."""
    _need_triage(actor)
    item = await store.get(tx, item_id)
    if item is None:
        return Decision(Verdict.UNKNOWN)
    if item.version != version:
        return Decision(Verdict.HANDLED, item)
    if not may_move(item.status, MERGED):
        return Decision(Verdict.REFUSED, item)
    root = await store.get(tx, target_id)
    if root is None:
        return Decision(Verdict.NO_TARGET, item)
    if root.id == item.id:
        return Decision(Verdict.SELF, item)
    seen = {item.id}
    while root.status == MERGED and root.merged_into is not None:
        if root.id in seen or len(seen) > _MERGE_CHAIN_LIMIT:
            return Decision(Verdict.LOOP, item, root)
        seen.add(root.id)
        parent = await store.get(tx, root.merged_into)
        if parent is None:
            return Decision(Verdict.NO_TARGET, item)
        if parent.id == item.id:
            return Decision(Verdict.LOOP, item, root)
        root = parent
    if root.status in (DECLINED, CLOSED, MERGED):
        return Decision(Verdict.TARGET, item, root)
    now = clock.now()
    decided = await agenda.decide(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item_id,
        version=version,
        new=MERGED,
        action="agenda.merge",
        message="agenda.notice.merged",
        fields={"merged_into": root.id},
        params={"target": ref(root.id)},
        supporter_message="agenda.notice.merged_supporter",
        detail={"into": ref(root.id)},
        before_notices=lambda: _follow_original(tx, item, root, now),
    )
    return Decision(decided.result, decided.item, root)


async def _follow_original(tx: Tx, copy: ItemRow, original: ItemRow, now: datetime) -> None:
    await store.move_supporters(
        tx, copy.id, original.id, skip_person=original.submitter_id, now=now
    )
    if copy.submitter_id is not None and copy.submitter_id != original.submitter_id:
        await store.add_support(tx, original.id, copy.submitter_id, now)
    await store.repoint_merged(tx, copy.id, original.id)
