"""Two channels in one process for tests: the real Applications (one per channel, from
bot.app.build_channels), one SQLite file, one clock, and a Bot API double per channel. Each
channel is seen through an ordinary Harness, so every existing test step works on either."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.app import build_channels, on_start
from bot.config import Channel
from bot.council.clock import FakeClock
from bot.request import Answer, WrappingRequest
from bot.serve import Channels
from storage.db import Database
from storage.sealing import Sealer
from tests.fakes.double import BotApiDouble, DoubleRequest, TelegramDriver
from tests.support.harness import ADMIN_ID, START, Harness, test_settings
from tests.support.paths import EXAMPLE_CONFIG

TELEGRAM = Channel(
    name="telegram",
    kind="telegram",
    base_url="http://127.0.0.1:9/telegram/bot",
    base_file_url="http://127.0.0.1:9/telegram/file/bot",
    token_env="TELEGRAM_BOT_TOKEN",
    roles=("family", "staff", "observer", "admin"),
    rate_per_second=25.0,
    per_chat_interval_s=1.0,
)
INCELL = Channel(
    name="incell",
    kind="incell",
    base_url="http://127.0.0.1:9/incell/bot",
    base_file_url="http://127.0.0.1:9/incell/file/bot",
    token_env="INCELL_BOT_TOKEN",
    roles=("member", "chair", "staff"),
    rate_per_second=100.0,
    per_chat_interval_s=0.0,
)


class Cable(WrappingRequest):
    """The network between the bot and one channel's server: pull it out and every call fails
    as a dropped connection does, whatever the call (getMe, sendMessage, getUpdates)."""

    def __init__(self, inner: BaseRequest) -> None:
        super().__init__(inner)
        self.down = False

    async def around(
        self, url: str, request_data: RequestData | None, call: Callable[[], Awaitable[Answer]]
    ) -> Answer:
        if self.down:
            raise NetworkError("connection refused (cable pulled)")
        return await call()


@dataclass
class TwoChannels:
    """Telegram (families, staff, admin) and the in-cell channel (members, chairs, staff)."""

    council: Channels
    db: Database
    clock: FakeClock
    tg: Harness  # the Telegram channel, seen as an ordinary harness
    cell: Harness  # the in-cell channel
    cables: dict[str, tuple[Cable, Cable]]

    def pull(self, name: str, down: bool = True) -> None:
        for cable in self.cables[name]:
            cable.down = down

    async def deliver(self) -> int:
        """Every channel's sender drains what is due for it now."""
        return await self.tg.deliver() + await self.cell.deliver()

    async def close(self) -> None:
        for run in self.council.running:
            await run.app.shutdown()
        await self.db.close()


def write_two_channel_config(
    tmp_path: Path, telegram_url: str, incell_url: str, *replacements: tuple[str, str]
) -> Path:
    """config.toml for `python -m bot run` with Telegram and the in-cell channel (the example
    config, its database and key in tmp_path, and any other (old, new) replacements)."""
    text = (
        EXAMPLE_CONFIG.read_text(encoding="utf-8")
        .replace('path = "data/council.sqlite3"', f'path = "{tmp_path / "c.sqlite3"}"')
        .replace('key_file = "keys/council.key"', f'key_file = "{tmp_path / "keys" / "k.key"}"')
    )
    for old, new in replacements:
        text = text.replace(old, new)
    config = tmp_path / "config.toml"
    config.write_text(
        text
        + f"""
[[channels]]
name = "telegram"
kind = "telegram"
base_url = "{telegram_url}"
token_env = "TEST_TELEGRAM_TOKEN"
roles = ["family", "staff", "observer", "admin"]

[[channels]]
name = "incell"
kind = "incell"
base_url = "{incell_url}"
token_env = "TEST_INCELL_TOKEN"
roles = ["member", "chair", "staff"]
""",
        encoding="utf-8",
    )
    return config


def two_channel_settings(db_path: Path, **changes: Any) -> Any:
    changes.setdefault("channels", (TELEGRAM, INCELL))
    changes.setdefault("admin_identities", (("telegram", ADMIN_ID),))
    return replace(test_settings(db_path), **changes)


async def make_two_channels(
    tmp_path: Path,
    *,
    initialize: bool = True,
    polling: bool = False,
    tokens: dict[str, str] | None = None,
    **changes: Any,
) -> TwoChannels:
    settings = two_channel_settings(tmp_path / "council.sqlite3", **changes)
    db = await Database.open(
        settings.database_path, sealer=Sealer.load_or_create(settings.key_path)
    )
    clock = FakeClock(START)
    doubles = {
        "telegram": BotApiDouble(),
        "incell": BotApiDouble(
            token="654321:INCELL-TOKEN", bot_id=654321, username="council_incell_bot"
        ),
    }
    cables = {
        name: (Cable(DoubleRequest(d)), Cable(DoubleRequest(d))) for name, d in doubles.items()
    }
    council = build_channels(
        settings,
        db,
        tokens={name: d.token for name, d in doubles.items()} | (tokens or {}),
        clock=clock,
        requests={name: pair for name, pair in cables.items()},
        polling=polling,
    )
    sides: dict[str, Harness] = {}
    for run in council.running:
        name = run.channel.name
        if initialize:
            await run.app.initialize()
            await on_start(run.app)
        tg = TelegramDriver(run.app, doubles[name])
        sides[name] = Harness(settings, db, clock, doubles[name], run.app, tg)
    return TwoChannels(council, db, clock, sides["telegram"], sides["incell"], cables)
