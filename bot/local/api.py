"""The Bot API as the local channel answers it: Telegram's methods, limits and error shapes.

Transport-independent: ``LocalBotApi.call(method, params, files)`` returns the HTTP status and
the JSON body api.telegram.org would return, and the page's own calls (``send_text``, ``press``,
``changes``) act as Telegram's apps do. bot/local/http.py only turns bytes into these calls.
"""

from __future__ import annotations

import asyncio
import json
import math
import mimetypes
import re
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bot.local.store import ChannelStore, ChatMessage, Persona, StoredFile

JsonDict = dict[str, Any]
Files = dict[str, tuple[str, bytes]]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
CALLBACK_ANSWER_LIMIT = 200
LONG_POLL_LIMIT_S = 50.0  # Telegram caps getUpdates' timeout at 50 seconds

# Telegram's exact descriptions: bots branch on some of them (e.g. "message is not modified").
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
TEXT_BUTTONS_UNALLOWED = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
BUTTON_TEXT_MISSING = (
    'Bad Request: can\'t parse inline keyboard button: Field "text" must be of type String'
)
MARKUP_UNPARSABLE = "Bad Request: can't parse reply keyboard markup JSON object"
KEYBOARD_NOT_ARRAY = (
    'Bad Request: field "inline_keyboard" of the InlineKeyboardMarkup should be an Array of Arrays'
)
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
MESSAGE_ID_MISSING = "Bad Request: message identifier is not specified"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
CANT_EDIT = "Bad Request: message can't be edited"
NO_TEXT_TO_EDIT = "Bad Request: there is no text in the message to edit"
NO_CAPTION_TO_EDIT = "Bad Request: there is no caption in the message to edit"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ANSWER_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
URL_UNREACHABLE = "Bad Request: failed to get HTTP URL content"
INVALID_FILE_ID = "Bad Request: invalid file_id"
FILE_EMPTY = "Bad Request: file must be non-empty"
WRONG_ACTION = "Bad Request: wrong parameter action in request"
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
BOT_COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
BOT_COMMAND_DESCRIPTION_INVALID = "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
WEBHOOK_REFUSED = "Bad Request: bad webhook: webhooks are not available on the local channel"
NOT_FOUND = "Not Found"

_INT_PARAMS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "cache_time"}
    | {"reply_to_message_id", "message_thread_id"}
)
_BOOL_PARAMS = frozenset(
    {"show_alert", "disable_notification", "protect_content", "drop_pending_updates"}
    | {"allow_sending_without_reply", "has_spoiler", "disable_content_type_detection"}
)
_JSON_PARAMS = frozenset(
    {"reply_markup", "commands", "scope", "menu_button", "allowed_updates", "entities"}
    | {"caption_entities", "link_preview_options", "reply_parameters"}
)
_INT_RE = re.compile(r"-?\d+")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
_HTML_TAG_RE = re.compile(r"<[^>]*>")
_BUTTON_ACTIONS = frozenset(
    {"url", "callback_data", "web_app", "login_url", "switch_inline_query"}
    | {"switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text"}
    | {"callback_game", "pay"}
)
_CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice"}
    | {"upload_document", "choose_sticker", "find_location", "record_video_note"}
    | {"upload_video_note"}
)
_IMAGE_MAGIC = ((b"\x89PNG", "image/png"), (b"\xff\xd8", "image/jpeg"), (b"GIF8", "image/gif"))


class ApiError(Exception):
    def __init__(self, status: int, description: str, parameters: JsonDict | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.parameters = parameters

    def body(self) -> JsonDict:
        return error_body(self.status, self.description, self.parameters)


def error_body(status: int, description: str, parameters: JsonDict | None = None) -> JsonDict:
    """Telegram's error JSON."""
    body: JsonDict = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return body


def _bad(description: str) -> ApiError:
    return ApiError(400, description)


def decode_params(params: JsonDict) -> JsonDict:
    """Type form-encoded values the way Telegram does; JSON bodies pass through unchanged."""
    decoded: JsonDict = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in _JSON_PARAMS:
                try:
                    value = json.loads(value)
                except ValueError:
                    pass  # left as a string; the method reports it as Telegram would
            elif key in _INT_PARAMS:
                if _INT_RE.fullmatch(value):
                    value = int(value)
            elif key in _BOOL_PARAMS:
                value = value.lower() in ("true", "1")
        decoded[key] = value
    return decoded


def command_entities(text: str) -> list[JsonDict]:
    match = _COMMAND_RE.match(text)
    if not match:
        return []
    length = len(match.group(0).encode("utf-16-le")) // 2
    return [{"type": "bot_command", "offset": 0, "length": length}]


class FloodGuard:
    """Telegram's flood limits as token buckets: a private chat takes short bursts and about
    one message a second sustained; a group about twenty a minute. Over them: 429."""

    def __init__(
        self,
        monotonic: Callable[[], float] = time.monotonic,
        *,
        private_burst: float = 20,
        private_rate: float = 1.0,
        group_burst: float = 20,
        group_rate: float = 20 / 60,
    ) -> None:
        self.monotonic = monotonic
        self.private = (private_burst, private_rate)
        self.group = (group_burst, group_rate)
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, at)

    def take(self, chat_id: int) -> int:
        """0 when the message may go now; else the whole seconds to wait (retry_after)."""
        burst, rate = self.private if chat_id > 0 else self.group
        now = self.monotonic()
        tokens, at = self._buckets.get(chat_id, (burst, now))
        tokens = min(burst, tokens + (now - at) * rate)
        if tokens < 1.0:
            self._buckets[chat_id] = (tokens, now)
            return max(1, math.ceil((1.0 - tokens) / rate))
        self._buckets[chat_id] = (tokens - 1.0, now)
        if len(self._buckets) > 10_000:  # forget chats whose buckets are full again
            self._buckets = {
                c: (t, a) for c, (t, a) in self._buckets.items() if t + (now - a) * rate < burst
            }
        return 0


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


class LocalBotApi:
    """A Bot API server for one bot, over the local channel's store."""

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
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_user: JsonDict = {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.flood = flood or FloodGuard(monotonic)
        self._wall_clock = wall_clock
        self.commands: dict[tuple[str, int | None, int | None, str], list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self._updates: list[JsonDict] = []
        self._update_seq = 0
        self._presses: OrderedDict[str, _Press] = OrderedDict()
        self._press_seq = 0
        self._update_waiters = _Waiters()
        # Long polls of the page wait per chat (None: every chat, the demo's page), so a change
        # wakes the one person's page, not all of them (300 pages: 300 queries a message).
        self._change_waiters: dict[int | None, _Waiters] = {}
        self._closing = False
        self._methods: dict[str, Callable[[JsonDict, Files], Any]] = {
            name.lower(): fn
            for name, fn in (
                ("getMe", self._get_me),
                ("sendMessage", self._send_message),
                ("editMessageText", self._edit_message_text),
                ("editMessageCaption", self._edit_message_caption),
                ("editMessageReplyMarkup", self._edit_message_reply_markup),
                ("answerCallbackQuery", self._answer_callback_query),
                ("deleteMessage", self._delete_message),
                ("sendPhoto", self._send_photo),
                ("sendMediaGroup", self._send_media_group),
                ("sendDocument", self._send_document),
                ("sendChatAction", self._send_chat_action),
                ("setMyCommands", self._set_my_commands),
                ("deleteMyCommands", self._delete_my_commands),
                ("getMyCommands", self._get_my_commands),
                ("setChatMenuButton", self._set_chat_menu_button),
                ("getChatMenuButton", self._get_chat_menu_button),
                ("getFile", self._get_file),
                ("getChat", self._get_chat),
                ("setWebhook", self._set_webhook),
                ("deleteWebhook", self._true),
                ("getWebhookInfo", self._get_webhook_info),
                ("close", self._true),
                ("logOut", self._true),
            )
        }

    # ------------------------------------------------------------------ the Bot API

    async def call(
        self, method: str, params: JsonDict, files: Files | None = None
    ) -> tuple[int, JsonDict]:
        """Answer one Bot API request as Telegram would: (HTTP status, JSON body)."""
        params = decode_params(params)
        if method.lower() == "getupdates":
            return await self._get_updates(params)
        handler = self._methods.get(method.lower())
        if handler is None:
            return 404, error_body(404, NOT_FOUND)
        try:
            result = handler(params, files or {})
        except ApiError as error:
            return error.status, error.body()
        return 200, {"ok": True, "result": result}

    async def _get_updates(self, params: JsonDict) -> tuple[int, JsonDict]:
        offset = params.get("offset") or 0
        if isinstance(offset, int) and offset > 0:
            self._updates = [u for u in self._updates if u["update_id"] >= offset]
        elif isinstance(offset, int) and offset < 0:
            self._updates = self._updates[offset:]
        limit = params.get("limit") or 100
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
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
        return 200, {"ok": True, "result": self._updates[:limit]}

    def _true(self, params: JsonDict, files: Files) -> bool:
        return True

    def _get_me(self, params: JsonDict, files: Files) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": False,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_chat(self, params: JsonDict, files: Files) -> JsonDict:
        return self._chat(params).as_chat()

    def _send_message(self, params: JsonDict, files: Files) -> JsonDict:
        text, entities = self._formatted(params, "text", TEXT_LIMIT, TEXT_TOO_LONG, required=True)
        persona = self._chat(params)
        markup = self._reply_markup(params)
        self._take_flood(persona.user_id)
        return self._deliver(persona, "text", text, entities, markup)

    def _send_photo(self, params: JsonDict, files: Files) -> JsonDict:
        return self._send_file(params, files, "photo")

    def _send_document(self, params: JsonDict, files: Files) -> JsonDict:
        return self._send_file(params, files, "document")

    def _send_media_group(self, params: JsonDict, files: Files) -> list[JsonDict]:
        """An album (the month's report charts): 2 to 10 photos, each with its caption."""
        media = params.get("media")
        if isinstance(media, str):
            media = json.loads(media)
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("Bad Request: wrong number of media in the album")
        persona = self._chat(params)
        sent: list[JsonDict] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") != "photo":
                raise _bad("Bad Request: only photos can be sent in an album here")
            caption = str(item.get("caption") or "")
            if len(caption) > CAPTION_LIMIT:
                raise _bad(CAPTION_TOO_LONG)
            stored = self._input_file({"photo": item.get("media")}, files, "photo")
            self._take_flood(persona.user_id)
            sent.append(self._deliver(persona, "photo", caption, [], None, stored))
        return sent

    def _send_file(self, params: JsonDict, files: Files, kind: str) -> JsonDict:
        caption, entities = self._formatted(
            params, "caption", CAPTION_LIMIT, CAPTION_TOO_LONG, required=False
        )
        persona = self._chat(params)
        markup = self._reply_markup(params)
        stored = self._input_file(params, files, kind)
        self._take_flood(persona.user_id)
        return self._deliver(persona, kind, caption, entities, markup, stored)

    def _edit_message_text(self, params: JsonDict, files: Files) -> JsonDict:
        text, entities = self._formatted(params, "text", TEXT_LIMIT, TEXT_TOO_LONG, required=True)
        message = self._editable(params)
        if message.kind != "text":
            raise _bad(NO_TEXT_TO_EDIT)
        # Telegram drops the inline keyboard when an edit does not repeat it.
        markup = self._reply_markup(params)
        same = text == message.text and entities == message.entities
        if same and _rows(markup) == message.rows:
            raise _bad(NOT_MODIFIED)
        return self._apply_edit(message, text=text, entities=entities, markup=markup)

    def _edit_message_caption(self, params: JsonDict, files: Files) -> JsonDict:
        caption, entities = self._formatted(
            params, "caption", CAPTION_LIMIT, CAPTION_TOO_LONG, required=False
        )
        message = self._editable(params)
        if message.kind == "text":
            raise _bad(NO_CAPTION_TO_EDIT)
        markup = self._reply_markup(params)
        same = caption == message.text and entities == message.entities
        if same and _rows(markup) == message.rows:
            raise _bad(NOT_MODIFIED)
        return self._apply_edit(message, text=caption, entities=entities, markup=markup)

    def _edit_message_reply_markup(self, params: JsonDict, files: Files) -> JsonDict:
        message = self._editable(params)
        markup = self._reply_markup(params)
        if _rows(markup) == message.rows:
            raise _bad(NOT_MODIFIED)
        return self._apply_edit(message, markup=markup)

    def _answer_callback_query(self, params: JsonDict, files: Files) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        press = self._presses.get(query_id)
        if press is None or press.answered.done():
            raise _bad(QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > CALLBACK_ANSWER_LIMIT:
            raise _bad(ANSWER_TOO_LONG)
        press.answered.set_result(
            {"text": text, "show_alert": bool(params.get("show_alert", False))}
        )
        return True

    def _delete_message(self, params: JsonDict, files: Files) -> bool:
        persona = self._chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad(MESSAGE_ID_MISSING)
        message = self.store.message(persona.user_id, message_id) if _is_int(message_id) else None
        if message is None or message.deleted:
            raise _bad(DELETE_NOT_FOUND)
        message.deleted = True
        self.store.save_change(message)
        self._changed(message.chat_id)
        return True

    def _send_chat_action(self, params: JsonDict, files: Files) -> bool:
        self._chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad(WRONG_ACTION)
        return True

    def _commands_key(self, params: JsonDict) -> tuple[str, int | None, int | None, str]:
        scope = params.get("scope")
        scope = scope if isinstance(scope, dict) else {}
        return (
            str(scope.get("type", "default")),
            scope.get("chat_id"),
            scope.get("user_id"),
            str(params.get("language_code") or ""),
        )

    def _set_my_commands(self, params: JsonDict, files: Files) -> bool:
        raw = params.get("commands")
        if not isinstance(raw, list):
            raise _bad("Bad Request: can't parse commands JSON object")
        commands: list[JsonDict] = []
        for item in raw:
            command = item.get("command") if isinstance(item, dict) else None
            description = item.get("description") if isinstance(item, dict) else None
            if not isinstance(command, str) or not _BOT_COMMAND_NAME_RE.fullmatch(command):
                raise _bad(BOT_COMMAND_INVALID)
            if not isinstance(description, str) or not 1 <= len(description.strip()) <= 256:
                raise _bad(BOT_COMMAND_DESCRIPTION_INVALID)
            commands.append({"command": command, "description": description})
        self.commands[self._commands_key(params)] = commands
        return True

    def _delete_my_commands(self, params: JsonDict, files: Files) -> bool:
        self.commands.pop(self._commands_key(params), None)
        return True

    def _get_my_commands(self, params: JsonDict, files: Files) -> list[JsonDict]:
        return list(self.commands.get(self._commands_key(params), []))

    def commands_for(self, user_id: int, language: str = "") -> list[JsonDict]:
        """The command list Telegram's app would show this person (most specific scope first)."""
        for key in (
            ("chat", user_id, None, language),
            ("chat", user_id, None, ""),
            ("default", None, None, language),
            ("default", None, None, ""),
        ):
            if key in self.commands:
                return list(self.commands[key])
        return []

    def _set_chat_menu_button(self, params: JsonDict, files: Files) -> bool:
        chat_id = self._chat(params).user_id if params.get("chat_id") is not None else None
        button = params.get("menu_button")
        self.menu_buttons[chat_id] = button if isinstance(button, dict) else {"type": "default"}
        return True

    def _get_chat_menu_button(self, params: JsonDict, files: Files) -> JsonDict:
        chat_id = self._chat(params).user_id if params.get("chat_id") is not None else None
        return self.menu_buttons.get(chat_id) or self.menu_buttons.get(None) or {"type": "default"}

    def _get_file(self, params: JsonDict, files: Files) -> JsonDict:
        stored = self.store.file(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad(INVALID_FILE_ID)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    def _set_webhook(self, params: JsonDict, files: Files) -> bool:
        if params.get("url"):
            raise _bad(WEBHOOK_REFUSED)  # nothing outside this machine can call in
        return True

    def _get_webhook_info(self, params: JsonDict, files: Files) -> JsonDict:
        return {
            "url": "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def file_content(self, path: str) -> StoredFile | None:
        """What a download from /file/bot<token>/<path> returns."""
        return self.store.file_at(path)

    # ------------------------------------------------------------------ shared checks

    def _now(self) -> int:
        return int(self._wall_clock())

    def _chat(self, params: JsonDict) -> Persona:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad(CHAT_ID_EMPTY)
        persona = self.store.persona(raw) if _is_int(raw) else None
        if persona is None:
            raise _bad(CHAT_NOT_FOUND)  # only the people on the page have chats
        return persona

    def _take_flood(self, chat_id: int) -> None:
        wait = self.flood.take(chat_id)
        if wait:
            raise ApiError(429, f"Too Many Requests: retry after {wait}", {"retry_after": wait})

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
            raise _bad(UNSUPPORTED_PARSE_MODE)
        stripped = text.strip()
        if stripped != text:
            entities = []  # offsets would shift; the page does not show entities anyway
        if required and not stripped:
            raise _bad(TEXT_EMPTY)
        if len(stripped) > limit:
            raise _bad(too_long)
        return stripped, entities

    def _reply_markup(self, params: JsonDict) -> JsonDict | None:
        raw = params.get("reply_markup")
        if raw is None:
            return None
        if not isinstance(raw, dict):
            raise _bad(MARKUP_UNPARSABLE)
        rows = raw.get("inline_keyboard")
        if rows is None:
            return None  # reply keyboards and ForceReply: the page shows a text box anyway
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(KEYBOARD_NOT_ARRAY)
        clean: list[list[JsonDict]] = []
        for row in rows:
            clean.append([_button(button) for button in row])
        return {"inline_keyboard": clean} if clean else None

    def _input_file(self, params: JsonDict, files: Files, key: str) -> StoredFile:
        value = params.get(key)
        upload: tuple[str, bytes] | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        elif value is None or value == "":
            upload = files.get(key)
        elif isinstance(value, str):
            known = self.store.file(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                raise _bad(URL_UNREACHABLE)  # a closed network fetches nothing
            raise _bad(WRONG_FILE)
        if upload is None:
            raise _bad(f"Bad Request: there is no {key} in the request")
        filename, data = upload
        if not data:
            raise _bad(FILE_EMPTY)
        return self.store.add_file(key, filename or None, _mime_type(key, filename, data), data)

    def _editable(self, params: JsonDict) -> ChatMessage:
        if params.get("inline_message_id") is not None:
            raise _bad(EDIT_NOT_FOUND)  # inline mode is not offered
        persona = self._chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad(MESSAGE_ID_MISSING)
        message = self.store.message(persona.user_id, message_id) if _is_int(message_id) else None
        if message is None or message.deleted:
            raise _bad(EDIT_NOT_FOUND)
        if not message.from_bot:
            raise _bad(CANT_EDIT)
        return message

    def _apply_edit(self, message: ChatMessage, **changes: Any) -> JsonDict:
        for name, value in changes.items():
            setattr(message, name, value)
        message.edit_date = self._now()
        self.store.save_change(message)
        self._changed(message.chat_id)
        return self.message_dict(message)

    def _deliver(
        self,
        persona: Persona,
        kind: str,
        text: str,
        entities: list[JsonDict],
        markup: JsonDict | None,
        stored: StoredFile | None = None,
    ) -> JsonDict:
        message = ChatMessage(
            chat_id=persona.user_id,
            message_id=self.store.next_message_id(persona.user_id),
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
        body: JsonDict = {
            "message_id": message.message_id,
            "from": sender,
            "chat": chat,
            "date": message.date,
        }
        if message.edit_date is not None:
            body["edit_date"] = message.edit_date
        if message.kind == "text":
            body["text"] = message.text
            if message.entities:
                body["entities"] = message.entities
        else:
            stored = self.store.file(message.file_id or "")
            if stored is not None:
                if message.kind == "photo":
                    body["photo"] = [
                        {
                            "file_id": stored.file_id,
                            "file_unique_id": stored.unique_id,
                            "width": 800,
                            "height": 600,
                            "file_size": stored.size,
                        }
                    ]
                else:
                    document: JsonDict = {
                        "file_id": stored.file_id,
                        "file_unique_id": stored.unique_id,
                        "file_size": stored.size,
                    }
                    if stored.filename:
                        document["file_name"] = stored.filename
                    if stored.mime_type:
                        document["mime_type"] = stored.mime_type
                    body["document"] = document
            if message.text:
                body["caption"] = message.text
                if message.entities:
                    body["caption_entities"] = message.entities
        if message.rows:
            body["reply_markup"] = {"inline_keyboard": message.rows}
        return body

    # ------------------------------------------------------------------ the page's side

    def personas(self) -> list[Persona]:
        return self.store.personas()

    def send_text(self, user_id: int, text: str) -> ChatMessage:
        """A person writes in their chat with the bot: stored, and queued as an update."""
        persona = self.store.persona(user_id)
        if persona is None:
            raise ApiError(404, CHAT_NOT_FOUND)
        text = text.strip()
        if not text:
            raise ApiError(400, TEXT_EMPTY)
        if len(text) > TEXT_LIMIT:
            raise ApiError(400, TEXT_TOO_LONG)
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
        query_id = str(4_000_000_000_000_000_000 + self._press_seq)
        answered: asyncio.Future[JsonDict] = asyncio.get_running_loop().create_future()
        self._presses[query_id] = _Press(user_id, user_id, message_id, answered)
        while len(self._presses) > 1000:  # Telegram forgets unanswered presses too
            self._presses.popitem(last=False)
        self._push(
            {
                "callback_query": {
                    "id": query_id,
                    "from": persona.as_user(),
                    "chat_instance": f"{self.bot_id}{user_id}",
                    "data": data,
                    "message": self.message_dict(message),
                }
            }
        )
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


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _rows(markup: JsonDict | None) -> list[Any]:
    rows = (markup or {}).get("inline_keyboard")
    return rows if isinstance(rows, list) else []


def _button(raw: Any) -> JsonDict:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise _bad(BUTTON_TEXT_MISSING)
    data = raw.get("callback_data")
    if data is not None and (
        not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT
    ):
        raise _bad(BUTTON_DATA_INVALID)
    if not _BUTTON_ACTIONS.intersection(raw):
        raise _bad(TEXT_BUTTONS_UNALLOWED)
    button: JsonDict = {"text": raw["text"]}
    for key in ("callback_data", "url"):
        if isinstance(raw.get(key), str):
            button[key] = raw[key]
    return button


def _mime_type(kind: str, filename: str | None, data: bytes) -> str:
    for magic, mime in _IMAGE_MAGIC:
        if data.startswith(magic):
            return mime
    guessed = mimetypes.guess_type(filename)[0] if filename else None
    return guessed or ("image/jpeg" if kind == "photo" else "application/octet-stream")
