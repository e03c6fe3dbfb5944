"""Real use needs a safer-custody contact: check-config reports none as a problem with the fix,
and `run` refuses to start without one (or an invite for one on its way)."""

from __future__ import annotations

from pathlib import Path

from tests.project.test_config import run_cli
from tests.support.paths import EXAMPLE_CONFIG


def test_no_contact_is_a_problem_until_one_is_invited(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    fresh = run_cli("check-config", "--config", str(config))
    assert fresh.returncode == 0 and "no database" in fresh.stdout  # nothing made yet
    assert not (tmp_path / "data" / "council.sqlite3").exists()

    assert run_cli("migrate", "--config", str(config)).returncode == 0
    checked = run_cli("check-config", "--config", str(config))
    assert checked.returncode == 1
    assert "no safer-custody contact" in checked.stderr
    assert "/safercustody P-0012" in checked.stderr and "--safer-custody" in checked.stderr

    # With a token but no contact, `run` will not start for real use.
    run = run_cli("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": "1:x"})
    assert run.returncode == 2
    assert run.stderr.startswith("The bot will not start: no safer-custody contact")

    invite = run_cli(
        "invite", "--config", str(config), "--role", "staff", "--safer-custody", "--label", "Lead"
    )
    assert invite.returncode == 0 and "Invite code for staff:" in invite.stdout
    waiting = run_cli("check-config", "--config", str(config))
    assert waiting.returncode == 0
    assert "no safer-custody contact has joined yet (1 invite(s) waiting)" in waiting.stdout


def test_an_old_config_with_contact_ids_is_told_what_to_do(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    config.write_text(
        text.replace("[safeguarding]\n", "[safeguarding]\ncontacts = [123456789]\n"),
        encoding="utf-8",
    )
    result = run_cli("check-config", "--config", str(config))
    assert result.returncode == 2
    assert "safeguarding.contacts" in result.stderr and "/safercustody" in result.stderr


def test_check_config_names_files_others_can_read(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    assert run_cli("migrate", "--config", str(config)).returncode == 0
    db = tmp_path / "data" / "council.sqlite3"
    db.chmod(0o644)
    checked = run_cli("check-config", "--config", str(config))
    assert checked.returncode == 1
    assert f"Run: chmod 600 {db}" in checked.stderr
    started = run_cli("migrate", "--config", str(config))
    assert started.returncode == 3
    assert started.stderr.strip() == (
        f"{db} can be read by other accounts on this machine. Run: chmod 600 {db}"
    )
