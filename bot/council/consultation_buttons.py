"""The consultations' buttons as types (bot/council/buttons.py): the prefixes are today's, so
buttons already sent keep working. The council builds the notices' buttons from these."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.council.buttons import ButtonData

# "n": answering in order; "r": changing one answer from the review, then back to the review.
Mode = Literal["n", "r"]
Kind = Literal["text", "single", "multiple"]
Audience = Literal["families", "members", "both"]


@dataclass(frozen=True)
class OpenConsultation(ButtonData, prefix="cso"):
    consultation_id: int


@dataclass(frozen=True)
class GoToQuestion(ButtonData, prefix="csq"):
    consultation_id: int
    position: int
    mode: Mode = "n"


@dataclass(frozen=True)
class PickOption(ButtonData, prefix="csa"):
    consultation_id: int
    position: int
    option: int
    mode: Mode = "n"


@dataclass(frozen=True)
class DoneMultiple(ButtonData, prefix="csd"):
    consultation_id: int
    position: int
    mode: Mode = "n"


@dataclass(frozen=True)
class SkipQuestion(ButtonData, prefix="csk"):
    consultation_id: int
    position: int
    mode: Mode = "n"


@dataclass(frozen=True)
class ReviewAnswers(ButtonData, prefix="csr"):
    consultation_id: int


@dataclass(frozen=True)
class SubmitAnswers(ButtonData, prefix="css"):
    consultation_id: int


@dataclass(frozen=True)
class NameChoice(ButtonData, prefix="csn"):
    consultation_id: int
    give_name: bool


@dataclass(frozen=True)
class ConsultationSummary(ButtonData, prefix="csx"):
    consultation_id: int


@dataclass(frozen=True)
class CloseEarlyAsk(ButtonData, prefix="csc"):
    consultation_id: int


@dataclass(frozen=True)
class CloseEarlyConfirm(ButtonData, prefix="csz"):
    consultation_id: int


@dataclass(frozen=True)
class ReportStart(ButtonData, prefix="csp"):
    consultation_id: int


@dataclass(frozen=True)
class ReportPublish(ButtonData, prefix="csy"):
    consultation_id: int


@dataclass(frozen=True)
class NewKind(ButtonData, prefix="cnk"):
    kind: Kind


@dataclass(frozen=True)
class NewMore(ButtonData, prefix="cnm"):
    more: bool


@dataclass(frozen=True)
class NewAudience(ButtonData, prefix="cna"):
    audience: Audience


@dataclass(frozen=True)
class NewClose(ButtonData, prefix="cnc"):
    days: int


@dataclass(frozen=True)
class NewPublish(ButtonData, prefix="cnp"):
    pass


@dataclass(frozen=True)
class NewDiscard(ButtonData, prefix="cnx"):
    """Drop the draft being written: a new consultation or a report back."""
