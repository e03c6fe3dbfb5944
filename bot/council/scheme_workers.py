"""Peer workers (docs/SCHEMES.md): their roles, training and weekly hours, kept by the
scheme's coordinators, and a person's own record of them (shown in /myrecord and printed by
bot/council/scheme_record.py)."""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass, field
from datetime import date, timedelta

from bot.config import Settings
from bot.council import audit, roles
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from bot.council.schemes import (
    Listing,
    Scheme,
    Shown,
    all_schemes,
    get,
    may_manage,
)
from storage import people
from storage import schemes as store
from storage.db import Tx
from storage.schemes import WorkerRow

HOURS_MAX = 80.0  # in one week; more is a typing mistake
NAME_MAX, TRAINING_MAX = 40, 120


class Worker(enum.StrEnum):
    ADDED = "added"
    NOT_MEMBER = "not_member"
    ALREADY = "already"
    NOT_COORDINATOR = "not_coordinator"


_DAY = re.compile(r"^\s*(\d{4})-(\d{1,2})-(\d{1,2})\s*$")


def parse_day(text: str) -> date | None:
    match = _DAY.match(text)
    if not match:
        return None
    try:
        return date(int(match.group(1)), int(match.group(2)), int(match.group(3)))
    except ValueError:
        return None


async def is_member(tx: Tx, person_id: int) -> bool:
    """An active member or chair: the only people who can hold a peer scheme role."""
    target = await people.by_id(tx, person_id)
    return target is not None and target.status == "active" and target.role in roles.IN_CUSTODY


async def add_worker(
    tx: Tx,
    clock: Clock,
    *,
    actor: Person,
    scheme: Scheme,
    person_id: int,
    listed_name: str | None,
    training: str,
    trained_on: date | None,
    started_on: date,
) -> Worker:
    if not await may_manage(tx, scheme, actor):
        return Worker.NOT_COORDINATOR
    target = await people.by_id(tx, person_id)
    if target is None or target.status != "active" or target.role not in roles.IN_CUSTODY:
        return Worker.NOT_MEMBER
    worker_id = await store.add_worker(
        tx,
        scheme_id=scheme.id,
        person_id=person_id,
        wing=target.wing or "",
        listed_name=listed_name,
        training=training,
        trained_on=trained_on,
        started_on=started_on,
        added_by=actor.id,
        now=clock.now(),
    )
    if worker_id is None:
        return Worker.ALREADY
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.worker_added",
        subject=person_ref(person_id),
        detail={"scheme": scheme.id, "listed": listed_name is not None},
    )
    return Worker.ADDED


async def workers(tx: Tx, scheme: Scheme, actor: Person) -> Listing[WorkerRow]:
    if not await may_manage(tx, scheme, actor):
        return Listing(Shown.NOT_COORDINATOR)
    return Listing(Shown.SHOWN, await store.workers(tx, scheme.id))


class End(enum.StrEnum):
    ENDED = "ended"
    GONE = "gone"  # no such active role (already ended, or forged)
    NOT_COORDINATOR = "not_coordinator"


@dataclass(frozen=True)
class Ended:
    outcome: End
    person_id: int = 0  # whose role it was


async def end_role(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, worker_id: int
) -> Ended:
    found = await store.worker(tx, worker_id)
    scheme = None if found is None else await get(tx, settings, found.scheme_id)
    if found is None or scheme is None or found.ended_on is not None:
        return Ended(End.GONE)
    if not await may_manage(tx, scheme, actor):
        return Ended(End.NOT_COORDINATOR)
    today = clock.now().astimezone(settings.establishment.timezone).date()
    if not await store.end_worker(tx, worker_id, today):
        return Ended(End.GONE)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.role_ended",
        subject=person_ref(found.person_id or 0),
        detail={"scheme": scheme.id},
    )
    return Ended(End.ENDED, found.person_id or 0)


class HoursProblem(enum.StrEnum):
    FORMAT = "format"
    HOURS = "hours"
    NOT_WORKER = "not_worker"
    TWICE = "twice"


@dataclass(frozen=True)
class HoursLine:
    line: str
    problem: HoursProblem


class Hours(enum.StrEnum):
    SAVED = "saved"
    REFUSED = "refused"  # a bad line, or none at all: nothing saved
    NOT_COORDINATOR = "not_coordinator"


@dataclass(frozen=True)
class HoursRecorded:
    outcome: Hours
    saved: int = 0  # peer workers whose hours were saved
    bad: list[HoursLine] = field(default_factory=list)


_HOURS_LINE = re.compile(r"^\s*[Pp]-?(\d{1,9})\s*[:,;]?\s*(-?\d+(?:[.,]\d+)?)\s*$")


def week_start(day: date) -> date:
    return day - timedelta(days=day.weekday())


async def record_hours(
    tx: Tx,
    clock: Clock,
    *,
    actor: Person,
    scheme: Scheme,
    week: date,
    text: str,
) -> HoursRecorded:
    """Lines like "P-0012 6" for one week. All or nothing: any bad line saves none, and every
    bad line is named, so the coordinator fixes them and sends the list again."""
    if not await may_manage(tx, scheme, actor):
        return HoursRecorded(Hours.NOT_COORDINATOR)
    entries: list[tuple[int, float]] = []
    bad: list[HoursLine] = []
    seen: set[int] = set()
    for raw in text.splitlines():
        if not raw.strip():
            continue
        match = _HOURS_LINE.match(raw)
        if not match:
            bad.append(HoursLine(raw.strip()[:40], HoursProblem.FORMAT))
            continue
        person_id, hours = int(match.group(1)), float(match.group(2).replace(",", "."))
        if hours < 0 or hours > HOURS_MAX:
            bad.append(HoursLine(raw.strip()[:40], HoursProblem.HOURS))
            continue
        role = await store.active_worker_for(tx, scheme.id, person_id)
        if role is None:
            bad.append(HoursLine(raw.strip()[:40], HoursProblem.NOT_WORKER))
            continue
        if person_id in seen:
            bad.append(HoursLine(raw.strip()[:40], HoursProblem.TWICE))
            continue
        seen.add(person_id)
        entries.append((role.id, hours))
    if bad or not entries:
        return HoursRecorded(Hours.REFUSED, 0, bad)
    monday = week_start(week)
    await store.put_hours(tx, entries, week=monday, by=actor.id, now=clock.now())
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.hours",
        subject=scheme.id,
        detail={
            "week": monday.isoformat(),
            "workers": len(entries),
            "hours": sum(h for _, h in entries),
        },
    )
    return HoursRecorded(Hours.SAVED, len(entries))


@dataclass(frozen=True)
class Role:
    scheme: dict[str, str]
    training: str
    trained_on: date | None
    started_on: date
    ended_on: date | None
    hours: float


@dataclass(frozen=True)
class SchemeRecord:
    roles: list[Role]
    checked_by: str | None  # the staff member who last recorded something for them


async def record(tx: Tx, settings: Settings, person: Person) -> SchemeRecord:
    """Only people in custody hold peer roles: anyone else's record is empty."""
    if person.role not in roles.IN_CUSTODY:
        return SchemeRecord([], None)
    found = {s.id: s for s in await all_schemes(tx, settings)}
    out: list[Role] = []
    for row in await store.roles_of(tx, person.id):
        scheme = found.get(row.scheme_id)
        out.append(
            Role(
                scheme=scheme.names if scheme else {"en": row.scheme_id},
                training=row.training,
                trained_on=row.trained_on,
                started_on=row.started_on,
                ended_on=row.ended_on,
                hours=row.hours,
            )
        )
    checker_id = await store.last_checker(tx, person.id)
    checker = None if checker_id is None else await people.by_id(tx, checker_id)
    checked_by = None
    if checker is not None:
        checked_by = checker.label or person_ref(checker.id)
    return SchemeRecord(out, checked_by)
