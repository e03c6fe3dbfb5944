"""Buttons as types. Each kind of button is one frozen dataclass with a short prefix; its fields
are typed, packed into the compact, versioned callback data "1:prefix:field:field" here and
checked here (under 64 bytes, compact parts, right count, right types), so a handler receives a
typed button and never re-parses strings. aiogram's CallbackData is the model; this is the
standard library only, and it lives in the council so notices can carry buttons without Telegram.

    @dataclass(frozen=True)
    class PollVote(ButtonData, prefix="plt"):
        poll_id: int
        mask: int

    PollVote(7, 4).pack() == "1:plt:7:4"
    ButtonData.parse("1:plt:7:4") == PollVote(7, 4)
    ButtonData.parse("1:plt:7:x") is None  # forged, old or garbled: answered "stale" centrally
"""

from __future__ import annotations

import enum
import functools
import re
import types
import typing
from dataclasses import MISSING, fields
from typing import Any, ClassVar, Self

VERSION = "1"
MAX_BYTES = 64
_PART = re.compile(r"^[A-Za-z0-9_.\-]{1,24}$")
_NONE = "-"  # an optional field left empty; "-" alone never packs a real value of any type
_INT_LIMIT = 2**62


class ButtonError(ValueError):
    """A button that cannot be packed: a programming error, caught by the tests."""


class ButtonData:
    """Base of every typed button. Subclasses are frozen dataclasses declared with a prefix."""

    prefix: ClassVar[str]
    _kinds: ClassVar[dict[str, type[ButtonData]]] = {}
    _decoders: ClassVar[tuple[tuple[str, Any, bool], ...] | None]

    def __init_subclass__(cls, prefix: str, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not _PART.match(prefix) or prefix == _NONE:
            raise ButtonError(f"button prefix {prefix!r} is not compact")
        if prefix in ButtonData._kinds:
            other = ButtonData._kinds[prefix].__name__
            raise ButtonError(f"button prefix {prefix!r} is used by {other} already")
        cls.prefix = prefix
        cls._decoders = None
        ButtonData._kinds[prefix] = cls
        _parse.cache_clear()  # data of this prefix read as unknown before now is known now

    # -- packing -------------------------------------------------------------------------------

    def pack(self) -> str:
        parts = [VERSION, self.prefix]
        for name, kind, _optional in self._fields():
            parts.append(_encode(getattr(self, name), kind, name))
        for part in parts[1:]:
            if not _PART.match(part):
                raise ButtonError(f"{type(self).__name__}: part {part!r} is not compact")
        data = ":".join(parts)
        if len(data.encode()) > MAX_BYTES:
            raise ButtonError(f"{type(self).__name__}: over {MAX_BYTES} bytes: {data}")
        return data

    # -- parsing -------------------------------------------------------------------------------

    @staticmethod
    def parse(data: str | None) -> ButtonData | None:
        """The typed button for callback data, or None for anything not packed here by this
        version: old, forged, garbled or of an unknown kind."""
        return _parse(data)

    @staticmethod
    def _parse_uncached(data: str | None) -> ButtonData | None:
        if not data or len(data.encode()) > MAX_BYTES:
            return None
        parts = data.split(":")
        if len(parts) < 2 or parts[0] != VERSION or not all(_PART.match(p) for p in parts[1:]):
            return None
        cls = ButtonData._kinds.get(parts[1])
        return None if cls is None else cls._from_parts(parts[2:])

    @classmethod
    def parse_as(cls, data: str | None) -> Self | None:
        """Like parse(), but only a button of this class."""
        found = ButtonData.parse(data)
        return found if isinstance(found, cls) else None

    @classmethod
    def _from_parts(cls, parts: list[str]) -> Self | None:
        spec = cls._fields()
        required = sum(1 for _, _, has_default in spec if not has_default)
        if not required <= len(parts) <= len(spec):
            return None
        values: dict[str, Any] = {}
        for (name, kind, _), raw in zip(spec, parts, strict=False):
            ok, value = _decode(raw, kind)
            if not ok:
                return None
            values[name] = value
        try:
            return cls(**values)
        except (TypeError, ValueError):
            return None

    @classmethod
    def _fields(cls) -> tuple[tuple[str, Any, bool], ...]:
        if cls._decoders is None:
            hints = typing.get_type_hints(cls)
            cls._decoders = tuple(
                (
                    f.name,
                    hints[f.name],
                    f.default is not MISSING or f.default_factory is not MISSING,
                )
                for f in fields(cls)  # type: ignore[arg-type]
            )
        return cls._decoders

    @staticmethod
    def kinds() -> dict[str, type[ButtonData]]:
        """Every button kind declared so far, by prefix (the registry checks it covers them)."""
        return dict(ButtonData._kinds)


# The same press data comes again and again (every voter choosing the same option of a poll
# sends the same Confirm): parsed once. Buttons are frozen, so one instance serves every press;
# bounded, since the data may be forged.
_parse = functools.lru_cache(maxsize=4096)(ButtonData._parse_uncached)


def _optional_of(kind: Any) -> Any | None:
    """T for `T | None`, else None."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(args) == 1 and len(typing.get_args(kind)) == 2:
            return args[0]
    return None


def _encode(value: Any, kind: Any, name: str) -> str:
    inner = _optional_of(kind)
    if inner is not None:
        return _NONE if value is None else _encode(value, inner, name)
    if kind is bool:
        return "1" if value else "0"
    if kind is int:
        if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value < _INT_LIMIT:
            raise ButtonError(f"field {name}: {value!r} is not a small non-negative number")
        return str(value)
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        return str(kind(value).value)
    if typing.get_origin(kind) is typing.Literal:
        if value not in typing.get_args(kind):
            raise ButtonError(f"field {name}: {value!r} is not one of {typing.get_args(kind)}")
        return str(value)
    if kind is str:
        if value == _NONE:
            raise ButtonError(f"field {name}: {_NONE!r} is reserved")
        return str(value)
    raise ButtonError(f"field {name}: type {kind!r} cannot be packed")


def _decode(raw: str, kind: Any) -> tuple[bool, Any]:
    inner = _optional_of(kind)
    if inner is not None:
        return (True, None) if raw == _NONE else _decode(raw, inner)
    if raw == _NONE:
        return False, None
    if kind is bool:
        return (raw in ("0", "1")), raw == "1"
    if kind is int:
        if not raw.isdigit() or len(raw) > 19:
            return False, None
        value = int(raw)
        return (value < _INT_LIMIT), value
    if isinstance(kind, type) and issubclass(kind, enum.Enum):
        try:
            return True, kind(raw)
        except ValueError:
            return False, None
    if typing.get_origin(kind) is typing.Literal:
        return (raw in typing.get_args(kind)), raw
    if kind is str:
        return True, raw
    return False, None
