"""The buttons of elections and paper ballots, as types (bot/council/buttons.py). The prefixes
are the ones the first version packed by hand, so buttons already in people's chats keep working.

A ranking in progress travels only in the voter's own buttons (candidate positions, coded by
`encode`), never stored next to them. It stays a plain string on the wire: a forged ranking is
the council's to refuse ("not open to you"), like any other forged ballot."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from bot.council.buttons import ButtonData
from bot.council.notices import ButtonSpec

Electorate = Literal["wing", "members", "reps"]
NominationChoice = Literal["3d", "7d", "14d"]  # the keys of elections.NOMINATION_CHOICES
VotingChoice = Literal["1d", "3d", "7d"]  # the keys of elections.VOTING_CHOICES

_DIGITS = "0123456789abcdefghijklmnopqrstuvwxyz"
START = "r"  # an empty ranking


def encode(ranking: list[int]) -> str:
    return START + "".join(_DIGITS[i] for i in ranking)


def decode(raw: str | None) -> list[int] | None:
    """None for anything forged (unknown characters). Repeats are caught by the council."""
    if not raw or not raw.startswith(START) or any(ch not in _DIGITS for ch in raw[1:]):
        return None
    return [_DIGITS.index(ch) for ch in raw[1:]]


# --- reading and voting ------------------------------------------------------------------------


@dataclass(frozen=True)
class ElectionList(ButtonData, prefix="ell"):
    """Back to /elections."""


@dataclass(frozen=True)
class Statements(ButtonData, prefix="els"):
    office_id: int
    page: int = 0


@dataclass(frozen=True)
class ElectionResults(ButtonData, prefix="elr"):
    office_id: int


@dataclass(frozen=True)
class ElectionChart(ButtonData, prefix="elg"):
    office_id: int


@dataclass(frozen=True)
class BallotShow(ButtonData, prefix="elv"):
    office_id: int
    ranking: str = START


@dataclass(frozen=True)
class BallotReview(ButtonData, prefix="elw"):
    office_id: int
    ranking: str


@dataclass(frozen=True)
class BallotCast(ButtonData, prefix="elc"):
    office_id: int
    ranking: str


# --- standing ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Stand(ButtonData, prefix="esd"):
    office_id: int


@dataclass(frozen=True)
class StandConfirm(ButtonData, prefix="esy"):
    pass


@dataclass(frozen=True)
class StandCancel(ButtonData, prefix="esq"):
    pass


@dataclass(frozen=True)
class StatementChange(ButtonData, prefix="esc"):
    office_id: int


@dataclass(frozen=True)
class WithdrawAsk(ButtonData, prefix="esw"):
    office_id: int


@dataclass(frozen=True)
class Withdraw(ButtonData, prefix="esx"):
    office_id: int


@dataclass(frozen=True)
class Second(ButtonData, prefix="ess"):
    candidate_id: int


# --- calling an election -------------------------------------------------------------------------


@dataclass(frozen=True)
class ElectionNew(ButtonData, prefix="eln"):
    pass


@dataclass(frozen=True)
class ByElection(ButtonData, prefix="elb"):
    office_id: int


@dataclass(frozen=True)
class PickSeats(ButtonData, prefix="ens"):
    seats: int


@dataclass(frozen=True)
class PickElectorate(ButtonData, prefix="ene"):
    electorate: Electorate
    wing: str | None = None


@dataclass(frozen=True)
class AddOffice(ButtonData, prefix="enm"):
    pass


@dataclass(frozen=True)
class OfficesDone(ButtonData, prefix="enx"):
    pass


@dataclass(frozen=True)
class PickSeconders(ButtonData, prefix="enc"):
    seconders: int


@dataclass(frozen=True)
class PickNominations(ButtonData, prefix="enp"):
    choice: NominationChoice


@dataclass(frozen=True)
class PickVoting(ButtonData, prefix="env"):
    choice: VotingChoice


@dataclass(frozen=True)
class Publish(ButtonData, prefix="eny"):
    pass


@dataclass(frozen=True)
class Discard(ButtonData, prefix="enq"):
    pass


# --- staff: the desk, the paper register, boxes and keying ---------------------------------------


@dataclass(frozen=True)
class Desk(ButtonData, prefix="eld"):
    election_id: int


@dataclass(frozen=True)
class AskChange(ButtonData, prefix="eca"):
    candidate_id: int


@dataclass(frozen=True)
class Register(ButtonData, prefix="epm"):
    office_id: int


@dataclass(frozen=True)
class RegisterConfirm(ButtonData, prefix="epy"):
    office_id: int
    person_id: int


@dataclass(frozen=True)
class BoxStart(ButtonData, prefix="epb"):
    office_id: int


@dataclass(frozen=True)
class BoxConfirm(ButtonData, prefix="epk"):
    box_id: int


@dataclass(frozen=True)
class KeyShow(ButtonData, prefix="epr"):
    box_id: int
    expected: int
    ranking: str = START


@dataclass(frozen=True)
class KeyReview(ButtonData, prefix="epw"):
    box_id: int
    expected: int
    ranking: str


@dataclass(frozen=True)
class KeyConfirm(ButtonData, prefix="epc"):
    box_id: int
    expected: int
    ranking: str


@dataclass(frozen=True)
class CountAsk(ButtonData, prefix="ecn"):
    election_id: int


@dataclass(frozen=True)
class CountConfirm(ButtonData, prefix="ecy"):
    election_id: int


# --- paper votes for ordinary polls ------------------------------------------------------------


@dataclass(frozen=True)
class PollRegister(ButtonData, prefix="ppm"):
    poll_id: int


@dataclass(frozen=True)
class PollRegisterConfirm(ButtonData, prefix="ppy"):
    poll_id: int
    person_id: int


@dataclass(frozen=True)
class PollBox(ButtonData, prefix="ppb"):
    poll_id: int


# --- buttons on queued notices -------------------------------------------------------------------


def office_buttons(office_id: int) -> list[list[ButtonSpec]]:
    """The buttons of a queued election notice: the same for every elector."""
    if office_id == 0:
        return [[{"m": "elections.open_button", "d": ElectionList().pack()}]]
    return [
        [{"m": "elections.vote_button_plain", "d": BallotShow(office_id).pack()}],
        [{"m": "elections.statements_button", "d": Statements(office_id, 0).pack()}],
    ]


def by_election_buttons(office_id: int) -> list[list[ButtonSpec]]:
    """The "seat empty" notice's button."""
    return [[{"m": "elections.by_election_button", "d": ByElection(office_id).pack()}]]


def change_statement_buttons() -> list[list[ButtonSpec]]:
    """The "please change your statement" notice's button."""
    return [[{"m": "elections.change_statement_button", "d": ElectionList().pack()}]]
