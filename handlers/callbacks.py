"""Callback data: a compact, versioned "1:kind:arg:arg", parsed in one place, under 64 bytes."""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

VERSION = "1"
MAX_BYTES = 64
_ARG = re.compile(r"^[A-Za-z0-9_.\-]{1,24}$")


@dataclass(frozen=True)
class Callback:
    kind: str
    args: tuple[str, ...]


def pack(kind: str, *args: str | int) -> str:
    parts = [VERSION, kind, *(str(a) for a in args)]
    for part in parts[1:]:
        if not _ARG.match(part):
            raise ValueError(f"callback part {part!r} is not compact")
    data = ":".join(parts)
    if len(data.encode()) > MAX_BYTES:
        raise ValueError(f"callback data over {MAX_BYTES} bytes: {data}")
    return data


# The same data comes again and again (every voter choosing the same option sends the same
# Confirm): read once. Callback is frozen; bounded, since the data may be forged.
@functools.lru_cache(maxsize=4096)
def unpack(data: str | None) -> Callback | None:
    """None for anything not made by pack() of this version: old, forged or garbled data."""
    if not data or len(data.encode()) > MAX_BYTES:
        return None
    parts = data.split(":")
    if len(parts) < 2 or parts[0] != VERSION or not all(_ARG.match(p) for p in parts[1:]):
        return None
    return Callback(parts[1], tuple(parts[2:]))
