"""Files only the bot can read, whatever the umask; readable files and damaged databases are
refused at start with one line that says what to do."""

from __future__ import annotations

import os
import sqlite3
import stat
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.local.store import ChannelStore
from storage.db import Database, StorageError
from storage.sealing import Sealer, SealError
from tests.support.harness import EXAMPLE_CONFIG


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


@pytest.fixture
def loose_umask() -> Iterator[None]:
    old = os.umask(0o022)  # the usual default: files -rw-r--r--
    try:
        yield
    finally:
        os.umask(old)


def config(tmp_path: Path) -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def test_every_data_file_is_private_whatever_the_umask(
    tmp_path: Path, loose_umask: None
) -> None:
    data = tmp_path / "data"
    key = Sealer.load_or_create(tmp_path / "keys" / "council.key")
    assert key is not None
    db = await Database.open(data / "council.sqlite3", sealer=key)
    async with db.transaction() as tx:
        await tx.execute("INSERT INTO meta (key, value) VALUES ('x', 'y')")
    await db.backup(tmp_path / "backups" / "one.sqlite3")
    store = ChannelStore(data / "local.sqlite3")
    store.close()
    assert mode(data) == 0o700
    assert mode(tmp_path / "keys") == 0o700
    for name in ("council.sqlite3", "council.sqlite3-wal", "council.sqlite3-shm"):
        assert mode(data / name) == 0o600, name
    assert mode(data / "local.sqlite3") == 0o600
    assert mode(tmp_path / "keys" / "council.key") == 0o600
    assert mode(tmp_path / "backups" / "one.sqlite3") == 0o600
    await db.close()


async def test_a_database_others_can_read_is_refused_with_the_chmod(tmp_path: Path) -> None:
    path = tmp_path / "council.sqlite3"
    db = await Database.open(path)
    await db.close()
    path.chmod(0o644)
    with pytest.raises(StorageError) as caught:
        await Database.open(path)
    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message and f"chmod 600 {path}" in message


def test_start_refuses_a_readable_key_file_in_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cfg = config(tmp_path)
    key = tmp_path / "keys" / "council.key"
    Sealer.load_or_create(key)
    key.chmod(0o640)
    with pytest.raises(SystemExit) as caught:
        main(["migrate", "--config", str(cfg)])
    assert caught.value.code == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and f"chmod 600 {key}" in err
    with pytest.raises(SealError):
        Sealer.load_or_create(key)


def _damaged(path: Path, how: str) -> None:
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE t (n INTEGER PRIMARY KEY, text TEXT)")
    conn.executemany("INSERT INTO t VALUES (?, ?)", [(n, "x" * 500) for n in range(400)])
    conn.commit()
    conn.close()
    raw = bytearray(path.read_bytes())
    if how == "middle":
        page = 4096
        middle = (len(raw) // page // 2) * page
        raw[middle : middle + page] = b"\xa5" * page  # a page of garbage in the middle
    elif how == "truncated":
        raw = raw[: len(raw) // 3]
    else:
        raw = bytearray(b"this is not a database at all" * 200)
    path.write_bytes(bytes(raw))
    path.chmod(0o600)


@pytest.mark.parametrize("how", ["middle", "truncated", "not_a_database"])
def test_a_damaged_database_gets_one_line_and_the_next_step(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], how: str
) -> None:
    cfg = config(tmp_path)
    db_path = tmp_path / "data" / "council.sqlite3"
    db_path.parent.mkdir(mode=0o700)
    _damaged(db_path, how)
    with pytest.raises(SystemExit) as caught:
        main(["migrate", "--config", str(cfg)])
    assert caught.value.code == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0, err
    assert str(db_path) in err
    assert "python -m bot restore BACKUP" in err
    assert "Traceback" not in err


def test_backup_says_where_the_key_is(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    cfg = config(tmp_path)
    target = tmp_path / "backups" / "b.sqlite3"
    assert main(["backup", str(target), "--config", str(cfg)]) == 0
    out = capsys.readouterr().out
    assert str(tmp_path / "keys" / "council.key") in out
    data = target.read_bytes()
    key = (tmp_path / "keys" / "council.key").read_bytes()
    assert key[4:] not in data  # the key itself is nowhere in the backup
    assert mode(target) == 0o600


async def test_open_polls_sealed_with_another_key_are_refused_at_start(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from bot.__main__ import _open
    from storage import people
    from storage import polls as poll_store
    from storage.clock import from_db
    from tests.support.harness import test_settings

    settings = test_settings(tmp_path / "data" / "council.sqlite3")
    db = await _open(settings)
    async with db.transaction() as tx:
        staff = await people.upsert_member(
            tx,
            tg_user_id=42,
            role="staff",
            wing=None,
            label=None,
            language="en",
            now=datetime.now(UTC),
        )
        poll_id = await poll_store.create(
            tx,
            question="Kept?",
            labels=["Yes", "No"],
            multiple=False,
            audience="members",
            wing=None,
            created_by=staff,
            opened_at=from_db("2026-11-02T10:00:00.000000Z"),
            closes_at=from_db("2026-11-03T10:00:00.000000Z"),
        )
    await db.close()
    settings.key_path.unlink()  # the key is lost: a new one is made at the next start
    with pytest.raises(SystemExit) as caught:
        await _open(settings, check_sealed=True)
    assert caught.value.code == 3
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0
    assert f"The open poll(s) {poll_id} were sealed with another key than" in err
    # Commands that need no sealed value (backup, migrate) still work.
    db = await _open(settings)
    await db.close()
