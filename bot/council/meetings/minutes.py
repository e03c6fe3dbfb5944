"""A meeting's minutes: the register, decisions, rolling items over, finishing."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.config import Settings
from bot.council import agenda as agenda_council
from bot.council import audit, outcomes
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from bot.council.meetings.agenda import agenda_of
from bot.council.meetings.core import (
    DECIDED,
    DECISION_MAX,
    IN_PROGRESS,
    OWNER_MAX,
    SCHEDULED,
    _need_staff,
    ref,
)
from bot.council.meetings.results import Minuted
from bot.council.meetings.schedule import text_problem
from storage import agenda as agenda_store
from storage import meetings as store
from storage import people
from storage.agenda import ItemRow
from storage.db import Tx
from storage.meetings import DecisionRow, MeetingRow

# --- minutes ------------------------------------------------------------------------------------


async def to_minute(tx: Tx, clock: Clock, actor: Person, *, limit: int = 8) -> list[MeetingRow]:
    _need_staff(actor)
    return await store.held_unminuted(tx, clock.now(), limit=limit)


async def _minutable(tx: Tx, clock: Clock, actor: Person, meeting_id: int) -> MeetingRow | Minuted:
    _need_staff(actor)
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return Minuted.UNKNOWN
    if meeting.status != SCHEDULED:
        return Minuted.CANCELLED
    if meeting.starts_at > clock.now():
        return Minuted.NOT_YET
    if meeting.minuted_at is not None:
        return Minuted.FINISHED
    return meeting


@dataclass(frozen=True)
class Register:
    """The attendance list: who answered, who attended, and how many others came."""

    meeting: MeetingRow
    people: list[tuple[Person, str]]
    attended: set[int]
    others: int


@dataclass(frozen=True)
class Registered:
    result: Minuted
    register: Register | None = None  # when DONE


async def register(tx: Tx, clock: Clock, actor: Person, meeting_id: int) -> Registered:
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, Minuted):
        return Registered(meeting)
    listed: list[tuple[Person, str]] = []
    for person_id, choice in await store.answers(tx, meeting.id):
        person = await people.by_id(tx, person_id)
        if person is not None:
            listed.append((person, choice))
    found = Register(meeting, listed, await store.attended(tx, meeting.id), meeting.others_count)
    return Registered(Minuted.DONE, found)


async def mark_attended(
    tx: Tx, clock: Clock, *, actor: Person, meeting_id: int, person_id: int
) -> Minuted:
    """Toggle one person's attendance. Only people who answered are on the list."""
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, Minuted):
        return meeting
    if await store.answer_of(tx, meeting.id, person_id) is None:
        return Minuted.NOT_LISTED
    now_attended = person_id not in await store.attended(tx, meeting.id)
    await store.set_attended(tx, meeting.id, person_id, now_attended)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.attendance",
        subject=ref(meeting.id),
        detail={"person": person_ref(person_id), "attended": now_attended},
    )
    return Minuted.DONE


async def add_others(tx: Tx, clock: Clock, *, actor: Person, meeting_id: int, step: int) -> Minuted:
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, Minuted):
        return meeting
    others = max(0, min(meeting.others_count + (1 if step > 0 else -1), 500))
    await store.set_others(tx, meeting.id, others, clock.now())
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.attendance_others",
        subject=ref(meeting.id),
        detail={"others": others},
    )
    return Minuted.DONE


@dataclass(frozen=True)
class MinutesItem:
    item: ItemRow
    decision: DecisionRow | None


async def minutes_items(tx: Tx, clock: Clock, actor: Person, meeting_id: int) -> list[MinutesItem]:
    _need_staff(actor)
    decided = {d.item_id: d for d in await store.decisions(tx, meeting_id)}
    return [MinutesItem(i, decided.get(i.id)) for i in await agenda_of(tx, meeting_id)]


def decision_text(raw: str | None) -> tuple[str, str | None]:
    return text_problem(raw or "", DECISION_MAX)


def owner_text(raw: str | None) -> tuple[str, str | None]:
    return text_problem(raw or "", OWNER_MAX)


async def decide(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    meeting_id: int,
    item_id: int,
    kind: str,
    decision: str,
    owner: str,
    due_on: date,
) -> Minuted:
    """Record a decision on an agenda item: it becomes the item's outcome (decided), or an
    in-progress answer whose follow-up date is due_on. done, or why not."""
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, Minuted):
        return meeting
    if kind not in (DECIDED, IN_PROGRESS):
        return Minuted.UNKNOWN
    decision, problem = decision_text(decision)
    owner, owner_problem = owner_text(owner)
    if problem or owner_problem:
        return Minuted.TEXT
    posting = outcomes.Posting(
        kind=outcomes.RESOLVED if kind == DECIDED else outcomes.IN_PROGRESS,
        text=decision,
        owner_name=owner,
        follow_up_on=due_on,
    )
    if outcomes.problem(posting, on=outcomes.today(clock, settings)) is not None:
        return Minuted.TEXT
    if item_id not in await store.agenda(tx, meeting.id):
        return Minuted.NOT_ON_AGENDA
    item = await agenda_store.get(tx, item_id)
    if item is None or item.status != agenda_council.ON_AGENDA or item.meeting_id != meeting.id:
        return Minuted.HANDLED
    if not await store.put_decision(
        tx,
        meeting_id=meeting.id,
        item_id=item_id,
        kind=kind,
        decision=decision,
        owner=owner,
        due_on=due_on,
        recorded_by=actor.id,
        now=clock.now(),
    ):
        return Minuted.HANDLED
    # Through the agenda's own rules: discussed; then the decision becomes the item's outcome
    # through the one road for outcomes (versions, notices, the follow-up chase): decided ->
    # resolved, in progress -> in progress with its owner and due date (docs/OUTCOMES.md).
    moved = await agenda_council.move(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item_id,
        new=agenda_council.DISCUSSED,
    )
    if moved.done:
        posted = await outcomes.post(
            tx,
            clock,
            settings,
            actor=actor,
            item_id=item_id,
            version=None,
            posting=posting,
            source=outcomes.MINUTES,
            meeting_id=meeting.id,
        )
        moved = agenda_council.Decision(posted.result, posted.item)
    if not moved.done:
        raise RuntimeError(f"agenda item {item_id} refused the decision: {moved.result}")
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.decision",
        subject=ref(meeting.id),
        detail={
            "item": agenda_council.ref(item_id),
            "kind": kind,
            "owner": owner,
            "due_on": due_on.isoformat(),
        },
    )
    return Minuted.DONE


@dataclass(frozen=True)
class RollOver:
    result: Minuted  # DONE, NONE (nothing left), NO_MEETING, or a _minutable refusal
    moved: int = 0
    to: MeetingRow | None = None


async def roll_over(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, meeting_id: int
) -> RollOver:
    """Items not reached go on the agenda of the next meeting for the same audience and wing."""
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, Minuted):
        return RollOver(meeting)
    left = [
        i
        for i in await agenda_of(tx, meeting.id)
        if i.status == agenda_council.ON_AGENDA and i.meeting_id == meeting.id
    ]
    if not left:
        return RollOver(Minuted.NONE)
    following = [
        m
        for m in await store.upcoming(
            tx, clock.now(), limit=20, audiences=(meeting.audience,), wing=meeting.wing
        )
        if m.wing == meeting.wing and m.id != meeting.id
    ]
    if not following:
        return RollOver(Minuted.NO_MEETING)
    target = following[0]
    for item in left:
        decided = await agenda_council.carry_over(
            tx,
            clock,
            settings,
            actor=actor,
            item_id=item.id,
            meeting_id=target.id,
            when=target.starts_at,
        )
        if decided.done:
            await store.add_to_agenda(tx, target.id, item.id)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.roll_over",
        subject=ref(meeting.id),
        detail={"to": ref(target.id), "items": [agenda_council.ref(i.id) for i in left]},
    )
    return RollOver(Minuted.DONE, len(left), target)


async def finish_minutes(tx: Tx, clock: Clock, *, actor: Person, meeting_id: int) -> Minuted:
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, Minuted):
        return meeting
    if not await store.finish_minutes(tx, meeting.id, clock.now()):
        return Minuted.FINISHED
    attended = await store.attended(tx, meeting.id)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.minutes",
        subject=ref(meeting.id),
        detail={"attended": len(attended), "others": meeting.others_count},
    )
    return Minuted.DONE
