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


class WorkerStep(enum.StrEnum):
    """Adding a peer worker asks these in turn; "-" skips the optional ones."""

    REF = "ref"
    NAME = "name"
    TRAINING = "training"
    TRAINED_ON = "trained_on"
    STARTED_ON = "started_on"


@dataclass(frozen=True)
class AddingWorker(Draft):
    scheme: str = ""
    person: int | None = None
    name: str | None = None
    training: str = ""
    trained_on: str | None = None  # ISO day
    started_on: str | None = None  # ISO day


WORKER = Flow("scheme_worker", WorkerStep, AddingWorker)
