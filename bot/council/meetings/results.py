"""What the meetings rules answer: one StrEnum per part, matched exhaustively by the handlers,
which look each one's catalogue id up (never build it)."""

from __future__ import annotations

from enum import StrEnum


class Said(StrEnum):
    """An answer (RSVP) to a meeting."""

    SAVED = "saved"
    SAME = "same"
    UNKNOWN = "unknown"
    NOT_AUDIENCE = "not_audience"
    CANCELLED = "cancelled"
    STARTED = "started"


class Changed(StrEnum):
    """A move or a cancel."""

    DONE = "done"
    UNKNOWN = "unknown"
    HANDLED = "handled"
    CANCELLED = "cancelled"
    STARTED = "started"
    SAME = "same"
    PAST = "past"


class Ordered(StrEnum):
    """A change to a meeting's agenda."""

    DONE = "done"
    EDGE = "edge"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    STARTED = "started"
    NOT_MEMBERS = "not_members"
    WING = "wing"
    HANDLED = "handled"
    FULL = "full"


class Minuted(StrEnum):
    """A step of the minutes."""

    DONE = "done"
    UNKNOWN = "unknown"
    CANCELLED = "cancelled"
    NOT_YET = "not_yet"
    FINISHED = "finished"
    NOT_LISTED = "not_listed"
    TEXT = "text"
    NOT_ON_AGENDA = "not_on_agenda"
    HANDLED = "handled"
    NONE = "none"
    NO_MEETING = "no_meeting"


class PlanProblem(StrEnum):
    """Why a plan (or its series) cannot be scheduled."""

    TOO_MANY = "too_many"
    TOO_LONG = "too_long"
    GAP = "gap"
    PAST = "past"
    KIND = "kind"
    AUDIENCE = "audience"
    WING = "wing"
    RULE = "rule"
    TEXT = "text"
