"""The printable "you said, we did" board: what it shows for one wing or the whole
establishment, gathered here; bot/documents/board.py draws the A4 PDF (most people in custody
have no device, so the board goes on the wing's notice board)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.config import Settings
from bot.council import agenda, content, outcomes, roles
from bot.council.access import Person
from bot.council.clock import Clock
from bot.council.roles import NotAllowed
from bot.council.text import excerpt
from storage.db import Tx

# What a notice board shows: the latest outcomes of the last three months, at most this many.
WINDOW = timedelta(days=92)
MOST = 40
EXCERPT = 300
BOTH = ("en", "cy")


@dataclass(frozen=True)
class Entry:
    ref: str
    topic: dict[str, str]
    wing: dict[str, str]
    kind: str
    said: str
    did: str
    reason: str | None
    owner: str
    follow_up_on: date | None


@dataclass(frozen=True)
class Board:
    establishment: str
    wing: dict[str, str] | None  # labels by language; None: the whole establishment
    made_on: date
    entries: list[Entry]


def _labels(settings: Settings, kind: str, key: str) -> dict[str, str]:
    found = settings.topic(key) if kind == "topic" else settings.wing(key)
    return dict(found.labels) if found else {"en": key}


async def gather(
    tx: Tx, clock: Clock, settings: Settings, *, actor: Person | None, wing: str | None
) -> Board:
    """actor None: the server console (python -m bot board)."""
    if actor is not None and actor.role not in roles.STAFF_SIDE:
        raise NotAllowed(f"{actor.role} may not print the board")
    if wing is not None and settings.wing(wing) is None:
        raise ValueError(f"no wing {wing!r} in the configuration")
    now = clock.now()
    reader = actor or Person(0, None, roles.ADMIN, "active", "en", True, None, "console", False)
    page = await outcomes.board(tx, reader, wing=wing, page=0, size=MOST, since=now - WINDOW)
    entries = [
        Entry(
            ref=agenda.ref(e.outcome.item_id),
            topic=_labels(settings, "topic", e.outcome.topic),
            wing=_labels(settings, "wing", e.outcome.wing),
            kind=e.outcome.kind,
            said=excerpt(e.item_text, EXCERPT),
            did=await _in_each_language(tx, settings, e.outcome.id, e.outcome.text),
            reason=e.outcome.reason,
            owner=e.owner,
            follow_up_on=e.outcome.follow_up_on,
        )
        for e in page.entries
    ]
    return Board(
        establishment=settings.establishment.name,
        wing=None if wing is None else _labels(settings, "wing", wing),
        made_on=now.astimezone(settings.establishment.timezone).date(),
        entries=entries,
    )


async def _in_each_language(tx: Tx, settings: Settings, outcome_id: int, text: str) -> str:
    """The board is for everyone: the outcome in each content language it was written in."""
    versions = await content.versions(tx, settings, "outcome", outcome_id, "text", text)
    return " / ".join(dict.fromkeys(versions.values()))
