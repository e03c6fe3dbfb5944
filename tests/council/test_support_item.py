"""What happens when a member supports an item: it counts once per person, only on a published
item still open, never on one's own; families and staff cannot support (the role guard stands
behind the registry's own check). The rule is `agenda.support`."""

from __future__ import annotations

import pytest

from bot.config import Settings
from bot.council import agenda, roles, triage
from bot.council.access import Person
from bot.council.agenda import Supported
from bot.council.clock import FakeClock
from bot.council.roles import NotAllowed
from storage import agenda as agenda_store
from storage.db import Database
from tests.council.conftest import MakePerson

TEXT = "The kettles on A wing have been broken for two weeks."


async def _raise(db: Database, clock: FakeClock, settings: Settings, member: Person) -> int:
    draft = agenda.Draft(topic="food", wing="a", text=TEXT, name_hidden=False)
    async with db.transaction() as tx:
        return (await agenda.raise_item(tx, clock, settings, person=member, draft=draft)).id


async def _accept(
    db: Database, clock: FakeClock, settings: Settings, staff: Person, item_id: int
) -> None:
    async with db.transaction() as tx:
        item = await agenda_store.get(tx, item_id)
        assert item is not None
        decision = await triage.accept(
            tx, clock, settings, actor=staff, item_id=item_id, version=item.version
        )
    assert decision.done


async def _support(db: Database, clock: FakeClock, who: Person, item_id: int) -> Supported:
    async with db.transaction() as tx:
        return await agenda.support(tx, clock, person=who, item_id=item_id)


async def _count(db: Database, item_id: int) -> int:
    async with db.transaction() as tx:
        item = await agenda_store.get(tx, item_id)
    assert item is not None
    return item.support_count


async def test_support_counts_once_per_member_on_a_published_item(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    writer, other, chair = (
        await person(roles.MEMBER),
        await person(roles.MEMBER),
        await person(roles.CHAIR),
    )
    staff = await person(roles.STAFF, wing=None)
    item_id = await _raise(db, clock, settings, writer)
    # Not yet published: members cannot see it, so it cannot be supported.
    assert await _support(db, clock, other, item_id) is Supported.UNKNOWN
    await _accept(db, clock, settings, staff, item_id)
    assert await _support(db, clock, other, item_id) is Supported.ADDED
    assert await _support(db, clock, other, item_id) is Supported.ALREADY
    assert await _support(db, clock, chair, item_id) is Supported.ADDED
    assert await _support(db, clock, writer, item_id) is Supported.OWN
    assert await _count(db, item_id) == 2


async def test_unknown_items_and_other_roles(
    db: Database, clock: FakeClock, settings: Settings, person: MakePerson
) -> None:
    member = await person(roles.MEMBER)
    assert await _support(db, clock, member, 4242) is Supported.UNKNOWN
    item_id = await _raise(db, clock, settings, await person(roles.MEMBER))
    await _accept(db, clock, settings, await person(roles.STAFF, wing=None), item_id)
    for role in (roles.FAMILY, roles.STAFF, roles.OBSERVER):
        with pytest.raises(NotAllowed):
            await _support(db, clock, await person(role), item_id)
    assert await _count(db, item_id) == 0
