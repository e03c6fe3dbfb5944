"""Transport-independent fake of the Telegram Bot API: state, validation, recording and faults.

``BotApiDouble.handle(method, params, files)`` answers what api.telegram.org would answer (HTTP
status plus JSON body). The transports (``request.DoubleRequest`` in-process, ``http.serve_http``
over HTTP) only translate bytes, so everything a test observes lives here. Every public method
takes one re-entrant lock: HTTP handler threads and the test's event loop can share an instance.
"""

from __future__ import annotations

import copy
import itertools
import json
import mimetypes
import random
import re
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Literal, NamedTuple

from .formatting import Entity, EntityParseError, render, utf16_len

JsonDict = dict[str, Any]
Files = dict[str, tuple[str, bytes]]
FaultKind = Literal["429", "403", "400", "drop", "drop_after"]
MessageKind = Literal["text", "photo", "document"]

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
CALLBACK_ANSWER_LIMIT = 200

# Telegram's exact descriptions; bots branch on some of them (e.g. "message is not modified").
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
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ANSWER_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
INVALID_FILE_ID = "Bad Request: invalid file_id"
FILE_EMPTY = "Bad Request: file must be non-empty"
WRONG_ACTION = "Bad Request: wrong parameter action in request"
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
BOT_COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
BOT_COMMAND_DESCRIPTION_INVALID = "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
WEBHOOK_NOT_HTTPS = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
BLOCKED = "Forbidden: bot was blocked by the user"
INJECTED_400 = "Bad Request: injected fault (double)"

# Parameters that arrive as strings over form/multipart encodings and need Telegram's typing.
_INT_PARAMS = frozenset(
    {"chat_id", "message_id", "offset", "limit", "timeout", "user_id", "cache_time"}
    | {"reply_to_message_id", "message_thread_id", "from_chat_id", "max_connections"}
)
_BOOL_PARAMS = frozenset(
    {"show_alert", "disable_notification", "protect_content", "drop_pending_updates"}
    | {"allow_sending_without_reply", "has_spoiler", "disable_content_type_detection"}
    | {"show_caption_above_media", "allow_paid_broadcast", "disable_web_page_preview"}
)
_JSON_PARAMS = frozenset(
    {"reply_markup", "commands", "scope", "menu_button", "allowed_updates", "entities"}
    | {"caption_entities", "link_preview_options", "reply_parameters", "media"}
)
_INT_RE = re.compile(r"-?\d+")
_COMMAND_RE = re.compile(r"/[A-Za-z0-9_]{1,64}(?:@[A-Za-z0-9_]{3,32})?(?![\w/<>])")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")
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
# Without allowed_updates Telegram sends every update type except these.
_OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})
_FILE_ID_PREFIX = {"photo": "AgAC", "document": "BQAC", "sticker": "CAAC", "voice": "AwAC"}
_FILE_EXTENSION = {"photo": ".jpg", "sticker": ".webp", "voice": ".oga"}


class ConnectionDropped(Exception):
    """Raised by handle() for a "drop" fault; transports turn it into a network failure."""


class Call(NamedTuple):
    """One Bot API request as the double received it."""

    method: str  # canonical spelling, e.g. "sendMessage", whatever case the client used
    params: JsonDict  # decoded: ints are ints, reply_markup is a dict
    at: float  # the injected clock at arrival
    status: int = 200  # HTTP status answered; 0 when the connection was dropped


class Answer(NamedTuple):
    """One answerCallbackQuery."""

    callback_query_id: str
    text: str | None
    show_alert: bool
    user_id: int  # who pressed the button
    url: str | None = None


class CommandsKey(NamedTuple):
    """Key of ``BotApiDouble.commands``: a BotCommandScope plus a language code."""

    scope_type: str = "default"
    chat_id: int | None = None
    user_id: int | None = None
    language_code: str = ""


@dataclass(frozen=True, slots=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass(slots=True, eq=False)
class SentMessage:
    """A message the bot sent, kept in its current state (edits apply in place)."""

    message_id: int
    chat_id: int
    kind: MessageKind
    text: str  # text or caption, as Telegram renders it (parse_mode markup removed)
    entities: list[Entity]
    reply_markup: JsonDict | None  # raw, as sent (inline keyboard, reply keyboard, ...)
    buttons: list[list[Button]]  # inline keyboard only
    date: int
    edited: bool = False
    deleted: bool = False
    filename: str | None = None
    data: bytes | None = None  # uploaded bytes; None when sent by file_id or URL
    file_id: str | None = None
    mime_type: str | None = None
    reply_to_message_id: int | None = None
    edit_date: int | None = None

    @property
    def labels(self) -> list[str]:
        """Inline button labels, row by row."""
        return [button.text for row in self.buttons for button in row]

    def button(self, label: str) -> Button | None:
        return next((b for row in self.buttons for b in row if b.text == label), None)


@dataclass(slots=True)
class _StoredFile:
    file_id: str
    file_unique_id: str
    kind: str
    filename: str | None
    data: bytes | None
    mime_type: str | None
    path: str  # getFile's file_path, relative to the file download URL

    @property
    def size(self) -> int:
        return len(self.data) if self.data is not None else 0


@dataclass(slots=True)
class _Callback:
    user_id: int
    chat_id: int
    message_id: int
    data: str
    answered: bool = False


@dataclass(slots=True)
class _Fault:
    method: str  # lower case
    chat_id: int | None
    kind: FaultKind
    retry_after: int
    remaining: int
    description: str | None


@dataclass(slots=True)
class _FaultRates:
    p429: float
    p403: float
    p400: float
    pdrop: float
    retry_after: int
    methods: frozenset[str]  # lower case
    rng: random.Random = field(repr=False)


class _ApiError(Exception):
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


def long_poll_timeout(method: str, params: JsonDict, status: int, body: JsonDict) -> float:
    """Seconds a transport should hold an empty getUpdates answer open; 0 for everything else."""
    if status != 200 or method.lower() != "getupdates" or body.get("result"):
        return 0.0
    try:
        return max(float(params.get("timeout") or 0), 0.0)
    except (TypeError, ValueError):
        return 0.0


def _bad(description: str) -> _ApiError:
    return _ApiError(400, description)


def _decode_params(params: JsonDict) -> JsonDict:
    """Type form-encoded values the way Telegram does; JSON bodies pass through unchanged."""
    decoded: JsonDict = {}
    for key, value in params.items():
        if isinstance(value, str):
            if key in _JSON_PARAMS:
                try:
                    value = json.loads(value)
                except ValueError:
                    pass  # left as a string; the method reports it like Telegram would
            elif key in _INT_PARAMS:
                if _INT_RE.fullmatch(value):
                    value = int(value)
            elif key in _BOOL_PARAMS:
                value = value.lower() in ("true", "1")
        decoded[key] = value
    return decoded


def _inline_rows(markup: JsonDict | None) -> list[Any] | None:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    return rows or None


def _trim(text: str, entities: list[Entity]) -> tuple[str, list[Entity]]:
    """Telegram strips surrounding whitespace and shifts entities accordingly."""
    stripped = text.strip()
    if stripped == text:
        return text, entities
    lead = utf16_len(text[: len(text) - len(text.lstrip())])
    total = utf16_len(stripped)
    kept: list[Entity] = []
    for entity in entities:
        start = max(entity["offset"] - lead, 0)
        end = min(entity["offset"] + entity["length"] - lead, total)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return stripped, kept


def _command_entities(text: str) -> list[Entity]:
    # Only the leading command matters to PTB's CommandHandler.
    match = _COMMAND_RE.match(text)
    if not match:
        return []
    return [{"type": "bot_command", "offset": 0, "length": utf16_len(match.group(0))}]


class BotApiDouble:
    """A fake Telegram Bot API: answers requests, records them, and builds incoming updates."""

    def __init__(
        self,
        token: str = "123456:TEST-TOKEN",  # noqa: S107 - a fake token for a fake server
        bot_id: int = 123456,
        username: str = "council_test_bot",
        first_name: str = "Council",
        *,
        clock: Callable[[], float] = time.monotonic,
        wall_clock: Callable[[], float] = time.time,
    ) -> None:
        self.token = token
        self.bot_id = bot_id
        self.username = username
        self.first_name = first_name
        self.calls: list[Call] = []
        self.answers: list[Answer] = []
        self.commands: dict[CommandsKey, list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.webhook_url = ""
        self._clock = clock
        self._wall_clock = wall_clock  # message dates; separate so a virtual clock can start at 0
        self._lock = threading.RLock()
        self._updates_arrived = threading.Condition(self._lock)
        self._update_listeners: list[Callable[[], None]] = []
        self._users: dict[int, JsonDict] = {}
        self._chats: dict[int, JsonDict] = {}
        self._blocked: set[int] = set()
        self._last_message_id: dict[int, int] = {}
        self._sent: dict[int, list[SentMessage]] = {}
        self._by_key: dict[tuple[int, int], SentMessage] = {}
        self._incoming: dict[tuple[int, int], JsonDict] = {}
        self._deleted_incoming: set[tuple[int, int]] = set()
        self._changes: list[SentMessage] = []
        self._files: dict[str, _StoredFile] = {}
        self._file_paths: dict[str, _StoredFile] = {}
        self._file_seq = itertools.count(1)
        self._callbacks: dict[str, _Callback] = {}
        self._callback_seq = itertools.count(1)
        self._updates: list[JsonDict] = []
        self._update_seq = itertools.count(1)
        self._allowed_updates: frozenset[str] | None = None
        self._faults: list[_Fault] = []
        self._rates: _FaultRates | None = None
        self._bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        handlers: list[tuple[str, Callable[[JsonDict, Files], Any]]] = [
            ("getMe", self._get_me),
            ("getUpdates", self._get_updates),
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
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("close", self._true),
            ("logOut", self._true),
            ("setChatMenuButton", self._set_chat_menu_button),
            ("getChatMenuButton", self._get_chat_menu_button),
            ("getFile", self._get_file),
        ]
        self._methods = {name.lower(): (name, fn) for name, fn in handlers}

    # ------------------------------------------------------------------ dispatch

    def handle(
        self, method: str, params: JsonDict, files: Files | None = None
    ) -> tuple[int, JsonDict]:
        """Answer one Bot API call: (HTTP status, Telegram JSON body).

        Raises ConnectionDropped when a "drop"/"drop_after" fault hits; the transport must then
        fail the request as a network error instead of answering.
        """
        with self._lock:
            at = self._clock()
            entry = self._methods.get(method.lower())
            if entry is None:
                self.calls.append(Call(method, dict(params), at, 404))
                return 404, error_body(404, "Not Found")
            name, fn = entry
            params = _decode_params(params)
            fault = self._draw_fault(name, params) if self._faults or self._rates else None
            if fault is not None and fault.kind != "drop_after":
                error = self._fault_error(fault)
                self.calls.append(Call(name, params, at, error.status if error else 0))
                if error is None:
                    raise ConnectionDropped(name)
                return error.status, error.body()
            try:
                status, body = 200, {"ok": True, "result": fn(params, files or {})}
            except _ApiError as error:
                status, body = error.status, error.body()
            if fault is not None:  # drop_after: Telegram did the work, the answer got lost
                self.calls.append(Call(name, params, at, 0))
                raise ConnectionDropped(name)
            self.calls.append(Call(name, params, at, status))
            return status, body

    def repoll(self, params: JsonDict) -> tuple[int, JsonDict]:
        """Re-run a waiting getUpdates without recording another call (for long polling)."""
        with self._lock:
            try:
                return 200, {"ok": True, "result": self._get_updates(_decode_params(params), {})}
            except _ApiError as error:
                return error.status, error.body()

    def handle_blocking(
        self,
        method: str,
        params: JsonDict,
        files: Files | None = None,
        *,
        stop: threading.Event | None = None,
    ) -> tuple[int, JsonDict]:
        """handle(), but an empty getUpdates with timeout > 0 blocks this thread (HTTP server)."""
        with self._lock:
            status, body = self.handle(method, params, files)
            timeout = long_poll_timeout(method, params, status, body)
            deadline = time.monotonic() + timeout
            while timeout > 0 and not (stop is not None and stop.is_set()):
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    break
                self._updates_arrived.wait(remaining)  # releases the lock while waiting
                status, body = self.repoll(params)
                if status != 200 or body["result"]:
                    break
            return status, body

    def add_update_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` (from the pushing thread) whenever an update is queued."""
        with self._lock:
            self._update_listeners.append(listener)

    def remove_update_listener(self, listener: Callable[[], None]) -> None:
        with self._lock:
            if listener in self._update_listeners:
                self._update_listeners.remove(listener)

    def wake_pollers(self) -> None:
        """Wake threads blocked in handle_blocking so they re-check their stop event."""
        with self._lock:
            self._updates_arrived.notify_all()

    # ------------------------------------------------------------------ faults

    def fail_next(
        self,
        method: str,
        *,
        chat_id: int | None = None,
        error: FaultKind = "429",
        retry_after: int = 1,
        count: int = 1,
        description: str | None = None,
    ) -> None:
        """Make the next ``count`` calls of ``method`` (optionally to ``chat_id``) fail.

        "drop" loses the request (nothing delivered); "drop_after" delivers it and then loses
        the answer, the case that makes a retrying client send duplicates.
        """
        if error not in ("429", "403", "400", "drop", "drop_after"):
            raise ValueError(f"unknown fault {error!r}")
        with self._lock:
            self._faults.append(
                _Fault(method.lower(), chat_id, error, retry_after, count, description)
            )

    def fault_rates(
        self,
        p429: float = 0.0,
        p403: float = 0.0,
        p400: float = 0.0,
        pdrop: float = 0.0,
        seed: int = 0,
        methods: Iterable[str] = ("sendMessage",),
        *,
        retry_after: int = 1,
    ) -> None:
        """Fail calls of ``methods`` at random with the given probabilities (all 0 = off)."""
        with self._lock:
            if p429 + p403 + p400 + pdrop <= 0:
                self._rates = None
                return
            lowered = frozenset(m.lower() for m in methods)
            rng = random.Random(seed)
            self._rates = _FaultRates(p429, p403, p400, pdrop, retry_after, lowered, rng)

    def clear_faults(self) -> None:
        with self._lock:
            self._faults.clear()
            self._rates = None

    def block(self, user_id: int) -> None:
        """The user blocks the bot: sends and edits to their private chat answer 403."""
        with self._lock:
            self._blocked.add(user_id)

    def unblock(self, user_id: int) -> None:
        with self._lock:
            self._blocked.discard(user_id)

    def _draw_fault(self, name: str, params: JsonDict) -> _Fault | None:
        lowered = name.lower()
        chat_id = params.get("chat_id")
        for fault in self._faults:
            if fault.method == lowered and fault.chat_id in (None, chat_id):
                fault.remaining -= 1
                if fault.remaining <= 0:
                    self._faults.remove(fault)
                return fault
        rates = self._rates
        if rates is None or lowered not in rates.methods:
            return None
        roll = rates.rng.random()
        kinds: tuple[tuple[FaultKind, float], ...] = (
            ("429", rates.p429),
            ("403", rates.p403),
            ("400", rates.p400),
            ("drop", rates.pdrop),
        )
        for kind, probability in kinds:
            if roll < probability:
                return _Fault(lowered, None, kind, rates.retry_after, 1, None)
            roll -= probability
        return None

    @staticmethod
    def _fault_error(fault: _Fault) -> _ApiError | None:
        if fault.kind == "429":
            n = fault.retry_after
            return _ApiError(429, f"Too Many Requests: retry after {n}", {"retry_after": n})
        if fault.kind == "403":
            return _ApiError(403, fault.description or BLOCKED)
        if fault.kind == "400":
            return _ApiError(400, fault.description or INJECTED_400)
        return None

    # ------------------------------------------------------------------ users and updates

    def user(
        self,
        user_id: int,
        first_name: str = "Test",
        language_code: str = "en",
        *,
        username: str | None = None,
        last_name: str | None = None,
    ) -> JsonDict:
        """Register a user; their private chat (id == user_id) becomes known to the bot."""
        with self._lock:
            user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
            chat: JsonDict = {"id": user_id, "type": "private", "first_name": first_name}
            for key, value in (("last_name", last_name), ("username", username)):
                if value:
                    user[key] = chat[key] = value
            user["language_code"] = language_code
            self._users[user_id] = user
            self._chats[user_id] = chat
            return dict(user)

    def group(self, chat_id: int, title: str, *, chat_type: str = "group") -> JsonDict:
        """Register a group chat (negative id) the bot is a member of."""
        with self._lock:
            chat = {"id": chat_id, "type": chat_type, "title": title}
            self._chats[chat_id] = chat
            return dict(chat)

    def message_update(
        self,
        user_id: int,
        text: str,
        chat_id: int | None = None,
        *,
        date: int | None = None,
        reply_to: int | None = None,
    ) -> JsonDict:
        """Update for a text message from ``user_id`` (commands get a bot_command entity)."""
        content: JsonDict = {"text": text}
        entities = _command_entities(text)
        if entities:
            content["entities"] = entities
        with self._lock:
            chat = user_id if chat_id is None else chat_id
            if reply_to is not None:
                content["reply_to_message"] = self._snapshot(chat, reply_to)
            return self._incoming_update(user_id, chat_id, date, content)

    def photo_update(
        self, user_id: int, chat_id: int | None = None, *, caption: str | None = None
    ) -> JsonDict:
        with self._lock:
            stored = self._store_file("photo", "photo.jpg", b"\xff\xd8\xff\xe0fake-jpeg")
            content: JsonDict = {"photo": self._photo_sizes(stored)}
            if caption:
                content["caption"] = caption
            return self._incoming_update(user_id, chat_id, None, content)

    def document_update(
        self,
        user_id: int,
        filename: str = "document.pdf",
        data: bytes = b"%PDF-1.4 fake",
        chat_id: int | None = None,
        *,
        caption: str | None = None,
    ) -> JsonDict:
        with self._lock:
            stored = self._store_file("document", filename, data)
            content: JsonDict = {"document": self._document(stored)}
            if caption:
                content["caption"] = caption
            return self._incoming_update(user_id, chat_id, None, content)

    def sticker_update(self, user_id: int, chat_id: int | None = None) -> JsonDict:
        with self._lock:
            stored = self._store_file("sticker", None, b"RIFF-fake-webp")
            sticker = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "type": "regular",
                "width": 512,
                "height": 512,
                "is_animated": False,
                "is_video": False,
                "emoji": "\N{THUMBS UP SIGN}",
                "file_size": stored.size,
            }
            return self._incoming_update(user_id, chat_id, None, {"sticker": sticker})

    def voice_update(
        self, user_id: int, chat_id: int | None = None, *, duration: int = 3
    ) -> JsonDict:
        with self._lock:
            stored = self._store_file("voice", None, b"OggS-fake-voice")
            voice = {
                "file_id": stored.file_id,
                "file_unique_id": stored.file_unique_id,
                "duration": duration,
                "mime_type": "audio/ogg",
                "file_size": stored.size,
            }
            return self._incoming_update(user_id, chat_id, None, {"voice": voice})

    def callback_update(
        self, user_id: int, message_id: int, data: str, *, chat_id: int | None = None
    ) -> JsonDict:
        """Update for ``user_id`` pressing an inline button (with ``data``) on a bot message."""
        with self._lock:
            user = self._ensure_user(user_id)
            chat = user_id if chat_id is None else chat_id
            message = self._by_key.get((chat, message_id))
            if message is None or message.deleted:
                raise LookupError(f"no visible bot message {message_id} in chat {chat}")
            query_id = str(4_000_000_000_000_000_000 + next(self._callback_seq))
            self._callbacks[query_id] = _Callback(user_id, chat, message_id, data)
            query = {
                "id": query_id,
                "from": dict(user),
                "chat_instance": f"{self.bot_id}{chat}",
                "data": data,
                "message": copy.deepcopy(self._message_dict(message)),
            }
            return {"update_id": next(self._update_seq), "callback_query": query}

    def push_update(self, update: JsonDict) -> None:
        """Queue an update for getUpdates (and wake long polls)."""
        with self._lock:
            if "update_id" not in update:
                update = {"update_id": next(self._update_seq), **update}
            kind = next((key for key in update if key != "update_id"), "")
            allowed = self._allowed_updates
            if (kind not in allowed) if allowed is not None else (kind in _OPT_IN_UPDATES):
                return  # Telegram never stores update types the bot did not subscribe to
            self._updates.append(update)
            self._updates_arrived.notify_all()
            for listener in list(self._update_listeners):
                listener()

    @property
    def pending_updates(self) -> list[JsonDict]:
        """Updates queued and not yet confirmed by a getUpdates offset."""
        with self._lock:
            return list(self._updates)

    def _ensure_user(self, user_id: int) -> JsonDict:
        if user_id not in self._users:
            self.user(user_id)
        return self._users[user_id]

    def _incoming_update(
        self, user_id: int, chat_id: int | None, date: int | None, content: JsonDict
    ) -> JsonDict:
        user = self._ensure_user(user_id)
        chat_key = user_id if chat_id is None else chat_id
        if chat_key not in self._chats:
            if chat_key > 0:
                raise ValueError(f"user {user_id} cannot write in the private chat {chat_key}")
            self.group(chat_key, f"Group {-chat_key}")
        message_id = self._new_message_id(chat_key)
        message: JsonDict = {
            "message_id": message_id,
            "date": self._now() if date is None else date,
            "chat": dict(self._chats[chat_key]),
            "from": dict(user),
            **content,
        }
        self._incoming[(chat_key, message_id)] = message
        return {"update_id": next(self._update_seq), "message": copy.deepcopy(message)}

    def _snapshot(self, chat_id: int, message_id: int) -> JsonDict:
        sent = self._by_key.get((chat_id, message_id))
        if sent is not None:
            return copy.deepcopy(self._message_dict(sent))
        incoming = self._incoming.get((chat_id, message_id))
        if incoming is None:
            raise LookupError(f"no message {message_id} in chat {chat_id}")
        return copy.deepcopy(incoming)

    # ------------------------------------------------------------------ what the bot showed

    def chat(self, chat_id: int) -> list[SentMessage]:
        """Every message the bot sent to ``chat_id``, in order, deleted ones included."""
        with self._lock:
            return list(self._sent.get(chat_id, ()))

    def sent_texts(self, chat_id: int, *, include_deleted: bool = False) -> list[str]:
        """Current text (or caption) of the bot's messages in ``chat_id``."""
        with self._lock:
            messages = self._sent.get(chat_id, ())
            return [m.text for m in messages if include_deleted or not m.deleted]

    def last(self, chat_id: int) -> SentMessage | None:
        """Newest message of the bot in ``chat_id`` that is still visible."""
        with self._lock:
            return next((m for m in reversed(self._sent.get(chat_id, ())) if not m.deleted), None)

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        with self._lock:
            return self._by_key.get((chat_id, message_id))

    def delivered_count(self, chat_id: int) -> int:
        """How many messages were delivered to ``chat_id`` (duplicates count twice)."""
        with self._lock:
            return len(self._sent.get(chat_id, ()))

    def is_deleted(self, chat_id: int, message_id: int) -> bool:
        """Whether the bot deleted this message (its own or an incoming one)."""
        with self._lock:
            sent = self._by_key.get((chat_id, message_id))
            return sent.deleted if sent else (chat_id, message_id) in self._deleted_incoming

    def pending_callbacks(self) -> list[str]:
        """Callback query ids never answered (the user's button would keep spinning)."""
        with self._lock:
            return [qid for qid, cb in self._callbacks.items() if not cb.answered]

    def change_mark(self) -> int:
        """Opaque position in the change log; pass it to changes_since()."""
        with self._lock:
            return len(self._changes)

    def changes_since(self, mark: int, *, chat_id: int | None = None) -> list[SentMessage]:
        """Visible messages sent or edited after ``mark``, per chat in message order."""
        with self._lock:
            changed: dict[tuple[int, int], SentMessage] = {}
            for message in self._changes[mark:]:
                if chat_id is None or message.chat_id == chat_id:
                    changed[(message.chat_id, message.message_id)] = message
            chats = list(dict.fromkeys(key[0] for key in changed))
            ordered = sorted(changed.values(), key=lambda m: (chats.index(m.chat_id), m.message_id))
            return [m for m in ordered if not m.deleted]

    def file_content(self, file_path: str) -> bytes | None:
        """Bytes behind a getFile file_path (what a file download returns), if known."""
        with self._lock:
            stored = self._file_paths.get(file_path)
            return stored.data if stored is not None else None

    # ------------------------------------------------------------------ shared validation

    def _now(self) -> int:
        return int(self._wall_clock())

    def _new_message_id(self, chat_id: int) -> int:
        # Message ids are per chat and shared by both directions, as in private chats.
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _known_chat(self, params: JsonDict) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise _bad(CHAT_ID_EMPTY)
        if isinstance(raw, int) and not isinstance(raw, bool) and raw in self._chats:
            return raw
        raise _bad(CHAT_NOT_FOUND)

    def _writable_chat(self, params: JsonDict) -> int:
        chat_id = self._known_chat(params)
        if chat_id in self._blocked:
            raise _ApiError(403, BLOCKED)
        return chat_id

    def _formatted(
        self,
        params: JsonDict,
        key: str,
        entities_key: str,
        limit: int,
        too_long: str,
        *,
        required: bool,
    ) -> tuple[str, list[Entity]]:
        raw = params.get(key)
        source = "" if raw is None else str(raw)
        parse_mode = params.get("parse_mode")
        if parse_mode:
            try:
                text, entities = render(source, str(parse_mode))
            except KeyError:
                raise _bad(UNSUPPORTED_PARSE_MODE) from None
            except EntityParseError as error:
                raise _bad(f"Bad Request: can't parse entities: {error}") from None
        else:
            given = params.get(entities_key)
            text, entities = source, list(given) if isinstance(given, list) else []
        text, entities = _trim(text, entities)
        if required and not text:
            raise _bad(TEXT_EMPTY)
        if len(text) > limit:
            raise _bad(too_long)
        return text, entities

    def _reply_markup(self, params: JsonDict) -> tuple[JsonDict | None, list[list[Button]]]:
        raw = params.get("reply_markup")
        if raw is None:
            return None, []
        if not isinstance(raw, dict):
            raise _bad(MARKUP_UNPARSABLE)
        rows = raw.get("inline_keyboard")
        if rows is None:
            return raw, []  # reply keyboards, ForceReply, ReplyKeyboardRemove
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad(KEYBOARD_NOT_ARRAY)
        return raw, [[self._button(button) for button in row] for row in rows]

    @staticmethod
    def _button(raw: Any) -> Button:
        if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
            raise _bad(BUTTON_TEXT_MISSING)
        data = raw.get("callback_data")
        if data is not None and (
            not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT
        ):
            raise _bad(BUTTON_DATA_INVALID)
        if not _BUTTON_ACTIONS.intersection(raw):
            raise _bad(TEXT_BUTTONS_UNALLOWED)
        return Button(raw["text"], data, raw.get("url"))

    def _reply_target(self, chat_id: int, params: JsonDict) -> int | None:
        target = params.get("reply_to_message_id")
        allow = bool(params.get("allow_sending_without_reply"))
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            if reply.get("chat_id") not in (None, chat_id):
                return None  # cross-chat replies are not modelled
            target = reply.get("message_id")
            allow = bool(reply.get("allow_sending_without_reply", allow))
        if target is None:
            return None
        sent = self._by_key.get((chat_id, target))
        if (sent is not None and not sent.deleted) or (chat_id, target) in self._incoming:
            return int(target)
        if allow:
            return None
        raise _bad(REPLY_NOT_FOUND)

    def _deliver(
        self,
        chat_id: int,
        kind: MessageKind,
        text: str,
        entities: list[Entity],
        params: JsonDict,
        stored: _StoredFile | None = None,
    ) -> JsonDict:
        markup, buttons = self._reply_markup(params)
        reply_to = self._reply_target(chat_id, params)
        message = SentMessage(
            message_id=self._new_message_id(chat_id),
            chat_id=chat_id,
            kind=kind,
            text=text,
            entities=entities,
            reply_markup=markup,
            buttons=buttons,
            date=self._now(),
            reply_to_message_id=reply_to,
        )
        if stored is not None:
            message.filename = stored.filename
            message.data = stored.data
            message.file_id = stored.file_id
            message.mime_type = stored.mime_type
        self._sent.setdefault(chat_id, []).append(message)
        self._by_key[(chat_id, message.message_id)] = message
        self._changes.append(message)
        return self._message_dict(message)

    def _editable(self, params: JsonDict) -> SentMessage:
        if params.get("inline_message_id") is not None:
            raise _bad(EDIT_NOT_FOUND)  # inline-mode messages are not modelled
        chat_id = self._writable_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad(MESSAGE_ID_MISSING)
        message = self._by_key.get((chat_id, message_id))
        if message is None or message.deleted:
            if (chat_id, message_id) in self._incoming:
                raise _bad(CANT_EDIT)
            raise _bad(EDIT_NOT_FOUND)
        return message

    def _apply_edit(self, message: SentMessage, **changes: Any) -> JsonDict:
        for name, value in changes.items():
            setattr(message, name, value)
        message.edited = True
        message.edit_date = self._now()
        self._changes.append(message)
        return self._message_dict(message)

    def _store_file(self, kind: str, filename: str | None, data: bytes | None) -> _StoredFile:
        n = next(self._file_seq)
        mime = mimetypes.guess_type(filename)[0] if filename else None
        if kind == "document":
            mime = mime or "application/octet-stream"
        prefix = _FILE_ID_PREFIX.get(kind, "BAAC")
        extension = _FILE_EXTENSION.get(kind, "")
        if filename and "." in filename:
            extension = "." + filename.rsplit(".", 1)[1]
        path = f"{kind}s/file_{n}{extension}"
        file_id, unique_id = f"{prefix}{n:08d}", f"AQAD{n:08d}"
        stored = _StoredFile(file_id, unique_id, kind, filename, data, mime, path)
        self._files[file_id] = stored
        self._file_paths[path] = stored
        return stored

    def _input_file(self, params: JsonDict, files: Files, key: str) -> _StoredFile:
        value = params.get(key)
        upload: tuple[str, bytes] | None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        elif value is None or value == "":
            upload = files.get(key)
        elif isinstance(value, str):
            known = self._files.get(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                return self._store_file(key, value.rsplit("/", 1)[-1] or None, None)
            raise _bad(WRONG_FILE)
        else:
            upload = None
        if upload is None:
            raise _bad(f"Bad Request: there is no {key} in the request")
        filename, data = upload
        if not data:
            raise _bad(FILE_EMPTY)
        return self._store_file(key, filename, data)

    @staticmethod
    def _photo_sizes(stored: _StoredFile) -> list[JsonDict]:
        size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        return [{**size, "width": 800, "height": 600, "file_size": stored.size}]

    @staticmethod
    def _document(stored: _StoredFile) -> JsonDict:
        document: JsonDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
        if stored.filename:
            document["file_name"] = stored.filename
        if stored.mime_type:
            document["mime_type"] = stored.mime_type
        document["file_size"] = stored.size
        return document

    def _message_dict(self, message: SentMessage) -> JsonDict:
        """The full Message object Telegram returns for a bot message in its current state."""
        body: JsonDict = {
            "message_id": message.message_id,
            "from": self._bot_user,
            "chat": self._chats[message.chat_id],
            "date": message.date,
        }
        if message.edit_date is not None:
            body["edit_date"] = message.edit_date
        if message.kind == "text":
            body["text"] = message.text
            if message.entities:
                body["entities"] = message.entities
        else:
            stored = self._files.get(message.file_id or "")
            if stored is not None:
                if message.kind == "photo":
                    body["photo"] = self._photo_sizes(stored)
                else:
                    body["document"] = self._document(stored)
            if message.text:
                body["caption"] = message.text
                if message.entities:
                    body["caption_entities"] = message.entities
        rows = _inline_rows(message.reply_markup)
        if rows:
            body["reply_markup"] = {"inline_keyboard": rows}
        return body

    # ------------------------------------------------------------------ Bot API methods

    def _true(self, params: JsonDict, files: Files) -> bool:
        return True

    def _get_me(self, params: JsonDict, files: Files) -> JsonDict:
        return {
            **self._bot_user,
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _get_updates(self, params: JsonDict, files: Files) -> list[JsonDict]:
        if self.webhook_url:
            raise _ApiError(409, WEBHOOK_ACTIVE)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None
        offset = params.get("offset") or 0
        if isinstance(offset, int) and offset > 0:
            confirmed = 0
            while confirmed < len(self._updates) and self._updates[confirmed]["update_id"] < offset:
                confirmed += 1
            del self._updates[:confirmed]
        elif isinstance(offset, int) and offset < 0:
            del self._updates[:offset]  # keep only the last -offset updates, forget the rest
        limit = params.get("limit") or 100
        limit = min(max(limit, 1), 100) if isinstance(limit, int) else 100
        return self._updates[:limit]

    def _send_message(self, params: JsonDict, files: Files) -> JsonDict:
        text, entities = self._formatted(
            params, "text", "entities", TEXT_LIMIT, TEXT_TOO_LONG, required=True
        )
        chat_id = self._writable_chat(params)
        return self._deliver(chat_id, "text", text, entities, params)

    def _send_photo(self, params: JsonDict, files: Files) -> JsonDict:
        return self._send_file(params, files, "photo")

    def _send_media_group(self, params: JsonDict, files: Files) -> list[JsonDict]:
        """An album: 2 to 10 photos sent together, each with its own caption."""
        media = params.get("media")
        if isinstance(media, str):
            media = json.loads(media)
        if not isinstance(media, list) or not 2 <= len(media) <= 10:
            raise _bad("Bad Request: wrong number of media in the album")
        chat_id = self._writable_chat(params)
        sent: list[JsonDict] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") != "photo":
                raise _bad("Bad Request: only photos are modelled in an album")
            caption = str(item.get("caption") or "")
            if len(caption) > CAPTION_LIMIT:
                raise _bad(CAPTION_TOO_LONG)
            stored = self._input_file({"photo": item.get("media")}, files, "photo")
            sent.append(self._deliver(chat_id, "photo", caption, [], {}, stored))
        return sent

    def _send_document(self, params: JsonDict, files: Files) -> JsonDict:
        return self._send_file(params, files, "document")

    def _send_file(self, params: JsonDict, files: Files, kind: MessageKind) -> JsonDict:
        caption, entities = self._formatted(
            params, "caption", "caption_entities", CAPTION_LIMIT, CAPTION_TOO_LONG, required=False
        )
        chat_id = self._writable_chat(params)
        stored = self._input_file(params, files, kind)
        return self._deliver(chat_id, kind, caption, entities, params, stored)

    def _edit_message_text(self, params: JsonDict, files: Files) -> JsonDict:
        text, entities = self._formatted(
            params, "text", "entities", TEXT_LIMIT, TEXT_TOO_LONG, required=True
        )
        message = self._editable(params)
        if message.kind != "text":
            raise _bad(NO_TEXT_TO_EDIT)
        # Telegram drops the inline keyboard when an edit does not repeat it.
        markup, buttons = self._reply_markup(params)
        unchanged_markup = _inline_rows(markup) == _inline_rows(message.reply_markup)
        if text == message.text and entities == message.entities and unchanged_markup:
            raise _bad(NOT_MODIFIED)
        return self._apply_edit(
            message, text=text, entities=entities, reply_markup=markup, buttons=buttons
        )

    def _edit_message_caption(self, params: JsonDict, files: Files) -> JsonDict:
        caption, entities = self._formatted(
            params, "caption", "caption_entities", CAPTION_LIMIT, CAPTION_TOO_LONG, required=False
        )
        message = self._editable(params)
        if message.kind == "text":
            raise _bad(NO_CAPTION_TO_EDIT)
        markup, buttons = self._reply_markup(params)
        unchanged_markup = _inline_rows(markup) == _inline_rows(message.reply_markup)
        if caption == message.text and entities == message.entities and unchanged_markup:
            raise _bad(NOT_MODIFIED)
        return self._apply_edit(
            message, text=caption, entities=entities, reply_markup=markup, buttons=buttons
        )

    def _edit_message_reply_markup(self, params: JsonDict, files: Files) -> JsonDict:
        message = self._editable(params)
        markup, buttons = self._reply_markup(params)
        if _inline_rows(markup) == _inline_rows(message.reply_markup):
            raise _bad(NOT_MODIFIED)
        return self._apply_edit(message, reply_markup=markup, buttons=buttons)

    def _answer_callback_query(self, params: JsonDict, files: Files) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        callback = self._callbacks.get(query_id)
        if callback is None or callback.answered:
            raise _bad(QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > CALLBACK_ANSWER_LIMIT:
            raise _bad(ANSWER_TOO_LONG)
        callback.answered = True
        show_alert = bool(params.get("show_alert", False))
        answer = Answer(query_id, text, show_alert, callback.user_id, params.get("url"))
        self.answers.append(answer)
        return True

    def _delete_message(self, params: JsonDict, files: Files) -> bool:
        chat_id = self._known_chat(params)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad(MESSAGE_ID_MISSING)
        sent = self._by_key.get((chat_id, message_id))
        if sent is not None and not sent.deleted:
            sent.deleted = True
            self._changes.append(sent)
            return True
        if self._incoming.pop((chat_id, message_id), None) is not None:
            self._deleted_incoming.add((chat_id, message_id))
            return True
        raise _bad(DELETE_NOT_FOUND)

    def _send_chat_action(self, params: JsonDict, files: Files) -> bool:
        self._writable_chat(params)
        if params.get("action") not in _CHAT_ACTIONS:
            raise _bad(WRONG_ACTION)
        return True

    def _commands_key(self, params: JsonDict) -> CommandsKey:
        scope = params.get("scope")
        scope = scope if isinstance(scope, dict) else {}
        return CommandsKey(
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

    def _set_webhook(self, params: JsonDict, files: Files) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise _bad(WEBHOOK_NOT_HTTPS)
        self.webhook_url = url
        if params.get("drop_pending_updates"):
            self._updates.clear()
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None
        return True

    def _delete_webhook(self, params: JsonDict, files: Files) -> bool:
        self.webhook_url = ""
        if params.get("drop_pending_updates"):
            self._updates.clear()
        return True

    def _get_webhook_info(self, params: JsonDict, files: Files) -> JsonDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": len(self._updates),
        }

    def _set_chat_menu_button(self, params: JsonDict, files: Files) -> bool:
        chat_id = self._known_chat(params) if params.get("chat_id") is not None else None
        button = params.get("menu_button")
        self.menu_buttons[chat_id] = button if isinstance(button, dict) else {"type": "default"}
        return True

    def _get_file(self, params: JsonDict, files: Files) -> JsonDict:
        stored = self._files.get(str(params.get("file_id") or ""))
        if stored is None:
            raise _bad(INVALID_FILE_ID)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    def _get_chat_menu_button(self, params: JsonDict, files: Files) -> JsonDict:
        chat_id = self._known_chat(params) if params.get("chat_id") is not None else None
        button = self.menu_buttons.get(chat_id) or self.menu_buttons.get(None)
        return button or {"type": "default"}
