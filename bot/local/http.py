"""The local channel's HTTP server (asyncio streams, standard library only) on 127.0.0.1.

Three doors on one port:
  /bot<token>/<method>       the Bot API, for the bot (its base_url points here)
  /file/bot<token>/<path>    file downloads, as api.telegram.org serves them
  /, /static/*, /api/*       the chat page and its small JSON API (see docs/LOCAL_CHANNEL.md)
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import re
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, quote, unquote, urlsplit

from bot import i18n
from bot.local.api import ApiError, Files, JsonDict, LocalBotApi, error_body
from bot.local.store import ChatMessage, Persona

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 64 * 1024
MAX_BODY_BYTES = 50 * 1024 * 1024  # Telegram's upload limit for bots
IDLE_TIMEOUT_S = 75.0  # an idle keep-alive connection is closed after this long
PAGE_POLL_LIMIT_S = 30.0

_BOT_PATH = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?")
_FILE_PATH = re.compile(r"/file/bot([^/]+)/(.+)")
_BOUNDARY = re.compile(r'boundary="?([^";]+)"?', re.IGNORECASE)
_FORM_ESCAPES = {"%22": '"', "%0D": "\r", "%0A": "\n"}  # httpx's escapes in multipart names
_STATIC = {
    "index.html": "text/html; charset=utf-8",
    "app.js": "text/javascript; charset=utf-8",
    "style.css": "text/css; charset=utf-8",
    "icon.svg": "image/svg+xml",
}
_REASONS = {
    200: "OK",
    204: "No Content",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    415: "Unsupported Media Type",
    429: "Too Many Requests",
    500: "Internal Server Error",
}
# Nothing on the page comes from anywhere but this server.
_PAGE_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self';"
        " connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
}
_LOCAL_NAMES = frozenset({"127.0.0.1", "localhost", "[::1]"})


class _BadRequest(Exception):
    def __init__(self, status: int, text: str) -> None:
        super().__init__(text)
        self.status = status


class Request:
    def __init__(self, method: str, target: str, headers: dict[str, str], body: bytes) -> None:
        self.method = method
        url = urlsplit(target)
        self.path = unquote(url.path)
        self.query = dict(parse_qsl(url.query, keep_blank_values=True))
        self.headers = headers
        self.body = body

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "").split(";", 1)[0].strip().lower()

    def json(self) -> JsonDict:
        try:
            value = json.loads(self.body or b"{}")
        except ValueError:
            raise _BadRequest(400, "the body is not JSON") from None
        if not isinstance(value, dict):
            raise _BadRequest(400, "the body must be a JSON object")
        return value


class Response:
    def __init__(
        self,
        status: int,
        body: bytes,
        content_type: str,
        headers: dict[str, str] | None = None,
    ) -> None:
        self.status = status
        self.body = body
        self.content_type = content_type
        self.headers = headers or {}

    @classmethod
    def json(cls, status: int, value: Any) -> Response:
        payload = json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()
        return cls(status, payload, "application/json")


class LocalServer:
    """Serves one LocalBotApi over HTTP. ``await start()``, then ``base_url`` is the bot's."""

    def __init__(self, api: LocalBotApi, host: str = "127.0.0.1", port: int = 8080) -> None:
        self.api = api
        self.host = host
        self.port = port
        self._server: asyncio.Server | None = None
        self._connections: set[asyncio.Task[None]] = set()

    @property
    def address(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def base_url(self) -> str:
        return f"{self.address}/bot"

    @property
    def base_file_url(self) -> str:
        return f"{self.address}/file/bot"

    async def start(self) -> None:
        self._server = await asyncio.start_server(
            self._connection, self.host, self.port, backlog=256, reuse_address=True
        )
        self.port = int(self._server.sockets[0].getsockname()[1])

    async def close(self) -> None:
        if self._server is not None:
            self._server.close()
            for task in list(self._connections):
                task.cancel()
            for task in list(self._connections):
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await task
            await self._server.wait_closed()
            self._server = None

    # ------------------------------------------------------------------ HTTP/1.1

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._connections.add(task)
        try:
            while True:
                try:
                    request = await asyncio.wait_for(_read_request(reader), IDLE_TIMEOUT_S)
                except _BadRequest as error:
                    await _write(writer, _text(error.status, str(error)), keep_alive=False)
                    return
                if request is None:
                    return
                keep_alive = request.headers.get("connection", "").lower() != "close"
                try:
                    response = await self._route(request)
                except _BadRequest as error:
                    response = Response.json(error.status, {"error": str(error)})
                except Exception:
                    log.exception("local channel: request failed")
                    response = Response.json(500, error_body(500, "Internal Server Error"))
                await _write(writer, response, keep_alive=keep_alive)
                if not keep_alive:
                    return
        except (TimeoutError, ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away or stayed idle too long
        except asyncio.CancelledError:
            # close() ends open connections (long polls among them). Ending quietly keeps
            # asyncio from logging each one as an error; the task is finishing anyway.
            pass
        finally:
            self._connections.discard(task)
            writer.close()
            with contextlib.suppress(Exception):
                await writer.wait_closed()

    async def _route(self, request: Request) -> Response:
        path = request.path
        if path.startswith("/bot"):
            return await self._bot_api(request)
        if path.startswith("/file/bot"):
            return self._download(request)
        if path.startswith("/api/"):
            self._check_page_request(request)
            return await self._page_api(request)
        if request.method not in ("GET", "HEAD"):
            return _text(405, "Method Not Allowed")
        if path == "/":
            return _static("index.html")
        if path.startswith("/static/") and path[len("/static/") :] in _STATIC:
            return _static(path[len("/static/") :])
        if path == "/favicon.ico":
            return _static("icon.svg")
        return _text(404, "Not Found")

    # ------------------------------------------------------------------ the bot's doors

    async def _bot_api(self, request: Request) -> Response:
        match = _BOT_PATH.fullmatch(request.path)
        if match is None:
            return Response.json(404, error_body(404, "Not Found"))
        token, method = match.groups()
        if token != self.api.token:
            return Response.json(401, error_body(401, "Unauthorized"))
        try:
            params, files = _parse_body(request.content_type, request.headers, request.body)
        except ValueError:
            return Response.json(400, error_body(400, "Bad Request: can't parse request body"))
        params = {**request.query, **params}
        status, body = await self.api.call(method, params, files)
        return Response.json(status, body)

    def _download(self, request: Request) -> Response:
        match = _FILE_PATH.fullmatch(request.path)
        if match is None or match.group(1) != self.api.token:
            return Response.json(404, error_body(404, "Not Found"))
        stored = self.api.file_content(match.group(2))
        if stored is None:
            return Response.json(404, error_body(404, "Not Found"))
        return Response(200, stored.data, "application/octet-stream")

    # ------------------------------------------------------------------ the page's door

    def _check_page_request(self, request: Request) -> None:
        # Another web site open in the same browser must not drive the page's API: the Host
        # must be this server (no DNS rebinding) and writes must be JSON (no plain form posts).
        host = request.headers.get("host", "").rsplit(":", 1)[0].lower()
        if self.host not in ("0.0.0.0", "::") and host not in _LOCAL_NAMES | {self.host}:  # noqa: S104
            raise _BadRequest(403, "this page only answers on its own address")
        if request.method == "POST" and request.content_type != "application/json":
            raise _BadRequest(415, "send JSON")

    async def _page_api(self, request: Request) -> Response:
        path, method = request.path, request.method
        api = self.api
        if path == "/api/state" and method == "GET":
            return Response.json(
                200,
                {
                    "bot": api.bot_user["first_name"],
                    "personas": [_persona(p) for p in api.personas()],
                    "cursor": api.store.cursor,
                },
            )
        if path == "/api/strings" and method == "GET":
            return Response.json(200, {lang: page_strings(lang) for lang in i18n.LANGUAGES})
        if path == "/api/chat" and method == "GET":
            chat = _int(request.query.get("id"))
            persona = api.store.persona(chat)
            if persona is None:
                raise _BadRequest(404, "no such person")
            cursor = api.store.cursor
            messages = api.store.history(chat)
            return Response.json(
                200,
                {
                    "messages": [_page_message(m, api) for m in messages],
                    "cursor": cursor,
                    "commands": api.commands_for(chat, persona.language),
                },
            )
        if path == "/api/changes" and method == "GET":
            since = _int(request.query.get("since", "0"))
            chat_text = request.query.get("chat")
            only = _int(chat_text) if chat_text else None
            wait = min(float(_int(request.query.get("timeout", "0"))), PAGE_POLL_LIMIT_S)
            changed, cursor = await api.changes(since, only, wait=wait)
            return Response.json(
                200, {"messages": [_page_message(m, api) for m in changed], "cursor": cursor}
            )
        if path == "/api/send" and method == "POST":
            body = request.json()
            text = body.get("text")
            if not isinstance(text, str):
                raise _BadRequest(400, "text is missing")
            try:
                message = api.send_text(_int(body.get("chat")), text)
            except ApiError as error:
                return Response.json(error.status, {"error": error.description})
            return Response.json(200, {"message": _page_message(message, api)})
        if path == "/api/press" and method == "POST":
            body = request.json()
            data = body.get("data")
            if not isinstance(data, str):
                raise _BadRequest(400, "data is missing")
            try:
                answer = await api.press(_int(body.get("chat")), _int(body.get("message_id")), data)
            except ApiError as error:
                return Response.json(error.status, {"error": error.description})
            return Response.json(200, {"answer": answer})
        if path == "/api/personas" and method == "POST":
            body = request.json()
            name = str(body.get("name") or "").strip()[:64]
            if not name:
                raise _BadRequest(400, "name is missing")
            taken = {p.user_id for p in api.personas()}
            user_id = next(n for n in range(700_000_001, 800_000_000) if n not in taken)
            persona = Persona(user_id, name, "", str(body.get("language") or "en")[:8])
            api.store.add_persona(persona)
            return Response.json(200, {"persona": _persona(persona)})
        if path.startswith("/api/files/") and method == "GET":
            stored = api.store.file(path[len("/api/files/") :])
            if stored is None:
                raise _BadRequest(404, "no such file")
            mime = stored.mime_type or "application/octet-stream"
            headers = {"Cache-Control": "private, max-age=86400"}
            if stored.kind != "photo":
                name = stored.filename or stored.path.rsplit("/", 1)[-1]
                headers["Content-Disposition"] = f"attachment; filename*=UTF-8''{quote(name)}"
            return Response(200, stored.data, mime, headers)
        raise _BadRequest(404, "no such page call")


def page_strings(lang: str) -> dict[str, str]:
    """The page's own words (bot/locale/<lang>/local.toml), ids without the "local." prefix."""
    return {
        key[len("local.") :]: text
        for key, text in i18n.catalogue(lang).items()
        if key.startswith("local.")
    }


def _persona(persona: Persona) -> JsonDict:
    return {
        "id": persona.user_id,
        "name": persona.name,
        "role": persona.role_label,
        "language": persona.language,
    }


def _page_message(message: ChatMessage, api: LocalBotApi) -> JsonDict:
    out: JsonDict = {
        "chat": message.chat_id,
        "id": message.message_id,
        "from": "bot" if message.from_bot else "person",
        "kind": message.kind,
        "text": message.text,
        "buttons": message.rows,
        "date": message.date,
        "edited": message.edit_date is not None,
        "deleted": message.deleted,
        "seq": message.seq,
    }
    if message.file_id:
        stored = api.store.file(message.file_id)
        if stored is not None:
            out["file"] = {
                "url": f"/api/files/{quote(stored.file_id)}",
                "name": stored.filename or stored.path.rsplit("/", 1)[-1],
                "mime": stored.mime_type,
                "size": stored.size,
            }
    return out


def _int(value: Any) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        raise _BadRequest(400, "a number was expected") from None


def _text(status: int, text: str) -> Response:
    return Response(status, text.encode(), "text/plain; charset=utf-8")


def _static(name: str) -> Response:
    data = resources.files("bot.local").joinpath("web", name).read_bytes()
    return Response(200, data, _STATIC[name], {"Cache-Control": "no-cache", **_PAGE_HEADERS})


async def _read_request(reader: asyncio.StreamReader) -> Request | None:
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError as error:
        if error.partial.strip():
            raise _BadRequest(400, "incomplete request") from None
        return None
    except asyncio.LimitOverrunError:
        raise _BadRequest(400, "headers too long") from None
    if len(head) > MAX_HEADER_BYTES:
        raise _BadRequest(400, "headers too long")
    lines = head.decode("latin-1").split("\r\n")
    parts = lines[0].split(" ")
    if len(parts) != 3 or not parts[2].startswith("HTTP/1."):
        raise _BadRequest(400, "not an HTTP/1.x request")
    method, target, _ = parts
    headers: dict[str, str] = {}
    for line in lines[1:]:
        if line:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
    if headers.get("transfer-encoding", "").lower() == "chunked":
        body = await _read_chunked(reader)
    else:
        try:
            length = int(headers.get("content-length") or 0)
        except ValueError:
            raise _BadRequest(400, "bad Content-Length") from None
        if length > MAX_BODY_BYTES:
            raise _BadRequest(413, "request too large")
        body = await reader.readexactly(length) if length > 0 else b""
    return Request(method.upper(), target, headers, body)


async def _read_chunked(reader: asyncio.StreamReader) -> bytes:
    body = bytearray()
    while True:
        size_line = await reader.readuntil(b"\r\n")
        try:
            size = int(size_line.split(b";", 1)[0].strip(), 16)
        except ValueError:
            raise _BadRequest(400, "bad chunk size") from None
        if size == 0:
            while (await reader.readuntil(b"\r\n")) != b"\r\n":
                pass  # trailers
            return bytes(body)
        if len(body) + size > MAX_BODY_BYTES:
            raise _BadRequest(413, "request too large")
        body += await reader.readexactly(size)
        await reader.readexactly(2)


async def _write(writer: asyncio.StreamWriter, response: Response, *, keep_alive: bool) -> None:
    reason = _REASONS.get(response.status, "Unknown")
    head = [
        f"HTTP/1.1 {response.status} {reason}",
        f"Content-Type: {response.content_type}",
        f"Content-Length: {len(response.body)}",
        f"Connection: {'keep-alive' if keep_alive else 'close'}",
    ]
    head += [f"{name}: {value}" for name, value in response.headers.items()]
    writer.write(("\r\n".join(head) + "\r\n\r\n").encode("latin-1") + response.body)
    await writer.drain()


def _parse_body(content_type: str, headers: dict[str, str], body: bytes) -> tuple[JsonDict, Files]:
    """Bot API parameters from a JSON, urlencoded or multipart/form-data body."""
    if not body:
        return {}, {}
    if content_type == "application/json":
        params = json.loads(body)
        if not isinstance(params, dict):
            raise ValueError("JSON body must be an object")
        return params, {}
    if content_type == "multipart/form-data":
        return _parse_multipart(headers.get("content-type", ""), body)
    return dict(parse_qsl(body.decode(), keep_blank_values=True)), {}


def _parse_multipart(content_type: str, body: bytes) -> tuple[JsonDict, Files]:
    boundary = _BOUNDARY.search(content_type)
    if boundary is None:
        raise ValueError("multipart body without boundary")
    params: JsonDict = {}
    files: Files = {}
    for part in body.split(b"--" + boundary.group(1).encode())[1:]:
        if part.startswith(b"--"):
            break  # the closing delimiter
        head, _, content = part.removeprefix(b"\r\n").partition(b"\r\n\r\n")
        content = content.removesuffix(b"\r\n")
        disposition = next(
            (
                line
                for line in head.decode("utf-8", "replace").split("\r\n")
                if line.lower().startswith("content-disposition:")
            ),
            "",
        )
        name = _form_param(disposition, "name")
        if name is None:
            continue
        filename = _form_param(disposition, "filename")
        if filename is None:
            params[name] = content.decode()
        else:
            files[name] = (filename, content)
    return params, files


def _form_param(disposition: str, key: str) -> str | None:
    match = re.search(rf';\s*{key}="([^"]*)"', disposition)
    if match is None:
        return None
    value = match.group(1)
    for escaped, char in _FORM_ESCAPES.items():
        value = value.replace(escaped, char)
    return value
