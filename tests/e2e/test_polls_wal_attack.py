"""The attacker's test of ballot secrecy: someone copies the database file and its WAL after 30
votes, replays the WAL commit by commit (tests/support/wal_replay.py), and diffs each state against the
one before: which elector's flag flipped, and what else changed. No voter may be linked to what
they chose, and the split of an open poll may not be readable from the files at all."""

from __future__ import annotations

import itertools
import sqlite3
from collections import Counter
from pathlib import Path
from typing import Any

from tests.e2e.test_polls import add_people, create_poll, vote
from tests.support.harness import Harness
from tests.support.wal_replay import copy_files, replay_states

OPTIONS = ["Library", "Gym", "Chapel"]
PLAN = [0, 1, 2, 0, 0, 1, 2, 2, 1, 0] * 3  # voter n chooses OPTIONS[PLAN[n]]

Cell = tuple[str, str, str]  # table, row key, column


def _state(conn: Any) -> dict[Cell, Any]:
    """Every stored value of every table, keyed by table, row and column."""
    out: dict[Cell, Any] = {}
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
    for table in tables:
        for n, row in enumerate(conn.execute(f'SELECT * FROM "{table}"')):
            keys = row.keys()
            key = "|".join(
                str(row[k]) for k in keys if k in ("id", "poll_id", "person_id", "option_index")
            ) or str(n)
            for column in keys:
                out[(table, key, column)] = row[column]
    return out


def _feature(old: Any, new: Any) -> Any:
    """What an attacker can compare between two votes' changes without any key."""
    if isinstance(old, int) and isinstance(new, int):
        return ("delta", new - old)
    if isinstance(new, bytes):
        return ("bytes", len(new), None if old is None else len(old))
    return ("changed", type(new).__name__)


async def attack(h: Harness, poll_id: int, voters: dict[int, int], workdir: Path) -> dict[str, Any]:
    """Replay copies of the files; report how many voters the attacker links to a choice."""
    db_copy, wal_copy = copy_files(h.settings.database_path, workdir)
    states = [_state(conn) for conn in replay_states(db_copy, wal_copy, include_base=True)]
    linked: dict[int, int] = {}
    shapes: dict[int, frozenset[Any]] = {}
    for before, after in itertools.pairwise(states):
        flipped = [
            cell[1]
            for cell, value in after.items()
            if cell[0] == "poll_elector"
            and cell[2] == "voted"
            and value == 1
            and before.get(cell) == 0
        ]
        if len(flipped) != 1:
            continue
        person = int(flipped[0].split("|")[1])
        changed = {
            cell: (before.get(cell), after.get(cell))
            for cell in after.keys() | before.keys()
            if cell[0] != "poll_elector" and before.get(cell) != after.get(cell)
        }
        # Inference 1: a count in clear that went up names the option.
        up = [
            int(cell[1].split("|")[1])
            for cell, (old, new) in changed.items()
            if cell[0] == "poll_option" and cell[2] == "votes" and (new or 0) > (old or 0)
        ]
        if len(up) == 1:
            linked[person] = up[0]
        # Inference 2: anything in the change that differs from one vote to another.
        # (Rows of the poll's own tables keep their key; other rows' keys, such as an outbox
        # id, tell the order of voting, not a choice.)
        shapes[person] = frozenset(
            (cell[0], cell[1] if cell[0].startswith("poll") else "*", cell[2], _feature(old, new))
            for cell, (old, new) in changed.items()
        )
    # A shape shared only by voters who all chose the same option gives their choice away.
    by_shape: dict[frozenset[Any], set[int]] = {}
    for person, shape in shapes.items():
        by_shape.setdefault(shape, set()).add(voters[person])
    for person, shape in shapes.items():
        if len(by_shape[shape]) == 1 and len(set(voters.values())) > 1:
            linked.setdefault(person, voters[person])
    right = sum(1 for person, choice in linked.items() if voters.get(person) == choice)
    # What the last state shows of the open poll's split, in clear.
    final = states[-1]
    counts = [final.get(("poll_option", f"{poll_id}|{i}", "votes")) for i in range(len(OPTIONS))]
    return {"votes_seen": len(shapes), "linked": right, "shapes": len(by_shape), "counts": counts}


async def test_thirty_votes_replayed_from_the_wal_link_no_voter(h: Harness, tmp_path: Path) -> None:
    # The attacker's best case: nothing is checkpointed while people vote, so every vote is in
    # the WAL as its own commit.
    h.db._conn.execute("PRAGMA wal_autocheckpoint=0")
    h.db.checkpoint_quiet_s = None
    staff = await h.join("staff", wing=None)
    users = await add_people(h, 30)
    poll_id = await create_poll(h, staff, "Which room for the forum?", OPTIONS)
    await h.deliver()
    voters: dict[int, int] = {}
    for n, user in enumerate(users):
        person = await h.person(user)
        assert person is not None
        voters[person.id] = PLAN[n]
        await vote(h, user, [OPTIONS[PLAN[n]]])
    result = await attack(h, poll_id, voters, tmp_path / "stolen")
    print("WAL replay:", result)
    assert result["votes_seen"] == 30  # every vote was there to be attacked
    assert result["linked"] == 0
    assert result["shapes"] == 1  # every vote changed the files in the same way
    # And the open poll's split is nowhere in clear: the counts stay at zero until close.
    assert result["counts"] == [0, 0, 0]
    assert Counter(PLAN) == Counter({0: 12, 1: 9, 2: 9})


async def test_closing_unseals_the_counts_and_empties_the_wal(h: Harness, tmp_path: Path) -> None:
    staff = await h.join("staff", wing=None)
    users = await add_people(h, 6)
    poll_id = await create_poll(h, staff, "Which room?", OPTIONS)
    await h.deliver()
    for n, user in enumerate(users):
        await vote(h, user, [OPTIONS[PLAN[n]]])
    assert (
        await h.rows("SELECT votes FROM poll_option WHERE poll_id = ?", (poll_id,))
        == [{"votes": 0}] * 3
    )
    sealed = await h.rows("SELECT length(sealed) AS n FROM poll_tally")
    assert sealed == [{"n": 12 + 40 + 16}]  # nonce, ten counts, tag: the same for every poll
    assert (await h.rows("PRAGMA secure_delete"))[0]["secure_delete"] == 1
    # A backup taken now holds the sealed value and zero counts, and never the key.
    backup = tmp_path / "backup.sqlite3"
    await h.db.backup(backup)
    with sqlite3.connect(backup) as copy:
        assert [r[0] for r in copy.execute("SELECT votes FROM poll_option")] == [0, 0, 0]
        assert copy.execute("SELECT COUNT(*) FROM poll_tally").fetchone()[0] == 1
    assert h.settings.key_path.read_bytes()[4:] not in backup.read_bytes()
    await h.tg.send(staff, "/polls")
    await h.tg.press(staff, "Close early: Which room?")
    await h.tg.press(staff, "Yes, close it")
    assert "closed" in h.tg.last_text(staff).lower(), h.tg.last_text(staff)
    await h.deliver()
    rows = await h.rows("SELECT votes FROM poll_option WHERE poll_id = ? ORDER BY 1", (poll_id,))
    assert sorted(r["votes"] for r in rows) == [1, 2, 3]
    assert await h.rows("SELECT * FROM poll_tally") == []
    # The WAL was checkpointed and truncated right after the closing commit: what it holds
    # now begins after the close, so no frame of the voting period is left in it.
    db_copy, wal_copy = copy_files(h.settings.database_path, tmp_path / "after")
    statuses = [
        state.execute("SELECT status FROM poll WHERE id = ?", (poll_id,)).fetchone()[0]
        for state in replay_states(db_copy, wal_copy, include_base=True)
    ]
    assert statuses and set(statuses) == {"closed"}


async def test_a_poll_opened_before_sealing_is_sealed_at_start(h: Harness) -> None:
    from bot.app import start_background, stop_background
    from storage import polls as poll_store

    staff = await h.join("staff", wing=None)
    await add_people(h, 2)
    poll_id = await create_poll(h, staff, "Old poll?", OPTIONS)
    async with h.db.transaction() as tx:  # as an older version left it: counts in clear
        await tx.execute("DELETE FROM poll_tally")
        await tx.execute(
            "UPDATE poll_option SET votes = option_index + 4 WHERE poll_id = ?", (poll_id,)
        )
    await start_background(h.app)
    await stop_background(h.app)
    assert await h.rows("SELECT DISTINCT votes FROM poll_option") == [{"votes": 0}]
    async with h.db.transaction() as tx:
        assert await poll_store.counts_now(tx, poll_id) == [4, 5, 6]


def _vote_commits(h: Harness, workdir: Path) -> int:
    """How many votes the WAL holds now, as an attacker replaying it would count them."""
    db_copy, wal_copy = copy_files(h.settings.database_path, workdir)
    voted = [
        state.execute("SELECT COUNT(*) FROM poll_elector WHERE voted = 1").fetchone()[0]
        for state in replay_states(db_copy, wal_copy, include_base=True)
    ]
    return voted[-1] - voted[0]


async def test_the_wal_never_holds_more_than_a_short_run_of_votes(
    h: Harness, tmp_path: Path
) -> None:
    import asyncio

    h.db._conn.execute("PRAGMA wal_autocheckpoint=0")
    h.db.checkpoint_quiet_s, h.db.checkpoint_every = 60.0, 3  # a burst that never pauses
    staff = await h.join("staff", wing=None)
    users = await add_people(h, 8)
    await create_poll(h, staff, "Which room?", OPTIONS)
    await h.deliver()
    for n, user in enumerate(users[:7]):
        await vote(h, user, [OPTIONS[PLAN[n]]])
    # Truncated after the 3rd and the 6th vote: only the 7th is left to replay.
    assert _vote_commits(h, tmp_path / "burst") == 1
    # Once votes pause, the WAL is truncated: no vote is left in it at all.
    h.db.checkpoint_quiet_s = 0.05
    await vote(h, users[7], [OPTIONS[0]])
    await asyncio.sleep(0.3)
    assert _vote_commits(h, tmp_path / "quiet") == 0
