"""Webhook mode: PTB's webhook server (the [webhooks] extra) behind the establishment's proxy.

A webhook without a secret token would take any POST from anyone who finds the address as an
update from Telegram, so the bot refuses to start one without it. Telegram sends the secret in
the X-Telegram-Bot-Api-Secret-Token header and PTB's server answers 403 when it is missing or
wrong, before anything is handled.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping

from bot.config import Problem, Settings
from bot.ops.channels import CouncilApp

# What Telegram accepts as a secret_token: 1 to 256 of these characters.
_SECRET = re.compile(r"[A-Za-z0-9_-]{1,256}")


def secret(settings: Settings, environ: Mapping[str, str] | None = None) -> str | None:
    env = os.environ if environ is None else environ
    value = env.get(settings.telegram.webhook_secret_env, "").strip()
    return value or None


def problems(settings: Settings, environ: Mapping[str, str] | None = None) -> list[Problem]:
    """What stops webhook mode from starting safely; nothing when polling."""
    if not settings.telegram.webhook_url:
        return []
    name = settings.telegram.webhook_secret_env
    value = secret(settings, environ)
    if value is None:
        return [
            Problem(
                f"telegram.webhook_url (environment {name})",
                "set, but no secret token",
                f"set {name} to a random secret, e.g.  export {name}=$(openssl rand -hex 32)"
                "  (or empty telegram.webhook_url to use long polling)",
            )
        ]
    if not _SECRET.fullmatch(value):
        return [
            Problem(
                f"environment {name}",
                "(not shown)",
                "use 1 to 256 letters, digits, _ or -, e.g. the output of openssl rand -hex 32",
            )
        ]
    return []


async def start(app: CouncilApp, settings: Settings, secret_token: str) -> None:
    """Listen on webhook_listen:webhook_port at webhook_path and tell Telegram the address."""
    assert app.updater is not None
    telegram = settings.telegram
    await app.updater.start_webhook(
        listen=telegram.webhook_listen,
        port=telegram.webhook_port,
        url_path=telegram.webhook_path,
        webhook_url=telegram.webhook_url,
        secret_token=secret_token,
    )
