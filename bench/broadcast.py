"""Broadcast through the real outbox sender: notices queued in the database, the Bot API double
answering instantly (in-process), the sender limited to R a second, in real time.

    .venv/bin/python bench/broadcast.py

Clean runs: 1,000 notices at R = 25 and 5,000 at R = 200 (R above the configured cap of 30 is
set with dataclasses.replace: the cap guards Telegram, not the sender). Then a run with faults:
2% of sends answered 429 (retry after 1 s) and 1% answered 403. Last, two channels in one
process (docs/CHANNELS.md): 1,000 notices to 500 people on Telegram (R = 25) and 1,000 to 500
people on the in-cell channel (R = 100), each channel's sender and Bot API double its own, both
draining at once; two_channel_ratio_min is the lower of the two channels' achieved / limit.

achieved rate = final answers / (last - first + 1/R): the time the sends occupied, each send
one slot of 1/R. (Until issue 19 the formula added 1 s instead of 1/R, which is right for a
sender that bursts each second's quota at its start and costs an even sender almost a second:
0.972 at best for 1,000 sends at 30 a second. Both are printed.) A final answer is Telegram's
last word on a notice, where it arrived and counted: 200 (delivered) or 403 (the person blocked
the bot; the notice is parked with its reason, not lost, and no retry could change it). A 429
is not final: the notice is sent again, and the refused call's slot is the sender's loss, so
429s lower the ratio. The faulted run at 50-150 ms prints both figures: ratio_latency_faults
(final answers a second; the target is judged on it, since a 403 is the sender's work done as
surely as a 200) and ratio_latency_faults_delivered (200s only, the figure before issue 19's
second round, kept for comparison; it is lower by the 1% of 403s). Without 403s the two agree.
lost = notices neither sent nor parked with a reason. A 403 parks legitimately (the person
blocked the bot); those are counted apart as parked_403. duplicates = notices that reached
their recipient more than once. The last line is one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import logging
import sys
import tempfile
import time
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_application  # noqa: E402
from bot.council.clock import SystemClock  # noqa: E402
from bot.delivery import Sender  # noqa: E402
from storage.clock import to_db  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.fakes.double import BotApiDouble, DoubleRequest  # noqa: E402
from tests.fakes.double.network import FloodLimits, Network, NetworkRequest  # noqa: E402
from tests.support.harness import test_settings  # noqa: E402

FIRST_USER = 800_000_001


@dataclass
class Figures:
    notices: int
    rate: float
    seconds: float
    achieved: float
    busiest_second: int
    sent: int
    parked_403: int
    parked_other: int
    lost: int
    duplicates: int
    max_per_second: int = 0
    refused: int = 0
    ratio_by_second: float = 0.0  # the formula before issue 19: + 1 s
    delivered: float = 0.0  # achieved, counting only the 200s

    @property
    def ratio(self) -> float:
        return self.achieved / self.rate

    @property
    def ratio_delivered(self) -> float:
        return self.delivered / self.rate


async def run(
    count: int,
    rate: float,
    *,
    p429: float = 0.0,
    p403: float = 0.0,
    latency: tuple[float, float] | None = None,
) -> Figures:
    """latency: a round trip drawn in [low, high] with Telegram's limits (30 a second overall, a
    chat's own) enforced at arrival by the network double; None: the double answers at once."""
    with tempfile.TemporaryDirectory() as folder:
        settings = test_settings(Path(folder) / "broadcast.sqlite3")
        quiet_off = settings.delivery.quiet_start  # equal start and end: no quiet hours
        settings = replace(
            settings,
            delivery=replace(
                settings.delivery, rate_per_second=rate, quiet_start=quiet_off, quiet_end=quiet_off
            ),
        )
        db = await Database.open(settings.database_path)
        double = BotApiDouble()
        for n in range(count):
            double.user(FIRST_USER + n)
        now = to_db(datetime.now(UTC) - timedelta(minutes=1))
        params = json.dumps({"establishment": "HMP Example", "text": "Broadcast"})
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO person (id, tg_user_id, role, language, wing, joined_at, updated_at)"
                " VALUES (?, ?, 'member', 'en', 'a', ?, ?)",
                [(n + 1, FIRST_USER + n, now, now) for n in range(count)],
            )
            await tx.executemany(
                "INSERT INTO outbox (key, chat_id, person_id, message, params, not_before,"
                " created_at) VALUES (?, ?, ?, 'announce.notice', ?, ?, ?)",
                [(f"bench:{n + 1}", FIRST_USER + n, n + 1, params, now, now) for n in range(count)],
            )
        network = None
        request: DoubleRequest | NetworkRequest = DoubleRequest(double)
        if latency is not None:
            network = Network(double, latency=latency, limits=FloodLimits(per_second=30), seed=7)
            request = NetworkRequest(network)
        app = build_application(
            settings, db, token=double.token, clock=SystemClock(), request=request
        )
        await app.initialize()
        sender = Sender(app)
        double.fault_rates(p429=p429, p403=p403, seed=11, retry_after=1)

        started = time.monotonic()
        deadline = started + 120
        while time.monotonic() < deadline:
            await sender.drain(paced=True)
            async with db.transaction() as tx:
                left = await tx.value(
                    "SELECT COUNT(*) FROM outbox WHERE status IN ('queued','sending')"
                )
            if not left:
                break
            await asyncio.sleep(0.05)  # what the background task's nap does: held ones come due
        seconds = time.monotonic() - started

        async with db.transaction() as tx:
            rows = await tx.all("SELECT chat_id, status, last_error FROM outbox")
        await app.shutdown()
        await db.close()

    ok = sorted(c.at for c in double.calls if c.method == "sendMessage" and c.status == 200)
    final = sorted(
        c.at for c in double.calls if c.method == "sendMessage" and c.status in (200, 403)
    )
    busiest, start = 0, 0
    for end, at in enumerate(ok):  # the most sends taken in any one-second window
        while at - ok[start] >= 1.0:
            start += 1
        busiest = max(busiest, end - start + 1)
    # Every arrival at the server, taken or refused: what Telegram would count.
    arrived = network.max_per_second() if network is not None else busiest
    refused = network.refused_global + network.refused_chat if network is not None else 0
    achieved = len(final) / (final[-1] - final[0] + 1.0 / rate) if final else 0.0
    delivered = len(ok) / (ok[-1] - ok[0] + 1.0 / rate) if ok else 0.0
    by_second = len(final) / (final[-1] - final[0] + 1.0) / rate if final else 0.0
    sent = sum(1 for r in rows if r["status"] == "sent")
    parked_403 = sum(
        1 for r in rows if r["status"] == "parked" and (r["last_error"] or "").startswith("403")
    )
    parked_other = sum(
        1
        for r in rows
        if r["status"] == "parked" and r["last_error"] and not r["last_error"].startswith("403")
    )
    lost = len(rows) - sent - parked_403 - parked_other
    duplicates = sum(max(double.delivered_count(FIRST_USER + n) - 1, 0) for n in range(count))
    return Figures(
        count,
        rate,
        seconds,
        achieved,
        busiest,
        sent,
        parked_403,
        parked_other,
        lost,
        duplicates,
        arrived,
        refused,
        by_second,
        delivered,
    )


def show(label: str, f: Figures) -> None:
    print(
        f"{label}: {f.notices} notices at R = {f.rate:g}/s: {f.seconds:.1f} s,"
        f" achieved {f.achieved:.2f}/s (ratio {f.ratio:.3f}; {f.ratio_by_second:.3f} by the + 1 s"
        f" formula; 200s only {f.ratio_delivered:.3f}), busiest second {f.busiest_second},"
        f" sent {f.sent}, parked 403 {f.parked_403}, parked other {f.parked_other},"
        f" lost {f.lost}, duplicates {f.duplicates}, most arrivals in a second"
        f" {f.max_per_second}, refused by the limits {f.refused}"
    )


async def run_two_channels(
    per_channel: int = 1000, people: int = 500, rates: tuple[float, float] = (25.0, 100.0)
) -> dict[str, Figures]:
    """Both channels at once, each held to its own limit; each person gets per_channel/people."""
    from bot.app import build_channels
    from bot.config import Channel

    each = per_channel // people
    with tempfile.TemporaryDirectory() as folder:
        settings = test_settings(Path(folder) / "two.sqlite3")
        quiet_off = settings.delivery.quiet_start
        channels = (
            Channel(
                "telegram",
                "telegram",
                "http://127.0.0.1:9/bot",
                "http://127.0.0.1:9/file/bot",
                "TELEGRAM_BOT_TOKEN",
                ("family", "staff"),
                rates[0],
                1.0,
            ),
            Channel(
                "incell",
                "incell",
                "http://127.0.0.1:9/bot",
                "http://127.0.0.1:9/file/bot",
                "INCELL_BOT_TOKEN",
                ("member", "chair"),
                rates[1],
                0.0,
            ),
        )
        settings = replace(
            settings,
            channels=channels,
            delivery=replace(settings.delivery, quiet_start=quiet_off, quiet_end=quiet_off),
        )
        db = await Database.open(settings.database_path)
        doubles = {
            "telegram": BotApiDouble(),
            "incell": BotApiDouble(token="654321:INCELL", bot_id=654321),  # noqa: S106 - a fake
        }
        now = to_db(datetime.now(UTC) - timedelta(minutes=1))
        params = json.dumps({"establishment": "HMP Example", "text": "Broadcast"})
        people_rows, identity_rows, notice_rows = [], [], []
        for c, name in enumerate(doubles):
            for n in range(people):
                person_id = c * people + n + 1
                user_id = FIRST_USER + n  # the same numbers on both channels: still two people
                doubles[name].user(user_id)
                role = "family" if name == "telegram" else "member"
                people_rows.append((person_id, role, now, now, name))
                identity_rows.append((person_id, name, user_id, now))
                for k in range(each):
                    notice_rows.append(
                        (f"bench:{name}:{k}:{n}", user_id, person_id, params, now, now, name)
                    )
        notice_rows.sort(key=lambda row: (row[0].split(":")[2], row[2]))  # a round at a time
        async with db.transaction() as tx:
            await tx.executemany(
                "INSERT INTO person (id, role, language, wing, joined_at, updated_at,"
                " last_channel) VALUES (?, ?, 'en', 'a', ?, ?, ?)",
                people_rows,
            )
            await tx.executemany(
                "INSERT INTO identity (person_id, channel, user_id, created_at)"
                " VALUES (?, ?, ?, ?)",
                identity_rows,
            )
            await tx.executemany(
                "INSERT INTO outbox (key, chat_id, person_id, message, params, not_before,"
                " created_at, channel) VALUES (?, ?, ?, 'announce.notice', ?, ?, ?, ?)",
                notice_rows,
            )
        council = build_channels(
            settings,
            db,
            tokens={name: d.token for name, d in doubles.items()},
            clock=SystemClock(),
            requests={name: (DoubleRequest(d), DoubleRequest(d)) for name, d in doubles.items()},
            polling=False,
        )
        for running in council.running:
            await running.app.initialize()

        async def drain(sender: Sender) -> float:
            started = time.monotonic()
            while time.monotonic() < started + 180:
                await sender.drain(paced=True)
                async with db.transaction() as tx:
                    left = await tx.value(
                        "SELECT COUNT(*) FROM outbox WHERE channel = ?"
                        " AND status IN ('queued','sending')",
                        (sender.channel,),
                    )
                if not left:
                    break
                await asyncio.sleep(0.05)
            return time.monotonic() - started

        senders = [Sender(running.app) for running in council.running]
        took = await asyncio.gather(*(drain(s) for s in senders))
        async with db.transaction() as tx:
            rows = await tx.all("SELECT channel, status FROM outbox")
        for running in council.running:
            await running.app.shutdown()
        await db.close()

    out: dict[str, Figures] = {}
    for (name, double), rate, seconds in zip(doubles.items(), rates, took, strict=True):
        ok = sorted(c.at for c in double.calls if c.method == "sendMessage" and c.status == 200)
        busiest, start = 0, 0
        for end, at in enumerate(ok):
            while at - ok[start] >= 1.0:
                start += 1
            busiest = max(busiest, end - start + 1)
        # The same formulas as run(): slots of 1/R, and the one-second form beside it.
        achieved = len(ok) / (ok[-1] - ok[0] + 1.0 / rate) if ok else 0.0
        by_second = len(ok) / (ok[-1] - ok[0] + 1.0) / rate if ok else 0.0
        mine = [r for r in rows if r["channel"] == name]
        sent = sum(1 for r in mine if r["status"] == "sent")
        duplicates = sum(
            max(double.delivered_count(FIRST_USER + n) - each, 0) for n in range(people)
        )
        out[name] = Figures(
            len(mine),
            rate,
            seconds,
            achieved,
            busiest,
            sent,
            0,
            0,
            len(mine) - sent,
            duplicates,
            busiest,
            0,
            by_second,
            achieved,  # no 403s here: every final answer is a 200
        )
    return out


async def main() -> None:
    logging.getLogger("bot").setLevel(logging.ERROR)  # a line per 429 would drown the figures
    if "--two-channels" in sys.argv:  # only the two-channel run
        two = await run_two_channels()
        for name, figures in two.items():
            show(f"two channels, {name}", figures)
        ratio = round(min(f.ratio for f in two.values()), 3)
        lost = sum(f.lost for f in two.values())
        dupes = sum(f.duplicates for f in two.values())
        print(
            json.dumps(
                {
                    "two_channel_ratio_min": ratio,
                    "two_channel_lost": lost,
                    "two_channel_duplicates": dupes,
                }
            )
        )
        return
    at_25 = await run(1000, 25)
    show("clean", at_25)
    at_200 = await run(5000, 200)
    show("clean", at_200)
    # Scattered 429s hold only their own chats; the rest go on.
    faulty = await run(1000, 200, p429=0.02, p403=0.01)
    show("faults (2% 429, 1% 403)", faulty)
    # At Telegram's own limit over a network: 50-150 ms round trips, then 0.5-1.5 s.
    near = await run(1000, 30, latency=(0.05, 0.15))
    show("50-150 ms", near)
    near_faulty = await run(1000, 30, latency=(0.05, 0.15), p429=0.02, p403=0.01)
    show("50-150 ms, 2% 429, 1% 403", near_faulty)
    slow = await run(1000, 30, latency=(0.5, 1.5))
    show("0.5-1.5 s", slow)
    at_30 = (near, near_faulty, slow)
    two = await run_two_channels()
    for name, figures in two.items():
        show(f"two channels, {name}", figures)
    print(
        json.dumps(
            {
                "two_channel_ratio_min": round(min(f.ratio for f in two.values()), 3),
                "two_channel_lost": sum(f.lost for f in two.values()),
                "two_channel_duplicates": sum(f.duplicates for f in two.values()),
                "ratio_at_25": round(at_25.ratio, 3),
                "ratio_at_200": round(at_200.ratio, 3),
                "lost": at_25.lost + at_200.lost,
                "duplicates": at_25.duplicates + at_200.duplicates,
                "lost_with_faults": faulty.lost,
                "duplicates_with_faults": faulty.duplicates,
                "parked_403_with_faults": faulty.parked_403,
                "ratio_latency": round(near.ratio, 3),
                "ratio_latency_faults": round(near_faulty.ratio, 3),
                "ratio_latency_faults_delivered": round(near_faulty.ratio_delivered, 3),
                "ratio_slow": round(slow.ratio, 3),
                # The limit figure is at 50-150 ms; the slow run's is shown apart.
                "max_per_second": max(near.max_per_second, near_faulty.max_per_second),
                "max_per_second_slow": slow.max_per_second,
                "lost_at_30": sum(f.lost for f in at_30),
                "duplicates_at_30": sum(f.duplicates for f in at_30),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
