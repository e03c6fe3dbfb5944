"""The shared end-to-end harness: real settings, a real SQLite file, the real Application with
the real handlers, a clock the test moves, and the Bot API double in place of the network."""

from __future__ import annotations

import itertools
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.app import CouncilApp, build_application, on_start
from bot.config import Settings, load_settings
from bot.council import access
from bot.council.clock import FakeClock
from bot.services import Services
from storage.db import Database
from storage.people import PersonRow
from storage.sealing import Sealer
from tests.fakes.double import BotApiDouble, DoubleRequest, TelegramDriver
from tests.support.paths import EXAMPLE_CONFIG, ROOT  # noqa: F401 - re-exported for tests

ADMIN_ID = 100000001  # the admin named in config.example.toml
START = datetime(2026, 11, 2, 10, 0, tzinfo=UTC)  # a Monday morning, outside quiet hours

_ids = itertools.count(500_000_001)


def test_settings(db_path: Path, **changes: Any) -> Settings:
    settings = replace(
        load_settings(EXAMPLE_CONFIG),
        database_path=db_path,
        key_path=db_path.parent / "keys" / "council.key",
    )
    return replace(settings, **changes) if changes else settings


@dataclass
class Harness:
    settings: Settings
    db: Database
    clock: FakeClock
    double: BotApiDouble
    app: CouncilApp
    tg: TelegramDriver
    people: dict[int, PersonRow] = field(default_factory=dict)

    @property
    def services(self) -> Services:
        services = self.app.bot_data["services"]
        assert isinstance(services, Services)
        return services

    def new_user(self, language_code: str = "en") -> int:
        user_id = next(_ids)
        self.double.user(user_id, first_name="Test", language_code=language_code)
        return user_id

    async def invite_code(self, role: str, wing: str | None = "a", label: str = "test") -> str:
        admin = PersonRow(0, None, "admin", "active", "en", True, None, "harness", False)
        async with self.db.transaction() as tx:
            made = await access.create_invite(
                tx,
                self.clock,
                self.settings,
                actor=admin,
                role=role,
                wing=wing if role in ("member", "chair") else None,
                label=label,
            )
        return made.code

    async def join(self, role: str, *, wing: str | None = "a", lang: str = "en") -> int:
        """A new person joins through the real flow: /start CODE, then a language button."""
        user_id = self.new_user()
        code = await self.invite_code(role, wing)
        await self.tg.send(user_id, f"/start {code}")
        await self.tg.press(user_id, "English" if lang == "en" else "Cymraeg")
        return user_id

    async def admin(self) -> int:
        self.double.user(ADMIN_ID, first_name="Admin", language_code="en")
        await self.tg.send(ADMIN_ID, "/start")
        return ADMIN_ID

    async def person(self, user_id: int) -> PersonRow | None:
        async with self.db.transaction() as tx:
            from storage import people

            return await people.by_tg_user(tx, user_id)

    async def rows(self, sql: str, params: tuple[Any, ...] = ()) -> list[dict[str, Any]]:
        async with self.db.transaction() as tx:
            return [dict(r) for r in await tx.all(sql, params)]

    async def deliver(self) -> int:
        """Send every due outbox notice now, through the real sender (bot/delivery.py)."""
        from bot.delivery import drain_now

        return await drain_now(self.app)

    async def close(self) -> None:
        await self.app.shutdown()
        await self.db.close()


async def make_harness(
    tmp_path: Path, *, db_file: str = "council.sqlite3", **changes: Any
) -> Harness:
    settings = test_settings(tmp_path / db_file, **changes)
    db = await Database.open(
        settings.database_path, sealer=Sealer.load_or_create(settings.key_path)
    )
    clock = FakeClock(START)
    double = BotApiDouble()
    request = DoubleRequest(double)
    app = build_application(
        settings,
        db,
        token=double.token,
        clock=clock,
        request=request,
        get_updates_request=DoubleRequest(double),
    )
    await app.initialize()
    await on_start(app)
    tg = TelegramDriver(app, double)
    return Harness(settings, db, clock, double, app, tg)
