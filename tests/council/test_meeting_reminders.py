"""When a meeting reminder fires: at each configured offset before the start (7 days, 1 day, 1
hour); whole-day offsets keep the local wall-clock time across a clock change; a member who
can't go gets none; a moved meeting's old reminders never fire. The rule is two hops away:
`meetings.schedule` sets the timer rows, `timers.fire_due` fires them (handlers.TIMERS names the
kind), and each fire queues one notice a person in the outbox."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.config import Settings
from bot.council import meetings, roles, timers
from bot.council.access import Person
from bot.council.clock import FakeClock
from storage.clock import from_db
from storage.db import Database
from tests.council.conftest import MakePerson


def _plan(starts_at: datetime) -> meetings.Plan:
    return meetings.Plan(
        kind="council",
        title="Wing forum",
        place="Chapel",
        audience="members",
        wing=None,
        starts_at=starts_at,
    )


async def _schedule(
    db: Database, clock: FakeClock, settings: Settings, staff: Person, starts_at: datetime
) -> int:
    async with db.transaction() as tx:
        made = await meetings.schedule(tx, clock, settings, actor=staff, plan=_plan(starts_at))
    assert made.problem is None, made.problem
    return made.meetings[0].id


async def _due_times(db: Database, meeting_id: int) -> list[datetime]:
    async with db.transaction() as tx:
        rows = await tx.all(
            "SELECT due_at FROM timer WHERE kind = ? AND subject_id = ? AND status = 'pending'"
            " ORDER BY due_at",
            (meetings.REMINDER, meeting_id),
        )
    return [from_db(r["due_at"]) for r in rows]


async def _reminders_to(db: Database, meeting_id: int, person: Person) -> int:
    async with db.transaction() as tx:
        value = await tx.value(
            "SELECT count(*) FROM outbox WHERE key >= ? AND key < ? AND status = 'queued'",
            (
                meetings.person_reminders(meeting_id, person.id),
                meetings.person_reminders(meeting_id, person.id) + "\uffff",
            ),
        )
    return int(value or 0)


async def test_reminders_fire_at_each_offset_and_not_before(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    staff, member = await person(roles.STAFF, wing=None), await person(roles.MEMBER)
    starts = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)  # GMT: local time is UTC
    meeting_id = await _schedule(db, clock, settings, staff, starts)
    assert await _due_times(db, meeting_id) == [
        datetime(2026, 11, 13, 10, 0, tzinfo=UTC),
        datetime(2026, 11, 19, 10, 0, tzinfo=UTC),
        datetime(2026, 11, 20, 9, 0, tzinfo=UTC),
    ]
    clock.set(datetime(2026, 11, 13, 9, 59, tzinfo=UTC))
    await timers.fire_due(db, clock, settings)
    assert await _reminders_to(db, meeting_id, member) == 0
    clock.set(datetime(2026, 11, 13, 10, 0, tzinfo=UTC))
    assert (await timers.fire_due(db, clock, settings)).get("fired") == 1
    assert await _reminders_to(db, meeting_id, member) == 1


async def test_whole_days_keep_the_wall_clock_across_the_change_to_summer_time(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    staff = await person(roles.STAFF, wing=None)
    await person(roles.MEMBER)
    # 10:00 in London on Tuesday 30 March 2027 is 09:00 UTC (summer time began on the 28th);
    # the 7-day reminder is at 10:00 London on the 23rd, which is 10:00 UTC.
    meeting_id = await _schedule(
        db, clock, settings, staff, datetime(2027, 3, 30, 9, 0, tzinfo=UTC)
    )
    assert await _due_times(db, meeting_id) == [
        datetime(2027, 3, 23, 10, 0, tzinfo=UTC),
        datetime(2027, 3, 29, 9, 0, tzinfo=UTC),
        datetime(2027, 3, 30, 8, 0, tzinfo=UTC),
    ]


async def test_cant_go_gets_no_reminder_and_a_moved_meeting_fires_only_its_new_times(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    staff = await person(roles.STAFF, wing=None)
    going, away = await person(roles.MEMBER), await person(roles.MEMBER)
    meeting_id = await _schedule(
        db, clock, settings, staff, datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
    )
    async with db.transaction() as tx:
        await meetings.answer(tx, clock, person=away, meeting_id=meeting_id, choice="cant")
        meeting = await meetings.get(tx, meeting_id)
        assert meeting is not None
        moved = await meetings.move(
            tx,
            clock,
            settings,
            actor=staff,
            meeting_id=meeting_id,
            version=meeting.version,
            starts_at=datetime(2026, 11, 27, 10, 0, tzinfo=UTC),
        )
    assert moved.done, moved
    clock.set(datetime(2026, 11, 13, 10, 0, tzinfo=UTC))  # the old 7-day reminder's time
    await timers.fire_due(db, clock, settings)
    assert await _reminders_to(db, meeting_id, going) == 0
    clock.set(datetime(2026, 11, 20, 10, 0, tzinfo=UTC))  # the new one's
    await timers.fire_due(db, clock, settings)
    assert await _reminders_to(db, meeting_id, going) == 1
    assert await _reminders_to(db, meeting_id, away) == 0
