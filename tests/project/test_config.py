"""Config: the example is valid; every bad key is named with its value and the fix."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, parse_settings
from tests.support.paths import EXAMPLE_CONFIG, ROOT


def example() -> dict:
    return tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8"))


def problems_for(data: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(data)
    return {p.key: p.fix for p in caught.value.problems}


def test_example_config_is_valid() -> None:
    settings = load_settings(EXAMPLE_CONFIG)
    assert settings.establishment.name == "HMP Example"
    assert str(settings.establishment.timezone) == "Europe/London"
    assert settings.topic("complaint") is not None
    assert settings.wing("a") is not None and settings.wing("a").label("cy") == "Adain A"
    assert [d.total_seconds() for d in settings.reminder_offsets] == [604800, 86400, 3600]
    assert settings.poll_min_votes == 5
    # A relative database path is relative to the config file.
    assert settings.database_path == (ROOT / "data" / "council.sqlite3").resolve()


def test_every_problem_is_reported_at_once() -> None:
    data = example()
    data["establishment"]["timezone"] = "Mars/Olympus"
    data["admins"]["telegram_ids"] = []
    data["delivery"]["quiet_hours_start"] = "9pm"
    data["delivery"]["rate_per_second"] = 500
    data["topics"][1]["id"] = "food"  # a duplicate id
    del data["complaints"]
    found = problems_for(data)
    assert set(found) == {
        "establishment.timezone",
        "admins.telegram_ids",
        "delivery.quiet_hours_start",
        "delivery.rate_per_second",
        "topics[1].id",
        "complaints.route",
    }
    assert "Europe/London" in found["establishment.timezone"]
    assert "21:30" in found["delivery.quiet_hours_start"]


def test_missing_required_section_and_wrong_types() -> None:
    data = example()
    del data["establishment"]["name"]
    data["invites"]["expiry_days"] = "seven"
    data["meetings"]["reminder_offsets"] = ["7 days"]
    found = problems_for(data)
    assert "establishment.name" in found
    assert "invites.expiry_days" in found and "1 to 90" in found["invites.expiry_days"]
    assert "meetings.reminder_offsets[0]" in found


def test_missing_file_and_broken_syntax(tmp_path: Path) -> None:
    with pytest.raises(ConfigError) as missing:
        load_settings(tmp_path / "nope.toml")
    assert "config.example.toml" in missing.value.problems[0].fix
    broken = tmp_path / "broken.toml"
    broken.write_text("[establishment\nname = 1\n", encoding="utf-8")
    with pytest.raises(ConfigError) as syntax:
        load_settings(broken)
    assert syntax.value.problems[0].key == "(syntax)"


def run_cli(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    import os

    environment = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    environment.update(env or {})
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
        env=environment,
    )


def test_check_config_command(tmp_path: Path) -> None:
    good = run_cli("check-config", "--config", str(EXAMPLE_CONFIG))
    assert good.returncode == 0 and "is fine" in good.stdout
    bad = tmp_path / "config.toml"
    bad.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
            'timezone = "Europe/London"', 'timezone = "Nowhere/Land"'
        ),
        encoding="utf-8",
    )
    result = run_cli("check-config", "--config", str(bad))
    assert result.returncode == 2
    assert "establishment.timezone" in result.stderr and "'Nowhere/Land'" in result.stderr
    assert "fix:" in result.stderr
    # Start-up refuses bad config the same way.
    run = run_cli("run", "--config", str(bad))
    assert run.returncode == 2 and "establishment.timezone" in run.stderr


def test_migrate_backup_and_console_invite(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    migrated = run_cli("migrate", "--config", str(config))
    assert migrated.returncode == 0 and "schema version" in migrated.stdout
    invite = run_cli("invite", "--config", str(config), "--role", "staff")
    assert invite.returncode == 0 and "Invite code for staff:" in invite.stdout
    backup = run_cli("backup", str(tmp_path / "copy.sqlite3"), "--config", str(config))
    assert backup.returncode == 0
    import sqlite3

    with sqlite3.connect(tmp_path / "copy.sqlite3") as copy:
        assert copy.execute("SELECT COUNT(*) FROM invite").fetchone()[0] == 1
