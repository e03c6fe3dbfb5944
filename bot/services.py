"""What every handler and job shares: settings, the database and the clock. Each channel's
Application has its own Services naming its channel; all of them share the one database, clock,
settings and extras (docs/CHANNELS.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from bot.config import Settings
from bot.council.clock import Clock
from storage.db import Database


@dataclass
class Services:
    settings: Settings
    db: Database
    clock: Clock
    bot_username: str = ""
    extras: dict[str, Any] = field(default_factory=dict)
    channel: str = "telegram"  # the channel this Application serves (its updates come from it)
