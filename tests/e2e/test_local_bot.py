"""The real bot on the local channel, in process, over HTTP: seeding, the page's API, the
store that outlives a restart, and the page's guard against other web sites."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from bot.app import CouncilApp
from bot.council.clock import FakeClock
from bot.local import ChannelStore, LocalChannel, bot_on_channel
from bot.local.seed import DEMO_PEOPLE, is_empty, seed_demo
from storage.db import Database
from storage.sealing import Sealer
from tests.support import harness
from tests.support.harness import ADMIN_ID, START

SAM = 200000001  # a member on A wing in the demo
MORGAN = 200000006  # staff in the demo
WEB = Path(__file__).resolve().parents[2] / "bot" / "local" / "web"


@dataclass
class Local:
    channel: LocalChannel
    db: Database
    app: CouncilApp
    clock: FakeClock
    page: httpx.AsyncClient

    async def say(self, chat: int, text: str) -> dict[str, Any]:
        response = await self.page.post("/api/send", json={"chat": chat, "text": text})
        assert response.status_code == 200, response.text
        return dict(response.json()["message"])

    async def press(self, chat: int, label: str) -> dict[str, Any] | None:
        message, data = self.button(chat, label)
        response = await self.page.post(
            "/api/press", json={"chat": chat, "message_id": message["id"], "data": data}
        )
        assert response.status_code == 200, response.text
        answer: dict[str, Any] | None = response.json()["answer"]
        return answer

    def history(self, chat: int) -> list[dict[str, Any]]:
        from bot.local.http import _page_message

        return [_page_message(m, self.channel.api) for m in self.channel.store.history(chat)]

    def button(self, chat: int, label: str) -> tuple[dict[str, Any], str]:
        for message in reversed(self.history(chat)):
            for row in message["buttons"]:
                for button in row:
                    if button["text"] == label:
                        return message, button["callback_data"]
        raise AssertionError(f"no button {label!r} in chat {chat}")

    async def seen(
        self, chat: int, check: Callable[[str], bool], *, after: int = 0, within: float = 10
    ) -> str:
        """Wait (bounded) until a bot message in the chat, sent or edited after the ``after``
        change, passes ``check``; return its text."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + within
        while True:
            for message in reversed(self.history(chat)):
                if message["from"] == "bot" and message["seq"] > after and check(message["text"]):
                    return str(message["text"])
            remaining = deadline - loop.time()
            if remaining <= 0:
                texts = [m["text"][:80] for m in self.history(chat)]
                raise AssertionError(f"not seen in chat {chat}; it shows {texts}")
            await self.channel.api.changes(self.channel.store.cursor, chat, wait=remaining)


@asynccontextmanager
async def start_local(tmp_path: Path, **changes: Any) -> AsyncIterator[Local]:
    """The demo council on a local channel, with the real bot long polling it over HTTP."""
    settings = harness.test_settings(tmp_path / "council.sqlite3", **changes)
    db = await Database.open(settings.database_path, sealer=Sealer.generate())
    clock = FakeClock(START)
    channel = await LocalChannel.open(tmp_path / "local-channel.sqlite3", port=0)
    assert await is_empty(db)
    await seed_demo(settings, db, channel.store, clock)
    try:
        async with (
            bot_on_channel(settings, db, channel, clock=clock) as app,
            httpx.AsyncClient(base_url=channel.address, timeout=15) as page,
        ):
            yield Local(channel, db, app, clock, page)
    finally:
        await channel.close()
        await db.close()


@pytest.fixture
async def local(tmp_path: Path) -> AsyncIterator[Local]:
    async with start_local(tmp_path) as started:
        yield started


async def test_the_demo_is_real_people_with_real_notices(local: Local) -> None:
    async with local.db.transaction() as tx:
        rows = await tx.all("SELECT tg_user_id, role, wing FROM person ORDER BY tg_user_id")
    roles = {row["tg_user_id"]: row["role"] for row in rows}
    assert roles[ADMIN_ID] == "admin"  # the configured admin, admitted from config
    for demo in DEMO_PEOPLE:
        assert roles[demo.user_id] == demo.role
    personas = (await local.page.get("/api/state")).json()["personas"]
    assert {p["id"] for p in personas} == set(roles)
    assert next(p for p in personas if p["id"] == SAM)["role"] == "Member, A wing"
    # The poll, meeting and consultation notices reach the members' chats through the real sender.
    await local.seen(SAM, lambda text: text.startswith("New secret poll:"))
    await local.seen(SAM, lambda text: "Family visits on Saturdays" in text)
    family = next(d.user_id for d in DEMO_PEOPLE if d.role == "family")
    await local.seen(family, lambda text: "Family visits on Saturdays" in text)


async def test_a_person_talks_to_the_bot_through_the_page(local: Local) -> None:
    said = await local.say(SAM, "/whoami")
    await local.seen(SAM, lambda text: "member" in text.lower(), after=said["seq"])
    said = await local.say(SAM, "/menu")
    await local.seen(SAM, lambda text: bool(text), after=said["seq"])
    menu, _ = local.button(SAM, "My issues")
    answer = await local.press(SAM, "My issues")
    assert answer is not None  # the bot answered the press (the page shows its toast)
    mine = await local.seen(SAM, lambda text: "A-0001" in text, after=menu["seq"])
    assert "showers" in mine.lower()


async def test_page_calls_are_checked(local: Local) -> None:
    too_long = await local.page.post("/api/send", json={"chat": SAM, "text": "a" * 4097})
    assert too_long.status_code == 400 and "too long" in too_long.json()["error"]
    empty = await local.page.post("/api/send", json={"chat": SAM, "text": "   "})
    assert empty.status_code == 400
    nobody = await local.page.post("/api/send", json={"chat": 5, "text": "hello"})
    assert nobody.status_code == 404
    # Another web site in the same browser cannot drive the page: not by a form post...
    form = await local.page.post("/api/send", content=b"chat=1&text=x")
    assert form.status_code == 415
    # ...nor by a name that resolves here (DNS rebinding).
    rebound = await local.page.get("/api/state", headers={"Host": "evil.example:80"})
    assert rebound.status_code == 403
    stale = await local.page.post(
        "/api/press", json={"chat": SAM, "message_id": 99999, "data": "1:menu"}
    )
    assert stale.status_code == 404


async def test_the_page_is_served_with_nothing_from_the_internet(local: Local) -> None:
    page = await local.page.get("/")
    assert (
        page.status_code == 200 and "default-src 'self'" in page.headers["content-security-policy"]
    )
    for name in ("app.js", "style.css"):
        served = await local.page.get(f"/static/{name}")
        assert served.status_code == 200
    for path in WEB.iterdir():
        text = path.read_text(encoding="utf-8")
        assert not re.search(
            r"(?:https?:)?//[a-z0-9.-]+\.[a-z]{2,}", text.replace("www.w3.org/2000/svg", "")
        ), path
    strings = (await local.page.get("/api/strings")).json()
    assert strings["cy"]["send"] == "Anfon" and strings["en"]["send"] == "Send"
    assert (await local.page.get("/static/../store.py")).status_code == 404


async def test_chats_and_the_token_outlive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "local.sqlite3"
    channel = await LocalChannel.open(path, port=0)
    token = channel.token
    from bot.local import Persona

    channel.store.add_persona(Persona(SAM, "Sam", "Member"))
    channel.api.send_text(SAM, "/start")
    status, body = await channel.api.call("sendMessage", {"chat_id": SAM, "text": "Hello"})
    assert status == 200 and body["result"]["message_id"] == 2
    await channel.close()

    store = ChannelStore(path)
    assert [m.text for m in store.history(SAM)] == ["/start", "Hello"]
    assert store.next_message_id(SAM) == 3
    store.close()
    again = await LocalChannel.open(path, port=0)
    try:
        assert again.token == token
    finally:
        await again.close()


def test_run_without_a_token_refuses_rather_than_serve_the_real_database(tmp_path: Path) -> None:
    import os
    import subprocess
    import sys

    from tests.support.paths import EXAMPLE_CONFIG, ROOT

    config = tmp_path / "config.toml"
    config.write_text(EXAMPLE_CONFIG.read_text(encoding="utf-8"), encoding="utf-8")
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert "No bot token is set (TELEGRAM_BOT_TOKEN)" in result.stderr
    assert "export TELEGRAM_BOT_TOKEN=" in result.stderr and "python -m bot demo" in result.stderr
    assert not (tmp_path / "data" / "council.sqlite3").exists()


def test_make_run_without_a_token_starts_the_demo_on_its_own_database(tmp_path: Path) -> None:
    import os
    import signal
    import socket
    import subprocess
    import sys
    import time

    from tests.support.paths import EXAMPLE_CONFIG, ROOT

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    config = tmp_path / "config.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace("port = 8080", f"port = {port}"),
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if k != "TELEGRAM_BOT_TOKEN"}
    env["PYTHONUNBUFFERED"] = "1"
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--or-demo", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    assert process.stdout is not None
    lines: list[str] = []
    deadline = time.monotonic() + 30
    try:
        while time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line:
                break
            lines.append(line)
            if "@BotFather" in line:
                break
        printed = "".join(lines)
        assert f"Open http://127.0.0.1:{port} in your browser." in printed, printed
        assert "TELEGRAM_BOT_TOKEN" in printed and "@BotFather" in printed
        assert "Made a demo council" in printed  # first run on an empty database
        page = httpx.get(f"http://127.0.0.1:{port}/api/state", timeout=10).json()
        assert len(page["personas"]) == len(DEMO_PEOPLE) + 1
    finally:
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=20)
    assert process.returncode == 0
    assert "No bot token is set, so this is the demo" in printed
    # The demo's own files; the real database is never made or touched.
    assert (tmp_path / "data" / "demo" / "council.sqlite3").exists()
    assert (tmp_path / "data" / "demo" / "local-channel.sqlite3").exists()
    assert not (tmp_path / "data" / "council.sqlite3").exists()
