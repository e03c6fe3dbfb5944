"""The peer schemes' typed-input flows (bot/council/flows.py), each declared once. The stored
names, steps and keys are today's, so a flow begun before an upgrade carries on."""

from __future__ import annotations

import enum
from dataclasses import dataclass, replace
from typing import Any

from bot.council.flows import Draft, Flow
from bot.council.scheme_buttons import SchemeKind


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


class NewSchemeStep(enum.StrEnum):
    """Setting up a scheme asks each text in each content language, in this order of fields
    (steps for a language the establishment does not use are skipped: see new_steps)."""

    NAME_EN = "name_en"
    NAME_CY = "name_cy"
    ABOUT_EN = "about_en"
    ABOUT_CY = "about_cy"
    HOW_EN = "how_en"
    HOW_CY = "how_cy"

    @property
    def field(self) -> str:
        return self.value.split("_", 1)[0]

    @property
    def lang(self) -> str:
        return self.value.split("_", 1)[1]


NEW_FIELDS = ("name", "about", "how")
NEW_MAX = {"name": 40, "about": 600, "how": 400}  # characters, per field


@dataclass(frozen=True)
class NewSchemeDraft(Draft):
    """The kind, then one text per step: the stored keys are the steps' names, as before."""

    kind: SchemeKind | None = None  # an unknown kind reads as no flow at all
    name_en: str = ""
    name_cy: str = ""
    about_en: str = ""
    about_cy: str = ""
    how_en: str = ""
    how_cy: str = ""

    def typed(self, step: NewSchemeStep, text: str) -> NewSchemeDraft:
        values: dict[str, Any] = {step.value: text}
        return replace(self, **values)

    def texts(self, field: str, langs: tuple[str, ...]) -> dict[str, str]:
        """One field's text in each language, e.g. {"en": ..., "cy": ...} for "name"."""
        return {lang: str(getattr(self, f"{field}_{lang}")) for lang in langs}


NEW = Flow("scheme_new", NewSchemeStep, NewSchemeDraft)


def new_steps(langs: tuple[str, ...]) -> list[NewSchemeStep]:
    """The steps in the order asked: each field, in each of the content languages."""
    return [
        step
        for field in NEW_FIELDS
        for lang in langs
        for step in NewSchemeStep
        if step.field == field and step.lang == lang
    ]
