"""The network between the bot and Telegram, for benchmarks and tests: latency with jitter, and
Telegram's flood limits answered the way Telegram answers them.

    double = BotApiDouble()
    network = Network(double, latency=(0.05, 0.15), limits=FloodLimits(per_second=30))
    app = build_application(..., request=NetworkRequest(network))
    ...
    network.max_per_second()  # the most sends that arrived in any one second

Each call waits half its drawn round trip before it reaches the double (its *arrival*) and the
other half after; the limits are judged at arrival, as Telegram judges them at its servers, not
when the bot sent. A call over a limit is answered 429 with ``parameters.retry_after``, exactly as
Telegram does, and never reaches the double (nothing delivered). Every arrival of a limited
method is counted, answered or refused, so ``max_per_second`` is what Telegram would have seen.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import math
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from telegram.request import RequestData

from bot.request import Answer, WrappingRequest

from .core import BotApiDouble, JsonDict, error_body
from .request import DoubleRequest

# The methods Telegram's broadcast limits count: messages that land in a chat.
LIMITED = frozenset({"sendmessage", "sendphoto", "senddocument", "copymessage", "forwardmessage"})


@dataclass
class FloodLimits:
    """Telegram's limits as documented ("about 30 messages a second overall; in one chat, avoid
    more than one a second", with short bursts tolerated): a rolling one-second window overall,
    and a token bucket per chat (``chat_burst`` at once, refilled at ``per_chat`` a second)."""

    per_second: int = 30
    per_chat: float = 1.0
    chat_burst: int = 3
    retry_after: int = 1
    methods: frozenset[str] = LIMITED


@dataclass
class _ChatBucket:
    tokens: float
    at: float


@dataclass
class Network:
    """Latency and limits in front of a BotApiDouble; one per benchmark run."""

    double: BotApiDouble
    latency: tuple[float, float] = (0.0, 0.0)  # round trip, drawn uniformly in [low, high]
    limits: FloodLimits | None = None
    seed: int = 0
    clock: Callable[[], float] = time.monotonic
    arrivals: list[float] = field(default_factory=list)  # limited methods, answered or refused
    refused_global: int = 0
    refused_chat: int = 0
    _rng: random.Random = field(init=False)
    _window: deque[float] = field(init=False, default_factory=deque)
    _chats: dict[int, _ChatBucket] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def round_trip(self) -> float:
        low, high = self.latency
        return self._rng.uniform(low, high) if high > 0 else 0.0

    def admit(self, method: str, params: JsonDict) -> JsonDict | None:
        """At arrival: None to pass the call on, or the 429 body Telegram would answer."""
        lowered = method.lower()
        limits = self.limits
        if limits is None or lowered not in limits.methods:
            return None
        now = self.clock()
        self.arrivals.append(now)
        window = self._window
        while window and window[0] <= now - 1.0:
            window.popleft()
        if len(window) >= limits.per_second:
            self.refused_global += 1
            return _too_many(max(limits.retry_after, math.ceil(window[0] + 1.0 - now)))
        chat = _chat_of(params)
        if chat is not None and limits.per_chat > 0:
            bucket = self._chats.get(chat)
            if bucket is None:
                bucket = self._chats[chat] = _ChatBucket(float(limits.chat_burst), now)
            bucket.tokens = min(
                float(limits.chat_burst), bucket.tokens + (now - bucket.at) * limits.per_chat
            )
            bucket.at = now
            if bucket.tokens < 1.0:
                self.refused_chat += 1
                wait = (1.0 - bucket.tokens) / limits.per_chat
                return _too_many(max(limits.retry_after, math.ceil(wait)))
            bucket.tokens -= 1.0
        window.append(now)
        return None

    def max_per_second(self) -> int:
        """The most arrivals of limited methods in any one-second window (rolling)."""
        times = sorted(self.arrivals)
        best = 0
        for index, at in enumerate(times):
            best = max(best, bisect.bisect_left(times, at + 1.0, lo=index) - index)
        return best


def _chat_of(params: JsonDict) -> int | None:
    raw = params.get("chat_id")
    try:
        return None if raw is None else int(raw)
    except (TypeError, ValueError):
        return None


def _too_many(seconds: int) -> JsonDict:
    return error_body(429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds})


class NetworkRequest(WrappingRequest):
    """A ``BaseRequest`` that crosses ``network`` to its double: for ``request()`` (sends, edits,
    answers). Long polls (getUpdates) go to the plain DoubleRequest: they wait anyway."""

    def __init__(self, network: Network) -> None:
        super().__init__(DoubleRequest(network.double))
        self.network = network

    async def around(
        self, url: str, request_data: RequestData | None, call: Callable[[], Awaitable[Answer]]
    ) -> Answer:
        trip = self.network.round_trip()
        if trip > 0:
            await asyncio.sleep(trip / 2)  # on the way to Telegram
        api_method = url.rpartition("/")[2]
        params: JsonDict = request_data.parameters if request_data is not None else {}
        refused = self.network.admit(api_method, params)
        if refused is not None:
            status, body = 429, json.dumps(refused).encode()
        else:
            status, body = await call()
        if trip > 0:
            await asyncio.sleep(trip / 2)  # and back
        return status, body
