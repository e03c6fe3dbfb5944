"""Each channel's health: the record of its Bot API answers (ChannelHealth) and the transport
that keeps it (TrackedRequest). Handlers, the sender and the health check read it here; the
code that builds and runs the channels is bot/app.py and bot/serve.py (docs/CHANNELS.md).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram.error import NetworkError
from telegram.ext import Application
from telegram.request import BaseRequest, RequestData

from bot.council.clock import Clock
from bot.request import Answer, WrappingRequest

CouncilApp = Application[Any, Any, Any, Any, Any, Any]

# Calls failing in a row before a channel counts as down (one dropped connection is not).
DOWN_AFTER = 3
# Answers that show the server and the token at work, though this one call was refused.
WORKING_ANSWERS = frozenset({400, 403, 429})


@dataclass
class ChannelHealth:
    """What the admin's /delivery (and a health endpoint) says about one channel. Updated on
    every Bot API call the channel makes: sends, long polls, getMe."""

    name: str
    kind: str
    clock: Clock
    last_ok: datetime | None = None  # the last Bot API call that got an answer
    # The last answer showing the server and the token at work (what /healthz asks, bot/ops):
    # 2xx, or a refusal about one call (400, 403, 429); not 401/404/409 (the token refused).
    last_working: datetime | None = None
    last_failure: datetime | None = None
    failures: int = 0  # calls failed in a row since the last answer
    error: str = ""
    connected: bool = False  # its Application started and is taking updates
    refused: bool = False  # the server refused the token: the channel stays off until fixed

    @property
    def up(self) -> bool:
        return self.failures < DOWN_AFTER

    def ok(self) -> None:
        self.last_ok = self.clock.now()
        self.failures = 0
        self.error = ""

    def failed(self, error: str) -> None:
        self.last_failure = self.clock.now()
        self.failures += 1
        self.error = error[:200]


class TrackedRequest(WrappingRequest):
    """A Bot API transport that records every call's outcome in its channel's health. Any
    answer from the server counts as reachable; no answer (or a 5xx from a gateway) does not."""

    def __init__(self, inner: BaseRequest, health: ChannelHealth) -> None:
        super().__init__(inner)
        self.health = health

    async def around(
        self, url: str, request_data: RequestData | None, call: Callable[[], Awaitable[Answer]]
    ) -> Answer:
        try:
            status, body = await call()
        except (NetworkError, OSError) as exc:
            # Never the URL: it holds the token.
            self.health.failed(type(exc).__name__)
            raise
        if status >= 500:
            self.health.failed(f"HTTP {status}")
        else:
            self.health.ok()
            if status < 300 or status in WORKING_ANSWERS:
                self.health.last_working = self.health.last_ok
        return status, body


def health_of(app: CouncilApp) -> ChannelHealth | None:
    found = app.bot_data.get("channel_health")
    return found if isinstance(found, ChannelHealth) else None


def health_all(extras: dict[str, Any]) -> list[ChannelHealth]:
    """Every channel's health, in config order, from the extras all channels share."""
    found = extras.get("channel_health")
    if not isinstance(found, dict):
        return []
    return [h for h in found.values() if isinstance(h, ChannelHealth)]
