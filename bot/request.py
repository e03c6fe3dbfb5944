"""The Bot API client: python-telegram-bot's documented request hook (BaseRequest) on aiohttp.

Measured over HTTP (bench/e2e_http.py, docs/PERFORMANCE.md), the bot's own process was the
limit, and most of its time went to the HTTP client: PTB's default HTTPXRequest builds a
request, a timeout and a response object per call through several layers. aiohttp's client does
the same work in less time, keeps its connections open between calls (keep-alive, a pool sized
for the sends in flight), and hands back bytes that PTB parses as usual.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import aiohttp
from telegram._utils.defaultvalue import DefaultValue
from telegram._utils.types import ODVInput
from telegram.error import NetworkError, TimedOut
from telegram.request import BaseRequest, RequestData

USER_AGENT = "council-bot (python-telegram-bot; aiohttp)"


class AiohttpRequest(BaseRequest):
    """One aiohttp session per instance; the Application keeps one for calls and one for
    getUpdates (long polls must not wait behind sends, nor sends behind a long poll)."""

    def __init__(
        self,
        *,
        connections: int = 256,
        read_timeout: float | None = 5.0,
        write_timeout: float | None = 5.0,
        connect_timeout: float | None = 5.0,
        pool_timeout: float | None = 1.0,
        media_write_timeout: float | None = 20.0,
    ) -> None:
        self._connections = connections
        self._read_timeout = read_timeout
        self._write_timeout = write_timeout
        self._connect_timeout = connect_timeout
        self._pool_timeout = pool_timeout
        self._media_write_timeout = media_write_timeout
        self._session: aiohttp.ClientSession | None = None

    @property
    def read_timeout(self) -> float | None:
        return self._read_timeout

    async def initialize(self) -> None:
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self._connections,
                limit_per_host=self._connections,
                keepalive_timeout=60,  # one host, called all the time: keep its connections
                ttl_dns_cache=300,
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                headers={"User-Agent": USER_AGENT},
                # PTB parses the body itself; nothing here needs cookies or redirects.
                cookie_jar=aiohttp.DummyCookieJar(),
                auto_decompress=True,
            )

    async def shutdown(self) -> None:
        session, self._session = self._session, None
        if session is not None and not session.closed:
            await session.close()

    def _timeout(
        self,
        read: ODVInput[float],
        write: ODVInput[float],
        connect: ODVInput[float],
        pool: ODVInput[float],
        has_files: bool,
    ) -> aiohttp.ClientTimeout:
        def chosen(value: ODVInput[float], default: float | None) -> float | None:
            return default if isinstance(value, DefaultValue) else value

        write_default = self._media_write_timeout if has_files else self._write_timeout
        read_s = chosen(read, self._read_timeout)
        write_s = chosen(write, write_default)
        # aiohttp has no separate write timeout: the send and the answer share sock_read.
        sock_read = None if read_s is None else read_s + (write_s or 0.0)
        sock_connect = chosen(connect, self._connect_timeout)
        waiting = chosen(pool, self._pool_timeout)
        return aiohttp.ClientTimeout(
            total=None,
            # aiohttp's `connect` covers waiting for a free connection and opening one.
            connect=None if waiting is None or sock_connect is None else waiting + sock_connect,
            sock_connect=sock_connect,
            sock_read=sock_read,
        )

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
        if self._session is None or self._session.closed:
            raise RuntimeError("AiohttpRequest is not initialized")
        has_files = request_data is not None and request_data.contains_files
        body: Any = None
        if request_data is not None:
            if has_files:
                form = aiohttp.FormData(quote_fields=False)
                for name, value in request_data.json_parameters.items():
                    form.add_field(name, value)
                for name, (filename, content, mime) in request_data.multipart_data.items():
                    form.add_field(name, content, filename=filename, content_type=mime)
                body = form
            else:
                body = request_data.json_parameters  # form-urlencoded, as PTB's own client
        timeout = self._timeout(
            read_timeout, write_timeout, connect_timeout, pool_timeout, has_files
        )
        try:
            async with self._session.request(method, url, data=body, timeout=timeout) as answer:
                return answer.status, await answer.read()
        except TimeoutError as exc:
            raise TimedOut from exc
        except aiohttp.ClientError as exc:
            raise NetworkError(f"aiohttp.{type(exc).__name__}: {exc}") from exc


Answer = tuple[int, bytes]


class WrappingRequest(BaseRequest):
    """A transport around another, adding one thing (recording each call's outcome, a pulled
    cable, network latency and limits): the subclass says what in `around`; the rest is the
    inner transport's. BaseRequest's long signature is written here once."""

    def __init__(self, inner: BaseRequest) -> None:
        self.inner = inner

    @property
    def read_timeout(self) -> float | None:
        return self.inner.read_timeout

    async def initialize(self) -> None:
        await self.inner.initialize()

    async def shutdown(self) -> None:
        await self.inner.shutdown()

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        write_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        connect_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
        pool_timeout: ODVInput[float] = BaseRequest.DEFAULT_NONE,
    ) -> Answer:
        async def call() -> Answer:
            return await self.inner.do_request(
                url,
                method,
                request_data=request_data,
                read_timeout=read_timeout,
                write_timeout=write_timeout,
                connect_timeout=connect_timeout,
                pool_timeout=pool_timeout,
            )

        return await self.around(url, request_data, call)

    async def around(
        self, url: str, request_data: RequestData | None, call: Callable[[], Awaitable[Answer]]
    ) -> Answer:
        """The call through the inner transport; override to add before, after or instead."""
        return await call()
