"""The local channel as one object: its store, its Bot API and its HTTP server.

The bot reaches it only through base_url, exactly like a self-hosted Bot API server; nothing in
the bot changes between channels.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from bot.botapi import FloodGuard
from bot.config import InCell, Settings
from bot.local.api import LocalBotApi
from bot.local.http import LocalServer
from bot.local.signin import CouncilLink, Gate
from bot.local.store import ChannelStore
from bot.local.transport import LocalRequest

if TYPE_CHECKING:
    from bot.app import CouncilApp
    from bot.council.clock import Clock
    from storage.db import Database

# The local bot's Telegram-like id; the token is "<id>:<secret made once per store>".
LOCAL_BOT_ID = 7000000001
STORE_NAME = "local-channel.sqlite3"


def store_path(settings: Settings) -> Path:
    """The local channel's own file, next to the bot's database."""
    return settings.database_path.parent / STORE_NAME


class LocalChannel:
    def __init__(self, store: ChannelStore, api: LocalBotApi, server: LocalServer) -> None:
        self.store = store
        self.api = api
        self.server = server

    @property
    def gate(self) -> Gate | None:
        return self.server.gate

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        host: str = "127.0.0.1",
        port: int = 8080,
        flood: FloodGuard | None = None,
        incell: InCell | None = None,
        council: CouncilLink | None = None,
    ) -> LocalChannel:
        """The demo when ``incell`` is None or its signin is "none"; else the in-cell channel,
        everyone signed in, joining through ``council`` (docs/INCELL.md)."""
        store = ChannelStore(path)
        token = f"{LOCAL_BOT_ID}:{store.secret('bot_token')}"
        api = LocalBotApi(store, token, flood=flood)
        gate = None
        if incell is not None and incell.signin != "none":
            if council is None:
                raise ValueError("sign-in needs the council to check invite codes")

            async def welcome(user_id: int) -> None:
                # The bot's own first-time welcome starts with the language question.
                api.send_text(user_id, "/language")

            gate = Gate(incell, store, council, on_joined=welcome)
        incell = incell or InCell()
        server = LocalServer(
            api,
            host,
            port,
            gate=gate,
            bot_port=incell.bot_api_port,
            max_body_bytes=incell.max_body_bytes,
            slow_client_s=incell.slow_client_s,
            public_url=incell.public_url,
        )
        try:
            await server.start()
        except OSError:
            store.close()
            raise
        return cls(store, api, server)

    @property
    def token(self) -> str:
        return self.api.token

    @property
    def address(self) -> str:
        """What to open in a browser."""
        return self.server.address

    def request(self) -> LocalRequest:
        """The bot's transport to this channel in the same process (bot/local/transport.py)."""
        return LocalRequest(self.api)

    def bot_settings(self, settings: Settings) -> Settings:
        """The bot's settings pointed at this channel (and long polling: nothing calls in)."""
        telegram = replace(
            settings.telegram,
            base_url=self.server.base_url,
            base_file_url=self.server.base_file_url,
            webhook_url="",
        )
        return replace(settings, telegram=telegram)

    async def close(self) -> None:
        await self.server.close()
        self.store.close()


@asynccontextmanager
async def bot_on_channel(
    settings: Settings,
    db: Database,
    channel: LocalChannel,
    *,
    clock: Clock | None = None,
    in_process: bool = False,
) -> AsyncIterator[CouncilApp]:
    """The whole bot in this process, long polling the channel: over HTTP, or (``in_process``,
    as ``python -m bot run`` does) through the channel's own transport."""
    from bot.app import build_application, on_start, start_background, stop_background

    app = build_application(
        channel.bot_settings(settings),
        db,
        token=channel.token,
        clock=clock,
        request=channel.request() if in_process else None,
    )
    async with app:
        await on_start(app)
        await start_background(app)
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=10)
        try:
            yield app
        finally:
            await app.updater.stop()
            await stop_background(app)
            await app.stop()
