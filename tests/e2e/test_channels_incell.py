"""One council on two channels at once, as an establishment runs it: `python -m bot run` with a
Telegram channel (families and staff) and the in-cell channel (members) served by the same
process, with PIN sign-in. A member joins on the page with an invite code made for the in-cell
channel and gets the bot's welcome in their page chat; the configured admin is answered on
Telegram; the member's identity is on the in-cell channel, never Telegram."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import sqlite3
import sys
from pathlib import Path

import httpx

from tests.fakes.double import BotApiDouble
from tests.fakes.double.http import serve_http
from tests.support.channels import write_two_channel_config
from tests.support.harness import ADMIN_ID
from tests.support.incell import PIN, Browser
from tests.support.paths import ROOT


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def cli(config: Path, env: dict[str, str], *args: str) -> str:
    process = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "bot", *args, "--config", str(config)),
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode == 0, err.decode()
    return out.decode()


async def test_run_serves_telegram_and_the_incell_page_in_one_process(tmp_path: Path) -> None:
    telegram_api = BotApiDouble()
    page_port = free_port()
    with serve_http(telegram_api) as telegram_http:
        config = write_two_channel_config(
            tmp_path,
            telegram_http.base_url,
            "http://127.0.0.1:9/bot",
            ("port = 8080", f"port = {page_port}"),
            ('signin = "none"', 'signin = "pin"\npublic_url = "http://127.0.0.1"'),
        )
        # No TEST_INCELL_TOKEN: the in-cell channel is served here, with a token of its own.
        env = {"PATH": "/usr/bin:/bin", "TEST_TELEGRAM_TOKEN": telegram_api.token}
        await cli(config, env, "invite", "--role", "staff", "--safer-custody")
        made = await cli(
            config, env, "invite", "--role", "member", "--wing", "a", "--channel", "incell"
        )
        code = re.search(r": ([A-Z0-9-]{10,})", made)
        assert code, made
        process = await asyncio.create_subprocess_exec(
            *(sys.executable, "-m", "bot", "run", "--config", str(config)),
            cwd=ROOT,
            env=env,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
        )
        page = Browser(httpx.AsyncClient(base_url=f"http://127.0.0.1:{page_port}", timeout=15))
        try:
            for _ in range(300):
                assert process.returncode is None, "the bot stopped at start"
                try:
                    if (await page.client.get("/api/session")).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                await asyncio.sleep(0.1)
            telegram_api.push_update(telegram_api.message_update(ADMIN_ID, "/start"))
            reference = await page.join(code.group(1), PIN)
            assert reference.startswith("P-")
            me = await page.me()
            welcome = ""
            for _ in range(200):
                body = (await page.client.get(f"/api/chat?id={me}")).json()
                welcome = "\n".join(m.get("text") or "" for m in body.get("messages", []))
                if "Choose your language" in welcome and telegram_api.chat(ADMIN_ID):
                    break
                await asyncio.sleep(0.1)
            # The bot's own first-time welcome, through the in-cell channel's Application.
            assert "Choose your language" in welcome, welcome
            assert "invite code" not in (telegram_api.chat(ADMIN_ID)[-1].text or "")
        finally:
            await page.close()
            if process.returncode is None:
                process.send_signal(signal.SIGTERM)
            _, stderr = await asyncio.wait_for(process.communicate(), timeout=30)
        assert telegram_api.token not in stderr.decode()
    db = sqlite3.connect(tmp_path / "c.sqlite3")
    try:
        rows = db.execute(
            "SELECT i.channel FROM identity i JOIN person p ON p.id = i.person_id"
            " WHERE p.role = 'member'"
        ).fetchall()
    finally:
        db.close()
    assert rows == [("incell",)]
