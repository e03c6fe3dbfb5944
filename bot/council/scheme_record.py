""" "Print my record": what the page shows, gathered. Council work and peer scheme roles
(training, dates, hours), dated, with the establishment's name and the staff member who checked
the scheme record. bot/documents/scheme_record.py draws it (one A4 page in the person's
language, for a parole dossier or a job application)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from bot.config import Settings
from bot.council import outcomes, scheme_workers
from bot.council.access import Person, person_ref
from bot.council.clock import Clock
from storage.db import Tx


@dataclass(frozen=True)
class Page:
    establishment: str
    made_on: date
    ref: str
    label: str | None
    council_role: str
    since: date | None
    meetings: int
    items: int
    consultations: int
    roles: list[scheme_workers.Role]
    checked_by: str | None


async def gather(tx: Tx, clock: Clock, settings: Settings, person: Person) -> Page:
    council = await outcomes.my_record(tx, person)
    found = await scheme_workers.record(tx, settings, person)
    zone = settings.establishment.timezone
    return Page(
        establishment=settings.establishment.name,
        made_on=clock.now().astimezone(zone).date(),
        ref=person_ref(person.id),
        label=person.label,
        council_role=council.role,
        since=council.since.astimezone(zone).date() if council.since else None,
        meetings=council.meetings_attended,
        items=council.items_raised,
        consultations=council.consultations_answered,
        roles=found.roles,
        checked_by=found.checked_by,
    )
