"""Every meetings button as a type, beside the rules it drives: the council builds the answer
buttons on its own notices (reminders, moves) with them, and the handlers receive them parsed.
The prefixes are today's, so buttons already sent keep working."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.council.buttons import ButtonData
from bot.council.meetings.core import ANSWERS, RSVP_IDS, Answer, Audience, Kind
from bot.council.notices import ButtonSpec

# --- answers (RSVP), on notices and cards ---------------------------------------------------


@dataclass(frozen=True)
class Rsvp(ButtonData, prefix="rsvp"):
    meeting_id: int
    choice: Answer


def rsvp_specs(meeting_id: int) -> list[list[ButtonSpec]]:
    """The answer buttons on a queued notice (catalogue id and data; delivery renders them)."""
    return [[{"m": RSVP_IDS[choice], "d": Rsvp(meeting_id, choice).pack()} for choice in ANSWERS]]


# --- scheduling a meeting (staff) -----------------------------------------------------------


@dataclass(frozen=True)
class NewMeeting(ButtonData, prefix="mn"):
    pass


@dataclass(frozen=True)
class NewKind(ButtonData, prefix="mnk"):
    kind: Kind


@dataclass(frozen=True)
class NewAudience(ButtonData, prefix="mna"):
    audience: Audience


@dataclass(frozen=True)
class NewWing(ButtonData, prefix="mnw"):
    wing: str | None  # None: all wings


@dataclass(frozen=True)
class NewDay(ButtonData, prefix="mnd"):
    day: str  # YYYYMMDD in the establishment's zone


@dataclass(frozen=True)
class NewTime(ButtonData, prefix="mnt"):
    day: str  # YYYYMMDD
    time: str  # HHMM, one of the offered times


@dataclass(frozen=True)
class NewRepeat(ButtonData, prefix="mnr"):
    rule: Literal["once", "weekly", "monthly"]
    every: int


@dataclass(frozen=True)
class NewPublish(ButtonData, prefix="mnok"):
    pass


@dataclass(frozen=True)
class NewStop(ButtonData, prefix="mnno"):
    pass


# --- a meeting's card: view, move, cancel ---------------------------------------------------


@dataclass(frozen=True)
class ViewMeeting(ButtonData, prefix="mtv"):
    meeting_id: int


@dataclass(frozen=True)
class MoveMeeting(ButtonData, prefix="mtmv"):
    meeting_id: int
    version: int


@dataclass(frozen=True)
class MoveConfirm(ButtonData, prefix="mtmvy"):
    meeting_id: int
    version: int


@dataclass(frozen=True)
class CancelMeeting(ButtonData, prefix="mtcx"):
    meeting_id: int
    version: int


@dataclass(frozen=True)
class CancelConfirm(ButtonData, prefix="mtcxy"):
    meeting_id: int
    version: int


@dataclass(frozen=True)
class KeepMeeting(ButtonData, prefix="mtkeep"):
    pass


# --- the agenda -----------------------------------------------------------------------------


@dataclass(frozen=True)
class AgendaEdit(ButtonData, prefix="mag"):
    meeting_id: int


@dataclass(frozen=True)
class AgendaWaiting(ButtonData, prefix="magw"):
    meeting_id: int


@dataclass(frozen=True)
class AgendaAdd(ButtonData, prefix="maga"):
    meeting_id: int
    item_id: int


@dataclass(frozen=True)
class AgendaUp(ButtonData, prefix="mau"):
    meeting_id: int
    item_id: int


@dataclass(frozen=True)
class AgendaDown(ButtonData, prefix="mad"):
    meeting_id: int
    item_id: int


@dataclass(frozen=True)
class AgendaBySupport(ButtonData, prefix="mas"):
    meeting_id: int


# --- minutes --------------------------------------------------------------------------------


@dataclass(frozen=True)
class MinutesList(ButtonData, prefix="mml"):
    pass


@dataclass(frozen=True)
class MinutesOpen(ButtonData, prefix="mmn"):
    meeting_id: int


@dataclass(frozen=True)
class MinutesAttended(ButtonData, prefix="mma"):
    meeting_id: int
    person_id: int


@dataclass(frozen=True)
class MinutesOthers(ButtonData, prefix="mmo"):
    meeting_id: int
    step: int  # 1: one more attended without the bot; 0: one fewer


@dataclass(frozen=True)
class MinutesDecisions(ButtonData, prefix="mmd"):
    meeting_id: int


@dataclass(frozen=True)
class MinutesKind(ButtonData, prefix="mmk"):
    meeting_id: int
    item_id: int
    kind: Literal["d", "p"]  # decided, in progress


@dataclass(frozen=True)
class MinutesRollOver(ButtonData, prefix="mmr"):
    meeting_id: int


@dataclass(frozen=True)
class MinutesFinish(ButtonData, prefix="mmf"):
    meeting_id: int
