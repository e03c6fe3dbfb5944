"""Kill a real bot process (SIGKILL) in the middle of a broadcast of 2,000 notices to the Bot API
double over HTTP, start it again, and check that everyone got the notice and that only the
notices in flight at the kill can have arrived twice.

Telegram's pace bounds this test: 2,000 notices at 30 a second (the most the configuration
allows) take about 70 seconds, whatever the kill does. Every wait has a deadline."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.clock import to_db
from storage.db import Database
from tests.fakes.double import BotApiDouble, serve_http
from tests.support.harness import EXAMPLE_CONFIG, ROOT

RECIPIENTS = 2000
KILL_AFTER = 300  # notices delivered before the kill
FIRST_RUN_DEADLINE_S = 30.0
RESTART_DEADLINE_S = 100.0
FIRST_USER = 700_000_001


def _config(tmp_path: Path, base_url: str, db_path: Path) -> Path:
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8")
    text = text.replace('base_url = "https://api.telegram.org/bot"', f'base_url = "{base_url}"')
    text = text.replace('path = "data/council.sqlite3"', f'path = "{db_path}"')
    text = text.replace("rate_per_second = 25", "rate_per_second = 30")
    # Equal start and end turn quiet hours off: this test runs at whatever hour it is.
    text = text.replace('quiet_hours_start = "21:30"', 'quiet_hours_start = "00:00"')
    text = text.replace('quiet_hours_end = "07:30"', 'quiet_hours_end = "00:00"')
    path = tmp_path / "config.toml"
    path.write_text(text, encoding="utf-8")
    return path


async def _seed(db_path: Path) -> None:
    """2,000 members and one queued notice each, written straight into the SQLite file."""
    db = await Database.open(db_path)
    now = to_db(datetime.now(UTC) - timedelta(minutes=1))
    params = json.dumps({"establishment": "HMP Example", "text": "The broadcast"})
    async with db.transaction() as tx:
        await tx.executemany(
            "INSERT INTO person (id, tg_user_id, role, language, wing, joined_at, updated_at)"
            " VALUES (?, ?, 'member', 'en', 'a', ?, ?)",
            [(n + 1, FIRST_USER + n, now, now) for n in range(RECIPIENTS)],
        )
        # `run` starts for real use only with a safer-custody contact.
        await tx.execute(
            "INSERT INTO person (id, tg_user_id, role, language, joined_at, updated_at)"
            " VALUES (?, 699999999, 'staff', 'en', ?, ?)",
            (RECIPIENTS + 1, now, now),
        )
        await tx.execute(
            "INSERT INTO safer_custody_contact (person_id, added_at) VALUES (?, ?)",
            (RECIPIENTS + 1, now),
        )
        await tx.executemany(
            "INSERT INTO outbox (key, chat_id, person_id, message, params, not_before,"
            " created_at) VALUES (?, ?, ?, 'announce.notice', ?, ?, ?)",
            [
                (f"crash:{n + 1}", FIRST_USER + n, n + 1, params, now, now)
                for n in range(RECIPIENTS)
            ],
        )
    await db.close()


def _start(config: Path, token: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": token, "PYTHONUNBUFFERED": "1"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "bot", "run", "--config", str(config)],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _delivered(double: BotApiDouble) -> int:
    return sum(1 for c in list(double.calls) if c.method == "sendMessage" and c.status == 200)


def _status_counts(db_path: Path) -> dict[str, int]:
    with sqlite3.connect(db_path, timeout=5) as conn:
        rows = conn.execute("SELECT status, COUNT(*) FROM outbox GROUP BY status").fetchall()
    return {status: count for status, count in rows}


def _in_flight(db_path: Path) -> set[int]:
    with sqlite3.connect(db_path, timeout=5) as conn:
        rows = conn.execute("SELECT chat_id FROM outbox WHERE status = 'sending'").fetchall()
    return {chat for (chat,) in rows}


def _wait(check: object, deadline_s: float, process: subprocess.Popen[bytes], log: Path) -> None:
    assert callable(check)
    deadline = time.monotonic() + deadline_s
    while not check():
        if process.poll() is not None:
            raise AssertionError(f"the bot stopped by itself:\n{log.read_text()[-3000:]}")
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {deadline_s} s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)


async def test_sigkill_mid_broadcast_loses_nothing_and_repeats_only_what_was_in_flight(
    tmp_path: Path,
) -> None:
    double = BotApiDouble()
    for n in range(RECIPIENTS):
        double.user(FIRST_USER + n)
    db_path = tmp_path / "council.sqlite3"
    await _seed(db_path)
    log = tmp_path / "bot.log"
    with serve_http(double) as http:
        config = _config(tmp_path, http.base_url, db_path)
        bot = _start(config, double.token, log)
        try:
            _wait(lambda: _delivered(double) >= KILL_AFTER, FIRST_RUN_DEADLINE_S, bot, log)
            bot.send_signal(signal.SIGKILL)
            bot.wait(timeout=10)
        finally:
            if bot.poll() is None:
                bot.kill()
        delivered_before = _delivered(double)
        in_flight = _in_flight(db_path)
        assert delivered_before < RECIPIENTS, "the kill came too late to test anything"
        assert len(in_flight) <= 16  # the sender's bound on sends in flight

        bot = _start(config, double.token, log)
        try:
            _wait(
                lambda: _status_counts(db_path).get("sent", 0) == RECIPIENTS,
                RESTART_DEADLINE_S,
                bot,
                log,
            )
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=15)
        finally:
            if bot.poll() is None:
                bot.kill()

    assert _status_counts(db_path) == {"sent": RECIPIENTS}
    counts = {FIRST_USER + n: double.delivered_count(FIRST_USER + n) for n in range(RECIPIENTS)}
    assert min(counts.values()) == 1, "someone never got the notice"
    twice = {chat for chat, n in counts.items() if n > 1}
    assert max(counts.values()) <= 2
    assert twice <= in_flight, "a notice not in flight at the kill arrived twice"
    texts = {t for chat in counts for t in double.sent_texts(chat)}
    assert texts == {"Announcement from HMP Example:\n\nThe broadcast"}
    print(
        f"delivered before the kill: {delivered_before}, in flight: {len(in_flight)},"
        f" delivered twice: {len(twice)}"
    )
