"""End to end over HTTP: the bot as its own process, long-polling a Bot API server on
127.0.0.1, side by side in the same run with a bare python-telegram-bot bot making the same calls.

    .venv/bin/python bench/e2e_http.py
    .venv/bin/python bench/e2e_http.py --presses 300     # a quick look

Set-up (not timed): 1,000 members and four polls, created through the real flow in process; every
ballot is delivered by the outbox sender to the Bot API double, so each press below lands on a
fresh ballot that nobody has voted on (no "message is not modified" shortcuts). Then the double
is served over HTTP (tests/fakes/double/http.py: a threaded server, HTTP/1.1 keep-alive, the Bot API
wire format) and each bot runs as its own process (`python -m bot run`, or this file with --bare).

Per bot, timed at the server (every call counted only when answered 200):

- burst: 1,000 *confirm vote* presses arriving evenly over one second; for each, the time from the
  update being queued at the server to the bot's answerCallbackQuery arriving (p50, p99);
- votes_per_s: 1,000 presses queued at once, until the 1,000th ballot is edited;
- text_per_s: 1,000 text messages queued at once, until the 1,000th reply arrives.

The product bot votes (one transaction: elector check, count, ballot marked) and answers and
edits the ballot; the bare bot answers and edits with no database; both reply to text with one
sendMessage. All use 64 concurrent updates. The product uses its own request class
(bot/request.py, aiohttp); the bare bot PTB's default (httpx). For the record the product also
runs on PTB's default client (`httpx_*`: the product before bot/request.py). The last line is
one JSON object.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

OPTIONS = ["North", "South", "East", "West"]
BURST_S = 1.0
TIMEOUT_S = 180.0


# -- the bare bot (run as `python bench/e2e_http.py --bare`) ------------------------------------


def bare_bot() -> None:
    """python-telegram-bot alone: the same calls as the product, nothing else."""
    from telegram import Update
    from telegram.ext import (
        ApplicationBuilder,
        CallbackQueryHandler,
        ContextTypes,
        MessageHandler,
        filters,
    )

    async def on_press(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        query = update.callback_query
        assert query is not None
        await query.answer()
        await query.edit_message_text("Your vote is recorded.")

    async def on_text(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        chat = update.effective_chat
        assert chat is not None
        await context.bot.send_message(chat.id, "Please use the menu buttons.")

    app = (
        ApplicationBuilder()
        .token(os.environ["TELEGRAM_BOT_TOKEN"])
        .base_url(os.environ["BARE_BASE_URL"])
        .concurrent_updates(64)
        .build()
    )
    app.add_handler(CallbackQueryHandler(on_press))
    app.add_handler(MessageHandler(filters.TEXT, on_text))
    app.run_polling()


def product_on_httpx(config: str) -> None:
    """The product with PTB's default client (httpx) in place of bot/request.py: the before."""
    from telegram.request import HTTPXRequest

    import bot.request
    from bot.__main__ import main as bot_main

    def httpx_request(*, connections: int = 256, **_: Any) -> HTTPXRequest:
        return HTTPXRequest(connection_pool_size=connections)

    bot.request.AiohttpRequest = httpx_request  # type: ignore[assignment,misc]
    raise SystemExit(bot_main(["--config", config, "run"]))


# -- measuring at the server ----------------------------------------------------------------------


class Watch:
    """Counts what the bots' calls achieved, at the double, from the server's threads."""

    def __init__(self, double: Any) -> None:
        self.lock = threading.Lock()
        self.acked: dict[str, float] = {}
        self.edits = 0
        self.replies = 0
        original = double.handle

        def handle(method: str, params: dict[str, Any], files: Any = None) -> Any:
            status, body = original(method, params, files)
            if status == 200:
                with self.lock:
                    if method == "answerCallbackQuery":
                        self.acked[str(params.get("callback_query_id"))] = time.perf_counter()
                    elif method == "editMessageText":
                        self.edits += 1
                    elif method == "sendMessage":
                        self.replies += 1
            return status, body

        double.handle = handle

    def until(self, done: Callable[[], bool], proc: subprocess.Popen[bytes]) -> float:
        started = time.perf_counter()
        while not done():
            if proc.poll() is not None:
                said = proc.stderr.read().decode(errors="replace")[-3000:] if proc.stderr else ""
                raise SystemExit(f"the bot process stopped:\n{said}")
            if time.perf_counter() - started > TIMEOUT_S:
                raise SystemExit("the bot did not finish within the timeout")
            time.sleep(0.001)
        return time.perf_counter()


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


# -- set-up: people, polls and delivered ballots, in process ------------------------------------


async def setup(work: Path, presses: int) -> tuple[Any, list[int], list[dict[int, str]]]:
    """Returns the double, the electors, and per poll each elector's confirm-press callback
    data with the id of their own fresh ballot message."""
    from handlers.callbacks import pack
    from tests.e2e.test_polls import add_people, create_poll
    from tests.support.harness import make_harness

    h = await make_harness(work)
    # The bot process runs on the real clock: polls must be open by it. Noon today, so that the
    # ballots are not held by quiet hours whatever the hour of the run.
    h.clock.set(datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0))
    staff = await h.join("staff", wing=None)
    # `run` refuses real use without a safer-custody contact (issue 12): the staff member is one.
    from storage import safety

    person = await h.person(staff)
    assert person is not None
    async with h.db.transaction() as tx:
        await safety.add_contact(tx, person.id, None, h.clock.now())
    users = await add_people(h, presses)
    rounds: list[dict[int, str]] = []
    for name in ("burst", "votes", "bare burst", "bare votes", "httpx burst", "httpx votes"):
        poll_id = await create_poll(h, staff, f"Which yard ({name})?", OPTIONS)
        await h.deliver()  # the ballots, through the outbox sender
        rounds.append(
            {
                u: f"{h.double.last(u).message_id}|{pack('plc', poll_id, 1 << (n % 4))}"
                for n, u in enumerate(users)
            }
        )
    double = h.double
    await h.close()
    return double, users, rounds


def write_config(work: Path, base_url: str) -> Path:
    config = work / "config.toml"
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('base_url = "https://api.telegram.org/bot"', f'base_url = "{base_url}"')
    text = text.replace('path = "data/council.sqlite3"', f'path = "{work / "council.sqlite3"}"')
    # The key the harness sealed the polls' counts with (tests/support/harness.py test_settings).
    text = text.replace(
        'key_file = "keys/council.key"', f'key_file = "{work / "keys" / "council.key"}"'
    )
    config.write_text(text, encoding="utf-8")
    return config


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, *args],
        cwd=ROOT,
        env={**os.environ, **env},
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()


def phases(
    double: Any,
    watch: Watch,
    proc: subprocess.Popen[bytes],
    users: list[int],
    burst_round: dict[int, str],
    votes_round: dict[int, str],
) -> dict[str, float]:
    # Ready: the bot answers a first text.
    with watch.lock:
        replies = watch.replies
    double.push_update(double.message_update(users[0], "hello"))
    watch.until(lambda: watch.replies > replies, proc)
    cpu_before = cpu_seconds(proc.pid)

    def press(user: int, spec: str) -> dict[str, Any]:
        message_id, data = spec.split("|", 1)
        return double.callback_update(user, int(message_id), data)

    # 1. The burst: presses spread evenly over one second.
    updates = [press(u, burst_round[u]) for u in users]
    with watch.lock:
        edits = watch.edits
    queued: dict[str, float] = {}
    began = time.perf_counter()
    for n, update in enumerate(updates):
        delay = began + BURST_S * n / len(updates) - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        queued[update["callback_query"]["id"]] = time.perf_counter()
        double.push_update(update)
    watch.until(lambda: watch.edits >= edits + len(users), proc)
    latencies = [(watch.acked[q] - t) * 1000 for q, t in queued.items()]

    # 2. Votes a second: every press at once.
    updates = [press(u, votes_round[u]) for u in users]
    with watch.lock:
        edits = watch.edits
    began = time.perf_counter()
    for update in updates:
        double.push_update(update)
    votes_per_s = len(users) / (
        watch.until(lambda: watch.edits >= edits + len(users), proc) - began
    )

    # 3. Text a second: every message at once, each answered with one message.
    updates = [double.message_update(u, f"hello {n}") for n, u in enumerate(users)]
    with watch.lock:
        replies = watch.replies
    began = time.perf_counter()
    for update in updates:
        double.push_update(update)
    text_per_s = len(users) / (
        watch.until(lambda: watch.replies >= replies + len(users), proc) - began
    )
    return {
        "p50": percentile(latencies, 0.50),
        "p99": percentile(latencies, 0.99),
        "votes": votes_per_s,
        "text": text_per_s,
        "cpu": cpu_seconds(proc.pid) - cpu_before,
    }


def main(presses: int) -> dict[str, Any]:
    from tests.fakes.double import serve_http

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        double, users, rounds = asyncio.run(setup(work, presses))
        watch = Watch(double)
        server = serve_http(double)
        try:
            config = write_config(work, server.base_url)
            token = {"TELEGRAM_BOT_TOKEN": double.token}
            product = start(["-m", "bot", "run", "--config", str(config)], token)
            try:
                ours = phases(double, watch, product, users, rounds[0], rounds[1])
            finally:
                stop(product)
            before = start([str(Path(__file__).resolve()), "--product-httpx", str(config)], token)
            try:
                on_httpx = phases(double, watch, before, users, rounds[4], rounds[5])
            finally:
                stop(before)
            bare = start(
                [str(Path(__file__).resolve()), "--bare"],
                {**token, "BARE_BASE_URL": server.base_url},
            )
            try:
                theirs = phases(double, watch, bare, users, rounds[2], rounds[3])
            finally:
                stop(bare)
        finally:
            server.close()

        async def counted() -> list[int]:
            from storage import polls
            from storage.db import Database
            from storage.sealing import Sealer

            # An open poll's counts are sealed (issue 12): read them with the council's key.
            key = Sealer.load_or_create(work / "keys" / "council.key")
            db = await Database.open(work / "council.sqlite3", sealer=key)
            async with db.transaction() as tx:
                ids = [int(r[0]) for r in await tx.all("SELECT id FROM poll ORDER BY id")]
                totals = [sum(await polls.counts_now(tx, poll_id)) for poll_id in ids]
            await db.close()
            return totals

        totals = asyncio.run(counted())
    named = (("product", ours), ("product on httpx (before)", on_httpx), ("bare PTB", theirs))
    for name, figures in named:
        print(
            f"{name}: burst p50 {figures['p50']:.0f} ms, p99 {figures['p99']:.0f} ms;"
            f" votes {figures['votes']:.0f}/s; text {figures['text']:.0f}/s;"
            f" bot process CPU {figures['cpu']:.1f} s over the three phases"
        )
    print(f"votes counted per poll (product, bare bot's untouched, product on httpx): {totals}")
    return {
        "votes_per_s": round(ours["votes"], 1),
        "bare_votes_per_s": round(theirs["votes"], 1),
        "ratio": round(ours["votes"] / theirs["votes"], 2),
        "burst_p50_ms": round(ours["p50"], 1),
        "burst_p99_ms": round(ours["p99"], 1),
        "text_per_s": round(ours["text"], 1),
        "bare_text_per_s": round(theirs["text"], 1),
        "bare_burst_p99_ms": round(theirs["p99"], 1),
        "httpx_votes_per_s": round(on_httpx["votes"], 1),
        "httpx_burst_p99_ms": round(on_httpx["p99"], 1),
        "httpx_text_per_s": round(on_httpx["text"], 1),
        "counts_exact": totals == [presses, presses, 0, 0, presses, presses],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--bare", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--product-httpx", metavar="CONFIG", help=argparse.SUPPRESS)
    parser.add_argument("--presses", type=int, default=1000)
    options = parser.parse_args()
    if options.bare:
        bare_bot()
    elif options.product_httpx:
        product_on_httpx(options.product_httpx)
    else:
        print(json.dumps(main(options.presses)))
