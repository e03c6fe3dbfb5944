"""What every handler and job shares: settings, the database and the clock."""

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
