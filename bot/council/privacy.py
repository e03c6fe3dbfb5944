"""A person's own data: what the bot holds about them (/mydata), and deleting it (/leave).
Members, chairs and families delete their own details; staff, observers and admins are
removed by an admin instead, since their actions are part of the audit trail."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from bot.config import Settings
from bot.council import audit, roles
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from storage import people
from storage.db import Tx
from storage.people import OwnData

SELF_SERVICE = frozenset({roles.MEMBER, roles.CHAIR, roles.FAMILY})


def may_leave(person: Person) -> bool:
    return person.role in SELF_SERVICE


@dataclass(frozen=True)
class MyData:
    person: Person
    joined_on: date  # in the establishment's zone
    counts: OwnData


async def my_data(tx: Tx, settings: Settings, person: Person) -> MyData:
    counts = await people.own_data(tx, person.id)
    joined = counts.joined_at.astimezone(settings.establishment.timezone).date()
    return MyData(person, joined, counts)


class Leaving(enum.StrEnum):
    """What came of a press on "delete my details"."""

    LEFT = "left"
    ALREADY = "already"  # nothing left to delete (a second press)
    ASK_ADMIN = "ask_admin"  # staff, observers and admins are removed by an admin


async def leave(tx: Tx, clock: Clock, person: Person) -> Leaving:
    """Access ends and personal details are deleted (storage/people.forget)."""
    if not may_leave(person):
        return Leaving.ASK_ADMIN
    # An office holder's seat empties first, while their name is still known (issue 16).
    from bot.council import elections  # here, not at the top: elections imports access

    await elections.seat_vacated(tx, clock, person.id, "left")
    outcome = await people.forget(tx, person.id, clock.now(), leaving=True)
    if outcome is None:
        return Leaving.ALREADY
    await audit.record(
        tx,
        clock,
        actor_id=person.id,
        actor_role=person.role,
        action="person.leave",
        subject=person_ref(person.id),
        detail={"notices_dropped": outcome["dropped"]},
    )
    return Leaving.LEFT
