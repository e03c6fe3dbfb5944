"""The sealing key: created 0600 outside the data, refused when others can read it, and every
seal of the same value differs so a copy of the files cannot tell two writes apart."""

from __future__ import annotations

import os
import stat
from pathlib import Path

import pytest

from storage.db import Database, StorageError
from storage.sealing import Sealer, SealError


def test_key_file_created_private_and_reused(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        key = tmp_path / "keys" / "council.key"
        first = Sealer.load_or_create(key)
        assert stat.S_IMODE(key.stat().st_mode) == 0o600
        blob = first.seal(b"[1,2,3]", b"poll-counts:1")
        again = Sealer.load_or_create(key)
        assert again.open(blob, b"poll-counts:1") == b"[1,2,3]"
    finally:
        os.umask(old)


def test_same_value_sealed_twice_shares_no_bytes_pattern(tmp_path: Path) -> None:
    sealer = Sealer.generate()
    a = sealer.seal(b"[0,0,1]", b"x")
    b = sealer.seal(b"[0,0,1]", b"x")
    assert a != b
    assert b"[0,0,1]" not in a


def test_wrong_aad_or_key_refused(tmp_path: Path) -> None:
    sealer = Sealer.generate()
    blob = sealer.seal_json([4, 5], b"poll-counts:1")
    with pytest.raises(SealError):
        sealer.open(blob, b"poll-counts:2")
    with pytest.raises(SealError):
        Sealer.generate().open(blob, b"poll-counts:1")
    assert sealer.open_json(blob, b"poll-counts:1") == [4, 5]


def test_readable_key_file_refused_with_the_fix(tmp_path: Path) -> None:
    key = tmp_path / "council.key"
    Sealer.load_or_create(key)
    key.chmod(0o644)
    with pytest.raises(SealError, match="chmod 600"):
        Sealer.load_or_create(key)


def test_not_a_key_file_refused(tmp_path: Path) -> None:
    key = tmp_path / "council.key"
    key.write_bytes(b"hello")
    key.chmod(0o600)
    with pytest.raises(SealError, match="not a council key file"):
        Sealer.load_or_create(key)


def test_key_never_in_repr() -> None:
    assert "hidden" in repr(Sealer.generate())


async def test_transactions_carry_the_sealer(tmp_path: Path) -> None:
    sealer = Sealer.generate()
    db = await Database.open(tmp_path / "c.sqlite3", sealer=sealer)
    async with db.transaction() as tx:
        assert tx.sealer is sealer
    await db.close()
    bare = await Database.open(tmp_path / "d.sqlite3")
    async with bare.transaction() as tx:
        with pytest.raises(StorageError, match="key file"):
            _ = tx.sealer
    await bare.close()
