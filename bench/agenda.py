"""Agenda pages under load: with 100,000 items and 5,000 members in the database, the time to
show a page of the triage queue, of /myitems and of the browse list, each over 200 requests
through the real Application and handlers (the Bot API double stands in for Telegram).

    .venv/bin/python bench/agenda.py

Data is seeded with executemany in a few transactions, not through handlers. The last line
printed is one JSON object."""

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

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from handlers.callbacks import pack  # noqa: E402
from storage.clock import to_db  # noqa: E402
from tests.support.harness import START, Harness, make_harness  # noqa: E402

ITEMS = 100_000
MEMBERS = 5_000
SUPPORTS = 200_000
REQUESTS = 200
WINGS = ("a", "b", "c")
TOPICS = ("food", "visits", "healthcare", "education", "work", "regime", "property", "safety")
# A council a few years in: most items long decided, a steady trickle still new.
STATUS_MIX = (
    ("new", 12),
    ("needs_info", 3),
    ("accepted", 20),
    ("on_agenda", 5),
    ("answered", 15),
    ("declined", 10),
    ("merged", 5),
    ("discussed", 5),
    ("outcome_posted", 15),
    ("closed", 10),
)
PUBLISHED = {"accepted", "on_agenda", "discussed", "answered", "outcome_posted", "closed"}
FIRST_TG_ID = 800_000_000


async def seed(h: Harness, rng: random.Random) -> list[int]:
    """Members, items and supports straight into the tables; returns the members' person ids."""
    now = to_db(START)
    async with h.db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO person (tg_user_id, role, language, language_chosen, wing, label,"
            " joined_at, updated_at) VALUES (?, ?, ?, 1, ?, ?, ?, ?)",
            [
                (
                    FIRST_TG_ID + i,
                    "chair" if i % 500 == 0 else "member",
                    "cy" if i % 7 == 0 else "en",
                    WINGS[i % len(WINGS)],
                    f"member {i}",
                    now,
                    now,
                )
                for i in range(MEMBERS)
            ],
        )
        rows = await tx.all(
            "SELECT id FROM person WHERE tg_user_id >= ? ORDER BY id", (FIRST_TG_ID,)
        )
    members = [int(r[0]) for r in rows]

    statuses = [s for s, weight in STATUS_MIX for _ in range(weight)]
    text = "The hot water on the landing runs out before everyone has had a shower. " * 2
    items = []
    for n in range(ITEMS):
        status = rng.choice(statuses)
        created = START - timedelta(days=730) + timedelta(minutes=10 * n)
        published = to_db(created + timedelta(days=3)) if status in PUBLISHED else None
        items.append(
            (
                rng.choice(TOPICS),
                rng.choice(WINGS),
                f"{text}({n})",
                status,
                rng.choice(members),
                int(rng.random() < 0.3),
                to_db(created),
                to_db(created),
                published,
            )
        )
    for start in range(0, ITEMS, 25_000):
        async with h.db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO agenda_item (topic, wing, text, status, submitter_id, name_hidden,"
                " created_at, updated_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
                items[start : start + 25_000],
            )

    async with h.db.transaction() as tx:
        rows = await tx.all(
            "SELECT id FROM agenda_item WHERE status IN ('accepted','on_agenda','discussed')"
        )
    supportable = [int(r[0]) for r in rows]
    pairs: set[tuple[int, int]] = set()
    while len(pairs) < SUPPORTS:
        pairs.add((rng.choice(supportable), rng.choice(members)))
    ordered = sorted(pairs)
    for start in range(0, len(ordered), 100_000):
        async with h.db.transaction() as tx:
            # The trigger keeps support_count exact, as in production.
            await tx.executemany(
                "INSERT OR IGNORE INTO agenda_support (item_id, person_id, at) VALUES (?, ?, ?)",
                [(i, p, now) for i, p in ordered[start : start + 100_000]],
            )
    return members


async def timed(requests: list[Callable[[], Awaitable[object]]]) -> list[float]:
    spent = []
    for request in requests:
        started = time.perf_counter()
        await request()
        spent.append((time.perf_counter() - started) * 1000)
    return spent


def summary(name: str, spent: list[float]) -> float:
    ordered = sorted(spent)
    p99 = statistics.quantiles(ordered, n=100, method="inclusive")[98]
    print(f"{name:8} median {statistics.median(ordered):6.2f} ms   p99 {p99:6.2f} ms")
    return round(p99, 2)


async def main() -> None:
    rng = random.Random(4)
    with tempfile.TemporaryDirectory() as tmp:
        h = await make_harness(Path(tmp))
        try:
            began = time.perf_counter()
            members = await seed(h, rng)
            staff = await h.join("staff", wing=None)
            print(
                f"seeded {ITEMS} items, {MEMBERS} members, {SUPPORTS} supports"
                f" in {time.perf_counter() - began:.1f} s"
            )
            users = [FIRST_TG_ID + rng.randrange(len(members)) for _ in range(REQUESTS)]
            for user in set(users):
                h.double.user(user)

            # Warm up the connection's page cache the way a running bot would have it.
            await h.tg.send(staff, "/triage")
            await h.tg.send(users[0], "/myitems")
            await h.tg.send(users[0], "/browse")

            triage = await timed([lambda: h.tg.send(staff, "/triage") for _ in range(REQUESTS)])
            myitems = await timed([lambda u=u: h.tg.send(u, "/myitems") for u in users])
            # Half open /browse (own wing, newest); half press its buttons: every scope and
            # order, pages 0 to 4.
            pages = {}
            for user in set(users):
                await h.tg.send(user, "/browse")
                shown = h.double.last(user)
                assert shown is not None and shown.buttons
                pages[user] = shown.message_id
            browse_requests: list[Callable[[], Awaitable[object]]] = []
            for n, user in enumerate(users):
                if n % 2 == 0:
                    browse_requests.append(lambda u=user: h.tg.send(u, "/browse"))
                else:
                    data = pack("abr", "wa"[n % 4 // 2], "ns"[n % 3 % 2], n % 5)
                    browse_requests.append(lambda u=user, d=data: h.tg.press_data(u, pages[u], d))
            browse = await timed(browse_requests)
            assert not h.tg.errors, h.tg.errors
        finally:
            await h.close()

    figures = {
        "triage_p99_ms": summary("triage", triage),
        "myitems_p99_ms": summary("myitems", myitems),
        "browse_p99_ms": summary("browse", browse),
        "items": ITEMS,
    }
    print(json.dumps(figures))


if __name__ == "__main__":
    asyncio.run(main())
