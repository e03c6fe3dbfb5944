"""Meeting reminders: 500 meetings with 3 reminders each for 2,000 people, the clock advanced
through a simulated month. Every reminder must reach its person exactly once and never stale.

    .venv/bin/python bench/reminders.py

The real Application, council code, SQLite file, timer rows, job-queue mirror (Scheduler.rebuild,
as at start-up) and outbox sender run against the Bot API double; only the clock is simulated.
Before the month starts, some people answer "can't go" (no reminders for them), 40 meetings are
moved (10 of them twice, 10 so close that their 7-day reminder has already passed and is
skipped) and 20 are cancelled. Meeting times include early mornings, so some reminders fall in
quiet hours: held until quiet hours end, or dropped when that is after the meeting began.

Delivery is the production path: the paced outbox sender (bot.delivery.Sender.drain(paced=True),
what the background task runs), on virtual time: its waits move the simulated clock instead of
sleeping, so a month of reminders at Telegram's pace takes minutes, not a month, and the pace is
still checked (max_per_second: the most sends in any virtual second).

Printed: expected (reminders that should reach people, after answers and quiet hours), sent
(reminders Telegram took, counted at the double), duplicates, stale (sent for a time or state the
meeting no longer had, or after it began), schedule_s (rebuilding the job queue from the timer
rows, as at start-up), rss_mb (resident memory then). The last line is one JSON object."""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tempfile
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import handlers.meetings  # noqa: E402, F401 - the answer buttons on reminders, as in production
from bot.config import Labelled  # noqa: E402
from bot.council import meetings, timers, when  # noqa: E402
from bot.delivery import Sender, quiet_release  # noqa: E402
from bot.scheduler import scheduler_of  # noqa: E402
from storage import people as people_store  # noqa: E402
from storage.clock import from_db  # noqa: E402
from tests.support.harness import make_harness  # noqa: E402

PEOPLE = 2_000
FAMILIES = 200
WINGS = 45  # 1,800 members, 40 a wing
MEETINGS = 500
FORUMS = 25  # family forums; the rest are wing council meetings
MOVED, MOVED_TWICE, MOVED_CLOSE, CANCELLED = 40, 10, 10, 20
LOCAL_TIMES = ("07:00", "07:15", "07:45", "09:30", "10:00", "14:00", "18:30", "21:45")
MONTH = timedelta(days=32)


class VirtualTime:
    """The sender's monotonic() and sleep(): a wait moves the simulated clock by as much."""

    def __init__(self, clock: Any) -> None:
        self.t = 0.0
        self.clock = clock

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        for _ in range(5):  # sends already dispatched reach the double first, as they would
            await asyncio.sleep(0)
        self.t += seconds
        self.clock.set(self.clock.now() + timedelta(seconds=seconds))
        await asyncio.sleep(0)


def busiest_second(times: list[float]) -> int:
    times = sorted(times)
    best, start = 0, 0
    for end, at in enumerate(times):
        while at - times[start] >= 1.0:
            start += 1
        best = max(best, end - start + 1)
    return best


def rss_mb() -> float:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


async def main() -> dict[str, float | int]:
    rng = random.Random(6)
    work = Path(tempfile.mkdtemp(prefix="bench-reminders-"))
    wings = tuple(
        Labelled(f"w{i:02d}", {"en": f"Wing {i}", "cy": f"Adain {i}"}) for i in range(WINGS)
    )
    h = await make_harness(work, wings=wings)
    settings, clock, zone = h.settings, h.clock, h.settings.establishment.timezone
    start_of_month = clock.now()

    # People: members spread over the wings, families, one staff member to act.
    async with h.db.transaction() as tx:
        for index in range(PEOPLE + 1):
            tg_id = 800_000_000 + index
            role = "staff" if index == PEOPLE else "family" if index < FAMILIES else "member"
            wing = None if role != "member" else wings[index % WINGS].id
            lang = "cy" if index % 5 == 0 else "en"
            person_id = await people_store.upsert_member(
                tx,
                tg_user_id=tg_id,
                role=role,
                wing=wing,
                label=None,
                language=lang,
                now=clock.now(),
            )
            await people_store.set_language(tx, person_id, lang, clock.now())
            h.double.user(tg_id, first_name="P", language_code=lang)
        staff = await people_store.by_tg_user(tx, 800_000_000 + PEOPLE)
    assert staff is not None

    # 500 meetings over the month to come, each scheduled as staff would (one transaction each).
    made: list[int] = []
    began = time.perf_counter()
    for index in range(MEETINGS):
        day = (start_of_month + timedelta(days=rng.randint(8, 28))).astimezone(zone).date()
        hour, minute = map(int, rng.choice(LOCAL_TIMES).split(":"))
        moment = when.local_moment(day, datetime.min.time().replace(hour=hour, minute=minute), zone)
        assert moment.moment is not None
        forum = index >= MEETINGS - FORUMS
        plan = meetings.Plan(
            kind=meetings.FORUM if forum else meetings.COUNCIL,
            title=f"Meeting {index}",
            place="Chapel",
            audience=meetings.FAMILIES if forum else meetings.MEMBERS,
            wing=None if forum else wings[index % WINGS].id,
            starts_at=moment.moment,
        )
        async with h.db.transaction() as tx:
            result = await meetings.schedule(tx, clock, settings, actor=staff, plan=plan)
        assert result.problem is None, result
        made.append(result.meetings[0].id)
    create_s = time.perf_counter() - began

    # Answers: some can't go (they get no reminders), some are going.
    for meeting_id in made:
        async with h.db.transaction() as tx:
            meeting = await meetings.get(tx, meeting_id)
            assert meeting is not None
            for person in await meetings.audience(tx, meeting):
                draw = rng.random()
                if draw < 0.15:
                    choice = meetings.CANT
                elif draw < 0.45:
                    choice = meetings.GOING
                else:
                    continue
                await meetings.answer(
                    tx, clock, person=person, meeting_id=meeting_id, choice=choice
                )

    # Moves (some twice, some so close that the 7-day reminder is skipped) and cancels.
    shuffled = made[:]
    rng.shuffle(shuffled)
    for index, meeting_id in enumerate(shuffled[: MOVED + CANCELLED]):
        async with h.db.transaction() as tx:
            meeting = await meetings.get(tx, meeting_id)
            assert meeting is not None
            if index >= MOVED:
                done = await meetings.cancel(
                    tx, clock, settings, actor=staff, meeting_id=meeting_id, version=0
                )
                assert done.done
                continue
            if index < MOVED_CLOSE:
                new = clock.now() + timedelta(days=3, hours=rng.randint(0, 8))
            else:
                new = meeting.starts_at + timedelta(days=rng.randint(1, 3))
            done = await meetings.move(
                tx, clock, settings, actor=staff, meeting_id=meeting_id, version=0, starts_at=new
            )
            assert done.done
            if MOVED_CLOSE <= index < MOVED_CLOSE + MOVED_TWICE:
                again = new + timedelta(hours=2)
                done = await meetings.move(
                    tx,
                    clock,
                    settings,
                    actor=staff,
                    meeting_id=meeting_id,
                    version=1,
                    starts_at=again,
                )
                assert done.done

    # Start-up: the job queue is rebuilt from the timer rows (the database is the truth).
    began = time.perf_counter()
    rebuilt = await scheduler_of(h.app).rebuild()
    schedule_s = time.perf_counter() - began
    memory = rss_mb()

    # What should reach people: computed from the final meetings, independently of the sender.
    expected = 0
    async with h.db.transaction() as tx:
        for meeting_id in made:
            meeting = await meetings.get(tx, meeting_id)
            assert meeting is not None
            if meeting.status != meetings.SCHEDULED:
                continue
            begins = meeting.starts_at
            audience = await meetings.audience(tx, meeting)
            cant = {
                p
                for p, a in await tx.all(
                    "SELECT person_id, answer FROM meeting_rsvp WHERE meeting_id = ?", (meeting_id,)
                )
                if a == "cant"
            }
            reached = sum(1 for p in audience if p.id not in cant)
            for offset in settings.reminder_offsets:
                due = when.reminder_due(begins, offset, zone)
                if due <= start_of_month:
                    continue  # passed before the move: skipped, never late
                effective = quiet_release(due, settings) or due
                if effective >= begins:
                    continue  # quiet hours last past the start: dropped
                expected += reached

    # The paced sender on virtual time; every send's virtual moment is noted at the double.
    vt = VirtualTime(clock)
    sender = Sender(h.app, monotonic=vt.monotonic, sleep=vt.sleep)
    h.app.bot_data["sender"] = sender
    send_times: list[float] = []
    original = h.double.handle

    def noting(method: str, params: dict[str, Any], files: Any = None) -> Any:
        answer = original(method, params, files)
        if method == "sendMessage" and answer[0] == 200:
            send_times.append(vt.t)
        return answer

    h.double.handle = noting  # type: ignore[method-assign]

    async def deliver() -> None:
        await sender.drain(paced=True)

    # The month: jump from one due moment to the next (a timer, or a notice held back).
    end = start_of_month + MONTH
    steps = 0
    began = time.perf_counter()
    await deliver()  # the notices of new, moved and cancelled meetings
    while True:
        async with h.db.transaction() as tx:
            next_timer = await tx.value("SELECT MIN(due_at) FROM timer WHERE status = 'pending'")
            next_notice = await tx.value(
                "SELECT MIN(not_before) FROM outbox WHERE status IN ('queued','sending')"
            )
        moments = [from_db(v) for v in (next_timer, next_notice) if v is not None]
        if not moments or min(moments) > end:
            break
        clock.set(max(min(moments), clock.now()))
        await timers.fire_due(h.db, clock, settings)
        await deliver()
        steps += 1
    month_s = time.perf_counter() - began

    # Count at the double what Telegram took, and check every sent reminder against its meeting.
    sent = 0
    for index in range(PEOPLE):
        for text in h.double.sent_texts(800_000_000 + index):
            if text.startswith(("Reminder:", "Nodyn atgoffa:")):
                sent += 1
    async with h.db.transaction() as tx:
        rows = await tx.all(
            "SELECT key, done_at FROM outbox WHERE key LIKE 'meeting:%:reminder:%' AND status = 'sent'"
        )
        finals = {m: await meetings.get(tx, m) for m in made}
        outcomes = Counter(
            r[0]
            for r in await tx.all("SELECT status FROM outbox WHERE key LIKE 'meeting:%:reminder:%'")
        )
        timer_states = Counter(r[0] for r in await tx.all("SELECT status FROM timer"))
    per_reminder = Counter()
    stale = 0
    for key, done_at in rows:
        _, meeting_id, _, person_id, offset, checksum = key.split(":")
        per_reminder[(meeting_id, offset, person_id)] += 1
        meeting = finals[int(meeting_id)]
        assert meeting is not None
        if (
            meeting.status != meetings.SCHEDULED
            or checksum != meetings.reminder_checksum(meeting)
            or from_db(done_at) >= meeting.starts_at
        ):
            stale += 1
    duplicates = sum(n - 1 for n in per_reminder.values() if n > 1) + max(0, sent - len(rows))
    await h.close()
    print(
        f"meetings {MEETINGS}, people {PEOPLE}, wings {WINGS}, offsets {len(settings.reminder_offsets)}"
    )
    print(f"created in {create_s:.2f} s; start-up rebuild: {rebuilt}")
    print(f"month simulated in {month_s:.1f} s over {steps} steps")
    print(f"reminder notices by outcome: {dict(outcomes)}; timers: {dict(timer_states)}")
    print(
        f"paced sender: {len(send_times)} sends over {vt.t:.0f} virtual seconds,"
        f" at most {busiest_second(send_times)} in any one second (R = {settings.delivery.rate_per_second:g})"
    )
    return {
        "expected": expected,
        "sent": sent,
        "duplicates": duplicates,
        "stale": stale,
        "schedule_s": round(schedule_s, 3),
        "rss_mb": round(memory, 1),
        "max_per_second": busiest_second(send_times),
    }


if __name__ == "__main__":
    figures = asyncio.run(main())
    print(json.dumps(figures))
