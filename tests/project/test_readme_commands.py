"""Issue 17: the README's example console commands work on the demo council, as written."""

from __future__ import annotations

import asyncio
import re
import shlex
from pathlib import Path

import pytest

from bot.__main__ import main
from bot.council.clock import FakeClock
from bot.local.seed import seed_demo
from bot.local.store import ChannelStore
from storage.db import Database
from storage.sealing import Sealer
from tests.support import harness
from tests.support.harness import START
from tests.support.paths import EXAMPLE_CONFIG, ROOT

# Commands that serve (run, demo) keep running: they are tried elsewhere.
_SERVING = {"run", "demo"}


def _readme_commands() -> list[list[str]]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    block = text.split("## Other commands", 1)[1].split("```sh", 1)[1].split("```", 1)[0]
    commands = []
    for line in block.strip().splitlines():
        words = shlex.split(line.split("#", 1)[0])
        assert words[:3] == [".venv/bin/python", "-m", "bot"], line
        commands.append(words[3:])
    return commands


def test_the_readme_console_commands_work_on_the_demo(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = harness.test_settings(tmp_path / "council.sqlite3")

    async def seed() -> None:
        # The key the console commands will find beside the config (sealed poll counts).
        db = await Database.open(
            settings.database_path, sealer=Sealer.load_or_create(settings.key_path)
        )
        store = ChannelStore(tmp_path / "local-channel.sqlite3")
        try:
            await seed_demo(settings, db, store, FakeClock(START))
        finally:
            store.close()
            await db.close()

    asyncio.run(seed())
    config = tmp_path / "config.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
            'path = "data/council.sqlite3"', f'path = "{settings.database_path}"'
        ),
        encoding="utf-8",
    )
    ran = []
    for words in _readme_commands():
        if words[0] in _SERVING:
            continue
        words = [str(tmp_path / "backup.sqlite3") if w == "PATH" else w for w in words]
        words = [str(tmp_path / w) if w.endswith((".csv", ".pdf", "/")) else w for w in words]
        words = [str(config) if w == "config.toml" else w for w in words]
        assert main(words) == 0, words
        ran.append(words[0])
    assert {"list", "export", "board", "report", "invite", "backup"} <= set(ran)
    listed = capsys.readouterr().out
    assert re.search(r"^\s+2\s+closed\s", listed, re.MULTILINE), listed
    assert (tmp_path / "answers.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert (tmp_path / "board.pdf").read_bytes().startswith(b"%PDF")
    assert any((tmp_path / "report").iterdir())
