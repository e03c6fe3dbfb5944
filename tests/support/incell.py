"""The in-cell channel with sign-in, the real bot long polling it, and page clients that keep
their own cookies (each one a different browser or device)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx

from bot.app import CouncilApp
from bot.config import InCell, Settings
from bot.council import access
from bot.council.clock import FakeClock
from bot.local import LocalChannel, bot_on_channel
from bot.local.council_link import CouncilLink
from storage.db import Database
from storage.people import PersonRow
from storage.sealing import Sealer
from tests.support import harness
from tests.support.harness import START

PIN = "482916"
OTHER_PIN = "730154"


@dataclass
class InCellRig:
    settings: Settings
    channel: LocalChannel
    db: Database
    app: CouncilApp
    clock: FakeClock

    def browser(self, **headers: str) -> Browser:
        client = httpx.AsyncClient(
            base_url=self.channel.address, timeout=15, headers=headers, follow_redirects=False
        )
        return Browser(client)

    async def invite(self, role: str = "member", wing: str | None = "a") -> str:
        console = PersonRow(0, None, "admin", "active", "en", True, None, "test", False)
        async with self.db.transaction() as tx:
            made = await access.create_invite(
                tx, self.clock, self.settings, actor=console, role=role, wing=wing, label=None
            )
        return made.code


class Browser:
    """One browser: its cookie jar, and the CSRF token the page was given."""

    def __init__(self, client: httpx.AsyncClient) -> None:
        self.client = client
        self.csrf = ""

    async def open(self) -> dict[str, Any]:
        response = await self.client.get("/api/session")
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        self.csrf = str(body.get("csrf") or "")
        return body

    async def post(self, path: str, body: dict[str, Any], **headers: str) -> httpx.Response:
        sent = {"X-CSRF-Token": self.csrf, **headers}
        return await self.client.post(path, json=body, headers=sent)

    async def join(self, code: str, pin: str = PIN) -> str:
        await self.open()
        response = await self.post("/api/signin/join", {"code": code, "pin": pin})
        assert response.status_code == 200, response.text
        await self.open()  # a new session at sign-in: a new CSRF token with it
        return str(response.json()["reference"])

    async def sign_in(self, reference: str, pin: str = PIN) -> httpx.Response:
        await self.open()
        response = await self.post("/api/signin/pin", {"reference": reference, "pin": pin})
        if response.status_code == 200:
            await self.open()
        return response

    async def me(self) -> int:
        body = await self.open()
        assert body["signed_in"], body
        return int(body["person"]["id"])

    async def close(self) -> None:
        await self.client.aclose()


@asynccontextmanager
async def start_incell(
    tmp_path: Path, port: int = 0, *, in_process: bool = True, **incell: Any
) -> AsyncIterator[InCellRig]:
    """The in-cell channel and the bot, as `python -m bot run` starts them: the bot reaches
    the channel through its in-process transport (``in_process=False``: over HTTP)."""
    options: dict[str, Any] = {"signin": "pin", "public_url": "http://127.0.0.1", **incell}
    settings = harness.test_settings(tmp_path / "council.sqlite3")
    settings = replace(settings, incell=InCell(**options))
    db = await Database.open(settings.database_path, sealer=Sealer.generate())
    clock = FakeClock(START)
    channel = await LocalChannel.open(
        tmp_path / "local-channel.sqlite3",
        port=port,
        incell=settings.incell,
        council=CouncilLink(db, settings, clock),
    )
    try:
        async with bot_on_channel(settings, db, channel, clock=clock, in_process=in_process) as app:
            yield InCellRig(settings, channel, db, app, clock)
    finally:
        await channel.close()
        await db.close()
