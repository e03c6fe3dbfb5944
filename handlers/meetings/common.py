"""Meetings handlers, what every part shares: the flows, the catalogue ids looked up, the
refusals, and the small renderers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, TypeVar, assert_never

from babel.dates import format_date

from bot.council import access, when
from bot.council import meetings as council
from bot.council.flows import Draft, Flow
from bot.council.meetings import MeetingRow
from bot.council.meetings.buttons import (
    Rsvp,
    ViewMeeting,
)
from bot.council.meetings.results import Changed, Minuted, Ordered, Said
from handlers.base import Button, Call, Reply

S = TypeVar("S", bound=StrEnum)
D = TypeVar("D", bound=Draft)
PICK_DAYS = 14
PICK_TIMES = ("0930", "1000", "1100", "1400", "1500", "1800")
EXCERPT = 120


# --- the three flows: scheduling, moving, minuting -------------------------------------------


class NewStep(StrEnum):
    KIND = "kind"
    TITLE = "title"
    PLACE = "place"
    AUDIENCE = "audience"
    WING = "wing"
    WHEN = "when"
    REPEAT = "repeat"
    COUNT = "count"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class NewDraft(Draft):
    kind: str = ""
    title: str = ""
    place: str = ""
    audience: str = ""
    wing: str | None = None
    starts_at: datetime | None = None
    ambiguous: bool = False
    rule: str = council.ONCE
    every: int = 1
    count: int = 1


NEW = Flow("meeting_new", NewStep, NewDraft)


class MoveStep(StrEnum):
    WHEN = "when"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class MoveDraft(Draft):
    id: int = 0  # the meeting; the stored names are today's, so old rows keep working
    version: int = 0
    to: datetime | None = None


MOVE = Flow("meeting_move", MoveStep, MoveDraft)


class MinutesStep(StrEnum):
    DECISION = "decision"
    OWNER = "owner"
    DUE = "due"


@dataclass(frozen=True)
class MinutesDraft(Draft):
    meeting: int = 0
    item: int = 0
    kind: str = council.DECIDED
    decision: str = ""
    owner: str = ""


MINUTES = Flow("minutes", MinutesStep, MinutesDraft)


async def _save(call: Call, flow: Flow[S, D], step: S, draft: D) -> None:
    await flow.save(call.tx, call.me.id, step, draft, call.services.clock.now())


def _moment(meeting: MeetingRow) -> datetime:
    return meeting.starts_at


# --- catalogue ids, looked up (never built), so a test can check every one -------------------

KIND_WORDS: dict[str, str] = {
    council.COUNCIL: "meetings.kind.council",
    council.FORUM: "meetings.kind.forum",
}
AUDIENCE_WORDS: dict[str, str] = {
    council.MEMBERS: "meetings.audience.members",
    council.FAMILIES: "meetings.audience.families",
    council.BOTH: "meetings.audience.both",
}
RSVP_WORDS = {
    council.GOING: "meetings.rsvp.going",
    council.CANT: "meetings.rsvp.cant",
    council.MAYBE: "meetings.rsvp.maybe",
}
SAVED_WORDS = {
    council.GOING: "meetings.saved.going",
    council.CANT: "meetings.saved.cant",
    council.MAYBE: "meetings.saved.maybe",
}
YOURS_WORDS: dict[str | None, str] = {
    council.GOING: "meetings.yours.going",
    council.CANT: "meetings.yours.cant",
    council.MAYBE: "meetings.yours.maybe",
    None: "meetings.yours.none",
}
SHORT_WORDS: dict[str | None, str] = {
    council.GOING: "meetings.short.going",
    council.CANT: "meetings.short.cant",
    council.MAYBE: "meetings.short.maybe",
    None: "meetings.short.none",
}
NTH_WORDS = {
    1: "meetings.nth.1",
    2: "meetings.nth.2",
    3: "meetings.nth.3",
    4: "meetings.nth.4",
    -1: "meetings.nth.-1",
}
DONE_WORDS = {
    council.DECIDED: "meetings.minutes.done_decided",
    council.IN_PROGRESS: "meetings.minutes.done_in_progress",
}


def when_problem(problem: when.Problem | None) -> str:
    match problem:
        case None | when.Problem.UNREADABLE:
            return "meetings.problem.unreadable"
        case when.Problem.NO_SUCH_DATE:
            return "meetings.problem.no_such_date"
        case when.Problem.NO_SUCH_TIME:
            return "meetings.problem.no_such_time"
        case when.Problem.PAST:
            return "meetings.problem.past"
        case when.Problem.GAP:
            return "meetings.problem.gap"
        case when.Problem.TOO_FAR:
            return "meetings.problem.too_far"
        case _:
            assert_never(problem)


def due_problem(problem: when.Problem | None) -> str:
    match problem:
        case None | when.Problem.UNREADABLE | when.Problem.NO_SUCH_TIME | when.Problem.GAP:
            return "meetings.problem.due_unreadable"  # a due date has no time to be wrong
        case when.Problem.NO_SUCH_DATE:
            return "meetings.problem.due_no_such_date"
        case when.Problem.PAST:
            return "meetings.problem.due_past"
        case when.Problem.TOO_FAR:
            return "meetings.problem.due_too_far"
        case _:
            assert_never(problem)


# --- what the rules answered: each refusal's catalogue id, looked up (None: not a refusal) ---


def refusal_said(result: Said) -> str | None:
    match result:
        case Said.SAVED | Said.SAME:
            return None
        case Said.UNKNOWN:
            return "meetings.rsvp_refused.unknown"
        case Said.NOT_AUDIENCE:
            return "meetings.rsvp_refused.not_audience"
        case Said.CANCELLED:
            return "meetings.rsvp_refused.cancelled"
        case Said.STARTED:
            return "meetings.rsvp_refused.started"
        case _:
            assert_never(result)


def refusal_changed(result: Changed) -> str | None:
    match result:
        case Changed.DONE:
            return None
        case Changed.UNKNOWN:
            return "meetings.refused.unknown"
        case Changed.HANDLED:
            return "meetings.refused.handled"
        case Changed.CANCELLED:
            return "meetings.refused.cancelled"
        case Changed.STARTED:
            return "meetings.refused.started"
        case Changed.SAME:
            return "meetings.refused.same"
        case Changed.PAST:
            return "meetings.refused.past"
        case _:
            assert_never(result)


def refusal_ordered(result: Ordered) -> str | None:
    match result:
        case Ordered.DONE | Ordered.EDGE:
            return None
        case Ordered.UNKNOWN:
            return "meetings.agenda.refused.unknown"
        case Ordered.CANCELLED:
            return "meetings.agenda.refused.cancelled"
        case Ordered.STARTED:
            return "meetings.agenda.refused.started"
        case Ordered.NOT_MEMBERS:
            return "meetings.agenda.refused.not_members"
        case Ordered.WING:
            return "meetings.agenda.refused.wing"
        case Ordered.HANDLED:
            return "meetings.agenda.refused.handled"
        case Ordered.FULL:
            return "meetings.agenda.refused.full"
        case _:
            assert_never(result)


def refusal_minuted(result: Minuted) -> str | None:
    match result:
        case Minuted.DONE:
            return None
        case Minuted.UNKNOWN:
            return "meetings.minutes.refused.unknown"
        case Minuted.CANCELLED:
            return "meetings.minutes.refused.cancelled"
        case Minuted.NOT_YET:
            return "meetings.minutes.refused.not_yet"
        case Minuted.FINISHED:
            return "meetings.minutes.refused.finished"
        case Minuted.NOT_LISTED:
            return "meetings.minutes.refused.not_listed"
        case Minuted.TEXT:
            return "meetings.minutes.refused.text"
        case Minuted.NOT_ON_AGENDA:
            return "meetings.minutes.refused.not_on_agenda"
        case Minuted.HANDLED:
            return "meetings.minutes.refused.handled"
        case Minuted.NONE:
            return "meetings.minutes.refused.none"
        case Minuted.NO_MEETING:
            return "meetings.minutes.refused.no_meeting"
        case _:
            assert_never(result)


def _wing_label(call: Call, wing: str | None) -> str:
    found = call.services.settings.wing(wing) if wing else None
    return found.label(call.lang) if found else call.t("meetings.all_wings")


def _rsvp_buttons(call: Call, meeting_id: int, chosen: str | None = None) -> list[list[Button]]:
    """The answer buttons; the person's own answer is marked, and they may still change it."""
    row = []
    for choice in council.ANSWERS:
        label = call.t(RSVP_WORDS[choice])
        if choice == chosen:
            label = call.t("reader.rsvp.chosen", answer=label)
        row.append(Button(label, Rsvp(meeting_id, choice).pack()))
    return [row]


async def _in_language(call: Call, meeting: MeetingRow) -> MeetingRow:
    """The title and place in the reader's content language (bot.council.content)."""
    return await council.shown(call.tx, call.services.settings, meeting, call.lang)


def _summary(call: Call, meeting: MeetingRow) -> str:
    return call.t(
        "meetings.card",
        ref=council.ref(meeting.id),
        kind=call.t(KIND_WORDS[meeting.kind]),
        title=meeting.title,
        when=_moment(meeting),
        place=meeting.place,
        audience=call.t(AUDIENCE_WORDS[meeting.audience]),
        wing=_wing_label(call, meeting.wing),
    )


def _problem(call: Call, problem: when.Problem | None, **params: Any) -> Reply:
    return call.reply(when_problem(problem), **params)


def _open_button(call: Call, meeting: MeetingRow) -> Button:
    return call.button(
        "meetings.open", ViewMeeting(meeting.id), when=_short(call, meeting), title=meeting.title
    )


def _short(call: Call, meeting: MeetingRow) -> str:
    local = _moment(meeting).astimezone(call.services.settings.establishment.timezone)
    return f"{format_date(local.date(), 'EEE d MMM', locale=call.lang)} {local:%H:%M}"


def _name(person: access.Person) -> str:
    ref = access.person_ref(person.id)
    return f"{ref} {person.label}" if person.label else ref


async def _listed(call: Call) -> list[council.Listed]:
    return await council.upcoming_for(call.tx, call.services.clock, call.me, limit=20)
