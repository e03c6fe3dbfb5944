"""The in-cell channel's questions to the council, in the bot's own process: does this invite
code let this channel user join, or reset their PIN? (bot.council.signin answers.)"""

from __future__ import annotations

from bot.config import Settings
from bot.council import signin
from bot.council.clock import Clock
from bot.local.labels import role_labels
from bot.local.signin import Linked
from storage.db import Database


class CouncilLink:
    def __init__(self, db: Database, settings: Settings, clock: Clock) -> None:
        self.db = db
        self.settings = settings
        self.clock = clock

    async def join(self, user_id: int, code: str) -> Linked:
        async with self.db.transaction() as tx:
            outcome = await signin.join(
                tx, self.clock, self.settings, tg_user_id=user_id, raw_code=code
            )
        # The page shows the person's role, in its own language (as the demo's switcher does).
        labels = role_labels(self.settings, outcome.role, outcome.wing) if outcome.role else ""
        return Linked(outcome.result, outcome.reference, outcome.language, labels)

    async def reset(self, user_id: int, code: str) -> Linked:
        async with self.db.transaction() as tx:
            outcome = await signin.reset_pin(
                tx, self.clock, self.settings, tg_user_id=user_id, raw_code=code
            )
        return Linked(outcome.result, outcome.reference, outcome.language)
