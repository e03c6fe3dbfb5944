"""The network double answers Telegram's flood limits the way Telegram does (429 with
retry_after), judged at arrival, and counts every arrival. A fixed clock: nothing here is timed."""

from __future__ import annotations

import heapq
import itertools

import pytest
from telegram import Bot
from telegram.error import RetryAfter

from bot.delivery import Limits, Pacer
from tests.fakes.double import BotApiDouble
from tests.fakes.double.network import FloodLimits, Network, NetworkRequest


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


def run_paced(pacer: Pacer, network: Network, ticks: Ticks, sends: int) -> list[float]:
    """Sends through the network double on the fixed clock, each leaving when the pacer says;
    its arrival is admitted (and counted) after half its round trip, its answer observed after
    the whole. Returns the arrival times of the calls answered 200."""
    events: list[tuple[float, int, str, int, float]] = []  # (time, order, kind, send, trip)
    taken: list[float] = []
    left = 0
    while left < sends or events:
        turn = ticks.t + pacer.global_wait() if left < sends else float("inf")
        if events and events[0][0] <= turn:
            at, _, kind, send, trip = heapq.heappop(events)
            ticks.t = at
            if kind == "arrive":
                if network.admit("sendMessage", {"chat_id": send}) is None:
                    taken.append(at)
            else:
                pacer.observe(trip, send=send)
            continue
        ticks.t = turn
        pacer.record(send := left, send=send)
        trip = network.round_trip()
        heapq.heappush(events, (ticks.t + trip / 2, 2 * send, "arrive", send, trip))
        heapq.heappush(events, (ticks.t + trip, 2 * send + 1, "answer", send, trip))
        left += 1
    return taken


def test_the_pacer_keeps_every_second_at_the_receiver_to_r_over_jittery_latency() -> None:
    ticks = Ticks()
    network = Network(
        BotApiDouble(),
        latency=(0.05, 0.15),
        limits=FloodLimits(per_second=30, per_chat=0),
        seed=5,
        clock=ticks,
    )
    pacer = Pacer(Limits(rate=30, per_chat_interval=0.0), monotonic=ticks)
    started = ticks.t
    taken = run_paced(pacer, network, ticks, 600)
    # Arrivals, not departures, are what Telegram counts: never more than 30 in a second there,
    # so nothing was refused; and the closed loop loses little of the rate to the jitter.
    assert network.max_per_second() <= 30 and len(taken) == 600
    assert network.refused_global == 0
    assert len(taken) / (taken[-1] - taken[0] + 1 / 30) >= 0.95 * 30
    assert pacer.guaranteed()
    # In flight: enough for the slowest round trip at this pace.
    assert pacer.in_flight_limit() == 16  # 0.15 s x 30 a second x 1.1 + 2 is under the floor
    pacer.observe(1.5)
    assert pacer.in_flight_limit() >= 30
    assert ticks.t > started


def test_sends_never_leave_in_a_burst() -> None:
    ticks = Ticks()
    pacer = Pacer(Limits(rate=30, per_chat_interval=1.0), monotonic=ticks)
    sent = []
    for chat in range(60):
        ticks.t += pacer.global_wait()
        sent.append(ticks.t)
        pacer.record(chat)
    # One slot of 1/R apart once the bucket's first token is spent, never two at once.
    gaps = [b - a for a, b in itertools.pairwise(sent)]
    assert min(gaps) == pytest.approx(1 / 30)
    assert max(sum(1 for t in sent if s <= t < s + 1.0 - 1e-9) for s in sent) <= 30


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
