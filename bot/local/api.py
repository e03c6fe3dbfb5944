"""The in-cell channel's own Bot API server: Telegram's methods over the channel's store.

What Telegram decides (methods, argument rules, limits, errors, the JSON shapes) is
bot/botapi.py, shared with the tests' double of Telegram; this module keeps what is the
channel's own: chats, messages and files in its store (bot/local/store.py), Telegram's flood
limits enforced for real, HTML read for its words only (the page shows plain text), no fetching
of URLs on a closed network, and the page's side (``send_text``, ``press``, ``changes``, as
Telegram's apps do). ``LocalBotApi.call(method, params, files)`` returns the HTTP status and
JSON body; bot/local/http.py and bot/local/transport.py only turn requests into these calls.
"""

from __future__ import annotations

import asyncio
import mimetypes
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, ClassVar

from bot.botapi import (
    CANT_EDIT,
    CHAT_ID_EMPTY,
    CHAT_NOT_FOUND,
    EDIT_NOT_FOUND,
    LONG_POLL_LIMIT_S,
    MESSAGE_ID_MISSING,
    NOT_FOUND,
    TEXT_LIMIT,
    TEXT_TOO_LONG,
    UNSUPPORTED_PARSE_MODE,
    URL_UNREACHABLE,
    ApiError,
    Button,
    CommandsKey,
    FakeBotApi,
    Files,
    FloodGuard,
    Formatted,
    JsonDict,
    MethodHandler,
    bad,
    callback_query_json,
    check_text,
    command_entities,
    confirm_updates,
    decode_params,
    error_body,
    is_int,
    message_json,
    read_reply_markup,
    too_many_requests,
    updates_limit,
)
from bot.local.store import ChannelStore, ChatMessage, Persona, StoredFile

WEBHOOK_REFUSED = "Bad Request: bad webhook: webhooks are not available on the local channel"

_HTML_TAG_RE = re.compile(r"<[^>]*>")
_IMAGE_MAGIC = ((b"\x89PNG", "image/png"), (b"\xff\xd8", "image/jpeg"), (b"GIF8", "image/gif"))


@dataclass
class _Press:
    user_id: int
    chat_id: int
    message_id: int
    answered: asyncio.Future[JsonDict]


@dataclass
class _Waiters:
    """Wakes every long poll when something arrives (one event per generation)."""

    event: asyncio.Event = field(default_factory=asyncio.Event)

    def wake(self) -> None:
        self.event.set()
        self.event = asyncio.Event()


class LocalBotApi(FakeBotApi[ChatMessage, StoredFile]):
    """A Bot API server for one bot, over the local channel's store."""

    only_photos_in_album: ClassVar[str] = "Bad Request: only photos can be sent in an album here"

    def __init__(
        self,
        store: ChannelStore,
        token: str,
        *,
        username: str = "council_local_bot",
        first_name: str = "Council",
        monotonic: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
        flood: FloodGuard | None = None,
    ) -> None:
        self.store = store
        self.token = token
        self.flood = flood or FloodGuard(monotonic)
        self._wall_clock = wall_clock
        self._updates: list[JsonDict] = []
        self._update_seq = 0
        self._presses: OrderedDict[str, _Press] = OrderedDict()
        self._press_seq = 0
        self._update_waiters = _Waiters()
        # Long polls of the page wait per chat (None: every chat, the demo's page), so a change
        # wakes the one person's page, not all of them (300 pages: 300 queries a message).
        self._change_waiters: dict[int | None, _Waiters] = {}
        self._closing = False
        super().__init__(int(token.split(":", 1)[0]), first_name, username)

    def _method_table(self) -> list[tuple[str, MethodHandler]]:
        return [*super()._method_table(), ("getChat", self._get_chat)]

    # ------------------------------------------------------------------ the Bot API

    async def call(
        self, method: str, params: JsonDict, files: Files | None = None
    ) -> tuple[int, JsonDict]:
        """Answer one Bot API request as Telegram would: (HTTP status, JSON body)."""
        params = decode_params(params)
        if method.lower() == "getupdates":
            return await self._get_updates(params)
        found = self.method(method)
        if found is None:
            return 404, error_body(404, NOT_FOUND)
        return self.run(found[1], params, files or {})

    async def _get_updates(self, params: JsonDict) -> tuple[int, JsonDict]:
        confirm_updates(self._updates, {"offset": params.get("offset")})
        timeout = params.get("timeout") or 0
        wait = min(float(timeout), LONG_POLL_LIMIT_S) if isinstance(timeout, int) else 0.0
        loop = asyncio.get_running_loop()
        deadline = loop.time() + wait
        while not self._updates and not self._closing and (remaining := deadline - loop.time()) > 0:
            event = self._update_waiters.event
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                break
        return 200, {"ok": True, "result": self._updates[: updates_limit(params)]}

    def _get_chat(self, params: JsonDict, files: Files) -> JsonDict:
        return self._persona(params).as_chat()

    def _set_webhook(self, params: JsonDict, files: Files) -> bool:
        if params.get("url"):
            raise bad(WEBHOOK_REFUSED)  # nothing outside this machine can call in
        return True

    def _delete_webhook(self, params: JsonDict, files: Files) -> bool:
        return True  # there never is one

    def commands_for(self, user_id: int, language: str = "") -> list[JsonDict]:
        """The command list Telegram's app would show this person (most specific scope first)."""
        for key in (
            CommandsKey("chat", user_id, None, language),
            CommandsKey("chat", user_id, None, ""),
            CommandsKey("default", None, None, language),
            CommandsKey("default", None, None, ""),
        ):
            if key in self.commands:
                return list(self.commands[key])
        return []

    def file_content(self, path: str) -> StoredFile | None:
        """What a download from /file/bot<token>/<path> returns."""
        return self.store.file_at(path)

    # ------------------------------------------------------------------ where things are kept

    def _now(self) -> int:
        return int(self._wall_clock())

    def _persona(self, params: JsonDict) -> Persona:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad(CHAT_ID_EMPTY)
        persona = self.store.persona(raw) if is_int(raw) else None
        if persona is None:
            raise bad(CHAT_NOT_FOUND)  # only the people on the page have chats
        return persona

    def _chat_id(self, params: JsonDict, *, write: bool) -> int:
        return self._persona(params).user_id

    def _take_flood(self, chat_id: int) -> None:
        wait = self.flood.take(chat_id)
        if wait:
            raise too_many_requests(wait)

    def _formatted(
        self, params: JsonDict, key: str, limit: int, too_long: str, *, required: bool
    ) -> tuple[str, list[JsonDict]]:
        raw = params.get(key)
        text = "" if raw is None else str(raw)
        parse_mode = str(params.get("parse_mode") or "")
        entities_key = "entities" if key == "text" else "caption_entities"
        given = params.get(entities_key)
        entities = list(given) if isinstance(given, list) and not parse_mode else []
        if parse_mode.lower() == "html":
            # The page shows plain text, so markup is read for its words only.
            text = _HTML_TAG_RE.sub("", text)
            for entity, char in (("&lt;", "<"), ("&gt;", ">"), ("&quot;", '"'), ("&amp;", "&")):
                text = text.replace(entity, char)
        elif parse_mode and parse_mode.lower() not in ("markdown", "markdownv2"):
            raise bad(UNSUPPORTED_PARSE_MODE)
        stripped = text.strip()
        if stripped != text:
            entities = []  # offsets would shift; the page does not show entities anyway
        check_text(stripped, limit, too_long, required=required)
        return stripped, entities

    def _post(
        self, chat_id: int, kind: str, formatted: Formatted, params: JsonDict, files: Files
    ) -> JsonDict:
        markup = _inline_markup(params)
        stored = self._input_file(params, files, kind) if kind != "text" else None
        self._take_flood(chat_id)
        return self._deliver(chat_id, kind, *formatted, markup, stored)

    def _post_album_photo(self, chat_id: int, caption: str, stored: StoredFile) -> JsonDict:
        self._take_flood(chat_id)
        return self._deliver(chat_id, "photo", caption, [], None, stored)

    def _known_file(self, file_id: str) -> StoredFile | None:
        return self.store.file(file_id)

    def _url_file(self, key: str, url: str) -> StoredFile:
        raise bad(URL_UNREACHABLE)  # a closed network fetches nothing

    def _upload(self, key: str, filename: str, data: bytes) -> StoredFile:
        return self.store.add_file(key, filename or None, _mime_type(key, filename, data), data)

    def _editable(self, params: JsonDict) -> ChatMessage:
        if params.get("inline_message_id") is not None:
            raise bad(EDIT_NOT_FOUND)  # inline mode is not offered
        chat_id = self._chat_id(params, write=True)
        message_id = params.get("message_id")
        if message_id is None:
            raise bad(MESSAGE_ID_MISSING)
        message = self.store.message(chat_id, message_id) if is_int(message_id) else None
        if message is None or message.deleted:
            raise bad(EDIT_NOT_FOUND)
        if not message.from_bot:
            raise bad(CANT_EDIT)
        return message

    def _keyboard_unchanged(
        self, message: ChatMessage, markup: JsonDict | None, buttons: list[list[Button]]
    ) -> bool:
        return _rows(buttons) == message.rows

    def _apply_edit(
        self,
        message: ChatMessage,
        markup: JsonDict | None,
        buttons: list[list[Button]],
        **content: Any,
    ) -> JsonDict:
        for name, value in content.items():
            setattr(message, name, value)
        rows = _rows(buttons)
        message.markup = {"inline_keyboard": rows} if rows else None
        message.edit_date = self._now()
        self.store.save_change(message)
        self._changed(message.chat_id)
        return self.message_dict(message)

    def _open_press(self, query_id: str) -> _Press | None:
        press = self._presses.get(query_id)
        return None if press is None or press.answered.done() else press

    def _answer_press(
        self, press: _Press, query_id: str, text: Any, show_alert: bool, url: Any
    ) -> None:
        press.answered.set_result({"text": text, "show_alert": show_alert})

    def _delete(self, chat_id: int, message_id: Any) -> bool:
        message = self.store.message(chat_id, message_id) if is_int(message_id) else None
        if message is None or message.deleted:
            return False
        message.deleted = True
        self.store.save_change(message)
        self._changed(message.chat_id)
        return True

    def _pending_update_count(self) -> int:
        return len(self._updates)

    def _deliver(
        self,
        chat_id: int,
        kind: str,
        text: str,
        entities: list[JsonDict],
        markup: JsonDict | None,
        stored: StoredFile | None = None,
    ) -> JsonDict:
        message = ChatMessage(
            chat_id=chat_id,
            message_id=self.store.next_message_id(chat_id),
            from_bot=True,
            kind=kind,
            text=text,
            date=self._now(),
            seq=0,
            entities=entities,
            markup=markup,
            file_id=stored.file_id if stored else None,
        )
        self.store.add_message(message)
        self._changed(message.chat_id)
        return self.message_dict(message)

    def message_dict(self, message: ChatMessage) -> JsonDict:
        """The Message object Telegram returns for a message in its current state."""
        persona = self.store.persona(message.chat_id)
        chat = persona.as_chat() if persona else {"id": message.chat_id, "type": "private"}
        sender = self.bot_user if message.from_bot or persona is None else persona.as_user()
        stored = self.store.file(message.file_id or "") if message.kind != "text" else None
        return message_json(
            message,
            sender=sender,
            chat=chat,
            stored=stored,
            rows=message.rows,
        )

    # ------------------------------------------------------------------ the page's side

    def personas(self) -> list[Persona]:
        return self.store.personas()

    def send_text(self, user_id: int, text: str) -> ChatMessage:
        """A person writes in their chat with the bot: stored, and queued as an update."""
        persona = self.store.persona(user_id)
        if persona is None:
            raise ApiError(404, CHAT_NOT_FOUND)
        text = text.strip()
        check_text(text, TEXT_LIMIT, TEXT_TOO_LONG, required=True)
        entities = command_entities(text)
        message = ChatMessage(
            chat_id=user_id,
            message_id=self.store.next_message_id(user_id),
            from_bot=False,
            kind="text",
            text=text,
            date=self._now(),
            seq=0,
            entities=entities,
        )
        self.store.add_message(message)
        self._changed(message.chat_id)
        self._push({"message": self.message_dict(message)})
        return message

    async def press(
        self, user_id: int, message_id: int, data: str, *, wait: float = 5.0
    ) -> JsonDict | None:
        """A person presses an inline button; returns the bot's answer (toast) if it came."""
        message = self.store.message(user_id, message_id)
        if message is None or message.deleted or not message.from_bot:
            raise ApiError(404, "Bad Request: message not found")
        persona = self.store.persona(user_id)
        assert persona is not None  # a message's chat is a persona's
        self._press_seq += 1
        query = callback_query_json(
            self._press_seq,
            persona.as_user(),
            self.bot_id,
            user_id,
            data,
            self.message_dict(message),
        )
        answered: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._presses[query["id"]] = _Press(user_id, user_id, message_id, answered)
        while len(self._presses) > 1000:  # Telegram forgets unanswered presses too
            self._presses.popitem(last=False)
        self._push({"callback_query": query})
        try:
            return await asyncio.wait_for(asyncio.shield(answered), wait)
        except TimeoutError:
            return None

    async def changes(
        self, cursor: int, chat_id: int | None = None, *, wait: float = 0.0
    ) -> tuple[list[ChatMessage], int]:
        """Messages changed after ``cursor``; waits up to ``wait`` seconds for one."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + max(0.0, min(wait, LONG_POLL_LIMIT_S))
        waiters = self._change_waiters.setdefault(chat_id, _Waiters())
        while True:
            event = waiters.event
            found = self.store.changes_since(cursor, chat_id)
            if found:
                return found, found[-1].seq
            remaining = deadline - loop.time()
            if remaining <= 0 or self._closing:
                return [], max(cursor, self.store.cursor) if chat_id is None else cursor
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                continue

    def wake_all(self) -> None:
        """The server is closing: every long poll answers now."""
        self._closing = True
        self._update_waiters.wake()
        for waiters in self._change_waiters.values():
            waiters.wake()

    def _changed(self, chat_id: int) -> None:
        for key in (chat_id, None):
            waiters = self._change_waiters.get(key)
            if waiters is not None:
                waiters.wake()

    def _push(self, content: JsonDict) -> None:
        self._update_seq += 1
        self._updates.append({"update_id": self._update_seq, **content})
        self._update_waiters.wake()


def _rows(buttons: list[list[Button]]) -> list[list[JsonDict]]:
    """The inline keyboard as the page keeps it: text, callback_data and url of each button."""
    return [[button.as_json() for button in row] for row in buttons]


def _inline_markup(params: JsonDict) -> JsonDict | None:
    rows = _rows(read_reply_markup(params)[1])
    # Reply keyboards and ForceReply: the page shows a text box anyway.
    return {"inline_keyboard": rows} if rows else None


def _mime_type(kind: str, filename: str | None, data: bytes) -> str:
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    guessed = mimetypes.guess_type(filename)[0] if filename else None
    return guessed or ("image/jpeg" if kind == "photo" else "application/octet-stream")
