"""The network double answers Telegram's flood limits the way Telegram does (429 with
retry_after), judged at arrival, and counts every arrival. A fixed clock: nothing here is timed."""

from __future__ import annotations

import itertools

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from bot.delivery import Limits, Pacer
from tests.double import BotApiDouble
from tests.double.network import FloodLimits, Network, NetworkRequest


class Ticks:
    def __init__(self) -> None:
        self.t = 100.0

    def __call__(self) -> float:
        return self.t


async def test_the_overall_limit_is_a_429_with_retry_after_and_nothing_delivered() -> None:
    double, ticks = BotApiDouble(), Ticks()
    network = Network(double, limits=FloodLimits(per_second=30), clock=ticks)
    for chat in range(1, 32):
        double.user(chat)
    async with Bot(double.token, request=NetworkRequest(network)) as bot:
        for chat in range(1, 31):
            await bot.send_message(chat, "hello")
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(31, "one too many")
        assert double.sent_texts(31) == []
        ticks.t += 1.0  # a second later the window has room again
        await bot.send_message(31, "now")
    assert "retry in 1 seconds" in refused.value.message.lower()  # PTB reads retry_after
    assert double.sent_texts(31) == ["now"]
    assert network.refused_global == 1
    assert network.max_per_second() == 31  # the refused arrival counts: Telegram saw it


async def test_a_chat_over_its_own_limit_is_refused_alone() -> None:
    double, ticks = BotApiDouble(), Ticks()
    network = Network(double, limits=FloodLimits(per_chat=1.0, chat_burst=2), clock=ticks)
    double.user(7)
    double.user(8)
    async with Bot(double.token, request=NetworkRequest(network)) as bot:
        await bot.send_message(7, "a")
        await bot.send_message(7, "b")
        with pytest.raises(RetryAfter):
            await bot.send_message(7, "c")
        await bot.send_message(8, "other chats go on")
        ticks.t += 1.0
        await bot.send_message(7, "c again")
    assert double.sent_texts(7) == ["a", "b", "c again"]
    assert network.refused_chat == 1 and network.refused_global == 0


def test_the_pacer_spreads_sends_and_stretches_for_jitter() -> None:
    ticks = Ticks()
    pacer = Pacer(Limits(rate=30, per_chat_interval=1.0), monotonic=ticks)
    for _ in range(8):
        pacer.observe(0.05)
        pacer.observe(0.15)
    assert pacer.margin() == pytest.approx(0.055)  # half the round trips' spread, and 10%
    sent = []
    for chat in range(60):
        ticks.t += pacer.global_wait()
        sent.append(ticks.t)
        pacer.record(chat)
    # Never two at once, and no second holds more than R / (1 + margin) sends.
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert min(gaps) == pytest.approx(1.055 / 30)
    assert max(sum(1 for t in sent if s <= t < s + 1.055 - 1e-9) for s in sent) <= 30
    # In flight: enough for the slowest round trip at this pace.
    assert pacer.in_flight_limit() == 16  # 0.15 s x 28.4 a second + 2 is under the floor
    pacer.observe(1.5)
    assert pacer.in_flight_limit() >= 30


def test_scattered_429s_hold_one_chat_and_a_run_of_them_holds_all() -> None:
    ticks = Ticks()
    pacer = Pacer(Limits(rate=30, per_chat_interval=1.0), monotonic=ticks)
    pacer.observe(0.1, refused=True)
    assert not pacer.flood(1, 2.0)
    pacer.observe(0.1)  # an answer that was not a 429: the run is broken
    pacer.observe(0.1, refused=True)
    assert not pacer.flood(2, 2.0)
    assert pacer.chat_wait(1) == pytest.approx(2.0) and pacer.global_wait() == 0.0
    pacer.observe(0.1, refused=True)
    assert not pacer.flood(3, 2.0)
    pacer.observe(0.1, refused=True)
    assert pacer.flood(4, 2.0)  # three 429s in a row for different chats: the overall limit
    assert pacer.global_wait() == pytest.approx(2.0)
