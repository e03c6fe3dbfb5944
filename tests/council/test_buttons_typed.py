"""Typed buttons (bot/council/buttons.py): packed and checked in one place; forged, old and
garbled data parse to None so the wrapper answers "stale" and no handler sees it."""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Literal

import pytest

from bot.council.buttons import ButtonData, ButtonError


class Audience(enum.StrEnum):
    MEMBERS = "members"
    FAMILIES = "families"


@dataclass(frozen=True)
class _Vote(ButtonData, prefix="tstv"):
    poll_id: int
    mask: int


@dataclass(frozen=True)
class _Pick(ButtonData, prefix="tstp"):
    audience: Audience
    kind: Literal["single", "multi"]
    wing: str | None = None
    confirm: bool = False


def test_round_trip_and_wire_format() -> None:
    assert _Vote(7, 4).pack() == "1:tstv:7:4"
    assert ButtonData.parse("1:tstv:7:4") == _Vote(7, 4)
    pick = _Pick(Audience.FAMILIES, "multi", None, True)
    assert pick.pack() == "1:tstp:families:multi:-:1"
    assert ButtonData.parse(pick.pack()) == pick
    assert _Pick.parse_as("1:tstp:members:single") == _Pick(Audience.MEMBERS, "single")
    assert _Vote.parse_as("1:tstp:members:single") is None


@pytest.mark.parametrize(
    "data",
    [
        None,
        "",
        "1",
        "2:tstv:7:4",  # another version
        "1:nope:7",  # unknown kind
        "1:tstv:7",  # too few
        "1:tstv:7:4:9",  # too many
        "1:tstv:-7:4",
        "1:tstv:x:4",
        "1:tstv:99999999999999999999:4",
        "1:tstp:staff:single",  # not an audience
        "1:tstp:members:both",  # not a kind
        "1:tstp:members:single:a:2",  # not a bool
        "1:tstv:7:4" + "0" * 70,  # over 64 bytes
        "1:tstv:7:4 ",
        "1:tstv::4",
    ],
)
def test_forged_data_is_none(data: str | None) -> None:
    assert ButtonData.parse(data) is None


def test_packing_mistakes_are_loud() -> None:
    with pytest.raises(ButtonError):
        _Vote(-1, 0).pack()
    with pytest.raises(ButtonError):
        _Pick(Audience.MEMBERS, "single", "has space").pack()
    with pytest.raises(ButtonError):
        _Pick(Audience.MEMBERS, "single", "x" * 60).pack()
    with pytest.raises(ButtonError):

        @dataclass(frozen=True)
        class _Twin(ButtonData, prefix="tstv"):
            n: int


def test_every_kind_is_registered_once() -> None:
    kinds = ButtonData.kinds()
    assert kinds["tstv"] is _Vote
    assert kinds["tstp"] is _Pick


def test_every_typed_kind_in_the_registry_is_its_own_prefix() -> None:
    from handlers import BUTTONS

    for prefix, spec in BUTTONS.items():
        if spec.button is not None:
            assert spec.button.prefix == prefix, (prefix, spec.button)
    typed = {p for p, s in BUTTONS.items() if s.button is not None}
    declared = {
        p for p, cls in ButtonData.kinds().items() if not cls.__module__.startswith("tests.")
    }
    assert declared <= typed, f"typed buttons with no handler: {sorted(declared - typed)}"
