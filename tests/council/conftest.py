"""The council called directly: a real SQLite file, a clock the test moves, no Telegram. These
fixtures are the whole set-up a rule's test needs; a test reads like the rule it pins."""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

import pytest

from bot.config import Settings
from bot.council import timers
from bot.council.access import Person
from bot.council.clock import FakeClock
from storage import people
from storage.db import Database
from storage.sealing import Sealer
from tests.support.harness import START, test_settings

MakePerson = Callable[..., Awaitable[Person]]


@pytest.fixture(autouse=True)
def timer_kinds() -> None:
    # The one table of timer kinds (handlers.TIMERS) is installed at build; the council refuses
    # to schedule a kind not in it, so direct tests install the same table.
    import handlers

    timers.install(handlers.TIMERS)


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return test_settings(tmp_path / "council.sqlite3")


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(START)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = await Database.open(
        settings.database_path, sealer=Sealer.load_or_create(settings.key_path)
    )
    try:
        yield database
    finally:
        await database.close()


@pytest.fixture
def person(db: Database, clock: FakeClock) -> MakePerson:
    ids = itertools.count(700_000_001)

    async def make(role: str, wing: str | None = "a") -> Person:
        async with db.transaction() as tx:
            person_id = await people.upsert_member(
                tx,
                tg_user_id=next(ids),
                role=role,
                wing=wing,
                label=None,
                language="en",
                now=clock.now(),
            )
            row = await people.by_id(tx, person_id)
        assert row is not None
        return row

    return make
