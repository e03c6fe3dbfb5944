"""Hot paths at 1x and 10x data: each operation's time and how much it grows.

    .venv/bin/python bench/scale.py            # 1x and 10x, as recorded in docs/PERFORMANCE.md
    .venv/bin/python bench/scale.py --small    # a quick look (0.2x and 2x)

One run builds two councils in SQLite files of their own, the second with ten times the data of
the first: members (in the same 20 wings, so a wing meeting's audience is ten times larger),
families, agenda items (12% new: the triage backlog), a backlog of outbox notices (queued and
sent) and pending timers, and meetings with their notices and reminder timers. Then the real
council services are timed, each call one transaction as a handler runs it, median of a few calls:

- meeting_create: schedule a wing council meeting (notice to its audience, three reminder timers);
- meeting_move, meeting_cancel: move or cancel one (everyone told; reminders re-set or cancelled);
- cant_go: a member answers "can't go" (their queued reminders withdrawn);
- withdraw: withdraw one person's reminder notices for a meeting (notices.withdraw);
- timer_cancel: cancel a meeting's reminder timers (timers.cancel);
- triage_count: how many items wait for triage; triage_page: the triage page's queries;
- myitems, browse: a member's first page of own items; a page of a wing's open items;
- startup: open the database and rebuild the job queue from the timer rows, as at start.

Growth = time at 10x ÷ time at 1x. The last line is one JSON object with one `<op>_growth` key per
operation and the milliseconds at each size.
"""

from __future__ import annotations

import asyncio
import json
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import handlers.meetings  # noqa: E402, F401 - the answer buttons on notices, as in production
from bot.config import Labelled  # noqa: E402
from bot.council import agenda, meetings, notices, timers, triage  # noqa: E402
from bot.scheduler import scheduler_of  # noqa: E402
from storage import agenda as agenda_store  # noqa: E402
from storage import people as people_store  # noqa: E402
from storage.clock import to_db  # noqa: E402
from storage.db import Tx  # noqa: E402
from tests.support.harness import START, Harness, make_harness  # noqa: E402

WINGS = 20
MEMBERS = 2_000  # at 1x: 100 a wing
FAMILIES = 200
ITEMS = 20_000
OUTBOX = 50_000  # a backlog of notices, 20% still queued
TIMERS = 5_000  # pending timers of other things
MEETINGS = 40  # meetings scheduled before the timing starts
REPEATS = 15
FIRST_TG_ID = 800_000_000
STATUSES = ["new"] * 12 + ["accepted"] * 20 + ["answered"] * 30 + ["closed"] * 38

Op = Callable[[Tx, int], Awaitable[object]]


async def seed(h: Harness, scale: float, rng: random.Random) -> tuple[Any, list[int], list[int]]:
    """People, items, an outbox backlog and timers straight into the tables; then meetings
    through the service. Returns the staff actor, the member ids and the meeting ids."""
    now = to_db(START)
    members, families = int(MEMBERS * scale), int(FAMILIES * scale)
    async with h.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO person (tg_user_id, role, language, language_chosen, wing, label,"
            " joined_at, updated_at) VALUES (?, ?, 'en', 1, ?, NULL, ?, ?)",
            [
                (
                    FIRST_TG_ID + i,
                    "member" if i < members else "family",
                    f"w{i % WINGS:02d}" if i < members else None,
                    now,
                    now,
                )
                for i in range(members + families)
            ],
        )
        staff_id = await people_store.upsert_member(
            tx,
            tg_user_id=FIRST_TG_ID - 1,
            role="staff",
            wing=None,
            label=None,
            language="en",
            now=START,
        )
        staff = await people_store.by_id(tx, staff_id)
        ids = [
            int(r[0])
            for r in await tx.all("SELECT id FROM person WHERE role = 'member' ORDER BY id")
        ]
    text = "The hot water on the landing runs out before everyone has had a shower."
    items = []
    for n in range(int(ITEMS * scale)):
        status, created = rng.choice(STATUSES), to_db(START - timedelta(minutes=n))
        published = created if status in ("accepted", "answered") else None
        items.append(
            (
                "food",
                f"w{n % WINGS:02d}",
                f"{text} ({n})",
                status,
                rng.choice(ids),
                created,
                created,
                published,
            )
        )
    async with h.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO agenda_item (topic, wing, text, status, submitter_id, name_hidden,"
            " created_at, updated_at, published_at) VALUES (?, ?, ?, ?, ?, 0, ?, ?, ?)",
            items,
        )
        await tx.executemany(
            "INSERT INTO outbox (key, chat_id, person_id, message, params, not_before, status,"
            " created_at) VALUES (?, ?, NULL, 'menu.welcome', '{}', ?, ?, ?)",
            [
                (
                    f"meeting:{10_000_000 + n // 50}:reminder:p{n}:3600:x",
                    FIRST_TG_ID + n % 1000,
                    to_db(START + timedelta(days=30)),
                    "queued" if n % 5 == 0 else "sent",
                    now,
                )
                for n in range(int(OUTBOX * scale))
            ],
        )
        await tx.executemany(
            "INSERT INTO timer (key, kind, subject_id, due_at, checksum) VALUES (?, ?, 0, ?, 'x')",
            [
                (
                    f"meeting:{10_000_000 + n // 3}:reminder:{n}",
                    meetings.REMINDER,
                    to_db(START + timedelta(days=40, seconds=n)),
                )
                for n in range(int(TIMERS * scale))
            ],
        )
    made: list[int] = []
    for index in range(MEETINGS):
        made.append(await create_meeting(h, staff, index))
    return staff, ids, made


async def create_meeting(h: Harness, staff: Any, index: int) -> int:
    plan = meetings.Plan(
        kind=meetings.COUNCIL,
        title=f"Wing meeting {index}",
        place="Chapel",
        audience=meetings.MEMBERS,
        wing=f"w{index % WINGS:02d}",
        starts_at=START + timedelta(days=10, hours=index % 8),
    )
    async with h.db.transaction() as tx:
        done = await meetings.schedule(tx, h.clock, h.settings, actor=staff, plan=plan)
    assert done.problem is None, done
    return done.meetings[0].id


async def timed(h: Harness, op: Op, repeats: int = REPEATS) -> float:
    """Median milliseconds of op(tx, n) for n in range(repeats), each in its own transaction."""
    spent: list[float] = []
    for n in range(repeats):
        began = time.perf_counter()
        async with h.db.transaction() as tx:
            await op(tx, n)
        spent.append((time.perf_counter() - began) * 1000)
    return statistics.median(spent)


async def measure(scale: float) -> dict[str, float]:
    rng = random.Random(19)
    work = Path(tempfile.mkdtemp(prefix=f"bench-scale-{scale:g}x-"))
    wings = tuple(
        Labelled(f"w{i:02d}", {"en": f"Wing {i}", "cy": f"Adain {i}"}) for i in range(WINGS)
    )
    h = await make_harness(work, wings=wings)
    clock, settings = h.clock, h.settings
    staff, member_ids, made = await seed(h, scale, rng)
    out: dict[str, float] = {}

    async def create(tx: Tx, n: int) -> None:
        plan = meetings.Plan(
            kind=meetings.COUNCIL,
            title=f"New meeting {n}",
            place="Chapel",
            audience=meetings.MEMBERS,
            wing=f"w{n % WINGS:02d}",
            starts_at=START + timedelta(days=12, hours=n),
        )
        done = await meetings.schedule(tx, clock, settings, actor=staff, plan=plan)
        assert done.problem is None

    async def move(tx: Tx, n: int) -> None:
        meeting = await meetings.get(tx, made[n])
        assert meeting is not None
        done = await meetings.move(
            tx,
            clock,
            settings,
            actor=staff,
            meeting_id=meeting.id,
            version=meeting.version,
            starts_at=START + timedelta(days=14, hours=n),
        )
        assert done.done, done

    async def cancel(tx: Tx, n: int) -> None:
        meeting = await meetings.get(tx, made[REPEATS + n])
        assert meeting is not None
        done = await meetings.cancel(
            tx, clock, settings, actor=staff, meeting_id=meeting.id, version=meeting.version
        )
        assert done.done, done

    # Who answers "can't go" is chosen before the clock starts: the audience read is not the op.
    answering: list[tuple[int, Any]] = []
    async with h.db.transaction() as tx:
        for n in range(REPEATS):
            meeting = await meetings.get(tx, made[2 * REPEATS + n % (MEETINGS - 2 * REPEATS)])
            assert meeting is not None
            told = await meetings.audience(tx, meeting)
            answering.append((meeting.id, told[(n * 7) % len(told)]))

    async def cant_go(tx: Tx, n: int) -> None:
        meeting_id, person = answering[n]
        result = await meetings.answer(
            tx, clock, person=person, meeting_id=meeting_id, choice=meetings.CANT
        )
        assert result == "saved", result

    async def withdraw(tx: Tx, n: int) -> None:
        await notices.withdraw(
            tx, clock, meetings.person_reminders(made[n], member_ids[n]), "can't go"
        )

    async def timer_cancel(tx: Tx, n: int) -> None:
        await timers.cancel(tx, clock, meetings.reminder_prefix(made[n]))

    async def triage_count(tx: Tx, n: int) -> None:
        await agenda_store.count_in_status(tx, agenda.NEW)

    async def triage_page(tx: Tx, n: int) -> None:
        await triage.queue(tx, staff)

    async def myitems(tx: Tx, n: int) -> None:
        await agenda_store.by_submitter(tx, member_ids[n * 13 % len(member_ids)], limit=5, offset=0)

    async def browse(tx: Tx, n: int) -> None:
        await agenda_store.open_page(
            tx, wing=f"w{n % WINGS:02d}", most_supported=n % 2 == 1, limit=5, offset=5 * (n % 3)
        )

    out["meeting_create"] = await timed(h, create)
    out["cant_go"] = await timed(h, cant_go)
    out["withdraw"] = await timed(h, withdraw)
    out["triage_count"] = await timed(h, triage_count, 50)
    out["triage_page"] = await timed(h, triage_page, 50)
    out["myitems"] = await timed(h, myitems, 50)
    out["browse"] = await timed(h, browse, 50)
    out["meeting_move"] = await timed(h, move)
    out["timer_cancel"] = await timed(h, timer_cancel)
    out["meeting_cancel"] = await timed(h, cancel)
    await h.close()

    # Start-up: open the file (migrations checked) and mirror the pending timers into the job queue.
    began = time.perf_counter()
    h = await make_harness(work, wings=wings)
    await scheduler_of(h.app).rebuild()
    out["startup"] = (time.perf_counter() - began) * 1000
    async with h.db.transaction() as tx:
        pending = await tx.value("SELECT COUNT(*) FROM timer WHERE status = 'pending'")
        queued = await tx.value("SELECT COUNT(*) FROM outbox WHERE status = 'queued'")
    await h.close()
    print(
        f"{scale:g}x: {int(MEMBERS * scale)} members ({int(MEMBERS * scale) // WINGS} a wing),"
        f" {int(ITEMS * scale)} items, {queued} notices queued, {pending} timers pending; "
        + ", ".join(f"{k} {v:.2f} ms" for k, v in out.items())
    )
    return out


async def main(small: bool) -> dict[str, float]:
    low, high = (0.2, 2.0) if small else (1.0, 10.0)
    first = await measure(low)
    second = await measure(high)
    figures: dict[str, float] = {}
    for name in first:
        figures[f"{name}_growth"] = round(second[name] / first[name], 2)
    for name in first:
        figures[f"{name}_ms_1x"] = round(first[name], 3)
        figures[f"{name}_ms_10x"] = round(second[name], 3)
    return figures


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main("--small" in sys.argv))))
