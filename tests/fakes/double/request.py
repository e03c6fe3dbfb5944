"""In-process transport: python-telegram-bot talks to a BotApiDouble without any socket."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
from urllib.parse import unquote

from telegram._utils.types import ODVInput  # the alias PTB's own HTTPXRequest uses
from telegram.error import NetworkError
from telegram.request import BaseRequest, RequestData

from bot.botapi import Files, JsonDict, error_body

from .core import BotApiDouble, ConnectionDropped, long_poll_timeout


class DoubleRequest(BaseRequest):
    """``BaseRequest`` answering from ``double``; use for ``request()``/``get_updates_request()``.

    Costs one dict build and one JSON encode per call: there are no sleeps, so benchmarks measure
    the bot rather than the transport. getUpdates long polling waits on an asyncio.Event that
    ``double.push_update`` sets, without blocking the event loop.
    """

    def __init__(self, double: BotApiDouble, *, read_timeout: float | None = 5.0) -> None:
        self._double = double
        self._read_timeout = read_timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._loop_thread: int | None = None
        self._update_pushed: asyncio.Event | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._loop is not None:
            return
        self._loop = asyncio.get_running_loop()
        self._loop_thread = threading.get_ident()
        self._update_pushed = asyncio.Event()
        self._double.add_update_listener(self._on_update_pushed)

    async def shutdown(self) -> None:
        if self._loop is None:
            return
        self._double.remove_update_listener(self._on_update_pushed)
        self._loop = self._loop_thread = self._update_pushed = None

    def _on_update_pushed(self) -> None:
        loop, event = self._loop, self._update_pushed
        if loop is None or event is None:
            return
        if threading.get_ident() == self._loop_thread:
            event.set()
        else:  # pushed from another thread (e.g. a benchmark feeder)
            with contextlib.suppress(RuntimeError):  # loop already closed
                loop.call_soon_threadsafe(event.set)

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> tuple[int, bytes]:
        if method == "GET":  # PTB only GETs for File.download_*()
            return self._download(url)
        head, _, api_method = url.rpartition("/")
        if not head.endswith(self._double.token):
            return 401, _encode(error_body(401, "Unauthorized"))
        if self._loop is None:
            await self.initialize()
        params: JsonDict = request_data.parameters if request_data is not None else {}
        files = (
            _uploaded_files(request_data) if request_data and request_data.contains_files else None
        )
        event = self._update_pushed
        if event is not None and api_method.lower() == "getupdates":
            event.clear()  # before handle(): a push racing with it must still wake us
        try:
            status, body = self._double.handle(api_method, params, files)
        except ConnectionDropped as exc:
            raise NetworkError("connection dropped (double)") from exc
        timeout = long_poll_timeout(api_method, params, status, body)
        if timeout > 0 and event is not None:
            status, body = await self._long_poll(params, timeout, event)
        return status, _encode(body)

    def _download(self, url: str) -> tuple[int, bytes]:
        # PTB percent-quotes the token in file URLs.
        _, marker, file_path = unquote(url).partition(f"/file/bot{self._double.token}/")
        content = self._double.file_content(file_path) if marker else None
        if content is None:
            return 404, _encode(error_body(404, "Not Found"))
        return 200, content

    async def _long_poll(
        self, params: JsonDict, seconds: float, event: asyncio.Event
    ) -> tuple[int, JsonDict]:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + seconds
        status, body = 200, {"ok": True, "result": []}
        while (remaining := deadline - loop.time()) > 0:
            try:
                await asyncio.wait_for(event.wait(), remaining)
            except TimeoutError:
                break
            event.clear()
            status, body = self._double.repoll(params)
            if status != 200 or body["result"]:
                break
        return status, body


def _encode(body: JsonDict) -> bytes:
    return json.dumps(body, separators=(",", ":")).encode()


def _uploaded_files(request_data: RequestData) -> Files:
    """Multipart parts as (filename, bytes); PTB may hand over open file handles."""
    files: Files = {}
    for name, (filename, content, _mime) in request_data.multipart_data.items():
        files[name] = (filename, content if isinstance(content, bytes) else content.read())
    return files
