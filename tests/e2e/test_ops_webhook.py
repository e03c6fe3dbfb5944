"""Webhook mode (docs/DEPLOY.md): PTB's real webhook server over HTTP, the secret token
required, the path from the public address, and check-config refusing a webhook without one."""

from __future__ import annotations

import asyncio
import logging
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from bot.config import parse_settings
from bot.ops import webhook
from bot.ops.metrics import counts_of
from tests.fakes.double import BotApiDouble, HttpDouble, serve_http
from tests.project.test_config import example, problems_for, run_cli
from tests.support.harness import ADMIN_ID, EXAMPLE_CONFIG, ROOT, Harness, make_harness

SECRET = "s3cret-token_for-tests"
PUBLIC = "https://council.example.org/telegram/hook"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def stored(h: Harness) -> dict[str, int]:
    rows: dict[str, int] = {}
    for table in ("person", "audit_log", "code_attempt", "conversation", "outbox"):
        found = await h.rows(f"SELECT COUNT(*) AS n FROM {table}")
        rows[table] = found[0]["n"]
    return rows


async def test_the_webhook_server_takes_updates_only_with_the_secret(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    h = await make_harness(tmp_path)
    port = free_port()
    telegram = replace(
        h.settings.telegram,
        webhook_url=PUBLIC,
        webhook_port=port,
        webhook_listen="127.0.0.1",
        webhook_path="telegram/hook",
    )
    settings = replace(h.settings, telegram=telegram)
    h.double.user(ADMIN_ID, first_name="Admin", language_code="en")
    await h.app.start()
    try:
        await webhook.start(h.app, settings, SECRET)
        # Telegram was told the public address and the secret it must send back.
        (set_hook,) = [c for c in h.double.calls if c.method == "setWebhook"]
        assert set_hook.params["url"] == PUBLIC
        assert set_hook.params["secret_token"] == SECRET

        url = f"http://127.0.0.1:{port}/telegram/hook"
        before = await stored(h)
        async with httpx.AsyncClient(timeout=10) as client:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                update = h.double.message_update(ADMIN_ID, "/start")
                refused = await client.post(url, json=update, headers=headers)
                assert refused.status_code == 403
            # Another path is not the webhook.
            elsewhere = await client.post(
                f"http://127.0.0.1:{port}/hook",
                json=h.double.message_update(ADMIN_ID, "/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert elsewhere.status_code == 404
            await asyncio.sleep(0.2)  # had anything slipped through, it would be handled by now
            assert h.double.sent_texts(ADMIN_ID) == []
            assert await stored(h) == before
            assert sum(counts_of(h.app).updates.values()) == 0

            # With the secret but not an update: refused, and what it held is not logged.
            with caplog.at_level(logging.DEBUG):
                odd = await client.post(
                    url,
                    json={"update_id": "x", "message": {"text": "words from a cell"}},
                    headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                )
            assert odd.status_code == 400
            bot_log = "\n".join(
                r.getMessage() for r in caplog.records if r.name.startswith(("telegram", "bot"))
            )
            assert "Received data was" in bot_log and "Webhook received data" in bot_log
            assert "words from a cell" not in bot_log

            taken = await client.post(
                url,
                json=h.double.message_update(ADMIN_ID, "/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
            )
            assert taken.status_code == 200
        for _ in range(200):
            if h.double.sent_texts(ADMIN_ID):
                break
            await asyncio.sleep(0.02)
        assert h.double.sent_texts(ADMIN_ID), "the update with the secret was not handled"
        assert await h.person(ADMIN_ID) is not None
        assert counts_of(h.app).updates["message"] == 1
    finally:
        assert h.app.updater is not None
        await h.app.updater.stop()
        await h.app.stop()
        await h.close()


def test_the_path_comes_from_the_public_address_unless_set() -> None:
    data = example()
    data["telegram"]["webhook_url"] = PUBLIC
    assert parse_settings(data).telegram.webhook_path == "telegram/hook"
    data["telegram"]["webhook_path"] = "/proxy/in"
    assert parse_settings(data).telegram.webhook_path == "proxy/in"
    data["telegram"]["webhook_path"] = "no spaces please"
    assert "telegram.webhook_path" in problems_for(data)


def test_a_webhook_without_a_secret_is_refused_with_the_fix(tmp_path: Path) -> None:
    settings = replace(
        parse_settings(example()),
        telegram=replace(parse_settings(example()).telegram, webhook_url=PUBLIC),
    )
    assert webhook.problems(settings, {}) and "TELEGRAM_WEBHOOK_SECRET" in (
        webhook.problems(settings, {})[0].fix
    )
    assert webhook.problems(settings, {"TELEGRAM_WEBHOOK_SECRET": "has spaces in it"})
    assert webhook.problems(settings, {"TELEGRAM_WEBHOOK_SECRET": SECRET}) == []

    config = tmp_path / "config.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8").replace(
            'webhook_url = ""', f'webhook_url = "{PUBLIC}"'
        ),
        encoding="utf-8",
    )
    checked = run_cli("check-config", "--config", str(config))
    assert checked.returncode == 2
    assert "TELEGRAM_WEBHOOK_SECRET" in checked.stderr and "fix:" in checked.stderr
    # Start-up says the same and stops, before any network.
    run = run_cli("run", "--config", str(config), env={"TELEGRAM_BOT_TOKEN": "1:abc"})
    assert run.returncode == 2 and "TELEGRAM_WEBHOOK_SECRET" in run.stderr
    fine = run_cli("check-config", "--config", str(config), env={"TELEGRAM_WEBHOOK_SECRET": SECRET})
    assert fine.returncode == 0, fine.stderr


def webhook_config(tmp_path: Path, api: HttpDouble, hook_port: int, ops_port: int) -> Path:
    config = tmp_path / "config.toml"
    config.write_text(
        EXAMPLE_CONFIG.read_text(encoding="utf-8")
        .replace('base_url = "https://api.telegram.org/bot"', f'base_url = "{api.base_url}"')
        .replace(
            'base_file_url = "https://api.telegram.org/file/bot"',
            f'base_file_url = "{api.base_file_url}"',
        )
        .replace('webhook_url = ""', f'webhook_url = "{PUBLIC}"')
        .replace("webhook_port = 8443", f"webhook_port = {hook_port}")
        .replace("port = 0", f"port = {ops_port}"),
        encoding="utf-8",
    )
    # Real use needs a safer-custody contact on the way before the bot starts (issue 12).
    invited = run_cli(
        "invite", "--role", "staff", "--safer-custody", "--label", "Lead", "--config", str(config)
    )
    assert invited.returncode == 0, invited.stderr
    return config


def bot_env(double: BotApiDouble) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TELEGRAM_")}
    env.update(TELEGRAM_BOT_TOKEN=double.token, TELEGRAM_WEBHOOK_SECRET=SECRET)
    return env


def test_run_starts_the_webhook_behind_a_proxy_path_end_to_end(tmp_path: Path) -> None:
    """`python -m bot run` in webhook mode, as an IT team starts it: the webhook server comes
    up at the public address's path, Telegram is given the secret, and only updates that carry
    it are handled. Neither the token nor the secret reaches the log."""
    double = BotApiDouble()
    double.user(ADMIN_ID, first_name="Admin", language_code="en")
    hook_port, ops_port = free_port(), free_port()
    with serve_http(double) as api:
        config = webhook_config(tmp_path, api, hook_port, ops_port)
        env = bot_env(double)
        # Real use needs a safer-custody contact (issue 12): an invite for one on its way will do.
        made = run_cli(
            "invite", "--role", "staff", "--safer-custody", "--config", str(config), env=env
        )
        assert made.returncode == 0, made.stderr
        log = tmp_path / "bot.log"
        with log.open("w") as out:
            bot = subprocess.Popen(
                [sys.executable, "-m", "bot", "run", "--config", str(config)],
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        try:
            deadline = time.monotonic() + 60
            while time.monotonic() < deadline:
                try:
                    if httpx.get(f"http://127.0.0.1:{ops_port}/healthz", timeout=5).is_success:
                        break
                except httpx.HTTPError:
                    pass
                assert bot.poll() is None, log.read_text(encoding="utf-8")
                time.sleep(0.2)
            (set_hook,) = [c for c in double.calls if c.method == "setWebhook"]
            assert set_hook.params["url"] == PUBLIC
            assert set_hook.params["secret_token"] == SECRET
            url = f"http://127.0.0.1:{hook_port}/telegram/hook"
            refused = httpx.post(url, json=double.message_update(ADMIN_ID, "/start"), timeout=10)
            assert refused.status_code == 403
            taken = httpx.post(
                url,
                json=double.message_update(ADMIN_ID, "/start"),
                headers={"X-Telegram-Bot-Api-Secret-Token": SECRET},
                timeout=10,
            )
            assert taken.status_code == 200
            deadline = time.monotonic() + 30
            while not double.sent_texts(ADMIN_ID) and time.monotonic() < deadline:
                time.sleep(0.1)
            assert len(double.sent_texts(ADMIN_ID)) == 1
        finally:
            bot.send_signal(signal.SIGTERM)
            bot.wait(timeout=30)
    assert bot.returncode == 0, log.read_text(encoding="utf-8")
    printed = log.read_text(encoding="utf-8")
    assert "The council bot is running" in printed
    assert SECRET not in printed and double.token not in printed


def test_a_taken_port_stops_start_up_with_the_key_to_change(tmp_path: Path) -> None:
    double = BotApiDouble()
    with socket.socket() as taken, serve_http(double) as api:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        busy = int(taken.getsockname()[1])
        for hook_port, ops_port, key in (
            (busy, free_port(), "telegram.webhook_port"),
            (free_port(), busy, "monitoring.port"),
        ):
            config = webhook_config(tmp_path, api, hook_port, ops_port)
            made = run_cli(
                "invite",
                "--role",
                "staff",
                "--safer-custody",
                "--config",
                str(config),
                env=bot_env(double),
            )
            assert made.returncode == 0, made.stderr
            run = subprocess.run(
                [sys.executable, "-m", "bot", "run", "--config", str(config)],
                cwd=ROOT,
                env=bot_env(double),
                capture_output=True,
                text=True,
                timeout=60,
            )
            assert run.returncode == 4, run.stderr
            assert f"cannot listen on 127.0.0.1:{busy}" in run.stderr
            assert f"set {key} in the configuration" in run.stderr
