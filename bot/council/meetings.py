"""Meetings: schedule (one-off or recurring), notice and answers (RSVP), reminders as timers,
move and cancel, the agenda's order, and the minutes. See docs/MEETINGS.md.

Every action is one transaction: the change, its notices (through the outbox), its timers and
its audit line commit together. A reminder timer carries a checksum of the meeting's start and
status, so a moved or cancelled meeting never fires a stale one; a reminder notice's key carries
the same checksum, so the new time's reminder is never blocked by the old time's key.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from bot import i18n
from bot.config import Settings
from bot.council import agenda as agenda_council
from bot.council import audit, content, notices, outcomes, roles, timers, when
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from bot.council.notices import ButtonSpec
from bot.council.roles import NotAllowed
from bot.council.text import clean
from storage import agenda as agenda_store
from storage import meetings as store
from storage import people
from storage.agenda import ItemRow
from storage.clock import from_db, to_db
from storage.db import Tx
from storage.meetings import DecisionRow, MeetingRow
from storage.timers import TimerRow

__all__ = ["DecisionRow", "MeetingRow"]

COUNCIL, FORUM = "council", "forum"
KINDS = (COUNCIL, FORUM)
MEMBERS, FAMILIES, BOTH = "members", "families", "both"
AUDIENCES = (MEMBERS, FAMILIES, BOTH)
GOING, CANT, MAYBE = "going", "cant", "maybe"
ANSWERS = (GOING, CANT, MAYBE)
ONCE, WEEKLY, MONTHLY = "once", "weekly", "monthly"
SCHEDULED, CANCELLED = "scheduled", "cancelled"
DECIDED, IN_PROGRESS = "decided", "in_progress"

# Recurring meetings are created at most this many at once, and at most this far ahead.
MAX_OCCURRENCES = 52
MAX_SPAN = timedelta(days=365)
TITLE_MAX, PLACE_MAX = 80, 80
DECISION_MAX, OWNER_MAX = 500, 80
AGENDA_MAX = 30
REMINDER = "meeting_reminder"


def ref(meeting_id: int) -> str:
    return f"M-{meeting_id:04d}"


def reminder_prefix(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:reminder:"


def person_reminders(meeting_id: int, person_id: int) -> str:
    """The key prefix of one person's reminder notices for a meeting."""
    return f"{reminder_prefix(meeting_id)}p{person_id}:"


def _need_staff(actor: Person) -> None:
    if actor.role not in roles.STAFF_SIDE:
        raise NotAllowed(f"{actor.role} may not manage meetings")


# --- RSVP buttons: the callback format belongs to the handlers layer, which sets this. ---------

RsvpButtons = Callable[[int], list[list[ButtonSpec]]]
_rsvp_buttons: RsvpButtons = lambda meeting_id: []  # noqa: E731 - replaced by handlers


def use_rsvp_buttons(factory: RsvpButtons) -> None:
    global _rsvp_buttons
    _rsvp_buttons = factory


# --- the audience -------------------------------------------------------------------------------


def in_audience(meeting: MeetingRow, person: Person) -> bool:
    if person.role in roles.IN_CUSTODY:
        return meeting.audience in (MEMBERS, BOTH) and meeting.wing in (None, person.wing)
    if person.role == roles.FAMILY:
        # Families belong to no wing: a wing's family forum is for all families.
        return meeting.audience in (FAMILIES, BOTH)
    return False


async def audience(tx: Tx, meeting: MeetingRow) -> list[Person]:
    out: list[Person] = []
    if meeting.audience in (MEMBERS, BOTH):
        out += await people.active_with_roles(tx, (roles.MEMBER, roles.CHAIR), meeting.wing)
    if meeting.audience in (FAMILIES, BOTH):
        out += await people.active_with_roles(tx, (roles.FAMILY,))
    return out


def audiences_for(person: Person) -> tuple[str, ...] | None:
    """Which meetings a person may see: None means all (staff, admin, observer)."""
    if person.role in roles.IN_CUSTODY:
        return (MEMBERS, BOTH)
    if person.role == roles.FAMILY:
        return (FAMILIES, BOTH)
    return None


def _params(settings: Settings, meeting: MeetingRow) -> dict[str, Any]:
    wing = settings.wing(meeting.wing) if meeting.wing else None
    return {
        "title": meeting.title,
        "place": meeting.place,
        "when": notices.when(from_db(meeting.starts_at)),
        "kind": notices.catalogue(f"meetings.kind.{meeting.kind}"),
        "wing": notices.labelled(wing.labels) if wing else notices.catalogue("meetings.all_wings"),
    }


async def _params_of(tx: Tx, settings: Settings, meeting: MeetingRow) -> dict[str, Any]:
    """The notice parameters, with the title and place in each reader's language."""
    params = _params(settings, meeting)
    for name in ("title", "place"):
        versions = await content.versions(
            tx, settings, "meeting", meeting.id, name, getattr(meeting, name)
        )
        params[name] = content.param(settings, versions)
    return params


async def shown(tx: Tx, settings: Settings, meeting: MeetingRow, lang: str) -> MeetingRow:
    """The meeting with its title and place in this reader's language (for screens)."""
    words = {}
    for name in ("title", "place"):
        versions = await content.versions(
            tx, settings, "meeting", meeting.id, name, getattr(meeting, name)
        )
        expected = lang in settings.establishment.content_languages
        words[name] = i18n.content_for(versions, lang, marked=expected)
    return replace(meeting, title=words["title"], place=words["place"])


# --- planning and recurrence --------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """What staff chose, checked by plan_problem before anything is stored."""

    kind: str
    title: str
    place: str
    audience: str
    wing: str | None
    starts_at: datetime
    rule: str = ONCE
    every: int = 1
    count: int = 1


def monthly_position(day: date) -> int:
    """Which weekday of its month a date is: 1 to 4, or -1 for the last (a 5th is the last)."""
    nth = (day.day - 1) // 7 + 1
    last_day = calendar.monthrange(day.year, day.month)[1]
    return -1 if day.day + 7 > last_day and nth >= 4 else nth


def nth_weekday(year: int, month: int, weekday: int, nth: int) -> date:
    days = [
        d
        for d in calendar.Calendar().itermonthdates(year, month)
        if d.month == month and d.weekday() == weekday
    ]
    return days[-1] if nth == -1 else days[nth - 1]


@dataclass(frozen=True)
class Occurrences:
    moments: list[datetime] = field(default_factory=list)
    problem: str | None = None  # too_many, too_long, gap, past
    detail: dict[str, Any] = field(default_factory=dict)
    ambiguous: list[datetime] = field(default_factory=list)


def max_count(rule: str, every: int) -> int:
    """The most occurrences that fit the bounds for a rule."""
    if rule == ONCE:
        return 1
    if rule == MONTHLY:
        return 12
    return min(MAX_OCCURRENCES, MAX_SPAN.days // (7 * every) + 1)


def occurrences(plan: Plan, settings: Settings, now: datetime) -> Occurrences:
    zone = settings.establishment.timezone
    limit = max_count(plan.rule, plan.every)
    if plan.count < 1 or plan.count > limit:
        return Occurrences(problem="too_many", detail={"most": limit, "asked": plan.count})
    local = plan.starts_at.astimezone(zone)
    wall = local.time().replace(tzinfo=None, fold=0)
    first = local.date()
    days: list[date] = []
    for index in range(plan.count):
        if plan.rule == WEEKLY:
            days.append(first + timedelta(weeks=index * plan.every))
        elif plan.rule == MONTHLY:
            month = first.month - 1 + index
            year = first.year + month // 12
            days.append(nth_weekday(year, month % 12 + 1, first.weekday(), monthly_position(first)))
        else:
            days.append(first)
    if days[-1] - days[0] > MAX_SPAN:
        return Occurrences(problem="too_long", detail={"most": limit, "asked": plan.count})
    moments: list[datetime] = []
    ambiguous: list[datetime] = []
    for day in days:
        reading = when.local_moment(day, wall, zone)
        if reading.moment is None:
            gap_day = datetime.combine(day, wall, tzinfo=zone)
            return Occurrences(problem="gap", detail={"day": gap_day})
        if reading.moment <= now:
            return Occurrences(problem="past", detail={"day": reading.moment})
        if reading.ambiguous:
            ambiguous.append(reading.moment)
        moments.append(reading.moment)
    return Occurrences(moments, ambiguous=ambiguous)


def text_problem(raw: str, max_len: int) -> tuple[str, str | None]:
    cleaned = clean(raw, min_len=2, max_len=max_len, need_words=True)
    return cleaned.text, cleaned.problem


def plan_problem(plan: Plan, settings: Settings) -> str | None:
    if plan.kind not in KINDS:
        return "kind"
    if plan.audience not in AUDIENCES:
        return "audience"
    if plan.wing is not None and settings.wing(plan.wing) is None:
        return "wing"
    if plan.rule not in (ONCE, WEEKLY, MONTHLY) or not 1 <= plan.every <= 4:
        return "rule"
    for value, limit in ((plan.title, TITLE_MAX), (plan.place, PLACE_MAX)):
        cleaned, problem = text_problem(value, limit)
        if problem is not None or cleaned != value:
            return "text"
    return None


@dataclass(frozen=True)
class Scheduled:
    meetings: list[MeetingRow] = field(default_factory=list)
    problem: str | None = None
    detail: dict[str, Any] = field(default_factory=dict)


async def schedule(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, plan: Plan
) -> Scheduled:
    """Create the meeting (or each occurrence), tell the audience, and set the reminders."""
    _need_staff(actor)
    problem = plan_problem(plan, settings)
    if problem is not None:
        return Scheduled(problem=problem)
    now = clock.now()
    found = occurrences(plan, settings, now)
    if found.problem is not None:
        return Scheduled(problem=found.problem, detail=found.detail)
    stamp = to_db(now)
    series_id = None
    if plan.rule != ONCE:
        first = plan.starts_at.astimezone(settings.establishment.timezone).date()
        series_id = await store.add_series(
            tx,
            rule=plan.rule,
            every=plan.every,
            nth=monthly_position(first) if plan.rule == MONTHLY else None,
            weekday=first.weekday(),
            created_by=actor.id,
            now=stamp,
        )
    made: list[MeetingRow] = []
    for moment in found.moments:
        meeting_id = await store.insert(
            tx,
            series_id=series_id,
            kind=plan.kind,
            title=plan.title,
            place=plan.place,
            audience=plan.audience,
            wing=plan.wing,
            starts_at=to_db(moment),
            created_by=actor.id,
            now=stamp,
        )
        # The other content languages' title and place, typed in the wizard, for each one.
        await content.keep(
            tx, actor.id, "meeting", meeting_id, {"title": "title", "place": "place"}, clear=False
        )
        meeting = await _get(tx, meeting_id)
        await _schedule_reminders(tx, clock, settings, meeting)
        made.append(meeting)
    await _announce(tx, clock, settings, made, series_id)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.schedule",
        subject=ref(made[0].id),
        detail={
            "meetings": [m.id for m in made],
            "kind": plan.kind,
            "audience": plan.audience,
            "wing": plan.wing,
            "rule": plan.rule,
            "every": plan.every,
            "first": made[0].starts_at,
        },
    )
    return Scheduled(made)


async def _announce(
    tx: Tx, clock: Clock, settings: Settings, made: list[MeetingRow], series_id: int | None
) -> None:
    """One notice per person: the meeting, or the first of a series with how many follow."""
    first = made[0]
    told = await audience(tx, first)
    key = f"series:{series_id}:notice" if series_id else f"meeting:{first.id}:notice"
    params = await _params_of(tx, settings, first)
    message = "meetings.notice.new"
    if len(made) > 1:
        message = "meetings.notice.new_series"
        params["count"] = len(made)
        params["last"] = notices.when(from_db(made[-1].starts_at))
    for person in told:
        await notices.notify(
            tx,
            clock,
            key=f"{key}:{person.id}",
            person=person,
            message=message,
            params=params,
            buttons=_rsvp_buttons(first.id),
        )
    ids = [p.id for p in told]
    for meeting in made:
        await store.add_told(tx, meeting.id, ids)


# --- reminders ----------------------------------------------------------------------------------


def reminder_checksum(meeting: MeetingRow) -> str:
    return timers.checksum_of(meeting.starts_at, meeting.status)


async def _schedule_reminders(tx: Tx, clock: Clock, settings: Settings, meeting: MeetingRow) -> int:
    """(Re)set this meeting's reminder timers under the same keys. A reminder whose time has
    already passed is not scheduled at all: it would otherwise be sent late under the grace rule."""
    await timers.cancel(tx, clock, reminder_prefix(meeting.id))
    if meeting.status != SCHEDULED:
        return 0
    start = from_db(meeting.starts_at)
    now = clock.now()
    checksum = reminder_checksum(meeting)
    count = 0
    for offset in settings.reminder_offsets:
        due = when.reminder_due(start, offset, settings.establishment.timezone)
        if due <= now or due >= start:
            continue
        seconds = int(offset.total_seconds())
        await timers.schedule(
            tx,
            key=f"{reminder_prefix(meeting.id)}{seconds}",
            kind=REMINDER,
            subject_id=meeting.id,
            due_at=due,
            checksum=checksum,
            payload={"offset": seconds},
        )
        count += 1
    return count


async def _reminder_checksum(tx: Tx, timer: TimerRow) -> str | None:
    meeting = await store.get(tx, timer.subject_id)
    return None if meeting is None else reminder_checksum(meeting)


async def _fire_reminder(tx: Tx, clock: Clock, settings: Settings, timer: TimerRow) -> None:
    meeting = await store.get(tx, timer.subject_id)
    if meeting is None or meeting.status != SCHEDULED:
        return
    start = from_db(meeting.starts_at)
    cant = await store.cant_go(tx, meeting.id)
    params = await _params_of(tx, settings, meeting)
    offset = int(timer.payload.get("offset", 0))
    for person in await audience(tx, meeting):
        if person.id in cant:
            continue
        await notices.notify(
            tx,
            clock,
            key=f"{reminder_prefix(meeting.id)}p{person.id}:{offset}:{timer.checksum}",
            person=person,
            message="meetings.notice.reminder",
            params=params,
            buttons=_rsvp_buttons(meeting.id),
            # Quiet hours never deliver a reminder after the meeting has begun.
            expires_at=start,
        )


REMINDER_TIMER = timers.Timer(REMINDER, fire=_fire_reminder, checksum=_reminder_checksum)


# --- answers (RSVP) -----------------------------------------------------------------------------


async def answer(tx: Tx, clock: Clock, *, person: Person, meeting_id: int, choice: str) -> str:
    """saved, same, not_audience, unknown, cancelled or started. Refusals store nothing."""
    if choice not in ANSWERS:
        return "unknown"
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return "unknown"
    if not in_audience(meeting, person):
        return "not_audience"
    if meeting.status != SCHEDULED:
        return "cancelled"
    if from_db(meeting.starts_at) <= clock.now():
        return "started"
    changed = await store.set_answer(tx, meeting.id, person.id, choice, to_db(clock.now()))
    if changed and choice == CANT:
        # A reminder already queued (held by quiet hours) is withdrawn too.
        await notices.withdraw(tx, clock, person_reminders(meeting.id, person.id), "can't go")
    return "saved" if changed else "same"


async def answer_of(tx: Tx, person: Person, meeting_id: int) -> str | None:
    return await store.answer_of(tx, meeting_id, person.id)


@dataclass(frozen=True)
class Listed:
    meeting: MeetingRow
    answer: str | None


async def upcoming_for(tx: Tx, clock: Clock, person: Person, *, limit: int = 10) -> list[Listed]:
    """The meetings this person may see, soonest first, each with their own answer."""
    audiences = audiences_for(person)
    wing = person.wing if person.role in roles.IN_CUSTODY else None
    rows = await store.upcoming(tx, to_db(clock.now()), limit=limit, audiences=audiences, wing=wing)
    mine = await store.answers_of(tx, person.id, [m.id for m in rows])
    return [Listed(m, mine.get(m.id)) for m in rows]


@dataclass(frozen=True)
class Attendance:
    counts: dict[str, int]
    names: dict[str, list[Person]]


async def attendance(tx: Tx, viewer: Person, meeting_id: int) -> Attendance:
    """Counts and names by answer. Staff and observers only: attendance is not secret, but it is
    not for other members or families to read."""
    if viewer.role not in roles.STAFF_SIDE | {roles.OBSERVER}:
        raise NotAllowed(f"{viewer.role} may not see answers")
    names: dict[str, list[Person]] = {a: [] for a in ANSWERS}
    for person_id, choice in await store.answers(tx, meeting_id):
        person = await people.by_id(tx, person_id)
        if person is not None:
            names[choice].append(person)
    return Attendance({a: len(names[a]) for a in ANSWERS}, names)


async def get(tx: Tx, meeting_id: int) -> MeetingRow | None:
    return await store.get(tx, meeting_id)


async def visible(tx: Tx, viewer: Person, meeting_id: int) -> MeetingRow | None:
    """None also for a meeting this viewer is not in the audience of."""
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return None
    if audiences_for(viewer) is None or in_audience(meeting, viewer):
        return meeting
    return None


# --- move and cancel ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """done, or why not: unknown, handled (changed by someone else since), cancelled, started,
    same (the same time), past (the new time has gone)."""

    result: str
    meeting: MeetingRow | None = None

    @property
    def done(self) -> bool:
        return self.result == "done"


async def _changeable(
    tx: Tx, clock: Clock, actor: Person, meeting_id: int, version: int
) -> Change | MeetingRow:
    _need_staff(actor)
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return Change("unknown")
    if meeting.version != version:
        return Change("handled", meeting)
    if meeting.status != SCHEDULED:
        return Change("cancelled", meeting)
    if from_db(meeting.starts_at) <= clock.now():
        return Change("started", meeting)
    return meeting


async def _to_tell(tx: Tx, meeting_id: int) -> list[Person]:
    """Everyone who was told, and anyone who answered without being told (joined later)."""
    return await people.told_about_meeting(tx, meeting_id)


async def move(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    meeting_id: int,
    version: int,
    starts_at: datetime,
) -> Change:
    found = await _changeable(tx, clock, actor, meeting_id, version)
    if isinstance(found, Change):
        return found
    if starts_at <= clock.now():
        return Change("past", found)
    if to_db(starts_at) == found.starts_at:
        return Change("same", found)
    now = to_db(clock.now())
    if not await store.move(tx, found.id, version=version, starts_at=to_db(starts_at), now=now):
        return Change("handled", found)
    moved = await _get(tx, found.id)
    # Reminders queued for the old time are withdrawn; the new time's are set under the same keys.
    await notices.withdraw(tx, clock, reminder_prefix(moved.id), "meeting moved")
    # Moved twice before the first word went out: only the latest time is announced.
    await notices.withdraw(tx, clock, f"meeting:{moved.id}:moved:", "meeting moved again")
    await _schedule_reminders(tx, clock, settings, moved)
    params = {
        **await _params_of(tx, settings, moved),
        "old": notices.when(from_db(found.starts_at)),
    }
    for person in await _to_tell(tx, moved.id):
        await notices.notify(
            tx,
            clock,
            key=f"meeting:{moved.id}:moved:{moved.version}:{person.id}",
            person=person,
            message="meetings.notice.moved",
            params=params,
            buttons=_rsvp_buttons(moved.id),
        )
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.move",
        subject=ref(moved.id),
        detail={"from": found.starts_at, "to": moved.starts_at},
    )
    return Change("done", moved)


async def cancel(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, meeting_id: int, version: int
) -> Change:
    found = await _changeable(tx, clock, actor, meeting_id, version)
    if isinstance(found, Change):
        return found
    now = to_db(clock.now())
    if not await store.cancel(tx, found.id, version=version, now=now):
        return Change("handled", found)
    cancelled = await _get(tx, found.id)
    await timers.cancel(tx, clock, reminder_prefix(found.id))
    # Everything still queued about this meeting (reminders, an unsent move) is withdrawn.
    await notices.withdraw(tx, clock, f"meeting:{found.id}:", "meeting cancelled")
    for item_id in await store.agenda(tx, found.id):
        item = await agenda_store.get(tx, item_id)
        if item is not None and item.status == agenda_council.ON_AGENDA:
            # Back to waiting for a meeting; the item's own notice tells its submitter.
            await agenda_council.move(
                tx, clock, settings, actor=actor, item_id=item_id, new=agenda_council.ACCEPTED
            )
            await store.remove_from_agenda(tx, found.id, item_id)
    params = await _params_of(tx, settings, cancelled)
    for person in await _to_tell(tx, found.id):
        await notices.notify(
            tx,
            clock,
            key=f"meeting:{found.id}:cancelled:{person.id}",
            person=person,
            message="meetings.notice.cancelled",
            params=params,
        )
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.cancel",
        subject=ref(found.id),
        detail={"starts_at": found.starts_at},
    )
    return Change("done", cancelled)


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


async def _open_agenda(tx: Tx, clock: Clock, actor: Person, meeting_id: int) -> MeetingRow | str:
    if actor.role not in roles.TRIAGE:
        raise NotAllowed(f"{actor.role} may not order the agenda")
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return "unknown"
    if meeting.status != SCHEDULED:
        return "cancelled"
    if from_db(meeting.starts_at) <= clock.now():
        return "started"
    if not takes_items(meeting):
        return "not_members"
    return meeting


async def attach(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, meeting_id: int, item_id: int
) -> str:
    """done, full, or why not: unknown, cancelled, started, not_members, wing, handled."""
    meeting = await _open_agenda(tx, clock, actor, meeting_id)
    if isinstance(meeting, str):
        return meeting
    item = await agenda_store.get(tx, item_id)
    if item is None or item.status != agenda_council.ACCEPTED:
        return "handled"
    if meeting.wing is not None and item.wing != meeting.wing:
        return "wing"
    if len(await store.agenda(tx, meeting.id)) >= AGENDA_MAX:
        return "full"
    decided = await agenda_council.attach_to_meeting(
        tx,
        clock,
        settings,
        actor=actor,
        item_id=item.id,
        meeting_id=meeting.id,
        when=from_db(meeting.starts_at),
    )
    if not decided.done:
        return "handled"
    await store.add_to_agenda(tx, meeting.id, item.id)
    return "done"


async def reorder(
    tx: Tx, clock: Clock, *, actor: Person, meeting_id: int, item_id: int, step: int
) -> str:
    """Move one item up (step -1) or down (+1). done, edge, or why not."""
    meeting = await _open_agenda(tx, clock, actor, meeting_id)
    if isinstance(meeting, str):
        return meeting
    order = await store.agenda(tx, meeting.id)
    if item_id not in order or step not in (-1, 1):
        return "handled"
    index = order.index(item_id)
    other = index + step
    if not 0 <= other < len(order):
        return "edge"
    order[index], order[other] = order[other], order[index]
    await store.set_order(tx, meeting.id, order)
    await _audit_order(tx, clock, actor, meeting, order)
    return "done"


async def order_by_support(tx: Tx, clock: Clock, *, actor: Person, meeting_id: int) -> str:
    meeting = await _open_agenda(tx, clock, actor, meeting_id)
    if isinstance(meeting, str):
        return meeting
    items = await agenda_of(tx, meeting.id)
    order = [i.id for i in sorted(items, key=lambda i: (-i.support_count, i.id))]
    await store.set_order(tx, meeting.id, order)
    await _audit_order(tx, clock, actor, meeting, order)
    return "done"


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


# --- minutes ------------------------------------------------------------------------------------


async def to_minute(tx: Tx, clock: Clock, actor: Person, *, limit: int = 8) -> list[MeetingRow]:
    _need_staff(actor)
    return await store.held_unminuted(tx, to_db(clock.now()), limit=limit)


async def _minutable(tx: Tx, clock: Clock, actor: Person, meeting_id: int) -> MeetingRow | str:
    _need_staff(actor)
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return "unknown"
    if meeting.status != SCHEDULED:
        return "cancelled"
    if from_db(meeting.starts_at) > clock.now():
        return "not_yet"
    if meeting.minuted_at is not None:
        return "finished"
    return meeting


@dataclass(frozen=True)
class Register:
    """The attendance list: who answered, who attended, and how many others came."""

    meeting: MeetingRow
    people: list[tuple[Person, str]]
    attended: set[int]
    others: int


async def register(tx: Tx, clock: Clock, actor: Person, meeting_id: int) -> Register | str:
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, str):
        return meeting
    listed: list[tuple[Person, str]] = []
    for person_id, choice in await store.answers(tx, meeting.id):
        person = await people.by_id(tx, person_id)
        if person is not None:
            listed.append((person, choice))
    return Register(meeting, listed, await store.attended(tx, meeting.id), meeting.others_count)


async def mark_attended(
    tx: Tx, clock: Clock, *, actor: Person, meeting_id: int, person_id: int
) -> str:
    """Toggle one person's attendance. Only people who answered are on the list."""
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, str):
        return meeting
    if await store.answer_of(tx, meeting.id, person_id) is None:
        return "not_listed"
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
    return "done"


async def add_others(tx: Tx, clock: Clock, *, actor: Person, meeting_id: int, step: int) -> str:
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, str):
        return meeting
    others = max(0, min(meeting.others_count + (1 if step > 0 else -1), 500))
    await store.set_others(tx, meeting.id, others, to_db(clock.now()))
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="meeting.attendance_others",
        subject=ref(meeting.id),
        detail={"others": others},
    )
    return "done"


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
) -> str:
    """Record a decision on an agenda item: it becomes the item's outcome (decided), or an
    in-progress answer whose follow-up date is due_on. done, or why not."""
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, str):
        return meeting
    if kind not in (DECIDED, IN_PROGRESS):
        return "unknown"
    decision, problem = decision_text(decision)
    owner, owner_problem = owner_text(owner)
    if problem or owner_problem:
        return "text"
    posting = outcomes.Posting(
        kind=outcomes.RESOLVED if kind == DECIDED else outcomes.IN_PROGRESS,
        text=decision,
        owner_name=owner,
        follow_up_on=due_on,
    )
    if outcomes.problem(posting, on=outcomes.today(clock, settings)) is not None:
        return "text"
    if item_id not in await store.agenda(tx, meeting.id):
        return "not_on_agenda"
    item = await agenda_store.get(tx, item_id)
    if item is None or item.status != agenda_council.ON_AGENDA or item.meeting_id != meeting.id:
        return "handled"
    if not await store.put_decision(
        tx,
        meeting_id=meeting.id,
        item_id=item_id,
        kind=kind,
        decision=decision,
        owner=owner,
        due_on=due_on.isoformat(),
        recorded_by=actor.id,
        now=to_db(clock.now()),
    ):
        return "handled"
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
    return "done"


@dataclass(frozen=True)
class RollOver:
    result: str  # done, none (nothing left), no_meeting, or a _minutable refusal
    moved: int = 0
    to: MeetingRow | None = None


async def roll_over(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, meeting_id: int
) -> RollOver:
    """Items not reached go on the agenda of the next meeting for the same audience and wing."""
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, str):
        return RollOver(meeting)
    left = [
        i
        for i in await agenda_of(tx, meeting.id)
        if i.status == agenda_council.ON_AGENDA and i.meeting_id == meeting.id
    ]
    if not left:
        return RollOver("none")
    following = [
        m
        for m in await store.upcoming(
            tx, to_db(clock.now()), limit=20, audiences=(meeting.audience,), wing=meeting.wing
        )
        if m.wing == meeting.wing and m.id != meeting.id
    ]
    if not following:
        return RollOver("no_meeting")
    target = following[0]
    for item in left:
        decided = await agenda_council.carry_over(
            tx,
            clock,
            settings,
            actor=actor,
            item_id=item.id,
            meeting_id=target.id,
            when=from_db(target.starts_at),
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
    return RollOver("done", len(left), target)


async def finish_minutes(tx: Tx, clock: Clock, *, actor: Person, meeting_id: int) -> str:
    meeting = await _minutable(tx, clock, actor, meeting_id)
    if isinstance(meeting, str):
        return meeting
    if not await store.finish_minutes(tx, meeting.id, to_db(clock.now())):
        return "finished"
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
    return "done"


async def _get(tx: Tx, meeting_id: int) -> MeetingRow:
    meeting = await store.get(tx, meeting_id)
    assert meeting is not None, "read in the same transaction it was written"
    return meeting
