"""The buttons of secret polls, as types (bot/council/buttons.py). The prefixes are the ones the
first version packed by hand, so ballots already sitting in people's chats keep working.

A selection in progress travels only in the voter's own buttons (a bitmask of option indexes);
it is never stored next to them."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.council.buttons import ButtonData
from bot.council.notices import ButtonSpec

TICK_ON = "✅"
TICK_OFF = "⬜"

Audience = Literal["members", "families", "both"]
Closing = Literal["1d", "3d", "7d"]  # the keys of polls.QUICK_CLOSING


# --- reading and voting --------------------------------------------------------------------


@dataclass(frozen=True)
class PollList(ButtonData, prefix="pll"):
    """Back to /polls."""


@dataclass(frozen=True)
class PollBallot(ButtonData, prefix="plb"):
    """The ballot with nothing selected (a notice's "Vote", or /polls)."""

    poll_id: int


@dataclass(frozen=True)
class PollToggle(ButtonData, prefix="plm"):
    """Multiple choice: the whole new selection, never stored."""

    poll_id: int
    mask: int


@dataclass(frozen=True)
class PollChoose(ButtonData, prefix="plt"):
    """ "You chose ... Confirm?" for this selection."""

    poll_id: int
    mask: int


@dataclass(frozen=True)
class PollConfirm(ButtonData, prefix="plc"):
    poll_id: int
    mask: int


@dataclass(frozen=True)
class PollResults(ButtonData, prefix="plr"):
    poll_id: int


@dataclass(frozen=True)
class PollCloseAsk(ButtonData, prefix="ple"):
    poll_id: int


@dataclass(frozen=True)
class PollCloseConfirm(ButtonData, prefix="plf"):
    poll_id: int


# --- writing a poll --------------------------------------------------------------------------


@dataclass(frozen=True)
class PollNew(ButtonData, prefix="pln"):
    pass


@dataclass(frozen=True)
class PollOptionsDone(ButtonData, prefix="plo"):
    pass


@dataclass(frozen=True)
class PollKind(ButtonData, prefix="plk"):
    kind: Literal["single", "multi"]


@dataclass(frozen=True)
class PollAudience(ButtonData, prefix="pla"):
    audience: Audience


@dataclass(frozen=True)
class PollWing(ButtonData, prefix="plw"):
    wing: str  # a configured wing id, or "all"


@dataclass(frozen=True)
class PollCloses(ButtonData, prefix="plx"):
    choice: Closing


@dataclass(frozen=True)
class PollOpen(ButtonData, prefix="ply"):
    pass


@dataclass(frozen=True)
class PollCancel(ButtonData, prefix="plq"):
    pass


def ballot_specs(poll_id: int, labels: list[str], multiple: bool) -> list[list[ButtonSpec]]:
    """The ballot as stored in a notice: the same for every elector, no selection in it."""
    if not multiple:
        return [
            [{"x": label, "d": PollChoose(poll_id, 1 << i).pack()}]
            for i, label in enumerate(labels)
        ]
    rows: list[list[ButtonSpec]] = [
        [{"x": f"{TICK_OFF} {label}", "d": PollToggle(poll_id, 1 << i).pack()}]
        for i, label in enumerate(labels)
    ]
    rows.append([{"m": "polls.done", "d": PollChoose(poll_id, 0).pack()}])
    return rows
