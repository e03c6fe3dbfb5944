"""The WAL replay utility reads back every commit, in order, from copies of the files."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from tests.support.wal_replay import commits, copy_files, frames, replay_states


def _db(path: Path) -> sqlite3.Connection:
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA wal_autocheckpoint=0")  # keep every commit in the WAL
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, word TEXT)")
    return conn


def test_each_commit_is_one_state_in_order(tmp_path: Path) -> None:
    conn = _db(tmp_path / "live.sqlite3")
    for n in range(1, 6):
        conn.execute("INSERT INTO t (n, word) VALUES (?, ?)", (n, f"word{n}"))
    conn.execute("UPDATE t SET word = 'changed' WHERE n = 2")
    db_copy, wal_copy = copy_files(tmp_path / "live.sqlite3", tmp_path / "copy")
    conn.close()
    seen = [
        [tuple(r) for r in state.execute("SELECT n, word FROM t ORDER BY n")]
        for state in replay_states(db_copy, wal_copy)
    ]
    # Commit 1 created the table; then one row per commit; then the update.
    assert seen[0] == []
    assert [len(s) for s in seen[1:6]] == [1, 2, 3, 4, 5]
    assert seen[3] == [(1, "word1"), (2, "word2"), (3, "word3")]
    assert seen[-1][1] == (2, "changed")
    assert all(f.valid for f in frames(wal_copy.read_bytes()))


def test_base_state_and_a_truncated_wal(tmp_path: Path) -> None:
    conn = _db(tmp_path / "live.sqlite3")
    conn.execute("INSERT INTO t (n, word) VALUES (1, 'kept')")
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.execute("INSERT INTO t (n, word) VALUES (2, 'new')")
    db_copy, wal_copy = copy_files(tmp_path / "live.sqlite3", tmp_path / "copy")
    conn.close()
    states = [
        [r[0] for r in state.execute("SELECT word FROM t ORDER BY n")]
        for state in replay_states(db_copy, wal_copy, include_base=True)
    ]
    assert states == [["kept"], ["kept", "new"]]
    assert len(commits(wal_copy.read_bytes())) == 1


def test_a_torn_frame_ends_the_replay(tmp_path: Path) -> None:
    conn = _db(tmp_path / "live.sqlite3")
    for n in range(1, 4):
        conn.execute("INSERT INTO t (n, word) VALUES (?, ?)", (n, "x"))
    db_copy, wal_copy = copy_files(tmp_path / "live.sqlite3", tmp_path / "copy")
    conn.close()
    wal = bytearray(wal_copy.read_bytes())
    whole = len(commits(bytes(wal)))
    wal[-10] ^= 0xFF  # damage the last frame's page: its checksum no longer holds
    wal_copy.write_bytes(bytes(wal))
    assert len(commits(bytes(wal))) == whole - 1
    assert len(list(replay_states(db_copy, wal_copy))) == whole - 1
