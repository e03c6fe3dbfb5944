"""Counting ranked ballots: single transferable vote (several seats) and instant runoff (one).

Plain Python with exact fractions, no I/O: tested against published counts with known rounds in
tests/council/test_count.py. pyrankvote was considered; it breaks ties at random and reports no transfer
amounts, and a count that must be explained round by round needs both.

STV: the Droop quota (floor(valid / (seats + 1)) + 1) and the weighted inclusive Gregory method:
an elected candidate's surplus moves on with every paper they hold, each at
value x surplus / total; one surplus per stage, largest first. With no surplus to move, the
candidate with fewest votes is excluded and their papers move on at their current value. When the
continuing candidates are no more than the seats left, they are all elected.

IRV: each round, a candidate with more than half of the votes still in play wins; otherwise the
candidate with fewest votes is excluded.

Ties (documented in docs/ELECTIONS.md): first look back, stage by stage from the most recent, for
a stage where the tied candidates had different votes and use it ("backwards tie-break"); if they
were level at every stage, decide by lot: a fixed draw from SHA-256 of the seed (the office) and
the candidate, so a recount gives the same answer and nobody chooses it.
"""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from fractions import Fraction

STV = "stv"
IRV = "irv"


@dataclass(frozen=True)
class Stage:
    """One stage of the count: the votes as they stood, then what was done."""

    votes: dict[
        int, Fraction
    ]  # every candidate still in the count (and the elected), at this stage
    exhausted: Fraction  # votes with no further preference, so far
    elected: tuple[int, ...]  # elected at this stage
    action: str  # "surplus", "exclude", "elect_rest" or "done"
    subject: int | None  # whose surplus or exclusion moved
    transfers: dict[int, Fraction] = field(default_factory=dict)  # to each candidate
    to_exhausted: Fraction = Fraction(0)
    tie_break: str = ""  # "", "backwards" or "lot"


@dataclass(frozen=True)
class Count:
    method: str
    seats: int
    valid: int  # ballots with at least one preference for a candidate in the count
    quota: Fraction  # STV: the Droop quota; IRV: 0 (a majority of each round's votes)
    stages: list[Stage]
    elected: list[int]  # in the order they were elected


@dataclass
class _Parcel:
    ranking: tuple[int, ...]
    at: int  # index in ranking of the candidate holding it
    value: Fraction  # value of each paper
    papers: int

    @property
    def votes(self) -> Fraction:
        return self.value * self.papers


def _lot(seed: str, candidate: int) -> str:
    return hashlib.sha256(f"{seed}:{candidate}".encode()).hexdigest()


def count(
    candidates: Sequence[int],
    ballots: Iterable[Sequence[int]],
    seats: int,
    *,
    method: str,
    seed: str = "",
) -> Count:
    """Count the ballots (each a ranking of candidate ids, best first). Preferences for anyone
    not in `candidates` (a withdrawn candidate) are skipped; a repeated preference counts once."""
    if method not in (STV, IRV):
        raise ValueError(f"unknown method {method!r}")
    if method == IRV:
        seats = 1
    standing = list(dict.fromkeys(candidates))
    allowed = set(standing)
    grouped: Counter[tuple[int, ...]] = Counter()
    for ranking in ballots:
        clean = tuple(c for c in dict.fromkeys(ranking) if c in allowed)
        if clean:
            grouped[clean] += 1
    valid = sum(grouped.values())
    quota = Fraction(valid // (seats + 1) + 1) if method == STV else Fraction(0)
    return _Counter(standing, grouped, seats, method, quota, seed, valid).run()


class _Counter:
    def __init__(
        self,
        standing: list[int],
        grouped: Counter[tuple[int, ...]],
        seats: int,
        method: str,
        quota: Fraction,
        seed: str,
        valid: int,
    ) -> None:
        self.method, self.seats, self.quota, self.seed, self.valid = (
            method,
            seats,
            quota,
            seed,
            valid,
        )
        self.continuing: list[int] = list(standing)
        self.elected: list[int] = []
        self.pending_surplus: list[int] = []
        self.piles: dict[int, list[_Parcel]] = {c: [] for c in standing}
        self.exhausted = Fraction(0)
        self.history: list[dict[int, Fraction]] = []
        self.stages: list[Stage] = []
        for ranking, papers in grouped.items():
            self.piles[ranking[0]].append(_Parcel(ranking, 0, Fraction(1), papers))

    def votes(self) -> dict[int, Fraction]:
        return {
            c: sum((p.votes for p in self.piles[c]), Fraction(0))
            for c in [*self.elected, *self.continuing]
        }

    def _order(self, tied: list[int], *, highest: bool) -> tuple[int, str]:
        """The one candidate picked among tied ones (the highest or the lowest), and how."""
        if len(tied) == 1:
            return tied[0], ""
        for past in reversed(self.history[:-1]):
            values = {c: past.get(c, Fraction(0)) for c in tied}
            best = max(values.values()) if highest else min(values.values())
            narrowed = [c for c in tied if values[c] == best]
            if len(narrowed) == 1:
                return narrowed[0], "backwards"
            tied = narrowed
        return min(tied, key=lambda c: _lot(self.seed, c)), "lot"

    def _move(self, pile: list[_Parcel], factor: Fraction) -> tuple[dict[int, Fraction], Fraction]:
        """Send each parcel on to its next continuing preference at value x factor."""
        moved: dict[int, Fraction] = {}
        lost = Fraction(0)
        open_set = set(self.continuing)
        for parcel in pile:
            value = parcel.value * factor
            if value == 0:
                continue
            nxt = next(
                (
                    i
                    for i in range(parcel.at + 1, len(parcel.ranking))
                    if parcel.ranking[i] in open_set
                ),
                None,
            )
            if nxt is None:
                lost += value * parcel.papers
                continue
            to = parcel.ranking[nxt]
            self.piles[to].append(_Parcel(parcel.ranking, nxt, value, parcel.papers))
            moved[to] = moved.get(to, Fraction(0)) + value * parcel.papers
        self.exhausted += lost
        return moved, lost

    def run(self) -> Count:
        while True:
            votes = self.votes()
            self.history.append(votes)
            shown = dict(votes)
            newly: list[int] = []
            tie = ""
            if self.method == STV:
                reached = [c for c in self.continuing if votes[c] >= self.quota]
                while reached:
                    top = max(votes[c] for c in reached)
                    pick, how = self._order([c for c in reached if votes[c] == top], highest=True)
                    tie = tie or how
                    reached.remove(pick)
                    newly.append(pick)
                for c in newly:
                    self.continuing.remove(c)
                    self.elected.append(c)
                    if votes[c] > self.quota:
                        self.pending_surplus.append(c)
            else:
                in_play = sum((votes[c] for c in self.continuing), Fraction(0))
                top = max((votes[c] for c in self.continuing), default=Fraction(0))
                if self.continuing and (top * 2 > in_play or len(self.continuing) == 1):
                    pick, tie = self._order(
                        [c for c in self.continuing if votes[c] == top], highest=True
                    )
                    self.continuing.remove(pick)
                    self.elected.append(pick)
                    newly.append(pick)
            if len(self.elected) >= self.seats or not self.continuing:
                self.stages.append(
                    Stage(shown, self.exhausted, tuple(newly), "done", None, tie_break=tie)
                )
                break
            if self.method == STV and len(self.continuing) <= self.seats - len(self.elected):
                rest = sorted(self.continuing, key=lambda c: -votes[c])
                self.elected.extend(rest)
                self.continuing = []
                self.stages.append(
                    Stage(shown, self.exhausted, (*newly, *rest), "elect_rest", None, tie_break=tie)
                )
                break
            if self.pending_surplus:
                top = max(votes[c] for c in self.pending_surplus)
                subject, how = self._order(
                    [c for c in self.pending_surplus if votes[c] == top], highest=True
                )
                self.pending_surplus.remove(subject)
                surplus = votes[subject] - self.quota
                pile, self.piles[subject] = self.piles[subject], []
                moved, lost = self._move(pile, surplus / votes[subject])
                # What stays with the elected candidate is exactly the quota.
                self.piles[subject].append(_Parcel((subject,), 0, self.quota, 1))
                action = "surplus"
            else:
                low = min(votes[c] for c in self.continuing)
                subject, how = self._order(
                    [c for c in self.continuing if votes[c] == low], highest=False
                )
                self.continuing.remove(subject)
                pile, self.piles[subject] = self.piles[subject], []
                moved, lost = self._move(pile, Fraction(1))
                action = "exclude"
            self.stages.append(
                Stage(
                    shown,
                    self.exhausted - lost,
                    tuple(newly),
                    action,
                    subject,
                    moved,
                    lost,
                    tie or how,
                )
            )
        return Count(self.method, self.seats, self.valid, self.quota, self.stages, self.elected)
