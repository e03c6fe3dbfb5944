"""/healthz and /metrics (docs/DEPLOY.md), over HTTP from the real endpoint, on the real
Application with the real sender, database and timers."""

from __future__ import annotations

import asyncio
import sqlite3
import sys
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from bot.app import start_background, stop_background
from bot.ops import health
from bot.ops.channels import channel_of
from bot.ops.server import OpsServer
from tests.e2e.test_delivery_announce import TEXT, _preview
from tests.support.harness import EXAMPLE_CONFIG, ROOT, Harness


@pytest.fixture
async def ops(h: Harness) -> AsyncIterator[OpsServer]:
    server = OpsServer(h.services, [channel_of(h.app)])
    await server.start("127.0.0.1", 0)
    try:
        yield server
    finally:
        await server.stop()


async def get(server: OpsServer, path: str) -> httpx.Response:
    async with httpx.AsyncClient(timeout=30) as client:
        return await client.get(f"http://127.0.0.1:{server.port}{path}")


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(body):
        for sample in family.samples:
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def value(found: dict[Any, float], name: str, **labels: str) -> float:
    return found.get((name, tuple(sorted(labels.items()))), 0.0)


async def test_healthy_then_each_failure_named(
    h: Harness, ops: OpsServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_background(h.app)
    try:
        answer = await get(ops, "/healthz")
        assert answer.status_code == 200, answer.text
        checks = answer.json()["checks"]
        assert set(checks) == {"database", "channel:telegram", "sender:telegram"}
        assert all(c["ok"] for c in checks.values())

        # The database will not take a write: another process holds it locked.
        monkeypatch.setattr(health, "DB_TIMEOUT_S", 0.2)
        other = sqlite3.connect(h.db.path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            answer = await get(ops, "/healthz")
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert answer.status_code == 503
        body = answer.json()
        assert body["status"] == "unhealthy"
        assert body["checks"]["database"] == {
            "ok": False,
            "detail": "cannot write (database is locked)",
        }
        assert body["checks"]["channel:telegram"]["ok"] and body["checks"]["sender:telegram"]["ok"]

        # The channel's Bot API server goes quiet past [monitoring] api_silence_seconds and
        # does not answer the probe either.
        h.clock.advance(h.settings.monitoring.api_silence + timedelta(seconds=1))
        h.double.fail_next("getMe", error="drop", count=1)
        answer = await get(ops, "/healthz")
        assert answer.status_code == 503
        channel = answer.json()["checks"]["channel:telegram"]
        assert channel == {"ok": False, "detail": "Bot API does not answer (NetworkError)"}
        # Back up: the probe answers, and the answer counts as recent from then on.
        answer = await get(ops, "/healthz")
        assert answer.status_code == 200, answer.text
        assert answer.json()["checks"]["channel:telegram"]["detail"] == (
            "Bot API answered a getMe just now"
        )
    finally:
        await stop_background(h.app)
    # The sender stopped: unhealthy, whatever else is fine.
    answer = await get(ops, "/healthz")
    assert answer.status_code == 503
    assert answer.json()["checks"]["sender:telegram"] == {
        "ok": False,
        "detail": "the outbox sender is not running",
    }


async def test_metrics_count_a_broadcast_exactly(h: Harness, ops: OpsServer) -> None:
    staff = await h.join("staff", wing=None)
    members = [await h.join("member") for _ in range(4)]
    blocked = members[-1]
    h.double.fail_next("sendMessage", chat_id=blocked, error="403")
    await _preview(h, staff)
    await h.tg.press(staff, "Send it")

    queued = samples((await get(ops, "/metrics")).text)
    assert value(queued, "council_notices", channel="telegram", status="queued") == 4
    assert value(queued, "council_notices", channel="telegram", status="sent") == 0

    h.clock.advance(timedelta(minutes=5))
    assert await h.deliver() == 3
    answer = await get(ops, "/metrics")
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/plain")
    found = samples(answer.text)
    assert value(found, "council_notices", channel="telegram", status="queued") == 0
    assert value(found, "council_notices", channel="telegram", status="sent") == 3
    assert value(found, "council_notices", channel="telegram", status="parked") == 1
    assert value(found, "council_notices_parked", channel="telegram", reason="blocked") == 1
    assert value(found, "council_outbox_oldest_queued_age_seconds", channel="telegram") == 0
    # Every message and button press above, counted once, and no handler error.
    # Five joins: /start CODE and a language press each; then /announce, Members, the text, Send it.
    assert value(found, "council_updates_total", channel="telegram", kind="message") == 5 + 2
    assert value(found, "council_updates_total", channel="telegram", kind="callback_query") == 5 + 2
    assert not [k for k in found if k[0] == "council_handler_errors_total"]
    assert value(found, "council_database_bytes", file="main") > 0
    assert value(found, "process_resident_memory_bytes") > 0
    # Nothing names a person, a chat or what was said.
    for secret in [TEXT, "Test", *(str(m) for m in [staff, *members])]:
        assert secret not in answer.text


async def test_timers_due_fired_and_missed(h: Harness, ops: OpsServer) -> None:
    await start_background(h.app)
    await stop_background(h.app)
    found = samples((await get(ops, "/metrics")).text)
    assert value(found, "council_timers", kind="nightly_backup", status="pending") == 1
    assert value(found, "council_timers_due", kind="nightly_backup") == 0
    # Down for two days: the first backup is past its grace, due but not yet fired.
    h.clock.advance(timedelta(days=2))
    found = samples((await get(ops, "/metrics")).text)
    assert value(found, "council_timers_due", kind="nightly_backup") == 1
    await start_background(h.app)
    await stop_background(h.app)
    found = samples((await get(ops, "/metrics")).text)
    assert value(found, "council_timers_due", kind="nightly_backup") == 0
    assert value(found, "council_timers", kind="nightly_backup", status="missed") == 1
    assert value(found, "council_timers", kind="retention_sweep", status="missed") == 1


async def health_cli(config: Path) -> tuple[int, str]:
    """`python -m bot health` in its own process, while this loop serves the endpoint."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        "health",
        "--config",
        str(config),
        cwd=ROOT,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    out, _ = await process.communicate()
    return int(process.returncode or 0), out.decode()


async def test_the_health_command_says_what_the_endpoint_says(
    h: Harness, ops: OpsServer, tmp_path: Path
) -> None:
    config = tmp_path / "config.toml"
    text = EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
        'path = "data/council.sqlite3"', f'path = "{h.db.path}"'
    )
    config.write_text(text.replace("port = 0", f"port = {ops.port}"), encoding="utf-8")
    await start_background(h.app)
    try:
        code, said = await health_cli(config)
        assert code == 0, said
        assert "ok   sender:telegram: running" in said and said.strip().endswith("healthy")
    finally:
        await stop_background(h.app)
    code, said = await health_cli(config)
    assert code == 1
    assert "FAIL sender:telegram: the outbox sender is not running" in said
    assert said.strip().endswith("unhealthy")
    # With the endpoint off, the database alone, and it says so.
    config.write_text(text, encoding="utf-8")
    code, said = await health_cli(config)
    assert code == 0 and "ok   database: reachable and writable" in said
    assert "Only the database was checked" in said
    await ops.stop()
    config.write_text(text.replace("port = 0", f"port = {ops.port}"), encoding="utf-8")
    code, said = await health_cli(config)
    assert code == 1 and "unhealthy: the bot does not answer" in said
