"""The consultations' typed-input flows (bot/council/flows.py), each declared once. The stored
names, steps and keys are today's, so a flow begun before an upgrade carries on. (Writing a new
consultation, "consult_new", still keeps its draft the older way: see bot/council/consultations
Draft.)"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from bot.council.flows import Draft, Flow


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


NEW_NAME = "consult_new"
ANSWER = Flow("consult_answer", AnswerStep, Answering)
REPORT = Flow("consult_report", ReportStep, Reporting)
