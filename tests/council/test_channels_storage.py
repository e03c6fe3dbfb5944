"""Channels in storage and config: a database at the schema before channels, migrated, keeps
every person reachable on Telegram; [[channels]] in config, and its problems named with the fix."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
import tomllib
from datetime import UTC, datetime
from pathlib import Path

import pytest

from bot.config import ConfigError, load_settings, parse_settings
from bot.council import notices
from bot.council.clock import FakeClock
from storage import invites, outbox, people
from storage.db import Database, bundled_migrations
from tests.support.harness import START
from tests.support.paths import EXAMPLE_CONFIG, ROOT

CHANNELS_VERSION = 10
NOW = "2026-11-01T09:00:00.000000Z"
NOW_AT = datetime(2026, 11, 1, 9, 0, tzinfo=UTC)  # the same moment, for storage calls


def previous_schema(path: Path) -> None:
    """A database exactly as the bot before channels left it: every migration below 0010."""
    conn = sqlite3.connect(path)
    conn.execute(
        "CREATE TABLE schema_version (version INTEGER NOT NULL, name TEXT NOT NULL,"
        " applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')))"
    )
    for migration in bundled_migrations():
        if migration.version < CHANNELS_VERSION:
            conn.executescript(
                f"BEGIN;\n{migration.sql}\nINSERT INTO schema_version (version, name)"
                f" VALUES ({migration.version}, '{migration.name}');\nCOMMIT;"
            )
    conn.close()
    path.chmod(0o600)  # as the bot keeps its files: it refuses a database others can read


def seed_people(path: Path) -> dict[int, int]:
    """Eight people of every role and state, a blocked one, a departed one (no Telegram id left),
    queued notices, a wrong-code count and a lockout. Returns Telegram id -> person id."""
    conn = sqlite3.connect(path)
    made: dict[int, int] = {}
    rows = [
        (111, "member", "active", 0),
        (222, "chair", "active", 0),
        (333, "family", "active", 0),
        (444, "staff", "active", 0),
        (555, "observer", "active", 0),
        (666, "admin", "active", 0),
        (777, "member", "active", 1),  # blocked the bot
        (888, "family", "revoked", 0),
    ]
    for tg_user_id, role, status, unreachable in rows:
        cursor = conn.execute(
            "INSERT INTO person (tg_user_id, role, status, unreachable, wing, joined_at,"
            " updated_at) VALUES (?, ?, ?, ?, 'a', ?, ?)",
            (tg_user_id, role, status, unreachable, NOW, NOW),
        )
        assert cursor.lastrowid is not None
        made[tg_user_id] = cursor.lastrowid
    conn.execute(
        "INSERT INTO person (tg_user_id, role, status, joined_at, updated_at)"
        " VALUES (NULL, 'member', 'left', ?, ?)",
        (NOW, NOW),
    )
    conn.execute(
        "INSERT INTO outbox (key, chat_id, person_id, message, not_before, created_at)"
        " VALUES ('old:1', 333, ?, 'common.error', ?, ?)",
        (made[333], NOW, NOW),
    )
    conn.execute("INSERT INTO code_attempt (tg_user_id, at) VALUES (999, ?)", (NOW,))
    conn.execute(
        "INSERT INTO lockout (tg_user_id, until) VALUES (999, '2099-01-01T00:00:00.000000Z')"
    )
    conn.commit()
    conn.close()
    return made


async def test_a_database_from_before_channels_keeps_every_identity(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite3"
    previous_schema(path)
    made = seed_people(path)
    db = await Database.open(path)  # migrates
    assert await db.schema_version() >= CHANNELS_VERSION
    async with db.transaction() as tx:
        for tg_user_id, person_id in made.items():
            # Every person is reachable through their Telegram identity, old helper and new.
            found = await people.by_identity(tx, "telegram", tg_user_id)
            assert found is not None and found.id == person_id
            assert found.tg_user_id == tg_user_id
            assert (await people.by_tg_user(tx, tg_user_id)) == found
            assert [(i.channel, i.user_id) for i in await people.identities(tx, person_id)] == [
                ("telegram", tg_user_id)
            ]
        assert await tx.value("SELECT COUNT(*) FROM identity") == len(made)
        # Notices still route to the same chat; the one blocked stays blocked.
        assert await people.route(tx, made[333]) == ("telegram", 333)
        assert await people.route(tx, made[777]) is None
        queued = await outbox.by_key(tx, "old:1")
        assert queued is not None and (queued.channel, queued.chat_id) == ("telegram", 333)
        # Wrong codes and lockouts survive, now per channel.
        assert await invites.failures_since(tx, 999, datetime(2000, 1, 1, tzinfo=UTC)) == 1
        assert await invites.locked_until(tx, 999) == datetime(2099, 1, 1, tzinfo=UTC)
        assert await invites.locked_until(tx, 999, "incell") is None
        # notify() by person goes on, without anyone knowing about channels.
        family = await people.by_id(tx, made[333])
        assert family is not None
        clock = FakeClock(START)
        assert await notices.notify(tx, clock, key="new:1", message="common.error", person=family)
        fresh = await outbox.by_key(tx, "new:1")
        assert fresh is not None and (fresh.channel, fresh.chat_id) == ("telegram", 333)
    await db.close()


# --- config ---------------------------------------------------------------------------------

TWO = """
[[channels]]
name = "telegram"
kind = "telegram"
token_env = "TELEGRAM_BOT_TOKEN"
roles = ["family", "staff", "observer", "admin"]

[[channels]]
name = "incell"
kind = "incell"
base_url = "http://10.0.0.5:8081/bot"
token_env = "INCELL_BOT_TOKEN"
roles = ["member", "chair", "staff"]
rate_per_second = 200
"""


def with_channels(extra: str) -> dict:
    return tomllib.loads(EXAMPLE_CONFIG.read_text(encoding="utf-8") + extra)


def problems_for(data: dict) -> dict[str, str]:
    with pytest.raises(ConfigError) as caught:
        parse_settings(data)
    return {p.key: p.fix for p in caught.value.problems}


def test_a_config_with_only_telegram_runs_as_one_telegram_channel() -> None:
    settings = load_settings(EXAMPLE_CONFIG)
    (only,) = settings.all_channels()
    assert (only.name, only.kind, only.token_env) == ("telegram", "telegram", "TELEGRAM_BOT_TOKEN")
    assert only.base_url == settings.telegram.base_url
    assert only.rate_per_second == settings.delivery.rate_per_second
    assert set(only.roles) == {"member", "chair", "family", "staff", "observer", "admin"}
    assert settings.admin_identities == (("telegram", 100000001),)


def test_two_channels_with_their_roles_limits_and_admins() -> None:
    data = with_channels(TWO)
    data["admins"]["identities"] = ["incell:1001"]
    settings = parse_settings(data)
    telegram, incell = settings.all_channels()
    assert telegram.base_url == "https://api.telegram.org/bot"
    assert telegram.rate_per_second == 25 and telegram.per_chat_interval_s == 1.0
    assert incell.base_file_url == "http://10.0.0.5:8081/file/bot"
    assert incell.rate_per_second == 200 and incell.per_chat_interval_s == 0.0
    assert incell.roles == ("member", "chair", "staff")
    assert settings.admin_identities == (("telegram", 100000001), ("incell", 1001))
    assert settings.is_configured_admin("incell", 1001)
    assert not settings.is_configured_admin("incell", 100000001)


def test_every_channel_problem_names_the_key_and_the_fix() -> None:
    data = with_channels(
        TWO
        + """
[[channels]]
name = "Telegram Two"
kind = "carrier-pigeon"
base_url = "ftp://x"
token_env = "INCELL_BOT_TOKEN"
roles = ["warder"]
rate_per_second = 31
max_text_length = 5000
colour = "blue"
"""
    )
    data["admins"]["channel"] = "whatsapp"
    data["admins"]["identities"] = ["incell-1001"]
    found = problems_for(data)
    assert "Telegram's own limit is about 30" in found["channels[2].rate_per_second"]
    assert "unique short name" in found["channels[2].name"]
    assert '"telegram" or "incell"' in found["channels[2].kind"]
    assert "Bot API address" in found["channels[2].base_url"]
    assert "of its own" in found["channels[2].token_env"]
    assert "list the roles" in found["channels[2].roles"]
    assert "remove it" in found["channels[2].colour"]
    assert found["channels[2].max_text_length"] == (
        "set it to a whole number from 100 to 4096 (Telegram's own limit)"
    )
    assert found["admins.channel"] == "name one of the channels: telegram, incell"
    assert found["admins.identities[0]"].startswith('list identities like ["incell:1001"]')


def test_a_role_no_channel_admits_is_a_problem() -> None:
    data = with_channels(TWO)
    data["channels"][0]["roles"] = ["staff", "admin"]
    with pytest.raises(ConfigError) as caught:
        parse_settings(data)
    assert [(p.key, p.value, p.fix) for p in caught.value.problems] == [
        (
            "channels",
            f"'no channel admits {role}'",
            f'add "{role}" to the roles of the channel people with that role will use',
        )
        for role in ("family", "observer")
    ]


def test_check_config_lists_the_channels(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8") + TWO, encoding="utf-8")
    result = subprocess.run(
        [sys.executable, "-m", "bot", "check-config", "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "2 channels." in result.stdout
    assert "channel incell (incell) at http://10.0.0.5:8081/bot: member, chair, staff" in (
        result.stdout
    )
    assert "INCELL_BOT_TOKEN is not set yet" in result.stdout


async def test_older_code_writing_tg_user_id_still_makes_an_identity_and_forget_clears_all(
    tmp_path: Path,
) -> None:
    db = await Database.open(tmp_path / "c.sqlite3")
    async with db.transaction() as tx:
        # A bulk import written before channels: straight into person.
        person_id = await tx.insert(
            "INSERT INTO person (tg_user_id, role, joined_at, updated_at)"
            " VALUES (4242, 'family', ?, ?)",
            (NOW, NOW),
        )
        found = await people.by_tg_user(tx, 4242)
        assert found is not None and found.id == person_id
        assert await people.add_identity(tx, person_id, "incell", 4242, NOW_AT)
        assert not await people.add_identity(tx, person_id + 1, "incell", 4242, NOW_AT)  # taken
        await invites.record_failure(tx, 4242, NOW_AT, "incell")
        await invites.record_failure(tx, 4242, NOW_AT)
        assert await people.forget(tx, person_id, NOW_AT, leaving=True) is not None
        assert await people.identities(tx, person_id) == []
        assert await people.by_identity(tx, "incell", 4242) is None
        assert await tx.value("SELECT COUNT(*) FROM code_attempt") == 0
    await db.close()


def run_bot(config: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "bot", *args, "--config", str(config)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env={"PATH": "/usr/bin:/bin"},
        check=False,
        timeout=60,
    )


def test_the_console_names_missing_tokens_and_channels_that_refuse_a_role(tmp_path: Path) -> None:
    config = tmp_path / "config.toml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        'path = "data/council.sqlite3"', f'path = "{tmp_path / "c.sqlite3"}"'
    )
    config.write_text(text + TWO, encoding="utf-8")
    started = run_bot(config, "run")
    assert started.returncode == 2
    assert "The channel telegram has no token: set the environment variable TELEGRAM_BOT_TOKEN" in (
        started.stderr
    )
    assert "INCELL_BOT_TOKEN" in started.stderr
    refused = run_bot(config, "invite", "--role", "member", "--wing", "a", "--channel", "telegram")
    assert refused.returncode == 2
    assert "The channel 'telegram' does not admit members. Channels that do: incell." in (
        refused.stderr
    )
    made = run_bot(config, "invite", "--role", "member", "--wing", "a", "--channel", "incell")
    assert made.returncode == 0, made.stderr
    assert made.stdout.startswith("Invite code for member on incell: ")
    # A code giving an existing person a second way in, from the console.
    nobody = run_bot(config, "link", "--person", "P-0001", "--channel", "telegram")
    assert nobody.returncode == 1
    assert "Nobody with access has the reference P-0001." in nobody.stderr
    bad = run_bot(config, "link", "--person", "P-0001", "--channel", "pigeon")
    assert bad.returncode == 2 and "The channels are: telegram, incell." in bad.stderr
    with sqlite3.connect(tmp_path / "c.sqlite3") as conn:
        conn.execute(
            "INSERT INTO person (id, role, wing, joined_at, updated_at)"
            " VALUES (1, 'member', 'a', ?, ?)",
            (NOW, NOW),
        )
    linked = run_bot(config, "link", "--person", "P-0001", "--channel", "telegram")
    assert linked.returncode == 0, linked.stderr
    assert linked.stdout.startswith("Code for P-0001 on telegram: ")
