"""Catalogue ids of closed families (a role, a status, a kind, a problem): each family declared
once from the council's own list of keys and looked up by key, never built by f-string where it
is used. tests/project/test_catalogue.py checks every id of every family exists in every
language, and a key outside its family fails here, loudly, instead of showing a missing sentence.
Used by the council (ids on notices) and the handlers (handlers/labels.py)."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from enum import StrEnum
from typing import ClassVar


class Ids(Mapping[str, str]):
    """`Ids("agenda.status.{}", agenda.STATUSES)["new"] == "agenda.status.new"`."""

    families: ClassVar[list[Ids]] = []

    def __init__(self, pattern: str, keys: Iterable[str | StrEnum]) -> None:
        if pattern.count("{}") != 1:
            raise ValueError(f"a family's pattern has one {{}}: {pattern!r}")
        self.pattern = pattern
        self._ids = {str(key): pattern.format(key) for key in keys}
        if not self._ids:
            raise ValueError(f"the family {pattern!r} has no keys")
        Ids.families.append(self)

    def __getitem__(self, key: str) -> str:
        try:
            return self._ids[str(key)]
        except KeyError:
            raise KeyError(f"{key!r} is not in the family {self.pattern!r}") from None

    def __iter__(self) -> Iterator[str]:
        return iter(self._ids)

    def __len__(self) -> int:
        return len(self._ids)
