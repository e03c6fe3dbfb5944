"""The production path for two channels: build_channels with its default transports (httpx),
each channel long polling its own Bot API server over real sockets on 127.0.0.1. One server is
shut down and brought back on the same port; the other channel never notices."""

from __future__ import annotations

import asyncio
import signal
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from bot.app import build_channels
from storage.db import Database
from storage.sealing import Sealer
from tests.fakes.double import BotApiDouble
from tests.fakes.double.http import serve_http
from tests.support.channels import (
    INCELL,
    TELEGRAM,
    two_channel_settings,
    write_two_channel_config,
)
from tests.support.harness import ADMIN_ID
from tests.support.paths import ROOT


async def eventually(condition: Callable[[], object], seconds: float = 10.0) -> None:
    for _ in range(int(seconds / 0.05)):
        if condition():
            return
        await asyncio.sleep(0.05)
    raise AssertionError("condition not met in time")


async def test_two_channels_over_http_one_server_down_and_back(tmp_path: Path) -> None:
    telegram_api = BotApiDouble()
    incell_api = BotApiDouble(
        token="654321:INCELL-TOKEN",
        bot_id=654321,
        username="council_incell_bot",
    )
    telegram_http = serve_http(telegram_api)
    incell_http = serve_http(incell_api)
    port = incell_http.port
    channels = (
        replace(
            TELEGRAM, base_url=telegram_http.base_url, base_file_url=telegram_http.base_file_url
        ),
        replace(INCELL, base_url=incell_http.base_url, base_file_url=incell_http.base_file_url),
    )
    settings = two_channel_settings(tmp_path / "c.sqlite3", channels=channels)
    db = await Database.open(
        settings.database_path, sealer=Sealer.load_or_create(settings.key_path)
    )
    council = build_channels(
        settings,
        db,
        tokens={"telegram": telegram_api.token, "incell": incell_api.token},
    )
    family, member = 900_000_001, 900_000_001  # the same number on both: two strangers
    try:
        await council.start()
        telegram, incell = council.running
        assert telegram.health.connected and incell.health.connected
        assert telegram.health.last_ok is not None and incell.health.last_ok is not None
        telegram_api.push_update(telegram_api.message_update(family, "/start"))
        incell_api.push_update(incell_api.message_update(member, "/start"))
        await eventually(lambda: telegram_api.chat(family) and incell_api.chat(member))
        assert "invite code" in (telegram_api.chat(family)[-1].text or "")
        assert "invite code" in (incell_api.chat(member)[-1].text or "")

        # The in-cell server goes away: Telegram keeps answering, the in-cell health says so.
        incell_http.close()
        await eventually(lambda: not incell.health.up)
        telegram_api.push_update(telegram_api.message_update(family, "/help"))
        await eventually(lambda: len(telegram_api.chat(family)) == 2)
        assert telegram.health.up

        # Back on the same port: polling resumes by itself and updates are answered again.
        incell_http = serve_http(incell_api, port=port)
        incell_api.push_update(incell_api.message_update(member, "/help"))
        await eventually(lambda: len(incell_api.chat(member)) == 2, seconds=20)
        assert incell.health.up
    finally:
        await council.stop()
        await db.close()
        telegram_http.close()
        incell_http.close()


async def test_python_m_bot_run_serves_both_channels_and_stops_on_sigterm(tmp_path: Path) -> None:
    """The command an operator runs: two [[channels]], two tokens in the environment, both
    servers answered from one process, and a clean stop on SIGTERM."""
    telegram_api = BotApiDouble()
    incell_api = BotApiDouble(
        token="654321:INCELL-TOKEN",
        bot_id=654321,
        username="council_incell_bot",
    )
    with serve_http(telegram_api) as telegram_http, serve_http(incell_api) as incell_http:
        config = write_two_channel_config(tmp_path, telegram_http.base_url, incell_http.base_url)
        env = {
            "PATH": "/usr/bin:/bin",
            "TEST_TELEGRAM_TOKEN": telegram_api.token,
            "TEST_INCELL_TOKEN": incell_api.token,
        }
        # Real use needs a safer-custody contact, or an invite for one on its way.
        invite = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "invite", "--role", "staff", "--safer-custody"),
            *("--config", str(config)),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        _, invite_err = await asyncio.wait_for(invite.communicate(), timeout=60)
        assert invite.returncode == 0, invite_err.decode()
        process = await asyncio.create_subprocess_exec(
            sys.executable,
            "-m",
            "bot",
            "run",
            "--config",
            str(config),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        try:
            telegram_api.push_update(telegram_api.message_update(ADMIN_ID, "/start"))
            incell_api.push_update(incell_api.message_update(42, "/start"))
            await eventually(
                lambda: (
                    process.returncode is not None
                    or (telegram_api.chat(ADMIN_ID) and incell_api.chat(42))
                ),
                seconds=30,
            )
            assert process.returncode is None, "the bot stopped at start"
            # The configured admin is admitted on Telegram; on the in-cell channel the same
            # kind of first message from a stranger gets the stranger's answer.
            assert "invite code" not in (telegram_api.chat(ADMIN_ID)[-1].text or "")
            assert "invite code" in (incell_api.chat(42)[-1].text or "")
        finally:
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
            assert process.returncode is not None
        assert process.returncode == 0, stderr.decode()
        assert telegram_api.token not in stderr.decode() and incell_api.token not in stderr.decode()
