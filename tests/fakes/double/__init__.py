"""A fake Telegram Bot API for end-to-end tests and benchmarks of the bot.

In process (fast, no sockets)::

    double = BotApiDouble()
    app = (
        ApplicationBuilder().token(double.token)
        .request(DoubleRequest(double)).get_updates_request(DoubleRequest(double))
        .updater(None).build()
    )
    async with app:
        tg = TelegramDriver(app, double)
        await tg.send(1001, "/start")
        await tg.press(1001, "English")

Over HTTP (the real httpx transport, or a bot in another process)::

    with serve_http(double) as server:
        ApplicationBuilder().token(double.token).base_url(server.base_url)...
        double.push_update(double.message_update(1001, "/start"))  # served by getUpdates
"""

from bot.botapi import Button, CommandsKey

from .core import Answer, BotApiDouble, Call, ConnectionDropped, SentMessage
from .driver import TelegramDriver
from .http import HttpDouble, serve_http
from .request import DoubleRequest

__all__ = [
    "Answer",
    "BotApiDouble",
    "Button",
    "Call",
    "CommandsKey",
    "ConnectionDropped",
    "DoubleRequest",
    "HttpDouble",
    "SentMessage",
    "TelegramDriver",
    "serve_http",
]
