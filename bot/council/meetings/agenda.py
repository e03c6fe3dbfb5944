"""A meeting's agenda: which items it takes, their order, ordering by support."""

from __future__ import annotations

from bot.config import Settings
from bot.council import agenda as agenda_council
from bot.council import audit, roles
from bot.council.access import Person
from bot.council.clock import Clock
from bot.council.meetings.core import AGENDA_MAX, MEMBERS, SCHEDULED, ref
from bot.council.meetings.results import Ordered
from bot.council.meetings.schedule import upcoming_for
from bot.council.roles import NotAllowed
from storage import agenda as agenda_store
from storage import meetings as store
from storage.agenda import ItemRow
from storage.db import Tx
from storage.meetings import MeetingRow

# --- the agenda ---------------------------------------------------------------------------------


def takes_items(meeting: MeetingRow) -> bool:
    """Members' items go only to meetings for members: families never read what members wrote."""
    return meeting.audience == MEMBERS


async def next_meeting(tx: Tx, clock: Clock, person: Person) -> MeetingRow | None:
    listed = await upcoming_for(tx, clock, person, limit=1)
    return listed[0].meeting if listed else None


async def agenda_of(tx: Tx, meeting_id: int) -> list[ItemRow]:
    items: list[ItemRow] = []
    for item_id in await store.agenda(tx, meeting_id):
        item = await agenda_store.get(tx, item_id)
        if item is not None:
            items.append(item)
    return items


async def waiting_items(tx: Tx, actor: Person, meeting: MeetingRow) -> list[ItemRow]:
    """Accepted items that could go on this meeting's agenda, most supported first."""
    if actor.role not in roles.TRIAGE:
        raise NotAllowed(f"{actor.role} may not order the agenda")
    if not takes_items(meeting):
        return []
    return await agenda_council.awaiting_meeting(tx, wing=meeting.wing, limit=AGENDA_MAX)


async def _open_agenda(
    tx: Tx, clock: Clock, actor: Person, meeting_id: int
) -> MeetingRow | Ordered:
    if actor.role not in roles.TRIAGE:
        raise NotAllowed(f"{actor.role} may not order the agenda")
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return Ordered.UNKNOWN
    if meeting.status != SCHEDULED:
        return Ordered.CANCELLED
    if meeting.starts_at <= clock.now():
        return Ordered.STARTED
    if not takes_items(meeting):
        return Ordered.NOT_MEMBERS
    return meeting


async def attach(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, meeting_id: int, item_id: int
) -> Ordered:
    """done, full, or why not: unknown, cancelled, started, not_members, wing, handled."""
    meeting = await _open_agenda(tx, clock, actor, meeting_id)
    if isinstance(meeting, Ordered):
        return meeting
    item = await agenda_store.get(tx, item_id)
    if item is None or item.status != agenda_council.ACCEPTED:
        return Ordered.HANDLED
    if meeting.wing is not None and item.wing != meeting.wing:
        return Ordered.WING
    if len(await store.agenda(tx, meeting.id)) >= AGENDA_MAX:
        return Ordered.FULL
    decided = await agenda_council.attach_to_meeting(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item.id,
        meeting_id=meeting.id,
        when=meeting.starts_at,
    )
    if not decided.done:
        return Ordered.HANDLED
    await store.add_to_agenda(tx, meeting.id, item.id)
    return Ordered.DONE


async def reorder(
    tx: Tx, clock: Clock, *, actor: Person, meeting_id: int, item_id: int, step: int
) -> Ordered:
    """Move one item up (step -1) or down (+1). done, edge, or why not."""
    meeting = await _open_agenda(tx, clock, actor, meeting_id)
    if isinstance(meeting, Ordered):
        return meeting
    order = await store.agenda(tx, meeting.id)
    if item_id not in order or step not in (-1, 1):
        return Ordered.HANDLED
    index = order.index(item_id)
    other = index + step
    if not 0 <= other < len(order):
        return Ordered.EDGE
    order[index], order[other] = order[other], order[index]
    await store.set_order(tx, meeting.id, order)
    await _audit_order(tx, clock, actor, meeting, order)
    return Ordered.DONE


async def order_by_support(tx: Tx, clock: Clock, *, actor: Person, meeting_id: int) -> Ordered:
    meeting = await _open_agenda(tx, clock, actor, meeting_id)
    if isinstance(meeting, Ordered):
        return meeting
    items = await agenda_of(tx, meeting.id)
    order = [i.id for i in sorted(items, key=lambda i: (-i.support_count, i.id))]
    await store.set_order(tx, meeting.id, order)
    await _audit_order(tx, clock, actor, meeting, order)
    return Ordered.DONE


async def _audit_order(
    tx: Tx, clock: Clock, actor: Person, meeting: MeetingRow, order: list[int]
) -> None:
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.agenda_order",
        subject=ref(meeting.id),
        detail={"items": [agenda_council.ref(i) for i in order]},
    )
