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
from tests.fakes.double import BotApiDouble, DoubleRequest, TelegramDriver
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


# -- the pacer's rules, on a clock that only moves when told -------------------------------------


class Ticks:
    def __init__(self) -> None:
        self.t = 0.0

    def __call__(self) -> float:
        return self.t


def measured(pacer: delivery.Pacer, low: float, high: float) -> None:
    """Round trips seen between low and high, enough for the pacer to trust them."""
    for _ in range(8):
        pacer.observe(low)
        pacer.observe(high)


def test_an_answered_send_is_taken_to_have_arrived_at_mid_round_trip() -> None:
    ticks = Ticks()
    pacer = delivery.Pacer(delivery.Limits(rate=2, per_chat_interval=0.0), monotonic=ticks)
    measured(pacer, 0.1, 0.1)  # one way: 0.05 at least
    pacer.record(1, send="a")
    ticks.t = 0.1
    # Left at 0, answered at 0.1, the way each way at least 0.05: it arrived at 0.05.
    pacer.observe(0.1, send="a")
    assert pacer.arrival_edge() is None  # one arrival: R = 2 leaves room
    ticks.t = 0.5
    pacer.record(2, send="b")
    ticks.t = 0.7
    pacer.observe(0.2, send="b")  # arrived at 0.6 (and a little, for asymmetry)
    # The 2nd latest arrival (0.05) must be a second behind the next one's earliest landing
    # (it leaves, then takes at least the least one-way delay seen, a little under 0.05).
    least, _ = pacer.one_way() or (0.0, 0.0)
    assert 0.045 < least <= 0.05
    edge = pacer.arrival_edge()
    assert edge == pytest.approx(0.05 + 1.0 - least + delivery.ARRIVAL_MARGIN)
    ticks.t = edge - 0.01
    assert pacer.global_wait() == pytest.approx(0.01)
    ticks.t = edge
    assert pacer.global_wait() == 0.0


def test_a_send_in_flight_counts_at_its_worst() -> None:
    ticks = Ticks()
    pacer = delivery.Pacer(delivery.Limits(rate=2, per_chat_interval=0.0), monotonic=ticks)
    measured(pacer, 0.05, 0.15)  # one way: 0.025 to 0.075
    least, most = pacer.one_way() or (0.0, 0.0)
    assert least < 0.025 + 1e-9 and most > 0.075 - 1e-9  # the bounds err on the safe side
    pacer.record(1, send="a")
    ticks.t = 0.1
    pacer.record(2, send="b")
    # Neither answered: each may land as late as the longest one-way delay seen.
    margin = delivery.ARRIVAL_MARGIN
    assert pacer.arrival_edge() == pytest.approx(0.0 + most + 1.0 - least + margin)
    ticks.t = 0.12
    pacer.observe(0.12, send="a")  # answered: it arrived at 0.06 (and a little, for asymmetry)
    least, _ = pacer.one_way() or (0.0, 0.0)
    assert pacer.arrival_edge() == pytest.approx(0.06 + delivery.ASYMMETRY + 1.0 - least + margin)
    # A send overdue beyond any round trip seen may land at any moment: counted as now.
    ticks.t = 5.0
    pacer.record(3, send="c")
    assert pacer.arrival_edge() == pytest.approx(5.0 + 1.0 - least + margin)


def test_a_429_holds_its_chat_only_and_a_run_across_chats_holds_all() -> None:
    ticks = Ticks()
    pacer = delivery.Pacer(delivery.Limits(rate=30, per_chat_interval=1.0), monotonic=ticks)
    pacer.observe(0.1, refused=True)
    assert not pacer.flood(1, 2.0)
    assert pacer.chat_wait(1) == pytest.approx(2.0)
    assert pacer.chat_wait(2) == 0.0 and pacer.global_wait() == 0.0
    assert pacer.waiting_chats() == {1}
    pacer.observe(0.1, refused=True)
    assert not pacer.flood(2, 2.0)
    pacer.observe(0.1, refused=True)
    assert pacer.flood(3, 2.0)  # three chats refused in a row: Telegram's overall limit
    assert pacer.global_wait() == pytest.approx(2.0)


def test_zero_jitter_paces_at_the_full_rate_and_never_over() -> None:
    ticks = Ticks()
    pacer = delivery.Pacer(delivery.Limits(rate=30, per_chat_interval=0.0), monotonic=ticks)
    sent = []
    for n in range(300):  # answered at once, as over a network with no delay
        ticks.t += pacer.global_wait()
        pacer.record(n, send=n)
        pacer.observe(0.0, send=n)
        sent.append(ticks.t)
    assert all(sent[i + 30] - sent[i] >= 1.0 for i in range(len(sent) - 30))
    assert len(sent) / (sent[-1] - sent[0] + 1 / 30) >= 0.99 * 30


def test_a_hold_up_of_the_event_loop_in_flight_moves_the_arrival_estimate_later() -> None:
    ticks = Ticks()
    pacer = delivery.Pacer(delivery.Limits(rate=1, per_chat_interval=0.0), monotonic=ticks)
    measured(pacer, 0.1, 0.1)  # one way: 0.05 at least
    pacer.record(1, send="a")
    ticks.t = 0.15
    pacer.late(0.08)  # the loop woke 0.08 late, while "a" was on its way
    ticks.t = 0.2
    pacer.observe(0.2, send="a")
    # Mid round trip (0.1) moved on by half the hold-up: the hold-up may all have been on the
    # way out.
    least, _ = pacer.one_way() or (0.0, 0.0)
    assert pacer.arrival_edge() == pytest.approx(
        0.14 + delivery.ASYMMETRY + 1.0 - least + delivery.ARRIVAL_MARGIN
    )
    pacer.record(2, send="b")
    ticks.t = 0.3
    pacer.late(0.5)  # a long hold-up: but "b" took 0.1 in all, so it cannot have arrived
    ticks.t = 0.4  # later than its answer less the least delay back
    back, _ = pacer.one_way() or (0.0, 0.0)
    pacer.observe(0.2, send="b")
    least, _ = pacer.one_way() or (0.0, 0.0)
    assert pacer.arrival_edge() == pytest.approx(0.4 - back + 1.0 - least + delivery.ARRIVAL_MARGIN)
    pacer.record(3, send="c")  # a hold-up before it left is none of its business
    ticks.t = 0.5
    back, _ = pacer.one_way() or (0.0, 0.0)
    pacer.observe(0.1, send="c")
    least, _ = pacer.one_way() or (0.0, 0.0)
    arrived = min(0.45 + delivery.ASYMMETRY, 0.5 - back)
    assert pacer.arrival_edge() == pytest.approx(arrived + 1.0 - least + delivery.ARRIVAL_MARGIN)


def test_over_a_spread_too_wide_to_guarantee_it_paces_at_r_and_slows_on_429s() -> None:
    ticks = Ticks()
    pacer = delivery.Pacer(delivery.Limits(rate=30, per_chat_interval=0.0), monotonic=ticks)
    measured(pacer, 0.05, 0.15)
    assert pacer.guaranteed()
    pacer.observe(2.0)  # one hold-up does not switch the guarantee off
    assert pacer.guaranteed()
    measured(pacer, 0.5, 1.5)
    assert not pacer.guaranteed()
    assert pacer.interval() == pytest.approx(1 / (30 * delivery.OPEN_PACE))
    pacer.observe(1.0, refused=True)
    assert pacer.interval() == pytest.approx(1 / (30 * delivery.OPEN_PACE * delivery.OPEN_DECREASE))
    for _ in range(100):
        pacer.observe(1.0, refused=True)
    assert pacer.pace == pytest.approx(delivery.OPEN_FLOOR)  # never slower than the floor
    for _ in range(300):
        pacer.observe(1.0)
    assert pacer.pace == pytest.approx(delivery.OPEN_PACE)  # won back, never past it
