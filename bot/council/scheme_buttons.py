"""The peer schemes' buttons as types (bot/council/buttons.py): the prefixes are today's, so
buttons already sent keep working. The council builds the notices' buttons from these."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

from bot.council.buttons import ButtonData

FollowupAnswer = Literal["yes", "partly", "no"]


class SchemeKind(enum.StrEnum):
    """bot.config.SCHEME_KINDS as a type (tests/e2e/test_schemes.py checks they agree), so a
    forged kind on a button is answered as stale by the wrapper."""

    LISTENERS = "listeners"
    INSIDERS = "insiders"
    PEER_SUPPORT = "peer_support"
    PEER_EDUCATION = "peer_education"
    PEER_MENTORING = "peer_mentoring"
    HEALTH_TRAINERS = "health_trainers"
    PEER_ADVISORS = "peer_advisors"
    OTHER = "other"


@dataclass(frozen=True)
class SchemeDirectory(ButtonData, prefix="schl"):
    pass


@dataclass(frozen=True)
class SchemePage(ButtonData, prefix="sch"):
    scheme_id: str


@dataclass(frozen=True)
class AskScheme(ButtonData, prefix="sak"):
    scheme_id: str


@dataclass(frozen=True)
class AskNow(ButtonData, prefix="sas"):
    """Send the request without a note."""

    scheme_id: str


@dataclass(frozen=True)
class AskWithNote(ButtonData, prefix="san"):
    scheme_id: str


@dataclass(frozen=True)
class CancelRequest(ButtonData, prefix="scx"):
    request_id: int


@dataclass(frozen=True)
class FollowupPick(ButtonData, prefix="scf"):
    request_id: int
    answer: FollowupAnswer


@dataclass(frozen=True)
class ArrangeRequest(ButtonData, prefix="sca"):
    """ "I am arranging this" on a request."""

    request_id: int


@dataclass(frozen=True)
class OpenRequests(ButtonData, prefix="srq"):
    scheme_id: str


@dataclass(frozen=True)
class Workers(ButtonData, prefix="swl"):
    scheme_id: str


@dataclass(frozen=True)
class AddWorker(ButtonData, prefix="swa"):
    scheme_id: str


@dataclass(frozen=True)
class EndRoleAsk(ButtonData, prefix="swe"):
    worker_id: int


@dataclass(frozen=True)
class EndRoleConfirm(ButtonData, prefix="swey"):
    worker_id: int


@dataclass(frozen=True)
class EndRoleKeep(ButtonData, prefix="swen"):
    pass


@dataclass(frozen=True)
class HoursStart(ButtonData, prefix="shw"):
    scheme_id: str


@dataclass(frozen=True)
class HoursWeek(ButtonData, prefix="shr"):
    scheme_id: str
    week: str  # the Monday, ISO (2026-11-30); checked by the council's parse_day


@dataclass(frozen=True)
class SchemeAgenda(ButtonData, prefix="sag"):
    scheme_id: str


@dataclass(frozen=True)
class AddCoordinator(ButtonData, prefix="sco"):
    scheme_id: str


@dataclass(frozen=True)
class NewScheme(ButtonData, prefix="snew"):
    pass


@dataclass(frozen=True)
class NewSchemeKind(ButtonData, prefix="snk"):
    kind: SchemeKind


@dataclass(frozen=True)
class PrintRecord(ButtonData, prefix="srp"):
    pass
