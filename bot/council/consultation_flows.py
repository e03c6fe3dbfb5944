"""The consultations' typed-input flows (bot/council/flows.py), each declared once. The stored
names, steps and keys are today's, so a flow begun before an upgrade carries on (a consultation
being written keeps reading the older draft shape too: ConsultationDraft.from_data)."""

from __future__ import annotations

import enum
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.council.consultation_buttons import Audience, Kind
from bot.council.flows import Draft, Flow

KINDS: tuple[Kind, ...] = typing.get_args(Kind)
AUDIENCES: tuple[Audience, ...] = typing.get_args(Audience)


class NewStep(enum.StrEnum):
    """Writing a consultation (staff, /consult)."""

    TITLE = "title"
    BACKGROUND = "background"
    QUESTION = "question"
    KIND = "kind"  # the question's prompt is typed; its kind is asked
    OPTIONS = "options"  # a choice question's options are asked
    MORE = "more"
    AUDIENCE = "audience"
    CLOSE = "close"
    PREVIEW = "preview"


@dataclass(frozen=True)
class Question(Draft):
    kind: Kind = "text"
    prompt: str = ""
    options: tuple[str, ...] = ()  # for choice questions


@dataclass(frozen=True)
class ConsultationDraft(Draft):
    """A consultation being written, kept in the conversation row between steps."""

    title: str = ""
    background: str = ""
    questions: tuple[Question, ...] = ()
    audience: Audience | None = None
    closes_at: datetime | None = None
    prompt: str = ""  # the question being written (steps KIND and OPTIONS)
    kind: Kind | None = None  # its kind, once chosen (step OPTIONS)

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> ConsultationDraft | None:
        """Also reads the shape written before drafts were typed (questions as [kind, prompt,
        options] lists, "" for unset, the closing time as database text); a kind or an audience
        that is not ours reads as no draft."""
        data = dict(data)
        questions = data.get("questions")
        if isinstance(questions, list):
            data["questions"] = [
                {"kind": q[0], "prompt": q[1], "options": q[2]}
                if isinstance(q, list) and len(q) == 3
                else q
                for q in questions
            ]
        for key in ("audience", "kind", "closes_at"):
            if data.get(key) == "":
                data[key] = None
        if isinstance(data.get("closes_at"), str):
            data["closes_at"] = {"t": data["closes_at"]}  # "...Z" text reads as an aware time
        draft = super().from_data(data)
        if not isinstance(draft, ConsultationDraft) or not draft._fits():
            return None
        return draft

    def _fits(self) -> bool:
        words = [self.title, self.background, self.prompt]
        words += [w for q in self.questions for w in (q.prompt, *q.options)]
        return (
            all(isinstance(w, str) for w in words)
            and all(q.kind in KINDS for q in self.questions)
            and self.audience in (None, *AUDIENCES)
            and self.kind in (None, *KINDS)
            and (self.closes_at is None or self.closes_at.tzinfo is not None)
        )


class AnswerStep(enum.StrEnum):
    TEXT = "text"  # a free-text answer to question q
    NAME = "name"  # the name the person lets staff see


@dataclass(frozen=True)
class Answering(Draft):
    c: int | None = None  # the consultation
    q: int | None = None  # the question's position
    m: str = "n"  # "r": changing one answer from the review


class ReportStep(enum.StrEnum):
    HEARD = "heard"
    WILL = "will"
    PREVIEW = "preview"


@dataclass(frozen=True)
class Reporting(Draft):
    c: int | None = None  # the consultation
    heard: str = ""
    will: str = ""


NEW = Flow("consult_new", NewStep, ConsultationDraft)
ANSWER = Flow("consult_answer", AnswerStep, Answering)
REPORT = Flow("consult_report", ReportStep, Reporting)
