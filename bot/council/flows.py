"""Flows as types. A multi-step flow (raise an issue, write a poll, schedule a meeting...) is one
class declaring its name, its steps and its draft, in one place (aiogram's StatesGroup is the
model). The draft is a frozen dataclass kept as JSON in the person's conversation row, in the
same transaction as the change it leads to, so half-written input survives a restart. There is
one way to read it (`Flow.read`) and one way to save it (`Flow.save`).

    class PollStep(StrEnum):
        QUESTION = "question"
        OPTIONS = "options"

    @dataclass(frozen=True)
    class PollDraft(Draft):
        question: str = ""
        options: tuple[str, ...] = ()

    NEW_POLL = Flow("poll_new", PollStep, PollDraft)

    at = NEW_POLL.read(call.state)          # None unless the person is in this flow
    if at and at.step is PollStep.OPTIONS: ...
    await NEW_POLL.save(tx, person_id, PollStep.OPTIONS, replace(at.draft, ...), now)
"""

from __future__ import annotations

import dataclasses
import enum
import types
import typing
from dataclasses import dataclass
from datetime import datetime
from typing import Any, ClassVar, Generic, TypeVar

from storage import conversation
from storage.conversation import ConversationRow
from storage.db import Tx


class Draft:
    """Base of every flow's draft: a frozen dataclass of plain values (str, int, bool, float,
    aware datetimes, StrEnums, tuples and optionals of these). Unknown or damaged stored data
    reads as None, never as a half-filled draft."""

    def to_data(self) -> dict[str, Any]:
        return {f.name: _dump(getattr(self, f.name)) for f in dataclasses.fields(self)}  # type: ignore[arg-type]

    @classmethod
    def from_data(cls, data: dict[str, Any]) -> Any:
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        try:
            for f in dataclasses.fields(cls):  # type: ignore[arg-type]
                if f.name in data:
                    values[f.name] = _load(data[f.name], hints[f.name])
            return cls(**values)
        except (TypeError, ValueError, KeyError, AttributeError):
            return None


StepT = TypeVar("StepT", bound=enum.StrEnum)
DraftT = TypeVar("DraftT", bound=Draft)


@dataclass(frozen=True)
class At(Generic[StepT, DraftT]):
    """Where a person is in a flow: the step and the draft so far."""

    step: StepT
    draft: DraftT


class Flow(Generic[StepT, DraftT]):
    """One flow: its stored name, its steps and its draft type. Every flow is listed in
    Flow.all(), so the registry can check each has a typed-reply handler."""

    _all: ClassVar[dict[str, Flow[Any, Any]]] = {}

    def __init__(self, name: str, steps: type[StepT], draft: type[DraftT]) -> None:
        if name in Flow._all:
            raise ValueError(f"flow {name!r} is declared twice")
        self.name = name
        self.steps = steps
        self.draft = draft
        Flow._all[name] = self

    def __repr__(self) -> str:
        return f"Flow({self.name!r})"

    def read(self, state: ConversationRow | None) -> At[StepT, DraftT] | None:
        """The person's place in this flow, or None when they are elsewhere (or the stored
        step or draft no longer fits: a stale row is treated as no flow)."""
        if state is None or state.flow != self.name:
            return None
        try:
            step = self.steps(state.step)
        except ValueError:
            return None
        draft = self.draft.from_data(state.data)
        return None if draft is None else At(step, draft)

    async def save(self, tx: Tx, person_id: int, step: StepT, draft: DraftT, now: datetime) -> None:
        await conversation.put(tx, person_id, self.name, step.value, draft.to_data(), now)

    @staticmethod
    async def end(tx: Tx, person_id: int) -> bool:
        return await conversation.clear(tx, person_id)

    @staticmethod
    def all() -> dict[str, Flow[Any, Any]]:
        return dict(Flow._all)


def _dump(value: Any) -> Any:
    if isinstance(value, Draft):  # a draft inside a draft (an election's offices)
        return value.to_data()
    if isinstance(value, datetime):
        if value.tzinfo is None:
            raise ValueError("a draft holds only timezone-aware times")
        return {"t": value.isoformat()}
    if isinstance(value, enum.Enum):
        return value.value
    if isinstance(value, tuple | list):
        return [_dump(v) for v in value]
    return value


def _load(raw: Any, kind: Any) -> Any:
    origin = typing.get_origin(kind)
    if origin in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if raw is None:
            return None
        return _load(raw, args[0]) if len(args) == 1 else raw
    if isinstance(kind, type) and issubclass(kind, Draft):
        inner = kind.from_data(raw) if isinstance(raw, dict) else None
        if inner is None:
            raise ValueError("not a stored draft")
        return inner
    if kind is datetime:
        if not isinstance(raw, dict) or "t" not in raw:
            raise ValueError("not a stored time")
        return datetime.fromisoformat(raw["t"])
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return kind(raw)
    if origin is tuple:
        members = typing.get_args(kind)
        inner = members[0] if members else Any
        return tuple(_load(v, inner) for v in raw)
    if origin is dict or kind is dict:
        return dict(raw)
    return raw
