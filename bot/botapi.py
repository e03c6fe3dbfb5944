"""Telegram's Bot API as our two fakes of it answer: methods, argument rules, limits, errors, shapes.

Two servers speak the Bot API here: the in-cell channel's own (bot/local/api.py: it keeps chats
in its store and serves the page) and the tests' double of Telegram (tests/fakes/double/core.py: it
records calls and injects faults). Both are a ``FakeBotApi``: what Telegram decides is written
here once (which methods exist and how each checks its arguments, how form values are typed,
4096 characters, 64 bytes of button data, the exact 400 texts, 429 with retry_after, what a
Message or a CallbackQuery looks like, how a multipart body reads), so the two agree by
construction. A subclass only says where chats, messages and files live and what else it does.

No telegram import: python-telegram-bot is a client of this, never part of it.
"""

from __future__ import annotations

import email.parser
import email.policy
import json
import math
import re
import time
from abc import ABC, abstractmethod
from collections.abc import Callable
from typing import Any, ClassVar, Generic, NamedTuple, Protocol, TypeVar
from urllib.parse import parse_qsl

JsonDict = dict[str, Any]
Files = dict[str, tuple[str, bytes]]  # form name -> (filename, bytes)
MethodHandler = Callable[[JsonDict, Files], Any]
Formatted = tuple[str, list[JsonDict]]  # a message's text (or caption) and its entities

TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
CALLBACK_DATA_LIMIT = 64  # bytes of UTF-8
CALLBACK_ANSWER_LIMIT = 200
COMMAND_DESCRIPTION_LIMIT = 256
ALBUM_SIZES = range(2, 11)  # sendMediaGroup takes 2 to 10 items
UPDATES_LIMIT = 100  # getUpdates' limit
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
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
QUERY_INVALID = "Bad Request: query is too old and response timeout expired or query ID is invalid"
ANSWER_TOO_LONG = "Bad Request: MESSAGE_TOO_LONG"
WRONG_FILE = "Bad Request: wrong file identifier/HTTP URL specified"
URL_UNREACHABLE = "Bad Request: failed to get HTTP URL content"
INVALID_FILE_ID = "Bad Request: invalid file_id"
FILE_EMPTY = "Bad Request: file must be non-empty"
WRONG_ACTION = "Bad Request: wrong parameter action in request"
UNSUPPORTED_PARSE_MODE = "Bad Request: unsupported parse_mode"
COMMANDS_UNPARSABLE = "Bad Request: can't parse commands JSON object"
BOT_COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
BOT_COMMAND_DESCRIPTION_INVALID = "Bad Request: BOT_COMMAND_DESCRIPTION_INVALID"
ALBUM_SIZE_WRONG = "Bad Request: wrong number of media in the album"
WEBHOOK_NOT_HTTPS = "Bad Request: bad webhook: An HTTPS URL must be provided for webhook"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
BODY_UNPARSABLE = "Bad Request: can't parse request body"
BLOCKED = "Forbidden: bot was blocked by the user"
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"

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
CHAT_ACTIONS = frozenset(
    {"typing", "upload_photo", "record_video", "upload_video", "record_voice", "upload_voice"}
    | {"upload_document", "choose_sticker", "find_location", "record_video_note"}
    | {"upload_video_note"}
)
# httpx escapes these in multipart names (HTML5 form encoding); undo only them.
_FORM_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n"}
_FIRST_CALLBACK_QUERY_ID = 4_000_000_000_000_000_000  # Telegram's ids are long decimal strings


# ---------------------------------------------------------------------- errors


class ApiError(Exception):
    """A Bot API error answer: raise it in a method, ``body()`` is what Telegram sends."""

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


def bad(description: str) -> ApiError:
    return ApiError(400, description)


def too_many_requests(retry_after: int) -> ApiError:
    """429 as Telegram words it: the wait is in the text and in parameters.retry_after."""
    return ApiError(
        429, f"Too Many Requests: retry after {retry_after}", {"retry_after": retry_after}
    )


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


# ---------------------------------------------------------------------- requests


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


def parse_body(content_type: str, body: bytes, query: str = "") -> tuple[JsonDict, Files]:
    """Bot API parameters from the query and a JSON, urlencoded or multipart/form-data body.

    Multipart is read by the standard library's email parser (RFC 2046 and RFC 2231 names), as
    python-telegram-bot's httpx request writes it; raises ValueError for a body it cannot read.
    """
    params: JsonDict = dict(parse_qsl(query, keep_blank_values=True))
    if not body:
        return params, {}
    media_type = content_type.split(";", 1)[0].strip().lower()
    if media_type == "application/json":
        value = json.loads(body)
        if not isinstance(value, dict):
            raise ValueError("JSON body must be an object")
        return {**params, **value}, {}
    if media_type == "multipart/form-data":
        form, files = _parse_multipart(content_type, body)
        return {**params, **form}, files
    return {**params, **dict(parse_qsl(body.decode(), keep_blank_values=True))}, {}


def _parse_multipart(content_type: str, body: bytes) -> tuple[JsonDict, Files]:
    head = f"Content-Type: {content_type}\r\nMIME-Version: 1.0\r\n\r\n".encode()
    message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(head + body)
    if not message.is_multipart() or message.get_boundary() is None:
        raise ValueError("multipart body without boundary")
    params: JsonDict = {}
    files: Files = {}
    for part in message.iter_parts():
        name = part.get_param("name", header="content-disposition")
        if not isinstance(name, str):
            continue
        content = part.get_payload(decode=True)
        data = content if isinstance(content, bytes) else b""
        filename = part.get_param("filename", header="content-disposition")
        if isinstance(filename, str):
            files[_unescape(name)] = (_unescape(filename), data)
        else:
            params[_unescape(name)] = data.decode()
    return params, files


def _unescape(value: str) -> str:
    for escaped, char in _FORM_ESCAPES.items():
        value = value.replace(escaped, char)
    return value


def is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def check_text(text: str, limit: int, too_long: str, *, required: bool) -> None:
    """Telegram's checks of a message's text or caption once formatting is applied."""
    if required and not text:
        raise bad(TEXT_EMPTY)
    if len(text) > limit:
        raise bad(too_long)


# ---------------------------------------------------------------------- shapes


class Button(NamedTuple):
    """An inline keyboard button as Telegram keeps it (a tuple: one is made per button sent)."""

    text: str
    callback_data: str | None = None
    url: str | None = None

    def as_json(self) -> JsonDict:
        button: JsonDict = {"text": self.text}
        if isinstance(self.callback_data, str):
            button["callback_data"] = self.callback_data
        if isinstance(self.url, str):
            button["url"] = self.url
        return button


def parse_button(raw: Any) -> Button:
    if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
        raise bad(BUTTON_TEXT_MISSING)
    data = raw.get("callback_data")
    if data is not None and (
        not isinstance(data, str) or not 1 <= len(data.encode()) <= CALLBACK_DATA_LIMIT
    ):
        raise bad(BUTTON_DATA_INVALID)
    if not _BUTTON_ACTIONS.intersection(raw):
        raise bad(TEXT_BUTTONS_UNALLOWED)
    return Button(raw["text"], data, raw.get("url"))


def read_reply_markup(params: JsonDict) -> tuple[JsonDict | None, list[list[Button]]]:
    """``reply_markup`` as sent (any keyboard) and its inline buttons, checked as Telegram does."""
    raw = params.get("reply_markup")
    if raw is None:
        return None, []
    if not isinstance(raw, dict):
        raise bad(MARKUP_UNPARSABLE)
    rows = raw.get("inline_keyboard")
    if rows is None:
        return raw, []  # reply keyboards, ForceReply, ReplyKeyboardRemove
    if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
        raise bad(KEYBOARD_NOT_ARRAY)
    return raw, [[parse_button(button) for button in row] for row in rows]


def inline_rows(markup: JsonDict | None) -> list[Any] | None:
    rows = markup.get("inline_keyboard") if isinstance(markup, dict) else None
    return rows or None


def user_json(
    user_id: int,
    first_name: str,
    language_code: str,
    *,
    username: str | None = None,
    last_name: str | None = None,
) -> JsonDict:
    """The User object of a person (not a bot)."""
    user: JsonDict = {"id": user_id, "is_bot": False, "first_name": first_name}
    user.update(_names(username, last_name))
    user["language_code"] = language_code
    return user


def private_chat_json(
    user_id: int, first_name: str, *, username: str | None = None, last_name: str | None = None
) -> JsonDict:
    """The Chat object of a person's private chat with the bot (its id is theirs)."""
    chat: JsonDict = {"id": user_id, "type": "private", "first_name": first_name}
    chat.update(_names(username, last_name))
    return chat


def _names(username: str | None, last_name: str | None) -> JsonDict:
    return {
        key: value for key, value in (("last_name", last_name), ("username", username)) if value
    }


def command_entities(text: str) -> list[JsonDict]:
    """The bot_command entity Telegram marks on a message that starts with a command."""
    match = _COMMAND_RE.match(text)
    if not match:
        return []
    length = len(match.group(0).encode("utf-16-le")) // 2  # offsets count UTF-16 units
    return [{"type": "bot_command", "offset": 0, "length": length}]


class StoredFile(Protocol):
    @property
    def file_id(self) -> str: ...
    @property
    def file_unique_id(self) -> str: ...
    @property
    def filename(self) -> str | None: ...
    @property
    def mime_type(self) -> str | None: ...
    @property
    def path(self) -> str: ...
    @property
    def size(self) -> int: ...


def photo_sizes(stored: StoredFile) -> list[JsonDict]:
    size = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    return [{**size, "width": 800, "height": 600, "file_size": stored.size}]


def document_json(stored: StoredFile) -> JsonDict:
    document: JsonDict = {"file_id": stored.file_id, "file_unique_id": stored.file_unique_id}
    if stored.filename:
        document["file_name"] = stored.filename
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    document["file_size"] = stored.size
    return document


class Message(Protocol):
    """What the methods read of a kept message."""

    @property
    def kind(self) -> str: ...  # "text", "photo" or "document"
    @property
    def text(self) -> str: ...  # text, or the caption of a photo or document
    @property
    def entities(self) -> list[JsonDict]: ...


class KeptMessage(Message, Protocol):
    """What a Message object is made of."""

    @property
    def message_id(self) -> int: ...
    @property
    def date(self) -> int: ...
    @property
    def edit_date(self) -> int | None: ...


def message_json(
    message: KeptMessage,
    *,
    sender: JsonDict,
    chat: JsonDict,
    stored: StoredFile | None,
    rows: list[Any] | None,
) -> JsonDict:
    """The Message object Telegram returns for a message in its current state."""
    kind, text, entities = message.kind, message.text, message.entities
    body: JsonDict = {
        "message_id": message.message_id,
        "from": sender,
        "chat": chat,
        "date": message.date,
    }
    if message.edit_date is not None:
        body["edit_date"] = message.edit_date
    if kind == "text":
        body["text"] = text
        if entities:
            body["entities"] = entities
    else:
        if stored is not None:
            if kind == "photo":
                body["photo"] = photo_sizes(stored)
            else:
                body["document"] = document_json(stored)
        if text:
            body["caption"] = text
            if entities:
                body["caption_entities"] = entities
    if rows:
        body["reply_markup"] = {"inline_keyboard": rows}
    return body


def callback_query_json(
    seq: int, user: JsonDict, bot_id: int, chat_id: int, data: str, message: JsonDict
) -> JsonDict:
    """The CallbackQuery of the ``seq``-th press; its id is what answerCallbackQuery takes."""
    return {
        "id": str(_FIRST_CALLBACK_QUERY_ID + seq),
        "from": user,
        "chat_instance": f"{bot_id}{chat_id}",
        "data": data,
        "message": message,
    }


def confirm_updates(updates: list[JsonDict], params: JsonDict) -> list[JsonDict]:
    """getUpdates' offset and limit: forget what ``offset`` confirms, answer at most ``limit``."""
    offset = params.get("offset") or 0
    if isinstance(offset, int) and offset > 0:
        confirmed = 0
        while confirmed < len(updates) and updates[confirmed]["update_id"] < offset:
            confirmed += 1
        del updates[:confirmed]
    elif isinstance(offset, int) and offset < 0:
        del updates[:offset]  # keep only the last -offset updates, forget the rest
    return updates[: updates_limit(params)]


def updates_limit(params: JsonDict) -> int:
    """How many updates one getUpdates answers: ``limit``, 1 to 100, 100 if not given."""
    limit = params.get("limit") or UPDATES_LIMIT
    return min(max(limit, 1), UPDATES_LIMIT) if isinstance(limit, int) else UPDATES_LIMIT


class CommandsKey(NamedTuple):
    """A BotCommandScope plus a language code: where one command list applies."""

    scope_type: str = "default"
    chat_id: int | None = None
    user_id: int | None = None
    language_code: str = ""


def commands_key(params: JsonDict) -> CommandsKey:
    scope = params.get("scope")
    scope = scope if isinstance(scope, dict) else {}
    return CommandsKey(
        str(scope.get("type", "default")),
        scope.get("chat_id"),
        scope.get("user_id"),
        str(params.get("language_code") or ""),
    )


# ---------------------------------------------------------------------- the methods


MessageT = TypeVar("MessageT", bound=Message)
FileT = TypeVar("FileT", bound=StoredFile)


class FakeBotApi(ABC, Generic[MessageT, FileT]):
    """Telegram's methods over chats, messages and files that a subclass keeps.

    ``method(name)`` finds a method by any spelling; ``run`` answers it as (status, body).
    """

    can_join_groups: ClassVar[bool] = False
    only_photos_in_album: ClassVar[str] = "Bad Request: only photos can be sent in an album"

    def __init__(self, bot_id: int, first_name: str, username: str) -> None:
        self.bot_id = bot_id
        self.bot_user: JsonDict = {
            "id": bot_id,
            "is_bot": True,
            "first_name": first_name,
            "username": username,
        }
        self.commands: dict[CommandsKey, list[JsonDict]] = {}
        self.menu_buttons: dict[int | None, JsonDict] = {}
        self.webhook_url = ""
        self._methods = {name.lower(): (name, fn) for name, fn in self._method_table()}

    def _method_table(self) -> list[tuple[str, MethodHandler]]:
        """Every method this server answers, in Telegram's spelling."""
        return [
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
            ("setWebhook", self._set_webhook),
            ("deleteWebhook", self._delete_webhook),
            ("getWebhookInfo", self._get_webhook_info),
            ("close", self._true),
            ("logOut", self._true),
        ]

    def method(self, name: str) -> tuple[str, MethodHandler] | None:
        """(Telegram's spelling, handler) of a method named in any case; None if unknown."""
        return self._methods.get(name.lower())

    @staticmethod
    def run(handler: MethodHandler, params: JsonDict, files: Files) -> tuple[int, JsonDict]:
        """One method's answer as (HTTP status, JSON body); ``params`` already decoded."""
        try:
            return 200, {"ok": True, "result": handler(params, files)}
        except ApiError as error:
            return error.status, error.body()

    # ------------------------------------------------------------------ what a subclass keeps

    @abstractmethod
    def _chat_id(self, params: JsonDict, *, write: bool) -> int:
        """The chat named by chat_id (400 if empty or unknown; 403 where ``write`` is refused)."""

    @abstractmethod
    def _formatted(
        self, params: JsonDict, key: str, limit: int, too_long: str, *, required: bool
    ) -> Formatted:
        """Text (or caption) and entities after parse_mode, checked with ``check_text``."""

    @abstractmethod
    def _post(
        self, chat_id: int, kind: str, formatted: Formatted, params: JsonDict, files: Files
    ) -> JsonDict:
        """Deliver a text, photo or document message (its file read by ``_input_file``)."""

    @abstractmethod
    def _post_album_photo(self, chat_id: int, caption: str, stored: FileT) -> JsonDict:
        """Deliver one photo of an album."""

    @abstractmethod
    def _editable(self, params: JsonDict) -> MessageT:
        """The bot's message named by chat_id and message_id, or the 400 Telegram gives."""

    @abstractmethod
    def _keyboard_unchanged(
        self, message: MessageT, markup: JsonDict | None, buttons: list[list[Button]]
    ) -> bool: ...

    @abstractmethod
    def _apply_edit(
        self,
        message: MessageT,
        markup: JsonDict | None,
        buttons: list[list[Button]],
        **content: Any,
    ) -> JsonDict:
        """Change the message in place; its new Message object."""

    @abstractmethod
    def _open_press(self, query_id: str) -> Any | None:
        """The press behind ``query_id``; None if it is unknown or answered already."""

    @abstractmethod
    def _answer_press(
        self, press: Any, query_id: str, text: Any, show_alert: bool, url: Any
    ) -> None: ...

    @abstractmethod
    def _delete(self, chat_id: int, message_id: Any) -> bool:
        """Delete a message; False if there is none to delete."""

    @abstractmethod
    def _known_file(self, file_id: str) -> FileT | None: ...

    @abstractmethod
    def _url_file(self, key: str, url: str) -> FileT:
        """A file sent by HTTP URL (or the 400 when it cannot be fetched)."""

    @abstractmethod
    def _upload(self, key: str, filename: str, data: bytes) -> FileT: ...

    @abstractmethod
    def _pending_update_count(self) -> int: ...

    @abstractmethod
    def _set_webhook(self, params: JsonDict, files: Files) -> bool: ...

    @abstractmethod
    def _delete_webhook(self, params: JsonDict, files: Files) -> bool: ...

    # ------------------------------------------------------------------ Telegram's methods

    def _true(self, params: JsonDict, files: Files) -> bool:
        return True

    def _get_me(self, params: JsonDict, files: Files) -> JsonDict:
        return {
            **self.bot_user,
            "can_join_groups": self.can_join_groups,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    def _send_message(self, params: JsonDict, files: Files) -> JsonDict:
        text = self._formatted(params, "text", TEXT_LIMIT, TEXT_TOO_LONG, required=True)
        return self._post(self._chat_id(params, write=True), "text", text, params, files)

    def _send_photo(self, params: JsonDict, files: Files) -> JsonDict:
        return self._send_file(params, files, "photo")

    def _send_document(self, params: JsonDict, files: Files) -> JsonDict:
        return self._send_file(params, files, "document")

    def _send_file(self, params: JsonDict, files: Files, kind: str) -> JsonDict:
        caption = self._formatted(
            params, "caption", CAPTION_LIMIT, CAPTION_TOO_LONG, required=False
        )
        return self._post(self._chat_id(params, write=True), kind, caption, params, files)

    def _send_media_group(self, params: JsonDict, files: Files) -> list[JsonDict]:
        """An album (the month's report charts): 2 to 10 photos, each with its caption."""
        media = params.get("media")
        if isinstance(media, str):
            media = json.loads(media)
        if not isinstance(media, list) or len(media) not in ALBUM_SIZES:
            raise bad(ALBUM_SIZE_WRONG)
        chat_id = self._chat_id(params, write=True)
        sent: list[JsonDict] = []
        for item in media:
            if not isinstance(item, dict) or item.get("type") != "photo":
                raise bad(self.only_photos_in_album)
            caption = str(item.get("caption") or "")
            if len(caption) > CAPTION_LIMIT:
                raise bad(CAPTION_TOO_LONG)
            stored = self._input_file({"photo": item.get("media")}, files, "photo")
            sent.append(self._post_album_photo(chat_id, caption, stored))
        return sent

    def _edit_message_text(self, params: JsonDict, files: Files) -> JsonDict:
        text, entities = self._formatted(params, "text", TEXT_LIMIT, TEXT_TOO_LONG, required=True)
        message = self._editable(params)
        if message.kind != "text":
            raise bad(NO_TEXT_TO_EDIT)
        return self._edit(message, params, text=text, entities=entities)

    def _edit_message_caption(self, params: JsonDict, files: Files) -> JsonDict:
        caption, entities = self._formatted(
            params, "caption", CAPTION_LIMIT, CAPTION_TOO_LONG, required=False
        )
        message = self._editable(params)
        if message.kind == "text":
            raise bad(NO_CAPTION_TO_EDIT)
        return self._edit(message, params, text=caption, entities=entities)

    def _edit_message_reply_markup(self, params: JsonDict, files: Files) -> JsonDict:
        return self._edit(self._editable(params), params)

    def _edit(self, message: MessageT, params: JsonDict, **content: Any) -> JsonDict:
        # Telegram drops the inline keyboard when an edit does not repeat it.
        markup, buttons = read_reply_markup(params)
        same = all(getattr(message, name) == value for name, value in content.items())
        if same and self._keyboard_unchanged(message, markup, buttons):
            raise bad(NOT_MODIFIED)
        return self._apply_edit(message, markup, buttons, **content)

    def _answer_callback_query(self, params: JsonDict, files: Files) -> bool:
        query_id = str(params.get("callback_query_id", ""))
        press = self._open_press(query_id)
        if press is None:
            raise bad(QUERY_INVALID)
        text = params.get("text")
        if text is not None and len(str(text)) > CALLBACK_ANSWER_LIMIT:
            raise bad(ANSWER_TOO_LONG)
        show_alert = bool(params.get("show_alert", False))
        self._answer_press(press, query_id, text, show_alert, params.get("url"))
        return True

    def _delete_message(self, params: JsonDict, files: Files) -> bool:
        chat_id = self._chat_id(params, write=False)
        message_id = params.get("message_id")
        if message_id is None:
            raise bad(MESSAGE_ID_MISSING)
        if not self._delete(chat_id, message_id):
            raise bad(DELETE_NOT_FOUND)
        return True

    def _send_chat_action(self, params: JsonDict, files: Files) -> bool:
        self._chat_id(params, write=True)
        if params.get("action") not in CHAT_ACTIONS:
            raise bad(WRONG_ACTION)
        return True

    def _set_my_commands(self, params: JsonDict, files: Files) -> bool:
        raw = params.get("commands")
        if not isinstance(raw, list):
            raise bad(COMMANDS_UNPARSABLE)
        commands: list[JsonDict] = []
        for item in raw:
            command = item.get("command") if isinstance(item, dict) else None
            description = item.get("description") if isinstance(item, dict) else None
            if not isinstance(command, str) or not _BOT_COMMAND_NAME_RE.fullmatch(command):
                raise bad(BOT_COMMAND_INVALID)
            if not isinstance(description, str) or not (
                1 <= len(description.strip()) <= COMMAND_DESCRIPTION_LIMIT
            ):
                raise bad(BOT_COMMAND_DESCRIPTION_INVALID)
            commands.append({"command": command, "description": description})
        self.commands[commands_key(params)] = commands
        return True

    def _delete_my_commands(self, params: JsonDict, files: Files) -> bool:
        self.commands.pop(commands_key(params), None)
        return True

    def _get_my_commands(self, params: JsonDict, files: Files) -> list[JsonDict]:
        return list(self.commands.get(commands_key(params), []))

    def _menu_chat(self, params: JsonDict) -> int | None:
        return self._chat_id(params, write=False) if params.get("chat_id") is not None else None

    def _set_chat_menu_button(self, params: JsonDict, files: Files) -> bool:
        button = params.get("menu_button")
        self.menu_buttons[self._menu_chat(params)] = (
            button if isinstance(button, dict) else {"type": "default"}
        )
        return True

    def _get_chat_menu_button(self, params: JsonDict, files: Files) -> JsonDict:
        button = self.menu_buttons.get(self._menu_chat(params)) or self.menu_buttons.get(None)
        return button or {"type": "default"}

    def _get_file(self, params: JsonDict, files: Files) -> JsonDict:
        stored = self._known_file(str(params.get("file_id") or ""))
        if stored is None:
            raise bad(INVALID_FILE_ID)
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.size,
            "file_path": stored.path,
        }

    def _get_webhook_info(self, params: JsonDict, files: Files) -> JsonDict:
        return {
            "url": self.webhook_url,
            "has_custom_certificate": False,
            "pending_update_count": self._pending_update_count(),
        }

    def _input_file(self, params: JsonDict, files: Files, key: str) -> FileT:
        """The file a send method names: an upload (attach:// or by its own key), a file_id
        the server knows, or an HTTP URL."""
        value = params.get(key)
        upload: tuple[str, bytes] | None = None
        if isinstance(value, str) and value.startswith("attach://"):
            upload = files.get(value[len("attach://") :])
        elif value is None or value == "":
            upload = files.get(key)
        elif isinstance(value, str):
            known = self._known_file(value)
            if known is not None:
                return known
            if value.startswith(("http://", "https://")):
                return self._url_file(key, value)
            raise bad(WRONG_FILE)
        if upload is None:
            raise bad(f"Bad Request: there is no {key} in the request")
        filename, data = upload
        if not data:
            raise bad(FILE_EMPTY)
        return self._upload(key, filename, data)
