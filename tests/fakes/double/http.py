"""HTTP transport: a threaded stdlib server speaking the Bot API wire format on 127.0.0.1.

Point an unmodified Application at it with ``ApplicationBuilder().base_url(http.base_url)``; the
default httpx request then exercises real encoding (urlencoded and multipart bodies), keep-alive
connections and long polling.
"""

from __future__ import annotations

import json
import re
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from types import TracebackType
from typing import Any
from urllib.parse import unquote, urlsplit

from bot.botapi import BODY_UNPARSABLE, JsonDict, error_body, parse_body

from .core import BotApiDouble, ConnectionDropped

_PATH_RE = re.compile(r"/bot([^/]+)/([A-Za-z0-9_]+)/?")
_FILE_PATH_RE = re.compile(r"/file/bot([^/]+)/(.+)")


class _Server(ThreadingHTTPServer):
    daemon_threads = True  # a client's idle keep-alive connection must not block close()
    request_queue_size = 128  # benchmarks open many connections at once

    def __init__(self, address: tuple[str, int], double: BotApiDouble) -> None:
        super().__init__(address, _Handler)
        self.double = double
        self.closing = threading.Event()
        self._connections: set[socket.socket] = set()
        self._connections_lock = threading.Lock()

    def process_request_thread(self, request: Any, client_address: Any) -> None:
        with self._connections_lock:
            self._connections.add(request)
        try:
            super().process_request_thread(request, client_address)
        finally:
            with self._connections_lock:
                self._connections.discard(request)

    def drop_connections(self) -> None:
        with self._connections_lock:
            connections = list(self._connections)
        for connection in connections:
            try:
                connection.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass  # already closed by the client


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like api.telegram.org
    disable_nagle_algorithm = True  # small JSON answers must not wait for delayed ACKs
    server: _Server

    def log_message(self, format: str, *args: Any) -> None:
        pass  # one line per request would drown test output

    def do_GET(self) -> None:
        download = _FILE_PATH_RE.fullmatch(unquote(urlsplit(self.path).path))
        if download is None:
            self._dispatch(b"")
            return
        token, file_path = download.groups()
        double = self.server.double
        content = double.file_content(file_path) if token == double.token else None
        if content is None:
            self._reply(404, error_body(404, "Not Found"))
        else:
            self._send(200, content, "application/octet-stream")

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        self._dispatch(self.rfile.read(length) if length else b"")

    def _dispatch(self, body: bytes) -> None:
        url = urlsplit(self.path)
        match = _PATH_RE.fullmatch(unquote(url.path))
        if match is None:
            self._reply(404, error_body(404, "Not Found"))
            return
        token, method = match.groups()
        double = self.server.double
        if token != double.token:
            self._reply(401, error_body(401, "Unauthorized"))
            return
        try:
            params, files = parse_body(self.headers.get("Content-Type", ""), body, url.query)
        except ValueError:
            self._reply(400, error_body(400, BODY_UNPARSABLE))
            return
        try:
            status, answer = double.handle_blocking(method, params, files, stop=self.server.closing)
        except ConnectionDropped:
            self.close_connection = True  # hang up without answering, like a lost connection
            return
        self._reply(status, answer)

    def _reply(self, status: int, body: JsonDict) -> None:
        self._send(status, json.dumps(body, separators=(",", ":")).encode(), "application/json")

    def _send(self, status: int, payload: bytes, content_type: str) -> None:
        try:
            self.send_response_only(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)
        except OSError:
            self.close_connection = True  # the client went away (e.g. a cancelled long poll)


class HttpDouble:
    """A running HTTP server in front of a BotApiDouble; close() (or use as a context manager)."""

    def __init__(self, double: BotApiDouble, server: _Server, thread: threading.Thread) -> None:
        self.double = double
        self._server = server
        self._thread = thread
        self.host = str(server.server_address[0])
        self.port = int(server.server_address[1])
        self.base_url = f"http://{self.host}:{self.port}/bot"
        self.base_file_url = f"http://{self.host}:{self.port}/file/bot"

    def close(self) -> None:
        self._server.closing.set()
        self.double.wake_pollers()  # long polls return at once instead of at their timeout
        self._server.shutdown()
        self._server.server_close()
        self._server.drop_connections()
        self._thread.join(timeout=5)

    def __enter__(self) -> HttpDouble:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self.close()


def serve_http(double: BotApiDouble, host: str = "127.0.0.1", port: int = 0) -> HttpDouble:
    """Start serving ``double`` on ``host:port`` (0 = any free port) in a daemon thread."""
    server = _Server((host, port), double)
    thread = threading.Thread(
        target=server.serve_forever,
        kwargs={"poll_interval": 0.05},  # shutdown() waits up to one interval
        name=f"bot-api-double:{server.server_address[1]}",
        daemon=True,
    )
    thread.start()
    return HttpDouble(double, server, thread)
