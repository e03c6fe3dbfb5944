"""The IT team's endpoints on a database two busy years in: 1,000,000 notices in the outbox
(sent, some parked, a few thousand queued) and 50,000 timers. Measures one /metrics scrape and
one /healthz check through the real code (bot/ops/), 30 times each, and one nightly backup of
that database (size and time).

    .venv/bin/python bench/ops.py

Data is seeded with executemany, not through handlers. The last line printed is one JSON object."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import start_background, stop_background  # noqa: E402
from bot.ops import backups, health, metrics  # noqa: E402
from bot.ops.channels import channel_of  # noqa: E402
from storage.clock import to_db  # noqa: E402
from tests.support.harness import START, make_harness  # noqa: E402

NOTICES = 1_000_000
QUEUED = 3_000
TIMERS = 50_000
RUNS = 30


async def seed(h: object) -> None:
    db = h.db  # type: ignore[attr-defined]
    old = to_db(START - timedelta(days=400))
    now = to_db(START)
    batch = 50_000
    for start in range(0, NOTICES, batch):
        rows = []
        for i in range(start, min(start + batch, NOTICES)):
            if i < QUEUED:
                status, error, done = "queued", None, None
            elif i % 500 == 0:
                status, error, done = "parked", "403 Forbidden: bot was blocked by the user", old
            else:
                status, error, done = "sent", None, old
            created = now if status == "queued" else old
            # Queued for the morning (quiet hours): waiting, not yet due.
            not_before = to_db(START + timedelta(hours=20)) if status == "queued" else old
            rows.append(
                (
                    f"bench:{i}",
                    600_000_000 + i % 5000,
                    "delivery.announcement",
                    status,
                    error,
                    not_before,
                    created,
                    done,
                )
            )
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO outbox (key, chat_id, message, status, last_error, not_before,"
                " created_at, done_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                rows,
            )
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO timer (key, kind, subject_id, due_at, checksum, status)"
            " VALUES (?, ?, ?, ?, ?, ?)",
            [
                (
                    f"bench:{i}",
                    "meeting_reminder",
                    i,
                    old if i % 10 else to_db(START + timedelta(days=3)),
                    "x",
                    "fired" if i % 10 else "pending",
                )
                for i in range(TIMERS)
            ],
        )


def summary(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    return {
        "median_ms": round(statistics.median(ordered), 2),
        "p95_ms": round(ordered[int(len(ordered) * 0.95) - 1], 2),
    }


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        h = await make_harness(Path(folder))
        try:
            await seed(h)
            await start_background(h.app)
            channels = [channel_of(h.app)]
            scrape: list[float] = []
            for _ in range(RUNS):
                began = time.perf_counter()
                body = await metrics.render(h.services, channels)
                scrape.append((time.perf_counter() - began) * 1000)
            check: list[float] = []
            for _ in range(RUNS):
                began = time.perf_counter()
                report = await health.check(h.services, channels)
                check.append((time.perf_counter() - began) * 1000)
            assert report.healthy, report.lines()
            await stop_background(h.app)
            began = time.perf_counter()
            made = await backups.backup_now(h.db, h.clock, h.settings)
            backup_s = time.perf_counter() - began
            result = {
                "bench": "ops",
                "notices": NOTICES,
                "timers": TIMERS,
                "metrics_scrape": summary(scrape),
                "metrics_bytes": len(body),
                "healthz": summary(check),
                "backup_s": round(backup_s, 2),
                "backup_mb": round(made.stat().st_size / 1e6, 1),
            }
            print(
                f"/metrics median {result['metrics_scrape']['median_ms']} ms,"
                f" /healthz median {result['healthz']['median_ms']} ms,"
                f" backup {result['backup_mb']} MB in {result['backup_s']} s"
            )
            print(json.dumps(result))
        finally:
            await h.close()


if __name__ == "__main__":
    asyncio.run(main())
