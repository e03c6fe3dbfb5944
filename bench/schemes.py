"""Peer scheme requests under load: 500 requests for help across 6 schemes in one (simulated)
hour, each a button press through the real Application and handlers, with the schemes'
coordinators pressing "I am arranging this" as the notices reach them through the real outbox
sender. Then the month's peer schemes section of the report, built from the database.

    .venv/bin/python bench/schemes.py

request_p99_ms: the 99th percentile time of one "Ask for ..." press (the request row, the
notices to the coordinators and wing staff, the timers), end to end through the handler.
report_s: the report's peer schemes section for the month (handlers.schemes.report_reply).
The Bot API double stands in for Telegram. The last line printed is one JSON object."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import tempfile
import time
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.config import SchemeConfig  # noqa: E402
from bot.council import reports  # noqa: E402
from handlers import schemes as scheme_handlers  # noqa: E402
from handlers.callbacks import pack  # noqa: E402
from storage.clock import to_db  # noqa: E402
from tests.support.harness import START, make_harness  # noqa: E402

REQUESTS = 500
MEMBERS = 500
WINGS = ("a", "b", "c")
KINDS = (
    "listeners",
    "insiders",
    "peer_mentoring",
    "health_trainers",
    "peer_advisors",
    "peer_education",
)
FIRST_TG_ID = 810_000_000


def six_schemes(coordinators: list[int]) -> tuple[SchemeConfig, ...]:
    return tuple(
        SchemeConfig(
            id=kind.replace("_", "-")[:20],
            kind=kind,
            names={"en": kind.replace("_", " ").title(), "cy": kind},
            about={"en": "What it does.", "cy": "Beth mae'n ei wneud."},
            how={"en": "Press the button.", "cy": "Pwyswch y botwm."},
            wings=(),
            notes=False,
            urgent=kind == "listeners",
            escalate_after=15 if kind == "listeners" else 0,
            expect_within=60,
            coordinators=(coordinators[n],),
        )
        for n, kind in enumerate(KINDS)
    )


async def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        h = await make_harness(Path(tmp))
        try:
            coordinators = [await h.join("staff", wing=None) for _ in KINDS]
            wing_staff = {w: (await h.join("staff", wing=None),) for w in WINGS}
            observer = await h.join("observer", wing=None)
            settings = replace(
                h.settings,
                schemes=replace(
                    h.settings.schemes, listed=six_schemes(coordinators), wing_staff=wing_staff
                ),
            )
            h.settings = settings
            h.services.settings = settings
            now = to_db(START)
            async with h.db.transaction() as tx:
                await tx.executemany(
                    "INSERT INTO person (tg_user_id, role, language, language_chosen, wing,"
                    " label, joined_at, updated_at) VALUES (?, 'member', ?, 1, ?, ?, ?, ?)",
                    [
                        (
                            FIRST_TG_ID + i,
                            "cy" if i % 7 == 0 else "en",
                            WINGS[i % 3],
                            f"m{i}",
                            now,
                            now,
                        )
                        for i in range(MEMBERS)
                    ],
                )
            members = [FIRST_TG_ID + i for i in range(MEMBERS)]
            scheme_ids = [s.id for s in settings.schemes.listed]
            # Each member opens the directory once (not timed): the message their press is on.
            shown: dict[int, int] = {}
            for user in members:
                h.double.user(user)
                await h.tg.send(user, "/schemes")
                message = h.double.last(user)
                assert message is not None
                shown[user] = message.message_id

            spent: list[float] = []
            taken: set[tuple[int, int]] = set()
            step = timedelta(hours=1) / REQUESTS
            for n in range(REQUESTS):
                user = members[n % MEMBERS]
                data = pack("sak", scheme_ids[n % len(scheme_ids)])
                started = time.perf_counter()
                await h.tg.press_data(user, shown[user], data)
                spent.append((time.perf_counter() - started) * 1000)
                h.clock.advance(step)
                if n % 10 == 9:
                    # The outbox sender delivers; each coordinator takes what reached them.
                    await h.deliver()
                    for staff in coordinators:
                        for message in h.double.chat(staff):
                            key = (staff, message.message_id)
                            if key in taken or "I am arranging this" not in message.labels:
                                continue
                            taken.add(key)
                            await h.tg.press(
                                staff, "I am arranging this", message_id=message.message_id
                            )
            assert not h.tg.errors, h.tg.errors
            counts = await h.rows(
                "SELECT status, COUNT(*) AS n FROM scheme_request GROUP BY status"
            )
            arranged = next((c["n"] for c in counts if c["status"] == "arranged"), 0)

            h.clock.advance(timedelta(days=30))
            month = reports.Month(START.year, START.month)
            async with h.db.transaction() as tx:
                from storage import people

                viewer = await people.by_tg_user(tx, observer)
            assert viewer is not None
            began = time.perf_counter()
            section = await scheme_handlers.report_reply(h.db, settings, viewer, month, "en")
            report_s = time.perf_counter() - began
            assert section and "Requests: " in section[0].text
        finally:
            await h.close()

    ordered = sorted(spent)
    p99 = statistics.quantiles(ordered, n=100, method="inclusive")[98]
    print(
        f"{REQUESTS} requests: median {statistics.median(ordered):.2f} ms, p99 {p99:.2f} ms;"
        f" arranged {arranged}; report section {report_s * 1000:.1f} ms"
    )
    print(
        json.dumps(
            {"requests": REQUESTS, "request_p99_ms": round(p99, 2), "report_s": round(report_s, 3)}
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
