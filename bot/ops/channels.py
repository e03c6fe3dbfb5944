"""Each channel the bot serves, watched: when its Bot API last answered.

A channel is one Application talking to one Bot API (Telegram, or the in-cell channel's own
server). Its requests pass through WatchedRequest, which notes every answer, so the health
check knows whether the server is there without adding calls of its own while the bot is busy.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram.ext import Application
from telegram.request import BaseRequest

from bot.services import Services

CouncilApp = Application[Any, Any, Any, Any, Any, Any]

_KEY = "ops.channel"
# Answers that show the server and the token at work: a bad request, a chat that blocked the
# bot, a flood wait. Not 401/404 (the token is refused), 409 (another bot polls with this
# token) or 5xx.
_WORKING = frozenset({400, 403, 429})


class WatchedRequest(BaseRequest):
    """Passes every call to the real request and notes each answer from the server."""

    def __init__(self, inner: BaseRequest, on_answer: Callable[[], None]) -> None:
        self.inner = inner
        self._on_answer = on_answer

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        code, payload = await self.inner.do_request(*args, **kwargs)
        if code < 300 or code in _WORKING:
            self._on_answer()
        return code, payload


@dataclass
class Channel:
    name: str
    app: CouncilApp
    last_answer: datetime | None = None


def watch(app: CouncilApp, name: str) -> Channel:
    """Wrap the Application's requests once, before app.initialize()."""
    found = app.bot_data.get(_KEY)
    if isinstance(found, Channel):
        return found
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    channel = Channel(name, app)

    def answered() -> None:
        channel.last_answer = services.clock.now()

    bot: Any = app.bot
    # PTB keeps (getUpdates request, every other request) here and offers no hook for it.
    bot._request = tuple(WatchedRequest(r, answered) for r in bot._request)
    app.bot_data[_KEY] = channel
    return channel


def channel_of(app: CouncilApp) -> Channel:
    found = app.bot_data.get(_KEY)
    return found if isinstance(found, Channel) else watch(app, "main")
