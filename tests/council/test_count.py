"""The STV and IRV count against published counts with known rounds, and the tie-break rule."""

from __future__ import annotations

from fractions import Fraction

from bot.council.count import IRV, STV, count

# Wikipedia, "Single transferable vote", the worked example (20 voters, 3 seats, Droop quota 6):
# https://en.wikipedia.org/wiki/Single_transferable_vote#Example
OR, P, C, S, H = 1, 2, 3, 4, 5
FOOD = [(OR,)] * 4 + [(P, OR)] * 2 + [(C, S)] * 8 + [(C, H)] * 4 + [(S,)] + [(H,)]


def test_stv_wikipedia_food_election() -> None:
    result = count([OR, P, C, S, H], FOOD, 3, method=STV)
    assert result.quota == 6 and result.valid == 20
    first, second, third, last = result.stages
    assert first.votes == {OR: 4, P: 2, C: 12, S: 1, H: 1}
    # Chocolate is elected with 12; the surplus of 6 moves at 6/12: 4 to Strawberries, 2 to Hamburgers.
    assert first.elected == (C,) and first.action == "surplus" and first.subject == C
    assert first.transfers == {S: 4, H: 2}
    assert second.votes == {C: 6, OR: 4, P: 2, S: 5, H: 3}
    # No one reaches the quota: Pears go out, their 2 go to Oranges.
    assert (second.action, second.subject, second.transfers) == ("exclude", P, {OR: 2})
    assert third.votes[OR] == 6 and third.elected == (OR,)
    # Hamburgers go out; their votes have no further preference.
    assert (third.action, third.subject, third.to_exhausted) == ("exclude", H, 3)
    assert last.action == "elect_rest" and last.elected == (S,)
    assert result.elected == [C, OR, S]


# Wikipedia, "Counting single transferable votes", the example with Andrea, Brad, Carter and
# Delilah (57 voters, 2 seats, Droop quota 20).
A, B, Cr, D = 11, 12, 13, 14
ANDREA = [(A, B, Cr)] * 16 + [(A, Cr, B)] * 24 + [(D, A, B)] * 17


def test_stv_wikipedia_andrea_carter() -> None:
    result = count([A, B, Cr, D], ANDREA, 2, method=STV)
    assert result.quota == 20
    first, second, last = result.stages
    assert first.votes == {A: 40, B: 0, Cr: 0, D: 17}
    assert first.elected == (A,) and first.transfers == {B: 8, Cr: 12}
    assert second.votes == {A: 20, B: 8, Cr: 12, D: 17}
    assert (second.action, second.subject, second.transfers) == ("exclude", B, {Cr: 8})
    assert last.votes[Cr] == 20 and last.elected == (Cr,)
    assert result.elected == [A, Cr]


# Wikipedia, "Instant-runoff voting", the Tennessee capital example (percentages as voters).
M, N, Ch, K = 21, 22, 23, 24
TENNESSEE = (
    [(M, N, Ch, K)] * 42 + [(N, Ch, K, M)] * 26 + [(Ch, K, N, M)] * 15 + [(K, Ch, N, M)] * 17
)


def test_irv_wikipedia_tennessee_capital() -> None:
    result = count([M, N, Ch, K], TENNESSEE, 1, method=IRV)
    first, second, last = result.stages
    assert first.votes == {M: 42, N: 26, Ch: 15, K: 17}
    assert (first.action, first.subject, first.transfers) == ("exclude", Ch, {K: 15})
    assert second.votes == {M: 42, N: 26, K: 32}
    assert (second.action, second.subject, second.transfers) == ("exclude", N, {K: 26})
    assert last.votes == {M: 42, K: 58} and last.elected == (K,)
    assert result.elected == [K]


def test_irv_majority_in_the_first_round_ends_the_count() -> None:
    result = count([1, 2, 3], [(1,)] * 6 + [(2, 1)] * 3 + [(3,)] * 2, 1, method=IRV)
    assert len(result.stages) == 1 and result.elected == [1]


def test_a_tie_for_exclusion_looks_back_to_an_earlier_stage() -> None:
    # Stage 1: X 5, Y 4, Z 3, W 1. W out -> Z 4: Y and Z tie at stage 2; at stage 1 Z had fewer.
    X, Y, Z, W = 1, 2, 3, 4
    ballots = [(X,)] * 5 + [(Y,)] * 4 + [(Z,)] * 3 + [(W, Z)]
    result = count([X, Y, Z, W], ballots, 1, method=IRV)
    assert result.stages[1].subject == Z and result.stages[1].tie_break == "backwards"


def test_a_tie_level_at_every_stage_is_decided_by_a_fixed_lot() -> None:
    ballots = [(1, 3)] * 2 + [(2, 3)] * 2 + [(3,)] * 3
    first = count([1, 2, 3], ballots, 1, method=IRV, seed="office:7")
    again = count([1, 2, 3], list(reversed(ballots)), 1, method=IRV, seed="office:7")
    assert first.stages[0].tie_break == "lot" and first.stages[0].subject in (1, 2)
    assert first.stages[0].subject == again.stages[0].subject  # a recount draws the same


def test_forged_or_withdrawn_preferences_are_skipped_and_repeats_count_once() -> None:
    result = count([1, 2], [(9, 1, 1, 2), (2,), (2, 1)], 1, method=IRV)
    assert result.stages[0].votes == {1: 1, 2: 2} and result.valid == 3
    assert result.elected == [2]


def test_stv_fractions_stay_exact() -> None:
    result = count([1, 2, 3], [(1, 2)] * 7 + [(3,)] * 3, 1, method=STV)
    assert result.quota == Fraction(6) and result.elected == [1]


def test_a_long_table_of_stages_still_fits_one_message() -> None:
    import random

    from bot.council.elections import MAX_TABLE, _stage_json, rounds_table

    rng = random.Random(7)
    ballots = [rng.sample(range(1, 21), rng.randint(1, 20)) for _ in range(800)]
    result = count(list(range(1, 21)), ballots, 3, method=STV)
    table = rounds_table(
        {
            "names": {str(i): f"A rather long candidate name {i}" for i in range(1, 21)},
            "stages": [_stage_json(s) for s in result.stages],
        }
    )
    assert len(table) <= MAX_TABLE + 200
    assert table.startswith("1. ") and "\n…\n" in table
    assert f"{len(result.stages)}. " in table  # the last stage is always shown
