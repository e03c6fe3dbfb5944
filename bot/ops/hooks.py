"""The few calls bot/app.py makes into bot/ops/, one per moment of an Application's life."""

from __future__ import annotations

from bot.ops import backups, channels, metrics
from bot.ops.channels import CouncilApp
from bot.services import Services


def attach(app: CouncilApp, channel: str = "main") -> None:
    """At build: watch the channel's Bot API answers and count updates and handler errors."""
    channels.watch(app, channel)
    metrics.install(app)


async def start(app: CouncilApp) -> None:
    """Before the timers are rebuilt, so a backup due while down is made when it fires."""
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    await backups.start(services)


async def stop(app: CouncilApp) -> None:
    services = app.bot_data["services"]
    assert isinstance(services, Services)
    await backups.settle(services.db)
