"""Agenda items: raise, key in, support, triage, and the one table of allowed status changes.

Every change of status is a conditional update (the item must still be as the actor saw it),
is audit-logged when staff or the chair make it, and tells the submitter (and supporters where it
concerns them) through the outbox in the same transaction. The submitter of a hidden-name item
is stored only so they can be told; nothing here ever hands it to a viewer other than themselves.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any

from bot.config import Settings
from bot.council import audit, notices, roles, safeguarding
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from bot.council.ids import Ids
from bot.council.notices import ButtonSpec
from bot.council.roles import NotAllowed
from bot.council.text import Cleaned, clean
from storage import agenda as store
from storage import notes as notes_store
from storage import people
from storage.agenda import ItemRow
from storage.db import Tx

__all__ = ["ItemRow"]

NEW = "new"
NEEDS_INFO = "needs_info"
ACCEPTED = "accepted"
ANSWERED = "answered"
DECLINED = "declined"
MERGED = "merged"
ON_AGENDA = "on_agenda"
DISCUSSED = "discussed"
OUTCOME_POSTED = "outcome_posted"
CLOSED = "closed"

STATUSES = (
    NEW,
    NEEDS_INFO,
    ACCEPTED,
    ANSWERED,
    DECLINED,
    MERGED,
    ON_AGENDA,
    DISCUSSED,
    OUTCOME_POSTED,
    CLOSED,
)
STATUS_IDS = Ids("agenda.status.{}", STATUSES)
STAFF_STATUS_IDS = Ids("reader.status_staff.{}", STATUSES)

# The only status changes that can happen. Anything else is refused.
TRANSITIONS: dict[str, frozenset[str]] = {
    NEW: frozenset({NEEDS_INFO, ACCEPTED, ANSWERED, DECLINED, MERGED}),
    # The member's reply puts it back in the queue; staff may also decide without waiting.
    NEEDS_INFO: frozenset({NEW, ACCEPTED, ANSWERED, DECLINED, MERGED}),
    # A duplicate found after acceptance may still be merged into its original.
    ACCEPTED: frozenset({ON_AGENDA, MERGED}),
    # Back to accepted when a meeting is cancelled or the item is taken off its agenda.
    ON_AGENDA: frozenset({DISCUSSED, ACCEPTED}),
    # Carried over to the next meeting without an outcome yet.
    DISCUSSED: frozenset({OUTCOME_POSTED, ON_AGENDA}),
    OUTCOME_POSTED: frozenset({CLOSED}),
    ANSWERED: frozenset({CLOSED}),
    DECLINED: frozenset(),
    MERGED: frozenset(),
    CLOSED: frozenset(),
}

# Any member may read these by reference (without the submitter). See docs/AGENDA.md.
PUBLISHED = frozenset({ACCEPTED, ON_AGENDA, DISCUSSED, ANSWERED, OUTCOME_POSTED, CLOSED})
# Listed by browse and open for support: still waiting for the council to deal with them.
OPEN = frozenset({ACCEPTED, ON_AGENDA})
# Staff and the chair decide on these in triage.
UNDECIDED = frozenset({NEW, NEEDS_INFO})
# Supporters hear about these changes; the rest concern only the submitter.
TELLS_SUPPORTERS = frozenset(
    {ACCEPTED, ANSWERED, DECLINED, MERGED, ON_AGENDA, DISCUSSED, OUTCOME_POSTED}
)


class Verdict(StrEnum):
    """What came of a change to an item (a status change, a merge, an outcome posted): done, or
    why not. One enum for the agenda area, so every answer is matched exhaustively."""

    DONE = "done"
    HANDLED = "handled"  # someone else changed it first (its version moved on)
    REFUSED = "refused"  # not in TRANSITIONS
    UNKNOWN = "unknown"
    # a merge: into itself, into a chain leading back to it, into nothing, into a dead item
    SELF = "self"
    LOOP = "loop"
    NO_TARGET = "no_target"
    TARGET = "target"
    # an outcome (bot.council.outcomes): the item's state does not take one ...
    MERGED = "merged"
    DECLINED = "declined"
    WAITING = "waiting"  # for its meeting: the minutes post it
    CLOSED = "closed"  # takes only a resolved or not-possible correction
    # ... or the posting is not complete (bot.council.outcomes.problem)
    OWNER = "owner"  # not an active staff person
    KIND = "kind"
    TEXT = "text"
    REASON = "reason"
    DATE = "date"
    PAST = "past"
    TOO_FAR = "too_far"


class Supported(StrEnum):
    """What came of a member's support for an item."""

    ADDED = "added"
    ALREADY = "already"
    OWN = "own"
    CLOSED = "closed"
    UNKNOWN = "unknown"


class DraftProblem(StrEnum):
    """What is wrong with a draft item (the configuration changed under it, or it was forged)."""

    TOPIC = "topic"
    COMPLAINT = "complaint"
    WING = "wing"
    TEXT = "text"


COMPLAINT_TOPIC = "complaint"
TEXT_MIN, TEXT_MAX = 10, 1000
NOTE_MIN, NOTE_MAX = 2, 1000
REASON_MAX = 200
_REF = re.compile(r"^\s*(?:[Aa]\s*-?\s*)?0*(\d{1,9})\s*$")


def ref(item_id: int) -> str:
    return f"A-{item_id:04d}"


def parse_ref(text: str | None) -> int | None:
    """'A-0042', 'a42' or '42' -> 42; anything else -> None."""
    match = _REF.match(text or "")
    if not match:
        return None
    value = int(match.group(1))
    return value or None


def may_move(old: str, new: str) -> bool:
    return new in TRANSITIONS.get(old, frozenset())


def item_text(raw: str | None) -> Cleaned:
    return clean(raw, min_len=TEXT_MIN, max_len=TEXT_MAX, need_words=True)


def note_text(raw: str | None) -> Cleaned:
    """An answer, a reason, a question, or a member's reply to one."""
    return clean(raw, min_len=NOTE_MIN, max_len=NOTE_MAX, need_words=True)


def reason_text(raw: str | None) -> Cleaned:
    return clean(raw, min_len=NOTE_MIN, max_len=REASON_MAX, need_words=True)


def raisable_topics(settings: Settings) -> list[str]:
    return [t.id for t in settings.topics]


def topic_param(settings: Settings, topic_id: str) -> dict[str, dict[str, str]]:
    topic = settings.topic(topic_id)
    return notices.labelled(topic.labels if topic else {"en": topic_id})


def wing_param(settings: Settings, wing_id: str) -> dict[str, dict[str, str]]:
    wing = settings.wing(wing_id)
    return notices.labelled(wing.labels if wing else {"en": wing_id})


# --- raising and keying in -------------------------------------------------------------------


@dataclass(frozen=True)
class Draft:
    topic: str
    wing: str
    text: str
    name_hidden: bool


def check_draft(settings: Settings, draft: Draft) -> DraftProblem | None:
    """None when the draft may become an item; else what is wrong with it."""
    if settings.topic(draft.topic) is None:
        return DraftProblem.TOPIC
    if draft.topic == COMPLAINT_TOPIC:
        return DraftProblem.COMPLAINT
    if settings.wing(draft.wing) is None:
        return DraftProblem.WING
    cleaned = item_text(draft.text)
    if not cleaned.ok or cleaned.text != draft.text:
        return DraftProblem.TEXT
    return None


async def raise_item(
    tx: Tx, clock: Clock, settings: Settings, *, person: Person, draft: Draft
) -> ItemRow:
    if person.role not in roles.IN_CUSTODY:
        raise NotAllowed(f"{person.role} may not raise items")
    problem = check_draft(settings, draft)
    if problem is not None:
        raise ValueError(f"draft not ready: {problem}")
    item_id = await store.insert(
        tx,
        topic=draft.topic,
        wing=draft.wing,
        text=draft.text,
        submitter_id=person.id,
        name_hidden=draft.name_hidden,
        keyed_by=None,
        keyed_reason=None,
        now=clock.now(),
    )
    item = await _get(tx, item_id)
    await _alert_if_risky(tx, clock, settings, item, draft.text, version=0)
    return item


async def slip_writer(tx: Tx, person_id: int) -> Person | None:
    """The member who wrote a paper slip, if the reference names an active one."""
    writer = await people.by_id(tx, person_id)
    if writer is None or writer.status != "active" or writer.role not in roles.IN_CUSTODY:
        return None
    return writer


async def key_in(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    draft: Draft,
    reason: str,
    writer_id: int | None = None,
) -> ItemRow:
    """An item from a paper slip. Notices go to the keyer, and to the slip's writer when staff
    named them (a member reference), so both hear the news."""
    if actor.role not in roles.STAFF_SIDE:
        raise NotAllowed(f"{actor.role} may not key in items")
    problem = check_draft(settings, draft)
    cleaned_reason = reason_text(reason)
    if problem is not None or not cleaned_reason.ok:
        raise ValueError(f"keyed item not ready: {problem or 'reason'}")
    item_id = await store.insert(
        tx,
        topic=draft.topic,
        wing=draft.wing,
        text=draft.text,
        submitter_id=writer_id,
        name_hidden=False,
        keyed_by=actor.id,
        keyed_reason=cleaned_reason.text,
        now=clock.now(),
    )
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="agenda.keyin",
        subject=ref(item_id),
        detail={
            "topic": draft.topic,
            "wing": draft.wing,
            "reason": cleaned_reason.text,
            **({"writer": person_ref(writer_id)} if writer_id is not None else {}),
        },
    )
    item = await _get(tx, item_id)
    await _alert_if_risky(tx, clock, settings, item, draft.text, version=0)
    return item


async def _alert_if_risky(
    tx: Tx, clock: Clock, settings: Settings, item: ItemRow, text: str, *, version: int
) -> None:
    """The typed text was already screened when it arrived; now that it is part of an item,
    the safer-custody team also gets the item's reference (never the text itself)."""
    if not safeguarding.suggests_risk(settings, text):
        return
    message = "agenda.alert.keyed" if item.keyed_in else "agenda.alert.item"
    await safeguarding.notify_contacts(
        tx,
        clock,
        key=f"safeguarding:item:{item.id}:{version}",
        message=message,
        params={"ref": ref(item.id), "wing": wing_param(settings, item.wing)},
    )


# --- reading ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seen:
    """An item as one viewer may see it. full=False is the public view any member may have."""

    item: ItemRow
    full: bool
    supported: bool


async def look_up(tx: Tx, viewer: Person, item_id: int) -> Seen | None:
    """None means "not found" - also for items that exist but this viewer may not see."""
    item = await store.get(tx, item_id)
    if item is None:
        return None
    supported = await store.supports(tx, item.id, viewer.id)
    if viewer.role in roles.TRIAGE or item.submitter_id == viewer.id:
        return Seen(item, True, supported)
    if viewer.role in roles.IN_CUSTODY and (item.status in PUBLISHED or supported):
        return Seen(item, False, supported)
    return None


async def mine(tx: Tx, person: Person, *, limit: int, offset: int) -> list[ItemRow]:
    return await store.by_submitter(tx, person.id, limit=limit, offset=offset)


@dataclass(frozen=True)
class BrowsePage:
    items: list[ItemRow]
    supported: set[int]
    more: bool


async def browse(
    tx: Tx, viewer: Person, *, wing: str | None, most_supported: bool, page: int, size: int
) -> BrowsePage:
    rows = await store.open_page(
        tx, wing=wing, most_supported=most_supported, limit=size + 1, offset=page * size
    )
    shown = rows[:size]
    supported = await store.supported_among(tx, viewer.id, (i.id for i in shown))
    return BrowsePage(shown, supported, len(rows) > size)


# --- support ------------------------------------------------------------------------------------


async def support(tx: Tx, clock: Clock, *, person: Person, item_id: int) -> Supported:
    """The primary key makes a second support impossible."""
    if person.role not in roles.IN_CUSTODY:
        raise NotAllowed(f"{person.role} may not support items")
    item = await store.get(tx, item_id)
    if item is None or item.status not in PUBLISHED:
        return Supported.UNKNOWN
    if item.submitter_id == person.id:
        return Supported.OWN
    if item.status not in OPEN:
        return Supported.CLOSED
    if await store.add_support(tx, item.id, person.id, clock.now()):
        return Supported.ADDED
    return Supported.ALREADY


@dataclass(frozen=True)
class Decision:
    """What came of a status change (a Verdict), with the item as it now is."""

    result: Verdict
    item: ItemRow | None = None
    target: ItemRow | None = None

    @property
    def done(self) -> bool:
        return self.result is Verdict.DONE


def checked_note(text: str) -> str:
    cleaned = note_text(text)
    if not cleaned.ok:
        raise ValueError(f"note not usable: {cleaned.problem}")
    return cleaned.text


async def reply_info(
    tx: Tx, clock: Clock, settings: Settings, *, person: Person, item_id: int, text: str
) -> Decision:
    """The member's answer to a question: the item goes back into the triage queue as new."""
    item = await store.get(tx, item_id)
    if item is None or not _may_reply(item, person):
        return Decision(Verdict.UNKNOWN)
    if item.status != NEEDS_INFO:
        return Decision(Verdict.HANDLED, item)
    cleaned = checked_note(text)
    if not await store.change_status(
        tx,
        item.id,
        expected=NEEDS_INFO,
        version=item.version,
        new=NEW,
        now=clock.now(),
        fields={"info_reply": cleaned},
    ):
        return Decision(Verdict.HANDLED, item)
    if person.role in roles.STAFF_SIDE:
        await audit.record(
            tx,
            clock,
            actor_id=person.id,
            actor_role=person.role,
            action="agenda.reply_info",
            subject=ref(item.id),
        )
    updated = await _get(tx, item.id)
    await _alert_if_risky(tx, clock, settings, updated, cleaned, version=updated.version)
    return Decision(Verdict.DONE, updated)


async def late_reply(
    tx: Tx, clock: Clock, settings: Settings, *, person: Person, item_id: int, text: str
) -> Decision:
    """An answer that came after staff moved the item on: kept as a note beside the item, and
    the staff member who asked is told, so the words still reach someone."""
    item = await store.get(tx, item_id)
    if item is None or not _may_reply(item, person) or item.info_question is None:
        return Decision(Verdict.UNKNOWN)
    cleaned = checked_note(text)
    now = clock.now()
    note_id = await notes_store.add(tx, item_id=item.id, author_id=person.id, text=cleaned, at=now)
    asker_id = await notes_store.last_asker(tx, ref(item.id))
    asker_row = await people.by_id(tx, asker_id) if asker_id is not None else None
    if asker_row is not None and asker_row.role in roles.TRIAGE:
        await notices.notify(
            tx,
            clock,
            key=f"agenda:{item.id}:note:{note_id}",
            person=asker_row,
            message="reader.late.staff_notice",
            params={"ref": ref(item.id), "text": cleaned},
        )
    await _alert_if_risky(tx, clock, settings, item, cleaned, version=item.version)
    return Decision(Verdict.DONE, item)


def _may_reply(item: ItemRow, person: Person) -> bool:
    # The keyer answers for a paper slip, after asking its writer.
    return item.submitter_id == person.id or (item.keyed_in and item.keyed_by == person.id)


async def waiting_for_answer(tx: Tx, person: Person) -> ItemRow | None:
    """The person's newest item whose question from staff is still open, if any."""
    for item in await mine(tx, person, limit=20, offset=0):
        if item.status == NEEDS_INFO:
            return item
    return None


async def may_reply(tx: Tx, person: Person, item_id: int) -> ItemRow | None:
    """The item waiting for this person's answer, or None."""
    item = await store.get(tx, item_id)
    if item is None or not _may_reply(item, person) or item.status != NEEDS_INFO:
        return None
    return item


# --- the seam for meetings (issue 6) and outcomes (issue 8) ------------------------------------


async def awaiting_meeting(tx: Tx, *, wing: str | None, limit: int) -> list[ItemRow]:
    """Accepted items not yet on a meeting's agenda, most supported first."""
    rows = await store.open_page(tx, wing=wing, most_supported=True, limit=limit, offset=0)
    return [r for r in rows if r.status == ACCEPTED]


async def attach_to_meeting(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person | None,
    item_id: int,
    meeting_id: int,
    when: datetime,
) -> Decision:
    """Put an accepted item on a meeting's agenda; submitter and supporters are told when."""
    item = await store.get(tx, item_id)
    if item is None:
        return Decision(Verdict.UNKNOWN)
    return await decide(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item_id,
        version=item.version,
        new=ON_AGENDA,
        action="agenda.on_agenda",
        message="agenda.notice.on_agenda",
        fields={"meeting_id": meeting_id},
        params={"when": notices.when(when)},
        detail={"meeting": meeting_id},
    )


async def carry_over(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person | None,
    item_id: int,
    meeting_id: int,
    when: datetime,
) -> Decision:
    """Minutes roll an item over to a later meeting: one not reached stays on_agenda (only its
    meeting moves, so this is the one change allowed without a new status); one discussed
    without an outcome goes back on_agenda (in TRANSITIONS)."""
    item = await store.get(tx, item_id)
    if item is None:
        return Decision(Verdict.UNKNOWN)
    if item.status not in (ON_AGENDA, DISCUSSED):
        return Decision(Verdict.REFUSED, item)
    return await decide(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item_id,
        version=item.version,
        new=ON_AGENDA,
        action="agenda.carry_over",
        message="agenda.notice.carried",
        fields={"meeting_id": meeting_id},
        params={"when": notices.when(when)},
        detail={"meeting": meeting_id, "from_meeting": item.meeting_id},
        stay=True,
    )


async def move(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person | None,
    item_id: int,
    new: str,
    answer_text: str | None = None,
) -> Decision:
    """Any other allowed change (discussed, outcome posted, closed, back to accepted), with the
    generic status notice. answer_text, when given, becomes the latest answer members read."""
    item = await store.get(tx, item_id)
    if item is None:
        return Decision(Verdict.UNKNOWN)
    fields: dict[str, Any] = {}
    if answer_text is not None:
        fields["answer"] = checked_note(answer_text)
    if new == ACCEPTED:
        fields["meeting_id"] = None
    return await decide(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item_id,
        version=item.version,
        new=new,
        action=f"agenda.{new}",
        message="agenda.notice.status",
        fields=fields,
        params={"status": notices.catalogue(STATUS_IDS[new])},
    )


# --- the one road for a change of status --------------------------------------------------------


async def decide(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person | None,
    item_id: int,
    version: int,
    new: str,
    action: str,
    message: str,
    fields: dict[str, Any] | None = None,
    params: dict[str, Any] | None = None,
    buttons: list[list[ButtonSpec]] | None = None,
    supporter_message: str | None = None,
    detail: dict[str, Any] | None = None,
    before_notices: Callable[[], Awaitable[None]] | None = None,
    stay: bool = False,
) -> Decision:
    """stay=True: the status may also stay as it is (an item moved to another meeting)."""
    item = await store.get(tx, item_id)
    if item is None:
        return Decision(Verdict.UNKNOWN)
    if item.version != version:
        return Decision(Verdict.HANDLED, item)
    if not may_move(item.status, new) and not (stay and item.status == new):
        return Decision(Verdict.REFUSED, item)
    fields = dict(fields or {})
    if "published_at" in fields and item.published_at is not None:
        fields.pop("published_at")
    if not await store.change_status(
        tx,
        item.id,
        expected=item.status,
        version=item.version,
        new=new,
        now=clock.now(),
        fields=fields,
    ):
        return Decision(Verdict.HANDLED, item)
    # Read before a merge moves them: the copy's supporters are told where their support went.
    supporters = await store.supporter_ids(tx, item.id)
    if before_notices is not None:
        await before_notices()
    # The audit line names the item, never a hidden submitter, and never the member's words.
    await audit.record(
        tx,
        clock,
        actor_id=None if actor is None else actor.id,
        actor_role=None if actor is None else actor.role,
        action=action,
        subject=ref(item.id),
        detail={"from": item.status, "to": new, **(detail or {})},
    )
    updated = await _get(tx, item.id)
    await _tell(
        tx,
        clock,
        settings,
        updated,
        actor=actor,
        message=message,
        params=params or {},
        buttons=buttons,
        supporters=supporters,
        supporter_message=supporter_message,
    )
    return Decision(Verdict.DONE, updated)


async def _tell(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    item: ItemRow,
    *,
    actor: Person | None,
    message: str,
    params: dict[str, Any],
    buttons: list[list[ButtonSpec]] | None,
    supporters: list[int],
    supporter_message: str | None,
) -> None:
    base = {"ref": ref(item.id), "topic": topic_param(settings, item.topic), **params}
    key = f"agenda:{item.id}:v{item.version}"
    actor_id = None if actor is None else actor.id
    if item.submitter_id is not None and item.submitter_id != actor_id:
        submitter = await people.by_id(tx, item.submitter_id)
        if submitter is not None:
            await notices.notify(
                tx,
                clock,
                key=f"{key}:{submitter.id}",
                person=submitter,
                message=message,
                params=base,
                buttons=buttons,
            )
    if item.keyed_in and item.keyed_by is not None and item.keyed_by != actor_id:
        keyer = await people.by_id(tx, item.keyed_by)
        if keyer is not None and keyer.role in roles.STAFF_SIDE:
            await notices.notify(
                tx,
                clock,
                key=f"{key}:paper:{keyer.id}",
                person=keyer,
                message="agenda.notice.paper",
                params={
                    **base,
                    "status": notices.catalogue(STAFF_STATUS_IDS[item.status]),
                    "detail": _detail(params),
                },
                buttons=buttons,
            )
    if item.status not in TELLS_SUPPORTERS:
        return
    for supporter_id in supporters:
        if supporter_id in (item.submitter_id, actor_id):
            continue
        supporter = await people.by_id(tx, supporter_id)
        if supporter is None:
            continue
        await notices.notify(
            tx,
            clock,
            key=f"{key}:{supporter.id}",
            person=supporter,
            message=supporter_message or f"{message}_supporter",
            params=base,
        )


def _detail(params: dict[str, Any]) -> Any:
    """What a keyer passes on to the writer of a paper slip: the answer, reason, question..."""
    for name in ("answer", "reason", "question", "target", "when"):
        if name in params:
            return params[name]
    return ""


async def _get(tx: Tx, item_id: int) -> ItemRow:
    item = await store.get(tx, item_id)
    assert item is not None, "read in the same transaction it was written"
    return item
