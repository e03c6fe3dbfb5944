"""Each channel the bot serves, watched: when its Bot API last answered.

A channel is one Application talking to one Bot API (Telegram, or the in-cell channel's own
server). Its transport already records every answer (bot.channels.ChannelHealth), so the health
check knows whether the server is there without adding calls of its own while the bot is busy.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from telegram.ext import Application

from bot.channels import ChannelHealth, health_of
from bot.services import Services

CouncilApp = Application[Any, Any, Any, Any, Any, Any]

_KEY = "ops.channel"


@dataclass
class Channel:
    name: str
    app: CouncilApp
    health: ChannelHealth

    @property
    def last_answer(self) -> datetime | None:
        """When its Bot API last answered in a way that shows the server and token at work."""
        return self.health.last_working


def watch(app: CouncilApp, name: str) -> Channel:
    """The channel's view for the health check. Every call is already recorded by the channel's
    own transport (bot.channels.TrackedRequest, installed by build_application), so nothing is
    wrapped a second time here."""
    found = app.bot_data.get(_KEY)
    if isinstance(found, Channel):
        return found
    health = health_of(app)
    if health is None:
        services = app.bot_data["services"]
        assert isinstance(services, Services)
        health = ChannelHealth(name, "telegram", services.clock)
    channel = Channel(name, app, health)
    app.bot_data[_KEY] = channel
    return channel


def channel_of(app: CouncilApp) -> Channel:
    found = app.bot_data.get(_KEY)
    return found if isinstance(found, Channel) else watch(app, "main")
