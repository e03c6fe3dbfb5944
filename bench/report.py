"""Reports and the printable board under two years of activity: 100,000 items (most with an
outcome), 500 polls, 200 consultations and 1,000 meetings. Times one month's report (figures,
PNG charts and CSV files, as /report builds them) and the establishment-wide board PDF (as
/board builds it), and the process's peak resident memory.

    .venv/bin/python bench/report.py

The report is asked for as staff do, `/report 2026-10` through the real Application and handler
(in-process Bot API double): the figures read from a read-only snapshot, charts and CSV drawn in a
worker thread, the summary, 6 charts and 6 CSV files sent. Timed from the update to the last
file at the double. The board is built as its handler builds it (snapshot, PDF drawn in a thread).

Data is seeded with executemany in one transaction, not through handlers. The last line printed
is one JSON object: {"report_s": ..., "board_pdf_s": ..., "peak_mb": ...}."""

from __future__ import annotations

import asyncio
import json
import random
import resource
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.council import board  # noqa: E402
from bot.documents import board as board_document  # noqa: E402
from storage.clock import to_db  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.support.harness import make_harness  # noqa: E402

ITEMS, POLLS, CONSULTATIONS, MEETINGS, MEMBERS = 100_000, 500, 200, 1_000, 3_000
WINGS = ("a", "b", "c")
TOPICS = ("food", "visits", "healthcare", "education", "work", "regime", "property", "safety")
START = datetime(2024, 12, 1, tzinfo=UTC)
SPAN = timedelta(days=730)
NOW = START + SPAN + timedelta(days=1)
KINDS = ("resolved", "resolved", "partly_resolved", "not_possible", "in_progress")


def at(rng: random.Random) -> datetime:
    return START + timedelta(seconds=rng.uniform(0, SPAN.total_seconds()))


async def seed(db: Database) -> None:
    rng = random.Random(8)
    async with db.transaction() as tx:
        now = to_db(START)
        await tx.executemany(
            "INSERT INTO person (id, tg_user_id, role, wing, joined_at, updated_at)"
            " VALUES (?, ?, 'member', ?, ?, ?)",
            [(i, 10_000 + i, WINGS[i % 3], now, now) for i in range(1, MEMBERS + 1)],
        )
        items, outcomes = [], []
        for item_id in range(1, ITEMS + 1):
            raised = at(rng)
            fate = rng.random()
            status, published, updated = "new", None, raised
            if fate < 0.70:
                answered = raised + timedelta(days=rng.expovariate(1 / 20))
                kind = rng.choice(KINDS)
                status = "closed" if kind in ("resolved", "not_possible") else "outcome_posted"
                published, updated = answered, answered
                outcomes.append(
                    (
                        item_id,
                        kind,
                        "The works team fixed it and checked it twice.",
                        "No budget this year." if kind == "not_possible" else None,
                        "Head of Residence" if kind == "in_progress" else None,
                        (answered + timedelta(days=30)).date().isoformat()
                        if kind == "in_progress"
                        else None,
                        TOPICS[item_id % len(TOPICS)],
                        WINGS[item_id % 3],
                        to_db(answered),
                    )
                )
            elif fate < 0.80:
                status, updated = "declined", raised + timedelta(days=rng.expovariate(1 / 5))
            elif fate < 0.85:
                status, updated = "merged", raised + timedelta(days=2)
            elif fate < 0.95:
                status, published = "accepted", raised + timedelta(days=3)
            items.append(
                (
                    item_id,
                    TOPICS[item_id % len(TOPICS)],
                    WINGS[item_id % 3],
                    "The showers on the landing are cold every morning.",
                    status,
                    rng.randint(1, MEMBERS),
                    to_db(raised),
                    to_db(updated),
                    None if published is None else to_db(published),
                )
            )
        await tx.executemany(
            "INSERT INTO agenda_item (id, topic, wing, text, status, submitter_id, created_at,"
            " updated_at, published_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            items,
        )
        await tx.executemany(
            "INSERT INTO outcome (item_id, version, kind, text, reason, owner_name, follow_up_on,"
            " topic, wing, source, posted_at) VALUES (?, 1, ?, ?, ?, ?, ?, ?, ?, 'command', ?)",
            outcomes,
        )
        await tx.executemany(
            "INSERT INTO poll (id, question, audience, opened_at, closes_at, status, closed_at,"
            " electorate, ballots) VALUES (?, ?, 'members', ?, ?, 'closed', ?, ?, ?)",
            [
                (
                    i,
                    f"Question {i}: which film night?",
                    to_db(opened := at(rng)),
                    to_db(opened + timedelta(days=7)),
                    to_db(opened + timedelta(days=7)),
                    (electorate := rng.randint(3, 900)),
                    rng.randint(0, electorate),
                )
                for i in range(1, POLLS + 1)
            ],
        )
        consultations, participants = [], []
        for i in range(1, CONSULTATIONS + 1):
            opened = at(rng)
            consultations.append(
                (i, f"Consultation {i}", to_db(opened), to_db(opened + timedelta(days=14)))
            )
            for n in range(rng.randint(0, 60)):
                participants.append((i, "family" if n % 3 else "member", to_db(opened)))
        await tx.executemany(
            "INSERT INTO consultation (id, title, background, audience, status, opened_at,"
            " closes_at, closed_at) VALUES (?, ?, 'Background.', 'both', 'closed', ?, ?, ?4)",
            consultations,
        )
        await tx.executemany(
            "INSERT INTO consultation_participant (consultation_id, grp, submitted_at)"
            " VALUES (?, ?, ?)",
            participants,
        )
        meetings, rsvps, attended = [], [], []
        for i in range(1, MEETINGS + 1):
            starts = at(rng)
            meetings.append((i, f"Council meeting {i}", to_db(starts), now, now))
            for person in rng.sample(range(1, MEMBERS + 1), rng.randint(0, 25)):
                rsvps.append((i, person, "going" if person % 4 else "cant", now))
                if person % 5:
                    attended.append((i, person))
        await tx.executemany(
            "INSERT INTO meeting (id, kind, title, place, audience, starts_at, created_at,"
            " updated_at) VALUES (?, 'council', ?, 'Chapel', 'members', ?, ?, ?)",
            meetings,
        )
        await tx.executemany(
            "INSERT INTO meeting_rsvp (meeting_id, person_id, answer, at) VALUES (?, ?, ?, ?)",
            rsvps,
        )
        await tx.executemany(
            "INSERT OR IGNORE INTO meeting_attendance (meeting_id, person_id) VALUES (?, ?)",
            attended,
        )


async def run() -> dict[str, float]:
    folder = Path(tempfile.mkdtemp(prefix="bench-report-"))
    h = await make_harness(folder)
    db, settings = h.db, h.settings
    began = time.perf_counter()
    await seed(db)
    print(f"seeded in {time.perf_counter() - began:.1f} s", file=sys.stderr)
    h.clock.set(NOW)
    staff = await h.join("staff", wing=None)

    mark = h.double.change_mark()
    began = time.perf_counter()
    await h.tg.send(staff, "/report 2026-10")
    report_s = time.perf_counter() - began
    arrived = h.double.changes_since(mark, chat_id=staff)
    photos = sum(1 for m in arrived if m.kind == "photo")
    documents = sum(1 for m in arrived if m.kind == "document")
    print(f"report: {photos} charts and {documents} CSV files sent", file=sys.stderr)
    assert photos and documents, "the report did not arrive"

    began = time.perf_counter()
    async with db.snapshot() as tx:  # as the /board handler: a snapshot, then a worker thread
        gathered = await board.gather(tx, h.clock, settings, actor=None, wing=None)
    pdf = await asyncio.to_thread(board_document.render, gathered)
    board_s = time.perf_counter() - began
    print(f"board: {len(gathered.entries)} outcomes, {len(pdf) // 1024} KiB", file=sys.stderr)
    await h.close()
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "report_s": round(report_s, 3),
        "board_pdf_s": round(board_s, 3),
        "peak_mb": round(peak_mb, 1),
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(run())))
