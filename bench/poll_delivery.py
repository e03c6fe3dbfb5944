"""A poll's whole delivery to 1,000 electors against Telegram's 30 a second: the ballots, the
"closing soon" reminders and the results, through the paced outbox sender in real time.

    .venv/bin/python bench/poll_delivery.py

The poll is opened through the real creation flow (in-process Application and handlers); half
the electors vote; the clock is moved to the closing-soon moment and then past the close, firing
the stored timers as the scheduler would. Each time, the real sender (`Sender.drain(paced=True)`,
what the background task runs, R = 30, the configuration's cap) delivers what was queued
through `tests/fakes/double/network.py`, which answers at once but enforces Telegram's limits at
arrival (more than 30 in any rolling second is refused with 429) and counts every arrival.

share_of_limit = sends / (the phases' spans, each + 1/R) / 30: how close to Telegram's limit the
three phases went. max_per_second = the most arrivals at the "server" in any one second. The
last line is one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from dataclasses import replace
from datetime import time as clock_time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_application  # noqa: E402
from bot.council import timers  # noqa: E402
from bot.delivery import Sender  # noqa: E402
from storage.clock import from_db  # noqa: E402
from tests.e2e.test_polls import add_people, create_poll, vote  # noqa: E402
from tests.fakes.double.network import FloodLimits, Network, NetworkRequest  # noqa: E402
from tests.support.harness import make_harness, test_settings  # noqa: E402

ELECTORS = 1_000
RATE = 30


async def main() -> dict[str, object]:
    logging.getLogger("bot").setLevel(logging.ERROR)
    work = Path(tempfile.mkdtemp(prefix="bench-poll-delivery-"))
    base = test_settings(work / "council.sqlite3")
    off = clock_time(0)  # equal start and end: no quiet hours in the way
    delivery = replace(base.delivery, rate_per_second=RATE, quiet_start=off, quiet_end=off)
    h = await make_harness(work, delivery=delivery)
    staff = await h.join("staff", wing=None)
    users = await add_people(h, ELECTORS)
    network = Network(h.double, limits=FloodLimits(per_second=30), seed=3)
    sending = build_application(
        h.settings, h.db, token=h.double.token, clock=h.clock, request=NetworkRequest(network)
    )
    await sending.initialize()
    sender = Sender(sending)

    sends: list[float] = []
    original = h.double.handle

    def noting(method: str, params: dict[str, object], files: object = None) -> object:
        answer = original(method, params, files)
        if method == "sendMessage" and answer[0] == 200 and params.get("chat_id") in chats:
            sends.append(time.monotonic())
        return answer

    chats = set(users)
    h.double.handle = noting  # type: ignore[method-assign,assignment]

    async def deliver(phase: str) -> tuple[int, float]:
        before = len(sends)
        last = time.monotonic()
        while True:
            # The services' clock follows real time while sending: a 429's "retry after" is
            # a moment on that clock.
            now = time.monotonic()
            h.clock.set(h.clock.now() + timedelta(seconds=now - last))
            last = now
            await sender.drain(paced=True)
            left = await h.rows("SELECT id FROM outbox WHERE status IN ('queued','sending')")
            if not left:
                break
            await asyncio.sleep(0.05)  # as the background task naps until held ones are due
        phase_sends = sends[before:]
        span = phase_sends[-1] - phase_sends[0] + 1 / RATE if phase_sends else 0.0
        print(f"{phase}: {len(phase_sends)} sent in {span:.1f} s")
        return len(phase_sends), span

    poll_id = await create_poll(h, staff, "Which day for family visits?", ["Saturday", "Sunday"])
    totals = [await deliver("ballots")]
    # Half the electors vote (through the handlers), so "closing soon" goes to the other half.
    for n, user in enumerate(users[: ELECTORS // 2]):
        await vote(h, user, ["Saturday" if n % 2 else "Sunday"])
    rows = await h.rows(
        "SELECT due_at, key FROM timer WHERE key IN (?, ?) ORDER BY due_at",
        (f"poll:{poll_id}:soon", f"poll:{poll_id}:close"),
    )
    for row in rows:
        h.clock.set(from_db(row["due_at"]) + timedelta(seconds=1))
        await timers.fire_due(h.db, h.clock, h.settings)
        totals.append(await deliver(str(row["key"]).split(":")[-1]))
    await sending.shutdown()
    await h.close()
    sent = sum(n for n, _ in totals)
    share = sent / sum(span for _, span in totals) / RATE
    return {
        "sent": sent,
        "share_of_limit": round(share, 3),
        "max_per_second": network.max_per_second(),
        "refused": network.refused_global + network.refused_chat,
    }


if __name__ == "__main__":
    print(json.dumps(asyncio.run(main())))
