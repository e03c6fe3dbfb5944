"""The local channel's own small SQLite file: the people on the page and their chats.

This is the local channel's copy of what Telegram's servers keep (who the users are, what is in
each chat), not the bot's database: the bot never reads it. Button presses are never stored.

Ballot secrecy (docs/INCELL.md): a message the bot edits *to a state with buttons* (a ballot with
a selection, "You chose ... Confirm?") is kept in memory only, never written to the file or its
WAL; only a settled state (no buttons: "Your vote is recorded") reaches disk, over the row in
place, with secure_delete on. So a copy of this file never holds a choice. After a restart such a
chat shows the message's last settled state, whose buttons the bot answers as stale ones.

Sign-in accounts (a reference and an argon2id PIN hash, or a provider's subject) and their
lockouts are kept here too; sessions are in memory only. The file is made 0600.
All SQL of the local channel lives in this module, parameterised.
"""

from __future__ import annotations

import json
import secrets
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bot.botapi import private_chat_json, user_json
from storage import files

JsonDict = dict[str, Any]

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS person (
    user_id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    role_label TEXT NOT NULL DEFAULT '',
    language TEXT NOT NULL DEFAULT 'en',
    position INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS message (
    chat_id INTEGER NOT NULL,
    message_id INTEGER NOT NULL,
    from_bot INTEGER NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    entities TEXT,
    markup TEXT,
    file_id TEXT,
    date INTEGER NOT NULL,
    edit_date INTEGER,
    deleted INTEGER NOT NULL DEFAULT 0,
    seq INTEGER NOT NULL,
    PRIMARY KEY (chat_id, message_id)
);
CREATE INDEX IF NOT EXISTS message_seq ON message (seq);
CREATE INDEX IF NOT EXISTS message_chat_seq ON message (chat_id, seq);
CREATE TABLE IF NOT EXISTS account (
    user_id INTEGER PRIMARY KEY,
    reference TEXT UNIQUE,
    pin_hash TEXT,
    issuer TEXT,
    subject TEXT,
    failures INTEGER NOT NULL DEFAULT 0,
    locked_until INTEGER NOT NULL DEFAULT 0,
    UNIQUE (issuer, subject)
);
CREATE TABLE IF NOT EXISTS file (
    file_id TEXT PRIMARY KEY,
    unique_id TEXT NOT NULL,
    kind TEXT NOT NULL,
    filename TEXT,
    mime_type TEXT,
    path TEXT NOT NULL UNIQUE,
    data BLOB NOT NULL
);
"""

_MESSAGE_COLUMNS = (
    "chat_id, message_id, from_bot, kind, text, entities, markup, file_id, date, edit_date,"
    " deleted, seq"
)


@dataclass(frozen=True)
class Persona:
    """Someone on the page: a Telegram-like user whose private chat has the same id."""

    user_id: int
    name: str
    role_label: str = ""
    language: str = "en"

    def as_user(self) -> JsonDict:
        return user_json(self.user_id, self.name, self.language)

    def as_chat(self) -> JsonDict:
        return private_chat_json(self.user_id, self.name)


@dataclass
class ChatMessage:
    """One message in a chat, in its current state (edits apply in place)."""

    chat_id: int
    message_id: int
    from_bot: bool
    kind: str  # "text", "photo" or "document"
    text: str  # text, or the caption of a photo or document
    date: int
    seq: int  # the store's change counter when this message last changed
    entities: list[JsonDict] = field(default_factory=list)
    markup: JsonDict | None = None  # inline keyboard as sent ({"inline_keyboard": rows})
    file_id: str | None = None
    edit_date: int | None = None
    deleted: bool = False

    @property
    def rows(self) -> list[list[JsonDict]]:
        rows = (self.markup or {}).get("inline_keyboard")
        return rows if isinstance(rows, list) else []


@dataclass(frozen=True)
class StoredFile:
    file_id: str
    file_unique_id: str  # Telegram's name for it
    kind: str
    filename: str | None
    mime_type: str | None
    path: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


def _message(row: sqlite3.Row) -> ChatMessage:
    return ChatMessage(
        chat_id=row["chat_id"],
        message_id=row["message_id"],
        from_bot=bool(row["from_bot"]),
        kind=row["kind"],
        text=row["text"],
        date=row["date"],
        seq=row["seq"],
        entities=json.loads(row["entities"]) if row["entities"] else [],
        markup=json.loads(row["markup"]) if row["markup"] else None,
        file_id=row["file_id"],
        edit_date=row["edit_date"],
        deleted=bool(row["deleted"]),
    )


class ChannelStore:
    """Synchronous on purpose: each call is one short statement on a local file (tens of
    microseconds in WAL mode), cheaper than a hop to a database thread."""

    def __init__(self, path: Path | str) -> None:
        self.path = str(path)
        if self.path != ":memory:":
            # The chats and the channel's token: readable by the bot's account alone.
            files.private_file(Path(self.path))
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.row_factory = sqlite3.Row
        self._db.execute("PRAGMA journal_mode=WAL")
        if self.path != ":memory:":
            for made in (Path(f"{self.path}-wal"), Path(f"{self.path}-shm")):
                files.tighten(made)
        self._db.execute("PRAGMA synchronous=NORMAL")
        # A deleted or rewritten row's old bytes are zeroed, not left in free space.
        self._db.execute("PRAGMA secure_delete=ON")
        self._db.executescript(_SCHEMA)
        self._seq = int(self._value("SELECT MAX(seq) FROM message") or 0)
        self._last_id: dict[int, int] = {
            row[0]: row[1]
            for row in self._db.execute("SELECT chat_id, MAX(message_id) FROM message GROUP BY 1")
        }
        self._file_seq = int(self._value("SELECT COUNT(*) FROM file") or 0)
        # Unsettled states (buttons after an edit), in memory only: see the module's docstring.
        self._volatile: dict[tuple[int, int], ChatMessage] = {}

    def close(self) -> None:
        self._db.close()

    def _value(self, sql: str, params: tuple[Any, ...] = ()) -> Any:
        row = self._db.execute(sql, params).fetchone()
        return row[0] if row is not None else None

    # -- identity ---------------------------------------------------------------------------

    def secret(self, key: str) -> str:
        """A random value made once for this store and kept (the local bot token's secret)."""
        found = self._value("SELECT value FROM meta WHERE key = ?", (key,))
        if found is not None:
            return str(found)
        made = secrets.token_urlsafe(24).replace("-", "x").replace("_", "y")
        self._db.execute("INSERT INTO meta (key, value) VALUES (?, ?)", (key, made))
        return made

    # -- people -----------------------------------------------------------------------------

    def personas(self) -> list[Persona]:
        rows = self._db.execute(
            "SELECT user_id, name, role_label, language FROM person ORDER BY position, user_id"
        ).fetchall()
        return [Persona(r["user_id"], r["name"], r["role_label"], r["language"]) for r in rows]

    def persona(self, user_id: int) -> Persona | None:
        row = self._db.execute(
            "SELECT user_id, name, role_label, language FROM person WHERE user_id = ?", (user_id,)
        ).fetchone()
        if row is None:
            return None
        return Persona(row["user_id"], row["name"], row["role_label"], row["language"])

    def add_persona(self, persona: Persona) -> None:
        """Add someone, or rename and relabel them if they are already here."""
        position = int(self._value("SELECT COALESCE(MAX(position), 0) + 1 FROM person"))
        self._db.execute(
            "INSERT INTO person (user_id, name, role_label, language, position)"
            " VALUES (?, ?, ?, ?, ?) ON CONFLICT (user_id) DO UPDATE SET"
            " name = excluded.name, role_label = excluded.role_label,"
            " language = excluded.language",
            (persona.user_id, persona.name, persona.role_label, persona.language, position),
        )

    # -- messages ---------------------------------------------------------------------------

    @property
    def cursor(self) -> int:
        """The newest change; pass it back to changes_since() to hear of later ones."""
        return self._seq

    def next_message_id(self, chat_id: int) -> int:
        # Ids are per chat and shared by both directions, as in Telegram's private chats.
        message_id = self._last_id.get(chat_id, 0) + 1
        self._last_id[chat_id] = message_id
        return message_id

    def add_message(self, message: ChatMessage) -> ChatMessage:
        self._seq += 1
        message.seq = self._seq
        self._db.execute(
            f"INSERT INTO message ({_MESSAGE_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                message.chat_id,
                message.message_id,
                int(message.from_bot),
                message.kind,
                message.text,
                json.dumps(message.entities) if message.entities else None,
                json.dumps(message.markup) if message.markup else None,
                message.file_id,
                message.date,
                message.edit_date,
                int(message.deleted),
                message.seq,
            ),
        )
        return message

    def save_change(self, message: ChatMessage) -> ChatMessage:
        """Write an edited or deleted message back, as the newest change. A state with buttons
        stays in memory (it may show a choice in progress); a settled one replaces the row."""
        self._seq += 1
        message.seq = self._seq
        key = (message.chat_id, message.message_id)
        if message.rows and not message.deleted:
            self._volatile[key] = message
            return message
        self._volatile.pop(key, None)
        if message.deleted:
            # A deleted message keeps nothing of what it said (it may have been unsettled).
            message.text, message.entities, message.markup = "", [], None
        self._db.execute(
            "UPDATE message SET text = ?, entities = ?, markup = ?, edit_date = ?, deleted = ?,"
            " seq = ? WHERE chat_id = ? AND message_id = ?",
            (
                message.text,
                json.dumps(message.entities) if message.entities else None,
                json.dumps(message.markup) if message.markup else None,
                message.edit_date,
                int(message.deleted),
                message.seq,
                message.chat_id,
                message.message_id,
            ),
        )
        return message

    def message(self, chat_id: int, message_id: int) -> ChatMessage | None:
        volatile = self._volatile.get((chat_id, message_id))
        if volatile is not None:
            return volatile
        row = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM message WHERE chat_id = ? AND message_id = ?",
            (chat_id, message_id),
        ).fetchone()
        return _message(row) if row is not None else None

    def _overlay(self, messages: list[ChatMessage]) -> list[ChatMessage]:
        return [self._volatile.get((m.chat_id, m.message_id), m) for m in messages]

    def history(self, chat_id: int, limit: int = 200) -> list[ChatMessage]:
        """The newest ``limit`` visible messages of a chat, oldest first."""
        rows = self._db.execute(
            f"SELECT {_MESSAGE_COLUMNS} FROM message WHERE chat_id = ? AND deleted = 0"
            " ORDER BY message_id DESC LIMIT ?",
            (chat_id, limit),
        ).fetchall()
        return self._overlay([_message(row) for row in reversed(rows)])

    def changes_since(
        self, cursor: int, chat_id: int | None = None, limit: int = 500
    ) -> list[ChatMessage]:
        """Messages sent, edited or deleted after ``cursor``, in the order they changed."""
        if chat_id is None:
            rows = self._db.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM message WHERE seq > ? ORDER BY seq LIMIT ?",
                (cursor, limit),
            ).fetchall()
        else:
            rows = self._db.execute(
                f"SELECT {_MESSAGE_COLUMNS} FROM message WHERE chat_id = ? AND seq > ?"
                " ORDER BY seq LIMIT ?",
                (chat_id, cursor, limit),
            ).fetchall()
        found = {(m.chat_id, m.message_id): m for m in self._overlay([_message(r) for r in rows])}
        for key, message in self._volatile.items():
            if message.seq > cursor and (chat_id is None or key[0] == chat_id):
                found[key] = message
        return sorted(found.values(), key=lambda m: m.seq)[:limit]

    def in_chat(self, chat_id: int, file_id: str) -> bool:
        """Whether a file was sent in this chat (a page may fetch only its own chat's files)."""
        return (
            self._value(
                "SELECT 1 FROM message WHERE chat_id = ? AND file_id = ? LIMIT 1",
                (chat_id, file_id),
            )
            is not None
        )

    def message_count(self) -> int:
        return int(self._value("SELECT COUNT(*) FROM message") or 0)

    # -- files ------------------------------------------------------------------------------

    def add_file(
        self, kind: str, filename: str | None, mime_type: str | None, data: bytes
    ) -> StoredFile:
        self._file_seq += 1
        n = self._file_seq
        extension = {"photo": ".jpg"}.get(kind, "")
        if filename and "." in filename:
            extension = "." + filename.rsplit(".", 1)[1][:10]
        prefix = {"photo": "AgAC", "document": "BQAC"}.get(kind, "BAAC")
        stored = StoredFile(
            file_id=f"{prefix}{n:08d}{secrets.token_hex(4)}",
            file_unique_id=f"AQAD{n:08d}",
            kind=kind,
            filename=filename,
            mime_type=mime_type,
            path=f"{kind}s/file_{n}{extension}",
            data=data,
        )
        self._db.execute(
            "INSERT INTO file (file_id, unique_id, kind, filename, mime_type, path, data)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            (
                stored.file_id,
                stored.file_unique_id,
                kind,
                filename,
                mime_type,
                stored.path,
                stored.data,
            ),
        )
        return stored

    def file(self, file_id: str) -> StoredFile | None:
        return self._file("file_id", file_id)

    def file_at(self, path: str) -> StoredFile | None:
        return self._file("path", path)

    def _file(self, column: str, value: str) -> StoredFile | None:
        row = self._db.execute(
            "SELECT file_id, unique_id, kind, filename, mime_type, path, data FROM file"
            f" WHERE {column} = ?",
            (value,),
        ).fetchone()
        if row is None:
            return None
        return StoredFile(
            row["file_id"],
            row["unique_id"],
            row["kind"],
            row["filename"],
            row["mime_type"],
            row["path"],
            bytes(row["data"]),
        )

    # -- sign-in accounts -------------------------------------------------------------------

    def account(
        self, *, user_id: int | None = None, reference: str | None = None
    ) -> Account | None:
        if user_id is not None:
            row = self._db.execute(f"SELECT {_ACCOUNT} FROM account WHERE user_id = ?", (user_id,))
        else:
            row = self._db.execute(
                f"SELECT {_ACCOUNT} FROM account WHERE reference = ?", (reference,)
            )
        found = row.fetchone()
        return _account(found) if found is not None else None

    def account_for_subject(self, issuer: str, subject: str) -> Account | None:
        row = self._db.execute(
            f"SELECT {_ACCOUNT} FROM account WHERE issuer = ? AND subject = ?", (issuer, subject)
        ).fetchone()
        return _account(row) if row is not None else None

    def new_user_id(self, first: int) -> int:
        """A channel user id at or after ``first`` that nobody has or is being given: joins run
        at the same time, and an id is never handed out twice (not even after a failed join,
        whose wrong code the council counted against it)."""
        top = max(
            int(self._value("SELECT MAX(user_id) FROM person WHERE user_id >= ?", (first,)) or 0),
            int(self._value("SELECT MAX(user_id) FROM account") or 0),
            int(self._value("SELECT value FROM meta WHERE key = 'last_user_id'") or 0),
        )
        made = max(first, top + 1)
        self._db.execute(
            "INSERT INTO meta (key, value) VALUES ('last_user_id', ?)"
            " ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            (str(made),),
        )
        return made

    def save_account(self, account: Account) -> None:
        self._db.execute(
            f"INSERT INTO account ({_ACCOUNT}) VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT (user_id) DO UPDATE SET reference = excluded.reference,"
            " pin_hash = excluded.pin_hash, issuer = excluded.issuer, subject = excluded.subject,"
            " failures = excluded.failures, locked_until = excluded.locked_until",
            (
                account.user_id,
                account.reference,
                account.pin_hash,
                account.issuer,
                account.subject,
                account.failures,
                account.locked_until,
            ),
        )

    def record_pin_failure(self, user_id: int, max_failures: int, lock_until: int) -> bool:
        """Count one wrong PIN; True when this one locks the account (the count starts again)."""
        self._db.execute("UPDATE account SET failures = failures + 1 WHERE user_id = ?", (user_id,))
        failures = int(self._value("SELECT failures FROM account WHERE user_id = ?", (user_id,)))
        if failures < max_failures:
            return False
        self._db.execute(
            "UPDATE account SET failures = 0, locked_until = ? WHERE user_id = ?",
            (lock_until, user_id),
        )
        return True

    def clear_pin_failures(self, user_id: int) -> None:
        self._db.execute("UPDATE account SET failures = 0 WHERE user_id = ?", (user_id,))


_ACCOUNT = "user_id, reference, pin_hash, issuer, subject, failures, locked_until"


@dataclass
class Account:
    """How one person on the channel signs in: a reference and PIN hash, or a provider subject."""

    user_id: int
    reference: str | None = None
    pin_hash: str | None = None
    issuer: str | None = None
    subject: str | None = None
    failures: int = 0
    locked_until: int = 0  # unix seconds; 0 = not locked


def _account(row: sqlite3.Row) -> Account:
    return Account(
        row["user_id"],
        row["reference"],
        row["pin_hash"],
        row["issuer"],
        row["subject"],
        row["failures"],
        row["locked_until"],
    )
