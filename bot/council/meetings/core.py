"""Meetings, what every part shares: the kinds, audiences and answers, who is in a meeting's
audience, its notice parameters, and reading a meeting. See docs/MEETINGS.md."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from typing import Any, Literal

from bot import i18n
from bot.config import Settings
from bot.council import content, notices, roles
from bot.council.access import Person
from bot.council.ids import Ids
from bot.council.roles import NotAllowed
from storage import meetings as store
from storage import people
from storage.db import Tx
from storage.meetings import MeetingRow

Kind = Literal["council", "forum"]
COUNCIL: Kind = "council"
FORUM: Kind = "forum"
KINDS: tuple[Kind, ...] = (COUNCIL, FORUM)
Audience = Literal["members", "families", "both"]
MEMBERS: Audience = "members"
FAMILIES: Audience = "families"
BOTH: Audience = "both"
AUDIENCES: tuple[Audience, ...] = (MEMBERS, FAMILIES, BOTH)
Answer = Literal["going", "cant", "maybe"]
GOING: Answer = "going"
CANT: Answer = "cant"
MAYBE: Answer = "maybe"
ANSWERS: tuple[Answer, ...] = (GOING, CANT, MAYBE)
KIND_IDS = Ids("meetings.kind.{}", KINDS)
RSVP_IDS = Ids("meetings.rsvp.{}", ANSWERS)
ONCE, WEEKLY, MONTHLY = "once", "weekly", "monthly"
SCHEDULED, CANCELLED = "scheduled", "cancelled"
DECIDED, IN_PROGRESS = "decided", "in_progress"

# Recurring meetings are created at most this many at once, and at most this far ahead.
MAX_OCCURRENCES = 52
MAX_SPAN = timedelta(days=365)
TITLE_MAX, PLACE_MAX = 80, 80
DECISION_MAX, OWNER_MAX = 500, 80
AGENDA_MAX = 30
REMINDER = "meeting_reminder"


def ref(meeting_id: int) -> str:
    return f"M-{meeting_id:04d}"


def reminder_prefix(meeting_id: int) -> str:
    return f"meeting:{meeting_id}:reminder:"


def person_reminders(meeting_id: int, person_id: int) -> str:
    """The key prefix of one person's reminder notices for a meeting."""
    return f"{reminder_prefix(meeting_id)}p{person_id}:"


def _need_staff(actor: Person) -> None:
    if actor.role not in roles.STAFF_SIDE:
        raise NotAllowed(f"{actor.role} may not manage meetings")


# --- the audience -------------------------------------------------------------------------------


def in_audience(meeting: MeetingRow, person: Person) -> bool:
    if person.role in roles.IN_CUSTODY:
        return meeting.audience in (MEMBERS, BOTH) and meeting.wing in (None, person.wing)
    if person.role == roles.FAMILY:
        # Families belong to no wing: a wing's family forum is for all families.
        return meeting.audience in (FAMILIES, BOTH)
    return False


async def audience(tx: Tx, meeting: MeetingRow) -> list[Person]:
    out: list[Person] = []
    if meeting.audience in (MEMBERS, BOTH):
        out += await people.active_with_roles(tx, (roles.MEMBER, roles.CHAIR), meeting.wing)
    if meeting.audience in (FAMILIES, BOTH):
        out += await people.active_with_roles(tx, (roles.FAMILY,))
    return out


def audiences_for(person: Person) -> tuple[str, ...] | None:
    """Which meetings a person may see: None means all (staff, admin, observer)."""
    if person.role in roles.IN_CUSTODY:
        return (MEMBERS, BOTH)
    if person.role == roles.FAMILY:
        return (FAMILIES, BOTH)
    return None


def _params(settings: Settings, meeting: MeetingRow) -> dict[str, Any]:
    wing = settings.wing(meeting.wing) if meeting.wing else None
    return {
        "title": meeting.title,
        "place": meeting.place,
        "when": notices.when(meeting.starts_at),
        "kind": notices.catalogue(KIND_IDS[meeting.kind]),
        "wing": notices.labelled(wing.labels) if wing else notices.catalogue("meetings.all_wings"),
    }


async def _params_of(tx: Tx, settings: Settings, meeting: MeetingRow) -> dict[str, Any]:
    """The notice parameters, with the title and place in each reader's language."""
    params = _params(settings, meeting)
    for name in ("title", "place"):
        versions = await content.versions(
            tx, settings, "meeting", meeting.id, name, getattr(meeting, name)
        )
        params[name] = content.param(settings, versions)
    return params


async def shown(tx: Tx, settings: Settings, meeting: MeetingRow, lang: str) -> MeetingRow:
    """The meeting with its title and place in this reader's language (for screens)."""
    words = {}
    for name in ("title", "place"):
        versions = await content.versions(
            tx, settings, "meeting", meeting.id, name, getattr(meeting, name)
        )
        expected = lang in settings.establishment.content_languages
        words[name] = i18n.content_for(versions, lang, marked=expected)
    return replace(meeting, title=words["title"], place=words["place"])


async def get(tx: Tx, meeting_id: int) -> MeetingRow | None:
    return await store.get(tx, meeting_id)


async def visible(tx: Tx, viewer: Person, meeting_id: int) -> MeetingRow | None:
    """None also for a meeting this viewer is not in the audience of."""
    meeting = await store.get(tx, meeting_id)
    if meeting is None:
        return None
    if audiences_for(viewer) is None or in_audience(meeting, viewer):
        return meeting
    return None


async def _get(tx: Tx, meeting_id: int) -> MeetingRow:
    meeting = await store.get(tx, meeting_id)
    assert meeting is not None, "read in the same transaction it was written"
    return meeting
