"""The peer schemes' typed-input flows (bot/council/flows.py), each declared once. The stored
names, steps and keys are today's, so a flow begun before an upgrade carries on."""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.council.flows import Draft, Flow


@dataclass(frozen=True)
class ForScheme(Draft):
    scheme: str = ""


@dataclass(frozen=True)
class HoursFor(Draft):
    scheme: str = ""
    week: str = ""  # the Monday, ISO


class NoteStep(enum.StrEnum):
    NOTE = "note"


class HoursStep(enum.StrEnum):
    LINES = "lines"


class AgendaStep(enum.StrEnum):
    TEXT = "text"


class CoordinatorStep(enum.StrEnum):
    REF = "ref"


NOTE = Flow("scheme_note", NoteStep, ForScheme)
HOURS = Flow("scheme_hours", HoursStep, HoursFor)
AGENDA = Flow("scheme_agenda", AgendaStep, ForScheme)
COORDINATOR = Flow("scheme_coord", CoordinatorStep, ForScheme)
