"""The nightly backup and `python -m bot restore` (docs/DEPLOY.md): a timer row that survives a
restart, whole files 0600 in a 0700 folder, the oldest pruned, and a restore of what it wrote."""

from __future__ import annotations

import os
import sqlite3
import stat
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.app import start_background, stop_background
from bot.config import Backups, ConfigError, load_settings, parse_settings
from bot.council import timers
from bot.ops import backups
from bot.ops.runlock import AlreadyRunning, RunLock
from tests.project.test_config import example, problems_for, run_cli
from tests.support.harness import EXAMPLE_CONFIG, ROOT, make_harness

NIGHT = datetime(2026, 11, 3, 2, 30, tzinfo=UTC)  # [backups] time 02:30, London is on GMT


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def files(folder: Path, pattern: str) -> list[Path]:
    return sorted(folder.glob(pattern))


def people(path: Path) -> int:
    conn = sqlite3.connect(path)
    try:
        return int(conn.execute("SELECT COUNT(*) FROM person").fetchone()[0])
    finally:
        conn.close()


def config_for(tmp_path: Path) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8")
        .replace('path = "data/council.sqlite3"', f'path = "{tmp_path}/council.sqlite3"')
        .replace('key_file = "keys/council.key"', f'key_file = "{tmp_path}/keys/council.key"'),
        encoding="utf-8",
    )
    return config


async def test_the_nightly_backup_fires_across_a_restart_and_keeps_the_newest(
    tmp_path: Path,
) -> None:
    first = await make_harness(tmp_path)
    await start_background(first.app)
    await first.join("member")
    pending = await first.rows("SELECT key, due_at FROM timer WHERE kind = 'nightly_backup'")
    assert pending == [
        {"key": "backup:nightly:2026-11-03", "due_at": "2026-11-03T02:30:00.000000Z"}
    ]
    await stop_background(first.app)
    await first.close()

    # Down over the backup time, back within the grace period: it is made late, once.
    folder = tmp_path / "backups"
    again = await make_harness(tmp_path, backups=Backups(keep=2))
    try:
        again.clock.set(NIGHT.replace(hour=4))
        await start_background(again.app)
        await backups.settle(again.db)
        (made,) = sorted(folder.glob("council-*.sqlite3"))
        assert made.name == "council-20261103T043000Z.sqlite3"
        assert mode(made) == 0o600 and mode(folder) == 0o700
        assert people(made) == 1  # the member who joined before the restart
        rows = await again.rows(
            "SELECT key, status FROM timer WHERE kind = 'nightly_backup' ORDER BY id"
        )
        assert rows == [
            {"key": "backup:nightly:2026-11-03", "status": "fired"},
            {"key": "backup:nightly:2026-11-04", "status": "pending"},
        ]
        # Two more nights from the timer itself: three made, the newest two kept.
        for day in (4, 5):
            again.clock.set(NIGHT.replace(day=day))
            await timers.fire_due(again.db, again.clock, again.settings)
            await backups.settle(again.db)
            night = await again.rows(
                "SELECT status FROM timer WHERE key = ?", (f"backup:nightly:2026-11-0{day}",)
            )
            assert night == [{"status": "fired"}]
        kept = sorted(p.name for p in folder.glob("council-*.sqlite3"))
        assert kept == ["council-20261104T023000Z.sqlite3", "council-20261105T023000Z.sqlite3"]
        assert not list(folder.glob("*.part"))
    finally:
        await stop_background(again.app)
        await again.close()


async def test_restore_puts_back_what_the_backup_wrote(tmp_path: Path) -> None:
    config = config_for(tmp_path)
    h = await make_harness(tmp_path)
    await h.join("member")
    before = await h.rows("SELECT COUNT(*) AS n FROM person")
    await h.close()

    backup = run_cli("backup", "--config", str(config))
    assert backup.returncode == 0, backup.stderr
    said = backup.stdout
    (made,) = (tmp_path / "backups").glob("council-*.sqlite3")
    assert f"Backup written to {made}" in said
    assert f"The key file {tmp_path}/keys/council.key is not in the backup" in said

    later = await make_harness(tmp_path)  # more happens after the backup
    await later.join("member")
    await later.close()
    database = tmp_path / "council.sqlite3"
    assert people(database) == before[0]["n"] + 1

    # Refused while the bot runs: nothing changes.
    running = RunLock(database).acquire()
    try:
        refused = run_cli("restore", str(made), "--config", str(config))
        assert refused.returncode == 1 and "The bot is running" in refused.stderr
    finally:
        running.release()
    assert people(database) == before[0]["n"] + 1

    # Refused when the backup is not whole: a file of noise, and one damaged inside.
    noise = tmp_path / "noise.sqlite3"
    noise.write_bytes(b"not a database at all" * 300)
    refused = run_cli("restore", str(noise), "--config", str(config))
    assert refused.returncode == 1 and "is not a council bot database" in refused.stderr
    damaged = tmp_path / "damaged.sqlite3"
    data = bytearray(made.read_bytes())
    page = 4096
    data[2 * page + 8 : 3 * page] = b"\xff" * (page - 8)
    damaged.write_bytes(bytes(data))
    refused = run_cli("restore", str(damaged), "--config", str(config))
    assert refused.returncode == 1 and "Nothing was restored" in refused.stderr
    assert people(database) == before[0]["n"] + 1

    restored = run_cli("restore", str(made), "--config", str(config))
    assert restored.returncode == 0, restored.stderr
    said = restored.stdout
    assert people(database) == before[0]["n"]
    assert mode(database) == 0o600
    (aside,) = files(tmp_path, "council.sqlite3.replaced-*Z")  # its -wal and -shm beside it
    assert f"kept as {aside}" in said and mode(aside) == 0o600
    assert people(aside) == before[0]["n"] + 1
    # The restored database opens and runs as it was.
    reopened = await make_harness(tmp_path)
    try:
        assert await reopened.rows("SELECT COUNT(*) AS n FROM person") == before
    finally:
        await reopened.close()


def test_backups_beside_the_key_are_refused(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
            'directory = "backups"', f'directory = "{tmp_path}/keys"'
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError) as refused:
        load_settings(config)
    assert refused.value.problems[0].key == "backups.directory"
    settings = load_settings(EXAMPLE_CONFIG)
    assert settings.backups.folder(settings.database_path) == ROOT / "data" / "backups"


def test_bad_backup_and_monitoring_keys_name_the_fix() -> None:
    data = example()
    data["backups"] = {"enabled": "yes", "time": "25:00", "keep": 0}
    data["monitoring"] = {"port": 70000}
    found = problems_for(data)
    assert "true or false" in found["backups.enabled"]
    assert "24-hour time" in found["backups.time"]
    assert "1 to 365" in found["backups.keep"]
    assert "0 to 65535" in found["monitoring.port"]
    data = example()
    data["backups"] = {"enabled": False}
    assert parse_settings(data).backups.enabled is False


def test_one_bot_per_database(tmp_path: Path) -> None:
    database = tmp_path / "council.sqlite3"
    first = RunLock(database).acquire()
    with pytest.raises(AlreadyRunning) as second:
        RunLock(database).acquire()
    assert second.value.pid == str(os.getpid())
    first.release()
    RunLock(database).acquire().release()  # free again once the first lets go
    assert mode(tmp_path / "council.sqlite3.lock") == 0o600
