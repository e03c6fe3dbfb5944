"""Transport-independent fake of the Telegram Bot API: state, recording and faults.

``BotApiDouble.handle(method, params, files)`` answers what api.telegram.org would answer (HTTP
status plus JSON body). What Telegram decides (methods, argument rules, limits, error texts, the
JSON shapes) is bot/botapi.py, shared with the in-cell channel's own Bot API; this module keeps
what is the double's own: users, groups and chats in memory, blocked users, replies, webhooks,
parse_mode rendered into entities (formatting.py), every call recorded, faults injected, and the
updates a test builds. The transports (``request.DoubleRequest`` in-process, ``http.serve_http``
over HTTP) only translate bytes, so everything a test observes lives here. Every public method
takes one re-entrant lock: HTTP handler threads and the test's event loop can share an instance.
"""

from __future__ import annotations

import copy
import itertools
import mimetypes
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal, NamedTuple

from bot.botapi import (
    BLOCKED,
    CANT_EDIT,
    CHAT_ID_EMPTY,
    CHAT_NOT_FOUND,
    EDIT_NOT_FOUND,
    MESSAGE_ID_MISSING,
    NOT_FOUND,
    REPLY_NOT_FOUND,
    UNSUPPORTED_PARSE_MODE,
    WEBHOOK_ACTIVE,
    WEBHOOK_NOT_HTTPS,
    ApiError,
    Button,
    FakeBotApi,
    Files,
    Formatted,
    JsonDict,
    MethodHandler,
    bad,
    callback_query_json,
    check_text,
    command_entities,
    confirm_updates,
    decode_params,
    document_json,
    error_body,
    inline_rows,
    message_json,
    photo_sizes,
    private_chat_json,
    read_reply_markup,
    too_many_requests,
    user_json,
)

from .formatting import Entity, EntityParseError, render, utf16_len

FaultKind = Literal["429", "403", "400", "drop", "drop_after"]
MessageKind = Literal["text", "photo", "document"]

INJECTED_400 = "Bad Request: injected fault (double)"

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


def long_poll_timeout(method: str, params: JsonDict, status: int, body: JsonDict) -> float:
    """Seconds a transport should hold an empty getUpdates answer open; 0 for everything else."""
    if status != 200 or method.lower() != "getupdates" or body.get("result"):
        return 0.0
    try:
        return max(float(params.get("timeout") or 0), 0.0)
    except (TypeError, ValueError):
        return 0.0


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


class BotApiDouble(FakeBotApi[SentMessage, _StoredFile]):
    """A fake Telegram Bot API: answers requests, records them, and builds incoming updates."""

    can_join_groups: ClassVar[bool] = True
    only_photos_in_album: ClassVar[str] = "Bad Request: only photos are modelled in an album"

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
        self.username = username
        self.first_name = first_name
        self.calls: list[Call] = []
        self.answers: list[Answer] = []
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
        super().__init__(bot_id, first_name, username)

    def _method_table(self) -> list[tuple[str, MethodHandler]]:
        return [*super()._method_table(), ("getUpdates", self._get_updates)]

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
            entry = self.method(method)
            if entry is None:
                self.calls.append(Call(method, dict(params), at, 404))
                return 404, error_body(404, NOT_FOUND)
            name, fn = entry
            params = decode_params(params)
            fault = self._draw_fault(name, params) if self._faults or self._rates else None
            if fault is not None and fault.kind != "drop_after":
                error = self._fault_error(fault)
                self.calls.append(Call(name, params, at, error.status if error else 0))
                if error is None:
                    raise ConnectionDropped(name)
                return error.status, error.body()
            status, body = self.run(fn, params, files or {})
            if fault is not None:  # drop_after: Telegram did the work, the answer got lost
                self.calls.append(Call(name, params, at, 0))
                raise ConnectionDropped(name)
            self.calls.append(Call(name, params, at, status))
            return status, body

    def repoll(self, params: JsonDict) -> tuple[int, JsonDict]:
        """Re-run a waiting getUpdates without recording another call (for long polling)."""
        with self._lock:
            return self.run(self._get_updates, decode_params(params), {})

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
    def _fault_error(fault: _Fault) -> ApiError | None:
        if fault.kind == "429":
            return too_many_requests(fault.retry_after)
        if fault.kind == "403":
            return ApiError(403, fault.description or BLOCKED)
        if fault.kind == "400":
            return ApiError(400, fault.description or INJECTED_400)
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
            names: dict[str, Any] = {"username": username, "last_name": last_name}
            user = user_json(user_id, first_name, language_code, **names)
            self._users[user_id] = user
            self._chats[user_id] = private_chat_json(user_id, first_name, **names)
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
        entities = command_entities(text)
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
            content: JsonDict = {"photo": photo_sizes(stored)}
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
            content: JsonDict = {"document": document_json(stored)}
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
            shown = copy.deepcopy(self._message_dict(message))
            query = callback_query_json(
                next(self._callback_seq), dict(user), self.bot_id, chat, data, shown
            )
            self._callbacks[query["id"]] = _Callback(user_id, chat, message_id, data)
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

    # ------------------------------------------------------------------ where things are kept

    def _now(self) -> int:
        return int(self._wall_clock())

    def _new_message_id(self, chat_id: int) -> int:
        # Message ids are per chat and shared by both directions, as in private chats.
        message_id = self._last_message_id.get(chat_id, 0) + 1
        self._last_message_id[chat_id] = message_id
        return message_id

    def _chat_id(self, params: JsonDict, *, write: bool) -> int:
        raw = params.get("chat_id")
        if raw is None or raw == "":
            raise bad(CHAT_ID_EMPTY)
        if not (isinstance(raw, int) and not isinstance(raw, bool) and raw in self._chats):
            raise bad(CHAT_NOT_FOUND)
        if write and raw in self._blocked:
            raise ApiError(403, BLOCKED)
        return raw

    def _formatted(
        self, params: JsonDict, key: str, limit: int, too_long: str, *, required: bool
    ) -> tuple[str, list[Entity]]:
        raw = params.get(key)
        source = "" if raw is None else str(raw)
        parse_mode = params.get("parse_mode")
        if parse_mode:
            try:
                text, entities = render(source, str(parse_mode))
            except KeyError:
                raise bad(UNSUPPORTED_PARSE_MODE) from None
            except EntityParseError as error:
                raise bad(f"Bad Request: can't parse entities: {error}") from None
        else:
            given = params.get("entities" if key == "text" else "caption_entities")
            text, entities = source, list(given) if isinstance(given, list) else []
        text, entities = _trim(text, entities)
        check_text(text, limit, too_long, required=required)
        return text, entities

    def _post(
        self, chat_id: int, kind: str, formatted: Formatted, params: JsonDict, files: Files
    ) -> JsonDict:
        stored = self._input_file(params, files, kind) if kind != "text" else None
        return self._deliver(chat_id, kind, *formatted, params, stored)

    def _post_album_photo(self, chat_id: int, caption: str, stored: _StoredFile) -> JsonDict:
        return self._deliver(chat_id, "photo", caption, [], {}, stored)

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
        raise bad(REPLY_NOT_FOUND)

    def _deliver(
        self,
        chat_id: int,
        kind: str,
        text: str,
        entities: list[Entity],
        params: JsonDict,
        stored: _StoredFile | None = None,
    ) -> JsonDict:
        markup, buttons = read_reply_markup(params)
        reply_to = self._reply_target(chat_id, params)
        message = SentMessage(
            message_id=self._new_message_id(chat_id),
            chat_id=chat_id,
            kind=kind,  # type: ignore[arg-type]  # one of MessageKind
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
            raise bad(EDIT_NOT_FOUND)  # inline-mode messages are not modelled
        chat_id = self._chat_id(params, write=True)
        message_id = params.get("message_id")
        if message_id is None:
            raise bad(MESSAGE_ID_MISSING)
        message = self._by_key.get((chat_id, message_id))
        if message is None or message.deleted:
            if (chat_id, message_id) in self._incoming:
                raise bad(CANT_EDIT)
            raise bad(EDIT_NOT_FOUND)
        return message

    def _keyboard_unchanged(
        self, message: SentMessage, markup: JsonDict | None, buttons: list[list[Button]]
    ) -> bool:
        return inline_rows(markup) == inline_rows(message.reply_markup)

    def _apply_edit(
        self,
        message: SentMessage,
        markup: JsonDict | None,
        buttons: list[list[Button]],
        **content: Any,
    ) -> JsonDict:
        for name, value in content.items():
            setattr(message, name, value)
        message.reply_markup = markup
        message.buttons = buttons
        message.edited = True
        message.edit_date = self._now()
        self._changes.append(message)
        return self._message_dict(message)

    def _open_press(self, query_id: str) -> _Callback | None:
        callback = self._callbacks.get(query_id)
        return None if callback is None or callback.answered else callback

    def _answer_press(
        self, press: _Callback, query_id: str, text: Any, show_alert: bool, url: Any
    ) -> None:
        press.answered = True
        self.answers.append(Answer(query_id, text, show_alert, press.user_id, url))

    def _delete(self, chat_id: int, message_id: Any) -> bool:
        sent = self._by_key.get((chat_id, message_id))
        if sent is not None and not sent.deleted:
            sent.deleted = True
            self._changes.append(sent)
            return True
        if self._incoming.pop((chat_id, message_id), None) is not None:
            self._deleted_incoming.add((chat_id, message_id))
            return True
        return False

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

    def _known_file(self, file_id: str) -> _StoredFile | None:
        return self._files.get(file_id)

    def _url_file(self, key: str, url: str) -> _StoredFile:
        return self._store_file(key, url.rsplit("/", 1)[-1] or None, None)

    def _upload(self, key: str, filename: str, data: bytes) -> _StoredFile:
        return self._store_file(key, filename, data)

    def _pending_update_count(self) -> int:
        return len(self._updates)

    def _message_dict(self, message: SentMessage) -> JsonDict:
        """The full Message object Telegram returns for a bot message in its current state."""
        stored = self._files.get(message.file_id or "") if message.kind != "text" else None
        return message_json(
            message,
            sender=self.bot_user,
            chat=self._chats[message.chat_id],
            stored=stored,
            rows=inline_rows(message.reply_markup),
        )

    # ------------------------------------------------------------------ the double's own methods

    def _get_updates(self, params: JsonDict, files: Files) -> list[JsonDict]:
        if self.webhook_url:
            raise ApiError(409, WEBHOOK_ACTIVE)
        allowed = params.get("allowed_updates")
        if isinstance(allowed, list):
            self._allowed_updates = frozenset(allowed) or None
        return confirm_updates(self._updates, params)

    def _set_webhook(self, params: JsonDict, files: Files) -> bool:
        url = str(params.get("url") or "")
        if url and not url.startswith("https://"):
            raise bad(WEBHOOK_NOT_HTTPS)
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
