"""The multi-step flows of agenda items, triage and outcomes, declared once as types
(bot.council.flows). The stored names are today's, so half-written input survives the upgrade."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from bot.council import flows


class RaiseStep(StrEnum):
    TOPIC = "topic"
    WING = "wing"
    TEXT = "text"
    HIDDEN = "hidden"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class RaiseDraft(flows.Draft):
    """A member's issue as it is being raised; None is "not asked yet"."""

    topic: str | None = None
    wing: str | None = None
    text: str | None = None
    hidden: bool | None = None


RAISE = flows.Flow("raise", RaiseStep, RaiseDraft)


class KeyinStep(StrEnum):
    TOPIC = "topic"
    WING = "wing"
    WRITER = "writer"
    TEXT = "text"
    REASON = "reason"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class KeyinDraft(flows.Draft):
    """A paper slip as staff key it in. writer: the member who wrote it, when staff know."""

    topic: str | None = None
    wing: str | None = None
    writer: int | None = None
    text: str | None = None
    reason: str | None = None


KEYIN = flows.Flow("keyin", KeyinStep, KeyinDraft)


class TriageStep(StrEnum):
    DECLINE = "decline"
    MERGE = "merge"
    ASK = "ask"
    DECLINE_CONFIRM = "decline_confirm"  # the reason in each content language, then confirm


@dataclass(frozen=True)
class TriageDraft(flows.Draft):
    """The item being decided, at the version staff saw; the reason once typed."""

    item: int = 0
    version: int = 0
    reason: str | None = None


TRIAGE = flows.Flow("triage", TriageStep, TriageDraft)


class ReplyStep(StrEnum):
    TEXT = "text"
    LATE = "late"  # staff moved on before the member answered: still taken, as a note
    LOOSE = "loose"  # words typed with no step open, offered as the answer


@dataclass(frozen=True)
class ReplyDraft(flows.Draft):
    item: int = 0
    text: str | None = None


REPLY = flows.Flow("agenda_reply", ReplyStep, ReplyDraft)


class OutcomeStep(StrEnum):
    REF = "ref"
    KIND = "kind"
    TEXT = "text"
    REASON = "reason"
    OWNER = "owner"
    DATE = "date"
    CONFIRM = "confirm"


@dataclass(frozen=True)
class OutcomeDraft(flows.Draft):
    """An outcome as staff write it. source: the road (command, triage). date: the follow-up
    day, ISO. Owner: a staff person's id, or a typed name."""

    item: int | None = None
    version: int | None = None
    source: str | None = None
    kind: str | None = None
    text: str | None = None
    reason: str | None = None
    owner_id: int | None = None
    owner_name: str | None = None
    date: str | None = None


OUTCOME = flows.Flow("outcome", OutcomeStep, OutcomeDraft)
