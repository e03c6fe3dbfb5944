"""Peer schemes (docs/SCHEMES.md), set up and seen: the schemes (config.toml and staff-made),
the directory and a scheme's page, who manages which, coordinators, a scheme's issue on the
council agenda, and the month's figures.

Beside it: scheme_requests.py (asking for help, "I am arranging this" and its escalation, the
follow-up, the Insider welcome, retention) and scheme_workers.py (peer workers, their hours,
and a person's own record)."""

from __future__ import annotations

import enum
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from statistics import median
from typing import Generic, TypeVar

from bot.config import Partner, Settings
from bot.council import agenda, audit, notices, roles
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from bot.council.scheme_buttons import (
    SchemeKind,
)
from storage import people
from storage import schemes as store

# Database re-exported: the report's handler names the type without importing storage.
from storage.db import Database as Database
from storage.db import Tx
from storage.schemes import RequestRow

AGENDA_TOPIC = "other"
T = TypeVar("T")


@dataclass(frozen=True)
class Scheme:
    id: str
    kind: str
    names: dict[str, str]
    about: dict[str, str]
    how: dict[str, str]
    wings: tuple[str, ...]  # empty: every wing
    notes: bool
    urgent: bool
    escalate_after: int
    expect_within: int
    coordinators: tuple[int, ...]  # Telegram ids from config.toml
    source: str  # "config" or "staff"

    def name(self, lang: str) -> str:
        return in_language(self.names, lang)

    def runs_on(self, wing: str | None) -> bool:
        return not self.wings or (wing is not None and wing in self.wings)


def in_language(texts: dict[str, str], lang: str) -> str:
    """The reader's language, else English, else whichever language the words were written in
    (a scheme set up where the only content language is Welsh)."""
    return texts.get(lang) or texts.get("en") or next(iter(texts.values()), "")


async def all_schemes(tx: Tx, settings: Settings) -> list[Scheme]:
    found = [
        Scheme(
            c.id,
            c.kind,
            c.names,
            c.about,
            c.how,
            c.wings,
            c.notes,
            c.urgent,
            c.escalate_after,
            c.expect_within,
            c.coordinators,
            "config",
        )
        for c in settings.schemes.listed
    ]
    for row in await store.staff_schemes(tx):
        found.append(
            Scheme(
                row.id,
                row.kind,
                row.names,
                row.about,
                row.how,
                row.wings,
                row.notes_allowed,
                row.urgent,
                row.escalate_after,
                row.expect_within,
                (),
                "staff",
            )
        )
    return found


async def get(tx: Tx, settings: Settings, scheme_id: str | None) -> Scheme | None:
    return next((s for s in await all_schemes(tx, settings) if s.id == scheme_id), None)


def partners_for(settings: Settings, scheme_id: str | None) -> list[Partner]:
    """Partners shown on a scheme's page; scheme_id None: those shown on the directory."""
    if scheme_id is None:
        return [p for p in settings.schemes.partners if not p.schemes]
    return [p for p in settings.schemes.partners if scheme_id in p.schemes]


def names_param(scheme: Scheme) -> dict[str, dict[str, str]]:
    return notices.labelled(scheme.names)


async def directory(tx: Tx, settings: Settings, viewer: Person) -> list[Scheme]:
    """People in custody see the schemes on their wing; staff, admins and observers see all;
    anyone else (families) sees none."""
    if viewer.role not in roles.IN_CUSTODY | roles.READERS:
        return []
    found = await all_schemes(tx, settings)
    if viewer.role in roles.IN_CUSTODY:
        return [s for s in found if s.runs_on(viewer.wing)]
    return found


async def may_manage(tx: Tx, scheme: Scheme, actor: Person) -> bool:
    """Admins manage every scheme; staff only the schemes they coordinate."""
    if actor.role == roles.ADMIN:
        return True
    if actor.role != roles.STAFF:
        return False
    if actor.tg_user_id is not None and actor.tg_user_id in scheme.coordinators:
        return True
    return actor.id in await store.coordinator_ids(tx, scheme.id)


def may_set_up(person: Person) -> bool:
    """Staff and admins set up schemes."""
    return person.role in roles.STAFF_SIDE


def may_appoint(person: Person) -> bool:
    """Only admins appoint coordinators."""
    return person.role == roles.ADMIN


@dataclass(frozen=True)
class PageView:
    """What this person sees and may do on a scheme's page."""

    own_wing: bool  # the listed names are of the viewer's wing only (people in custody)
    listed: dict[str, list[str]]  # wing -> names of peer workers who agreed to be listed
    may_ask: bool  # the scheme runs on the viewer's wing and they are in custody
    waiting: RequestRow | None  # the viewer's own open request, if they may ask
    manages: bool
    appoints: bool


async def page_view(tx: Tx, scheme: Scheme, viewer: Person) -> PageView:
    own_wing = viewer.role in roles.IN_CUSTODY
    listed: dict[str, list[str]] = {}
    for worker in await store.workers(tx, scheme.id):
        if worker.listed_name and (not own_wing or worker.wing == viewer.wing):
            listed.setdefault(worker.wing, []).append(worker.listed_name)
    may_ask = own_wing and scheme.runs_on(viewer.wing)
    return PageView(
        own_wing=own_wing,
        listed=listed,
        may_ask=may_ask,
        waiting=await my_open_request(tx, viewer, scheme.id) if may_ask else None,
        manages=await may_manage(tx, scheme, viewer),
        appoints=may_appoint(viewer),
    )


async def my_open_request(tx: Tx, person: Person, scheme_id: str) -> RequestRow | None:
    found = await store.on_its_way(tx, person.id, scheme_id, None)
    return found if found is not None and found.status == "open" else None


class Shown(enum.StrEnum):
    SHOWN = "shown"
    NOT_COORDINATOR = "not_coordinator"


@dataclass(frozen=True)
class Listing(Generic[T]):
    """A coordinator's list (open requests, peer workers); empty unless SHOWN."""

    outcome: Shown
    rows: list[T] = field(default_factory=list)


class Raise(enum.StrEnum):
    RAISED = "raised"
    BAD_TEXT = "bad_text"  # too short or too long
    NOT_COORDINATOR = "not_coordinator"


@dataclass(frozen=True)
class Raised:
    outcome: Raise
    ref: str = ""  # the agenda item's reference, once RAISED


async def raise_on_agenda(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person, scheme: Scheme, text: str
) -> Raised:
    """Keyed in as an agenda item by the coordinator, with the scheme named as the reason."""
    if not await may_manage(tx, scheme, actor):
        return Raised(Raise.NOT_COORDINATOR)
    cleaned = agenda.item_text(text)
    if not cleaned.ok:
        return Raised(Raise.BAD_TEXT)
    topic = AGENDA_TOPIC if settings.topic(AGENDA_TOPIC) else settings.topics[0].id
    wing = scheme.wings[0] if scheme.wings else settings.wings[0].id
    draft = agenda.Draft(topic=topic, wing=wing, text=cleaned.text, name_hidden=False)
    item = await agenda.key_in(
        tx, clock, settings, actor=actor, draft=draft, reason=f"Peer scheme: {scheme.name('en')}"
    )
    return Raised(Raise.RAISED, agenda.ref(item.id))


class Create(enum.StrEnum):
    CREATED = "created"
    NOT_ALLOWED = "not_allowed"  # staff and admins set up schemes


@dataclass(frozen=True)
class Created:
    outcome: Create
    scheme: Scheme | None = None  # once CREATED


async def create_scheme(
    tx: Tx,
    clock: Clock,
    settings: Settings,
    *,
    actor: Person,
    kind: SchemeKind,
    names: dict[str, str],
    about: dict[str, str],
    how: dict[str, str],
) -> Created:
    if not may_set_up(actor):
        return Created(Create.NOT_ALLOWED)
    taken = {s.id for s in await all_schemes(tx, settings)}
    number = len(taken) + 1
    while f"s{number}" in taken:
        number += 1
    urgent = kind is SchemeKind.LISTENERS
    row = store.SchemeRow(
        id=f"s{number}",
        kind=kind.value,
        names=names,
        about=about,
        how=how,
        wings=(),
        notes_allowed=not urgent,
        urgent=urgent,
        escalate_after=15 if urgent else 0,
        expect_within=60 if urgent else 1440,
    )
    now = clock.now()
    await store.add_scheme(tx, row, created_by=actor.id, now=now)
    await store.add_coordinator(tx, row.id, actor.id, added_by=actor.id, now=now)
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.created",
        subject=row.id,
        detail={"kind": kind.value, "name": names.get("en", "")},
    )
    created = await get(tx, settings, row.id)
    assert created is not None  # just written in this transaction
    return Created(Create.CREATED, created)


class Appoint(enum.StrEnum):
    APPOINTED = "appointed"
    NOT_STAFF = "not_staff"  # only active staff coordinate
    NOT_ALLOWED = "not_allowed"  # only admins appoint


async def add_coordinator(
    tx: Tx, clock: Clock, *, actor: Person, scheme: Scheme, person_id: int
) -> Appoint:
    """Admins appoint coordinators; the person must be active staff."""
    if not may_appoint(actor):
        return Appoint.NOT_ALLOWED
    target = await people.by_id(tx, person_id)
    if target is None or target.status != "active" or target.role != roles.STAFF:
        return Appoint.NOT_STAFF
    await store.add_coordinator(tx, scheme.id, person_id, added_by=actor.id, now=clock.now())
    await audit.record(
        tx,
        clock,
        actor_id=actor.id,
        actor_role=actor.role,
        action="scheme.coordinator",
        subject=person_ref(person_id),
        detail={"scheme": scheme.id},
    )
    return Appoint.APPOINTED


@dataclass(frozen=True)
class Figures:
    scheme: Scheme
    requests: int
    arranged: int
    cancelled: int
    escalated: int
    median_minutes: float | None
    followup: dict[str, int]
    workers: int
    hours: float


async def figures(
    tx: Tx, settings: Settings, *, viewer: Person, start: datetime, end: datetime
) -> list[Figures]:
    """Each scheme's figures for one month (start, end: its bounds in the establishment zone).
    Raw counts: the report applies the small-number rules when it shows them."""
    if viewer.role not in roles.READERS:
        return []  # the report is for readers only; nobody else sees a figure
    month = f"{start.year:04d}-{start.month:02d}"
    first_day = start.date()
    last_day = (end - timedelta(days=1)).date()
    out: list[Figures] = []
    for scheme in await all_schemes(tx, settings):
        asked = await store.month_requests(tx, scheme.id, month, start, end)
        active, hours = await store.month_workers(tx, scheme.id, first_day, last_day)
        out.append(
            Figures(
                scheme=scheme,
                requests=asked.requests,
                arranged=asked.arranged,
                cancelled=asked.cancelled,
                escalated=asked.escalated,
                median_minutes=median(asked.minutes) if asked.minutes else None,
                followup=await store.followups(tx, scheme.id, month),
                workers=active,
                hours=hours,
            )
        )
    return out


async def month_figures(
    db: Database, settings: Settings, *, viewer: Person, start: datetime, end: datetime
) -> list[Figures]:
    """figures() from a snapshot of its own: the report calls it after its transaction."""
    async with db.snapshot() as tx:
        return await figures(tx, settings, viewer=viewer, start=start, end=end)
