"""`python -m bot health`: the /healthz answer for scripts and the container's HEALTHCHECK.

With [monitoring] port set it asks the running bot (every check: database, channels, sender).
With the endpoint off it can only check the database file from outside, and says so."""

from __future__ import annotations

import sqlite3
import sys
from datetime import UTC, datetime

import aiohttp

from bot.config import Settings
from storage import ops as store

TIMEOUT_S = 20.0


def _address(settings: Settings) -> str:
    host = settings.monitoring.listen
    host = "127.0.0.1" if host in ("0.0.0.0", "") else host  # noqa: S104 - reading, not binding
    host = "::1" if host == "::" else host
    return f"http://{'[' + host + ']' if ':' in host else host}:{settings.monitoring.port}/healthz"


async def run(settings: Settings) -> int:
    if not settings.monitoring.port:
        return _database_only(settings)
    url = _address(settings)
    try:
        timeout = aiohttp.ClientTimeout(total=TIMEOUT_S)
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(url) as answer,
        ):
            body = await answer.json()
    except (aiohttp.ClientError, TimeoutError, ValueError) as exc:
        print(f"unhealthy: the bot does not answer at {url} ({type(exc).__name__})")
        return 1
    for name, found in body.get("checks", {}).items():
        print(f"{'ok  ' if found.get('ok') else 'FAIL'} {name}: {found.get('detail', '')}")
    healthy = body.get("status") == "ok"
    print("healthy" if healthy else "unhealthy")
    return 0 if healthy else 1


def _database_only(settings: Settings) -> int:
    path = settings.database_path
    if not path.exists():
        print(f"FAIL database: there is no database at {path}")
        return 1
    try:
        store.heartbeat(path, datetime.now(UTC), timeout_s=5.0)
    except sqlite3.Error as exc:
        print(f"FAIL database: cannot write ({exc})")
        return 1
    print("ok   database: reachable and writable")
    print(
        "Only the database was checked: set [monitoring] port to check the channels and the"
        " sender of the running bot too.",
        file=sys.stderr,
    )
    return 0
