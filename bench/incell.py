"""In-cell channel figures: 300 people signed in with a reference and PIN, each long polling
their chat and, every few seconds, typing (/language) and pressing the answer's button
(English), against the real bot in a separate server process (the production path: aiohttp,
sessions with CSRF, argon2id, the channel's store, the bot long polling getUpdates).

Figures: messages a second the channel carries (people's messages and the bot's messages and
edits reaching their pages), p50/p99 from a press to the bot's edit arriving on the page, the
server process's memory (RSS) with everyone connected, and sign-ins a second (argon2id: two at a
time by design).

Run: .venv/bin/python bench/incell.py
The last line is one JSON object:
{"users": 300, "msgs_per_s": ..., "press_p50_ms": ..., "press_p99_ms": ..., "rss_mb": ...,
 "peak_rss_mb": ..., "signins_per_s": ...}
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import sys
import tempfile
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

USERS = int(os.environ.get("INCELL_USERS", "300"))
DURATION_S = float(os.environ.get("INCELL_SECONDS", "60"))
THINK_S = (5.0, 15.0)  # between one person's actions: people who read slowly, then tap
PIN_BASE = 482900  # + n: each person's PIN (never a common one)


# --------------------------------------------------------------------------- the server process


async def serve(work: Path) -> None:
    """The bot and the in-cell channel, as `python -m bot run` starts them with signin = "pin"."""
    from bot.config import InCell
    from bot.council import access
    from bot.council.clock import SystemClock
    from bot.local import FloodGuard, LocalChannel, bot_on_channel
    from bot.local.council_link import CouncilLink
    from storage.db import Database
    from storage.people import PersonRow
    from storage.sealing import Sealer
    from tests.support.harness import test_settings

    settings = test_settings(work / "council.sqlite3")
    settings = replace(
        settings,
        incell=InCell(signin="pin", public_url="http://127.0.0.1"),
        # A crowd at once: the delivery of notices is not what is measured here.
        delivery=replace(settings.delivery, quiet_start=settings.delivery.quiet_end),
    )
    db = await Database.open(settings.database_path, sealer=Sealer.generate())
    clock = SystemClock()
    # Telegram's per-chat flood limit is opened wide: the figure is what the channel carries.
    flood = FloodGuard(private_burst=1e9, private_rate=1e9)
    channel = await LocalChannel.open(
        work / "local-channel.sqlite3",
        port=0,
        flood=flood,
        incell=settings.incell,
        council=CouncilLink(db, settings, clock),
    )
    console = PersonRow(0, None, "admin", "active", "en", True, None, "bench", False)
    codes = []
    async with db.transaction() as tx:
        for _ in range(USERS):
            made = await access.create_invite(
                tx, clock, settings, actor=console, role="member", wing="a", label=None
            )
            codes.append(made.code)
    try:
        # As `python -m bot run` does: the bot reaches the channel through its own transport.
        async with bot_on_channel(settings, db, channel, clock=clock, in_process=True):
            print(json.dumps({"address": channel.address, "codes": codes}), flush=True)
            await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
    finally:
        await channel.close()
        await db.close()


# --------------------------------------------------------------------------- the people


@dataclass
class Person:
    n: int
    client: httpx.AsyncClient
    csrf: str = ""
    me: int = 0
    reference: str = ""
    cursor: int = 0
    messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    changed: asyncio.Event = field(default_factory=asyncio.Event)
    seen: int = 0  # bot messages and edits that reached this page
    sent: int = 0
    presses: list[float] = field(default_factory=list)

    @property
    def pin(self) -> str:
        from bot.local.signin import is_common_pin

        pin = PIN_BASE + self.n * 7
        while is_common_pin(str(pin)):
            pin += 1
        return str(pin)

    async def post(self, path: str, body: dict[str, Any]) -> httpx.Response:
        return await self.client.post(path, json=body, headers={"X-CSRF-Token": self.csrf})

    async def session(self) -> dict[str, Any]:
        body: dict[str, Any] = (await self.client.get("/api/session")).json()
        self.csrf = str(body.get("csrf") or "")
        return body

    async def follow(self, stop: asyncio.Event) -> None:
        while not stop.is_set():
            try:
                answer = await self.client.get(
                    "/api/changes", params={"since": self.cursor, "timeout": 25}
                )
            except httpx.HTTPError:
                continue
            except RuntimeError:
                return  # the client was closed: the run is over
            body = answer.json()
            self.cursor = max(self.cursor, body["cursor"])
            for m in body["messages"]:
                if m["from"] == "bot":
                    self.seen += 1
                self.messages[m["id"]] = m
            if body["messages"]:
                self.changed.set()
                self.changed = asyncio.Event()

    async def until(self, check: Any, within: float = 30) -> dict[str, Any]:
        deadline = time.perf_counter() + within
        while True:
            for m in sorted(self.messages.values(), key=lambda m: -m["seq"]):
                if check(m):
                    return m
            left = deadline - time.perf_counter()
            if left <= 0:
                raise TimeoutError(f"person {self.n}: not seen")
            event = self.changed
            try:
                await asyncio.wait_for(event.wait(), left)
            except TimeoutError:
                pass

    async def type_and_press(self) -> None:
        """/language, then press English on the answer: one message and one press."""
        sent = await self.post("/api/send", {"text": "/language"})
        sent.raise_for_status()
        self.sent += 1
        mine = sent.json()["message"]["id"]
        question = await self.until(
            lambda m: m["from"] == "bot" and m["id"] > mine and not m["edited"] and english(m)
        )
        data = next(
            b["callback_data"] for row in question["buttons"] for b in row if b["text"] == "English"
        )
        before = question["seq"]
        started = time.perf_counter()
        pressed = await self.post(
            "/api/press", {"message_id": question["id"], "data": data, "chat": self.me}
        )
        pressed.raise_for_status()
        await self.until(lambda m: m["id"] == question["id"] and m["seq"] > before)
        self.presses.append((time.perf_counter() - started) * 1000)
        self.sent += 1


def english(message: dict[str, Any]) -> bool:
    """The language question's keyboard (not the menu that may still be arriving)."""
    return any(b["text"] == "English" for row in message["buttons"] for b in row)


def cpu_s(pid: int) -> float:
    """CPU seconds a process has used (user + system)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return 0.0


def peak_rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return 0.0


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def run_people(address: str, codes: list[str], server: int) -> dict[str, Any]:
    limits = httpx.Limits(max_connections=3, max_keepalive_connections=3)
    people = [
        Person(n, httpx.AsyncClient(base_url=address, timeout=600, limits=limits))
        for n in range(USERS)
    ]
    try:
        # Joining: each person's invite code and PIN (argon2id hash), as on the page.
        for person in people:
            await person.session()

        async def join(person: Person, code: str) -> None:
            answer = await person.post("/api/signin/join", {"code": code, "pin": person.pin})
            answer.raise_for_status()
            person.reference = answer.json()["reference"]

        started = time.perf_counter()
        await asyncio.gather(*(join(p, c) for p, c in zip(people, codes, strict=True)))
        print(f"{USERS} joined in {time.perf_counter() - started:.1f} s")

        # Signing in again, everyone at once, from fresh browsers: the figure is sign-ins a second.
        for person in people:
            await person.client.aclose()
            person.client = httpx.AsyncClient(base_url=address, timeout=600, limits=limits)
            await person.session()

        async def sign_in(person: Person) -> None:
            answer = await person.post(
                "/api/signin/pin", {"reference": person.reference, "pin": person.pin}
            )
            answer.raise_for_status()
            body = await person.session()
            person.me = int(body["person"]["id"])

        started = time.perf_counter()
        await asyncio.gather(*(sign_in(p) for p in people))
        signin_s = time.perf_counter() - started
        print(f"{USERS} signed in in {signin_s:.1f} s")

        stop = asyncio.Event()
        followers = [asyncio.create_task(p.follow(stop)) for p in people]
        # Everyone answers the welcome's language question first (not measured).
        await asyncio.gather(*(p.until(english) for p in people))

        async def active(person: Person) -> None:
            rng = random.Random(person.n)
            await asyncio.sleep(rng.uniform(0, THINK_S[1]))
            end = time.perf_counter() + DURATION_S
            while time.perf_counter() < end:
                await person.type_and_press()
                await asyncio.sleep(rng.uniform(*THINK_S))

        for person in people:
            person.seen = 0
        server_cpu, own_cpu = cpu_s(server), cpu_s(os.getpid())
        started = time.perf_counter()
        await asyncio.gather(*(active(p) for p in people))
        elapsed = time.perf_counter() - started
        server_cpu, own_cpu = cpu_s(server) - server_cpu, cpu_s(os.getpid()) - own_cpu
        print(
            f"CPU over {elapsed:.1f} s: server {server_cpu:.1f} s, the {USERS} simulated"
            f" browsers {own_cpu:.1f} s; load average {os.getloadavg()[0]:.1f}"
        )
        memory = rss_mb(server)  # everyone still connected and long polling
        stop.set()
        for task in followers:
            task.cancel()
        await asyncio.gather(*followers, return_exceptions=True)
    finally:
        for person in people:
            await person.client.aclose()
    presses = [x for p in people for x in p.presses]
    carried = sum(p.sent + p.seen for p in people)
    print(
        f"{len(presses)} presses and {carried} messages in {elapsed:.1f} s;"
        f" press p50 {percentile(presses, 0.5):.0f} ms, p99 {percentile(presses, 0.99):.0f} ms"
    )
    return {
        "users": USERS,
        "msgs_per_s": round(carried / elapsed, 1),
        "press_p50_ms": round(percentile(presses, 0.5), 1),
        "press_p99_ms": round(percentile(presses, 0.99), 1),
        "rss_mb": round(memory, 1),
        "peak_rss_mb": round(peak_rss_mb(server), 1),
        "signins_per_s": round(USERS / signin_s, 1),
    }


async def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        server = await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--serve",
            folder,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
        )
        try:
            assert server.stdout is not None
            ready = json.loads(await server.stdout.readline())
            figures = await run_people(ready["address"], ready["codes"], server.pid)
        finally:
            if server.stdin is not None:
                server.stdin.close()
            await asyncio.wait_for(server.wait(), 30)
    print(json.dumps(figures))


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--serve":
        if os.environ.get("INCELL_PROFILE"):  # where the server's time goes (not for figures)
            import cProfile

            cProfile.run("asyncio.run(serve(Path(sys.argv[2])))", os.environ["INCELL_PROFILE"])
        else:
            asyncio.run(serve(Path(sys.argv[2])))
    else:
        asyncio.run(main())
