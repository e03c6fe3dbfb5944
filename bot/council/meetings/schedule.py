"""Meetings' schedule: plans and recurrence, the notice and answers (RSVP), reminders as timers,
move and cancel. A reminder timer carries a checksum of the meeting's start and status, so a
moved or cancelled meeting never fires a stale one; a reminder notice's key carries the same
checksum, so the new time's reminder is never blocked by the old time's key."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from bot.config import Settings
from bot.council import agenda as agenda_council
from bot.council import audit, content, notices, roles, timers, when
from bot.council.access import Person
from bot.council.clock import Clock
from bot.council.meetings.buttons import rsvp_specs
from bot.council.meetings.core import (
    ANSWERS,
    AUDIENCES,
    CANT,
    KINDS,
    MAX_OCCURRENCES,
    MAX_SPAN,
    MONTHLY,
    ONCE,
    PLACE_MAX,
    REMINDER,
    SCHEDULED,
    TITLE_MAX,
    WEEKLY,
    _get,
    _need_staff,
    _params_of,
    audience,
    audiences_for,
    in_audience,
    person_reminders,
    ref,
    reminder_prefix,
)
from bot.council.meetings.results import Changed, PlanProblem, Said
from bot.council.roles import NotAllowed
from bot.council.text import clean
from storage import agenda as agenda_store
from storage import content as content_store
from storage import meetings as store
from storage import people
from storage.db import Tx
from storage.meetings import MeetingRow
from storage.timers import TimerRow

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
    problem: PlanProblem | None = None  # TOO_MANY, TOO_LONG, GAP or PAST
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
        return Occurrences(
            problem=PlanProblem.TOO_MANY, detail={"most": limit, "asked": plan.count}
        )
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
        return Occurrences(
            problem=PlanProblem.TOO_LONG, detail={"most": limit, "asked": plan.count}
        )
    moments: list[datetime] = []
    ambiguous: list[datetime] = []
    for day in days:
        reading = when.local_moment(day, wall, zone)
        if reading.moment is None:
            gap_day = datetime.combine(day, wall, tzinfo=zone)
            return Occurrences(problem=PlanProblem.GAP, detail={"day": gap_day})
        if reading.moment <= now:
            return Occurrences(problem=PlanProblem.PAST, detail={"day": reading.moment})
        if reading.ambiguous:
            ambiguous.append(reading.moment)
        moments.append(reading.moment)
    return Occurrences(moments, ambiguous=ambiguous)


def text_problem(raw: str, max_len: int) -> tuple[str, str | None]:
    cleaned = clean(raw, min_len=2, max_len=max_len, need_words=True)
    return cleaned.text, cleaned.problem


def plan_problem(plan: Plan, settings: Settings) -> PlanProblem | None:
    if plan.kind not in KINDS:
        return PlanProblem.KIND
    if plan.audience not in AUDIENCES:
        return PlanProblem.AUDIENCE
    if plan.wing is not None and settings.wing(plan.wing) is None:
        return PlanProblem.WING
    if plan.rule not in (ONCE, WEEKLY, MONTHLY) or not 1 <= plan.every <= 4:
        return PlanProblem.RULE
    for value, limit in ((plan.title, TITLE_MAX), (plan.place, PLACE_MAX)):
        cleaned, problem = text_problem(value, limit)
        if problem is not None or cleaned != value:
            return PlanProblem.TEXT
    return None


@dataclass(frozen=True)
class Scheduled:
    meetings: list[MeetingRow] = field(default_factory=list)
    problem: PlanProblem | None = None
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
            now=now,
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
            starts_at=moment,
            created_by=actor.id,
            now=now,
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
        params["last"] = notices.when(made[-1].starts_at)
    for person in told:
        await notices.notify(
            tx,
            clock,
            key=f"{key}:{person.id}",
            person=person,
            message=message,
            params=params,
            buttons=rsvp_specs(first.id),
        )
    ids = [p.id for p in told]
    for meeting in made:
        await store.add_told(tx, meeting.id, ids)


async def words_drafted(tx: Tx, person_id: int) -> dict[tuple[str, str], str]:
    """The other content languages' words typed so far in this person's plan: (field, lang)."""
    return await content_store.drafts(tx, person_id)


# --- reminders ----------------------------------------------------------------------------------


def reminder_checksum(meeting: MeetingRow) -> str:
    return timers.checksum_of(meeting.starts_at, meeting.status)


async def _schedule_reminders(tx: Tx, clock: Clock, settings: Settings, meeting: MeetingRow) -> int:
    """(Re)set this meeting's reminder timers under the same keys. A reminder whose time has
    already passed is not scheduled at all: it would otherwise be sent late under the grace rule."""
    await timers.cancel(tx, clock, reminder_prefix(meeting.id))
    if meeting.status != SCHEDULED:
        return 0
    start = meeting.starts_at
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
    start = meeting.starts_at
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
            buttons=rsvp_specs(meeting.id),
            # Quiet hours never deliver a reminder after the meeting has begun.
            expires_at=start,
        )


REMINDER_TIMER = timers.Timer(REMINDER, fire=_fire_reminder, checksum=_reminder_checksum)


# --- answers (RSVP) -----------------------------------------------------------------------------


async def answer(tx: Tx, clock: Clock, *, person: Person, meeting_id: int, choice: str) -> Said:
    """saved, same, not_audience, unknown, cancelled or started. Refusals store nothing."""
    if choice not in ANSWERS:
        return Said.UNKNOWN
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return Said.UNKNOWN
    if not in_audience(meeting, person):
        return Said.NOT_AUDIENCE
    if meeting.status != SCHEDULED:
        return Said.CANCELLED
    if meeting.starts_at <= clock.now():
        return Said.STARTED
    changed = await store.set_answer(tx, meeting.id, person.id, choice, clock.now())
    if changed and choice == CANT:
        # A reminder already queued (held by quiet hours) is withdrawn too.
        await notices.withdraw(tx, clock, person_reminders(meeting.id, person.id), "can't go")
    return Said.SAVED if changed else Said.SAME


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
    rows = await store.upcoming(tx, clock.now(), limit=limit, audiences=audiences, wing=wing)
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


# --- move and cancel ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Change:
    """done, or why not: unknown, handled (changed by someone else since), cancelled, started,
    same (the same time), past (the new time has gone)."""

    result: Changed
    meeting: MeetingRow | None = None

    @property
    def done(self) -> bool:
        return self.result is Changed.DONE


async def open_to_change(tx: Tx, actor: Person, meeting_id: int, version: int) -> Change:
    """Before staff are asked for a new time or to confirm a cancel: the meeting is still as they
    saw it (same version) and still scheduled. DONE carries the meeting."""
    _need_staff(actor)
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return Change(Changed.UNKNOWN)
    if meeting.version != version:
        return Change(Changed.HANDLED, meeting)
    if meeting.status != SCHEDULED:
        return Change(Changed.CANCELLED, meeting)
    return Change(Changed.DONE, meeting)


async def _changeable(
    tx: Tx, clock: Clock, actor: Person, meeting_id: int, version: int
) -> Change | MeetingRow:
    found = await open_to_change(tx, actor, meeting_id, version)
    if not found.done or found.meeting is None:
        return found
    if found.meeting.starts_at <= clock.now():
        return Change(Changed.STARTED, found.meeting)
    return found.meeting


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
        return Change(Changed.PAST, found)
    if starts_at == found.starts_at:
        return Change(Changed.SAME, found)
    now = clock.now()
    if not await store.move(tx, found.id, version=version, starts_at=starts_at, now=now):
        return Change(Changed.HANDLED, found)
    moved = await _get(tx, found.id)
    # Reminders queued for the old time are withdrawn; the new time's are set under the same keys.
    await notices.withdraw(tx, clock, reminder_prefix(moved.id), "meeting moved")
    # Moved twice before the first word went out: only the latest time is announced.
    await notices.withdraw(tx, clock, f"meeting:{moved.id}:moved:", "meeting moved again")
    await _schedule_reminders(tx, clock, settings, moved)
    params = {
        **await _params_of(tx, settings, moved),
        "old": notices.when(found.starts_at),
    }
    for person in await _to_tell(tx, moved.id):
        await notices.notify(
            tx,
            clock,
            key=f"meeting:{moved.id}:moved:{moved.version}:{person.id}",
            person=person,
            message="meetings.notice.moved",
            params=params,
            buttons=rsvp_specs(moved.id),
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
    return Change(Changed.DONE, moved)


async def cancel(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, meeting_id: int, version: int
) -> Change:
    found = await _changeable(tx, clock, actor, meeting_id, version)
    if isinstance(found, Change):
        return found
    now = clock.now()
    if not await store.cancel(tx, found.id, version=version, now=now):
        return Change(Changed.HANDLED, found)
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
    return Change(Changed.DONE, cancelled)
