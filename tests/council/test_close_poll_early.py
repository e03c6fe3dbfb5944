"""Who may close a poll early: staff any poll, a chair only the polls they opened; nobody else,
and nobody twice. The rule is `polls.may_manage`, answered by `polls.close_early`."""

from __future__ import annotations

from datetime import timedelta

from bot.config import Settings
from bot.council import polls, roles
from bot.council.access import Person
from bot.council.clock import FakeClock
from bot.council.polls import EarlyClose
from storage.db import Database
from tests.council.conftest import MakePerson


async def _open(db: Database, clock: FakeClock, settings: Settings, actor: Person) -> int:
    draft = polls.Draft(
        question="Should the gym open on Sundays?",
        options=("Yes", "No"),
        multiple=False,
        audience="members",
        closes_at=clock.now() + timedelta(days=3),
    )
    async with db.transaction() as tx:
        opened = await polls.open_poll(tx, clock, settings, actor=actor, draft=draft)
    assert opened.poll_id, opened.outcome
    return opened.poll_id


async def _close(
    db: Database, clock: FakeClock, settings: Settings, who: Person, poll_id: int
) -> EarlyClose:
    async with db.transaction() as tx:
        return await polls.close_early(tx, clock, settings, actor=who, poll_id=poll_id)


async def test_staff_close_any_poll_once(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    chair, staff = await person(roles.CHAIR), await person(roles.STAFF, wing=None)
    await person(roles.MEMBER)
    poll_id = await _open(db, clock, settings, chair)
    assert await _close(db, clock, settings, staff, poll_id) is EarlyClose.CLOSED
    assert await _close(db, clock, settings, staff, poll_id) is EarlyClose.ALREADY
    async with db.transaction() as tx:
        assert not (await polls.poll_store.get(tx, poll_id)).is_open  # type: ignore[union-attr]


async def test_a_chair_closes_only_their_own_polls(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    opener, other_chair = await person(roles.CHAIR), await person(roles.CHAIR)
    await person(roles.MEMBER)
    poll_id = await _open(db, clock, settings, opener)
    assert await _close(db, clock, settings, other_chair, poll_id) is EarlyClose.NOT_ALLOWED
    assert await _close(db, clock, settings, opener, poll_id) is EarlyClose.CLOSED


async def test_members_families_observers_and_unknown_polls_are_refused(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    chair = await person(roles.CHAIR)
    poll_id = await _open(db, clock, settings, chair)
    for role in (roles.MEMBER, roles.FAMILY, roles.OBSERVER):
        assert (
            await _close(db, clock, settings, await person(role), poll_id) is EarlyClose.NOT_ALLOWED
        )
    staff = await person(roles.STAFF, wing=None)
    assert await _close(db, clock, settings, staff, poll_id + 99) is EarlyClose.NOT_ALLOWED
    async with db.transaction() as tx:
        assert (await polls.poll_store.get(tx, poll_id)).is_open  # type: ignore[union-attr]
