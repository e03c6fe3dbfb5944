"""The outbox sender: the one place that sends notices to the Bot API.

Every notice is a row first (bot.council.notices.notify). One task drains the rows at Telegram's
pace: at most R a second overall and one per chat interval. A row is marked 'sending' (committed)
before the call and 'sent' after it, so a crash loses nothing; a row caught in flight by a crash
is sent again once on restart. See docs/DELIVERY.md.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import logging
import math
import time
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from telegram import InlineKeyboardButton, InlineKeyboardMarkup
from telegram.constants import MessageLimit
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.ext import Application

from bot import i18n
from bot.channels import health_of
from bot.config import Settings
from bot.council import notices
from bot.services import Services
from storage import outbox
from storage import people as people_store
from storage.db import Tx
from storage.outbox import NoticeRow

log = logging.getLogger(__name__)

CouncilApp = Application[Any, Any, Any, Any, Any, Any]
Monotonic = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]

# Sends in flight at once: the pacer sets this from the measured round trip (enough to keep R a
# second going over a slow network), between these bounds. It is also the most notices a crash
# can catch in flight (each is sent at most once more on restart).
MIN_IN_FLIGHT = 16
IN_FLIGHT = 128
BATCH = 64
# How long the sender naps when nothing is due and nobody wakes it (a safety net only).
IDLE_NAP_S = 60.0
MAX_BACKOFF_S = 300.0
_EPSILON = 1e-6
# Round trips remembered: the least and the most of these bound the way to the receiver.
ROUND_TRIPS_KEPT = 256
# A real path is not quite symmetric (and the bot's own work on each leg is not even): an
# answered send's arrival is taken this much after mid round trip, but never after its answer
# less the least delay back (where it must have arrived if the fastest way back is the fastest
# way there). The rule itself keeps a float-safe margin: Telegram's window edge is strict.
ASYMMETRY = 0.004
ARRIVAL_MARGIN = 0.0002
# The event loop waking late means it or the machine was busy: a request in flight then was
# held up too, on one leg or the other, and a hold-up on the way out alone puts its midpoint
# estimate early by half of it. While sending on the real clock, a probe measures that lateness
# every LATENESS_PROBE_S; a send's arrival estimate is moved later by half the worst hold-up in
# its flight (never past the latest it can have arrived: its answer less the least delay back).
LATENESS_PROBE_S = 0.01
LATENESS_KEPT_S = 10.0
# Above this spread of the one-way delay (seconds), guaranteeing R in every second at the
# receiver costs more than it saves (at 0.5 s it would cap the rate at two thirds of R): the
# pacer then sends evenly at a little under R and lets Telegram refuse the few that land
# together. A little under: at 0.5-1.5 s round trips, 1/1.1 of R (the largest stretch of the
# open-loop pacer before) gave the best rate and the fewest 429s (bench/broadcast.py's slow
# run: 0.883 and 26 refused, against 0.845 and 98 at R, and 0.833 and 37 for AIMD from R).
GUARANTEE_SPREAD = 0.1
OPEN_PACE = 1 / 1.1
# Without a guarantee, each 429 slows the pace by this factor (never under the floor), and each
# other answer wins back a little of it, up to OPEN_PACE: additive increase, multiplicative
# decrease, as TCP. A few scattered 429s cost little; a network that crowds many seconds slows.
OPEN_DECREASE = 0.97
OPEN_FLOOR = 0.8
OPEN_INCREASE = 0.001
# Tokens the bucket holds: 2 lets a send that left late be followed on time (the pace keeps its
# average) without ever letting a burst through; at high rates a few more save wake-ups.
SENDS_PER_WAKE = 50
# A 429 is one chat's flood unless this many answers in a row were 429s for different chats:
# Telegram's overall limit refuses every request, a chat's limit only that chat's, so scattered
# 429s (a few in a hundred) almost never come three in a row, and an overall flood always does.
GLOBAL_FLOOD_CHATS = 3
# The longest the sender sleeps for its turn without looking again while sends are out.
WAIT_STEP_S = 0.05
# A send the pacer heard nothing of for this long is forgotten (its task was cancelled).
FORGET_AFTER_S = 120.0


@dataclass(frozen=True)
class Limits:
    """The receiver's limits one pacer keeps to (one pacer per channel)."""

    rate: float  # sends a second overall
    per_chat_interval: float  # least seconds between two sends to one chat
    max_in_flight: int = IN_FLIGHT


class Pacer:
    """Paces sends at the receiver: Telegram counts a message when it *arrives*, so the pacer
    keeps the arrivals, not the departures, to R in any one second.

    Closed loop: a send answered after a round trip r is taken to have arrived at r / 2 after it
    left (the symmetric-path assumption NTP makes; a real network is not quite symmetric, which
    ASYMMETRY and the least delay below absorb). A send still in flight is taken at its
    worst: left + the longest one-way delay seen. A new send arrives no sooner than the least
    one-way delay seen, so it may leave once the R-th latest arrival is a second (less that
    least delay) behind where it can land: then no second at the receiver holds more than R.
    Sends also leave one slot of a token bucket apart (never a burst), no chat gets two sends
    closer than the per-chat interval, and the sends kept in flight follow the round trip.

    When the one-way delay spreads more than GUARANTEE_SPREAD, the guarantee would cost a third
    of the rate: the pacer then sends evenly at OPEN_PACE of R, slowed a little by each 429
    (AIMD), and the few sends Telegram refuses are held and sent again like any 429.

    A chat's 429 holds that chat; a run of 429s across chats holds everything.
    Self-contained: knows nothing of the outbox, only times, chat ids and send ids."""

    def __init__(
        self,
        rate: float | Limits,
        per_chat_interval: float = 1.0,
        monotonic: Monotonic = time.monotonic,
    ) -> None:
        limits = rate if isinstance(rate, Limits) else Limits(float(rate), per_chat_interval)
        self.limits = limits
        self.rate = max(limits.rate, 1e-3)
        self.per_chat_interval = limits.per_chat_interval
        self.monotonic = monotonic
        self.capacity = max(1, math.floor(self.rate))
        self.bucket = max(2, math.ceil(self.rate / SENDS_PER_WAKE))
        self._tokens = 1.0
        self._tokens_at = monotonic()
        self._left: dict[Hashable, float] = {}  # sends in flight: when each left
        self._landed: list[float] = []  # estimated arrivals of answered sends, the last seconds'
        self._chat_ready: dict[int, float] = {}
        self._all_ready = 0.0
        self._round_trips: deque[float] = deque(maxlen=ROUND_TRIPS_KEPT)
        self._measured_cache: tuple[tuple[float, float] | None, bool] | None = None
        self._measured_of = -1
        self._refused_in_a_row: set[int] = set()  # chats of the 429s since the last other answer
        self.pace = OPEN_PACE  # share of R sent at when there is no guarantee (AIMD)
        self._lateness: deque[tuple[float, float]] = deque()  # (when, how late) the last seconds'

    # -- measured: the way to the receiver ---------------------------------------------------

    def observe(
        self, round_trip: float, *, refused: bool = False, send: Hashable | None = None
    ) -> None:
        """A send's answer came: round_trip from leaving to its answer; refused: it was a 429;
        send: the id it was recorded with (its arrival is then estimated and kept)."""
        now = self.monotonic()
        left = self._left.pop(send, None) if send is not None else None
        if left is not None:
            # The round trip as the caller measured it, from the call itself: the moments
            # between the pacer's turn and the call starting are not on the way to Telegram.
            round_trip = min(max(round_trip, 0.0), now - left)
            started = now - round_trip
            bounds = self.one_way()
            back = bounds[0] if bounds is not None else 0.0
            arrived = started + round_trip / 2 + ASYMMETRY + self._held_up(started, now)
            # Refused or not, it arrived and counted. Kept in order, the last seconds' only.
            bisect.insort(self._landed, min(arrived, now - back))
            if len(self._landed) > 2 * self.capacity + 64:
                del self._landed[: bisect.bisect_right(self._landed, now - 2.0)]
        self._round_trips.append(max(round_trip, 0.0))
        self._measured_cache = None
        if refused:
            if not self.guaranteed():
                self.pace = max(OPEN_FLOOR, self.pace * OPEN_DECREASE)
        else:
            self._refused_in_a_row.clear()
            self.pace = min(OPEN_PACE, self.pace + OPEN_INCREASE)

    def late(self, seconds: float) -> None:
        """The event loop woke `seconds` later than asked (see LATENESS_PROBE_S)."""
        if seconds > 0.001:
            now = self.monotonic()
            lateness = self._lateness
            lateness.append((now, seconds))
            while lateness and lateness[0][0] < now - LATENESS_KEPT_S:
                lateness.popleft()

    def _held_up(self, started: float, answered: float) -> float:
        """How much later than mid round trip a send may have arrived: half the event loop's
        worst hold-up during its flight."""
        # The worst, not the sum: a request waits for the loop once on each leg, and hold-ups
        # one after another are the same busy loop seen by each probe. Newest first: a flight
        # is short, so only the last few count.
        worst = 0.0
        for at, late in reversed(self._lateness):
            if at <= started:
                break
            if at - late < answered:
                worst = max(worst, late)
        return worst / 2

    def margin(self) -> float:
        """What the arrival rule leaves over (ARRIVAL_MARGIN)."""
        return ARRIVAL_MARGIN

    def one_way(self) -> tuple[float, float] | None:
        """The least and the most one-way delay (half round trips), widened at each end by the
        gap a sample of this size leaves to the true bounds; None until 8 are measured."""
        return self._measured()[0]

    def guaranteed(self) -> bool:
        """Is the delay steady enough to keep every second at the receiver to R? Judged on the
        usual spread (the 90th percentile of the round trips against the least), so that one
        hold-up of the event loop does not switch the guarantee off. Until measured: yes (the
        safe side)."""
        return self._measured()[1]

    def _measured(self) -> tuple[tuple[float, float] | None, bool]:
        # Worked out once per new round trip, not on every look at the pace (R can be 200).
        if self._measured_of == len(self._round_trips) and self._measured_cache is not None:
            return self._measured_cache
        trips = self._round_trips
        if len(trips) < 8:
            result: tuple[tuple[float, float] | None, bool] = (None, True)
        else:
            ordered = sorted(trips)
            least, most = ordered[0] / 2, ordered[-1] / 2
            slack = (most - least) / len(ordered)
            usual = ordered[int(len(ordered) * 0.9)] / 2
            result = (
                (max(least - slack, 0.0), most + slack),
                usual - least <= GUARANTEE_SPREAD,
            )
        self._measured_cache, self._measured_of = result, len(trips)
        return result

    def interval(self) -> float:
        """Seconds between two tokens: one slot of R, or of R slowed by the 429s seen."""
        if self.guaranteed():
            return 1.0 / self.rate
        return 1.0 / (self.rate * self.pace)

    def in_flight_limit(self) -> int:
        """Enough sends in flight to keep R a second going at the slowest round trip seen."""
        if not self._round_trips:
            # Not yet measured: room for a second's sends, so a slow network does not start slow.
            wanted = math.ceil(self.rate) + 2
        else:
            wanted = math.ceil(max(self._round_trips) * self.rate * 1.1) + 2
        return min(max(wanted, MIN_IN_FLIGHT), max(self.limits.max_in_flight, 1))

    def arrival_edge(self) -> float | None:
        """The earliest a send may leave so that no second at the receiver holds more than R
        (with the arrivals known and the ones in flight at their worst); None: no bound."""
        now = self.monotonic()
        bounds = self.one_way()
        least = bounds[0] if bounds is not None else 0.0
        # Arrivals a second or more before the new one's earliest landing share no second with it.
        horizon = now + least - 1.0
        landed = self._landed
        arrivals = landed[max(bisect.bisect_right(landed, horizon), len(landed) - self.capacity) :]
        for send, left in list(self._left.items()):
            if now - left > FORGET_AFTER_S:
                del self._left[send]
            elif bounds is None or now > left + 2 * bounds[1]:
                arrivals.append(max(now, left))  # unmeasured or overdue: it may land any moment
            else:
                arrivals.append(left + bounds[1])
        if len(arrivals) < self.capacity:
            return None
        arrivals.sort()
        return arrivals[-self.capacity] + 1.0 - least + self.margin()

    # -- the pace ------------------------------------------------------------------------------

    def _refilled(self, now: float) -> float:
        return min(float(self.bucket), self._tokens + (now - self._tokens_at) / self.interval())

    def global_wait(self) -> float:
        now = self.monotonic()
        wait = self._all_ready - now
        tokens = self._refilled(now)
        # Within _EPSILON counts as there: float sums of tiny waits must not loop for ever.
        if tokens < 1.0 - _EPSILON:
            wait = max(wait, (1.0 - tokens) * self.interval())
        if self.guaranteed():
            edge = self.arrival_edge()
            if edge is not None:
                wait = max(wait, edge - now)
        return wait if wait > _EPSILON else 0.0

    def chat_wait(self, chat_id: int) -> float:
        wait = self._chat_ready.get(chat_id, 0.0) - self.monotonic()
        return wait if wait > _EPSILON else 0.0

    def waiting_chats(self) -> set[int]:
        now = self.monotonic()
        if len(self._chat_ready) > 10_000:
            self._chat_ready = {c: t for c, t in self._chat_ready.items() if t > now}
        return {c for c, t in self._chat_ready.items() if t > now + _EPSILON}

    def record(self, chat_id: int, send: Hashable | None = None) -> None:
        """A send leaves now: the next slot is one interval on, and this chat waits its turn.
        send: an id for observe() to name its answer by (without one, no arrival is kept)."""
        now = self.monotonic()
        self._tokens = self._refilled(now) - 1.0
        self._tokens_at = now
        if send is not None:
            self._left[send] = now
        self._hold(chat_id, now + self.per_chat_interval + _EPSILON)

    # -- Telegram said wait ----------------------------------------------------------------------

    def flood(self, chat_id: int, seconds: float) -> bool:
        """A 429 for chat_id: hold that chat; hold everything when the last answers were 429s
        for several chats in a row (the overall limit). True when everything is held."""
        self._refused_in_a_row.add(chat_id)
        self.hold_chat(chat_id, seconds)
        if len(self._refused_in_a_row) >= GLOBAL_FLOOD_CHATS:
            self.hold_all(seconds)
            return True
        return False

    def hold_chat(self, chat_id: int, seconds: float) -> None:
        self._hold(chat_id, self.monotonic() + seconds)

    def hold_all(self, seconds: float) -> None:
        self._all_ready = max(self._all_ready, self.monotonic() + seconds)

    def _hold(self, chat_id: int, until: float) -> None:
        self._chat_ready[chat_id] = max(self._chat_ready.get(chat_id, 0.0), until)


@dataclass(frozen=True)
class Prepared:
    """A notice rendered in its reader's language and marked 'sending'."""

    notice_id: int
    key: str
    chat_id: int
    person_id: int | None
    text: str
    markup: InlineKeyboardMarkup | None
    attempt: int


def quiet_release(now: datetime, settings: Settings) -> datetime | None:
    """The end of the quiet hours `now` falls in (establishment time), or None outside them."""
    zone = settings.establishment.timezone
    start, end = settings.delivery.quiet_start, settings.delivery.quiet_end
    if start == end:
        return None
    local = now.astimezone(zone)
    clock_time = local.time().replace(tzinfo=None)
    if start > end:  # the window crosses midnight, like 21:30 to 07:30
        if clock_time >= start:
            day = local.date() + timedelta(days=1)
        elif clock_time < end:
            day = local.date()
        else:
            return None
    elif start <= clock_time < end:
        day = local.date()
    else:
        return None
    return datetime.combine(day, end, tzinfo=zone)


def render(
    notice: NoticeRow,
    lang: str,
    settings: Settings,
    max_length: int = MessageLimit.MAX_TEXT_LENGTH,
) -> tuple[str, InlineKeyboardMarkup | None]:
    """The notice's text and buttons in the reader's language, as they are now (send time),
    cut to the channel's longest message."""
    zone = settings.establishment.timezone
    text = i18n.t(lang, notice.message, zone, **notice.params)
    if len(text) > max_length:
        text = text[: max_length - 1] + "…"
    if not notice.buttons:
        return text, None
    rows = [
        [
            InlineKeyboardButton(
                i18n.t(lang, spec["m"], zone) if "m" in spec else spec.get(f"x:{lang}", spec["x"]),
                callback_data=spec["d"],
            )
            for spec in row
        ]
        for row in notice.buttons
    ]
    return text, InlineKeyboardMarkup(rows)


def _retry_seconds(exc: RetryAfter) -> float:
    with warnings.catch_warnings():
        # PTB 22 warns that retry_after will become a timedelta; take either.
        warnings.simplefilter("ignore")
        value: Any = exc.retry_after
    if isinstance(value, timedelta):
        return max(value.total_seconds(), 0.0)
    return max(float(value), 0.0)


def backoff(attempt: int) -> float:
    """Seconds before try number attempt + 1 after a network error: 1, 2, 4 ... up to 5 minutes."""
    return float(min(2 ** max(attempt - 1, 0), MAX_BACKOFF_S))


class Sender:
    """Drains the outbox. One per Application; the background task and drain_now share it."""

    def __init__(
        self,
        app: CouncilApp,
        *,
        monotonic: Monotonic = time.monotonic,
        sleep: Sleep = asyncio.sleep,
        in_flight: int = IN_FLIGHT,
    ) -> None:
        self.app = app
        services = app.bot_data["services"]
        assert isinstance(services, Services)
        self.services = services
        self.sleep = sleep
        # One sender per channel: it sends that channel's notices only, paced by its own limits
        # (a Channel has [delivery]'s rate_per_second and per_chat_interval_s, by channel).
        self.channel = services.channel
        delivery = services.settings.channel(self.channel) or services.settings.all_channels()[0]
        self.max_text_length = delivery.max_text_length
        self.monotonic = monotonic
        self.pacer = Pacer(
            Limits(delivery.rate_per_second, delivery.per_chat_interval_s, max(1, in_flight)),
            monotonic=monotonic,
        )
        self._in_flight: dict[int, int] = {}  # notice id -> chat id
        self._tasks: set[asyncio.Task[None]] = set()
        self._sent: list[tuple[int, datetime, int | None]] = []  # sent, not yet marked
        self._sent_lock = asyncio.Lock()
        self._wake = asyncio.Event()
        self._lock = asyncio.Lock()  # one drain at a time: background pass or drain_now
        self._task: asyncio.Task[None] | None = None
        self._stopping = False
        self.listening = False  # registered as the database's post-commit listener

    # -- waking -------------------------------------------------------------------------------

    def on_commit(self, kind: str, payload: object) -> None:
        """Database post-commit listener: a new notice wakes the sender at once."""
        if kind == "outbox":
            self._wake.set()

    # -- the background task -----------------------------------------------------------------

    def start(self) -> None:
        if self._task is None:
            self._stopping = False
            self._task = asyncio.create_task(self._run(), name="outbox-sender")

    async def stop(self) -> None:
        """Finish the sends in flight; everything still queued waits in the outbox."""
        self._stopping = True
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._settle_all()

    async def _run(self) -> None:
        while not self._stopping:
            try:
                # Cleared before the pass, so a notice committed during it wakes the next nap.
                self._wake.clear()
                await self.drain(paced=True)
                await self._nap()
            except asyncio.CancelledError:
                raise
            except Exception:
                # The sender must outlive any one bad row or database hiccup.
                log.exception("outbox sender pass failed; trying again shortly")
                await self.sleep(1.0)

    async def _nap(self) -> None:
        """Sleep until woken by a new notice or until the next queued one is due."""
        if self._stopping:
            return
        services = self.services
        async with services.db.transaction() as tx:
            next_at = await outbox.next_due_at(tx, self.channel)
        nap = IDLE_NAP_S
        if next_at is not None:
            nap = min(nap, max((next_at - services.clock.now()).total_seconds(), 0.05))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._wake.wait(), timeout=nap)

    # -- draining -----------------------------------------------------------------------------

    async def drain(self, *, paced: bool) -> int:
        """Send every notice due now. Paced: at Telegram's pace with sends overlapping, as the
        background task does. Unpaced: one after another with no waits (drain_now, tests)."""
        async with self._lock:
            if paced:
                return await self._drain_paced()
            return await self._drain_unpaced()

    async def _drain_unpaced(self) -> int:
        sent = 0
        seen: set[int] = set()
        while True:
            async with self.services.db.transaction() as tx:
                batch = await outbox.due(
                    tx,
                    self.services.clock.now(),
                    BATCH,
                    skip_ids=seen,
                    channel=self.channel,
                )
            if not batch:
                return sent
            for notice in batch:
                seen.add(notice.id)
                for prepared in await self._prepare([notice.id]):
                    sent += int(await self._send(prepared, paced=False))

    async def _drain_paced(self) -> int:
        # On the real clock only: virtual time (tests) has no event loop lateness to measure.
        probe = (
            asyncio.create_task(self._probe_lateness())
            if self.monotonic is time.monotonic
            else None
        )
        try:
            return await self._drain_paced_probed()
        finally:
            if probe is not None:
                probe.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await probe

    async def _probe_lateness(self) -> None:
        """How late the event loop wakes, for the pacer's margin (LATENESS_PROBE_S)."""
        while True:
            before = time.monotonic()
            await asyncio.sleep(LATENESS_PROBE_S)
            self.pacer.late(time.monotonic() - before - LATENESS_PROBE_S)

    async def _drain_paced_probed(self) -> int:
        counter = [0]
        while not self._stopping:
            blocked = set(self._in_flight.values()) | self.pacer.waiting_chats()
            async with self.services.db.transaction() as tx:
                now = self.services.clock.now()
                skip = list(self._in_flight)
                batch = await outbox.due(
                    tx, now, BATCH, skip_ids=skip, skip_chats=blocked, channel=self.channel
                )
                waiting = (
                    []
                    if batch
                    else await outbox.due(tx, now, 1, skip_ids=skip, channel=self.channel)
                )
            if not batch and not waiting and not self._in_flight:
                break
            progressed = False
            pending = list(batch)
            while pending and not self._stopping:
                while len(self._in_flight) >= self.pacer.in_flight_limit():
                    await self._wait_settled()
                # A few at a time, prepared in one transaction before their turn: the database
                # work hides in the pacing wait, and each send leaves when the pacer says.
                room = min(self.pacer.in_flight_limit() - len(self._in_flight), 16)
                group: list[NoticeRow] = []
                chats: set[int] = set()
                rest: list[NoticeRow] = []
                for notice in pending:
                    chat = notice.chat_id
                    if chat in self._in_flight.values() or self.pacer.chat_wait(chat) > 0:
                        blocked.add(chat)  # a send or a 429 to this chat came in meanwhile
                    elif chat in chats or len(group) >= room:
                        rest.append(notice)  # one per chat per group keeps each chat in order
                    else:
                        group.append(notice)
                        chats.add(chat)
                pending = rest
                if not group:
                    break
                progressed = True
                await self._dispatch(await self._prepare([n.id for n in group]), counter)
            if not batch and not waiting:
                await self._wait_settled()
            elif not progressed:
                await self._wait_for_chats(blocked)
        await self._settle_all()
        return counter[0]

    async def _dispatch(self, group: list[Prepared], counter: list[int]) -> None:
        """Send a prepared group, each at its turn. Not yet sent: a crash now costs no duplicate."""
        for prepared in group:
            self._in_flight[prepared.notice_id] = prepared.chat_id
        waiting = list(group)
        try:
            while waiting:
                await self._wait_global()
                prepared = waiting.pop(0)
                self.pacer.record(prepared.chat_id, send=prepared.notice_id)
                task = asyncio.create_task(self._send_tracked(prepared, counter))
                self._tasks.add(task)
                task.add_done_callback(self._tasks.discard)
                # Let the request leave now, so it reaches Telegram when the pacer counted it.
                await asyncio.sleep(0)
        finally:
            for prepared in waiting:  # stopped before their turn: sent after the next start
                self._in_flight.pop(prepared.notice_id, None)

    async def _send_tracked(self, prepared: Prepared, counter: list[int]) -> None:
        try:
            if await self._send(prepared, paced=True):
                counter[0] += 1
        except Exception:
            log.exception("notice %s: sending failed unexpectedly", prepared.notice_id)
        finally:
            self._in_flight.pop(prepared.notice_id, None)

    async def _wait_global(self) -> None:
        wait = self.pacer.global_wait()
        while wait > 0:
            # An answer coming in may bring the turn closer (a send in flight was counted at
            # its worst): look again at least every WAIT_STEP_S while sends are out.
            await self.sleep(min(wait, WAIT_STEP_S) if self._tasks else wait)
            wait = self.pacer.global_wait()

    async def _wait_settled(self) -> None:
        if self._tasks:
            await asyncio.wait(set(self._tasks), return_when=asyncio.FIRST_COMPLETED)

    async def _wait_for_chats(self, blocked: set[int]) -> None:
        """Everything due is for chats that must wait: until one is free, or a send settles."""
        busy = set(self._in_flight.values())
        waits = [self.pacer.chat_wait(c) for c in blocked - busy]
        if any(w <= 0 for w in waits):
            return  # a chat came free while we looked
        if busy:
            # A send settling frees its chat, and sends settle within a network round trip.
            await self._wait_settled()
            return
        await self.sleep(min(waits) if waits else 0.05)

    async def _settle_all(self) -> None:
        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- one notice ---------------------------------------------------------------------------

    async def _prepare(self, notice_ids: list[int]) -> list[Prepared]:
        """Decide in one transaction for each notice: drop, hold, park, or render and mark
        'sending'. Returns the ones to send, in queue order."""
        services = self.services
        settings = services.settings
        ready: list[Prepared] = []
        async with services.db.transaction() as tx:
            now = services.clock.now()
            release = quiet_release(now, settings)
            for row in await outbox.for_sending(tx, notice_ids):
                notice = row.notice
                if notice.not_before > now:
                    continue  # moved back since it was fetched (its chat is waiting)
                if notice.expires_at is not None and notice.expires_at <= now:
                    await outbox.finish(tx, notice.id, "dropped", now, "expired before sending")
                    continue
                lang = settings.establishment.default_language
                if notice.person_id is not None:
                    if row.person_status != "active":
                        reason = "recipient no longer active"
                        await outbox.finish(tx, notice.id, "dropped", now, reason)
                        continue
                    if row.person_unreachable:
                        reason = "recipient unreachable (blocked the bot)"
                        await outbox.finish(tx, notice.id, "parked", now, reason)
                        await self._urgent_lost(tx, [notice.id])
                        continue
                    lang = row.person_language or lang
                if not notice.urgent and release is not None:
                    if notice.expires_at is not None and notice.expires_at <= release:
                        reason = "quiet hours: its moment passes before they end"
                        await outbox.finish(tx, notice.id, "dropped", now, reason)
                    else:
                        await outbox.hold(tx, notice.id, release)
                    continue
                try:
                    text, markup = render(notice, lang, settings, self.max_text_length)
                except (KeyError, ValueError, IndexError, TypeError) as exc:
                    reason = f"cannot render {notice.message}: {type(exc).__name__} {exc}"
                    await outbox.finish(tx, notice.id, "parked", now, reason)
                    await self._urgent_lost(tx, [notice.id])
                    log.error("notice %s parked: %s", notice.key, reason)
                    continue
                ready.append(
                    Prepared(
                        notice.id,
                        notice.key,
                        notice.chat_id,
                        notice.person_id,
                        text,
                        markup,
                        notice.attempts + 1,
                    )
                )
            # Committed before the calls: after a crash these are sent again (at most once).
            await outbox.mark_sending_many(tx, [p.notice_id for p in ready])
        return ready

    async def _send(self, notice: Prepared, *, paced: bool) -> bool:
        """One Bot API call and its outcome, recorded. True when Telegram took the message."""
        left = self.monotonic()
        refused = False
        try:
            try:
                message = await self.app.bot.send_message(
                    notice.chat_id, notice.text, reply_markup=notice.markup
                )
            except RetryAfter:
                refused = True
                raise
            finally:
                if paced:
                    self.pacer.observe(
                        self.monotonic() - left, refused=refused, send=notice.notice_id
                    )
        except RetryAfter as exc:
            await self._flood(notice, _retry_seconds(exc), paced=paced)
            return False
        except Forbidden as exc:
            await self._blocked(notice, exc)
            return False
        except (BadRequest, ChatMigrated) as exc:
            # BadRequest is a NetworkError in PTB: it must be caught first. Retrying cannot help.
            await self._park(notice, f"400 {exc.message}")
            return False
        except (NetworkError, TelegramError) as exc:
            await self._network(notice, exc, paced=paced)
            return False
        except Exception as exc:
            log.exception("notice %s: unexpected error while sending", notice.key)
            await self._park(notice, f"unexpected {type(exc).__name__}")
            return False
        await self._record_sent(notice.notice_id, message.message_id)
        return True

    async def _record_sent(self, notice_id: int, message_id: int) -> None:
        """Mark sent, several sends sharing one commit when they finish together."""
        self._sent.append((notice_id, self.services.clock.now(), message_id))
        async with self._sent_lock:
            batch, self._sent = self._sent, []
            if batch:  # empty when an earlier waiter's commit already carried this one
                async with self.services.db.transaction() as tx:
                    await outbox.mark_sent_many(tx, batch)

    async def _flood(self, notice: Prepared, seconds: float, *, paced: bool) -> None:
        """429: hold, then resume; nothing is dropped and the wait does not use up a try."""
        held_all = self.pacer.flood(notice.chat_id, seconds) if paced else True
        log.warning(
            "429 from Telegram: %s waits %.0f s", "every chat" if held_all else "one chat", seconds
        )
        later = self.services.clock.now() + timedelta(seconds=seconds)
        async with self.services.db.transaction() as tx:
            await outbox.requeue(tx, notice.notice_id, later, f"429 retry after {seconds:g}s")
            await outbox.delay_chat(tx, notice.chat_id, later, self.channel)

    async def _blocked(self, notice: Prepared, exc: TelegramError) -> None:
        """403: they blocked the bot. Mark them unreachable and park all that is queued to them."""
        now = self.services.clock.now()
        async with self.services.db.transaction() as tx:
            # Only this identity: the person may still be reached on another channel.
            await people_store.set_identity_unreachable(tx, self.channel, notice.chat_id, True, now)
            urgent = await outbox.urgent_queued_for_chat(tx, notice.chat_id, self.channel)
            parked = await outbox.park_chat(
                tx, notice.chat_id, now, f"403 {exc.message}"[:300], self.channel
            )
            await self._urgent_lost(tx, [*urgent, notice.notice_id])
        log.info("a recipient blocked the bot: %d notice(s) parked", parked)

    async def _channel_down(
        self, notice: Prepared, failures: int, reason: str, *, paced: bool
    ) -> None:
        """The channel's server is down (every call fails), not this notice: wait for it to come
        back without using up a try, so its notices go out once it returns (docs/CHANNELS.md)."""
        wait = min(backoff(failures), 60.0)
        if paced:
            self.pacer.hold_all(wait)
        later = self.services.clock.now() + timedelta(seconds=wait)
        async with self.services.db.transaction() as tx:
            await outbox.requeue(tx, notice.notice_id, later, f"channel down: {reason}")
            await outbox.delay_chat(tx, notice.chat_id, later, self.channel)

    async def _park(self, notice: Prepared, reason: str) -> None:
        async with self.services.db.transaction() as tx:
            await outbox.finish(tx, notice.notice_id, "parked", self.services.clock.now(), reason)
            await self._urgent_lost(tx, [notice.notice_id])
        log.warning("notice %s parked: %s", notice.key, reason)

    async def _urgent_lost(self, tx: Tx, notice_ids: list[int]) -> None:
        """A parked urgent notice reaches the admins at once (bot.council.notices)."""
        lost = await outbox.urgent_among(tx, notice_ids)
        if lost:
            told = await notices.urgent_undelivered(tx, self.services.clock, lost)
            log.warning(
                "%d urgent notice(s) could not be delivered; %d admin(s) told", len(lost), told
            )

    async def _network(self, notice: Prepared, exc: TelegramError, *, paced: bool) -> None:
        """A dropped connection or time-out: try again later, up to max_attempts, then park."""
        reason = f"{type(exc).__name__} {exc.message}"
        health = health_of(self.app)
        if health is not None and await _server_down(self.app):
            await self._channel_down(notice, health.failures, reason, paced=paced)
            return
        if notice.attempt >= self.services.settings.delivery.max_attempts:
            await self._park(notice, f"gave up after {notice.attempt} tries: {reason}")
            return
        wait = backoff(notice.attempt)
        if paced:
            # The network is likely down for everyone: pause rather than hammer it.
            self.pacer.hold_all(min(wait, 5.0))
        later = self.services.clock.now() + timedelta(seconds=wait)
        async with self.services.db.transaction() as tx:
            await outbox.retry_later(tx, notice.notice_id, later, reason)
            await outbox.delay_chat(tx, notice.chat_id, later, self.channel)


async def _server_down(app: CouncilApp) -> bool:
    """Is the channel's whole server unreachable, or only this send? One cheap call decides."""
    try:
        await app.bot.get_me()
    except (BadRequest, Forbidden, RetryAfter):
        return False  # it answered
    except (NetworkError, TelegramError, OSError):
        return True
    return False


def sender_of(app: CouncilApp) -> Sender:
    sender = app.bot_data.get("sender")
    if sender is None:
        sender = Sender(app)
        app.bot_data["sender"] = sender
    assert isinstance(sender, Sender)
    return sender


async def drain_now(app: CouncilApp) -> int:
    """Send every notice due now (by the app's clock) at once, without pacing waits.
    Returns how many Telegram took. This is what tests use (Harness.deliver)."""
    return await sender_of(app).drain(paced=False)


def start(app: CouncilApp) -> Sender:
    sender = sender_of(app)
    if not sender.listening:
        sender.services.db.listen(sender.on_commit)
        sender.listening = True
    sender.start()
    return sender


async def stop(app: CouncilApp) -> None:
    sender = app.bot_data.get("sender")
    if isinstance(sender, Sender):
        await sender.stop()
