"""The paced sender on virtual time: no one-second window holds more than R sends, no chat gets
two sends closer than the per-chat interval, a 429 holds and resumes. Nothing really sleeps."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from bot import delivery
from bot.app import build_application, on_start, start_background, stop_background
from bot.delivery import Sender
from storage.db import Database
from tests.double import BotApiDouble, DoubleRequest, TelegramDriver
from tests.support import harness as harness_module
from tests.support.delivery import queue, seed_people
from tests.support.harness import START, Harness


class VirtualTime:
    """monotonic() and sleep() for the sender, and now() for the app: one virtual clock."""

    def __init__(self) -> None:
        self.t = 0.0

    def monotonic(self) -> float:
        return self.t

    async def sleep(self, seconds: float) -> None:
        # Sends already dispatched reach the double before time moves on, as they would.
        for _ in range(5):
            await asyncio.sleep(0)
        self.t += seconds
        await asyncio.sleep(0)

    def now(self) -> datetime:
        return START + timedelta(seconds=self.t)


@pytest.fixture
async def paced(tmp_path: Path) -> AsyncIterator[tuple[Harness, VirtualTime, Sender]]:
    vt = VirtualTime()
    settings = harness_module.test_settings(tmp_path / "paced.sqlite3")
    db = await Database.open(settings.database_path)
    double = BotApiDouble(clock=vt.monotonic)
    app = build_application(
        settings,
        db,
        token=double.token,
        clock=vt,
        request=DoubleRequest(double),
        get_updates_request=DoubleRequest(double),
    )
    await app.initialize()
    await on_start(app)
    sender = Sender(app, monotonic=vt.monotonic, sleep=vt.sleep)
    app.bot_data["sender"] = sender
    harness = Harness(settings, db, vt, double, app, TelegramDriver(app, double))  # type: ignore[arg-type]
    try:
        yield harness, vt, sender
    finally:
        await harness.close()


def sends(h: Harness, status: int = 200) -> list[Any]:
    return [c for c in h.double.calls if c.method == "sendMessage" and c.status == status]


def assert_paced(calls: list[Any], rate: int, interval: float) -> None:
    times = sorted(c.at for c in calls)
    for i in range(len(times) - rate):
        assert times[i + rate] - times[i] >= 1.0, f"more than {rate} sends within a second"
    by_chat: dict[int, list[float]] = {}
    for call in calls:
        by_chat.setdefault(call.params["chat_id"], []).append(call.at)
    for chat_times in by_chat.values():
        for a, b in itertools.pairwise(chat_times):
            assert b - a >= interval, "two sends to one chat closer than the interval"


async def test_overall_rate_and_per_chat_interval_hold(
    paced: tuple[Harness, VirtualTime, Sender],
) -> None:
    h, vt, sender = paced
    busy = await seed_people(h, 40)
    single = await seed_people(h, 30)
    for person in busy:
        for n in range(3):
            await queue(h, person, f"pace:{person.id}:{n}", f"n{n}")
    for person in single:
        await queue(h, person, f"pace:{person.id}:0", "n0")

    assert await sender.drain(paced=True) == 150
    calls = sends(h)
    assert len(calls) == 150
    assert_paced(calls, rate=25, interval=1.0)
    # Close to the allowed rate, not far under it: 150 at 25 a second is 6 seconds.
    assert vt.t <= 150 / 25 + 1.5
    for person in busy:  # and each person reads their notices in the order they were queued
        assert h.double.sent_texts(person.tg_user_id) == [  # type: ignore[arg-type]
            f"Announcement from HMP Example:\n\n{n}" for n in ("n0", "n1", "n2")
        ]


async def test_scattered_429s_hold_only_their_chats_then_resume(
    paced: tuple[Harness, VirtualTime, Sender],
) -> None:
    h, vt, sender = paced
    crowd = await seed_people(h, 120)
    for person in crowd:
        await queue(h, person, f"flood:{person.id}")
    h.double.fault_rates(p429=0.02, seed=3, retry_after=2)
    for _ in range(50):
        await sender.drain(paced=True)
        if not await h.rows("SELECT id FROM outbox WHERE status != 'sent'"):
            break
        await vt.sleep(0.5)  # the background task naps until the next notice is due
    assert not await h.rows("SELECT id FROM outbox WHERE status != 'sent'")
    ok, floods = sends(h), sends(h, 429)
    assert floods, "the seed should produce some 429s"
    assert sorted(c.params["chat_id"] for c in ok) == sorted(p.tg_user_id for p in crowd)  # type: ignore[type-var]
    for flood in floods:
        # The refused chat waits retry_after; the others go on being sent meanwhile.
        chat = flood.params["chat_id"]
        assert not [c for c in ok if c.params["chat_id"] == chat and c.at < flood.at + 2.0 - 1e-9]
    first = floods[0]
    assert [c for c in ok if first.at < c.at < first.at + 2.0]
    assert_paced(ok, rate=25, interval=1.0)


async def test_429s_across_chats_hold_everything_for_retry_after(
    paced: tuple[Harness, VirtualTime, Sender],
) -> None:
    h, vt, sender = paced
    crowd = await seed_people(h, 60)
    for person in crowd:
        await queue(h, person, f"overall:{person.id}")
    # Telegram's overall limit refuses every chat at once: three different chats in a row.
    h.double.fail_next("sendMessage", error="429", retry_after=3, count=3)
    for _ in range(50):
        await sender.drain(paced=True)
        if not await h.rows("SELECT id FROM outbox WHERE status != 'sent'"):
            break
        await vt.sleep(0.5)
    assert not await h.rows("SELECT id FROM outbox WHERE status != 'sent'")
    ok, floods = sends(h), sends(h, 429)
    assert len(floods) == 3 and len({f.params["chat_id"] for f in floods}) == 3
    third = floods[-1]
    # Sends already on their way may land; nothing leaves after the third until it is over.
    assert not [c for c in ok if third.at + 0.2 < c.at < third.at + 3.0 - 1e-9]
    assert len(ok) == 60
    assert_paced(ok, rate=25, interval=1.0)


async def test_a_chat_flood_holds_only_that_chat(
    paced: tuple[Harness, VirtualTime, Sender],
) -> None:
    h, vt, sender = paced
    chatty, other = await seed_people(h, 2)
    await queue(h, chatty, "chat:0", "c0")
    assert await sender.drain(paced=True) == 1
    # The next send to the same chat is refused: a 429 right after a send there is that
    # chat's own limit, so only that chat waits.
    h.double.fail_next("sendMessage", chat_id=chatty.tg_user_id, error="429", retry_after=5)
    for n in (1, 2):
        await queue(h, chatty, f"chat:{n}", f"c{n}")
    for n in range(4):
        await queue(h, other, f"other:{n}", f"o{n}")
    sent = await sender.drain(paced=True)
    for _ in range(20):  # as the background task does: nap until the held ones are due
        if not await h.rows("SELECT id FROM outbox WHERE status != 'sent'"):
            break
        await vt.sleep(1.0)
        sent += await sender.drain(paced=True)
    assert sent == 6
    (refused,) = sends(h, 429)
    chatty_ok = [c for c in sends(h) if c.params["chat_id"] == chatty.tg_user_id]
    other_ok = [c for c in sends(h) if c.params["chat_id"] == other.tg_user_id]
    assert next(c.at for c in chatty_ok if c.at > refused.at) >= refused.at + 5.0
    assert [c for c in other_ok if refused.at < c.at < refused.at + 5.0]
    assert h.double.sent_texts(chatty.tg_user_id) == [  # type: ignore[arg-type]
        f"Announcement from HMP Example:\n\n{n}" for n in ("c0", "c1", "c2")
    ]
    assert_paced(sends(h), rate=25, interval=1.0)


async def test_the_background_task_wakes_on_commit_and_stops_cleanly(tmp_path: Path) -> None:
    from tests.support.harness import make_harness

    h = await make_harness(tmp_path)
    try:
        (person,) = await seed_people(h, 1)
        await start_background(h.app)
        await queue(h, person, "wake:1", "woken")
        for _ in range(300):  # the sender runs on its own; wait for it, bounded
            if h.double.sent_texts(person.tg_user_id):  # type: ignore[arg-type]
                break
            await asyncio.sleep(0.01)
        assert h.double.sent_texts(person.tg_user_id) == [  # type: ignore[arg-type]
            "Announcement from HMP Example:\n\nwoken"
        ]
        await stop_background(h.app)
        await queue(h, person, "wake:2", "after stop")
        await asyncio.sleep(0.05)
        rows = await h.rows("SELECT key, status FROM outbox ORDER BY id")
        assert rows == [{"key": "wake:1", "status": "sent"}, {"key": "wake:2", "status": "queued"}]
    finally:
        await stop_background(h.app)
        await h.close()


def test_quiet_release_crosses_midnight_in_the_establishment_zone(tmp_path: Path) -> None:
    from datetime import UTC, time

    settings = harness_module.test_settings(tmp_path / "x.sqlite3")
    at = datetime(2026, 7, 1, 20, 45, tzinfo=UTC)  # 21:45 in London (BST)
    assert delivery.quiet_release(at, settings) == datetime(2026, 7, 2, 6, 30, tzinfo=UTC)
    assert delivery.quiet_release(datetime(2026, 7, 1, 12, 0, tzinfo=UTC), settings) is None
    assert delivery.quiet_release(datetime(2026, 7, 2, 6, 29, tzinfo=UTC), settings) is not None
    day_window = replace(
        settings, delivery=replace(settings.delivery, quiet_start=time(12), quiet_end=time(13))
    )
    assert delivery.quiet_release(datetime(2026, 1, 5, 12, 30, tzinfo=UTC), day_window) == (
        datetime(2026, 1, 5, 13, 0, tzinfo=UTC)
    )
    off = replace(
        settings, delivery=replace(settings.delivery, quiet_start=time(0), quiet_end=time(0))
    )
    assert delivery.quiet_release(at, off) is None
