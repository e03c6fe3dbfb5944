"""Local channel figures: messages a second the bot answers for 50 simulated browser users
(one direction: a user's message and the bot's answer to it count once, as a round trip) (over HTTP, the bot long polling getUpdates, each user long polling the page's
/api/changes), and the chat page's load time and size in Debian's Chromium.

Run: .venv/bin/python bench/local_channel.py
The last line is one JSON object: {"msgs_per_s": ..., "page_load_ms": ..., "page_kb": ...}
"""

from __future__ import annotations

import asyncio
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.council import access  # noqa: E402
from bot.council.clock import SystemClock  # noqa: E402
from bot.local import FloodGuard, LocalChannel, Persona, bot_on_channel  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.people import PersonRow  # noqa: E402
from storage.sealing import Sealer  # noqa: E402
from tests.support.harness import test_settings  # noqa: E402

USERS = 50
ROUNDS = 20  # each user: write, wait for the bot's answer, again
FIRST_USER = 300_000_001
CHROMIUM = shutil.which("chromium") or (
    "/usr/bin/chromium" if Path("/usr/bin/chromium").exists() else None
)
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


async def join_everyone(settings: object, db: Database, channel: LocalChannel) -> None:
    console = PersonRow(0, None, "admin", "active", "en", True, None, "bench", False)
    clock = SystemClock()
    async with db.transaction() as tx:
        for n in range(USERS):
            user_id = FIRST_USER + n
            made = await access.create_invite(
                tx,
                clock,
                settings,
                actor=console,
                role="member",
                wing="a",
                label=f"u{n}",  # type: ignore[arg-type]
            )
            joined = await access.redeem(
                tx,
                clock,
                settings,
                tg_user_id=user_id,
                raw_code=made.code,  # type: ignore[arg-type]
            )
            assert joined.person is not None
            await access.choose_language(tx, clock, joined.person, "en")
            channel.store.add_persona(Persona(user_id, f"User {n}", "Member"))


async def one_user(client: httpx.AsyncClient, user_id: int, cursor: int) -> int:
    """Write /whoami, wait (long poll) for the bot's answer, ROUNDS times. Returns the messages
    answered (one direction: the answer is not counted again)."""
    carried = 0
    for _ in range(ROUNDS):
        sent = await client.post("/api/send", json={"chat": user_id, "text": "/whoami"})
        sent.raise_for_status()
        cursor = max(cursor, sent.json()["message"]["seq"])
        carried += 1
        while True:
            answer = await client.get(
                "/api/changes", params={"since": cursor, "chat": user_id, "timeout": 20}
            )
            body = answer.json()
            cursor = max(cursor, body["cursor"])
            if any(m["from"] == "bot" for m in body["messages"]):
                break
    return carried


async def throughput(work: Path) -> float:
    settings = test_settings(work / "council.sqlite3")
    db = await Database.open(settings.database_path, sealer=Sealer.generate())
    # Telegram's per-chat flood limit would cap each user at one answer a second; the figure is
    # what the channel itself carries, so the guard is opened wide here (and only here).
    flood = FloodGuard(private_burst=1e9, private_rate=1e9)
    channel = await LocalChannel.open(work / "local-channel.sqlite3", port=0, flood=flood)
    try:
        await join_everyone(settings, db, channel)
        async with bot_on_channel(settings, db, channel):
            limits = httpx.Limits(max_connections=USERS * 2, max_keepalive_connections=USERS * 2)
            async with httpx.AsyncClient(
                base_url=channel.address, timeout=30, limits=limits
            ) as client:
                await one_user(client, FIRST_USER, 0)  # warm up the handlers and the pool
                cursor = channel.store.cursor
                started = time.perf_counter()
                counts = await asyncio.gather(
                    *(one_user(client, FIRST_USER + n, cursor) for n in range(USERS))
                )
                elapsed = time.perf_counter() - started
    finally:
        await channel.close()
        await db.close()
    carried = sum(counts)
    print(f"{carried} messages answered ({USERS} users x {ROUNDS} round trips) in {elapsed:.2f} s")
    return carried / elapsed


async def page_figures(work: Path) -> tuple[float | None, float]:
    channel = await LocalChannel.open(work / "page.sqlite3", port=0)
    for n in range(10):
        channel.store.add_persona(Persona(FIRST_USER + n, f"User {n}", "Member"))
    try:
        async with httpx.AsyncClient(base_url=channel.address) as client:
            size = 0
            for path in ("/", "/static/app.js", "/static/style.css", "/static/icon.svg"):
                size += len((await client.get(path)).content)
        chromium = CHROMIUM
        try:
            from playwright.async_api import async_playwright
        except ImportError:
            print("Playwright is not installed: no page load time")
            return None, size / 1024
        if chromium is None:
            print("chromium is not installed: no page load time")
            return None, size / 1024
        loads = []
        async with async_playwright() as driver:
            browser = await driver.chromium.launch(executable_path=chromium, args=CHROMIUM_ARGS)
            for _ in range(5):
                page = await browser.new_page()
                started = time.perf_counter()
                await page.goto(f"{channel.address}/?as={FIRST_USER}")
                # Loaded for a reader: the chat of the chosen person is on screen.
                await page.locator(".pane .log").wait_for()
                await page.wait_for_function(
                    "document.querySelector('.persona').options.length > 0"
                )
                loads.append((time.perf_counter() - started) * 1000)
                await page.close()
            await browser.close()
        loads.sort()
        print(f"page loads (ms): {', '.join(f'{x:.0f}' for x in loads)}")
        return loads[len(loads) // 2], size / 1024
    finally:
        await channel.close()


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        work = Path(folder)
        rate = await throughput(work)
        load_ms, page_kb = await page_figures(work)
    print(f"messages a second: {rate:.0f}; page: {page_kb:.1f} KB, median load {load_ms} ms")
    print(
        json.dumps(
            {
                "msgs_per_s": round(rate, 1),
                "page_load_ms": round(load_ms, 1) if load_ms is not None else None,
                "page_kb": round(page_kb, 1),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
