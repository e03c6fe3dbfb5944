"""The bot's way to the channel when both are in one process: python-telegram-bot's own transport
interface (``BaseRequest``) answered by the same ``LocalBotApi.call`` that the HTTP Bot API
serves, without the loopback HTTP hop.

Nothing in the bot changes: it still speaks the Bot API (the same methods, parameters, limits,
errors and long polling), only not through a socket. The hop it saves costs three HTTP round
trips a press (answerCallbackQuery, editMessageText, setMyCommands); at 300 people those queued
for seconds in httpx's pool (docs/PERFORMANCE.md). The HTTP Bot API stays on 127.0.0.1 for
anything outside the process (and the contract tests).
"""

from __future__ import annotations

import json
from typing import Any
from urllib.parse import unquote

from telegram._utils.types import ODVInput  # the alias PTB's own HTTPXRequest uses
from telegram.request import BaseRequest, RequestData

from bot.botapi import Files, error_body
from bot.local.api import LocalBotApi


class LocalRequest(BaseRequest):
    """Use for both ``request`` and ``get_updates_request`` of the channel's Application."""

    def __init__(self, api: LocalBotApi, *, read_timeout: float | None = 60.0) -> None:
        self._api = api
        self._read_timeout = read_timeout

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        pass  # nothing to open

    async def shutdown(self) -> None:
        pass

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
        api = self._api
        if method == "GET":  # python-telegram-bot GETs only to download a file
            _, marker, path = unquote(url).partition(f"/file/bot{api.token}/")
            stored = api.file_content(path) if marker else None
            if stored is None:
                return 404, _encode(error_body(404, "Not Found"))
            return 200, stored.data
        head, _, api_method = url.rpartition("/")
        if not unquote(head).endswith(api.token):
            return 401, _encode(error_body(401, "Unauthorized"))
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        files: Files = {}
        if request_data is not None and request_data.contains_files:
            for name, (filename, content, _mime) in request_data.multipart_data.items():
                data = content if isinstance(content, bytes) else content.read()
                files[name] = (filename or name, data)
        status, body = await api.call(api_method, params, files)
        return status, _encode(body)


def _encode(body: Any) -> bytes:
    return json.dumps(body, separators=(",", ":"), ensure_ascii=False).encode()
