"""Start-up: time from process start to the bot answering its first update, with 10,000 people
in the database, and the bot's resident memory at that moment.

    .venv/bin/python bench/startup.py

The bot runs as a real process (`python -m bot run`) against the Bot API double over HTTP on
127.0.0.1. The last line printed is one JSON object."""

from __future__ import annotations

import asyncio
import json
import os
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from storage.db import Database  # noqa: E402
from tests.fakes.double import BotApiDouble, serve_http  # noqa: E402

USERS = 10_000
RUNS = 3


def seed(db_path: Path) -> int:
    asyncio.run(_migrate(db_path))
    now = "2026-11-02T10:00:00.000000Z"
    with sqlite3.connect(db_path) as conn:
        conn.executemany(
            "INSERT INTO person (tg_user_id, role, language, language_chosen, wing, joined_at,"
            " updated_at) VALUES (?, ?, 'en', 1, 'a', ?, ?)",
            [(700_000_000 + i, "member" if i % 50 else "family", now, now) for i in range(USERS)],
        )
        # `run` starts for real use only with a safer-custody contact.
        staff = conn.execute(
            "INSERT INTO person (tg_user_id, role, language, joined_at, updated_at)"
            " VALUES (699999999, 'staff', 'en', ?, ?)",
            (now, now),
        ).lastrowid
        conn.execute(
            "INSERT INTO safer_custody_contact (person_id, added_at) VALUES (?, ?)", (staff, now)
        )
    return 700_000_000 + 17


async def _migrate(db_path: Path) -> None:
    db = await Database.open(db_path)
    await db.close()


def rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def one_run(work: Path, double: BotApiDouble, base_url: str, user: int) -> tuple[float, float]:
    config = work / "config.toml"
    text = (ROOT / "config.example.toml").read_text(encoding="utf-8")
    text = text.replace('base_url = "https://api.telegram.org/bot"', f'base_url = "{base_url}"')
    text = text.replace('path = "data/council.sqlite3"', f'path = "{work / "council.sqlite3"}"')
    config.write_text(text, encoding="utf-8")
    double.user(user)
    before = len(double.sent_texts(user))
    env = {**os.environ, "TELEGRAM_BOT_TOKEN": double.token}
    started = time.perf_counter()
    proc = subprocess.Popen(
        [sys.executable, "-m", "bot", "run", "--config", str(config)],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    double.push_update(double.message_update(user, "/whoami"))
    try:
        while len(double.sent_texts(user)) == before:
            if proc.poll() is not None:
                raise SystemExit(
                    f"the bot stopped: {proc.stderr.read().decode() if proc.stderr else ''}"
                )
            if time.perf_counter() - started > 60:
                raise SystemExit("the bot did not answer within 60 s")
            time.sleep(0.002)
        ready = time.perf_counter() - started
        memory = rss_mb(proc.pid)
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    return ready, memory


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        user = seed(work / "council.sqlite3")
        double = BotApiDouble()
        server = serve_http(double)
        try:
            results = [one_run(work, double, server.base_url, user) for _ in range(RUNS)]
        finally:
            server.close()
    readies = sorted(r for r, _ in results)
    memory = max(m for _, m in results)
    print(f"people in database: {USERS}")
    for index, (ready, mem) in enumerate(results, 1):
        print(f"run {index}: ready in {ready:.3f} s, resident memory {mem:.1f} MB")
    print(
        f"median ready: {readies[len(readies) // 2]:.3f} s (aim < 2 s); max memory {memory:.1f} MB (aim < 120 MB)"
    )
    print(
        json.dumps(
            {
                "ready_s": round(readies[len(readies) // 2], 3),
                "rss_mb": round(memory, 1),
                "users": USERS,
            }
        )
    )


if __name__ == "__main__":
    main()
