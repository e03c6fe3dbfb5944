"""Act as Telegram users against an in-process Application and see what the bot showed.

The driver feeds updates straight into ``Application.process_update`` so the real handlers run,
while the bot's outgoing calls land in the BotApiDouble (via DoubleRequest). It knows nothing
about the bot under test.
"""

from __future__ import annotations

import asyncio
from typing import Any

from telegram import Update
from telegram.ext import Application

from bot.botapi import Button, JsonDict

from .core import BotApiDouble, SentMessage


class TelegramDriver:
    """Test-side Telegram client. Every action returns the bot messages it produced or edited.

    A handler exception is re-raised from the action unless the application registered its own
    error handler (then the app deals with it, as in production); all are kept in ``errors``.
    """

    def __init__(
        self,
        app: Application[Any, Any, Any, Any, Any, Any],
        double: BotApiDouble,
        *,
        settle_rounds: int = 3,
    ) -> None:
        self.app = app
        self.double = double
        self.errors: list[BaseException] = []
        self._settle_rounds = settle_rounds
        self._unraised: list[BaseException] = []
        app.add_error_handler(self._record_error)

    async def _record_error(self, update: object, context: Any) -> None:
        if context.error is not None:
            self.errors.append(context.error)
            self._unraised.append(context.error)

    # ------------------------------------------------------------------ acting as users

    async def process(self, update: JsonDict, *, chat_id: int | None = None) -> list[SentMessage]:
        """Run ``update`` through the app; returns messages changed (in ``chat_id`` or anywhere)."""
        mark = self.double.change_mark()
        self._unraised.clear()
        await self.app.process_update(Update.de_json(update, self.app.bot))
        await self._settle()
        app_handles_errors = any(
            not isinstance(getattr(handler, "__self__", None), TelegramDriver)
            for handler in self.app.error_handlers
        )
        if self._unraised and not app_handles_errors:
            raise self._unraised[0]
        return self.double.changes_since(mark, chat_id=chat_id)

    async def send(self, user_id: int, text: str) -> list[SentMessage]:
        """The user writes ``text`` to the bot in their private chat."""
        return await self.process(self.double.message_update(user_id, text), chat_id=user_id)

    async def send_photo(self, user_id: int, *, caption: str | None = None) -> list[SentMessage]:
        update = self.double.photo_update(user_id, caption=caption)
        return await self.process(update, chat_id=user_id)

    async def send_document(
        self,
        user_id: int,
        filename: str = "document.pdf",
        data: bytes = b"%PDF-1.4 fake",
        *,
        caption: str | None = None,
    ) -> list[SentMessage]:
        update = self.double.document_update(user_id, filename, data, caption=caption)
        return await self.process(update, chat_id=user_id)

    async def send_sticker(self, user_id: int) -> list[SentMessage]:
        return await self.process(self.double.sticker_update(user_id), chat_id=user_id)

    async def send_voice(self, user_id: int) -> list[SentMessage]:
        return await self.process(self.double.voice_update(user_id), chat_id=user_id)

    async def send_in_group(self, group_id: int, user_id: int, text: str) -> list[SentMessage]:
        """The user writes ``text`` in a group; returns what changed in that group."""
        update = self.double.message_update(user_id, text, chat_id=group_id)
        return await self.process(update, chat_id=group_id)

    async def press(
        self,
        user_id: int,
        label: str,
        *,
        message_id: int | None = None,
        chat_id: int | None = None,
    ) -> list[SentMessage]:
        """Press the inline button labelled ``label`` on the newest visible message showing it."""
        chat = user_id if chat_id is None else chat_id
        message, button = self._find_button(chat, label, message_id)
        if button.callback_data is None:
            raise AssertionError(
                f"button {label!r} on message {message.message_id} in chat {chat} is not a "
                f"callback button (url={button.url!r})"
            )
        return await self.press_data(
            user_id, message.message_id, button.callback_data, chat_id=chat
        )

    async def press_data(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> list[SentMessage]:
        """Press a button with arbitrary (possibly forged) callback data on a bot message."""
        chat = user_id if chat_id is None else chat_id
        update = self.double.callback_update(user_id, message_id, data, chat_id=chat)
        return await self.process(update, chat_id=chat)

    # ------------------------------------------------------------------ what the user sees

    def last_text(self, user_id: int) -> str:
        message = self.double.last(user_id)
        if message is None:
            raise AssertionError(f"the bot has shown nothing to user {user_id}")
        return message.text

    def texts(self, user_id: int) -> list[str]:
        """Texts of the bot's visible messages in the user's private chat, oldest first."""
        return self.double.sent_texts(user_id)

    def buttons(self, user_id: int) -> list[str]:
        """Labels on the newest visible message in the user's chat that has inline buttons."""
        for message in reversed(self.double.chat(user_id)):
            if not message.deleted and message.buttons:
                return message.labels
        return []

    def answer_for(self, user_id: int) -> str | None:
        """Text of the last answerCallbackQuery for a press by ``user_id`` (None: no text)."""
        for answer in reversed(self.double.answers):
            if answer.user_id == user_id:
                return answer.text
        return None

    # ------------------------------------------------------------------ internals

    async def _settle(self) -> None:
        # Handlers with block=False run as tasks: yield until the bot stops making calls.
        quiet = 0
        seen = len(self.double.calls)
        for _ in range(1000):
            await asyncio.sleep(0)
            current = len(self.double.calls)
            quiet = quiet + 1 if current == seen else 0
            seen = current
            if quiet >= self._settle_rounds:
                return

    def _find_button(
        self, chat_id: int, label: str, message_id: int | None
    ) -> tuple[SentMessage, Button]:
        visible = [m for m in self.double.chat(chat_id) if not m.deleted]
        for message in reversed(visible):
            if message_id is not None and message.message_id != message_id:
                continue
            button = message.button(label)
            if button is not None:
                return message, button
        shown = [
            f"  message {m.message_id}: "
            + " / ".join(" ".join(f"[{b.text}]" for b in row) for row in m.buttons)
            for m in visible
            if m.buttons
        ]
        where = f"message {message_id}" if message_id is not None else f"chat {chat_id}"
        raise AssertionError(
            f"no button {label!r} in {where}; visible buttons:\n"
            + ("\n".join(shown) if shown else "  (none)")
        )
